# shellcheck shell=bash
# What the bash and zsh integrations share, written once: `swrole init bash|zsh` puts it
# where shell/swrole.bash and shell/swrole.zsh say `# swrole: core`, with @SHELL@ replaced
# by the shell's name and the lines marked `# swrole: zsh only` kept for zsh alone. This
# header ends at the first empty line and is not part of what `init` prints.
# The code is the subset of bash that zsh runs alike (and that shellcheck can read).

__swrole_sw() {
    \builtin local __swrole_out
    case "${1-}" in
        "")
            __swrole_status
            return
            ;;
        -- | --profile)
            # `sw -- NAME`: a profile named like a subcommand, `off` or `-`.
            __swrole_switch "$@"
            return
            ;;
        -)
            if [[ -z "${SWROLE_PREVIOUS_PROFILE-}" ]]; then
                \builtin printf 'swrole: no previous profile to switch back to\n' >&2
                return 1
            fi
            \builtin shift
            \builtin set -- -- "${SWROLE_PREVIOUS_PROFILE}" "$@"
            ;;
        off | unset) # swrole: subcommands
            __swrole_out="$(\command swrole unset --shell @SHELL@)" || return
            \builtin eval "${__swrole_out}"
            return
            ;;
        -h | --help) # swrole: subcommands
            __swrole_help
            return
            ;;
        -V | --version | help | init | list | exec | explain | doctor | cache | credential-process | keys | team | setup | login | sso | log | guard | console | man | completions) # swrole: subcommands
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

# Switch with the words as typed, flags before or after the profile (`sw -y prod`,
# `sw prod -d 15m`): the profile is the first word that is neither a flag nor a flag's value,
# or the word after `--` or `--profile`. It goes to swrole after `--`, so a name starting
# with `-` stays a profile. The flags are kept (but the one-time ones) for the auto-refresh,
# which renews what this shell chose.
__swrole_switch() {
    \builtin local __swrole_out __swrole_profile="" __swrole_found="" __swrole_rc
    \builtin local -a __swrole_args
    __swrole_args=()
    # Ctrl-C at swrole's question interrupts sw as it does any command: the rest of the
    # line (a loop) does not run. (No INT trap in zsh: one that returns lets a loop go on.
    # The status is the shell's own for an interrupted function: 130, and 2 in zsh.)
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -- | --profile)
                if [[ $# -gt 1 && -z "${__swrole_found}" ]]; then
                    __swrole_profile="$2"
                    __swrole_found=1
                    \builtin shift
                fi
                ;;
            --profile=*)
                __swrole_profile="${1#--profile=}"
                __swrole_found=1
                ;;
            -t | --token-code | -d | --duration | -r | --region | --session-name | --connect-timeout | --read-timeout | --mfa-process | --mfa-timeout | --process-timeout | --refresh-margin | --mfa-session-duration | --reason | -s | --shell) # swrole: value flags
                __swrole_args+=("$1")
                if [[ $# -gt 1 ]]; then
                    __swrole_args+=("$2")
                    \builtin shift
                fi
                ;;
            -?*) __swrole_args+=("$1") ;;
            *)
                if [[ -z "${__swrole_found}" ]]; then
                    __swrole_profile="$1"
                    __swrole_found=1
                else
                    __swrole_args+=("$1")
                fi
                ;;
        esac
        \builtin shift
    done
    if [[ -z "${__swrole_found}" ]]; then
        \builtin printf 'swrole: no profile given: %s PROFILE [FLAGS] (%s --help)\n' "${SWROLE_CMD:-sw}" "${SWROLE_CMD:-sw}" >&2
        return 2
    fi
    __swrole_out="$(\command swrole --shell @SHELL@ "${__swrole_args[@]}" -- "${__swrole_profile}")"
    __swrole_rc=$?
    [[ "${__swrole_rc}" -eq 0 ]] || return "${__swrole_rc}"
    \builtin eval "${__swrole_out}"
    # A refresh keeps the flags of the switch it renews.
    [[ -z "${SWROLE_REFRESHING-}" ]] || return 0
    __swrole_flags=()
    \builtin set -- "${__swrole_args[@]}"
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -t | --token-code | -s | --shell | --reason) \builtin shift ;;
            -t?* | --token-code=* | -s?* | --shell=* | --reason=* | --write | --refresh | --print | --no-cache | --background) ;;
            *) __swrole_flags+=("$1") ;;
        esac
        \builtin shift
    done
    if [[ -z "${SWROLE_QUIET-}" ]]; then
        __swrole_switched >&2
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

