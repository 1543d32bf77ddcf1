//! A new team member's first hour: the auto-refresh against a fake STS whose credentials
//! expire within minutes (so a refresh happens at once), the hook order, the variable read
//! when the hook runs, Ctrl-C at the question, and every screen at 80 columns.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::{
    Fixture, SEED_CONFIG, SEED_CREDENTIALS, path_with_swrole, read_http_request, require, swrole_path,
};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An STS that answers every AssumeRole with new keys that expire after the next of
/// `lifetimes` (seconds; the last one repeats), recording each request's form.
pub struct ShortSts {
    port: u16,
    forms: Arc<Mutex<Vec<String>>>,
}

impl ShortSts {
    pub fn start(lifetimes: &'static [i64]) -> ShortSts {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let forms = Arc::new(Mutex::new(Vec::new()));
        let seen = forms.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Some((_, body)) = read_http_request(&mut reader) else { continue };
                seen.lock().unwrap().push(text(&body));
                let life = lifetimes[n.min(lifetimes.len() - 1)];
                let expires = std::time::SystemTime::now() + std::time::Duration::from_secs(life as u64);
                let expires = humantime::format_rfc3339_seconds(expires);
                let xml = format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
                     <AccessKeyId>ASIASHORTLIVED{n:06}</AccessKeyId><SecretAccessKey>secret{n}</SecretAccessKey>\
                     <SessionToken>token{n}</SessionToken><Expiration>{expires}</Expiration></Credentials>\
                     <AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>\
                     <Arn>arn:aws:sts::111111111111:assumed-role/r/x</Arn></AssumedRoleUser></AssumeRoleResult>\
                     <ResponseMetadata><RequestId>r-{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                    xml.len()
                );
            }
        });
        ShortSts { port, forms }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request's form so far.
    pub fn forms(&self) -> Vec<String> {
        self.forms.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.forms.lock().unwrap().len()
    }
}

/// The arguments that start `shell` without its startup files, ready for `-c SCRIPT`.
fn no_rc(shell: &str) -> &'static [&'static str] {
    match shell {
        "bash" => &["--noprofile", "--norc", "-c"],
        "zsh" => &["--no-globalrcs", "--no-rcs", "-c"],
        _ => &["--no-config", "--private", "-c"],
    }
}

/// A command run as a new shell of the team member: in the home, with only PATH (swrole
/// first), HOME and USER.
trait Clean {
    fn clean(&mut self, fx: &Fixture) -> &mut Self;
}

impl Clean for Command {
    fn clean(&mut self, fx: &Fixture) -> &mut Self {
        self.current_dir(fx.home())
            .env_clear()
            .env("PATH", path_with_swrole())
            .env("HOME", fx.home())
            .env("USER", "tester")
    }
}

/// An STS that accepts connections and never answers (holding each one open).
pub struct HangingSts {
    pub url: String,
    held: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl HangingSts {
    pub fn start() -> HangingSts {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                keep.lock().unwrap().push(stream); // read nothing, answer nothing
            }
        });
        HangingSts { url, held }
    }

    /// The connections so far, once at least one came: a background renewal runs in a
    /// process of its own and may connect a moment after the command that started it, so
    /// this waits for that event (15 s at most) rather than a fixed time.
    pub fn connections_once_one_came(&self) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while self.held.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "no renewal reached the hanging STS");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.held.lock().unwrap().len()
    }
}

/// A production profile that asks for confirmation, with no MFA (so a refresh needs no code).
const PROD: &str = "[profile prod]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r\n\
                    swrole_confirm = true\nswrole_color = red\nregion = eu-west-1\n\
                    [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n";

/// A line for an interactive shell to run, and what it prints: a marker the shell computes,
/// so that the typed line (echoed by the terminal) does not match it.
fn marker(shell: &str, n: u32) -> (String, String) {
    match shell {
        "fish" => (format!("echo @@(math {n} + 0)@@\n"), format!("@@{n}@@")),
        _ => (format!("echo @@$(({n} + 0))@@\n"), format!("@@{n}@@")),
    }
}

fn run_bash(fx: &Fixture, script: &str, env: &[(&str, &str)]) -> std::process::Output {
    let file = crate::util::shell_file("swrole.bash");
    let path = path_with_swrole();
    Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &format!("source '{}'\n{script}", file.display())])
        .current_dir(fx.home())
        .env_clear()
        .env("PATH", path)
        .env("HOME", fx.home())
        .env("USER", "tester")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Items 1–3: a refresh renews the chosen profile with the switch's own flags, never asks
