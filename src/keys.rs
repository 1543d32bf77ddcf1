//! The IAM user's long-term keys in the key store (`SWROLE_KEY_STORE`): reading them for a
//! switch, and the file edits of `swrole keys import` (pure text in, text out; the command
//! layer writes).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::{Paths, ProfileSet};
use crate::env::Env;
use crate::store::{self, SecretStore, StoreKind};

/// What the store holds for a profile.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKeys {
    pub aws_access_key_id: String,
    pub aws_secret_access_key: String,
}

impl std::fmt::Debug for StoredKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKeys")
            .field("aws_access_key_id", &self.aws_access_key_id)
            .finish_non_exhaustive()
    }
}

impl StoredKeys {
    /// An access key id is 16–128 letters and digits; a secret is non-empty, at most 1 KiB,
    /// with no spaces, quotes or control characters.
    pub fn check(&self) -> Result<()> {
        let id = &self.aws_access_key_id;
        if !((16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())) {
            bail!("the access key id is not one (16 to 128 letters and digits, like AKIA...)");
        }
        let s = &self.aws_secret_access_key;
        if s.is_empty()
            || s.len() > crate::credentials::MAX_SECRET
            || s.chars().any(|c| c.is_control() || c == ' ' || c == '"' || c == '\'')
        {
            bail!("the secret access key is empty, too long, or holds spaces, quotes or control characters");
        }
        Ok(())
    }

    pub fn credentials(&self) -> crate::credentials::Credentials {
        crate::credentials::Credentials {
            access_key_id: self.aws_access_key_id.clone(),
            secret_access_key: self.aws_secret_access_key.clone(),
            session_token: None,
            expiration: None,
            arn: None,
            account_id: None,
        }
    }
}

/// Where the `file` key store keeps its files: `$XDG_DATA_HOME/swrole/keys`, default
/// `~/.local/share/swrole/keys`.
pub fn file_dir(env: &Env) -> Option<PathBuf> {
    let base = match env.get("XDG_DATA_HOME").filter(|p| p.starts_with('/')) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(env.get("HOME")?).join(".local/share"),
    };
    Some(base.join("swrole/keys"))
}

/// The key store's kind: `SWROLE_KEY_STORE`, else the Keychain (macOS) or the Secret
/// Service (Linux).
pub fn store_kind(env: &Env) -> Result<StoreKind> {
    match env.get("SWROLE_KEY_STORE") {
        Some(text) => StoreKind::parse("SWROLE_KEY_STORE", text),
        None if cfg!(target_os = "macos") => Ok(StoreKind::Keychain),
        None => Ok(StoreKind::SecretService),
    }
}

/// The key store. One that cannot be used is an error that names it and the other
/// choices: keys never move to a weaker store without being asked.
pub fn open(env: &Env) -> Result<Box<dyn SecretStore>> {
    let chosen =
        if env.get("SWROLE_KEY_STORE").is_some() { "chosen by SWROLE_KEY_STORE" } else { "the default" };
    open_kind(env, store_kind(env)?, chosen)
}

/// The store that holds the keys of `profile`: `SWROLE_KEY_STORE` when set, else the
/// profile's `swrole_key_store` (what `setup` and `keys import` record when the keys went to
/// a store `SWROLE_KEY_STORE` chose), else the default. With where the choice came from.
pub fn store_kind_for(
    env: &Env,
    set: &ProfileSet,
    paths: &Paths,
    profile: &str,
) -> Result<(StoreKind, String)> {
    if env.get("SWROLE_KEY_STORE").is_some() {
        return Ok((store_kind(env)?, "SWROLE_KEY_STORE".to_string()));
    }
    match set.profile(profile).and_then(|s| s.get(RECORD_KEY)) {
        Some(v) => {
            let at = crate::plan::at(paths, v);
            let kind = StoreKind::parse(RECORD_KEY, &v.text).with_context(|| at.clone())?;
            Ok((kind, format!("{RECORD_KEY} at {at}")))
        }
        None => Ok((store_kind(env)?, "the default".to_string())),
    }
}

/// The key store of `profile`'s keys ([`store_kind_for`]).
pub fn open_for(env: &Env, set: &ProfileSet, paths: &Paths, profile: &str) -> Result<Box<dyn SecretStore>> {
    let (kind, from) = store_kind_for(env, set, paths, profile)?;
    let chosen = if from == "the default" { from } else { format!("chosen by {from}") };
    open_kind(env, kind, &chosen)
}

/// The profile key that records which store holds the profile's keys.
pub const RECORD_KEY: &str = "swrole_key_store";

