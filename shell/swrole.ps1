# swrole for PowerShell: `. shell/swrole.ps1` or, in $PROFILE,
#   Invoke-Expression (& { (swrole init powershell | Out-String) })
#
#   sw PROFILE [FLAGS]   switch this session to PROFILE (flags as for `swrole PROFILE`)
#   sw                   show the active profile, account, role, region and time left
#   sw -                 switch back to the previous profile
#   sw off               clear everything swrole set
#
# Prompt: `swrole_prompt_info` returns "sw-production 42m".

function global:__swrole_exe {
    Get-Command -Name swrole -CommandType Application -ErrorAction Stop | Select-Object -First 1
}

function global:__swrole_sw {
    $exe = __swrole_exe
    $rest = @($args)
    if ($rest.Count -eq 0) { __swrole_status; return }
    $first = [string]$rest[0]
    if ($first -in @('-h', '--help', '-V', '--version', 'help', 'init', 'list', 'exec', 'explain', 'doctor', 'cache', 'credential-process', 'keys', 'team', 'setup', 'login', 'sso', 'log', 'guard', 'console', 'man', 'completions')) { # swrole: subcommands
        & $exe @rest
        return
    }
    if ($first -in @('off', 'unset')) { # swrole: subcommands
        $out = & $exe unset --shell powershell | Out-String
        if ($LASTEXITCODE -eq 0) { Invoke-Expression $out }
        return
    }
    if ($first -in @('--', '--profile')) {
        # `sw -- NAME`: a profile named like a subcommand, `off` or `-`.
        $rest = @($rest | Select-Object -Skip 1)
    } elseif ($first -eq '-') {
        if (-not $env:SWROLE_PREVIOUS_PROFILE) {
            [Console]::Error.WriteLine('swrole: no previous profile to switch back to')
            return
        }
        $rest[0] = $env:SWROLE_PREVIOUS_PROFILE
    }
    __swrole_switch @rest
}

# Switch to the profile (first argument) with the flags that follow; the profile goes
# after `--`, so that a name starting with `-` is still a profile.
function global:__swrole_switch {
    $exe = __swrole_exe
    $profileName = [string]$args[0]
    $flags = @($args | Select-Object -Skip 1)
    $out = & $exe --shell powershell @flags -- $profileName | Out-String
    if ($LASTEXITCODE -eq 0) {
        Invoke-Expression $out
        if (-not $env:SWROLE_QUIET) { __swrole_switched }
    }
}

function global:__swrole_time_left {
    if ($env:SWROLE_EXPIRATION -notmatch '^[0-9]+$') { return '' }
    $secs = [long]$env:SWROLE_EXPIRATION - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($secs -le 0) { return 'expired' }
    # Whole minutes, rounded to the nearest, as swrole itself writes them.
    $minutes = [math]::Floor(($secs + 30) / 60)
    if ($minutes -ge 60) { return ('{0}h{1:d2}m' -f [long][math]::Floor($minutes / 60), [long]($minutes % 60)) }
    return ('{0}m' -f [long]$minutes)
}

# `sw` alone: the active role, one labelled line each, whatever the terminal's width.
function global:__swrole_status {
    if (-not $env:SWROLE_PROFILE) {
        [Console]::Error.WriteLine('swrole: no role active (sw PROFILE to switch)')
        return
    }
    $left = __swrole_time_left
    $access = switch ($env:SWROLE_ACCESS) { 'ro' { 'read-only' } 'rw' { 'write (RW)' } default { '' } }
    $expires = if ($left -eq 'expired') { 'expired' } elseif ($left) { "in $left" } else { '' }
    $env:SWROLE_PROFILE
    foreach ($row in @(
            @('account', $env:AWS_ACCOUNT_ID),
            @('role', ($env:SWROLE_ROLE_ARN -replace '^.*:role/', '')),
            @('region', $env:AWS_REGION),
            @('access', $access),
            @('expires', $expires))) {
        if ($row[1]) { '  {0,-7}  {1}' -f $row[0], $row[1] }
    }
}

# The line after a switch, on stderr, one shape at every width: the profile (cut at 40
# characters), account, ro or RW, time left; under 80 columns.
function global:__swrole_switched {
    $line = [string]$env:SWROLE_PROFILE
    if ($line.Length -gt 40) { $line = $line.Substring(0, 39) + [char]0x2026 }
    if ($env:AWS_ACCOUNT_ID) { $line += "  $env:AWS_ACCOUNT_ID" }
    if ($env:SWROLE_ACCESS -eq 'ro') { $line += '  ro' } elseif ($env:SWROLE_ACCESS -eq 'rw') { $line += '  RW' }
    $left = __swrole_time_left
    if ($left -eq 'expired') { $line += '  expired' } elseif ($left) { $line += "  $left left" }
    [Console]::Error.WriteLine($line)
}

function global:swrole_prompt_info {
    if (-not $env:SWROLE_PROFILE) { return '' }
    $left = __swrole_time_left
    if ($left) { return "$env:SWROLE_PROFILE $left" }
    return $env:SWROLE_PROFILE
}

function global:sw { __swrole_sw @args }  # swrole: cmd

# Completion, asked from swrole at each Tab (clap's one description of the commands; the
# profile names from the AWS files), for swrole and for sw: sw's words are swrole's (the
# first word becomes swrole), plus off and - first.
Register-ArgumentCompleter -Native -CommandName sw, swrole -ScriptBlock {  # swrole: cmd
    param($wordToComplete, $commandAst, $cursorPosition)
    $first = $commandAst.CommandElements[0].Extent.Text
    $line = $commandAst.Extent.Text
    $line = $line.Substring(0, [math]::Min($cursorPosition, $line.Length))
    if ($wordToComplete -eq '') { $line += " ''" }
    $line = 'swrole' + $line.Substring($first.Length)
    $exe = __swrole_exe
    $prev = $env:SWROLE_COMPLETE
    $env:SWROLE_COMPLETE = 'powershell'
    try {
        $results = @(Invoke-Expression "& `$exe -- $line" 2>$null)
    } finally {
        if ($null -eq $prev) { Remove-Item Env:\SWROLE_COMPLETE -ErrorAction SilentlyContinue } else { $env:SWROLE_COMPLETE = $prev }
    }
    if ($first -ne 'swrole' -and $commandAst.CommandElements.Count -le 2) {
        $results += @('off', '-') | Where-Object { $_ -like "$wordToComplete*" }
    }
    $results | ForEach-Object {
        $split = $_.Split("`t")
        [System.Management.Automation.CompletionResult]::new($split[0], $split[0], 'ParameterValue', $split[-1])
    }
}
