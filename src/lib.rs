//! swrole: switch AWS IAM roles in the current shell.
//!
//! `main.rs` parses the command line and calls [`run`], which hands each command to its
//! file in `cmd/`. Below that: the pure core (`config`, `chain`, `plan`, `exports`,
//! `shell`), one switch end to end (`switch`), and the edges (`sts` for the network,
//! `cache` for files written, `tty` for questions). `text`, `clock` and `error` are the
//! ground floor that everything may use.

pub mod cache;
pub mod chain;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod console;
pub mod credentials;
pub mod docker;
pub mod doctor;
pub mod edit;
pub mod env;
pub mod error;
pub mod explain;
pub mod exports;
pub mod keys;
pub mod login;
pub mod mfa;
pub mod oidc;
pub mod options;
pub mod plan;
pub mod process;
pub mod record;
pub mod safety;
pub mod server;
pub mod shell;
pub mod signin;
pub mod sso;
pub mod store;
pub mod sts;
pub mod switch;
pub mod team;
pub mod team_source;
pub mod text;
pub mod tty;

use anyhow::{Result, bail};

use crate::cli::{Cli, Command};
use crate::env::Env;

pub fn run(cli: Cli) -> Result<()> {
    let env = Env::from_process();
    sts::keep_loopback_off_proxies();
    match cli.command {
        Some(Command::Exec { profile, switch, command, server, container, allow_prompt, server_address }) => {
            if server || container {
                cmd::exec::serve(&env, &profile, &switch, command, allow_prompt, server_address, container)
            } else if allow_prompt {
                Err(anyhow::anyhow!("--allow-prompt is for exec --server and exec --container"))
            } else {
                cmd::exec::run(&env, &profile, &switch, command)
            }
        }
        Some(Command::Unset { shell }) => cmd::unset::run(&env, shell),
        Some(Command::List { long }) => cmd::list::run(&env, long),
        Some(Command::Cache { action }) => cmd::cache::run(&env, action),
        Some(Command::Explain { profile, verify, long, switch }) => {
            cmd::explain::run(&env, &profile, verify, long, &switch)
        }
        Some(Command::Doctor { json }) => cmd::doctor::run(&env, json),
        Some(Command::CredentialProcess { profile, switch }) => {
            cmd::credential_process::run(&env, &profile, &switch)
        }
        Some(Command::Init { shell, cmd }) => cmd::init::run(shell, &cmd),
        Some(Command::Keys { action }) => cmd::keys::run(&env, action),
        Some(Command::Team { action }) => cmd::team::run(&env, action),
        Some(Command::Setup(args)) => cmd::setup::run(&env, args),
        Some(Command::Login(args)) => cmd::login::run(&env, args),
        Some(Command::Sso { action }) => cmd::sso::run(&env, action),
        Some(Command::Log { profile, since, write, json, utc }) => {
            cmd::log::run(&env, profile.as_deref(), since.as_deref(), write, json, utc)
        }
        Some(Command::Guard { check }) => cmd::log::guard(&env, check),
        Some(Command::Man { install }) => cmd::man::man(&env, install),
        Some(Command::Completions { shell }) => cmd::man::completions(shell),
        Some(Command::Console { profile, switch, print, destination, container, browser_profile }) => {
            cmd::console::run(
                &env,
                &profile,
                &switch,
                &cmd::console::Opening { print, destination, container, browser_profile },
            )
        }
        None => match cli.profile.or(cli.profile_option) {
            Some(profile) => cmd::switch::run(&env, &profile, &cli.switch, &cli.output),
            None => bail!("no profile given: run `swrole list` to see them, `swrole --help` for usage"),
        },
    }
}
