# shellcheck shell=bash
# swrole for zsh: `source shell/swrole.zsh` or `eval "$(swrole init zsh)"` in ~/.zshrc
# (after compinit, for completion).
#
#   sw PROFILE [FLAGS]   switch this shell to PROFILE (flags as for `swrole PROFILE`)
#   sw                   show the active profile, account, role, region and time left
#   sw -                 switch back to the previous profile
#   sw off               clear everything swrole set
#
# Prompt, without starting any process: this file keeps SWROLE_PROMPT up to date before
# each prompt, so two lines do it:
#   setopt prompt_subst
#   RPROMPT='${SWROLE_PROMPT}'
# Auto-refresh before expiry (off by default): SWROLE_REFRESH_MINUTES=10, read before each
# command (set or change it any time). A switch says one line on stderr; SWROLE_QUIET=1
# silences it.
# Everything here is a function; the names other than sw and swrole_prompt_* start __swrole_.
# (The code is kept to the subset shellcheck can read as bash, so it can be linted.)

\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

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
            __swrole_out="$(\command swrole unset --shell zsh)" || return
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

# Switch to profile $1 with the flags that follow. The profile goes after `--`, so that a
# name starting with `-` is still a profile.
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

# The flags are kept (but a one-time MFA code) for the auto-refresh, which renews what
# this shell chose.
__swrole_switch() {
    \builtin local __swrole_out __swrole_profile="${1-}" __swrole_rc
    # Ctrl-C at swrole's question: return 130, as bash and fish do (zsh would say 2).
    \builtin setopt localoptions localtraps
    \builtin trap 'return 130' INT
    [[ $# -gt 0 ]] && \builtin shift
    __swrole_out="$(\command swrole --shell zsh "$@" -- "${__swrole_profile}")"
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

# "42m", "3h05m" or "expired" for SWROLE_EXPIRATION, into __swrole_left (zsh's own clock).
__swrole_time_left() {
    __swrole_left=""
    case "${SWROLE_EXPIRATION-}" in
        "" | *[!0-9]*) return ;;
        *) ;;
    esac
    \builtin local secs=$((SWROLE_EXPIRATION - EPOCHSECONDS))
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

# SWROLE_PROMPT="sw-production 42m" as a prompt string: % doubled, and in the profile's
# swrole_color (%F{...}) when it has one.
swrole_prompt_update() {
    SWROLE_PROMPT=""
    [[ -n "${SWROLE_PROFILE-}" ]] || return 0
    \builtin local __swrole_left text
    __swrole_time_left
    text="${SWROLE_PROFILE//\%/%%}${__swrole_left:+ ${__swrole_left}}"
    if [[ -n "${SWROLE_COLOR-}" ]]; then
        SWROLE_PROMPT="%F{${SWROLE_COLOR}}${text}%f"
    else
        SWROLE_PROMPT="${text}"
    fi
}

# The same text on stdout, for `RPROMPT='$(swrole_prompt_info)'` (one subshell a prompt).
swrole_prompt_info() {
    swrole_prompt_update
    \builtin printf '%s' "${SWROLE_PROMPT}"
}

# Renew the active profile when it expires within SWROLE_REFRESH_MINUTES (read now). It
# renews what this shell already chose, with the flags of that switch: it never asks (no
# confirmation, no MFA code), and when it cannot renew, swrole says so in one line and the
# command runs.
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
    if [[ $((SWROLE_EXPIRATION - EPOCHSECONDS)) -le $((SWROLE_REFRESH_MINUTES * 60)) ]]; then
        SWROLE_MFA_PROMPT=never SWROLE_REFRESHING=1 __swrole_switch "${SWROLE_PROFILE}" "${__swrole_flags[@]}" \
            --yes --refresh-margin "${SWROLE_REFRESH_MINUTES}m" || true
    fi
}

__swrole_profiles() {
    # shellcheck disable=SC2296,SC2312 # zsh: split the command's output into lines
    reply=("${(@f)$(\command swrole list 2>/dev/null)}")
}

__swrole_complete() {
    \builtin local -a reply
    # shellcheck disable=SC2154 # CURRENT and words are set by zsh's completion system
    if [[ "${CURRENT}" -eq 2 ]]; then
        __swrole_profiles
        compadd -- "${reply[@]}" off -
    elif [[ "${CURRENT}" -eq 3 && "${words[2]}" =~ ^(console|explain|exec|credential-process)$ ]]; then
        __swrole_profiles
        compadd -- "${reply[@]}"
    else
        compadd -- --profile --token-code --duration --region --session-name --connect-timeout --read-timeout --process-timeout --no-cache --refresh --refresh-margin --mfa-session-duration --mfa-process --mfa-timeout --yes --verbose # swrole: flags
    fi
}

sw() { __swrole_sw "$@"; }                           # swrole: cmd
if \builtin whence compdef >/dev/null 2>&1; then
    compdef __swrole_complete sw                     # swrole: cmd
fi
# swrole's hints name the function (`sw off`, not `eval "$(swrole unset)"`).
# shellcheck disable=SC2034 # exported for swrole itself
\builtin export SWROLE_CMD=sw                        # swrole: cmd
[[ -n "${__swrole_flags+x}" ]] || __swrole_flags=()
# Renew before the user's command runs (preexec), keep the prompt text current (precmd).
# add-zsh-hook adds a function once, however often this file is sourced.
\builtin autoload -Uz add-zsh-hook
add-zsh-hook preexec __swrole_refresh
add-zsh-hook precmd swrole_prompt_update