# `sw` alone: the active role, one labelled line each, whatever the terminal's width.
__swrole_status() {
    if [[ -z "${SWROLE_PROFILE-}" ]]; then
        \builtin printf 'swrole: no role active (sw PROFILE to switch)\n' >&2
        return 1
    fi
    \builtin local __swrole_left role="${SWROLE_ROLE_ARN-}"
    role="${role#*:role/}"
    __swrole_time_left
    \builtin printf '%s\n' "${SWROLE_PROFILE}"
    [[ -z "${AWS_ACCOUNT_ID-}" ]] || \builtin printf '  account  %s\n' "${AWS_ACCOUNT_ID}"
    [[ -z "${role}" ]] || \builtin printf '  role     %s\n' "${role}"
    [[ -z "${AWS_REGION-}" ]] || \builtin printf '  region   %s\n' "${AWS_REGION}"
    case "${SWROLE_ACCESS-}" in
        ro) \builtin printf '  access   read-only\n' ;;
        rw) \builtin printf '  access   write (RW)\n' ;;
        *) ;;
    esac
    case "${__swrole_left}" in
        "") ;;
        expired) \builtin printf '  expires  expired\n' ;;
        *) \builtin printf '  expires  in %s\n' "${__swrole_left}" ;;
    esac
}

# The line after a switch, one shape at every width: the profile (cut at 40 characters),
# account, ro or RW, time left; under 80 columns. A switch in a subshell (`sw X | cat`)
# says that it ends with the subshell.
__swrole_switched() {
    \builtin local __swrole_left line="${SWROLE_PROFILE-}" access=""
    [[ "${#line}" -le 40 ]] || line="${line:0:39}…"
    __swrole_time_left
    case "${SWROLE_ACCESS-}" in
        ro) access=ro ;;
        rw) access=RW ;;
        *) ;;
    esac
    case "${__swrole_left}" in
        "" | expired) ;;
        *) __swrole_left="${__swrole_left} left" ;;
    esac
    line="${line}${AWS_ACCOUNT_ID:+  ${AWS_ACCOUNT_ID}}${access:+  ${access}}${__swrole_left:+  ${__swrole_left}}"
    # shellcheck disable=SC2154 # ZSH_SUBSHELL is zsh's
    if [[ "${BASH_SUBSHELL:-0}" -gt 0 || "${ZSH_SUBSHELL:-0}" -gt 0 ]]; then
        line="${line}  (in a subshell: this shell is unchanged)"
    fi
    \builtin printf '%s\n' "${line}"
}

# The same text on stdout, for `PS1='$(swrole_prompt_info) ...'` or
# `RPROMPT='$(swrole_prompt_info)'` (one subshell a prompt).
swrole_prompt_info() {
    swrole_prompt_update
    \builtin printf '%s' "${SWROLE_PROMPT}"
}

