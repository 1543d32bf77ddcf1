//! The command line. `swrole PROFILE` is the documented usage; subcommands sit beside it,
//! and a profile named like a subcommand stays reachable with `--profile NAME` or `-- NAME`.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::{ArgValueCandidates, CompletionCandidate};

use crate::shell::Shell;

/// The variable through which a shell asks swrole for completions (clap_complete's
/// protocol): `SWROLE_COMPLETE=bash swrole -- swrole explain s<Tab>`.
pub const COMPLETE_VAR: &str = "SWROLE_COMPLETE";

/// The shells `swrole completions` registers swrole's completion in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    Nu,
}

/// `swrole --version`: the version and the commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SWROLE_COMMIT"), ")");

/// Under `-h`: how to use it, and where the rest is.
const AFTER_HELP: &str = "\
Usage in the shell:
  eval \"$(swrole sw-staging)\"          bash, zsh
  swrole sw-staging | source           fish
  swrole exec sw-staging -- aws s3 ls  one command, without touching the shell

swrole --help (or swrole COMMAND --help) says more: every option and variable.";

/// Under `--help`. Every line is shorter than 80 columns, so that clap never wraps it.
const AFTER_LONG_HELP: &str = "\
Usage in the shell:
  eval \"$(swrole sw-staging)\"          bash, zsh
  swrole sw-staging | source           fish
  swrole exec sw-staging -- aws s3 ls  one command, without touching the shell

Environment:
  AWS_CONFIG_FILE              config file (default ~/.aws/config)
  AWS_SHARED_CREDENTIALS_FILE  credentials file (default ~/.aws/credentials)
  AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL
                               STS endpoint (also endpoint_url and [services]
                               in the config)
  AWS_CA_BUNDLE                a CA bundle to trust besides the system's
                               (also ca_bundle)
  SHELL                        output syntax when --shell is not given and
                               the calling shell cannot be told
  XDG_CACHE_HOME               the cache lives in $XDG_CACHE_HOME/swrole
                               (default ~/.cache/swrole)
  SWROLE_CACHE_STORE           keyutils (Linux default), file
  SWROLE_KEY_STORE             secret-service (Linux default), keychain
                               (macOS default), keyutils, file
  SWROLE_MFA_PROCESS           a command that prints the MFA code (also
                               --mfa-process, mfa_process in the profile)
  SWROLE_MFA_PROMPT            auto, terminal, zenity, kdialog, osascript,
                               never
  SWROLE_FEDERATION_URL        the federation endpoint of `swrole console`
  SWROLE_CONNECT_TIMEOUT, SWROLE_READ_TIMEOUT, SWROLE_PROCESS_TIMEOUT,
  SWROLE_MFA_TIMEOUT, SWROLE_REFRESH_MARGIN, SWROLE_MFA_SESSION_DURATION
                               the flags of the same names
In the shell integration (swrole init):
  SWROLE_REFRESH_MINUTES       renew the role this long before it expires
                               (read each time)
  SWROLE_QUIET                 no line after `sw PROFILE` or `sw off`";

/// swrole's command line as it parses and shows help: under `-h` each command and option
/// says its first sentence (one screen), under `--help` its whole text.
pub fn command() -> clap::Command {
    fn short(cmd: clap::Command) -> clap::Command {
        let about = cmd.get_about().map(ToString::to_string);
        let cmd = match about {
            Some(about) if cmd.get_long_about().is_none() && summary(&about) != about => {
                cmd.about(summary(&about)).long_about(about)
            }
            _ => cmd,
        };
        cmd.mut_args(|a| {
            let tuning = TUNING.contains(&a.get_id().as_str());
            let a = a.hide_short_help(tuning);
            match a.get_help().map(ToString::to_string) {
                Some(help) if a.get_long_help().is_none() && summary(&help) != help => {
                    a.help(summary(&help)).long_help(help)
                }
                _ => a,
            }
        })
        .mut_subcommands(short)
    }
    short(<Cli as clap::CommandFactory>::command())
}

/// Options for tuning and the rare case, shown by `--help` only.
const TUNING: [&str; 10] = [
    "profile_option",
    "print",
    "session_name",
    "connect_timeout",
    "read_timeout",
    "mfa_process",
    "mfa_timeout",
    "process_timeout",
    "refresh_margin",
    "mfa_session_duration",
];