/// (the profile has swrole_confirm and there is no terminal: a question would fail), never
/// waits (the renewal runs in the background and a later hook picks it up), updates the
/// prompt after renewing, and reads SWROLE_REFRESH_MINUTES when it runs; when it cannot
/// renew, one line says so, once, and the shell goes on; five minutes later it tries again.
#[test]
fn the_auto_refresh_renews_without_asking() {
    if !require("bash") {
        return;
    }
    // First credentials live 5 minutes, the renewed ones 55.
    let sts = ShortSts::start(&[300, 3300]);
    let fx = Fixture::new(PROD, "");
    let script = r#"
sw prod --yes -d 15m --no-cache 2>sw.err || exit 11
first=$AWS_ACCESS_KEY_ID
__swrole_precmd
[ "$AWS_ACCESS_KEY_ID" = "$first" ] || exit 12      # SWROLE_REFRESH_MINUTES not set yet
SWROLE_REFRESH_MINUTES=10                          # set after sourcing: read by the hook
# The first hook starts the renewal and returns; a later one finds it in the cache.
for _ in $(seq 200); do
    __swrole_precmd 2>>refresh.err || exit 13
    [ "$AWS_ACCESS_KEY_ID" != "$first" ] && break
    sleep 0.05
done
[ "$AWS_ACCESS_KEY_ID" != "$first" ] || exit 14
printf '%s\n' "$SWROLE_PROMPT" > prompt.txt
# STS gone: one line, once; the hook returns 0 and the credentials stay.
second=$AWS_ACCESS_KEY_ID
SWROLE_EXPIRATION=$(( $(date +%s) + 120 ))
swrole cache clear 2>/dev/null
export AWS_MAX_ATTEMPTS=1 AWS_ENDPOINT_URL_STS=http://127.0.0.1:9
for _ in $(seq 200); do
    __swrole_precmd 2>>down.err || exit 15
    [ -s down.err ] && break
    sleep 0.05
done
# Within the 5 minutes after a failure no renewal starts (one would fail again by the next
# hook, and be said again).
for _ in 1 2 3; do __swrole_precmd 2>>down.err || exit 16; sleep 1; done
[ "$AWS_ACCESS_KEY_ID" = "$second" ] || exit 17
# Five minutes on (the note's time moved back 301 s), the next hook tries again: STS is still
# down, so that renewal fails too, and is said again.
note=$(find "$HOME" -name '*.renew-failed')
[ -n "$note" ] || exit 18
printf '%s\t1\tSTS was down\n' $(( $(date +%s) - 301 )) > "$note"
for _ in $(seq 200); do
    __swrole_precmd 2>>again.err || exit 19
    [ -s again.err ] && break
    sleep 0.05
done
[ -s again.err ] || exit 20
"#;
    let out = run_bash(&fx, script, &[("AWS_ENDPOINT_URL_STS", &sts.url()), ("SWROLE_CONNECT_TIMEOUT", "1")]);
    let read = |f: &str| std::fs::read_to_string(fx.home().join(f)).unwrap_or_default();
    assert!(out.status.success(), "{:?}\n{}\n{}", out.status.code(), text(&out.stderr), read("refresh.err"));
    let forms = sts.forms.lock().unwrap().clone();
    assert_eq!(forms.len(), 2, "the switch and one refresh");
    let again = read("again.err");
    assert!(again.starts_with("swrole: could not renew prod (") && again.lines().count() == 1, "{again}");
    assert!(forms[1].contains("DurationSeconds=900"), "the refresh keeps -d 15m: {}", forms[1]);
    assert_eq!(read("refresh.err"), "", "a renewal that works says nothing, and asks nothing");
    // The prompt shows the renewed credentials' time, not the old ones'.
    let prompt = read("prompt.txt");
    assert!(prompt.contains("prod 55m") || prompt.contains("prod 54m"), "{prompt:?}");
    let down = read("down.err");
    assert_eq!(down.lines().count(), 1, "said once, whatever the number of commands: {down}");
    assert!(
        down.starts_with("swrole: could not renew prod (")
            && down.contains("the shell keeps its credentials (2m left)")
            && down.contains("tries again in 5 min"),
        "{down}"
    );
    // The switch itself said one line (and SWROLE_QUIET silences it).
    assert!(
        read("sw.err").starts_with("prod  111111111111  ") && read("sw.err").ends_with(" left\n"),
        "{}",
        read("sw.err")
    );
    let quiet = run_bash(
        &fx,
        "sw prod --yes --no-cache",
        &[("AWS_ENDPOINT_URL_STS", &sts.url()), ("SWROLE_QUIET", "1")],
    );
    assert!(quiet.status.success() && quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
}

/// Item 1 of round 2: with an STS that accepts connections and never answers, no command
/// waits on it (a hook that waited would sit out the 30 s read timeout, past the 20 s
/// guard), and the hook starts one renewal however many commands run.
#[test]
fn a_hanging_sts_never_makes_a_command_wait() {
    if !require("bash") || !require("timeout") {
        return;
    }
    let sts = ShortSts::start(&[300]);
    let hanging = HangingSts::start();
    let hanging_url = hanging.url.clone();
    let fx = Fixture::new(PROD, "");
    let script = format!(
        r#"
sw prod --yes || exit 11
first=$AWS_ACCESS_KEY_ID
export SWROLE_REFRESH_MINUTES=10 AWS_ENDPOINT_URL_STS={hanging_url} SWROLE_READ_TIMEOUT=30 AWS_MAX_ATTEMPTS=1
swrole cache clear 2>/dev/null
for n in 1 2 3 4 5; do
    __swrole_precmd 2>>hook.err || exit 12
    true
    printf 'command %s ran
' "$n" >> ran.txt
    sleep 0.2
done
[ "$AWS_ACCESS_KEY_ID" = "$first" ] || exit 13
"#
    );
    let file = crate::util::shell_file("swrole.bash");
    let out = Command::new("timeout")
        .args(["20", "bash", "--noprofile", "--norc", "-c"])
        .arg(format!("source '{}'\n{script}", file.display()))
        .clean(&fx)
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let read = |f: &str| std::fs::read_to_string(fx.home().join(f)).unwrap_or_default();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a hook waited on STS: {}\n{}",
        text(&out.stderr),
        read("ran.txt")
    );
    assert_eq!(read("ran.txt").lines().count(), 5);
    assert_eq!(read("hook.err"), "", "nothing to say while the renewal runs");
    // One renewal at a time: one connection, not one per command.
    assert_eq!(hanging.connections_once_one_came(), 1, "connections to the hanging STS");
}

