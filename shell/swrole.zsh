# shellcheck shell=bash
# swrole for zsh: `source shell/swrole.zsh` or `eval "$(swrole init zsh)"` in ~/.zshrc
# (after compinit, for completion).
#
#   sw PROFILE [FLAGS]   switch this shell to PROFILE (flags as for `swrole PROFILE`)
#   sw                   show the active profile, account, role, region and time left
#   sw -                 switch back to the previous profile
#   sw off               clear everything swrole set
#
# Prompt, without starting any process:
#   setopt prompt_subst
#   precmd_functions+=(swrole_prompt_update)
#   RPROMPT='${SWROLE_PROMPT}'
# Auto-refresh before expiry (off by default): SWROLE_REFRESH_MINUTES=10 before this file.
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
        -h | --help | -V | --version | help | init | list | exec | explain | doctor | cache | credential-process | keys | console | man | completions) # swrole: subcommands
            \command swrole "$@"
            return
            ;;
        *) ;;
    esac
    __swrole_switch "$@"
}

# Switch to profile $1 with the flags that follow. The profile goes after `--`, so that a
# name starting with `-` is still a profile.
__swrole_switch() {
    \builtin local __swrole_out __swrole_profile="${1-}"
    [[ $# -gt 0 ]] && \builtin shift
    __swrole_out="$(\command swrole --shell zsh "$@" -- "${__swrole_profile}")" || return
    \builtin eval "${__swrole_out}"
}

# "42m", "3h05m" or "expired" for SWROLE_EXPIRATION, into __swrole_left (zsh's own clock).
__swrole_time_left() {
    __swrole_left=""
    case "${SWROLE_EXPIRATION-}" in
        "" | *[!0-9]*) return ;;
        *) ;;
    esac
    \builtin local secs=$((SWROLE_EXPIRATION - EPOCHSECONDS))
    if [[ "${secs}" -le 0 ]]; then
        __swrole_left="expired"
    elif [[ "${secs}" -ge 3600 ]]; then
        \builtin printf -v __swrole_left '%dh%02dm' $((secs / 3600)) $((secs % 3600 / 60))
    else
        __swrole_left="$((secs / 60))m"
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

# Re-run the switch for the active profile when it expires within SWROLE_REFRESH_MINUTES.
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
        \builtin printf 'swrole: refreshing %s\n' "${SWROLE_PROFILE}" >&2
        __swrole_switch "${SWROLE_PROFILE}" --refresh-margin "${SWROLE_REFRESH_MINUTES}m"
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
if [[ -n "${SWROLE_REFRESH_MINUTES-}" ]]; then
    \builtin autoload -Uz add-zsh-hook && add-zsh-hook preexec __swrole_refresh
fi