/// The value to record beside the keys just stored: the store `SWROLE_KEY_STORE` chose,
/// `None` for the default (which needs no line).
pub fn to_record(env: &Env) -> Result<Option<&'static str>> {
    Ok(match env.get("SWROLE_KEY_STORE") {
        Some(_) => Some(store_kind(env)?.name()),
        None => None,
    })
}

/// Whether the file store (always at hand) holds keys for `profile`: where keys stored
/// with `SWROLE_KEY_STORE=file` before swrole recorded the store are found again.
pub fn in_file_store(env: &Env, profile: &str) -> bool {
    open_kind(env, StoreKind::File, "the file store")
        .is_ok_and(|s| matches!(read(s.as_ref(), profile), Ok(Some(_))))
}

fn open_kind(env: &Env, kind: StoreKind, chosen: &str) -> Result<Box<dyn SecretStore>> {
    let dir = file_dir(env).ok_or_else(|| anyhow::anyhow!("neither XDG_DATA_HOME nor HOME is set"))?;
    // The kernel keyring is one per user, not per data directory: its descriptions carry
    // the directory's hash, so that two HOMEs (two test fixtures, two containers sharing a
    // uid) never see each other's keys, as with the files.
    let namespace = match kind {
        StoreKind::Keyutils => {
            format!("keys-{}", &crate::cache::key_name(&serde_json::json!(dir.display().to_string()))[..16])
        }
        _ => "keys".to_string(),
    };
    store::open(kind, &namespace, &dir).map_err(|_| unavailable(env, kind, &dir, chosen))
}

/// Why the key store cannot be used, in a few short lines: what is missing, the command
/// that starts it on this kind of machine, and the store that keeps keys across reboots.
/// The kernel keyring is never offered for the only copy of long-term keys: it forgets
/// them at reboot.
fn unavailable(env: &Env, kind: StoreKind, dir: &std::path::Path, chosen: &str) -> anyhow::Error {
    let (missing, start) = match kind {
        StoreKind::SecretService if env.get("DBUS_SESSION_BUS_ADDRESS").is_none() => (
            "there is no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is not set: an SSH login, a container)",
            "dbus-run-session -- $SHELL, then in it: gnome-keyring-daemon --unlock --components=secrets \
             (type a password for the keyring, then Ctrl-D)",
        ),
        StoreKind::SecretService => (
            "no Secret Service answers on the D-Bus session (GNOME Keyring, KWallet or KeePassXC is not running)",
            "gnome-keyring-daemon --start --components=secrets, or open KeePassXC or KWallet",
        ),
        StoreKind::Keychain => (
            "the login keychain cannot be opened (not on macOS, or the keychain is locked)",
            "security unlock-keychain",
        ),
        StoreKind::Keyutils => (
            "the kernel keyring is not available (a container or a seccomp profile blocks it)",
            "run swrole outside the container",
        ),
        StoreKind::File => {
            ("the key directory cannot be used", "check the directory's owner and mode (chmod 700)")
        }
    };
    anyhow::anyhow!(
        "the {} key store ({chosen}) cannot be used: {missing}\n  start it: {start}\n  or keep the keys in 0600 files \
         (they survive reboots): SWROLE_KEY_STORE=file, in {}",
        kind.name(),
        dir.display()
    )
}

/// The keys of `profile` in `store`.
pub fn read(store: &dyn SecretStore, profile: &str) -> Result<Option<StoredKeys>> {
    let Some(text) = store.get(profile)? else { return Ok(None) };
    let keys: StoredKeys = serde_json::from_str(&text)
        .map_err(|_| anyhow::anyhow!("the key store's item for profile {profile:?} is not swrole's"))?;
    keys.check().map_err(|e| anyhow::anyhow!("the key store's item for profile {profile:?}: {e}"))?;
    Ok(Some(keys))
}

/// Held while swrole changes the key store or the AWS files (`keys add`, `import`,
/// `remove`): concurrent commands take turns, so none loses another's edit.
pub fn lock(env: &Env) -> Result<std::fs::File> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = file_dir(env)
        .and_then(|d| d.parent().map(std::path::Path::to_path_buf))
        .ok_or_else(|| anyhow::anyhow!("neither XDG_DATA_HOME nor HOME is set"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| anyhow::anyhow!("could not create {}: {e}", dir.display()))?;
    let path = dir.join("keys.lock");
    let file = crate::store::file::open_lock_file(&path)?;
    file.lock().map_err(|e| anyhow::anyhow!("could not lock {}: {e}", path.display()))?;
    Ok(file)
}

