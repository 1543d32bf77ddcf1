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
            __swrole_switch $argv[2..-1]
            return
        case -
            if test -z "$SWROLE_PREVIOUS_PROFILE"
                printf 'swrole: no previous profile to switch back to\n' >&2
                return 1
            end
            set argv $SWROLE_PREVIOUS_PROFILE $argv[2..-1]
        case off unset # swrole: subcommands
            set -l out (command swrole unset --shell fish)
            or return
            string join \n -- $out | source
            return
        case -h --help -V --version help init list exec explain doctor cache credential-process keys console man completions # swrole: subcommands
            command swrole $argv
            return
    end
    __swrole_switch $argv
end

# Switch to profile $argv[1] with the flags that follow. The profile goes after `--`, so
# that a name starting with `-` is still a profile.
function __swrole_switch
    set -l out (command swrole --shell fish $argv[2..-1] -- $argv[1])
    or return
    string join \n -- $out | source
end

# "42m", "3h05m" or "expired" for SWROLE_EXPIRATION.
function __swrole_time_left
    string match -qr '^[0-9]+$' -- "$SWROLE_EXPIRATION"; or return
    set -l secs (math $SWROLE_EXPIRATION - (date +%s))
    if test $secs -le 0
        echo expired
    else if test $secs -ge 3600
        printf '%dh%02dm\n' (math --scale=0 $secs / 3600) (math --scale=0 $secs % 3600 / 60)
    else
        printf '%dm\n' (math --scale=0 $secs / 60)
    end
end

function __swrole_status
    if test -z "$SWROLE_PROFILE"
        printf 'swrole: no role active (sw PROFILE to switch)\n' >&2
        return 1
    end
    set -l left (__swrole_time_left)
    printf '%s' $SWROLE_PROFILE
    test -n "$AWS_ACCOUNT_ID"; and printf '  account %s' $AWS_ACCOUNT_ID
    test -n "$SWROLE_ROLE_ARN"; and printf '  role %s' (string replace -r '^.*:role/' '' -- $SWROLE_ROLE_ARN)
    test -n "$AWS_REGION"; and printf '  region %s' $AWS_REGION
    switch "$left"
        case ''
        case expired
            printf '  expired'
        case '*'
            printf '  %s left' $left
    end
    printf '\n'
end

function swrole_prompt_info
    test -n "$SWROLE_PROFILE"; or return 0
    set -l left (__swrole_time_left)
    set -l text $SWROLE_PROFILE
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
    if test (math $SWROLE_EXPIRATION - (date +%s)) -le (math $SWROLE_REFRESH_MINUTES \* 60)
        printf 'swrole: refreshing %s\n' $SWROLE_PROFILE >&2
        __swrole_switch $SWROLE_PROFILE --refresh-margin {$SWROLE_REFRESH_MINUTES}m
    end
end

function sw --description 'Switch this shell to an AWS role (swrole)'  # swrole: cmd
    __swrole_sw $argv
end
complete -c sw -f                                                         # swrole: cmd
complete -c sw -n '__fish_is_first_arg' -a '(command -q swrole; and command swrole list 2>/dev/null) off -' # swrole: cmd
complete -c sw -n '__fish_seen_subcommand_from console explain exec credential-process; and test (count (commandline -opc)) -eq 2' -a '(command swrole list 2>/dev/null)' # swrole: cmd
for __swrole_flag in profile token-code duration region session-name connect-timeout read-timeout process-timeout refresh-margin mfa-session-duration mfa-process mfa-timeout # swrole: flags
    complete -c sw -n 'not __fish_is_first_arg' -l $__swrole_flag -x       # swrole: cmd
end
for __swrole_flag in no-cache refresh yes verbose # swrole: flags
    complete -c sw -n 'not __fish_is_first_arg' -l $__swrole_flag          # swrole: cmd
end
set -e __swrole_flag
