//! swrole: switch AWS IAM roles in the current shell.
//!
//! `main.rs` parses the command line and calls [`run`]; everything else lives here so that
//! tests can reach the pure core (files, chain, plan, exports, shell emitters) directly.

pub mod cache;
pub mod chain;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod doctor;
pub mod env;
pub mod explain;
pub mod exports;
pub mod init;
pub mod plan;
pub mod prompt;
pub mod shell;
pub mod sts;
pub mod switch;

use std::io::IsTerminal;

use anyhow::{Result, bail};

use crate::cli::{CacheAction, Cli, Command, OutputArgs, SwitchArgs};
use crate::env::Env;
use crate::exports::{Exports, Switch};
use crate::shell::{Shell, Syntax};
use crate::switch::{Files, write_stdout};

pub fn run(cli: Cli) -> Result<()> {
    let env = Env::from_process();
    match cli.command {
        Some(Command::Exec { profile, switch, command }) => exec(&env, &profile, &switch, command),
        Some(Command::Unset { shell }) => unset(&env, shell),
        Some(Command::List { long }) => list(&env, long),
        Some(Command::Cache { action }) => cache_command(&env, action),
        Some(Command::Explain { profile, verify, switch }) => explain(&env, &profile, verify, &switch),
        Some(Command::Doctor { json }) => doctor(&env, json),
        Some(Command::CredentialProcess { profile, switch }) => credential_process(&env, &profile, &switch),
        Some(Command::Init { shell, cmd }) => write_stdout(&init::script(shell, &cmd)?),
        None => match cli.profile.or(cli.profile_option) {
            Some(profile) => switch(&env, &profile, &cli.switch, &cli.output),
            None => bail!("no profile given: run `swrole list` to see them, `swrole --help` for usage"),
        },
    }
}

fn shell_or_detect(env: &Env, shell: Option<Shell>) -> Shell {
    shell.unwrap_or_else(|| Shell::detect(env.get("SHELL")))
}

/// `swrole PROFILE`: print the switch for the shell to evaluate.
fn switch(env: &Env, profile: &str, args: &SwitchArgs, output: &OutputArgs) -> Result<()> {
    let shell = shell_or_detect(env, output.shell);
    if !output.print && std::io::stdout().is_terminal() {
        // The user forgot `eval`: secrets would only land in the scrollback.
        let hint = shell.syntax().unwrap_or(Syntax::Posix).eval_hint(&[profile]);
        bail!(
            "this prints credentials for your shell to apply, so nothing was done. Run:\n  {hint}\n(or pass --print to print them here)"
        );
    }
    let files = Files::load(env)?;
    let (plan, creds) = switch::credentials(&files, env, profile, args)?;
    let text = match shell.syntax() {
        None => shell::json::render(&creds),
        Some(syntax) => syntax.render(&switch_exports(env, profile, &plan, &creds)),
    };
    write_stdout(&text)
}

/// What a switch to `profile` changes in the environment.
fn switch_exports(env: &Env, profile: &str, plan: &plan::Plan, creds: &credentials::Credentials) -> Exports {
    Exports::for_switch(&Switch {
        profile,
        credentials: creds,
        role_arn: plan.hops.last().map(|h| h.role_arn.as_str()),
        region: plan.region.as_deref(),
        color: plan.color.as_deref(),
        previous: env.get("SWROLE_PROFILE"),
    })
}

/// The variable that carries the profiles of nested `credential-process` calls, like the
/// AWS CLI's `_AWS_CLI_PROFILE_CHAIN`.
const PROCESS_CHAIN: &str = "SWROLE_CREDENTIAL_PROCESS_CHAIN";
const PROCESS_DEPTH: usize = 4;

/// `swrole credential-process PROFILE`: the JSON document an SDK reads from a
/// `credential_process`. A profile whose credential_process calls swrole for itself (or a
/// loop through several) is stopped with the loop shown.
fn credential_process(env: &Env, profile: &str, args: &SwitchArgs) -> Result<()> {
    let mut chain: Vec<String> =
        env.get(PROCESS_CHAIN).map(|c| c.split(',').map(str::to_string).collect()).unwrap_or_default();
    if chain.iter().any(|p| p == profile) || chain.len() >= PROCESS_DEPTH {
        chain.push(profile.to_string());
        bail!(
            "credential_process calls swrole in a loop: {} (check the credential_process lines)",
            chain.join(" -> ")
        );
    }
    chain.push(profile.to_string());
    // SAFETY: nothing else runs yet (no runtime, no threads): this process is single-
    // threaded here, and the variable must reach the credential_process children that the
    // AWS SDK starts.
    unsafe { std::env::set_var(PROCESS_CHAIN, chain.join(",")) };
    let files = Files::load(env)?;
    let (_, creds) = switch::credentials(&files, env, profile, args)?;
    write_stdout(&shell::json::render(&creds))
}

