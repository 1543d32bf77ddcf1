//! What the caller asks of one switch: the command line's flags and `SWROLE_*` settings,
//! resolved by `cmd/` and read by `switch` and `sts`. Pure data, below both (so that the
//! network edge never imports the switch that calls it).

use std::time::Duration;

use anyhow::{Result, bail};

use crate::env::Env;
use crate::plan::Overrides;
use crate::text::sanitize;

/// What the caller asks of one switch (built from the command line by `cmd`).
#[derive(Clone, Debug)]
pub struct Options {
    /// An MFA code given up front (`--token-code`).
    pub token_code: Option<String>,
    pub duration: Option<u32>,
    pub region: Option<String>,
    pub session_name: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub no_cache: bool,
    pub refresh: bool,
    /// Seconds before expiry at which cached credentials are renewed.
    pub refresh_margin: u32,
    pub mfa_session_duration: u32,
    /// Skip the `swrole_confirm` question.
    pub yes: bool,
    pub verbose: bool,
    /// Time limit of a profile's credential_process.
    pub process_timeout: Duration,
    /// Run as a credential_process for another tool (no shell to switch, maybe no terminal).
    pub for_credential_process: bool,
    /// `--mfa-process` / `SWROLE_MFA_PROCESS`: wins over the profile's `mfa_process`.
    pub mfa_process: Option<String>,
    /// Time limit of an mfa_process or an MFA dialog.
    pub mfa_timeout: Duration,
    /// `SWROLE_MFA_PROMPT`.
    pub mfa_prompt: Prompt,
    /// A renewal inside this process (`exec --server`): the credential_process loop guard
    /// already ran, and the process has other threads now.
    pub renewal: bool,
    /// What the credentials are for: the `swrole_confirm` question says it.
    pub purpose: Purpose,
    /// `--write`: assume the role without its session policy (write access).
    pub write: bool,
    /// Why write access is needed (`--reason`, or asked): recorded, and sent as a session tag.
    pub reason: Option<String>,
    /// Say nothing that is not an error (the plan's warnings, the margin clamp): the
    /// auto-refresh's background runs, before every command.
    pub quiet: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            token_code: None,
            duration: None,
            region: None,
            session_name: None,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            no_cache: false,
            refresh: false,
            refresh_margin: 600,
            mfa_session_duration: 43_200,
            yes: false,
            verbose: false,
            process_timeout: Duration::from_secs(30),
            for_credential_process: false,
            mfa_process: None,
            mfa_timeout: Duration::from_secs(60),
            mfa_prompt: Prompt::Auto,
            renewal: false,
            quiet: false,
            purpose: Purpose::Switch,
            write: false,
            reason: None,
        }
    }
}

impl Options {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            duration_seconds: self.duration,
            region: self.region.clone(),
            session_name: self.session_name.clone(),
            no_cache: self.no_cache,
            write: self.write,
            reason: self.reason.clone(),
        }
    }
}

/// The dialog programs swrole can ask with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialog {
    Osascript,
    Zenity,
    Kdialog,
}

impl Dialog {
    pub fn name(self) -> &'static str {
        match self {
            Dialog::Osascript => "osascript",
            Dialog::Zenity => "zenity",
            Dialog::Kdialog => "kdialog",
        }
    }
}

/// `SWROLE_MFA_PROMPT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Terminal,
    Dialog(Dialog),
    /// The terminal when there is one, else a dialog when a display is available.
    Auto,
    /// Never ask (the shell's auto-refresh): a code from `--token-code` or an mfa_process,
    /// or an error.
    Never,
}

impl Prompt {
    pub fn from_env(env: &Env) -> Result<Prompt> {
        Ok(match env.get("SWROLE_MFA_PROMPT") {
            None | Some("auto") => Prompt::Auto,
            Some("terminal") => Prompt::Terminal,
            Some("osascript") => Prompt::Dialog(Dialog::Osascript),
            Some("zenity") => Prompt::Dialog(Dialog::Zenity),
            Some("kdialog") => Prompt::Dialog(Dialog::Kdialog),
            Some("never") => Prompt::Never,
            Some(other) => bail!(
                "SWROLE_MFA_PROMPT={:?}: use terminal, osascript, zenity, kdialog, auto or never",
                sanitize(other)
            ),
        })
    }
}

/// What a command does with the credentials, for the `swrole_confirm` question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Switch,
    /// `exec` and `exec --server`: a command runs as the role.
    Job,
    Console,
    CredentialProcess,
}

impl Purpose {
    /// The question's verb: "switch to PROFILE (...)?".
    pub fn verb(self) -> &'static str {
        match self {
            Purpose::Switch => "switch to",
            Purpose::Job => "run the command as",
            Purpose::Console => "open the console as",
            Purpose::CredentialProcess => "hand out the credentials of",
        }
    }

    /// What did not happen, when the answer is no.
    pub fn refused(self) -> &'static str {
        match self {
            Purpose::Switch => "not switched to",
            Purpose::Job => "nothing run as",
            Purpose::Console => "no console opened for",
            Purpose::CredentialProcess => "no credentials given for",
        }
    }
}