/// Parse the process's arguments (clap's errors and help exit here). The help texts are
/// reshaped only when help is asked for: a switch from the cache pays nothing for them.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let help = std::env::args_os().skip(1).any(|a| a == "-h" || a == "--help" || a == "help");
    let cmd = if help { command() } else { <Cli as clap::CommandFactory>::command() };
    Cli::from_arg_matches(&cmd.get_matches()).unwrap_or_else(|e| e.exit())
}

/// The first clause of a help text: up to the first `. `, `: ` or `; ` outside brackets
/// and backquotes.
fn summary(text: &str) -> String {
    let (mut depth, mut quoted) = (0usize, false);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'`' => quoted = !quoted,
            b'(' | b'[' if !quoted => depth += 1,
            b')' | b']' if !quoted => depth = depth.saturating_sub(1),
            b'.' | b':' | b';'
                if !quoted
                    && depth == 0
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_whitespace)
                    && !text[..i].ends_with("e.g")
                    && !text[..i].ends_with("i.e") =>
            {
                return text[..i].to_string();
            }
            _ => {}
        }
    }
    text.trim_end_matches('.').to_string()
}

#[derive(Debug, Parser)]
#[command(name = "swrole", version = VERSION, about, args_conflicts_with_subcommands = true, args_override_self = true, after_help = AFTER_HELP, after_long_help = AFTER_LONG_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Profile to switch to (from the AWS config and credentials files)
    #[arg(add = ArgValueCandidates::new(profiles_then_subcommands), value_name = "PROFILE")]
    pub profile: Option<String>,

    /// The profile, for names that look like a subcommand or an option
    #[arg(add = ArgValueCandidates::new(profile_names), long = "profile", value_name = "NAME", conflicts_with = "profile")]
    pub profile_option: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub switch: SwitchArgs,
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output syntax; default: from $SHELL, else POSIX
    #[arg(short, long, value_enum, value_name = "SHELL")]
    pub shell: Option<Shell>,

    /// Print credentials even when stdout is a terminal (normally a hint is printed instead)
    #[arg(long)]
    pub print: bool,

    /// For the shell integration's auto-refresh: print fresh credentials from the cache if
    /// it has them; else start a renewal in the background (it never asks) and exit 75
    /// with nothing printed. Never waits on the network (internal)
    #[arg(long, hide = true)]
    pub background: bool,

    /// The renewal that --background starts (internal)
    #[arg(long, hide = true, conflicts_with = "background")]
    pub background_child: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SwitchArgs {
    /// MFA code (6 digits); without it swrole asks on the terminal when a profile has mfa_serial
    #[arg(short = 't', long, value_name = "CODE")]
    pub token_code: Option<String>,

    /// Session length of the role, e.g. 3600, 90m, 2h (overrides duration_seconds)
    #[arg(short, long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<u32>,

    /// Region to export and to call STS in (overrides the profile's region)
    #[arg(short, long, value_name = "REGION")]
    pub region: Option<String>,

    /// RoleSessionName for every hop (default: role_session_name, else your login name)
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,

    /// Seconds to wait for a connection to STS (1 to 3600)
    #[arg(long, value_name = "SECS", default_value_t = 5, env = "SWROLE_CONNECT_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: u64,

    /// Seconds to wait for STS to answer (1 to 3600)
    #[arg(long, value_name = "SECS", default_value_t = 10, env = "SWROLE_READ_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub read_timeout: u64,

    /// A command that prints the MFA code (instead of asking), e.g. `ykman oath accounts
    /// code --single AWS`; also `mfa_process` in the profile
    #[arg(long, value_name = "CMD", env = "SWROLE_MFA_PROCESS")]
    pub mfa_process: Option<String>,

    /// Seconds an mfa_process or an MFA dialog may take (1 to 3600)
    #[arg(long, value_name = "SECS", default_value_t = 60, env = "SWROLE_MFA_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub mfa_timeout: u64,

    /// Seconds a profile's credential_process may run (1 to 3600)
    #[arg(long, value_name = "SECS", default_value_t = 30, env = "SWROLE_PROCESS_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub process_timeout: u64,

    /// Neither read nor write the credential cache
    #[arg(long)]
    pub no_cache: bool,

    /// Ignore cached credentials and MFA sessions; cache the new ones
    #[arg(long, conflicts_with = "no_cache")]
    pub refresh: bool,

    /// Renew cached credentials this long before they expire
    #[arg(long, value_name = "DURATION", default_value = "10m", env = "SWROLE_REFRESH_MARGIN", value_parser = parse_margin)]
    pub refresh_margin: u32,

    /// Length of the MFA session that serves every role behind the same MFA device
    #[arg(long, value_name = "DURATION", default_value = "12h", env = "SWROLE_MFA_SESSION_DURATION", value_parser = parse_session_duration)]
    pub mfa_session_duration: u32,

    /// Switch without asking, also to a profile marked swrole_confirm = true
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Say on stderr what is being done (never secrets)
    #[arg(short, long)]
    pub verbose: bool,

    /// Write access to a profile that is read-only by swrole_session_policy: assume the role
    /// without the policy, for a reason (asked, or --reason)
    #[arg(long)]
    pub write: bool,

    /// Why write access is needed (with --write): kept in swrole's record, and sent as the
    /// session tag swrole-reason where the role allows tags
    #[arg(long, value_name = "TEXT", requires = "write")]
    pub reason: Option<String>,
}

