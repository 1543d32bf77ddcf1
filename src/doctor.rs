//! `swrole doctor`: check the files, the profiles and the environment, and say how to fix
//! each problem. Offline.

use std::os::unix::fs::PermissionsExt;

use serde::Serialize;

use crate::cache::Cache;
use crate::chain;
use crate::config::{FileKind, Paths, ProfileSet, read_file};
use crate::env::Env;
use crate::plan::{self, Overrides, at};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A short stable name for scripts (`credentials-file-mode`, `chain`, ...).
    pub check: &'static str,
    pub message: String,
    pub fix: String,
}

/// A path or name as one word for a POSIX shell, so that a pasted fix line does exactly
/// what it says.
fn sh(text: &str) -> String {
    crate::shell::posix::quote(text)
}

fn finding(severity: Severity, check: &'static str, message: String, fix: impl Into<String>) -> Finding {
    Finding { severity, check, message, fix: fix.into() }
}

/// Every check, in a stable order.
pub fn check(env: &Env) -> Vec<Finding> {
    let mut out = Vec::new();
    let paths = match Paths::from_env(env) {
        Ok(p) => p,
        Err(e) => {
            out.push(finding(
                Severity::Error,
                "paths",
                format!("{e:#}"),
                "set HOME, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE",
            ));
            return out;
        }
    };
    let set = files(&paths, &mut out);
    if let Some(set) = &set {
        profiles(set, &paths, env, &mut out);
        key_store(set, &paths, env, &mut out);
        login_sessions(set, &paths, env, &mut out);
    }
    teams(&paths, env, &mut out);
    environment(env, &mut out);
    ca_bundles(env, set.as_ref(), &paths, &mut out);
    zshrc(env, &mut out);
    if let Some(cache) = Cache::locate(env, 0)
        && let Err(e) = cache.check_dir()
    {
        out.push(finding(
            Severity::Warning,
            "cache-directory",
            format!("{e:#}"),
            format!("chmod 700 -- {}", sh(&cache.dir().display().to_string())),
        ));
    }
    out
}

/// The team blocks of the config file: broken markers, hand edits, placeholders left in,
/// and (for a team file on this machine) a team file that changed since the last sync.
fn teams(paths: &Paths, env: &Env, out: &mut Vec<Finding>) {
    let Ok(text) = read_file(&paths.config) else { return };
    let config = paths.config.display().to_string();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if !t.starts_with(['#', ';']) && t.contains("{{") && t.contains("}}") {
            out.push(finding(
                Severity::Error,
                "team-placeholder",
                format!(
                    "{config}:{}: a team file's placeholder was never filled in: {}",
                    i + 1,
                    t.trim_end()
                ),
                "add the team with swrole team add SOURCE --user NAME instead of copying its file",
            ));
        }
    }
    let blocks = match crate::team::blocks(&text) {
        Ok(b) => b,
        Err(e) => {
            out.push(finding(
                Severity::Error,
                "team-block",
                format!("{config}: {e:#}"),
                "put the begin and end lines back as swrole wrote them, or remove the block",
            ));
            return;
        }
    };
    for b in &blocks {
        for (id, line) in b.hand_edited() {
            out.push(finding(
                Severity::Warning,
                "team-edited",
                match b.owner {
                    crate::team::Owner::Team => format!(
                        "{config}:{line}: [{id}] was edited by hand inside team {}'s block: the next swrole team \
                         sync puts the team's text back",
                        b.team
                    ),
                    crate::team::Owner::Sso => format!(
                        "{config}:{line}: [{id}] was edited by hand inside sso {}'s block: the next swrole sso \
                         profiles --write puts the generated text back",
                        b.team
                    ),
                },
                "make the change outside the block (a profile of your own), or in the source",
            ));
        }
        if b.owner != crate::team::Owner::Team {
            continue;
        }
        let Ok(crate::team_source::Source::Path(path)) =
            crate::team_source::Source::parse(&b.meta.source, std::path::Path::new("/"))
        else {
            continue;
        };
        let source = crate::team_source::Source::Path(path);
        let rendered = source
            .read(env)
            .and_then(|(t, origin)| crate::team::TeamFile::parse(&t, &origin))
            .and_then(|f| f.render(&b.meta.params()));
        match rendered {
            Err(e) => out.push(finding(
                Severity::Warning,
                "team-source",
                format!("team {}'s file cannot be read: {e:#}", b.team),
                format!("fix it, or point the team elsewhere: swrole team add SOURCE (team {})", b.team),
            )),
            Ok(r) => {
                // Every section the file gives is as recorded, and every other recorded
                // one is already marked as dropped (a sync without --prune keeps it).
                let same = r.iter().all(|s| {
                    b.meta.sections.iter().any(|(id, d)| *id == s.id && *d == crate::team::digest(&s.lines))
                }) && b.meta.sections.iter().filter(|(id, _)| !r.iter().any(|s| s.id == *id)).all(
                    |(id, _)| {
                        b.sections.iter().any(|(s, _, lines)| {
                            s == id && lines.get(1).map(String::as_str) == Some(crate::team::STALE)
                        })
                    },
                );
                if !same {
                    out.push(finding(
                        Severity::Warning,
                        "team-changed",
                        format!("team {}'s file changed since the last sync ({})", b.team, b.meta.source),
                        format!("swrole team sync {}", b.team),
                    ));
                }
            }
        }
    }
}

