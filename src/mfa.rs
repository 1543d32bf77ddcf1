//! Where an MFA code comes from, in this order: `--token-code`, then an `mfa_process`
//! (a command that prints the code: `ykman oath accounts code ...`, `op item get ... --otp`),
//! then the terminal, then a dialog when there is no terminal but a display
//! (`SWROLE_MFA_PROMPT`). A cached MFA session means no code is needed at all; that is
//! decided in the plan.
//!
//! `mfa_process` is run like swrole runs a `credential_process`: by `/bin/sh -c` (so the
//! line is written as in a shell: quotes group words, `$VAR` expands), its stderr on
//! swrole's stderr (a YubiKey asks for a touch there), stdin from swrole's, with a time
//! limit (`--mfa-timeout`, default 60 s) and an output limit (4 KiB); the code is the last
//! non-empty line, six ASCII digits (spaces inside allowed, as apps show `123 456`).

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::env::Env;
use crate::options::{Dialog, Prompt};
use crate::text::sanitize;

/// An MFA code as STS takes it: six ASCII digits. Spaces inside (`123 456`, as
/// authenticator apps show codes) are dropped first.
pub fn normalize(code: &str) -> Result<String> {
    let code: String =
        code.trim_matches(|c: char| c.is_ascii_whitespace()).chars().filter(|&c| c != ' ').collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        bail!("the MFA code must be 6 digits");
    }
    Ok(code)
}

/// The dialog to use when there is no terminal: osascript on macOS, else zenity or kdialog
/// (the first on PATH) when `DISPLAY` or `WAYLAND_DISPLAY` is set.
pub fn auto_dialog(env: &Env) -> Option<Dialog> {
    if cfg!(target_os = "macos") {
        return Some(Dialog::Osascript);
    }
    env.first(&["DISPLAY", "WAYLAND_DISPLAY"])?;
    [Dialog::Zenity, Dialog::Kdialog].into_iter().find(|d| env.on_path(d.name()))
}

/// An AppleScript string literal: `"` and `\` escaped, control characters made spaces.
fn applescript_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The command line of a dialog that asks for the code (argv; no shell).
pub fn dialog_command(dialog: Dialog, profile: &str, serial: &str) -> Vec<String> {
    let text = format!("MFA code for profile {profile}\n(device {serial})");
    match dialog {
        Dialog::Zenity => {
            vec!["zenity".into(), "--entry".into(), "--title=swrole".into(), format!("--text={text}")]
        }
        Dialog::Kdialog => {
            vec!["kdialog".into(), "--title".into(), "swrole".into(), "--inputbox".into(), text]
        }
        Dialog::Osascript => vec![
            "osascript".into(),
            "-e".into(),
            format!(
                "display dialog {} default answer \"\" with title \"swrole\" buttons {{\"Cancel\", \"OK\"}} default button \"OK\"",
                applescript_string(&text)
            ),
            "-e".into(),
            "text returned of result".into(),
        ],
    }
}

/// Ask with a dialog. Cancel (or closing it) is a clean failure: nothing is sent.
pub fn ask_dialog(dialog: Dialog, profile: &str, serial: &str, timeout: Duration) -> Result<String> {
    let argv = dialog_command(dialog, profile, serial);
    let line = argv.iter().map(|a| crate::shell::posix::quote(a)).collect::<Vec<_>>().join(" ");
    let what = format!("the {} dialog for the MFA code of profile {profile:?}", dialog.name());
    let text = match crate::process::run(&what, &line, timeout, 4096) {
        Ok(text) => text,
        Err(e) if e.to_string().contains("failed (exit status: 1)") => {
            bail!(
                "the MFA code was not entered (the {} dialog was cancelled): nothing was sent",
                dialog.name()
            )
        }
        Err(e) => return Err(e),
    };
    normalize(&text).with_context(|| what.clone())
}

/// Run an `mfa_process` and take the code from its last line.
pub fn from_process(profile: &str, command: &str, timeout: Duration) -> Result<String> {
    let what = format!("mfa_process of profile {profile:?}");
    let text = crate::process::run(&what, command, timeout, 4096)?;
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    normalize(last).with_context(|| format!("{what}: `{}` printed {:?}", sanitize(command), sanitize(last)))
}

/// Whether this process can open its controlling terminal.
pub fn have_terminal() -> bool {
    std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").is_ok()
}

/// Where the code for one MFA device comes from, decided the same way for a switch and for
/// `explain`.
/// A code was needed and nothing may be asked for one (no terminal, or a renewal in the
/// background): a type of its own, so that a renewal can tell "needs you" from "STS is
/// away".
#[derive(Debug)]
pub struct NoCode(pub String);

impl std::fmt::Display for NoCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoCode {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `--token-code`.
    Flag,
    /// A command, and where it was configured.
    Process {
        command: String,
        from: String,
    },
    Terminal,
    Dialog(Dialog),
    /// No way to ask: the error says what would work.
    Nowhere,
}

