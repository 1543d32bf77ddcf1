# swrole for fish: `source shell/swrole.fish` or `swrole init fish | source` in
# ~/.config/fish/config.fish.
#
#   sw PROFILE [FLAGS]   switch this shell to PROFILE (flags as for `swrole PROFILE`)
#   sw                   show the active profile, account, role, region and time left
#   sw -                 switch back to the previous profile
#   sw off               clear everything swrole set
#
# Prompt: `swrole_prompt_info` prints "sw-production 42m" (fish has no clock of its own,
# so it runs `date` once). Auto-refresh before expiry (off by default): set
# SWROLE_REFRESH_MINUTES=10 before this file.

function __swrole_sw
    switch "$argv[1]"
        case ''
            __swrole_status
            return
        case -- --profile
            # `sw -- NAME`: a profile named like a subcommand, `off` or `-`.
            __swrole_switch $argv
            return
        case -
            if test -z "$SWROLE_PREVIOUS_PROFILE"
                printf 'swrole: no previous profile to switch back to\n' >&2
                return 1
            end
            __swrole_switch --profile $SWROLE_PREVIOUS_PROFILE $argv[2..-1]
            return
        case off unset # swrole: subcommands
            set -l out (command swrole unset --shell fish)
            or return
            string join \n -- $out | source
            return
        case -h --help # swrole: subcommands
            __swrole_help
            return
        case -V --version help init list exec explain doctor cache credential-process keys team setup login sso log guard console man completions # swrole: subcommands
            command swrole $argv
            return
    end
    __swrole_switch $argv
end

function __swrole_help
    printf '%s\n' \
        'sw PROFILE [FLAGS]   switch this shell to PROFILE (flags: swrole --help)' \
        'sw                   the active profile, account, role, region and time left' \
        'sw -                 back to the previous profile' \
        'sw off               clear everything swrole set' \
        'sw -- NAME           a profile named like a subcommand, off or -' \
        "sw console|explain|doctor|cache|keys|list ...   swrole's own commands" \
        'SWROLE_REFRESH_MINUTES=10 renews the role before it expires; SWROLE_QUIET=1 silences sw'
end

# Switch with the words as typed, flags before or after the profile (`sw -y prod`,
# `sw prod -d 15m`): the profile is the first word that is neither a flag nor a flag's value,
# or the word after `--` or `--profile`. It goes to swrole after `--`, so a name starting
# with `-` stays a profile. The flags are kept (but the one-time ones) for the auto-refresh,
# which renews what this shell chose.
function __swrole_switch
    set -l profile
    set -l found 0
    set -l args
    set -l i 1
    while test $i -le (count $argv)
        set -l word $argv[$i]
        switch $word
            case -- --profile
                if test $found -eq 0 -a $i -lt (count $argv)
                    set i (math $i + 1)
                    set profile $argv[$i]
                    set found 1
                end
            case '--profile=*'
                set profile (string replace -- --profile= '' $word)
                set found 1
            case -t --token-code -d --duration -r --region --session-name --connect-timeout --read-timeout --mfa-process --mfa-timeout --process-timeout --refresh-margin --mfa-session-duration --reason -s --shell # swrole: value flags
                set -a args $word
                if test $i -lt (count $argv)
                    set i (math $i + 1)
                    set -a args $argv[$i]
                end
            case '-?*'
                set -a args $word
            case '*'
                if test $found -eq 0
                    set profile $word
                    set found 1
                else
                    set -a args $word
                end
        end
        set i (math $i + 1)
    end
    if test $found -eq 0
        set -l cmd sw
        set -q SWROLE_CMD; and set cmd $SWROLE_CMD
        printf 'swrole: no profile given: %s PROFILE [FLAGS] (%s --help)\n' $cmd $cmd >&2
        return 2
    end
    set -l out (command swrole --shell fish $args -- $profile)
    or return
    string join \n -- $out | source
    # A refresh keeps the flags of the switch it renews.
    test -z "$SWROLE_REFRESHING"; or return 0
    set -g __swrole_flags
    set -l skip 0
    for flag in $args
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $flag
            case -t --token-code -s --shell --reason
                set skip 1
            case '-t?*' '--token-code=*' '-s?*' '--shell=*' '--reason=*' --write --refresh --print --no-cache --background
            case '*'
                set -a __swrole_flags $flag
        end
    end
    if test -z "$SWROLE_QUIET"
        __swrole_switched >&2
    end
end

# "42m", "3h05m" or "expired" for SWROLE_EXPIRATION.
function __swrole_time_left
    string match -qr '^[0-9]+$' -- "$SWROLE_EXPIRATION"; or return
    set -l secs (math $SWROLE_EXPIRATION - (date +%s))
    # Whole minutes, rounded to the nearest, as swrole itself writes them.
    set -l minutes (math --scale=0 "($secs + 30) / 60")
    if test $secs -le 0
        echo expired
    else if test $minutes -ge 60
        printf '%dh%02dm\n' (math --scale=0 $minutes / 60) (math --scale=0 $minutes % 60)
    else
        printf '%dm\n' $minutes
    end
end

