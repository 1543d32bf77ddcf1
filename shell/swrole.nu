# swrole for nushell: save it once and source it from config.nu:
#   swrole init nu | save -f ($nu.default-config-dir | path join swrole.nu)
#   source swrole.nu                                   # in config.nu
#
#   sw PROFILE [FLAGS]   switch this shell to PROFILE (flags as for `swrole PROFILE`)
#   sw                   show the active profile, account, role, region and time left
#   sw -                 switch back to the previous profile
#   sw off               clear everything swrole set
#
# Prompt: `swrole_prompt_info` returns "sw-production 42m", e.g.
#   $env.PROMPT_COMMAND_RIGHT = {|| swrole_prompt_info }
# `swrole --shell nu` prints a NUON record {set: {...}, unset: [...]}; nushell has no eval,
# so `sw` applies it with hide-env and load-env.

# Apply swrole's output to the caller's environment.
def --env __swrole_apply [out: string] {
    let r = ($out | from nuon)
    hide-env -i ...$r.unset
    load-env $r.set
}

# Run swrole with the given arguments; apply its output when it succeeds.
def --env __swrole_run [args: list<string>] {
    let r = (do { ^swrole ...$args } | complete)
    if ($r.stderr | is-not-empty) { print -e -n $r.stderr }
    if $r.exit_code != 0 {
        error make --unspanned {msg: $"swrole exited with status ($r.exit_code)"}
    }
    __swrole_apply $r.stdout
}

# "42m", "3h05m" or "expired" for SWROLE_EXPIRATION, or "".
def __swrole_time_left [] {
    let exp = ($env.SWROLE_EXPIRATION? | default "")
    if ($exp !~ '^[0-9]+$') { return "" }
    let secs = ($exp | into int) - ((date now | into int) // 1_000_000_000)
    if $secs <= 0 { return "expired" }
    let minutes = ($secs + 30) // 60
    if $minutes >= 60 {
        let m = ($minutes mod 60 | into string | fill -a right -c '0' -w 2)
        $"($minutes // 60)h($m)m"
    } else {
        $"($minutes)m"
    }
}

def __swrole_status [] {
    let profile = ($env.SWROLE_PROFILE? | default "")
    if ($profile | is-empty) {
        print -e "swrole: no role active (sw PROFILE to switch)"
        return
    }
    mut line = $profile
    if ($env.AWS_ACCOUNT_ID? | is-not-empty) { $line = $"($line)  account ($env.AWS_ACCOUNT_ID)" }
    if ($env.SWROLE_ROLE_ARN? | is-not-empty) {
        $line = $"($line)  role ($env.SWROLE_ROLE_ARN | str replace -r '^.*:role/' '')"
    }
    if ($env.AWS_REGION? | is-not-empty) { $line = $"($line)  region ($env.AWS_REGION)" }
    let left = (__swrole_time_left)
    if $left == "expired" { $line = $"($line)  expired" } else if ($left | is-not-empty) { $line = $"($line)  ($left) left" }
    print $line
}

def --env __swrole_sw [args: list<string>] {
    let first = ($args | get -o 0 | default "")
    if $first == "" {
        __swrole_status
        return
    }
    if $first in [-h --help -V --version help init list exec explain doctor cache credential-process keys console man completions] { # swrole: subcommands
        ^swrole ...$args
        return
    }
    if $first in [off unset] { # swrole: subcommands
        __swrole_run [unset --shell nu]
        return
    }
    mut rest = $args
    if $first in [-- --profile] {
        # `sw -- NAME`: a profile named like a subcommand, `off` or `-`.
        $rest = ($args | skip 1)
    } else if $first == "-" {
        let previous = ($env.SWROLE_PREVIOUS_PROFILE? | default "")
        if ($previous | is-empty) {
            error make --unspanned {msg: "swrole: no previous profile to switch back to"}
        }
        $rest = ($args | skip 1 | prepend $previous)
    }
    # The profile goes after `--`, so that a name starting with `-` is still a profile.
    __swrole_run ([--shell nu] ++ ($rest | skip 1) ++ [-- ($rest | get -o 0 | default "")])
}

# "sw-production 42m" for the prompt, or "".
def swrole_prompt_info [] {
    let profile = ($env.SWROLE_PROFILE? | default "")
    if ($profile | is-empty) { return "" }
    let left = (__swrole_time_left)
    if ($left | is-empty) { $profile } else { $"($profile) ($left)" }
}

def __swrole_complete [] {
    let profiles = (do { ^swrole list } | complete | get stdout | lines)
    let flags = [--profile --token-code --duration --region --session-name --connect-timeout --read-timeout --process-timeout --no-cache --refresh --refresh-margin --mfa-session-duration --mfa-process --mfa-timeout --yes --verbose] # swrole: flags
    $profiles ++ [off -] ++ $flags
}

# Switch this shell to an AWS role (swrole).
def --env --wrapped sw [...args: string@__swrole_complete] { # swrole: cmd
    __swrole_sw $args
}