/// The source of the code: `--token-code`, then an mfa_process, then the terminal, then a
/// dialog (as `prompt` allows).
pub fn source(
    flag: bool,
    process: Option<(&str, &str)>,
    prompt: Prompt,
    env: &Env,
    terminal: bool,
) -> Source {
    if flag {
        return Source::Flag;
    }
    if let Some((command, from)) = process {
        return Source::Process { command: command.to_string(), from: from.to_string() };
    }
    match prompt {
        Prompt::Terminal if terminal => Source::Terminal,
        Prompt::Terminal => Source::Nowhere,
        Prompt::Dialog(d) => Source::Dialog(d),
        Prompt::Auto if terminal => Source::Terminal,
        Prompt::Auto => auto_dialog(env).map_or(Source::Nowhere, Source::Dialog),
        Prompt::Never => Source::Nowhere,
    }
}

impl Source {
    /// For `explain`.
    pub fn describe(&self) -> String {
        match self {
            Source::Flag => "the code comes from --token-code".to_string(),
            Source::Process { command, from } => {
                format!("the code comes from mfa_process `{command}` ({from})")
            }
            Source::Terminal => "the code is asked on the terminal".to_string(),
            Source::Dialog(d) => format!("the code is asked in a {} dialog (no terminal)", d.name()),
            Source::Nowhere => {
                "no terminal and no dialog to ask for the code: pass --token-code or set mfa_process"
                    .to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(normalize("123456").unwrap(), "123456");
        assert_eq!(normalize(" 123 456\n").unwrap(), "123456");
        for bad in
            ["12345", "1234567", "12345a", "", "１２３４５６", "123\u{a0}456", "\u{a0}123456", "12 34 5"]
        {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dialogs() {
        let z = dialog_command(Dialog::Zenity, "sw-staging", "arn:aws:iam::1:mfa/me");
        assert_eq!(z[..3], ["zenity", "--entry", "--title=swrole"]);
        assert!(z[3].contains("profile sw-staging") && z[3].contains("arn:aws:iam::1:mfa/me"));
        let o = dialog_command(Dialog::Osascript, "a\"b\\c", "s");
        assert_eq!(o[0], "osascript");
        assert!(
            o[2].starts_with("display dialog \"MFA code for profile a\\\"b\\\\c (device s)\""),
            "{}",
            o[2]
        );
        assert_eq!(o[4], "text returned of result");
        let k = dialog_command(Dialog::Kdialog, "p", "s");
        assert_eq!(k[..4], ["kdialog", "--title", "swrole", "--inputbox"]);
    }

    #[test]
    fn sources_in_order() {
        let env = Env::from_pairs([("PATH", "/nonexistent")]);
        let p = Some(("echo 123456", "profile \"p\""));
        assert_eq!(source(true, p, Prompt::Auto, &env, true), Source::Flag);
        assert!(matches!(source(false, p, Prompt::Auto, &env, true), Source::Process { .. }));
        assert_eq!(source(false, None, Prompt::Auto, &env, true), Source::Terminal);
        assert_eq!(source(false, None, Prompt::Terminal, &env, true), Source::Terminal);
        assert_eq!(source(false, None, Prompt::Terminal, &env, false), Source::Nowhere);
        assert_eq!(source(false, None, Prompt::Never, &env, true), Source::Nowhere);
        assert_eq!(
            source(false, None, Prompt::Dialog(Dialog::Zenity), &env, true),
            Source::Dialog(Dialog::Zenity)
        );
        if !cfg!(target_os = "macos") {
            assert_eq!(
                source(false, None, Prompt::Auto, &env, false),
                Source::Nowhere,
                "no display, no dialog"
            );
        }
    }

    #[test]
    fn prompts() {
        assert_eq!(Prompt::from_env(&Env::default()).unwrap(), Prompt::Auto);
        let env = Env::from_pairs([("SWROLE_MFA_PROMPT", "zenity")]);
        assert_eq!(Prompt::from_env(&env).unwrap(), Prompt::Dialog(Dialog::Zenity));
        assert!(Prompt::from_env(&Env::from_pairs([("SWROLE_MFA_PROMPT", "x")])).is_err());
        if !cfg!(target_os = "macos") {
            assert_eq!(auto_dialog(&Env::from_pairs([("PATH", "/nonexistent")])), None);
        }
    }

    #[test]
    fn sources_are_described_for_explain() {
        let process = Source::Process {
            command: "ykman oath accounts code -s aws".into(),
            from: "profile \"p\", /c:3".into(),
        };
        assert_eq!(
            process.describe(),
            "the code comes from mfa_process `ykman oath accounts code -s aws` (profile \"p\", /c:3)"
        );
        assert_eq!(Source::Flag.describe(), "the code comes from --token-code");
        assert_eq!(Source::Terminal.describe(), "the code is asked on the terminal");
        assert_eq!(
            Source::Dialog(Dialog::Kdialog).describe(),
            "the code is asked in a kdialog dialog (no terminal)"
        );
        assert!(Source::Nowhere.describe().ends_with("pass --token-code or set mfa_process"));
    }
}
