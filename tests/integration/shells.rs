//! Every emitted line proven in the real shell: values read back byte for byte after the
//! shell evaluates swrole's output exactly as users do (`eval "$(...)"`, `| source`), under
//! strict options, with nothing on stderr.

use swrole::exports::{Exports, Op};
use swrole::shell::Syntax;

use crate::util::{Fixture, parse_env0, pipe_into, require};

/// Values that break naive quoting in one shell or another.
pub const HOSTILE: &[&str] = &[
    "",
    "a b",
    "it's",
    "a\\b",
    "a\\\\b",
    "a\\'b",
    "$HOME",
    "`id`",
    "$(id)",
    "!!",
    "a\nb",
    "\t",
    "é♀",
    "*",
    "~x",
    "#x",
    ";x",
    "‘x’",
    "trailing\n",
    "\\",
    "'",
    "x\\",
    "\r\n",
    "\u{1b}]0;title\u{7}\u{1b}[31mred",
    "[a-z]*?",
    "{a,b}",
    "a;b|c&d>e<f",
    "%s%n",
    "\"double\"",
    "--flag",
    "-e",
    "x=y",
    "🦀 and 中文",
    "IFS=x ls",
];

/// How each shell is started, with strict options, and how it reads and prints.
struct ShellRun {
    name: &'static str,
    syntax: Syntax,
    args: &'static [&'static str],
    /// Reads the code on stdin, applies it, then prints `$SWROLE_T` (or `<unset>`).
    script: &'static str,
}

const SHELLS: &[ShellRun] = &[
    ShellRun {
        name: "bash",
        syntax: Syntax::Posix,
        args: &["--noprofile", "--norc", "-e", "-u", "-o", "pipefail", "-c"],
        script: r#"shopt -s failglob nullglob; IFS=x; eval "$(cat)"; printf %s "${SWROLE_T-<unset>}""#,
    },
    ShellRun {
        name: "zsh",
        syntax: Syntax::Posix,
        args: &["-e", "-u", "-o", "pipefail", "--no-globalrcs", "--no-rcs", "-c"],
        script: r#"setopt NOMATCH; IFS=x; eval "$(cat)"; printf %s "${SWROLE_T-<unset>}""#,
    },
    ShellRun {
        name: "fish",
        syntax: Syntax::Fish,
        args: &["--no-config", "--private", "-c"],
        script: r#"source; if set -q SWROLE_T; printf %s "$SWROLE_T"; else; printf '<unset>'; end"#,
    },
    ShellRun {
        name: "bash --posix",
        syntax: Syntax::Posix,
        args: &["--posix", "--noprofile", "--norc", "-e", "-u", "-o", "pipefail", "-c"],
        script: r#"shopt -s extglob nullglob; IFS=$'\n'; eval "$(cat)"; printf %s "${SWROLE_T-<unset>}""#,
    },
    ShellRun {
        name: "bash with aliases",
        syntax: Syntax::Posix,
        args: &["--noprofile", "--norc", "-e", "-u", "-c"],
        script: r#"shopt -s expand_aliases; alias export='echo hijacked' unset='echo hijacked'; IFS=''; eval "$(cat)"; printf %s "${SWROLE_T-<unset>}""#,
    },
    ShellRun {
        name: "zsh no-nomatch",
        syntax: Syntax::Posix,
        args: &["-e", "-u", "--no-globalrcs", "--no-rcs", "-c"],
        script: r#"setopt NO_NOMATCH GLOB_SUBST SH_WORD_SPLIT; IFS=''; eval "$(cat)"; printf %s "${SWROLE_T-<unset>}""#,
    },
    ShellRun {
        name: "dash",
        syntax: Syntax::Posix,
        args: &["-e", "-u", "-c"],
        script: r#"eval "$(cat)"; printf %s "${SWROLE_T-<unset>}""#,
    },
    ShellRun {
        name: "nu",
        syntax: Syntax::Nu,
        args: &["--no-config-file", "--stdin", "-c"],
        script: NU_APPLY,
    },
];

/// What `sw` in `shell/swrole.nu` does with the output, then print the variable.
const NU_APPLY: &str = r#"let r = ($in | from nuon); hide-env -i ...$r.unset; load-env $r.set; if "SWROLE_T" in $env { print -n $env.SWROLE_T } else { print -n "<unset>" }"#;

/// The program of a shell setup: the first word of its name (`dash` is run as `dash`,
/// never as whatever `/bin/sh` is).
fn program(shell: &ShellRun) -> &'static str {
    shell.name.split(' ').next().unwrap_or(shell.name)
}

