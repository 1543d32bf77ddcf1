# shellcheck shell=bash
# swrole for zsh: `eval "$(swrole init zsh)"` in ~/.zshrc, after compinit (for completion).
# (This file is a template: `swrole init zsh` puts shell/core.sh, shared with bash, where
# it says `# swrole: core`.)
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

# swrole: core

# SWROLE_PROMPT="sw-production 42m" as a prompt string: % doubled, and in the profile's
# swrole_color (%F{...}) when it has one.
swrole_prompt_update() {
    SWROLE_PROMPT=""
    [[ -n "${SWROLE_PROFILE-}" ]] || return 0
    \builtin local __swrole_left text
    __swrole_time_left
    \builtin local access="${SWROLE_ACCESS-}"
    [[ "${access}" != rw ]] || access=RW
    text="${SWROLE_PROFILE//\%/%%}${access:+ ${access}}${__swrole_left:+ ${__swrole_left}}"
    if [[ -n "${SWROLE_COLOR-}" ]]; then
        SWROLE_PROMPT="%F{${SWROLE_COLOR}}${text}%f"
    else
        SWROLE_PROMPT="${text}"
    fi
}

# Completion, asked from swrole at each Tab (clap's one description of the commands; the
# profile names from the AWS files). `sw` takes swrole's words, plus `off` and `-` first.
__swrole_touch() {
    __swrole_ran=1
}

__swrole_precmd() {
    if [[ -n "${__swrole_ran-}" ]]; then
        __swrole_ran=""
        __swrole_command_ended
    else
        __swrole_idle
    fi
    __swrole_tint
    swrole_prompt_update
}

__swrole_accept_line() {
    \builtin local __swrole_run
    # shellcheck disable=SC2154 # BUFFER is zle's
    __swrole_guard "${BUFFER}"
    if [[ -n "${__swrole_run}" ]]; then
        \builtin zle __swrole_accept_line_before
    else
        \builtin zle .reset-prompt
    fi
}

__swrole_candidates() {
    # shellcheck disable=SC2154,SC2296,SC2312 # zsh: CURRENT and words come from compsys; split lines
    reply=("${(@f)$(_CLAP_IFS=$'\n' _CLAP_COMPLETE_INDEX=$((CURRENT - 1)) SWROLE_COMPLETE=bash \command swrole -- swrole "${(@)words[2,-1]}" 2>/dev/null)}")
}

__swrole_complete() {
    \builtin local -a reply
    __swrole_candidates
    # shellcheck disable=SC2154 # CURRENT is set by zsh's completion system
    [[ "${CURRENT}" -eq 2 ]] && reply+=(off -)
    compadd -- "${reply[@]}"
}

__swrole_complete_swrole() {
    \builtin local -a reply
    __swrole_candidates
    compadd -- "${reply[@]}"
}

sw() { __swrole_sw "$@"; }                           # swrole: cmd
if \builtin whence compdef >/dev/null 2>&1; then
    compdef __swrole_complete sw                     # swrole: cmd
    compdef __swrole_complete_swrole swrole
fi
# swrole's hints name the function (`sw off`, not `eval "$(swrole unset)"`).
# shellcheck disable=SC2034 # exported for swrole itself
\builtin export SWROLE_CMD=sw                        # swrole: cmd
[[ -n "${__swrole_flags+x}" ]] || __swrole_flags=()
# Renew before the user's command runs (preexec), keep the prompt text current (precmd).
# add-zsh-hook adds a function once, however often this file is sourced.
\builtin autoload -Uz add-zsh-hook
add-zsh-hook preexec __swrole_refresh
add-zsh-hook preexec __swrole_touch
add-zsh-hook precmd __swrole_precmd
# The command guard: Enter asks first in a guarded profile; "no" keeps the line in the editor.
# Whatever accept-line was before (another plugin's wrapper) still runs after the guard; a
# second source of this file does not wrap it twice.
if [[ -o interactive ]] && ((! ${+widgets[__swrole_accept_line_before]})); then
    \builtin zle -A accept-line __swrole_accept_line_before
    \builtin zle -N accept-line __swrole_accept_line
fi