/// Lines botocore (the AWS CLI, boto3) reads otherwise than swrole: a section, a key or a
/// whole file one of them sees and the other does not.
fn read_otherwise(paths: &Paths, texts: &[String], out: &mut Vec<Finding>) {
    for (kind, text) in [FileKind::Config, FileKind::Credentials].into_iter().zip(texts) {
        for d in crate::config::botocore::differences(text) {
            out.push(finding(
                Severity::Error,
                "read-otherwise",
                format!("{}:{}: {}", paths.get(kind).display(), d.line, d.what),
                "write the line with plain spaces, = as the delimiter and a name of letters, digits and _-., \
             or remove it",
            ));
        }
    }
}

fn files(paths: &Paths, out: &mut Vec<Finding>) -> Option<ProfileSet> {
    let mut texts = Vec::new();
    for kind in [FileKind::Config, FileKind::Credentials] {
        let path = paths.get(kind);
        match read_file(path) {
            Ok(text) => texts.push(text),
            Err(e) => {
                out.push(finding(
                    Severity::Error,
                    "file",
                    format!("{e:#}"),
                    "make it a readable UTF-8 text file, or point the variable elsewhere",
                ));
                texts.push(String::new());
            }
        }
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o022 != 0
        {
            out.push(finding(
                Severity::Warning,
                "file-writable",
                format!(
                    "{} can be written by group or others (mode {:o}): whoever can write it decides which \
                     credentials you get and which commands credential_process runs",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ),
                format!("chmod go-w -- {}", sh(&path.display().to_string())),
            ));
        }
        if kind == FileKind::Credentials
            && let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            out.push(finding(
                Severity::Warning,
                "credentials-file-mode",
                format!(
                    "{} holds secret keys and can be read by group or others (mode {:o})",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ),
                format!("chmod 600 -- {}", sh(&path.display().to_string())),
            ));
        }
    }
    read_otherwise(paths, &texts, out);
    match ProfileSet::from_texts(&texts[0], &texts[1], paths) {
        Ok(set) => {
            for why in &set.ignored {
                out.push(finding(
                    Severity::Warning,
                    "ignored",
                    why.clone(),
                    "rename the section as the AWS file format wants it, or remove it",
                ));
            }
            Some(set)
        }
        Err(e) => {
            out.push(finding(
                Severity::Error,
                "syntax",
                format!("{e:#}"),
                "fix the line; the AWS tools reject the whole file",
            ));
            None
        }
    }
}

fn profiles(set: &ProfileSet, paths: &Paths, env: &Env, out: &mut Vec<Finding>) {
    let overrides = Overrides::default();
    for (name, section) in &set.profiles {
        // Profiles meant to be switched to: the ones that assume a role.
        if section.get("role_arn").is_none() && section.get("source_profile").is_none() {
            continue;
        }
        let chain = match chain::resolve(set, name) {
            Ok(c) => c,
            Err(e) => {
                out.push(finding(
                    Severity::Error,
                    "chain",
                    format!("profile {name:?}: {e}"),
                    "fix source_profile / credential_source so the chain ends in credentials",
                ));
                continue;
            }
        };
        if section.get("mfa_serial").is_none()
            && let Some(source) = section.text("source_profile")
            && let Some(v) = set.profile(source).and_then(|s| s.get("mfa_serial"))
        {
            out.push(finding(
                Severity::Warning,
                "mfa-serial-on-source",
                format!(
                    "profile {name:?} assumes a role without mfa_serial, but its source profile {source:?} has one ({}): \
                     the AWS CLI and SDKs read mfa_serial from the profile that assumes the role",
                    at(paths, v)
                ),
                format!("add `mfa_serial = {}` to [profile {name}]", v.text),
            ));
        }
        match plan::plan(set, paths, env, name, chain, &overrides) {
            Ok(plan) => {
                for w in plan.warnings {
                    out.push(finding(
                        Severity::Warning,
                        "duration",
                        w,
                        "set duration_seconds = 3600 or less on that profile",
                    ));
                }
            }
            Err(e) => out.push(finding(
                Severity::Error,
                "profile",
                format!("{e:#}"),
                "correct the value on that line",
            )),
        }
    }
}

