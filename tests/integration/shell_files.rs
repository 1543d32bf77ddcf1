//! The files in shell/: sourced in clean shells, linted, and the `sw` function driven in
//! real bash, zsh and fish with the real binary against moto.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::moto::Moto;
use crate::util::{
    Fixture, SEED_CONFIG, SEED_CREDENTIALS, path_with_swrole, require, shell_file, swrole_path,
};

/// Run `script` in a clean `shell` (no rc files) with the fixture's home and extra env.
fn run(shell: &str, script: &str, fx: &Fixture, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(shell);
    match shell {
        "bash" => cmd.args(["--noprofile", "--norc", "-c", script]),
        "zsh" => cmd.args(["--no-globalrcs", "--no-rcs", "-c", script]),
        "fish" => cmd.args(["--no-config", "--private", "-c", script]),
        "nu" => cmd.args(["--no-config-file", "-c", script]),
        other => panic!("{other}"),
    };
    cmd.env_clear()
        .env("PATH", path_with_swrole())
        .env("HOME", fx.home())
        .env("USER", "tester")
        // Wide: the status line is checked whole here (the widths are tested in dayone.rs).
        .env("COLUMNS", "200")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const FILES: [(&str, &str); 4] =
    [("bash", "swrole.bash"), ("zsh", "swrole.zsh"), ("fish", "swrole.fish"), ("nu", "swrole.nu")];

fn source_line(file: &str) -> String {
    format!("source '{}'", shell_file(file).display())
}

#[test]
fn sourcing_prints_nothing_and_defines_sw() {
    let fx = Fixture::new("", "");
    for (shell, file) in FILES {
        if !require(shell) {
            continue;
        }
        let check = match shell {
            "fish" => "functions -q sw; and functions -q swrole_prompt_info",
            "nu" => "if (which sw swrole_prompt_info | length) != 2 { exit 1 }",
            _ => "typeset -f sw >/dev/null && typeset -f swrole_prompt_info >/dev/null",
        };
        let out = run(shell, &format!("{}\n{check}", source_line(file)), &fx, &[]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{shell}: {} {}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

#[test]
fn shellcheck_is_clean() {
    if !require("shellcheck") {
        return;
    }
    for file in ["swrole.bash", "swrole.zsh"] {
        let out = Command::new("shellcheck").args(["--enable=all"]).arg(shell_file(file)).output().unwrap();
        assert!(out.status.success(), "{file}:\n{}", text(&out.stdout));
    }
}

#[test]
fn init_prints_the_files_and_renames_with_cmd() {
    let fx = Fixture::new("", "");
    let repo = |file: &str| {
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("shell").join(file)).unwrap()
    };
    let init = |flag: &str| text(&fx.swrole().args(["init", flag]).assert().success().get_output().stdout);
    for (flag, file) in [("fish", "swrole.fish"), ("powershell", "swrole.ps1"), ("nu", "swrole.nu")] {
        assert_eq!(init(flag), repo(file), "{flag}: printed as it is");
    }
    // bash and zsh: the template, with shell/core.sh (without its header) where it says so.
    let core = repo("core.sh");
    let core_body = core.split_once("\n\n").unwrap().1;
    for (flag, file) in [("bash", "swrole.bash"), ("zsh", "swrole.zsh")] {
        let printed = init(flag);
        let (before, after) =
            repo(file).split_once("# swrole: core\n").map(|(a, b)| (a.to_string(), b.to_string())).unwrap();
        assert!(
            printed.starts_with(&before) && printed.ends_with(&after),
            "{flag}: the template around the core"
        );
        let middle = &printed[before.len()..printed.len() - after.len()];
        let expected: String = core_body
            .lines()
            .filter(|l| flag == "zsh" || !l.ends_with("# swrole: zsh only"))
            .map(|l| l.replace("@SHELL@", flag) + "\n")
            .collect();
        assert_eq!(middle, expected, "{flag}: the core");
    }
    for shell in ["bash", "zsh", "fish"] {
        if !require(shell) {
            continue;
        }
        let script = match shell {
            "fish" => "swrole init fish --cmd role | source; functions -q role; and not functions -q sw",
            other => &format!(
                "eval \"$(swrole init {other} --cmd role)\"; typeset -f role >/dev/null && ! typeset -f sw >/dev/null"
            ),
        };
        let out = run(shell, script, &fx, &[]);
        assert!(out.status.success() && out.stderr.is_empty(), "{shell}: {}", text(&out.stderr));
    }
    let out = fx.swrole().args(["init", "bash", "--cmd", "swrole"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("would hide the binary"));
}

/// The whole workflow in each shell: switch, status, switch, back, off, and a failed
/// switch that leaves the environment as it was.
#[test]
fn sw_switches_back_and_off_in_each_shell() {
    let Some(moto) = Moto::start() else { return };
    for (shell, file) in FILES {
        if !require(shell) {
            continue;
        }
        // A home (and so a cache) per shell.
        let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
        let posix = format!(
            r#"{source}
sw sw-staging -t 123456 || exit 11
printf 'A=%s\n' "$SWROLE_PROFILE"
sw
sw sw-production -t 654321 || exit 12
printf 'B=%s P=%s\n' "$SWROLE_PROFILE" "$SWROLE_PREVIOUS_PROFILE"
sw - -t 111111 || exit 13
printf 'C=%s P=%s\n' "$SWROLE_PROFILE" "$SWROLE_PREVIOUS_PROFILE"
before=$(env | sort)
sw no-such-profile -t 123456 && exit 14
after=$(env | sort)
[ "$before" = "$after" ] || exit 15
sw off
printf 'D=%s K=%s\n' "${{SWROLE_PROFILE-none}}" "${{AWS_ACCESS_KEY_ID-none}}"
sw && exit 16
exit 0
"#,
            source = source_line(file)
        );
        let fish = format!(
            r#"{source}
sw sw-staging -t 123456; or exit 11
printf 'A=%s\n' $SWROLE_PROFILE
sw
sw sw-production -t 654321; or exit 12
printf 'B=%s P=%s\n' $SWROLE_PROFILE $SWROLE_PREVIOUS_PROFILE
sw - -t 111111; or exit 13
printf 'C=%s P=%s\n' $SWROLE_PROFILE $SWROLE_PREVIOUS_PROFILE
set before (env | sort)
sw no-such-profile -t 123456; and exit 14
set after (env | sort)
test "$before" = "$after"; or exit 15
sw off
printf 'D=%s K=%s\n' (set -q SWROLE_PROFILE; and echo $SWROLE_PROFILE; or echo none) (set -q AWS_ACCESS_KEY_ID; and echo set; or echo none)
sw; and exit 16
exit 0
"#,
            source = source_line(file)
        );
        let nu = format!(
            r#"{source}
sw sw-staging -t 123456
print $"A=($env.SWROLE_PROFILE)"
sw
sw sw-production -t 654321
print $"B=($env.SWROLE_PROFILE) P=($env.SWROLE_PREVIOUS_PROFILE)"
sw - -t 111111
print $"C=($env.SWROLE_PROFILE) P=($env.SWROLE_PREVIOUS_PROFILE)"
let before = ($env | reject -o CMD_DURATION_MS LAST_EXIT_CODE config | to nuon)
let failed = (try {{ sw no-such-profile -t 123456; false }} catch {{ true }})
if not $failed {{ exit 14 }}
let after = ($env | reject -o CMD_DURATION_MS LAST_EXIT_CODE config | to nuon)
if $before != $after {{ exit 15 }}
sw off
print $"D=($env.SWROLE_PROFILE? | default none) K=($env.AWS_ACCESS_KEY_ID? | default none)"
sw
exit 0
"#,
            source = source_line(file)
        );
        let script = match shell {
            "fish" => fish,
            "nu" => nu,
            _ => posix,
        };
        let out = run(shell, &script, &fx, &[("AWS_ENDPOINT_URL_STS", &moto.url())]);
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{shell}: status {:?}\n{stdout}\n{stderr}", out.status.code());
        assert!(stdout.contains("A=sw-staging\n"), "{shell}: {stdout}");
        // `sw` alone: the long form, a labelled line each (issue 43, item 4).
        assert!(
            stdout.contains(
                "sw-staging\n  account  210987654321\n  role     delegate_root_organization\n  region   ap-northeast-1\n  expires  in "
            ),
            "{shell}: status: {stdout}"
        );
        // After each switch, one short line on stderr; `sw off` says what it cleared.
        let switched: Vec<&str> = stderr.lines().filter(|l| l.starts_with("sw-")).collect();
        assert_eq!(switched.len(), 3, "{shell}: {stderr}");
        assert!(
            switched[0].starts_with("sw-staging  210987654321  ") && switched[0].ends_with("m left"),
            "{shell}: {stderr}"
        );
        assert!(
            stderr.contains("swrole: sw-staging is off: keys, region, account and swrole's marks cleared\n"),
            "{shell}: {stderr}"
        );
        assert!(stdout.contains("B=sw-production P=sw-staging\n"), "{shell}: {stdout}");
        assert!(stdout.contains("C=sw-staging P=sw-production\n"), "{shell}: {stdout}");
        assert!(stdout.contains("D=none K=none\n"), "{shell}: {stdout}");
        assert!(stderr.contains("profile \"no-such-profile\" not found"), "{shell}: {stderr}");
        assert!(stderr.contains("no role active"), "{shell}: {stderr}");
    }
    // Per shell: the MFA session, sw-staging, sw-production; `sw -` is served from the cache.
    let actions: Vec<String> = moto.requests().iter().map(|r| r.form["Action"].clone()).collect();
    let shells = FILES.iter().filter(|(shell, _)| require(shell)).count();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole", "AssumeRole"].repeat(shells));
}

/// The prompt helper uses the shell's own clock and parameter expansion: it works with an
/// empty PATH (no external command) and its code has no command substitution or pipe
/// (no subshell).
#[test]
fn prompt_helper_starts_no_process() {
    let fx = Fixture::new("", "");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let in_42m = (now + 42 * 60 + 10).to_string();
    for (shell, file) in [("bash", "swrole.bash"), ("zsh", "swrole.zsh")] {
        if !require(shell) {
            continue;
        }
        let script = format!(
            r#"{source}
PATH=
swrole_prompt_update; printf '[%s]\n' "$SWROLE_PROMPT"
SWROLE_EXPIRATION=1; swrole_prompt_update; printf '[%s]\n' "$SWROLE_PROMPT"
SWROLE_COLOR=red; swrole_prompt_update; printf '[%s]\n' "$SWROLE_PROMPT"
unset SWROLE_PROFILE; swrole_prompt_update; printf '[%s]\n' "$SWROLE_PROMPT"
typeset -f swrole_prompt_update __swrole_time_left
typeset -f __swrole_now || true
"#,
            source = source_line(file)
        );
        let out =
            run(shell, &script, &fx, &[("SWROLE_PROFILE", "sw-production"), ("SWROLE_EXPIRATION", &in_42m)]);
        let stdout = text(&out.stdout);
        assert!(out.status.success() && out.stderr.is_empty(), "{shell}: {}", text(&out.stderr));
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines[0], "[sw-production 42m]", "{shell}");
        assert_eq!(lines[1], "[sw-production expired]", "{shell}");
        let red = if shell == "zsh" {
            "[%F{red}sw-production expired%f]"
        } else {
            "[\u{1}\u{1b}[31m\u{2}sw-production expired\u{1}\u{1b}[0m\u{2}]"
        };
        assert_eq!(lines[2], red, "{shell}");
        assert_eq!(lines[3], "[]", "{shell}");
        let code = lines[4..].join("\n");
        for forks in ["`", "<(", "command "] {
            assert!(!code.contains(forks), "{shell}: the prompt code contains {forks:?}:\n{code}");
        }
        // A `|` not followed by the `)` that closes a case pattern (`a | b)`) is a pipeline.
        let pipeline = code.lines().find(|l| l.find(" | ").is_some_and(|at| !l[at..].contains(')')));
        assert!(pipeline.is_none(), "{shell}: a pipeline in the prompt code: {pipeline:?}");
        // `$((` is arithmetic; `$(` followed by anything else is a subshell.
        assert!(
            !code.replace("$((", "").contains("$("),
            "{shell}: command substitution in the prompt code:\n{code}"
        );
    }
}

/// Day one round 2, item 4: completion everywhere, from clap's one description of the
/// commands: profile names wherever a profile goes (for `swrole` and for `sw`), flags before a
/// profile is typed, `off` and `-` for sw alone; in real bash, zsh, fish and nu.
#[test]
fn completion_offers_profiles_wherever_a_profile_goes() {
    let fx = Fixture::new(SEED_CONFIG, "");
    let profiles = ["default", "sw-production", "sw-staging"];
    // (words typed, the word being completed last; what must be offered; what must not)
    let cases: &[(&[&str], &[&str], &[&str])] = &[
        (&["sw", ""], &["default", "sw-production", "sw-staging", "off", "-", "exec"], &[]),
        (&["sw", "sw-s"], &["sw-staging"], &["default", "off"]),
        (&["sw", "--r"], &["--region", "--read-timeout", "--refresh", "--refresh-margin"], &["sw-staging"]),
        (&["sw", "exec", "sw-"], &["sw-production", "sw-staging"], &["off"]),
        (&["swrole", "explain", ""], &profiles, &["off"]),
        (&["swrole", "exec", "sw-"], &["sw-production", "sw-staging"], &[]),
        (&["swrole", "console", ""], &profiles, &[]),
        (&["swrole", "credential-process", ""], &profiles, &[]),
        (&["swrole", "cache", "clear", ""], &profiles, &[]),
        (&["swrole", "keys", "remove", ""], &profiles, &[]),
        (&["swrole", "sw-staging", "--mfa-s"], &["--mfa-session-duration"], &[]),
    ];
    for shell in ["bash", "zsh", "fish", "nu"] {
        if !require(shell) {
            continue;
        }
        let file = format!("swrole.{shell}");
        for (words, want, not) in cases {
            let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
            let probe = match shell {
                "bash" => format!(
                    "COMP_WORDS=({}); COMP_CWORD={}; {}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                    quoted.join(" "),
                    words.len() - 1,
                    if words[0] == "sw" { "__swrole_complete" } else { "__swrole_candidates" }
                ),
                "zsh" => format!(
                    "compadd() {{ shift; printf '%s\\n' \"$@\"; }}; words=({}); CURRENT={}; {}",
                    quoted.join(" "),
                    words.len(),
                    if words[0] == "sw" { "__swrole_complete" } else { "__swrole_complete_swrole" }
                ),
                "fish" => format!("complete -C '{}'", words.join(" ")),
                _ => {
                    let list = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
                    if words[0] == "sw" {
                        format!("__swrole_complete '{}' | str join (char nl) | print", words.join(" "))
                    } else {
                        format!(
                            "do $env.config.completions.external.completer [{list}] | str join (char nl) | print"
                        )
                    }
                }
            };
            let out = run(shell, &format!("{}\n{probe}", source_line(&file)), &fx, &[]);
            let stdout = text(&out.stdout);
            // fish prints a description after a tab.
            let offered: Vec<&str> = stdout.lines().map(|l| l.split('\t').next().unwrap()).collect();
            for w in *want {
                assert!(
                    offered.contains(w),
                    "{shell}: {words:?} does not offer {w}: {offered:?} {}",
                    text(&out.stderr)
                );
            }
            // zsh's own compadd keeps what matches the word typed (the stub here does not).
            for w in not.iter().filter(|_| shell != "zsh") {
                assert!(!offered.contains(w), "{shell}: {words:?} offers {w}: {offered:?}");
            }
        }
    }
    // PowerShell cannot run here: its completer asks swrole the same way, for both commands.
    let ps1 = std::fs::read_to_string(shell_file("swrole.ps1")).unwrap();
    assert!(ps1.contains("-CommandName sw, swrole") && ps1.contains("$env:SWROLE_COMPLETE = 'powershell'"));
    // `swrole completions SHELL` registers the same protocol for swrole alone.
    for (shell, needle) in [
        ("bash", "SWROLE_COMPLETE=\"bash\""),
        ("zsh", "SWROLE_COMPLETE=\"zsh\""),
        ("fish", "SWROLE_COMPLETE=fish"),
    ] {
        let out = fx.swrole().args(["completions", shell]).assert().success();
        assert!(
            text(&out.get_output().stdout).contains(needle),
            "{shell}: {}",
            text(&out.get_output().stdout)
        );
    }
    // A different config file through AWS_CONFIG_FILE: completion reads it.
    let other = fx.home().join("other-config");
    std::fs::write(&other, "[profile elsewhere]\nregion = x\n").unwrap();
    if require("bash") {
        let probe = "COMP_WORDS=(sw e); COMP_CWORD=1; __swrole_complete; printf '%s\\n' \"${COMPREPLY[@]}\"";
        let out = run(
            "bash",
            &format!("{}\n{probe}", source_line("swrole.bash")),
            &fx,
            &[("AWS_CONFIG_FILE", other.to_str().unwrap())],
        );
        assert!(text(&out.stdout).lines().any(|l| l == "elsewhere"), "{}", text(&out.stdout));
        assert!(!text(&out.stdout).contains("sw-staging"), "the other file's profiles only");
    }
}

/// Auto-refresh re-runs the switch when the role expires within the window.
#[test]
fn auto_refresh_switches_again_near_expiry() {
    let Some(moto) = Moto::start() else { return };
    // Confirmed when switched by hand; a renewal in the background never asks.
    let config = "[profile ci]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/ci\n\
                  swrole_confirm = true\n[profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n";
    let fx = Fixture::new(config, "");
    for (shell, file) in [("bash", "swrole.bash"), ("zsh", "swrole.zsh")] {
        if !require(shell) {
            continue;
        }
        let script = format!(
            r#"{source}
sw ci --yes || exit 11
first=$AWS_ACCESS_KEY_ID
__swrole_refresh
[ "$AWS_ACCESS_KEY_ID" = "$first" ] || exit 12
# A threshold longer than the role's hour: the margin is clamped to half the session, so the
# cached credentials serve (no STS call, nothing said before every command).
SWROLE_REFRESH_MINUTES=90
__swrole_refresh 2>"$HOME/clamp.txt"
[ "$AWS_ACCESS_KEY_ID" = "$first" ] || exit 13
[ ! -s "$HOME/clamp.txt" ] || exit 14
# Near expiry with nothing cached: the hook starts a renewal in the background and returns;
# a later run picks the new credentials up from the cache.
SWROLE_REFRESH_MINUTES=10
SWROLE_EXPIRATION=$(( $(date +%s) + 60 ))
swrole cache clear 2>/dev/null
for _ in $(seq 200); do
    __swrole_refresh 2>>"$HOME/refresh.txt"
    [ "$AWS_ACCESS_KEY_ID" != "$first" ] && break
    sleep 0.05
done
[ "$AWS_ACCESS_KEY_ID" != "$first" ] || exit 15
"#,
            source = source_line(file)
        );
        let out = run(shell, &script, &fx, &[("AWS_ENDPOINT_URL_STS", &moto.url())]);
        assert!(out.status.success(), "{shell}: {:?} {}", out.status.code(), text(&out.stderr));
    }
    // By hand: --background says nothing on its own (not the margin clamp either) and asks
    // nothing; what it prints (from the cache a switch filled) is for the shell.
    let switched = fx
        .swrole()
        .args(["ci", "--yes", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    assert!(switched.status.success(), "{}", text(&switched.stderr));
    let out = fx
        .swrole()
        .args(["ci", "--background", "--refresh-margin", "90m", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("export AWS_ACCESS_KEY_ID="), "{}", text(&out.stdout));
    // The hooks are always there, and read SWROLE_REFRESH_MINUTES when they run.
    if require("zsh") {
        let source = source_line("swrole.zsh");
        let out = run(
            "zsh",
            &format!("{source}\nprint -r -- \"${{preexec_functions[*]-}} ${{precmd_functions[*]-}}\""),
            &fx,
            &[],
        );
        assert_eq!(text(&out.stdout), "__swrole_refresh __swrole_touch __swrole_precmd\n");
    }
}

/// A renewal in the background is unattended whatever the command line says: it goes
/// through the cache even with `--no-cache`, never sends a code given with `-t` (a code is
/// used once; the shell's switch spent it), never asks on a terminal even when told to; and
/// `--` keeps a profile named `--background` a profile.
#[test]
fn a_renewal_in_the_background_never_asks_and_always_uses_the_cache() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let switched =
        fx.no_terminal(&moto.url()).args(["sw-staging", "-t", "123456", "--shell", "bash"]).output();
    assert!(switched.unwrap().status.success());
    let renewed = fx
        .no_terminal(&moto.url())
        .args(["sw-staging", "--background", "--no-cache", "--shell", "bash"])
        .output()
        .unwrap();
    assert!(renewed.status.success(), "{}", text(&renewed.stderr));
    assert!(text(&renewed.stdout).contains("export AWS_ACCESS_KEY_ID="), "from the cache");

    // Nothing cached: the renewal itself (what --background starts) needs a code and has none.
    let clear = fx.no_terminal(&moto.url()).args(["cache", "clear"]).output().unwrap();
    assert!(clear.status.success(), "{}", text(&clear.stderr));
    let sent = moto.requests().len();
    let child = fx
        .no_terminal(&moto.url())
        .args(["sw-staging", "--background-child", "-t", "123456", "--shell", "bash"])
        .output()
        .unwrap();
    assert!(!child.status.success(), "renewed with a spent code");
    assert_eq!(moto.requests().len(), sent, "nothing sent to STS");
    let asked = crate::util::pty_swrole(
        fx.home(),
        "MFA code for",
        "123456",
        &["sw-staging", "--background-child", "--shell", "bash"],
        &[
            ("AWS_ENDPOINT_URL_STS", &moto.url()),
            ("SWROLE_CACHE_STORE", "file"),
            ("SWROLE_MFA_PROMPT", "terminal"),
        ],
    );
    assert_ne!(asked["status"], 0, "{asked}");
    let tty = asked["tty"].as_str().unwrap();
    assert!(!tty.contains("MFA code for"), "asked on the terminal: {asked}");
    assert!(
        tty.contains("needs an MFA code, but swrole is not to ask (SWROLE_MFA_PROMPT=never, or a renewal"),
        "{tty}"
    );
    assert_eq!(moto.requests().len(), sent, "nothing sent to STS");

    // A profile named like the flag, after `--`: the renewal started for it renews it.
    let fx = Fixture::new(
        "[profile --background]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/ci\n\
         [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n",
        "",
    );
    let args = ["--background", "--shell", "bash", "--", "--background"];
    let first = fx.no_terminal(&moto.url()).args(args).output().unwrap();
    assert_eq!(first.status.code(), Some(75), "a renewal started: {}", text(&first.stderr));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let again = fx.no_terminal(&moto.url()).args(args).output().unwrap();
        if again.status.success() {
            let exports = text(&again.stdout);
            assert!(
                exports.contains("export SWROLE_PROFILE=") && exports.contains("--background"),
                "{exports}"
            );
            break;
        }
        assert_eq!(again.status.code(), Some(75), "{}", text(&again.stderr));
        assert!(std::time::Instant::now() < deadline, "the renewal of profile \"--background\" never landed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A profile marked `swrole_confirm = true` asks on the terminal first.
#[test]
fn production_guardrail_asks_first() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let config = format!("{SEED_CONFIG}swrole_confirm = true\nswrole_color = red\n");
    let fx = Fixture::new(&config, SEED_CREDENTIALS);
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let ask = |answer: &str| -> serde_json::Value {
        let out = Command::new("python3")
            .args([helper, "[y/N]", answer])
            .arg(swrole_path())
            .args(["sw-production", "-t", "123456", "--shell", "bash"])
            .env_clear()
            .env("PATH", path_with_swrole())
            .env("HOME", fx.home())
            .env("AWS_ENDPOINT_URL_STS", moto.url())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let no = ask("n");
    assert_eq!(no["status"], 1, "{no}");
    assert_eq!(no["stdout"], "");
    let question = no["tty"].as_str().unwrap().lines().next().unwrap().to_string();
    assert!(question.starts_with("swrole: switch to sw-production (account 111111111111)? [y/N]"), "{no}");
    assert!(question.chars().count() <= 80, "fits 80 columns: {question:?}");
    assert!(moto.requests().is_empty(), "nothing is sent before the answer");
    // Ctrl-C at the question: ended by the signal (a shell reports 130), nothing printed.
    let interrupted = ask("^C");
    assert_eq!(interrupted["status"], -2, "{interrupted}");
    assert_eq!(interrupted["stdout"], "");
    assert!(moto.requests().is_empty());
    let yes = ask("y");
    assert_eq!(yes["status"], 0, "{yes}");
    assert!(yes["stdout"].as_str().unwrap().contains("export SWROLE_COLOR=red;\n"), "{yes}");
    assert_eq!(moto.requests().len(), 2, "the MFA session, then the role");

    // Without a terminal: refused, unless --yes.
    let out = fx
        .swrole()
        .args(["sw-production", "-t", "123456"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("asks for confirmation (swrole_confirm = true)")
            && text(&out.stderr).contains("--yes")
    );
    fx.swrole()
        .args(["sw-production", "-t", "123456", "--yes", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .assert()
        .success();
    // A switch to a profile without a colour clears the colour of the previous one.
    let out = fx
        .swrole()
        .args(["sw-staging", "-t", "123456", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", moto.url())
        .assert()
        .success();
    assert!(text(&out.get_output().stdout).contains("unset SWROLE_COLOR;\n"));
}

#[test]
fn guardrail_values_are_checked() {
    let fx = Fixture::new(
        "[profile p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\nswrole_color = pink\n",
        "",
    );
    let out = fx.swrole().arg("p").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(":4: swrole_color of profile \"p\" is \"pink\""),
        "{}",
        text(&out.stderr)
    );
}

/// Subcommands that print text for people go straight through `sw`, not through eval.
#[test]
fn subcommands_pass_through_sw() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    std::fs::set_permissions(
        fx.home().join(".aws/credentials"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    for (shell, file) in FILES {
        if !require(shell) {
            continue;
        }
        let script =
            format!("{}\nsw explain sw-staging\nsw list\nsw doctor\nsw cache list", source_line(file));
        let out = run(shell, &script, &fx, &[]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        assert!(
            stdout.starts_with("sw-staging: 1 role, from the static keys of profile \"default\"\n"),
            "{shell}: {stdout}"
        );
        assert!(stdout.contains("\ndefault\nsw-production\nsw-staging\n"), "{shell}: {stdout}");
        assert!(stdout.contains("no problems found\n"), "{shell}: {stdout}");
    }
}

/// The words of the lines of `file` that end with `# swrole: MARK`.
fn marked_words(file: &str, mark: &str) -> std::collections::BTreeSet<String> {
    let text = std::fs::read_to_string(shell_file(file)).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(&format!("# swrole: {mark}"))).collect();
    assert!(!lines.is_empty(), "{file}: no line marked {mark}");
    lines
        .iter()
        .flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')))
        .map(str::to_string)
        .collect()
}

/// Every shell file passes each subcommand (and help/version) straight to swrole, and
/// completes every switch flag: both checked against clap, so a new subcommand or flag
/// cannot be forgotten in one of them.
#[test]
fn shell_files_know_every_subcommand_and_flag() {
    use clap::CommandFactory;
    let cli = swrole::cli::Cli::command();
    let mut subcommands: Vec<String> = cli.get_subcommands().map(|c| c.get_name().to_string()).collect();
    subcommands.extend(["help", "--help", "-h", "--version", "-V"].map(str::to_string));
    // Flags a user passes to `sw PROFILE` (sw sets --shell itself; --print is for humans).
    let flags: Vec<String> = cli
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .filter(|l| !["shell", "print", "help", "version", "background"].contains(l))
        .map(|l| format!("--{l}"))
        .collect();
    assert!(flags.len() >= 13, "{flags:?}");
    // `sw` finds the profile among the words: it must know every flag that takes a value
    // (else `sw -d 15m prod` would take 15m for the profile).
    let value_flags: Vec<String> = cli
        .get_arguments()
        .filter(|a| !a.is_positional() && a.get_action().takes_values() && a.get_long() != Some("profile"))
        .flat_map(|a| {
            a.get_long().map(|l| format!("--{l}")).into_iter().chain(a.get_short().map(|c| format!("-{c}")))
        })
        .collect();
    assert!(value_flags.len() >= 14, "{value_flags:?}");
    for file in ["swrole.bash", "swrole.zsh", "swrole.fish", "swrole.nu"] {
        let words = marked_words(file, "value flags");
        for f in &value_flags {
            assert!(words.contains(f), "{file}: sw does not know that {f} takes a value");
        }
    }
    for s in &subcommands {
        assert!(swrole::shell::integration::SW_WORDS.contains(&s.as_str()), "SW_WORDS lacks {s}");
    }
    for file in ["swrole.bash", "swrole.zsh", "swrole.fish", "swrole.ps1", "swrole.nu"] {
        let words = marked_words(file, "subcommands");
        for s in &subcommands {
            assert!(words.contains(s), "{file}: `sw {s}` does not pass through to swrole");
        }
    }
}

/// Sourcing a file twice installs nothing twice.
#[test]
fn sourcing_twice_installs_hooks_once() {
    let fx = Fixture::new("", "");
    if require("bash") {
        let source = source_line("swrole.bash");
        let out = run(
            "bash",
            &format!("{source}\n{source}\nprintf '%s' \"$PROMPT_COMMAND\""),
            &fx,
            &[("SWROLE_REFRESH_MINUTES", "10")],
        );
        assert_eq!(text(&out.stdout).matches("__swrole_precmd").count(), 1, "{}", text(&out.stdout));
    }
    if require("zsh") {
        let source = source_line("swrole.zsh");
        let out = run(
            "zsh",
            &format!("{source}\n{source}\nprint -r -- \"${{preexec_functions[*]-}}\""),
            &fx,
            &[("SWROLE_REFRESH_MINUTES", "10")],
        );
        assert_eq!(text(&out.stdout), "__swrole_refresh __swrole_touch\n");
    }
    if require("fish") {
        let source = source_line("swrole.fish");
        let out = run(
            "fish",
            &format!("{source}\n{source}\nfunctions --handlers | string match -r __swrole_refresh | count"),
            &fx,
            &[],
        );
        assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    }
}
