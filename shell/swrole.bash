# shellcheck shell=bash
# swrole for bash: `source shell/swrole.bash` or `eval "$(swrole init bash)"` in ~/.bashrc.
#
#   sw PROFILE [FLAGS]   switch this shell to PROFILE (flags as for `swrole PROFILE`)
#   sw                   show the active profile, account, role, region and time left
#   sw -                 switch back to the previous profile
#   sw off               clear everything swrole set
#
# Prompt, without starting any process (bash 4.2+): this file keeps SWROLE_PROMPT up to
# date before each prompt, so one line does it:
#   PS1='${SWROLE_PROMPT:+[$SWROLE_PROMPT] }'"$PS1"
# Auto-refresh before expiry (off by default): SWROLE_REFRESH_MINUTES=10, read at each
# prompt (set or change it any time). A switch says one line on stderr; SWROLE_QUIET=1
# silences it.
# Everything here is a function; the names other than sw and swrole_prompt_* start __swrole_.

__swrole_sw() {
    \builtin local __swrole_out
    case "${1-}" in
        "")
            __swrole_status
            return
            ;;
        -- | --profile)
            # `sw -- NAME`: a profile named like a subcommand, `off` or `-`.
            \builtin shift
            __swrole_switch "$@"
            return
            ;;
        -)
            if [[ -z "${SWROLE_PREVIOUS_PROFILE-}" ]]; then
                \builtin printf 'swrole: no previous profile to switch back to\n' >&2
                return 1
            fi
            \builtin shift
            \builtin set -- "${SWROLE_PREVIOUS_PROFILE}" "$@"
            ;;
        off | unset) # swrole: subcommands
            __swrole_out="$(\command swrole unset --shell bash)" || return
            \builtin eval "${__swrole_out}"
            return
            ;;
        -h | --help) # swrole: subcommands
            __swrole_help
            return
            ;;
        -V | --version | help | init | list | exec | explain | doctor | cache | credential-process | keys | console | man | completions) # swrole: subcommands
            \command swrole "$@"
            return
            ;;
        *) ;;
    esac
    __swrole_switch "$@"
}

__swrole_help() {
    \builtin printf '%s\n' \
        'sw PROFILE [FLAGS]   switch this shell to PROFILE (flags: swrole --help)' \
        'sw                   the active profile, account, role, region and time left' \
        'sw -                 back to the previous profile' \
        'sw off               clear everything swrole set' \
        'sw -- NAME           a profile named like a subcommand, off or -' \
        'sw console|explain|doctor|cache|keys|list ...   swrole'"'"'s own commands' \
        'SWROLE_REFRESH_MINUTES=10 renews the role before it expires; SWROLE_QUIET=1 silences sw'
}

# Switch to profile $1 with the flags that follow. The profile goes after `--`, so that a
# name starting with `-` is still a profile. The flags are kept (but a one-time MFA code)
# for the auto-refresh, which renews what this shell chose.
__swrole_switch() {
    \builtin local __swrole_out __swrole_profile="${1-}" __swrole_rc
    [[ $# -gt 0 ]] && \builtin shift
    __swrole_out="$(\command swrole --shell bash "$@" -- "${__swrole_profile}")"
    __swrole_rc=$?
    [[ "${__swrole_rc}" -eq 0 ]] || return "${__swrole_rc}"
    \builtin eval "${__swrole_out}"
    # A refresh keeps the flags of the switch it renews.
    [[ -z "${SWROLE_REFRESHING-}" ]] || return 0
    __swrole_flags=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -t | --token-code) \builtin shift ;;
            -t?* | --token-code=* | --refresh | --print) ;;
            *) __swrole_flags+=("$1") ;;
        esac
        \builtin shift
    done
    if [[ -z "${SWROLE_QUIET-}" ]]; then
        __swrole_status >&2
    fi
}

# Seconds since the epoch from the shell itself: no process.
__swrole_now() {
    if [[ -n "${EPOCHSECONDS-}" ]]; then
        __swrole_epoch=${EPOCHSECONDS}
    else
        \builtin printf -v __swrole_epoch '%(%s)T' -1
    fi
}

# "42m", "3h05m" or "expired" for SWROLE_EXPIRATION, into __swrole_left.
__swrole_time_left() {
    __swrole_left=""
    case "${SWROLE_EXPIRATION-}" in
        "" | *[!0-9]*) return ;;
        *) ;;
    esac
    __swrole_now
    \builtin local secs=$((SWROLE_EXPIRATION - __swrole_epoch))
    # Whole minutes, rounded to the nearest, as swrole itself writes them.
    \builtin local minutes=$(((secs + 30) / 60))
    if [[ "${secs}" -le 0 ]]; then
        __swrole_left="expired"
    elif [[ "${minutes}" -ge 60 ]]; then
        \builtin printf -v __swrole_left '%dh%02dm' $((minutes / 60)) $((minutes % 60))
    else
        __swrole_left="${minutes}m"
    fi
}