/// Store the keys of `profile` and read them back: the caller touches no file unless
/// this returns `Ok`. When the store gives back something else, what it held before (the
/// only copy of a key, after an import) is put back; nothing is deleted that was there.
pub fn write(store: &dyn SecretStore, profile: &str, keys: &StoredKeys) -> Result<()> {
    keys.check()?;
    let previous = store.get(profile)?;
    if test_fault("store-write") {
        bail!("the {} store refused the write (SWROLE_TEST_FAULT)", store.kind().name());
    }
    store.put(profile, &serde_json::to_string(keys)?, None)?;
    let back = if test_fault("read-back") {
        Some(StoredKeys { aws_secret_access_key: "changed".into(), ..keys.clone() })
    } else {
        read(store, profile)?
    };
    if back.as_ref() != Some(keys) {
        let what = match &previous {
            Some(text) if store.put(profile, text, None).is_ok() => "the keys it held before are back",
            Some(_) => "and the keys it held before could not be put back: check it with swrole keys list",
            None if store.delete(profile).is_ok() => "nothing is stored for it",
            None => "and what it holds now could not be removed",
        };
        bail!(
            "the {} store gave back other keys than were stored for profile {profile:?}; {what}",
            store.kind().name()
        );
    }
    Ok(())
}

/// The properties that hold static keys.
const STATIC_KEYS: [&str; 3] = ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"];

/// The lines of one file that hold the static keys of `profile`, exactly as the parser
/// attributes them: every key line of `aws_access_key_id`, `aws_secret_access_key` and
/// `aws_session_token` in every section of the profile, with its continuation lines (an
/// indented `[b]` inside a value of `[a]` belongs to that value, not to a section `[b]`).
pub fn key_lines(text: &str, kind: crate::config::FileKind, profile: &str) -> Result<Vec<usize>> {
    let sections =
        crate::config::parse::parse(text).map_err(|e| anyhow::anyhow!("line {}: {}", e.line, e.message))?;
    let mut lines = Vec::new();
    for section in sections.iter().filter(|s| crate::config::profile_of(kind, &s.header) == Some(profile)) {
        for p in section.properties.iter().filter(|p| STATIC_KEYS.contains(&p.key.as_str())) {
            lines.push(p.line);
            lines.extend(&p.continuation);
        }
    }
    lines.sort_unstable();
    lines.dedup();
    Ok(lines)
}

/// `text` without its 1-based `lines` (each with its line ending); every other byte stays.
pub fn remove_lines(text: &str, lines: &[usize]) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| !lines.contains(&(i + 1)))
        .map(|(_, l)| l)
        .collect()
}

/// Split `text` into lines that keep their endings.
fn lines_with_endings(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The section name of a header line, if it is one (`[name]`, `[profile name]`).
fn header(line: &str) -> Option<&str> {
    let t = line.trim();
    let inner = t.strip_prefix('[')?.split(']').next()?;
    Some(inner.trim())
}

/// The key of a property line (`key = value`), if it is one at the start of a line.
fn key_of(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let (k, _) = line.split_once('=')?;
    Some(k.trim().to_ascii_lowercase())
}

/// The config file with `credential_process = LINE` in the section of `profile`
/// (`[default]` or `[profile NAME]`), created at the end when missing. A section that
/// already has another credential_process is an error: nothing would be right to do.
pub fn add_credential_process(config: &str, profile: &str, line: &str) -> Result<String> {
    set_profile_value(config, profile, "credential_process", line, false)
}

/// The config file with `key = value` in the section of `profile` (`[default]` or
/// `[profile NAME]`): the key's line replaced when `replace` (an error when not and its
/// value differs), else added after the header; the section added at the end when
/// missing. Every other byte stays (line endings included).
pub fn set_profile_value(
    config: &str,
    profile: &str,
    key: &str,
    value: &str,
    replace: bool,
) -> Result<String> {
    let names: Vec<String> = if profile == "default" {
        vec!["default".into(), "profile default".into()]
    } else {
        vec![format!("profile {profile}")]
    };
    let lines = lines_with_endings(config);
    let eol = if config.contains("\r\n") { "\r\n" } else { "\n" };
    let mut at = None;
    let mut section = false;
    for (i, l) in lines.iter().enumerate() {
        if let Some(h) = header(l) {
            section = names.iter().any(|n| n.split_whitespace().eq(h.split_whitespace()));
            if section && at.is_none() {
                at = Some(i + 1);
            }
            continue;
        }
        if section && key_of(l).as_deref() == Some(key) {
            let old = l.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
            if old == value {
                return Ok(config.to_string());
            }
            if !replace {
                bail!("profile {profile:?} already has a {key} ({old:?}): remove it first");
            }
            let ending = if l.ends_with("\r\n") {
                "\r\n"
            } else if l.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            let mut out: String = lines[..i].concat();
            out.push_str(&format!("{key} = {value}{ending}"));
            out.push_str(&lines[i + 1..].concat());
            return Ok(out);
        }
    }
    let new_line = format!("{key} = {value}{eol}");
    Ok(match at {
        Some(i) => {
            let mut out: String = lines[..i].concat();
            if !out.ends_with('\n') {
                out.push_str(eol);
            }
            out.push_str(&new_line);
            out.push_str(&lines[i..].concat());
            out
        }
        None => {
            let mut out = config.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(eol);
            }
            if !out.is_empty() {
                out.push_str(eol);
            }
            let name =
                if profile == "default" { "default".to_string() } else { format!("profile {profile}") };
            out.push_str(&format!("[{name}]{eol}{new_line}"));
            out
        }
    })
}