/// `aws login` sessions: each `login_session` has a readable token whose sign-in is still
/// refreshable, in a private file; a profile with keys besides is ambiguous; a role on top
/// that asks a code on every switch is said.
fn login_sessions(set: &ProfileSet, paths: &Paths, env: &Env, out: &mut Vec<Finding>) {
    for (name, section) in &set.profiles {
        let Some(session) = section.get("login_session") else { continue };
        let again = format!("swrole login {}", sh(name));
        if section.get("aws_access_key_id").is_some() {
            out.push(finding(
                Severity::Warning,
                "login-session",
                format!(
                    "profile {name:?} has login_session ({}) and an access key: the Rust SDK and swrole use the \
                     session, botocore and the AWS CLI the credentials file's key",
                    at(paths, session)
                ),
                format!("swrole keys retire {} --login OTHER, or keep one of the two", sh(name)),
            ));
        }
        let path = match crate::signin::token_path(env, &session.text) {
            Ok(p) => p,
            Err(e) => {
                out.push(finding(Severity::Error, "login-session", format!("{e:#}"), "set HOME"));
                continue;
            }
        };
        if !shared_file(&path, "login-session-mode", &again, out) {
            continue;
        }
        match crate::signin::status(env, &session.text) {
            Ok(None) => out.push(finding(
                Severity::Error,
                "login-session",
                format!(
                    "profile {name:?} signs in with login_session ({}), but {} does not exist",
                    at(paths, session),
                    path.display()
                ),
                again,
            )),
            Err(e) => out.push(finding(Severity::Error, "login-session", format!("{e:#}"), again)),
            Ok(Some(s)) => {
                let now = crate::clock::now();
                if let Some(at_time) = s.signed_in_at.filter(|t| t + crate::signin::SESSION_LIFE < now) {
                    out.push(finding(
                        Severity::Warning,
                        "login-session",
                        format!(
                            "the sign-in of profile {name:?} is from {}, more than {} h ago: its next refresh will be \
                             refused",
                            crate::clock::rfc3339(at_time),
                            crate::signin::SESSION_LIFE / 3600
                        ),
                        again,
                    ));
                }
            }
        }
    }
    // IAM Identity Center: each session a profile uses has a token that is valid or can be
    // refreshed, in a private file.
    let mut seen = Vec::new();
    for name in set.profiles.keys() {
        let Ok(Some(session)) = crate::sso::Session::of_profile(set, name) else { continue };
        if seen.contains(&session) {
            continue;
        }
        seen.push(session.clone());
        let Some(dir) = crate::sso::cache_dir(env) else { continue };
        let path = crate::sso::token_file(&dir, &session);
        let again = format!("swrole login {}", sh(name));
        let now = crate::clock::now();
        if !shared_file(&path, "sso-token-mode", &again, out) {
            continue;
        }
        match crate::oidc::read_token(&path) {
            Ok(None) => out.push(finding(
                Severity::Warning,
                "sso-token",
                format!(
                    "{} (profile {name:?}) has no token yet ({} does not exist)",
                    session.label(),
                    path.display()
                ),
                again,
            )),
            Err(e) => out.push(finding(Severity::Error, "sso-token", format!("{e:#}"), again)),
            Ok(Some((_, t))) => {
                if t.left(now) <= 0 && t.refreshable(now).is_none() {
                    out.push(finding(
                        Severity::Warning,
                        "sso-token",
                        format!(
                            "the IAM Identity Center token of {} ended at {} and cannot be refreshed",
                            session.label(),
                            crate::clock::rfc3339(t.expires_at)
                        ),
                        again,
                    ));
                }
            }
        }
    }
    // Roles whose first hop is signed by a login session and names an MFA device.
    for (name, section) in &set.profiles {
        let Some(serial) = section.get("mfa_serial") else { continue };
        let Ok(chain) = chain::resolve(set, name) else { continue };
        let (chain::Base::LoginSession { profile, .. }, Some(first)) = (&chain.base, chain.hops.first())
        else {
            continue;
        };
        if first.profile != *name {
            continue;
        }
        out.push(finding(
            Severity::Warning,
            "login-mfa",
            format!(
                "profile {name:?} assumes its role on the login session of {profile:?} with mfa_serial ({}): each \
                 AssumeRole carries a code (an MFA session cannot be made from temporary credentials), so a code is \
                 asked once per role and hour",
                at(paths, serial)
            ),
            "if the role's trust policy accepts your sign-in's MFA, remove mfa_serial from that profile \
             (docs/login.md, \"MFA and the roles' trust policy\")",
        ));
    }
}