/// Item 2: whatever order PROMPT_COMMAND is in, the integration's own hook renews before
/// it updates the prompt text.
#[test]
fn the_hook_order_is_the_integrations_own() {
    if !require("bash") {
        return;
    }
    let fx = Fixture::new("", "");
    let out = run_bash(
        &fx,
        "printf '%s' \"$PROMPT_COMMAND\"; typeset -f __swrole_precmd",
        &[("PROMPT_COMMAND", "user_thing")],
    );
    let t = text(&out.stdout);
    assert!(t.starts_with("__swrole_precmd;user_thing"), "{t}");
    let refresh = t.find("__swrole_refresh").unwrap();
    let prompt = t.find("swrole_prompt_update").unwrap();
    assert!(refresh < prompt, "renew first, then the prompt text: {t}");
}

/// Item 7: Ctrl-C at the MFA question ends the line on the terminal, and swrole ends by
/// the signal (a shell reports 130).
#[test]
fn ctrl_c_at_the_question_ends_the_line() {
    if !require("python3") {
        return;
    }
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pty_run.py");
    let out = Command::new("python3")
        .args([helper, "MFA code", "^C"])
        .arg(swrole_path())
        .args(["sw-staging", "--shell", "bash"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", fx.home())
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["status"], -2, "ended by SIGINT: {r}");
    let tty = r["tty"].as_str().unwrap();
    assert!(tty.ends_with('\n'), "the question's line is ended: {tty:?}");
}

/// Item 4: at 80 columns nothing is wider than the terminal, and no word is cut.
#[test]
fn every_screen_fits_80_columns() {
    let prod = "[profile prod]\nsource_profile = default\nrole_arn = arn:aws:iam::111111111111:role/r\n\
                swrole_confirm = true\nswrole_color = red\n";
    let fx = Fixture::new(&format!("{SEED_CONFIG}\n{prod}"), SEED_CREDENTIALS);
    std::fs::set_permissions(
        fx.home().join(".aws/credentials"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    for args in
        [&["list", "--long"][..], &["explain", "sw-staging"][..], &["explain", "prod"][..], &["doctor"][..]]
    {
        let out = fx.swrole().args(args).env("COLUMNS", "80").output().unwrap();
        let t = text(&out.stdout);
        assert!(!t.is_empty(), "{args:?}: {}", text(&out.stderr));
        for line in t.lines() {
            assert!(line.chars().count() <= 80, "{args:?}: {} columns: {line:?}", line.chars().count());
        }
        // Wrapped, not cut: every word of the unwrapped output is still there.
        let wide = fx.swrole().args(args).env("COLUMNS", "1000").output().unwrap();
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        if args[0] != "list" {
            assert_eq!(words(&t), words(&text(&wide.stdout)), "{args:?}");
        }
    }
    // list --long at 80: a block per profile (the table would be wider), region shown with
    // where it comes from.
    let out = fx.swrole().args(["list", "--long"]).env("COLUMNS", "80").output().unwrap();
    let t = text(&out.stdout);
    assert!(t.contains("sw-staging\n  account 210987654321\n"), "{t}");
    assert!(t.contains("  region  ap-northeast-1 (default)\n"), "{t}");
    // The table while it fits to the column, blocks from one column less.
    let wide = text(&fx.swrole().args(["list", "--long"]).env("COLUMNS", "1000").output().unwrap().stdout);
    let width = wide.lines().map(|l| l.chars().count()).max().unwrap();
    for (columns, table) in [(width, true), (width - 1, false)] {
        let out = fx.swrole().args(["list", "--long"]).env("COLUMNS", columns.to_string()).output().unwrap();
        let t = text(&out.stdout);
        assert_eq!(t.starts_with("PROFILE "), table, "{columns} columns:\n{t}");
        if table {
            assert_eq!(t, wide);
        }
    }
}

/// Item 10 and friends: `sw off` twice keeps the way back, `cache clear` with a typo
/// suggests, `doctor` spots the init line before compinit, sw --help is sw's own.
#[test]
fn small_things() {
    if !require("bash") {
        return;
    }
    let fx = Fixture::new(PROD, "");
    let out = run_bash(
        &fx,
        "export SWROLE_PROFILE=prod; sw off; sw off; printf '%s' \"$SWROLE_PREVIOUS_PROFILE\"",
        &[],
    );
    assert_eq!(text(&out.stdout), "prod", "{}", text(&out.stderr));
    let out = fx.swrole().args(["cache", "clear", "prd"]).output().unwrap();
    assert!(text(&out.stderr).contains("did you mean \"prod\"?"), "{}", text(&out.stderr));
    std::fs::write(
        fx.home().join(".zshrc"),
        "eval \"$(swrole init zsh)\"\nautoload -Uz compinit\ncompinit\n",
    )
    .unwrap();
    let out = fx.swrole().arg("doctor").output().unwrap();
    assert!(
        text(&out.stdout).contains(".zshrc:1 loads swrole before compinit (line 3)"),
        "{}",
        text(&out.stdout)
    );
    let out = run_bash(&fx, "sw --help", &[]);
    assert!(text(&out.stdout).starts_with("sw PROFILE [FLAGS]"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("sw off"));
    // With the integration loaded, swrole's hints say `sw`.
    let out = fx
        .swrole()
        .args(["doctor"])
        .env("SWROLE_CMD", "sw")
        .env("AWS_PROFILE", "x")
        .env("AWS_ACCESS_KEY_ID", "y")
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("clear the keys: sw off"), "{}", text(&out.stdout));
    let help = fx.swrole().arg("--help").output().unwrap();
    for var in
        ["SWROLE_REFRESH_MINUTES", "SWROLE_QUIET", "SWROLE_MFA_PROMPT", "SWROLE_KEY_STORE", "AWS_CA_BUNDLE"]
    {
        assert!(text(&help.stdout).contains(var), "--help names {var}");
    }
}

/// Item 7 in real interactive shells: Ctrl-C at swrole's question through `sw` ends the
/// question's line and interrupts `sw` as it would any command, in zsh, bash and fish: a
/// loop around it stops (issue 43, item 5: zsh went on to the next turn).
#[test]
fn ctrl_c_through_sw_in_interactive_shells() {
    if !require("python3") {
        return;
    }
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/interactive_ctrl_c.py");
    let path = path_with_swrole();
    for (shell, file) in [("zsh", "swrole.zsh"), ("bash", "swrole.bash"), ("fish", "swrole.fish")] {
        if !require(shell) {
            continue;
        }
        let file = crate::util::shell_file(file);
        let out = Command::new("python3")
            .arg(helper)
            .arg(shell)
            .arg(&file)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", fx.home())
            .env("TERM", "xterm")
            .env("SWROLE_CACHE_STORE", "file")
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
            .output()
            .unwrap();
        let r: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{shell}: {}", text(&out.stderr)));
        // The shell's own status for an interrupted function.
        assert_eq!(r["status"], if shell == "zsh" { "2" } else { "130" }, "{shell}: {r}");
        let tty = r["tty"].as_str().unwrap();
        assert!(
            !tty.contains("turn=1") && tty.matches("MFA code for sw-staging").count() == 1,
            "{shell}: Ctrl-C stops the loop as it stops any command: {tty:?}"
        );
        assert!(
            tty.contains("(your.mail@example.com): ^C\r\n"),
            "{shell}: the question's line is ended: {tty:?}"
        );
    }
}

/// Round 2, item 3: `sw` takes flags before or after the profile, in bash, zsh and fish, and
/// an error never names a flag the user did not type.
#[test]
fn sw_takes_flags_in_any_order() {
    let fx = Fixture::new(PROD, "");
    for shell in ["bash", "zsh", "fish"] {
        if !require(shell) {
            continue;
        }
        let sts = ShortSts::start(&[3300]);
        let file = crate::util::shell_file(&format!("swrole.{shell}"));
        let (check, rc) = match shell {
            "fish" => ("; or exit 1; printf '%s %s\\n' $SWROLE_PROFILE $AWS_REGION", "echo rc=$status"),
            _ => (" || exit 1; printf '%s %s\\n' \"$SWROLE_PROFILE\" \"$AWS_REGION\"", "echo rc=$?"),
        };
        let script = format!("source '{}'\n", file.display());
        let script = format!(
            "{script}sw -y -d 15m prod --no-cache{check}\nsw --no-cache -r us-west-2 -y prod{check}\n\
             sw --yes --region=eu-central-1 --no-cache -- prod{check}\nsw -y 2>no-profile.err\n{rc}"
        );
        let out = Command::new(shell)
            .args(no_rc(shell))
            .arg(&script)
            .clean(&fx)
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .env("SWROLE_QUIET", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with("prod eu-west-1\nprod us-west-2\nprod eu-central-1\n"),
            "{shell}: {stdout}\n{}",
            text(&out.stderr)
        );
        let forms = sts.forms.lock().unwrap().clone();
        assert_eq!(forms.len(), 3, "{shell}");
        assert!(forms[0].contains("DurationSeconds=900"), "{shell}: -d 15m before the profile: {}", forms[0]);
        let err = std::fs::read_to_string(fx.home().join("no-profile.err")).unwrap();
        assert_eq!(err, "swrole: no profile given: sw PROFILE [FLAGS] (sw --help)\n", "{shell}");
        assert!(stdout.ends_with("rc=2\n"), "{shell}: {stdout}");
        assert!(!err.contains("--shell") && !err.contains("subcommand"), "{shell}: {err}");
    }
}

/// Round 2, item 2 (and hardening round 3, item 15): a job of `exec`, and a shell started
/// by it, start with a clean credential_process loop guard: they can switch and `exec`
/// the same profile again.
#[test]
fn a_shell_from_exec_can_switch_and_exec_again() {
    let sts = ShortSts::start(&[3300]);
    let fx = Fixture::new(PROD, "");
    let out = fx
        .swrole()
        .args([
            "exec",
            "prod",
            "--yes",
            "--no-cache",
            "--",
            "swrole",
            "exec",
            "prod",
            "--yes",
            "--no-cache",
            "--",
        ])
        .args([
            "sh",
            "-c",
            "env; eval \"$(swrole prod --yes --no-cache --shell posix)\" && echo switched=$SWROLE_PROFILE",
        ])
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("PATH", path_with_swrole())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    assert!(stdout.contains("switched=prod"), "{stdout}");
    assert!(!stdout.contains("SWROLE_CREDENTIAL_PROCESS_CHAIN"), "the guard leaked into the job: {stdout}");
    assert_eq!(sts.requests(), 3, "one AssumeRole per swrole");
}

/// Round 2, item 8: an entry inside the refresh margin is marked in `cache list` and
/// `explain` says a switch renews it (they agree); entries say the endpoint they came from.
#[test]
fn explain_and_cache_list_agree_on_an_entry_inside_the_margin() {
    let sts = ShortSts::start(&[300]);
    let fx = Fixture::new(PROD, "");
    let url = sts.url();
    fx.swrole()
        .args(["prod", "--yes", "--shell", "bash"])
        .env("AWS_ENDPOINT_URL_STS", &url)
        .assert()
        .success();
    let out = fx.swrole().args(["cache", "list"]).env("AWS_ENDPOINT_URL_STS", &url).assert().success();
    let list = text(&out.get_output().stdout);
    let row: Vec<&str> = list.lines().next().unwrap().split('\t').collect();
    assert_eq!(row[0..2], ["prod", "role"], "{list}");
    assert!(row[3] == "5m (renews)" || row[3] == "4m (renews)", "{list}");
    assert!(row[4].ends_with(&format!("endpoint {url}")), "{list}");
    let out = fx.swrole().args(["explain", "prod"]).env("AWS_ENDPOINT_URL_STS", &url).assert().success();
    let explain = text(&out.get_output().stdout);
    assert!(explain.contains("inside the refresh margin (10m): a switch renews them"), "{explain}");
    assert!(!explain.contains("nothing cached"), "{explain}");
    assert!(
        explain.contains("a switch sets ") && !explain.contains("AWS_SECRET_ACCESS_KEY"),
        "short by default: {explain}"
    );
    let out =
        fx.swrole().args(["explain", "prod", "--long"]).env("AWS_ENDPOINT_URL_STS", &url).assert().success();
    assert!(text(&out.get_output().stdout).contains("AWS_SECRET_ACCESS_KEY"), "--long names the variables");
    assert_eq!(sts.requests(), 1);
}

/// Round 2, item 10: the line after a switch fits the terminal at 100 and 80 columns (and
/// at 40 keeps the profile, account and time left), in bash, zsh and fish.
/// Issue 43, item 4: the line after a switch has one shape at every width (profile cut at
/// 40 characters, account, ro or RW, time left) and fits 80 columns; `sw` alone gives the
/// long form, a labelled line each; a switch in a bash or zsh subshell (`sw X | cat`) says
/// that it ends there.
#[test]
fn the_line_after_a_switch_has_one_short_shape() {
    let fx = Fixture::new("", "");
    let expires = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        + 3600)
        .to_string();
    let long_name = format!("sw-production-{}", "x".repeat(50));
    for shell in ["bash", "zsh", "fish", "nu"] {
        if !require(shell) {
            continue;
        }
        let file = crate::util::shell_file(&format!("swrole.{shell}"));
        let run = |profile: &str, columns: &str, script: &str| {
            let mut c = Command::new(shell);
            match shell {
                "nu" => {
                    c.args(["--no-config-file", "-c"]).arg(format!("source '{}'\n{script}", file.display()))
                }
                _ => c.args(no_rc(shell)).arg(format!("source '{}'\n{script}", file.display())),
            };
            let out = c
                .env_clear()
                .env("PATH", path_with_swrole())
                .env("HOME", fx.home())
                .env("COLUMNS", columns)
                .env("SWROLE_PROFILE", profile)
                .env("AWS_ACCOUNT_ID", "111111111111")
                .env("SWROLE_ROLE_ARN", "arn:aws:iam::111111111111:role/delegate_root_organization")
                .env("AWS_REGION", "ap-northeast-1")
                .env("SWROLE_ACCESS", "ro")
                .env("SWROLE_EXPIRATION", &expires)
                .output()
                .unwrap();
            (text(&out.stdout), text(&out.stderr))
        };
        // The line goes to stderr (nu prints it there itself).
        let switched = if shell == "nu" { "__swrole_switched" } else { "__swrole_switched >&2" };
        let mut shapes = std::collections::BTreeSet::new();
        for columns in ["200", "80", "40"] {
            let (_, line) = run("sw-production", columns, switched);
            let line = line.replace("1h00m", "59m");
            assert_eq!(line, "sw-production  111111111111  ro  59m left\n", "{shell} at {columns}");
            shapes.insert(line);
            let (_, line) = run(&long_name, columns, switched);
            assert!(
                line.starts_with(&format!("{}…  111111111111  ro  ", &long_name[..39])),
                "{shell}: {line:?}"
            );
            assert!(line.trim_end().chars().count() < 80, "{shell}: {line:?}");
            let (status, _) = run("sw-production", columns, "__swrole_status");
            let status = status.replace("1h00m", "59m");
            assert_eq!(
                status,
                "sw-production\n  account  111111111111\n  role     delegate_root_organization\n  region   ap-northeast-1\n  access   read-only\n  expires  in 59m\n",
                "{shell} at {columns}"
            );
        }
        assert_eq!(shapes.len(), 1, "{shell}: {shapes:?}");
        if shell == "bash" || shell == "zsh" {
            let (line, _) = run("sw-production", "80", "__swrole_switched | cat");
            assert!(line.ends_with("left  (in a subshell: this shell is unchanged)\n"), "{shell}: {line:?}");
        }
    }
}

/// Round 2, item 13: in nushell too, `sw` takes flags in any order and says one line after
/// a switch (SWROLE_QUIET silences it), and that line fits the terminal.
#[test]
fn nu_sw_takes_flags_in_any_order_and_says_where_it_is() {
    if !require("nu") {
        return;
    }
    let sts = ShortSts::start(&[3300]);
    let fx = Fixture::new(PROD, "");
    let file = crate::util::shell_file("swrole.nu");
    let run = |script: &str, extra: &[(&str, &str)]| {
        Command::new("nu")
            .args(["--no-config-file", "-c"])
            .arg(format!("source '{}'\n{script}", file.display()))
            .clean(&fx)
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .envs(extra.iter().copied())
            .output()
            .unwrap()
    };
    let out = run(
        "sw -y -d 15m prod --no-cache\nprint $\"($env.SWROLE_PROFILE) ($env.AWS_REGION)\"\n\
         sw --no-cache -r us-west-2 -y prod\nprint $\"($env.SWROLE_PROFILE) ($env.AWS_REGION)\"\n\
         let failed = (try { sw -y; false } catch {|e| print $e.msg; true })\nif not $failed { exit 9 }",
        &[("COLUMNS", "80")],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("prod eu-west-1\nprod us-west-2\n"), "{stdout}\n{stderr}");
    assert!(stdout.contains("swrole: no profile given: sw PROFILE [FLAGS] (sw --help)"), "{stdout}");
    let forms = sts.forms.lock().unwrap().clone();
    assert!(forms[0].contains("DurationSeconds=900"), "{}", forms[0]);
    let status: Vec<&str> = stderr.lines().filter(|l| l.starts_with("prod  ")).collect();
    assert_eq!(status.len(), 2, "one line after each switch: {stderr}");
    assert!(status.iter().all(|l| l.chars().count() < 80 && l.contains("111111111111")), "{status:?}");
    let quiet = run("sw -y prod --no-cache", &[("SWROLE_QUIET", "1")]);
    assert!(quiet.status.success() && !text(&quiet.stderr).contains("prod  "), "{}", text(&quiet.stderr));
}

/// Round 2 in real interactive shells on a pty (zsh, bash, fish), as a person types:
/// flags before the profile, auto-refresh against an STS that hangs (each command comes
/// back at once; one renewal in the background), and Tab completing a profile after
/// `sw exec`.
#[test]
fn an_interactive_hour_never_waits_and_completes_profiles() {
    if !require("python3") {
        return;
    }
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/interactive.py");
    for shell in ["zsh", "bash", "fish"] {
        if !require(shell) {
            continue;
        }
        let sts = ShortSts::start(&[300]);
        let hanging = HangingSts::start();
        let hanging_url = hanging.url.clone();
        let fx = Fixture::new(PROD, "");
        let file = crate::util::shell_file(&format!("swrole.{shell}"));
        let marker = |n: u32| marker(shell, n);
        let export = |name: &str, value: &str| match shell {
            "fish" => format!("set -gx {name} {value}; "),
            _ => format!("export {name}={value}; "),
        };
        let mut steps = Vec::new();
        let step = |send: String, expect: String, timeout: u32| serde_json::json!({"send": send, "expect": expect, "timeout": timeout});
        if shell == "zsh" {
            let (m, e) = marker(1);
            steps.push(step(format!("autoload -Uz compinit && compinit -u; {m}"), e, 10));
        }
        let (m, e) = marker(2);
        steps.push(step(format!("source '{}'; {m}", file.display()), e, 10));
        steps.push(step(
            format!(
                "{}{}sw -y -d 15m prod\n",
                export("AWS_ENDPOINT_URL_STS", &sts.url()),
                export("SWROLE_REFRESH_MINUTES", "10")
            ),
            "prod  111111111111".to_string(),
            15,
        ));
        let (m, e) = marker(3);
        steps.push(step(
            format!(
                "{}{}{}swrole cache clear 2>/dev/null; {m}",
                export("AWS_ENDPOINT_URL_STS", &hanging_url),
                export("SWROLE_READ_TIMEOUT", "30"),
                export("AWS_MAX_ATTEMPTS", "1")
            ),
            e,
            10,
        ));
        // Each command comes back while the STS hangs (a waiting hook would sit 30 s).
        for n in 4..7 {
            let (m, e) = marker(n);
            steps.push(step(format!("true; {m}"), e, 8));
        }
        steps.push(step("sw exec p\t".to_string(), "sw exec prod".to_string(), 10));
        let out = Command::new("python3")
            .arg(helper)
            .arg(shell)
            .arg(serde_json::Value::Array(steps).to_string())
            .clean(&fx)
            .env("TERM", "xterm")
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{shell}: {}\n{}", text(&out.stdout), text(&out.stderr)));
        assert!(
            r["failed"].is_null(),
            "{shell}: step {} failed; seconds {}\n{}",
            r["failed"],
            r["seconds"],
            r["tty"]
        );
        let forms = sts.forms.lock().unwrap().clone();
        assert!(forms[0].contains("DurationSeconds=900"), "{shell}: -d 15m before the profile");
        assert_eq!(
            hanging.connections_once_one_came(),
            1,
            "{shell}: one renewal at a time, not one per command"
        );
    }
}

/// Issue 43, item 2: `sw <Tab>` offers the profile names first, then swrole's subcommands,
/// and no option until a `-` is typed; the internal `--background` never (bash's and fish's
/// completion functions, as the shells call them; zsh uses bash's protocol).
#[test]
fn tab_after_sw_offers_the_profiles_first_and_no_options() {
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    for shell in ["bash", "fish"] {
        if !require(shell) {
            continue;
        }
        let file = crate::util::shell_file(&format!("swrole.{shell}"));
        let complete = |line: &str| {
            let script = match shell {
                "fish" => format!("source '{}'\ncomplete -C '{line}'", file.display()),
                _ => {
                    let words: Vec<&str> = line.split(' ').collect();
                    format!(
                        "source '{}'\nCOMP_WORDS=({}); COMP_CWORD={}; __swrole_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                        file.display(),
                        words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
                        words.len() - 1
                    )
                }
            };
            let out = Command::new(shell)
                .args(no_rc(shell))
                .arg(script)
                .env_clear()
                .env("PATH", path_with_swrole())
                .env("HOME", fx.home())
                .output()
                .unwrap();
            text(&out.stdout).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect::<Vec<_>>()
        };
        let first = complete("sw ");
        assert_eq!(first[..3], ["default", "sw-production", "sw-staging"], "{shell}: {first:?}");
        assert!(
            first.contains(&"exec".to_string()) && first.contains(&"off".to_string()),
            "{shell}: {first:?}"
        );
        assert!(first.iter().all(|c| c == "-" || !c.starts_with('-')), "{shell}: no option: {first:?}");
        let options = complete("sw --");
        assert!(options.contains(&"--no-cache".to_string()), "{shell}: {options:?}");
        assert!(!options.iter().any(|c| c.starts_with("--background")), "{shell}: {options:?}");
        let staging = complete("sw sw-s");
        assert_eq!(staging, ["sw-staging"], "{shell}");
    }
}

/// Issue 43, item 15: in nushell `sw` streams swrole's stderr as it is written (here the
/// "waiting for STS" line, said after 3 s of a hanging STS, arrives while swrole still
/// waits), a failure says swrole's own message and nothing on top, and the prompt helper
/// uses the profile's colour and says ro/RW.
#[test]
fn nu_streams_what_swrole_says_and_adds_nothing() {
    if !require("nu") {
        return;
    }
    use std::io::BufRead;
    let fx = Fixture::new(PROD, "");
    let hanging = HangingSts::start();
    let file = crate::util::shell_file("swrole.nu");
    let start = std::time::Instant::now();
    let mut child = Command::new("nu")
        .args(["--no-config-file", "-c"])
        .arg(format!("source '{}'\nsw -y prod --no-cache", file.display()))
        .clean(&fx)
        .env("AWS_ENDPOINT_URL_STS", &hanging.url)
        .env("SWROLE_READ_TIMEOUT", "6")
        .env("SWROLE_CONNECT_TIMEOUT", "2")
        .env("AWS_MAX_ATTEMPTS", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        lines.push((start.elapsed(), line.unwrap()));
    }
    let status = child.wait().unwrap();
    let ended = start.elapsed();
    assert!(!status.success(), "{lines:?}");
    let (at, _) = lines
        .iter()
        .find(|(_, l)| l.contains("waiting for STS at http://127.0.0.1"))
        .expect("the wait is said");
    assert!(
        ended.saturating_sub(*at) >= std::time::Duration::from_secs(2),
        "said at {at:?}, ended {ended:?}: {lines:?}"
    );
    let all: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert!(!all.iter().any(|l| l.contains("swrole exited with status")), "{all:?}");
    assert_eq!(
        all.iter().filter(|l| l.starts_with("swrole: ") && l.contains("prod")).count(),
        1,
        "one message: {all:?}"
    );
    let prompt = Command::new("nu")
        .args(["--no-config-file", "-c"])
        .arg(format!("source '{}'\nprint (swrole_prompt_info)", file.display()))
        .clean(&fx)
        .env("SWROLE_PROFILE", "prod")
        .env("SWROLE_ACCESS", "rw")
        .env("SWROLE_COLOR", "red")
        .output()
        .unwrap();
    assert_eq!(text(&prompt.stdout), "\u{1b}[31mprod RW\u{1b}[0m\n");
}

/// Issue 43, "what done looks like": a day's work typed into each real shell on an
/// 80-column terminal (switch, `sw -`, Tab, a guarded command answered no, Ctrl-C at a
/// question inside a loop, `sw off`), and the screen read line by line: no line twice, none
/// wrapped, nothing stray.
#[test]
fn a_day_at_an_80_column_terminal_reads_cleanly() {
    if !require("python3") {
        return;
    }
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/interactive.py");
    for shell in ["zsh", "bash", "fish"] {
        if !require(shell) {
            continue;
        }
        let sts = ShortSts::start(&[3600]);
        let fx = Fixture::new(PROD, "");
        let file = crate::util::shell_file(&format!("swrole.{shell}"));
        let marker = |n: u32| marker(shell, n);
        let step = |send: String, expect: &str, sleep: f64| serde_json::json!({"send": send, "expect": expect, "timeout": 15, "sleep": sleep});
        let mut steps = Vec::new();
        if shell == "zsh" {
            let (m, e) = marker(1);
            steps.push(step(format!("autoload -Uz compinit && compinit -u; {m}"), &e, 0.3));
        }
        let (m, e) = marker(2);
        steps.push(step(format!("source {}; {m}", file.display()), &e, 0.3));
        steps.push(step("sw -y prod\n".into(), "prod  111111111111  ", 0.3));
        steps.push(step("sw off\n".into(), "prod is off: keys", 0.3));
        steps.push(step("sw - -y\n".into(), "prod  111111111111  ", 0.3));
        // Tab completes the profile; the line is then cleared (Ctrl-U).
        let (m, e) = marker(3);
        steps.push(step("sw pro\t".into(), "sw prod", 0.3));
        steps.push(step(format!("\u{15}{m}"), &e, 0.3));
        // A guarded command: asked, answered no, left in the editor, then cleared.
        steps.push(step("terraform apply\n".into(), "run in PROD \\(111111111111\\)\\?", 0.3));
        let (m, e) = marker(4);
        steps.push(step("n".into(), "terraform apply", 0.3));
        steps.push(step(format!("\u{15}{m}"), &e, 0.3));
        // Ctrl-C at the switch's question inside a loop: the loop stops.
        steps.push(step("sw off\n".into(), "prod is off", 0.3));
        let looped = match shell {
            "fish" => "for i in 1 2; sw prod; echo turn=$i; end\n",
            _ => "for i in 1 2; do sw prod; echo turn=$i; done\n",
        };
        steps.push(step(looped.into(), "switch to prod", 0.3));
        let (m, e) = marker(5);
        steps.push(step("\u{3}".into(), "\\^C", 0.3));
        steps.push(step(m, &e, 1.0));
        let out = Command::new("python3")
            .arg(helper)
            .arg(shell)
            .arg(serde_json::Value::Array(steps).to_string())
            .clean(&fx)
            .env("TERM", "xterm")
            .env("PTY_COLUMNS", "80")
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{shell}: {}\n{}", text(&out.stdout), text(&out.stderr)));
        let raw = r["tty"].as_str().unwrap();
        let screen = crate::util::screen_at(raw, 80);
        assert!(r["failed"].is_null(), "{shell}: step {} failed:\n{screen}", r["failed"]);
        let lines: Vec<&str> = screen.lines().collect();
        for pair in lines.windows(2) {
            assert!(pair[0].trim().len() < 3 || pair[0] != pair[1], "{shell}: a line twice:\n{screen}");
        }
        assert!(lines.iter().all(|l| l.chars().count() < 80), "{shell}: a wrapped line:\n{screen}");
        assert!(
            !screen.contains("turn=1") && screen.matches("switch to prod").count() == 1,
            "{shell}:\n{screen}"
        );
        for stray in ["swrole exited", "\u{1b}", "command not found: __swrole", "Unknown command"] {
            assert!(!screen.contains(stray), "{shell}: {stray:?}:\n{screen}");
        }
        assert_eq!(
            screen.matches("prod  111111111111  ").count(),
            2,
            "{shell}: one line a switch:\n{screen}"
        );
    }
}