fn run_shell(shell: &ShellRun, code: &str, env: &[(&str, &str)]) -> (String, String, bool) {
    let home = tempfile::tempdir().unwrap();
    let mut args = shell.args.to_vec();
    args.push(shell.script);
    let out = pipe_into(program(shell), &args, code.as_bytes(), home.path(), home.path(), env);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

fn available(shell: &ShellRun) -> bool {
    require(program(shell))
}

#[test]
fn values_round_trip_byte_for_byte() {
    let mut cases = 0;
    for shell in SHELLS {
        if !available(shell) {
            continue;
        }
        for value in HOSTILE {
            let code = shell.syntax.render(&Exports(vec![Op::Set("SWROLE_T", value.to_string())]));
            let (out, err, ok) = run_shell(shell, &code, &[]);
            assert!(
                ok && err.is_empty(),
                "{}: {value:?}: status ok={ok}, stderr {err:?}\ncode: {code}",
                shell.name
            );
            assert_eq!(out, *value, "{}: value changed; code: {code}", shell.name);
            cases += 1;
        }
    }
    println!("real-shell round trips: {cases} value cases");
}

#[test]
fn unset_round_trip() {
    for shell in SHELLS {
        if !available(shell) {
            continue;
        }
        let code = shell.syntax.render(&Exports(vec![Op::Unset("SWROLE_T"), Op::Unset("SWROLE_NEVER_SET")]));
        let (out, err, ok) = run_shell(shell, &code, &[("SWROLE_T", "old")]);
        assert!(ok && err.is_empty(), "{}: {err}", shell.name);
        assert_eq!(out, "<unset>", "{}", shell.name);
    }
}

/// The whole binary, as users run it: a profile whose static keys hold characters that
/// shells treat specially, evaluated and read back through `env -0`.
#[test]
fn swrole_output_evaluates_to_the_exact_values() {
    let secret = r"a$(touch${IFS}pwned)`touch${IFS}pwned2`\;|&<>*?[x]{a,b}~#%!x\";
    let fx = Fixture::new(
        "[profile weird]\nregion = eu-west-1\n",
        &format!("[weird]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {secret}\n"),
    );
    for (shell, flag) in [("bash", "bash"), ("zsh", "zsh"), ("fish", "fish"), ("dash", "posix"), ("nu", "nu")]
    {
        if !require(shell) {
            continue;
        }
        let out =
            fx.swrole().args(["weird", "--shell", flag]).env("SWROLE_PROFILE", "before").assert().success();
        let code = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let work = tempfile::tempdir().unwrap();
        let stale = [("AWS_PROFILE", "stale"), ("AWS_SECURITY_TOKEN", "stale")];
        let result = pipe_into(shell, &env0_args(shell), code.as_bytes(), fx.home(), work.path(), &stale);
        assert!(
            result.status.success() && result.stderr.is_empty(),
            "{shell}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let env = parse_env0(&result.stdout);
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret, "{shell}");
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(env["AWS_REGION"], "eu-west-1");
        assert_eq!(env["SWROLE_PROFILE"], "weird");
        assert!(
            !env.contains_key("AWS_PROFILE") && !env.contains_key("AWS_SECURITY_TOKEN"),
            "{shell}: stale variables kept"
        );
        assert!(!env.contains_key("AWS_SESSION_TOKEN"), "{shell}: static keys have no token");
        assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0, "{shell}: something was executed");
    }
}

/// Issue 43, item 3: `eval $(swrole PROFILE)` without quotes (the habit from
/// `eval $(ssh-agent)`) switches as the quoted form does, in bash, zsh and dash: word
/// splitting joins the output into one line, and each statement ends with `;`.
#[test]
fn the_unquoted_eval_switches_too() {
    let fx = Fixture::new(
        "[profile plain]\nregion = eu-west-1\n",
        "[plain]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCY\n",
    );
    for (shell, flag) in [("bash", "bash"), ("zsh", "zsh"), ("dash", "posix")] {
        if !require(shell) {
            continue;
        }
        let swrole = crate::util::swrole_path();
        let code = format!(
            "export AWS_PROFILE=stale\neval $('{}' plain --shell {flag})\n             printf '%s|%s|%s|%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$SWROLE_PROFILE\" \"${{AWS_PROFILE-unset}}\"\n",
            swrole.display()
        );
        let work = tempfile::tempdir().unwrap();
        let out = crate::util::isolated(std::path::Path::new(shell), fx.home())
            .args(["-c", &code])
            .current_dir(work.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout,
            "AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG+bPxRfiCY|plain|unset\n",
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `swrole unset` in each real shell removes every variable a switch sets.
#[test]
fn unset_command_clears_everything() {
    let fx = Fixture::new("", "");
    // The documented contract (README, "The environment contract"), written out here rather
    // than taken from the product's own constants.
    let documented = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCOUNT_ID",
        "AWSUME_PROFILE",
        "SWROLE_ROLE_ARN",
        "SWROLE_EXPIRATION",
        "SWROLE_COLOR",
        "SWROLE_PREVIOUS_PROFILE",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
        "AWS_SESSION_EXPIRATION",
    ];
    let mut all: Vec<(&str, &str)> = documented.iter().map(|n| (*n, "x")).collect();
    all.push(("SWROLE_PROFILE", "sw-staging"));
    for (shell, flag) in [("bash", "bash"), ("zsh", "zsh"), ("fish", "fish"), ("dash", "posix"), ("nu", "nu")]
    {
        if !require(shell) {
            continue;
        }
        let out = fx
            .swrole()
            .args(["unset", "--shell", flag])
            .env("SWROLE_PROFILE", "sw-staging")
            .assert()
            .success();
        let code = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let result = pipe_into(shell, &env0_args(shell), code.as_bytes(), fx.home(), fx.home(), &all);
        assert!(result.stderr.is_empty(), "{shell}: {}", String::from_utf8_lossy(&result.stderr));
        let env = parse_env0(&result.stdout);
        for (name, _) in &all {
            if *name == "SWROLE_PREVIOUS_PROFILE" {
                assert_eq!(
                    env.get(*name).map(String::as_str),
                    Some("sw-staging"),
                    "{shell}: the way back for `sw -`"
                );
            } else {
                assert!(!env.contains_key(*name), "{shell}: {name} survived unset");
            }
        }
    }
}

/// Arguments that make `shell` apply swrole's output from stdin, then run `env -0`.
fn env0_args(shell: &str) -> Vec<&'static str> {
    match shell {
        "fish" => vec!["-c", "source; env -0"],
        "nu" => vec![
            "--no-config-file",
            "--stdin",
            "-c",
            "let r = ($in | from nuon); hide-env -i ...$r.unset; load-env $r.set; ^env -0",
        ],
        _ => vec!["-c", "eval \"$(cat)\"; env -0"],
    }
}