impl SwitchArgs {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout.max(1))
    }
    pub fn read_timeout(&self) -> Duration {
        Duration::from_secs(self.read_timeout.max(1))
    }
    pub fn process_timeout(&self) -> Duration {
        Duration::from_secs(self.process_timeout.max(1))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command with the role's credentials: `swrole exec PROFILE [--] CMD ARGS...`.
    /// With --server, CMD gets a credentials endpoint on loopback instead of keys, and
    /// fresh role credentials from it for as long as the MFA session lives (past the
    /// one-hour limit of a role assumed with an MFA session or another role)
    Exec {
        /// Profile to assume
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        #[command(flatten)]
        switch: SwitchArgs,
        /// Serve CMD fresh credentials from a loopback endpoint (the container credentials
        /// protocol every AWS SDK reads); swrole stays CMD's parent and forwards signals
        #[arg(long)]
        server: bool,
        /// Run CMD, a `docker run` (or `docker compose`), with the container served as
        /// --server serves CMD: on swrole's Docker network (169.254.170.0/24, made on first
        /// use), the endpoint at 169.254.170.2, its token in a read-only mounted file; the
        /// container never sees a key (docs/containers.md)
        #[arg(long, conflicts_with = "server")]
        container: bool,
        /// With --server or --container: when the MFA session runs out, ask for a code (on
        /// the terminal or in a dialog) instead of answering CMD with an error
        #[arg(long)]
        allow_prompt: bool,
        /// With --server: the loopback address to listen on
        #[arg(long, value_name = "ADDR", requires = "server", default_value = "127.0.0.1")]
        server_address: std::net::IpAddr,
        /// The command and its arguments (after `--`, or, as aws-vault takes them, right
        /// after the profile and the options: every word from CMD on is CMD's)
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
        #[arg(add = clap_complete::engine::ArgValueCompleter::new(CommandCompleter))]
        command: Vec<OsString>,
    },
    /// Print the lines that remove every variable swrole sets
    Unset {
        /// Output syntax; default: from $SHELL, else POSIX
        #[arg(short, long, value_enum, value_name = "SHELL")]
        shell: Option<Shell>,
    },
    /// Print the shell integration: the `sw` function, prompt helper, completion
    Init {
        /// The shell to integrate with
        #[arg(value_enum)]
        shell: Shell,
        /// Name of the function (default sw; it cannot be swrole)
        #[arg(long, value_name = "NAME", default_value = "sw")]
        cmd: String,
    },
    /// Show, offline, how a profile resolves: each hop, where each value came from, whether
    /// an MFA code will be needed, and what a switch sets and unsets
    Explain {
        /// Profile to explain
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// Also get the credentials (this may ask for an MFA code) and call GetCallerIdentity
        #[arg(long)]
        verify: bool,
        /// Also name every variable a switch sets and unsets
        #[arg(short, long)]
        long: bool,
        #[command(flatten)]
        switch: SwitchArgs,
    },
    /// Check the files, profiles, environment and cache. Each problem comes with its fix
    Doctor {
        /// Findings as JSON, for scripts
        #[arg(long)]
        json: bool,
    },
    /// Print the credential_process document for PROFILE. For `credential_process = swrole
    /// credential-process PROFILE` in another profile; shares the cache
    CredentialProcess {
        /// Profile to assume
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        #[command(flatten)]
        switch: SwitchArgs,
    },
    /// Open the AWS console as the role of PROFILE: its credentials (cache, MFA as for a
    /// switch) are exchanged at the AWS federation endpoint for a sign-in URL, opened in
    /// $BROWSER, else `open` (macOS) or `xdg-open`. The console session lasts as long as the
    /// role's credentials have left (15 minutes to 12 hours); for a role assumed through
    /// the MFA session or another role, as long as those credentials (the endpoint takes no
    /// length for them). SWROLE_FEDERATION_URL overrides the federation endpoint.
    Console {
        /// Profile to sign in as
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        #[command(flatten)]
        switch: SwitchArgs,
        /// Print the sign-in URL on stdout instead of opening it (it signs in whoever has
        /// it, for 15 minutes)
        #[arg(long)]
        print: bool,
        /// The console page: a service (s3) or a path (cloudwatch/home), in the profile's region
        #[arg(long, value_name = "SERVICE_OR_PATH")]
        destination: Option<String>,
        /// Open it in a Firefox container named after the profile (the "Open external links
        /// in a container" extension), so that several roles sit side by side
        #[arg(long, conflicts_with = "browser_profile")]
        container: bool,
        /// Open it in this Chrome or Chromium profile (--profile-directory), one per role
        #[arg(long, value_name = "NAME")]
        browser_profile: Option<String>,
    },
    /// Show or clear cached credentials and MFA sessions. Never their secrets
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Keep the IAM user's keys in the OS key store, not ~/.aws/credentials.
    /// SWROLE_KEY_STORE: keychain, secret-service, keyutils or file
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print swrole's man page (roff). It is made from this help and the guide's sections on sw,
    /// the prompt, auto-refresh, the cache and the environment; --install puts it where
    /// `man swrole` finds it
    Man {
        /// Write it to ../share/man/man1/swrole.1 beside swrole's own directory (where man
        /// looks for a program found on PATH: ~/.cargo/share/man, /usr/local/share/man, ...)
        #[arg(long)]
        install: bool,
    },
    /// Print the tab completion of the swrole command. Profile names, subcommands and
    /// flags, asked from swrole at each Tab; `swrole init` registers it too, with the `sw`
    /// function's
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Keep the team's profiles in ~/.aws/config from a shared team file. The file
    /// (swrole-team.ini) is written in a block swrole owns, shown as a diff before it is written;
    /// everything outside the block stays byte for byte
    Team {
        #[command(subcommand)]
        action: TeamAction,
    },
    /// Sign in with the browser, as `aws login` does: PROFILE holds no access key. It is
    /// an `aws login` session (login_session = ARN) that refreshes itself for up to
    /// 12 hours, shared with the AWS CLI v2 and the SDKs; profiles with source_profile =
    /// PROFILE then switch on top of it. The browser comes back to a one-time address on
    /// 127.0.0.1; with --remote (SSH), open the URL anywhere and paste the code it shows.
    /// For an IAM Identity Center profile, or an [sso-session NAME], it signs in there
    /// (the browser with PKCE, or a device code), as `aws sso login` does
    Login(LoginArgs),
    /// IAM Identity Center: the profiles of every account and role a session can use
    Sso {
        #[command(subcommand)]
        action: SsoAction,
    },
    /// Set up this machine for a team in one guided command: the team's profiles, your
    /// keys in the key store (asked without echo), your MFA device (found with IAM
    /// ListMFADevices), then a check of every profile with one MFA code. Safe to run
    /// again; every question has a flag
    Setup(SetupArgs),
    /// swrole's record of every credential it handed out. Switch, exec, exec --server and its
    /// renewals, credential-process, console: when, who, which role, until when, read-only
    /// or write and why, from which terminal. Never a secret
    Log {
        /// Only this profile
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: Option<String>,
        /// Only since this long ago (7d, 24h) or this day or time (2026-12-01, RFC 3339)
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only write sessions (switches with --write)
        #[arg(long)]
        write: bool,
        /// One JSON object a line, as recorded
        #[arg(long)]
        json: bool,
        /// Times in UTC (RFC 3339, as recorded), not the local time
        #[arg(long)]
        utc: bool,
    },
    /// For the shell integration's command guard: exit 0 when the line on stdin may run in
    /// the active profile (after a y on the terminal when it matches swrole_guard_commands), 1
    /// when not. Stdin: the line, then a NUL and the shell's aliases (never on argv, where any
    /// local user could read it). With --check, nothing is asked: exit 0 when the line runs
    /// without a question, 3 when it needs one (the shell then makes room for it)
    #[command(hide = true)]
    Guard {
        #[arg(long)]
        check: bool,
    },
    /// List the profiles, one name a line
    List {
        /// Also show role, account, MFA and region
        #[arg(short, long)]
        long: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// One line per entry: profile, kind, expiry, time left
    List,
    /// Remove every entry, or those of one profile
    Clear {
        /// Only the entries made for this profile
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Store the keys of PROFILE: asked on the terminal (the secret not shown), or two
    /// lines (access key id, secret) from stdin with --stdin; never from the command line
    Add {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// Read the access key id and the secret from stdin, one a line
        #[arg(long)]
        stdin: bool,
    },
    /// Move the keys of PROFILE from the credentials file into the key store, and point
    /// the profile at `swrole credential-process PROFILE` so every AWS tool still works
    Import {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// Copy the keys into the store, and leave both files as they are
        #[arg(long)]
        keep_file: bool,
    },
    /// The profiles whose keys the store holds (access key ids shortened, never secrets)
    List,
    /// Remove the keys of PROFILE from the store
    Remove {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
    },
    /// Retire the access key of PROFILE once a login session works instead: check both are
    /// the same IAM user, deactivate the key in IAM (signed by the login session), then
    /// remove it from the key store and the files. Nothing is removed if a step fails
    Retire {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        profile: String,
        /// The profile with login_session that replaces the key (default: the one profile
        /// that has a login_session)
        #[arg(long, value_name = "PROFILE")]
        login: Option<String>,
        /// Delete the key in IAM instead of deactivating it
        #[arg(long)]
        delete: bool,
        /// Do it without asking
        #[arg(short, long)]
        yes: bool,
    },
}

/// The profile names of the AWS files, for tab completion wherever a profile goes (none
/// when the files cannot be read: a completion never fails).
/// The command as Tab completion sees it (clap_complete's factory). A word that does not
/// start with `-` is offered no option (swrole has about forty); at the first word the
/// profile names come first and swrole's subcommands after them, each with its summary.
pub fn completion_command() -> clap::Command {
    let words: Vec<String> = std::env::args().skip_while(|a| a != "--").skip(1).collect();
    // bash and zsh say which word is completed; fish and PowerShell complete the last.
    let index = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse::<usize>().ok());
    let current = index.map_or(words.last(), |i| words.get(i)).map_or("", String::as_str);
    let cmd = command();
    if current.starts_with('-') {
        return cmd;
    }
    fn without_options(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| if a.is_positional() { a } else { a.hide(true) })
            .disable_help_flag(true)
            .disable_version_flag(true)
            .mut_subcommands(without_options)
    }
    // The subcommands are offered by the profile's candidates instead (after the names).
    without_options(cmd).mut_subcommands(|c| c.hide(true)).disable_help_subcommand(true)
}