# `sw` alone: the active role, one labelled line each, whatever the terminal's width.
function __swrole_status
    if test -z "$SWROLE_PROFILE"
        printf 'swrole: no role active (sw PROFILE to switch)\n' >&2
        return 1
    end
    set -l left (__swrole_time_left)
    set -l role (string replace -r '^.*:role/' '' -- "$SWROLE_ROLE_ARN")
    printf '%s\n' $SWROLE_PROFILE
    test -n "$AWS_ACCOUNT_ID"; and printf '  account  %s\n' $AWS_ACCOUNT_ID
    test -n "$role"; and printf '  role     %s\n' $role
    test -n "$AWS_REGION"; and printf '  region   %s\n' $AWS_REGION
    switch "$SWROLE_ACCESS"
        case ro
            printf '  access   read-only\n'
        case rw
            printf '  access   write (RW)\n'
    end
    switch "$left"
        case ''
        case expired
            printf '  expires  expired\n'
        case '*'
            printf '  expires  in %s\n' $left
    end
    return 0
end

# The line after a switch, one shape at every width: the profile (cut at 40 characters),
# account, ro or RW, time left; under 80 columns.
function __swrole_switched
    set -l line $SWROLE_PROFILE
    if test (string length -- $line) -gt 40
        set line (string sub -l 39 -- $line)…
    end
    test -n "$AWS_ACCOUNT_ID"; and set line "$line  $AWS_ACCOUNT_ID"
    switch "$SWROLE_ACCESS"
        case ro
            set line "$line  ro"
        case rw
            set line "$line  RW"
    end
    set -l left (__swrole_time_left)
    switch "$left"
        case ''
        case expired
            set line "$line  expired"
        case '*'
            set line "$line  $left left"
    end
    printf '%s\n' $line
end

function swrole_prompt_info
    test -n "$SWROLE_PROFILE"; or return 0
    set -l left (__swrole_time_left)
    set -l text $SWROLE_PROFILE
    switch "$SWROLE_ACCESS"
        case ro
            set text "$text ro"
        case rw
            set text "$text RW"
    end
    test -n "$left"; and set text "$text $left"
    if test -n "$SWROLE_COLOR"
        set_color $SWROLE_COLOR
        printf '%s' $text
        set_color normal
    else
        printf '%s' $text
    end
end

function __swrole_refresh --on-event fish_preexec
    string match -qr '^[0-9]+$' -- "$SWROLE_REFRESH_MINUTES"; or return 0
    string match -qr '^[0-9]+$' -- "$SWROLE_EXPIRATION"; or return 0
    test -n "$SWROLE_PROFILE"; or return 0
    set -l left (math $SWROLE_EXPIRATION - (date +%s))
    if test "$SWROLE_ACCESS" = rw
        # Write access is never renewed (the flags kept hold neither --write nor --reason): when
        # its session ends, the shell goes back to read-only, or drops the role.
        test $left -le 0; or return 0
        set -l profile $SWROLE_PROFILE
        set -l cmd sw
        set -q SWROLE_CMD; and set cmd $SWROLE_CMD
        if SWROLE_QUIET=1 SWROLE_MFA_PROMPT=never SWROLE_REFRESHING=1 __swrole_switch $__swrole_flags --yes --background --refresh-margin {$SWROLE_REFRESH_MINUTES}m -- $profile
            printf 'swrole: write access to %s ended: read-only again\n' $profile >&2
        else
            command swrole unset --shell fish | source
            printf 'swrole: write access to %s ended: role dropped (%s %s switches back, read-only)\n' $profile $cmd $profile >&2
        end
        return 0
    end
    if test $left -le (math $SWROLE_REFRESH_MINUTES \* 60)
        # It renews what this shell chose, never asks (no confirmation, no MFA code) and never
        # waits: fresh credentials from the cache if a background renewal put them there, else
        # a renewal started in the background. When it cannot, swrole says so once.
        SWROLE_MFA_PROMPT=never SWROLE_REFRESHING=1 __swrole_switch $__swrole_flags --yes --background --refresh-margin {$SWROLE_REFRESH_MINUTES}m -- $SWROLE_PROFILE
        or true
    end
end

# A guarded profile (swrole_confirm, or read-only by policy: SWROLE_GUARDED is its account)
# makes the terminal look different while it is active: the title, and where the terminal
# can (VTE, kitty, WezTerm, iTerm2, xterm) a background tint (SWROLE_TINT, default #301010;
# SWROLE_TINT=off for neither). Never an escape where stdout is not a terminal.
function __swrole_tint
    set -l want
    if test -n "$SWROLE_GUARDED" -a -n "$SWROLE_PROFILE" -a "$SWROLE_TINT" != off
        test (__swrole_time_left) = expired; or set want "$SWROLE_PROFILE $SWROLE_GUARDED"
    end
    test "$want" != "$__swrole_tinted"; or return 0
    isatty stdout; or return 0
    test "$TERM" != dumb; or return 0
    set -l tint '#301010'
    test -n "$SWROLE_TINT"; and set tint $SWROLE_TINT
    set -l bg 0
    if set -q VTE_VERSION; or set -q KITTY_WINDOW_ID; or contains -- "$TERM_PROGRAM" WezTerm iTerm.app; or test "$TERM" = xterm
        set bg 1
    end
    if test -n "$__swrole_tinted"
        printf '\e[23;0t'
        test $bg -eq 0; or printf '\e]111\a'
        test "$TERM_PROGRAM" != iTerm.app; or printf '\e]6;1;bg;*;default\a'
    end
    if test -n "$want"
        printf '\e[22;0t\e]2;%s\a' "!! $SWROLE_PROFILE ($SWROLE_GUARDED) !!"
        test $bg -eq 0; or printf '\e]11;%s\a' $tint
        test "$TERM_PROGRAM" != iTerm.app; or printf '\e]6;1;bg;red;brightness;180\a'
    end
    set -g __swrole_tinted $want