/// `swrole explain PROFILE [--verify]`.
fn explain(env: &Env, profile: &str, verify: bool, args: &SwitchArgs) -> Result<()> {
    use explain::{CacheState, MfaSessionState};
    let files = Files::load(env)?;
    let plan = files.plan(env, profile, args)?;
    let source = switch::source_identity(&plan.base, &files.set, env);
    let cache = if args.no_cache { None } else { cache::Cache::locate(env, args.refresh_margin.into()) };
    let now = cache::now();
    let lookup = |key: &str, kind| {
        cache.as_ref().and_then(|c| c.get(key, kind).ok().flatten()).map(|e| e.expiration - now)
    };
    let cache_state = match &cache {
        None => CacheState::Off,
        Some(_) => CacheState::Role(lookup(&switch::role_key(&plan, &source), cache::Kind::Role)),
    };
    let mfa = match plan.hops.first().and_then(|h| h.mfa_serial.as_deref()) {
        Some(serial) => {
            let left = lookup(&switch::mfa_key(&plan, &source, serial), cache::Kind::MfaSession);
            MfaSessionState { usable: left.is_some(), left }
        }
        None => MfaSessionState { usable: false, left: None },
    };
    let default_name = plan::default_session_name(env);
    let mut text = explain::render(
        &files.set,
        &files.paths,
        &plan,
        &cache_state,
        &mfa,
        &default_name,
        env.get("SWROLE_PROFILE"),
    );
    if verify {
        let (plan, creds) = switch::credentials(&files, env, profile, args)?;
        let settings = sts::Settings::for_plan(&plan, args);
        let arn = sts::runtime()?.block_on(sts::caller_identity(&settings, &creds))?;
        text.push_str(&format!("{:<10} {arn} (GetCallerIdentity)\n", "verified"));
    }
    write_stdout(&text)
}

/// `swrole doctor [--json]`: exit status 1 when anything was found.
fn doctor(env: &Env, json: bool) -> Result<()> {
    let findings = doctor::check(env, &SwitchArgs::default());
    let text = if json { doctor::render_json(&findings) } else { doctor::render_text(&findings) };
    write_stdout(&printable(&text))?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(anyhow::Error::new(Failure { code: 1, message: String::new() }))
    }
}

/// `swrole exec PROFILE -- CMD...`: replace this process with CMD, so its exit status and
/// signals are the command's own.
fn exec(env: &Env, profile: &str, args: &SwitchArgs, command: Vec<std::ffi::OsString>) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let files = Files::load(env)?;
    let (plan, creds) = switch::credentials(&files, env, profile, args)?;
    let exports = switch_exports(env, profile, &plan, &creds);
    let (program, rest) = command.split_first().expect("clap requires a command");
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    exports.apply(&mut cmd);
    let err = cmd.exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
    Err(anyhow::Error::new(Failure {
        code,
        message: format!("could not run {}: {err}", program.to_string_lossy()),
    }))
}

/// `swrole unset`: the lines that remove every variable a switch sets.
fn unset(env: &Env, shell: Option<Shell>) -> Result<()> {
    let Some(syntax) = shell_or_detect(env, shell).syntax() else {
        bail!("--shell json prints credentials; there is nothing to unset in JSON");
    };
    write_stdout(&syntax.render(&Exports::for_unset(env.get("SWROLE_PROFILE"))))
}

/// `swrole list`: profile names, one a line (for people and completion scripts).
fn list(env: &Env, long: bool) -> Result<()> {
    let files = Files::load(env)?;
    let mut out = String::new();
    if !long {
        for name in files.set.profiles.keys() {
            out.push_str(name);
            out.push('\n');
        }
        return write_stdout(&out);
    }
    let rows: Vec<[String; 5]> = files
        .set
        .profiles
        .iter()
        .map(|(name, section)| {
            let role = section.text("role_arn").unwrap_or("-");
            let account = plan::account_of(role).unwrap_or("-");
            let mfa = if section.get("mfa_serial").is_some() { "yes" } else { "no" };
            let region = section.text("region").unwrap_or("-");
            [name.clone(), role.to_string(), account.to_string(), mfa.to_string(), region.to_string()]
        })
        .collect();
    let header = ["PROFILE", "ROLE", "ACCOUNT", "MFA", "REGION"].map(str::to_string);
    let widths: Vec<usize> = (0..5)
        .map(|i| std::iter::once(&header).chain(&rows).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    write_stdout(&out)
}

/// `swrole cache list|clear [PROFILE]`: what is cached (never secrets), or remove it.
fn cache_command(env: &Env, action: CacheAction) -> Result<()> {
    let Some(cache) = cache::Cache::locate(env, 0) else {
        bail!("neither XDG_CACHE_HOME nor HOME is set: there is no cache")
    };
    let entries = cache.entries()?;
    match action {
        CacheAction::List => {
            let now = cache::now();
            let mut out = String::new();
            for (_, e) in &entries {
                let left = e.expiration - now;
                let left = if left <= 0 { "expired".to_string() } else { format!("{}m left", left / 60) };
                out.push_str(&format!(
                    "{}\t{}\t{}\t{left}\n",
                    e.profile,
                    e.kind.name(),
                    credentials::rfc3339(e.expiration)
                ));
            }
            write_stdout(&out)
        }
        CacheAction::Clear { profile } => {
            let mut removed = 0;
            for (path, e) in &entries {
                if profile.as_deref().is_none_or(|p| p == e.profile) {
                    cache.remove(path)?;
                    removed += 1;
                }
            }
            eprintln!(
                "swrole: removed {removed} cache entr{} from {}",
                if removed == 1 { "y" } else { "ies" },
                cache.dir().display()
            );
            Ok(())
        }
    }
}

/// An error that carries its own process exit status (1 for all others).
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Text for the terminal: control characters other than newline (ANSI and OSC escapes,
/// CR) shown escaped, so file and network text cannot drive the terminal.
pub fn printable(text: &str) -> String {
    // Bidirectional and zero-width controls can make a line read differently than it is.
    let invisible = |c: char| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
    text.chars()
        .flat_map(|c| {
            if (c.is_control() && c != '\n') || invisible(c) {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