# Renew the active profile when it expires within SWROLE_REFRESH_MINUTES (read now, so it
# can be set or changed at any time). It renews what this shell already chose, with the
# flags of that switch: it never asks (no confirmation, no MFA code: SWROLE_MFA_PROMPT=never)
# and never waits (swrole --background renews in a process of its own); when it cannot
# renew, swrole says so in one line, once, and tries again a few minutes later. Run before
# each prompt (bash) or before each command (zsh).
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
    \builtin local __swrole_epoch __swrole_out profile="${SWROLE_PROFILE}"
    __swrole_now
    if [[ "${SWROLE_ACCESS-}" == rw ]]; then
        # Write access is never renewed (the flags kept hold neither --write nor --reason): when
        # its session ends, the shell goes back to read-only, or drops the role.
        [[ $((SWROLE_EXPIRATION - __swrole_epoch)) -le 0 ]] || return 0
        if SWROLE_QUIET=1 SWROLE_MFA_PROMPT=never SWROLE_REFRESHING=1 __swrole_switch "${__swrole_flags[@]}" \
            --yes --background --refresh-margin "${SWROLE_REFRESH_MINUTES}m" -- "${profile}"; then
            \builtin printf 'swrole: write access to %s ended: read-only again\n' "${profile}" >&2
        else
            __swrole_out="$(\command swrole unset --shell @SHELL@)" && \builtin eval "${__swrole_out}"
            \builtin printf 'swrole: write access to %s ended: role dropped (%s %s switches back, read-only)\n' "${profile}" "${SWROLE_CMD:-sw}" "${profile}" >&2
        fi
        return 0
    fi
    if [[ $((SWROLE_EXPIRATION - __swrole_epoch)) -le $((SWROLE_REFRESH_MINUTES * 60)) ]]; then
        # Never a wait: fresh credentials from the cache if a renewal put them there, else a
        # renewal started in the background (picked up before a later command).
        SWROLE_MFA_PROMPT=never SWROLE_REFRESHING=1 __swrole_switch "${__swrole_flags[@]}" \
            --yes --background --refresh-margin "${SWROLE_REFRESH_MINUTES}m" -- "${SWROLE_PROFILE}" || true
    fi
}

# A guarded profile (swrole_confirm, or read-only by policy: SWROLE_GUARDED is its account)
# makes the terminal look different while it is active: the title says so and, where the
# terminal can (VTE, kitty, WezTerm, iTerm2, xterm), the background takes a tint
# (SWROLE_TINT, default #301010; SWROLE_TINT=off for neither). Off again after `sw off`,
# `sw -` to another profile, or expiry. Never an escape where stdout is not a terminal.
__swrole_tint() {
    \builtin local want="" __swrole_left
    if [[ -n "${SWROLE_GUARDED-}" && -n "${SWROLE_PROFILE-}" && "${SWROLE_TINT-}" != off ]]; then
        __swrole_time_left
        [[ "${__swrole_left}" == expired ]] || want="${SWROLE_PROFILE} ${SWROLE_GUARDED}"
    fi
    [[ "${want}" != "${__swrole_tinted-}" ]] || return 0
    [[ -t 1 && "${TERM-dumb}" != dumb ]] || return 0
    \builtin local bg="" tint="${SWROLE_TINT:-#301010}"
    if [[ -n "${VTE_VERSION-}" || -n "${KITTY_WINDOW_ID-}" || "${TERM_PROGRAM-}" == WezTerm || "${TERM_PROGRAM-}" == iTerm.app || "${TERM-}" == xterm || "${XTERM_VERSION-}" == XTerm* ]]; then
        bg=1
    fi
    if [[ -n "${__swrole_tinted-}" ]]; then
        # The title the terminal had before (its title stack), and its own background.
        \builtin printf '\033[23;0t'
        [[ -z "${bg}" ]] || \builtin printf '\033]111\007'
        [[ "${TERM_PROGRAM-}" != iTerm.app ]] || \builtin printf '\033]6;1;bg;*;default\007'
    fi
    if [[ -n "${want}" ]]; then
        \builtin printf '\033[22;0t\033]2;%s\007' "!! ${SWROLE_PROFILE} (${SWROLE_GUARDED}) !!"
        [[ -z "${bg}" ]] || \builtin printf '\033]11;%s\007' "${tint}"
        [[ "${TERM_PROGRAM-}" != iTerm.app ]] || \builtin printf '\033]6;1;bg;red;brightness;180\007'
    fi
    __swrole_tinted="${want}"
}