/// A token file shared with the AWS CLI that swrole will not use (`signin::check_shared`:
/// another user's, a link, readable by others, in a directory others can write): an error,
/// with the command that fixes it. `false` when it is refused.
fn shared_file(path: &std::path::Path, check: &'static str, again: &str, out: &mut Vec<Finding>) -> bool {
    let Err(e) = crate::signin::check_shared(path) else { return true };
    use std::os::unix::fs::MetadataExt;
    let dir = path.parent().unwrap_or(path);
    let me = crate::store::file::euid();
    let file = std::fs::symlink_metadata(path).ok();
    let folder = std::fs::metadata(dir).ok();
    let shown = |p: &std::path::Path| sh(&p.display().to_string());
    let fix = if folder.as_ref().is_some_and(|m| m.uid() != me && m.uid() != 0) {
        format!("keep the token in a directory of your own, then {again}")
    } else if folder.as_ref().is_some_and(|m| m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0) {
        format!("chmod go-w -- {}", shown(dir))
    } else if file.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        format!("replace the link {} with the file itself, or {again}", shown(path))
    } else if file.as_ref().is_some_and(|m| m.uid() != me) {
        format!("remove {} (another user's), then {again}", shown(path))
    } else {
        format!("chmod 600 -- {}", shown(path))
    };
    out.push(finding(Severity::Error, check, format!("{e:#}"), fix));
    false
}

/// `eval "$(swrole init zsh)"` before `compinit` in ~/.zshrc: compdef does not exist yet,
/// so `sw` gets no completion, silently.
fn zshrc(env: &Env, out: &mut Vec<Finding>) {
    let Some(dir) = env.get("ZDOTDIR").or(env.get("HOME")) else { return };
    let path = std::path::Path::new(dir).join(".zshrc");
    let Ok(text) = read_file(&path) else { return };
    let code = |l: &&str| !l.trim_start().starts_with('#');
    let lines: Vec<&str> = text.lines().collect();
    let init = lines.iter().position(|l| code(l) && l.contains("swrole init zsh"));
    // The line that runs compinit (not the `autoload -Uz compinit` that only declares it).
    let compinit = lines.iter().position(|l| {
        code(l)
            && !l.trim_start().starts_with("autoload")
            && l.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "compinit")
    });
    if let (Some(i), Some(c)) = (init, compinit)
        && i < c
    {
        out.push(finding(
            Severity::Warning,
            "zshrc-order",
            format!(
                "{}:{} loads swrole before compinit (line {}): sw gets no tab completion",
                path.display(),
                i + 1,
                c + 1
            ),
            "move the `eval \"$(swrole init zsh)\"` line below compinit",
        ));
    }
}

/// Every CA bundle named (`AWS_CA_BUNDLE`, each profile's `ca_bundle`) exists, parses and
/// holds at least one certificate.
fn ca_bundles(env: &Env, set: Option<&ProfileSet>, paths: &Paths, out: &mut Vec<Finding>) {
    let mut named: Vec<(std::path::PathBuf, String)> = Vec::new();
    if let Some(p) = env.get("AWS_CA_BUNDLE") {
        named.push((p.into(), "AWS_CA_BUNDLE".to_string()));
    }
    for (name, section) in set.map(|s| s.profiles.iter()).into_iter().flatten() {
        if let Some(v) = section.get("ca_bundle") {
            let path = crate::config::expand_path(&v.text, env);
            named.push((path, format!("ca_bundle of profile {name:?}, {}", at(paths, v))));
        }
    }
    for (path, from) in named {
        if let Err(e) = crate::sts::CaBundle::load(&path, &from) {
            out.push(finding(
                Severity::Error,
                "ca-bundle",
                format!("{e:#}"),
                "point it at a PEM file with your organisation's CA certificates (-----BEGIN CERTIFICATE-----)",
            ));
        }
    }
}