/// The first word's candidates: profiles, then the subcommands.
fn profiles_then_subcommands() -> Vec<CompletionCandidate> {
    let mut all = profile_names();
    let cmd = command();
    all.extend(cmd.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| {
        CompletionCandidate::new(c.get_name())
            .help(c.get_about().cloned())
            .tag(Some("Commands".into()))
            .display_order(Some(c.get_display_order()))
    }));
    all
}

/// Tab after `swrole exec PROFILE`: a program on PATH first, then files.
struct CommandCompleter;

impl clap_complete::engine::ValueCompleter for CommandCompleter {
    fn complete(&self, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
        self.complete_at(0, current)
    }

    fn complete_at(&self, index: usize, current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
        let files = || clap_complete::engine::PathCompleter::any().complete(current);
        let Some(prefix) = current.to_str().filter(|c| index == 0 && !c.contains('/')) else {
            return files();
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        programs(&path, prefix).into_iter().map(CompletionCandidate::new).collect()
    }
}

/// The names of the executable files on `path` that start with `prefix`, sorted, once each.
fn programs(path: &std::ffi::OsStr, prefix: &str) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut names = std::collections::BTreeSet::new();
    for dir in std::env::split_paths(path) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.starts_with(prefix)
                && std::fs::metadata(entry.path())
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            {
                names.insert(name);
            }
        }
    }
    names.into_iter().collect()
}