# Idle revert: a guarded profile with an idle limit (SWROLE_IDLE seconds, from swrole_idle)
# left that long since the last command (the switch itself included) ended is dropped before
# the next command line runs, and that line stays in the editor, not run: nothing typed for
# production runs without it unseen. One line says so; `sw -` brings the role back (asking as
# a switch does). __swrole_command_ended marks the end of each command (the prompt hook).
__swrole_command_ended() {
    \builtin local __swrole_epoch
    __swrole_now
    __swrole_last_command="${__swrole_epoch}"
}

# Status 0 when the active profile is due to be dropped.
__swrole_idle_due() {
    [[ -n "${SWROLE_GUARDED-}" && -n "${SWROLE_PROFILE-}" ]] || return 1
    case "${SWROLE_IDLE-}" in
        "" | *[!0-9]*) return 1 ;;
        *) ;;
    esac
    \builtin local __swrole_epoch
    __swrole_now
    if [[ -z "${__swrole_last_command-}" ]]; then
        # No command has ended in this shell yet (a switch in the rc file): from now.
        __swrole_last_command="${__swrole_epoch}"
        return 1
    fi
    [[ $((__swrole_epoch - __swrole_last_command)) -ge "${SWROLE_IDLE}" ]]
}

# Drop the active profile; one line says so (and, with `kept`, that the line did not run).
__swrole_drop() {
    \builtin local __swrole_out profile="${SWROLE_PROFILE}" minutes=$(((SWROLE_IDLE + 59) / 60)) kept=""
    [[ "${1-}" != kept ]] || kept="; the line did not run"
    __swrole_out="$(\command swrole unset --shell @SHELL@)" || return 0
    \builtin eval "${__swrole_out}"
    \builtin printf 'swrole: dropped %s after %sm without a command%s (%s - brings it back)\n' "${profile}" "${minutes}" "${kept}" "${SWROLE_CMD:-sw}" >&2
}

# At a prompt (no line typed): drop what is due.
__swrole_idle() {
    ! __swrole_idle_due || __swrole_drop
}

# The question before a command the active guarded profile lists (swrole_guard_commands):
# swrole asks it on the terminal (one key) and says by its exit status whether to run. A no
# (status 1) leaves the line where it is, untouched; swrole's own failure (2) runs the line.
# The line goes to swrole on a pipe, with the shell's aliases (so that `tf apply` is seen as
# `terraform apply`), never as an argument that any local user could read. Sets
# __swrole_run to 1 (run) or "" (do not).
__swrole_guard() {
    __swrole_run=1
    if __swrole_idle_due; then
        # Its own line, below the command line.
        \builtin zle -I # swrole: zsh only
        \builtin printf '\n' >/dev/tty
        if [[ -n "${1//[[:space:]]/}" ]]; then
            __swrole_run=""
            __swrole_drop kept
        else
            __swrole_drop
        fi
        return 0
    fi
    [[ -n "${SWROLE_GUARDED-}" && -n "${SWROLE_PROFILE-}" && -n "${1//[[:space:]]/}" ]] || return 0
    # First only whether it asks (3): the screen changes only for a question, so every other
    # line is drawn once; 0 runs it, 2 (the guard could not check, said) runs it too.
    {
        \builtin printf '%s\0' "$1"
        \builtin alias || true
    } | \command swrole guard --check
    [[ $? -eq 3 ]] || return 0
    \builtin zle -I # swrole: zsh only
    \builtin printf '\n' >/dev/tty
    {
        \builtin printf '%s\0' "$1"
        \builtin alias || true
    } | \command swrole guard >/dev/tty
    [[ $? -ne 1 ]] || __swrole_run=""
}