/// Keys in two places, or a profile that needs the key store and finds nothing there.
fn key_store(set: &ProfileSet, paths: &Paths, env: &Env, out: &mut Vec<Finding>) {
    // The profiles whose keys some chain takes from the store: each once, however many
    // profiles stand on it.
    let needs: std::collections::BTreeSet<String> = set
        .profiles
        .keys()
        .filter_map(|name| match chain::resolve(set, name).map(|c| c.base) {
            Ok(chain::Base::StoredKeys { profile }) => Some(profile),
            _ => None,
        })
        .collect();
    // Each from its own store (SWROLE_KEY_STORE, else the profile's swrole_key_store, else
    // the default); when that store cannot be used or lacks them, where they are instead.
    for profile in &needs {
        let (kind, from) = match crate::keys::store_kind_for(env, set, paths, profile) {
            Ok(k) => k,
            Err(e) => {
                out.push(finding(
                    Severity::Error,
                    "key-store",
                    format!("{e:#}"),
                    "keychain, secret-service, keyutils or file",
                ));
                continue;
            }
        };
        let problem = match crate::keys::open_for(env, set, paths, profile) {
            Err(e) => format!("{e:#}"),
            Ok(store) => match crate::keys::read(store.as_ref(), profile) {
                Ok(Some(_)) => continue,
                Ok(None) => format!(
                    "profile {profile:?} takes its keys from the {} key store ({from}), which holds none for it",
                    kind.name()
                ),
                Err(e) => format!("{e:#}"),
            },
        };
        let fix = if kind != crate::store::StoreKind::File && crate::keys::in_file_store(env, profile) {
            format!(
                "the file store holds the keys of profile {profile:?}: add `{} = file` to its section in {} \
                 (or set SWROLE_KEY_STORE=file)",
                crate::keys::RECORD_KEY,
                paths.get(FileKind::Config).display()
            )
        } else {
            format!("start the {} key store, or: swrole keys add -- {}", kind.name(), sh(profile))
        };
        out.push(finding(Severity::Error, "key-store", problem, fix));
    }
    let Ok(store) = crate::keys::open(env) else { return };
    for (name, section) in &set.profiles {
        let file = |k: &str| {
            section.get(k).filter(|v| v.origin.kind == FileKind::Credentials).map(|v| v.text.clone())
        };
        let (Some(id), Some(secret)) = (file("aws_access_key_id"), file("aws_secret_access_key")) else {
            continue;
        };
        let Ok(Some(stored)) = crate::keys::read(store.as_ref(), name) else { continue };
        let path = paths.get(FileKind::Credentials).display().to_string();
        if stored.aws_access_key_id == id && stored.aws_secret_access_key == secret {
            out.push(finding(
                Severity::Warning,
                "keys-on-disk",
                format!(
                    "{path} still holds the keys of profile {name:?}, which the {} key store also has",
                    store.kind().name()
                ),
                format!("swrole keys import -- {}   (removes them from the file)", sh(name)),
            ));
        } else {
            out.push(finding(
                Severity::Warning,
                "keys-differ",
                format!(
                    "{path} holds other keys than the key store for profile {name:?} (file {}, store {}): the file's are used",
                    crate::text::short_key(&id),
                    crate::text::short_key(&stored.aws_access_key_id)
                ),
                "keep one: swrole keys remove PROFILE, or remove the keys from the file".to_string(),
            ));
        }
    }
}