end

# Idle revert: a guarded profile with an idle limit (SWROLE_IDLE seconds, from swrole_idle)
# left that long since the last command (the switch itself included) ended is dropped before
# the next command line runs, and that line stays in the editor, not run. One line says so.
function __swrole_touch --on-event fish_postexec
    set -g __swrole_last_command (date +%s)
end

# Status 0 when the active profile is due to be dropped.
function __swrole_idle_due
    test -n "$SWROLE_GUARDED" -a -n "$SWROLE_PROFILE"; or return 1
    string match -qr '^[0-9]+$' -- "$SWROLE_IDLE"; or return 1
    set -l now (date +%s)
    if not string match -qr '^[0-9]+$' -- "$__swrole_last_command"
        # No command has ended in this shell yet (a switch in config.fish): from now.
        set -g __swrole_last_command $now
        return 1
    end
    test (math $now - $__swrole_last_command) -ge $SWROLE_IDLE
end

# Drop the active profile; one line says so (and, with `kept`, that the line did not run).
function __swrole_drop
    set -l profile $SWROLE_PROFILE
    set -l minutes (math --scale=0 "($SWROLE_IDLE + 59) / 60")
    set -l kept
    test "$argv[1]" = kept; and set kept '; the line did not run'
    set -l out (command swrole unset --shell fish); or return 0
    string join \n -- $out | source
    set -l cmd sw
    set -q SWROLE_CMD; and set cmd $SWROLE_CMD
    printf 'swrole: dropped %s after %sm without a command%s (%s - brings it back)\n' $profile $minutes "$kept" $cmd >&2
end

function __swrole_idle
    __swrole_idle_due; and __swrole_drop
end

function __swrole_prompt --on-event fish_prompt
    __swrole_idle
    __swrole_tint
end

# The command guard on Enter: in a guarded profile, a command the profile lists
# (swrole_guard_commands) asks first; anything but y leaves the line in the editor. The line
# goes to swrole on a pipe with the shell's aliases and abbreviations, never as an argument.
function __swrole_execute
    if __swrole_idle_due
        # Its own line, below the command line; the line stays in the editor when it has text.
        printf '\n' >/dev/tty
        if string length -q -- (string trim -- (commandline))
            __swrole_drop kept
            commandline -f repaint
            return
        end
        __swrole_drop
    end
    if test -n "$SWROLE_GUARDED" -a -n "$SWROLE_PROFILE"; and string length -q -- (string trim -- (commandline))
        # First only whether it asks (3): the screen changes only for a question.
        begin
            printf '%s\0' (commandline | string collect)
            alias
            abbr --show
        end | command swrole guard --check
        if test $pipestatus[2] -eq 3
            printf '\n' >/dev/tty
            begin
                printf '%s\0' (commandline | string collect)
                alias
                abbr --show
            end | command swrole guard >/dev/tty
            if test $pipestatus[2] -eq 1
                commandline -f repaint
                return
            end
        end
    end
    commandline -f execute
end
if status is-interactive
    bind \r __swrole_execute
    bind \n __swrole_execute
    bind -M insert \r __swrole_execute 2>/dev/null
    bind -M insert \n __swrole_execute 2>/dev/null
end

set -q __swrole_flags; or set -g __swrole_flags
# swrole's hints name the function (`sw off`, not `swrole unset | source`).
set -gx SWROLE_CMD sw                                                     # swrole: cmd

function sw --description 'Switch this shell to an AWS role (swrole)'  # swrole: cmd
    __swrole_sw $argv
end
# Completion, asked from swrole at each Tab (clap's one description of the commands; the
# profile names from the AWS files). `sw` takes swrole's words, plus `off` and `-` first.
function __swrole_candidates
    set -l tokens (commandline -opc) (commandline -ct)
    set tokens[1] swrole
    SWROLE_COMPLETE=fish command swrole -- $tokens 2>/dev/null
end
function __swrole_complete_sw
    __swrole_candidates
    test (count (commandline -opc)) -eq 1; and printf '%s\n' off -
end
complete -c sw -e                                                         # swrole: cmd
complete -c sw -f -k -a '(__swrole_complete_sw)'                          # swrole: cmd
complete -c swrole -e
complete -c swrole -f -k -a '(__swrole_candidates)'