fn profile_names() -> Vec<CompletionCandidate> {
    let env = crate::env::Env::from_process();
    match crate::switch::Files::load(&env) {
        Ok(files) => files.set.profiles.keys().map(CompletionCandidate::new).collect(),
        Err(_) => Vec::new(),
    }
}

/// Seconds (`3600`) or a human duration (`90m`, `2h`, `1h30m`), within `min..=max`.
fn seconds_within(text: &str, min: u32, max: u32) -> Result<u32, String> {
    let secs = match text.parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => humantime::parse_duration(text).map_err(|e| format!("{e}: try 3600, 90m or 2h"))?.as_secs(),
    };
    u32::try_from(secs)
        .ok()
        .filter(|s| (min..=max).contains(s))
        .ok_or_else(|| format!("{secs} s is outside the allowed {min} to {max} seconds"))
}

/// A role session: what STS allows.
fn parse_duration(text: &str) -> Result<u32, String> {
    seconds_within(text, crate::plan::MIN_DURATION, crate::plan::MAX_DURATION)
}

/// An MFA session (GetSessionToken for an IAM user): 15 minutes to 36 hours.
fn parse_session_duration(text: &str) -> Result<u32, String> {
    seconds_within(text, 900, 129_600)
}

pub fn parse_margin(text: &str) -> Result<u32, String> {
    seconds_within(text, 0, 43_200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn short_help_is_the_first_clause_and_long_help_the_whole_text() {
        assert_eq!(summary("Run a command: `swrole exec P -- C`. With more"), "Run a command");
        assert_eq!(summary("Print `a. b`; then"), "Print `a. b`");
        assert_eq!(
            summary("Keep keys (SWROLE_KEY_STORE: x; y. z) here. More"),
            "Keep keys (SWROLE_KEY_STORE: x; y. z) here"
        );
        assert_eq!((summary("Print it."), summary("e.g.x")), ("Print it".to_string(), "e.g.x".to_string()));
        assert_eq!(summary("Length, e.g. 90m, i.e. long. More"), "Length, e.g. 90m, i.e. long");
        for line in AFTER_LONG_HELP.lines().chain(AFTER_HELP.lines()) {
            assert!(line.chars().count() < 80, "clap would wrap {line:?}");
        }
        let mut cmd = command();
        let (short, long) = (cmd.render_help().to_string(), cmd.render_long_help().to_string());
        assert!(short.contains("  exec ") && !short.contains("--connect-timeout"), "{short}");
        assert!(!short.contains("SWROLE_MFA_PROMPT") && short.lines().count() < 60, "{short}");
        assert!(long.contains("--connect-timeout") && long.contains("SWROLE_MFA_PROMPT"), "{long}");
        let exec = cmd.find_subcommand_mut("exec").unwrap();
        let words = |t: String| t.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words(exec.render_long_help().to_string()).contains("With --server, CMD gets"));
        assert!(!words(exec.render_help().to_string()).contains("With --server, CMD gets"));
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Ok(3600));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert!(parse_duration("10s").unwrap_err().contains("outside the allowed 900 to 43200"));
        assert_eq!(parse_margin("0"), Ok(0));
        assert_eq!(parse_session_duration("36h"), Ok(129_600));
        assert!(parse_duration("13h").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn timeouts_are_bounded() {
        for flag in ["--connect-timeout", "--read-timeout", "--process-timeout"] {
            for bad in ["0", "3601", "18446744073709551615", "99999999999999999999"] {
                let e = Cli::try_parse_from(["swrole", "p", flag, bad]).unwrap_err();
                assert_eq!(e.exit_code(), 2, "{flag} {bad}");
            }
            assert!(Cli::try_parse_from(["swrole", "p", flag, "3600"]).is_ok());
        }
    }

    #[test]
    fn exec_takes_the_command_with_or_without_a_double_dash() {
        let exec = |args: &[&str]| match Cli::try_parse_from(["swrole", "exec"].iter().chain(args)) {
            Ok(Cli { command: Some(Command::Exec { profile, server, command, .. }), .. }) => (
                profile,
                server,
                command.iter().map(|c| c.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            ),
            other => panic!("{args:?}: {other:?}"),
        };
        let aws = ["aws", "s3", "ls", "--recursive"].map(String::from).to_vec();
        assert_eq!(exec(&["p", "aws", "s3", "ls", "--recursive"]), ("p".into(), false, aws.clone()));
        assert_eq!(exec(&["p", "--", "aws", "s3", "ls", "--recursive"]), ("p".into(), false, aws.clone()));
        assert_eq!(
            exec(&["--server", "p", "aws", "s3", "ls", "--recursive"]),
            ("p".into(), true, aws.clone())
        );
        assert_eq!(exec(&["p", "--server", "--", "aws", "s3", "ls", "--recursive"]), ("p".into(), true, aws));
        // From CMD on, every word is CMD's, flags of swrole's own names too.
        let (_, server, command) = exec(&["p", "env", "--server", "-d", "1h"]);
        assert!(!server && command == ["env", "--server", "-d", "1h"], "{command:?}");
        assert!(Cli::try_parse_from(["swrole", "exec", "p"]).is_err(), "a command is needed");
    }

    #[test]
    fn a_command_is_completed_from_path() {
        use std::os::unix::fs::PermissionsExt;
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for (dir, name, mode) in
            [(&a, "aws", 0o755), (&a, "awk", 0o755), (&b, "aws", 0o755), (&b, "aws-notes", 0o644)]
        {
            let path = dir.path().join(name);
            std::fs::write(&path, "").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        std::fs::create_dir(b.path().join("aws-dir")).unwrap();
        let path = std::env::join_paths([a.path(), b.path(), std::path::Path::new("/nonexistent")]).unwrap();
        assert_eq!(programs(&path, "aw"), ["awk", "aws"]);
        assert_eq!(programs(&path, "aws"), ["aws"], "once, and only executable files");
    }

    #[test]
    fn profile_named_like_a_subcommand() {
        let cli = Cli::try_parse_from(["swrole", "--profile", "list"]).unwrap();
        assert_eq!(cli.profile_option.as_deref(), Some("list"));
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["swrole", "--", "list"]).unwrap();
        assert_eq!(cli.profile.as_deref(), Some("list"));
        let cli = Cli::try_parse_from(["swrole", "list"]).unwrap();
        assert!(matches!(cli.command, Some(Command::List { .. })));
    }
}

/// How `swrole team` writes: shown as a diff first, then asked (or `--yes`).
#[derive(Debug, Clone, Args)]
pub struct WriteArgs {
    /// Also remove the profiles the team file no longer has (only inside the team's block)
    #[arg(long)]
    pub prune: bool,
    /// Write without asking (the diff is still shown)
    #[arg(short, long)]
    pub yes: bool,
    /// Show the diff and write nothing
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Let the team file set KEY, which chooses where your secrets go, what runs as you or
    /// what is trusted (endpoint_url, services, ca_bundle, credential_process, mfa_process);
    /// --yes never does. Repeat for each key
    #[arg(long, value_name = "KEY", value_parser = crate::cli::allow_key)]
    pub allow: Vec<String>,
}

/// `--allow KEY`: one of the keys a team file sets only with the member's word.
pub fn allow_key(text: &str) -> Result<String, String> {
    if crate::team::OPT_IN_KEYS.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not a key --allow lets in (one of: {})",
            crate::team::OPT_IN_KEYS.join(", ")
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum TeamAction {
    /// Add the team of SOURCE (a team file, a directory or git repository holding
    /// swrole-team.ini, or a git URL: git+https://..., git@host:org/repo, with #ref) for you
    Add {
        /// The team file, a directory holding swrole-team.ini, or a git URL (#ref to pin)
        source: String,
        /// Your name for {{user}} in the team file (your IAM user or MFA device name)
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// The profile with your own credentials, for {{source_profile}}
        #[arg(long, value_name = "PROFILE", default_value = "default")]
        source_profile: String,
        /// Put this before every profile name of the team (when a name is already yours)
        #[arg(long, value_name = "PREFIX")]
        prefix: Option<String>,
        /// Replace your own sections of the team's names with the team's (the difference is
        /// shown first); without it, a terminal asks
        #[arg(long)]
        adopt: bool,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Read each team's source again and bring its block up to date (one team with TEAM)
    Sync {
        /// Only this team
        team: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The teams in ~/.aws/config: source, sections, user, and whether the block was edited by hand
    List,
    /// Remove a team's block from ~/.aws/config
    Remove {
        /// The team's name
        team: String,
        /// Remove without asking
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SsoAction {
    /// List the accounts and roles SESSION can use, as profiles (printed), or merge them
    /// into ~/.aws/config with --write, in a block swrole owns: every byte outside it kept,
    /// nothing removed offline or on an error, a name already yours never overwritten
    Profiles {
        /// The [sso-session NAME] (default: the only one in the config)
        session: Option<String>,
        /// Write them into the config (the diff is shown first)
        #[arg(long)]
        write: bool,
        /// Profile names: {account_name}, {account_id}, {role_name}, {session}; lower case,
        /// other characters than a-z 0-9 . _ - made `-`
        #[arg(long, value_name = "TEMPLATE", default_value = "{account_name}-{role_name}")]
        template: String,
        /// The region of the generated profiles
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Also remove the profiles the session can no longer use (inside the block only)
        #[arg(long, requires = "write")]
        prune: bool,
        /// Write without asking (the diff is still shown)
        #[arg(short, long, requires = "write")]
        yes: bool,
        /// Show the diff and write nothing
        #[arg(long, conflicts_with = "yes", requires = "write")]
        dry_run: bool,
    },
}

/// `swrole login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// The profile to sign in (made when missing; default: $AWS_PROFILE, else default)
    #[arg(add = ArgValueCandidates::new(profile_names))]
    pub profile: Option<String>,
    /// No browser on this machine (SSH, a container): print the URL to open anywhere,
    /// then paste the code the page shows (IAM Identity Center: the device code)
    #[arg(long)]
    pub remote: bool,
    /// IAM Identity Center: sign in with a code shown here and confirmed on any device
    /// (chosen by itself over SSH, in a container, or with no display)
    #[arg(long)]
    pub device_code: bool,
    /// The region of the sign-in (default: the profile's; written to a new profile)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// How long to wait for the browser to come back
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = |s: &str| seconds_within(s, 5, 3600))]
    pub timeout: u32,
    /// Replace another login_session of PROFILE without asking
    #[arg(short, long)]
    pub yes: bool,
}

/// `swrole setup`: each question has its flag, so a script can answer them all.
#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// The team file, a directory holding swrole-team.ini, or a git URL (asked when missing)
    pub source: Option<String>,
    /// Your name for {{user}} (default: your MFA device's name, from IAM)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The profile that holds your keys, for {{source_profile}}
    #[arg(long, value_name = "PROFILE", default_value = "default")]
    pub source_profile: String,
    /// Put this before every profile name of the team
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Read the access key id and secret from stdin (two lines) when they are needed
    #[arg(long)]
    pub keys_stdin: bool,
    /// Your MFA device's ARN, when IAM cannot be asked (ListMFADevices denied)
    #[arg(long, value_name = "ARN")]
    pub mfa_serial: Option<String>,
    /// The MFA code for the check (asked once when needed)
    #[arg(long, value_name = "CODE")]
    pub token_code: Option<String>,
    /// Write the config without asking (the diff is still shown)
    #[arg(short, long)]
    pub yes: bool,
    /// Let the team file set KEY (endpoint_url, services, ca_bundle, credential_process,
    /// mfa_process); --yes never does. Repeat for each key
    #[arg(long, value_name = "KEY", value_parser = crate::cli::allow_key)]
    pub allow: Vec<String>,
    /// Skip the check of each profile at the end
    #[arg(long)]
    pub no_check: bool,
}