/// Credentials sources the SDKs use when no keys are exported, which a switch does not
/// clear (they may be this machine's own): after `sw off` they decide who you are.
const OTHER_SOURCES: [&str; 5] = [
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

fn environment(env: &Env, out: &mut Vec<Finding>) {
    // Other switchers' markers: a switch clears them (they describe credentials it has
    // just replaced); while they are set, their tools (and prompts) believe in the old one.
    for (var, tool) in crate::exports::OTHER_SWITCHERS {
        if env.get(var).is_some() {
            out.push(finding(
                Severity::Warning,
                "other-switcher",
                format!("{var} is set by {tool}: that tool, and prompts that read it, still see its profile"),
                "switch with swrole (it clears it), or unset it",
            ));
        }
    }
    for var in OTHER_SOURCES {
        if env.get(var).is_some() {
            out.push(finding(
                Severity::Warning,
                "other-credentials",
                format!(
                    "{var} is set: the SDKs use it when no keys are exported, so after `sw off` it decides which \
                     credentials tools get (a switch does not clear it)"
                ),
                format!("unset {var} if it is not this machine's own"),
            ));
        }
    }
    let profile = env.get("AWS_PROFILE");
    if let (Some(p), Some(_)) = (profile, env.get("AWS_ACCESS_KEY_ID")) {
        out.push(finding(
            Severity::Warning,
            "profile-and-keys",
            format!("AWS_PROFILE={p} and AWS_ACCESS_KEY_ID are both set: the AWS CLI and boto3 use the keys, the JS SDK v3 (CDK) uses the profile"),
            match env.get("SWROLE_CMD") {
                Some(cmd) => format!("unset AWS_PROFILE (a switch does), or clear the keys: {cmd} off"),
                None => "unset AWS_PROFILE (a switch does), or clear the keys: eval \"$(swrole unset)\"".to_string(),
            },
        ));
    }
    if env.get("AWS_SECURITY_TOKEN").is_some_and(|t| env.get("AWS_SESSION_TOKEN") != Some(t)) {
        out.push(finding(
            Severity::Warning,
            "security-token",
            "AWS_SECURITY_TOKEN is set and differs from AWS_SESSION_TOKEN: botocore (AWS CLI, boto3) reads it first".to_string(),
            "unset AWS_SECURITY_TOKEN",
        ));
    }
    if let (Some(a), Some(b)) = (profile, env.get("AWS_DEFAULT_PROFILE"))
        && a != b
    {
        out.push(finding(
            Severity::Warning,
            "two-profiles",
            format!("AWS_PROFILE={a} and AWS_DEFAULT_PROFILE={b}: the AWS CLI v1 uses {b}, v2 and the SDKs use {a}"),
            "unset AWS_DEFAULT_PROFILE",
        ));
    }
    if let (Some(p), Some(exp)) =
        (env.get("SWROLE_PROFILE"), env.get("SWROLE_EXPIRATION").and_then(|e| e.parse::<i64>().ok()))
        && exp <= crate::clock::now()
    {
        out.push(finding(
            Severity::Warning,
            "expired",
            format!("the credentials of {p} in this shell have expired"),
            match env.get("SWROLE_CMD") {
                Some(cmd) => format!("switch again: {cmd} {}", crate::shell::integration::sw_argument(p)),
                None => format!("switch again: eval \"$(swrole -- {})\"", sh(p)),
            },
        ));
    }
}

pub fn render_text(findings: &[Finding], env: &Env) -> String {
    let mut s = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        s.push_str(&format!("{level}: {}\n  fix: {}\n", f.message, f.fix));
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    if findings.is_empty() {
        s.push_str("no problems found\n");
        s.push_str(&checked(env));
    } else {
        s.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
    }
    s
}

/// What a clean run looked at, so that "no problems" says what it means.
fn checked(env: &Env) -> String {
    let mut s = String::from("checked:\n");
    if let Ok(paths) = Paths::from_env(env) {
        let set = ProfileSet::load(&paths).ok();
        let (profiles, roles) = set.as_ref().map_or((0, 0), |set| {
            (set.profiles.len(), set.profiles.values().filter(|p| p.get("role_arn").is_some()).count())
        });
        s.push_str(&format!(
            "  files      {} and {} (modes, syntax)\n  profiles   {profiles}, {roles} with a role (chains, values, MFA, durations)\n",
            paths.config.display(),
            paths.credentials.display()
        ));
    }
    s.push_str("  env        AWS_* variables, other switchers' markers, expiry\n");
    if let Some(cache) = Cache::locate(env, 0) {
        s.push_str(&format!("  cache      {} ({})\n", cache.dir().display(), cache.describe()));
    }
    s
}

pub fn render_json(findings: &[Finding]) -> String {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let doc =
        serde_json::json!({"findings": findings, "errors": errors, "warnings": findings.len() - errors});
    let mut text = serde_json::to_string_pretty(&doc).expect("serializable");
    text.push('\n');
    text
}