__swrole_status() {
    if [[ -z "${SWROLE_PROFILE-}" ]]; then
        \builtin printf 'swrole: no role active (sw PROFILE to switch)\n' >&2
        return 1
    fi
    \builtin local __swrole_left
    __swrole_time_left
    \builtin printf '%s' "${SWROLE_PROFILE}"
    [[ -n "${AWS_ACCOUNT_ID-}" ]] && \builtin printf '  account %s' "${AWS_ACCOUNT_ID}"
    [[ -n "${SWROLE_ROLE_ARN-}" ]] && \builtin printf '  role %s' "${SWROLE_ROLE_ARN#*:role/}"
    [[ -n "${AWS_REGION-}" ]] && \builtin printf '  region %s' "${AWS_REGION}"
    case "${__swrole_left}" in
        "") ;;
        expired) \builtin printf '  expired' ;;
        *) \builtin printf '  %s left' "${__swrole_left}" ;;
    esac
    \builtin printf '\n'
}

# SWROLE_PROMPT="sw-production 42m" (in the profile's swrole_color), or empty.
swrole_prompt_update() {
    SWROLE_PROMPT=""
    [[ -n "${SWROLE_PROFILE-}" ]] || return 0
    \builtin local __swrole_left text color=""
    __swrole_time_left
    text="${SWROLE_PROFILE}${__swrole_left:+ ${__swrole_left}}"
    case "${SWROLE_COLOR-}" in
        black) color=30 ;; red) color=31 ;; green) color=32 ;; yellow) color=33 ;;
        blue) color=34 ;; magenta) color=35 ;; cyan) color=36 ;; white) color=37 ;;
        "" | *[!0-9]*) ;;
        *) color="38;5;${SWROLE_COLOR}" ;;
    esac
    if [[ -n "${color}" ]]; then
        # \001 and \002 tell readline that the escape sequences take no room.
        SWROLE_PROMPT=$'\001\e['"${color}"$'m\002'"${text}"$'\001\e[0m\002'
    else
        SWROLE_PROMPT="${text}"
    fi
}

# The same text on stdout, for `PS1='$(swrole_prompt_info) ...'` (one subshell a prompt).
swrole_prompt_info() {
    swrole_prompt_update
    \builtin printf '%s' "${SWROLE_PROMPT}"
}

# Renew the active profile when it expires within SWROLE_REFRESH_MINUTES (read now, so it
# can be set or changed at any time). It renews what this shell already chose, with the
# flags of that switch: it never asks (no confirmation, no MFA code: SWROLE_MFA_PROMPT=never),
# and when it cannot renew, swrole says so in one line and the shell goes on.
__swrole_refresh() {
    case "${SWROLE_REFRESH_MINUTES-}" in
        "" | *[!0-9]*) return 0 ;;
        *) ;;
    esac
    case "${SWROLE_EXPIRATION-}" in
        "" | *[!0-9]*) return 0 ;;
        *) ;;
    esac
    [[ -n "${SWROLE_PROFILE-}" ]] || return 0
    \builtin local __swrole_epoch
    __swrole_now
    if [[ $((SWROLE_EXPIRATION - __swrole_epoch)) -le $((SWROLE_REFRESH_MINUTES * 60)) ]]; then
        SWROLE_MFA_PROMPT=never SWROLE_REFRESHING=1 __swrole_switch "${SWROLE_PROFILE}" "${__swrole_flags[@]}" \
            --yes --refresh-margin "${SWROLE_REFRESH_MINUTES}m" || true
    fi
}

# Before each prompt, in this order whatever else PROMPT_COMMAND holds: renew, then the
# prompt text, so that the prompt never shows the time of the old credentials.
__swrole_precmd() {
    __swrole_refresh
    swrole_prompt_update
}

__swrole_complete() {
    \builtin local cur="${COMP_WORDS[COMP_CWORD]}" words
    if [[ "${COMP_CWORD}" -eq 1 ]]; then
        words="$(\command swrole list 2>/dev/null) off -"
    elif [[ "${COMP_CWORD}" -eq 2 && "${COMP_WORDS[1]}" =~ ^(console|explain|exec|credential-process)$ ]]; then
        words="$(\command swrole list 2>/dev/null)"
    else
        words="--profile --token-code --duration --region --session-name --connect-timeout --read-timeout --process-timeout --no-cache --refresh --refresh-margin --mfa-session-duration --mfa-process --mfa-timeout --yes --verbose" # swrole: flags
    fi
    \builtin mapfile -t COMPREPLY < <(\builtin compgen -W "${words}" -- "${cur}" || true)
}

sw() { __swrole_sw "$@"; }                     # swrole: cmd
\builtin complete -F __swrole_complete sw      # swrole: cmd
# swrole's hints name the function (`sw off`, not `eval "$(swrole unset)"`).
# shellcheck disable=SC2034 # exported for swrole itself
\builtin export SWROLE_CMD=sw                  # swrole: cmd
# The refresh flags of this shell (none until a switch).
[[ -n "${__swrole_flags+x}" ]] || __swrole_flags=()
# One hook, installed once however often this file is sourced. (Not PS0, which runs in a
# subshell and cannot change this shell's variables; not a DEBUG trap, which runs before
# every simple command and is often owned by other tools: before each prompt the
# credentials are renewed before the next command is typed.)
if [[ "${PROMPT_COMMAND-}" != *__swrole_precmd* ]]; then
    PROMPT_COMMAND="__swrole_precmd${PROMPT_COMMAND:+;${PROMPT_COMMAND}}"
fi
