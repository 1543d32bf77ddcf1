# swrole for nushell: save it once, then source it (in config.nu, or at the prompt):
#   swrole init nu | save -f ($nu.default-config-dir | path join swrole.nu)
#   source ($nu.default-config-dir | path join swrole.nu)
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

# Run swrole with the given arguments; apply its output when it succeeds. Only stdout is
# captured: stderr reaches the terminal as swrole writes it (a wait, -v, the MFA question's
# context). A failure ends `sw` with swrole's status and swrole's own message, nothing on top.
def --env __swrole_run [args: list<string>] {
    let out = (^swrole ...$args)
    __swrole_apply $out
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

# `sw` alone: the active role, one labelled line each, whatever the terminal's width.
def __swrole_status [] {
    let profile = ($env.SWROLE_PROFILE? | default "")
    if ($profile | is-empty) {
        print -e "swrole: no role active (sw PROFILE to switch)"
        return
    }
    let role = ($env.SWROLE_ROLE_ARN? | default "" | str replace -r '^.*:role/' '')
    let left = (__swrole_time_left)
    let access = match ($env.SWROLE_ACCESS? | default "") { "ro" => "read-only", "rw" => "write (RW)", _ => "" }
    let expires = if $left == "expired" { "expired" } else if ($left | is-empty) { "" } else { $"in ($left)" }
    let rows = [
        [account ($env.AWS_ACCOUNT_ID? | default "")]
        [role $role]
        [region ($env.AWS_REGION? | default "")]
        [access $access]
        [expires $expires]
    ]
    print $profile
    for row in ($rows | where {|r| $r.1 | is-not-empty }) {
        print $"  ($row.0 | fill -w 7)  ($row.1)"
    }
}

# The line after a switch, on stderr, one shape at every width: the profile (cut at 40
# characters), account, ro or RW, time left; under 80 columns.
def __swrole_switched [] {
    let profile = ($env.SWROLE_PROFILE? | default "")
    let profile = if ($profile | str length) > 40 { ($profile | str substring 0..38) + "…" } else { $profile }
    let left = (__swrole_time_left)
    let access = match ($env.SWROLE_ACCESS? | default "") { "ro" => "ro", "rw" => "RW", _ => "" }
    let when = if $left == "expired" { "expired" } else if ($left | is-empty) { "" } else { $"($left) left" }
    print -e ([$profile ($env.AWS_ACCOUNT_ID? | default "") $access $when] | where {|p| $p | is-not-empty } | str join "  ")
}

# The profile and the flags among the words as typed, flags before or after the profile:
# the profile is the first word that is neither a flag nor a flag's value, or the word
# after `--` or `--profile`.
def __swrole_words [args: list<string>] {
    let value_flags = [-t --token-code -d --duration -r --region --session-name --connect-timeout --read-timeout --mfa-process --mfa-timeout --process-timeout --refresh-margin --mfa-session-duration --reason -s --shell] # swrole: value flags
    mut profile = ""
    mut found = false
    mut flags = []
    mut i = 0
    let n = ($args | length)
    while $i < $n {
        let word = ($args | get $i)
        if ($word in [-- --profile]) and (not $found) and ($i + 1 < $n) {
            $profile = ($args | get ($i + 1))
            $found = true
            $i = $i + 2
            continue
        }
        if ($word | str starts-with "--profile=") {
            $profile = ($word | str substring 10..)
            $found = true
        } else if $word in $value_flags {
            $flags = ($flags | append $word)
            if $i + 1 < $n {
                $flags = ($flags | append ($args | get ($i + 1)))
                $i = $i + 1
            }
        } else if ($word | str starts-with "-") and ($word != "-") {
            $flags = ($flags | append $word)
        } else if not $found {
            $profile = $word
            $found = true
        } else {
            $flags = ($flags | append $word)
        }
        $i = $i + 1
    }
    {profile: (if $found { $profile } else { null }), flags: $flags}
}

def --env __swrole_sw [args: list<string>] {
    let first = ($args | get -o 0 | default "")
    if $first == "" {
        __swrole_status
        return
    }
    if $first in [-h --help -V --version help init list exec explain doctor cache credential-process keys team setup login sso log guard console man completions] { # swrole: subcommands
        ^swrole ...$args
        return
    }
    if $first in [off unset] { # swrole: subcommands
        __swrole_run [unset --shell nu]
        return
    }
    mut words = $args
    if $first == "-" {
        let previous = ($env.SWROLE_PREVIOUS_PROFILE? | default "")
        if ($previous | is-empty) {
            error make --unspanned {msg: "swrole: no previous profile to switch back to"}
        }
        $words = ($args | skip 1 | prepend [--profile $previous])
    }
    let w = (__swrole_words $words)
    if $w.profile == null {
        let cmd = ($env.SWROLE_CMD? | default "sw")
        error make --unspanned {msg: $"swrole: no profile given: ($cmd) PROFILE [FLAGS] \(($cmd) --help\)"}
    }
    # The profile goes after `--`, so that a name starting with `-` is still a profile.
    __swrole_run ([--shell nu] ++ $w.flags ++ [-- $w.profile])
    if ($env.SWROLE_QUIET? | default "" | is-empty) { __swrole_switched }
}

# "sw-production 42m" for the prompt, or "".
def swrole_prompt_info [] {
    let profile = ($env.SWROLE_PROFILE? | default "")
    if ($profile | is-empty) { return "" }
    let access = match ($env.SWROLE_ACCESS? | default "") { "ro" => "ro", "rw" => "RW", _ => "" }
    let text = ([$profile $access (__swrole_time_left)] | where {|p| $p | is-not-empty } | str join " ")
    # In the profile's swrole_color: one of the 8 names, or 0-255.
    let color = ($env.SWROLE_COLOR? | default "")
    if ($color =~ '^[0-9]+$') {
        $"(ansi -e $'38;5;($color)m')($text)(ansi reset)"
    } else if ($color in [black red green yellow blue magenta cyan white]) {
        $"(ansi $color)($text)(ansi reset)"
    } else {
        $text
    }
}

# Completion, asked from swrole at each Tab (clap's one description of the commands; the
# profile names from the AWS files): `words` as typed, the last one being completed.
def __swrole_candidates [words: list<string>] {
    let words = ($words | update 0 swrole)
    let index = (($words | length) - 1 | into string)
    with-env {SWROLE_COMPLETE: bash, _CLAP_IFS: "\n", _CLAP_COMPLETE_INDEX: $index} {
        do { ^swrole -- ...$words } | complete | get stdout | lines
    }
}

# `sw`'s completer: swrole's words, plus `off` and `-` first.
def __swrole_complete [context: string] {
    let words = ($context | split row -r '\s+')
    let found = (__swrole_candidates $words)
    let typed = ($words | last)
    if ($words | length) == 2 { $found ++ ([off -] | where {|w| $w | str starts-with $typed }) } else { $found }
}

# swrole itself: nushell's external completer, for the word `swrole` (any completer set
# before this file keeps every other command).
let __swrole_previous = ($env.config.completions.external.completer? | default null)
$env.config.completions.external.enable = true
$env.config.completions.external.completer = {|spans|
    if ($spans | first) == "swrole" {
        __swrole_candidates $spans
    } else if $__swrole_previous != null {
        do $__swrole_previous $spans
    } else {
        null
    }
}

# Switch this shell to an AWS role (swrole).
def --env --wrapped sw [...args: string@__swrole_complete] { # swrole: cmd
    __swrole_sw $args
}