/// The fault a test asks for (`SWROLE_TEST_FAULT`), in a debug build only: what users run
/// (a release build) has no fault hooks.
pub fn test_fault(name: &str) -> bool {
    cfg!(debug_assertions) && std::env::var("SWROLE_TEST_FAULT").as_deref() == Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remove_keys(text: &str, kind: crate::config::FileKind, profile: &str) -> String {
        remove_lines(text, &key_lines(text, kind, profile).unwrap())
    }

    #[test]
    fn removes_only_that_profiles_keys() {
        use crate::config::FileKind::{Config, Credentials};
        let text = "# mine\n[default]\naws_access_key_id = AKIA1\n# keep\naws_secret_access_key = s1\nregion = x\n\
                    [other]\naws_access_key_id = AKIA2\naws_secret_access_key = s2\n";
        assert_eq!(
            remove_keys(text, Credentials, "default"),
            "# mine\n[default]\n# keep\nregion = x\n[other]\naws_access_key_id = AKIA2\naws_secret_access_key = s2\n"
        );
        assert_eq!(remove_keys("[a]\r\nAWS_ACCESS_KEY_ID=x\r\n[b]\r\n", Credentials, "a"), "[a]\r\n[b]\r\n");
        assert_eq!(
            remove_keys("[a]\naws_secret_access_key = s\n  more\nx = 1\n", Credentials, "a"),
            "[a]\nx = 1\n"
        );
        // The config file names profiles otherwise, and a profile may appear twice.
        let config = "[profile a]\naws_access_key_id = AKIA1\n[default]\nregion = x\n[profile a]\naws_secret_access_key = s\n";
        assert_eq!(remove_keys(config, Config, "a"), "[profile a]\n[default]\nregion = x\n[profile a]\n");
        assert_eq!(remove_keys(config, Credentials, "a"), config, "no [a] in a credentials file's terms");
    }

    #[test]
    fn an_indented_header_inside_a_value_is_not_a_section() {
        use crate::config::FileKind::Credentials;
        // `  [a]` continues the value of `note` in [b]: the keys after it are b's.
        let text = "[b]\nnote = x\n  [a]\naws_access_key_id = AKIAB\naws_secret_access_key = sB\n\
                    [a]\naws_access_key_id = AKIAA\naws_secret_access_key = sA\n";
        assert_eq!(
            remove_keys(text, Credentials, "a"),
            "[b]\nnote = x\n  [a]\naws_access_key_id = AKIAB\naws_secret_access_key = sB\n[a]\n"
        );
        assert_eq!(key_lines(text, Credentials, "b").unwrap(), [4, 5]);
        assert_eq!(remove_lines("a\nb\nc", &[3]), "a\nb\n");
    }

    #[test]
    fn adds_the_line_once() {
        let c = "[default]\nregion = r\n\n[profile b]\nx = 1\n";
        let out = add_credential_process(c, "default", "swrole credential-process default").unwrap();
        assert_eq!(
            out,
            "[default]\ncredential_process = swrole credential-process default\nregion = r\n\n[profile b]\nx = 1\n"
        );
        assert_eq!(
            add_credential_process(&out, "default", "swrole credential-process default").unwrap(),
            out
        );
        assert!(add_credential_process(&out, "default", "other").is_err());
        let out = add_credential_process("[profile b]\nx = 1", "c", "L").unwrap();
        assert_eq!(out, "[profile b]\nx = 1\n\n[profile c]\ncredential_process = L\n");
        assert_eq!(
            add_credential_process("", "default", "L").unwrap(),
            "[default]\ncredential_process = L\n"
        );
        assert_eq!(
            add_credential_process("[profile b]\nx = 1\n", "b", "L").unwrap(),
            "[profile b]\ncredential_process = L\nx = 1\n"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let k = StoredKeys {
            aws_access_key_id: "AKIAAAAAAAAAAAAAAAAA".into(),
            aws_secret_access_key: "sekrit".into(),
        };
        assert!(!format!("{k:?}").contains("sekrit"));
    }
}
