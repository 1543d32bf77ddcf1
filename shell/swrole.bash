# shellcheck shell=bash
# swrole for bash: `eval "$(swrole init bash)"` in ~/.bashrc. (This file is a template:
# `swrole init bash` puts shell/core.sh, shared with zsh, where it says `# swrole: core`.)
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

# swrole: core

# SWROLE_PROMPT="sw-production 42m" (in the profile's swrole_color), or empty.
swrole_prompt_update() {
    SWROLE_PROMPT=""
    [[ -n "${SWROLE_PROFILE-}" ]] || return 0
    \builtin local __swrole_left text color=""
    __swrole_time_left
    \builtin local access="${SWROLE_ACCESS-}"
    [[ "${access}" != rw ]] || access=RW
    text="${SWROLE_PROFILE}${access:+ ${access}}${__swrole_left:+ ${__swrole_left}}"
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

# Before each prompt, in this order whatever else PROMPT_COMMAND holds: renew, then the
# prompt text, so that the prompt never shows the time of the old credentials.
__swrole_precmd() {
    # The number of the next command (\#) moved: a command ran since the last prompt.
    \builtin local number='\#'
    number="${number@P}"
    if [[ "${number}" != "${__swrole_command_number-}" ]]; then
        __swrole_command_number="${number}"
        __swrole_command_ended
    else
        __swrole_idle
    fi
    __swrole_refresh
    __swrole_tint
    swrole_prompt_update
}

# The command guard on Enter: readline runs the guard, then the key it leaves bound (the
# line accepted, or only redrawn so that it stays in the editor, untouched).
__swrole_accept_line() {
    \builtin local __swrole_run
    __swrole_guard "${READLINE_LINE}"
    if [[ -n "${__swrole_run}" ]]; then
        \builtin bind '"\C-x\C-y": accept-line'
    else
        \builtin bind '"\C-x\C-y": redraw-current-line'
    fi
}

# Completion, asked from swrole at each Tab (clap's one description of the commands; the
# profile names from the AWS files). `sw` takes swrole's words, plus `off` and `-` first.
__swrole_candidates() {
    \builtin local -a words
    words=("${COMP_WORDS[@]}")
    words[0]=swrole
    \builtin mapfile -t COMPREPLY < <(_CLAP_IFS=$'\n' _CLAP_COMPLETE_INDEX="${COMP_CWORD}" SWROLE_COMPLETE=bash \command swrole -- "${words[@]}" 2>/dev/null || true)
}

__swrole_complete() {
    __swrole_candidates
    if [[ "${COMP_CWORD}" -eq 1 ]]; then
        \builtin mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(\builtin compgen -W "off -" -- "${COMP_WORDS[COMP_CWORD]}" || true)
    fi
}

sw() { __swrole_sw "$@"; }                     # swrole: cmd
\builtin complete -o nosort -F __swrole_complete sw  # swrole: cmd
\builtin complete -o nosort -F __swrole_candidates swrole
# swrole's hints name the function (`sw off`, not `eval "$(swrole unset)"`).
# shellcheck disable=SC2034 # exported for swrole itself
\builtin export SWROLE_CMD=sw                  # swrole: cmd
# The refresh flags of this shell (none until a switch).
[[ -n "${__swrole_flags+x}" ]] || __swrole_flags=()
# One hook, installed once however often this file is sourced. (Not PS0, which runs in a
# subshell and cannot change this shell's variables; not a DEBUG trap, which runs before
# every simple command and is often owned by other tools: before each prompt the
# credentials are renewed before the next command is typed.)
if [[ $- == *i* ]] && \builtin bind -V >/dev/null 2>&1; then
    for __swrole_map in emacs vi-insert; do
        \builtin bind -m "${__swrole_map}" -x '"\C-x\C-g": __swrole_accept_line'
        \builtin bind -m "${__swrole_map}" '"\C-x\C-y": accept-line'
        \builtin bind -m "${__swrole_map}" '"\C-m": "\C-x\C-g\C-x\C-y"'
        \builtin bind -m "${__swrole_map}" '"\C-j": "\C-x\C-g\C-x\C-y"'
    done
    \builtin unset __swrole_map
fi
if [[ "${PROMPT_COMMAND-}" != *__swrole_precmd* ]]; then
    PROMPT_COMMAND="__swrole_precmd${PROMPT_COMMAND:+;${PROMPT_COMMAND}}"
fi
