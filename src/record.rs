//! swrole's record: one JSON line for every credential it hands out (a switch, `exec` and
//! its command, `exec --server` and each renewal, `credential-process` and its caller,
//! `console`), in `$XDG_STATE_HOME/swrole/log`. Never a secret: who, which role, until when,
//! read-only or write and why, from which terminal. 0600 in a 0700 directory, rotated at
//! 1 MiB (one older file, `log.1`, under a lock); each line is one O_APPEND write, so concurrent swroles never
//! mix their lines.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::env::Env;

/// The log is rotated when it reaches this size.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// One hand-out. Field names are the JSON keys of a line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// RFC 3339, UTC.
    pub time: String,
    /// `switch`, `refresh`, `exec`, `server`, `renewal`, `credential-process`, `console`.
    pub mode: String,
    pub profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the credentials expire, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `ro` or `rw` for a profile that is read-only by session policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The terminal swrole ran on (`/dev/pts/3`), or `none`.
    pub terminal: String,
    pub user: String,
    pub pid: u32,
    /// `exec`: the command and its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// `credential-process`: the program that asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

/// What the names of secrets contain: an option `--NAME=value` or `--NAME value`, or a
/// variable `NAME=value`, whose name holds one of these has its value kept out of the record.
const SECRET_NAMES: [&str; 8] =
    ["password", "passwd", "secret", "token", "apikey", "api-key", "api_key", "credential"];

/// A job's command as the record keeps it: the program and its arguments, with what looks
/// like a secret replaced by `***`: a URL's password (`postgres://u:***@host`), the value of
/// an option or a variable whose name says password, secret, token, API key or credential
/// (`--password=***`, `--token ***`, `PGPASSWORD=***`), and MySQL's `-pPASSWORD`. What is
/// not named so is kept: the record is for people, and a guess at every secret is not
/// possible (docs/production.md says so).
pub fn redacted_command(words: &[String]) -> Vec<String> {
    let secret_name = |name: &str| {
        let name = name.to_ascii_lowercase();
        SECRET_NAMES.iter().any(|s| name.contains(s))
    };
    let mysql = words.first().is_some_and(|p| {
        let p = p.rsplit('/').next().unwrap_or(p);
        p.starts_with("mysql") || p.starts_with("mariadb")
    });
    let mut out = Vec::with_capacity(words.len());
    let mut hide_next = false;
    for word in words {
        if std::mem::take(&mut hide_next) && !word.starts_with('-') {
            out.push("***".to_string());
            continue;
        }
        let w = word.as_str();
        if let Some(option) = w.strip_prefix("--") {
            match option.split_once('=') {
                Some((name, _)) if secret_name(name) => {
                    out.push(format!("--{name}=***"));
                    continue;
                }
                None if secret_name(option) => hide_next = true,
                _ => {}
            }
        } else if let Some((name, _)) = w.split_once('=')
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && secret_name(name)
        {
            out.push(format!("{name}=***"));
            continue;
        } else if mysql && w.len() > 2 && w.starts_with("-p") {
            out.push("-p***".to_string());
            continue;
        }
        out.push(without_url_password(w));
    }
    out
}

/// Every `scheme://user:password@` in `word` made `scheme://user:***@`.
fn without_url_password(word: &str) -> String {
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@').and_then(|a| authority[..a].find(':').map(|c| (c, a))) {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Where the record is: `$XDG_STATE_HOME/swrole/log` (default `~/.local/state/swrole/log`);
/// on macOS `~/Library/Logs/swrole/log`.
pub fn path(env: &Env) -> Option<PathBuf> {
    let home = env.get("HOME").map(PathBuf::from);
    let dir = match env.get("XDG_STATE_HOME").filter(|p| p.starts_with('/')) {
        Some(x) => PathBuf::from(x).join("swrole"),
        None if cfg!(target_os = "macos") => home?.join("Library/Logs/swrole"),
        None => home?.join(".local/state/swrole"),
    };
    Some(dir.join("log"))
}

/// The terminal of this process (stdin, stderr or stdout, the first that is one).
pub fn terminal() -> String {
    for fd in [0, 2, 1] {
        // SAFETY: ttyname returns a pointer to a static buffer or null; it is read at once.
        let name = unsafe {
            let p = libc::ttyname(fd);
            if p.is_null() { None } else { Some(std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()) }
        };
        if let Some(n) = name {
            return crate::text::sanitize(&n);
        }
    }
    "none".to_string()
}

impl Line {
    /// A line for `profile` in `mode`, with the time, terminal, user and pid filled in.
    pub fn new(env: &Env, mode: &str, profile: &str) -> Line {
        Line {
            time: crate::clock::rfc3339(crate::clock::now()),
            mode: mode.to_string(),
            profile: profile.to_string(),
            terminal: terminal(),
            user: env.get("USER").or(env.get("LOGNAME")).unwrap_or("?").to_string(),
            pid: std::process::id(),
            ..Line::default()
        }
    }
}

/// Append a line. A record that cannot be written is said on stderr; the credentials are
/// handed out all the same (the record is for people, not a gate).
pub fn append(env: &Env, line: &Line) {
    if let Err(e) = try_append(env, line) {
        eprintln!(
            "swrole: warning: not recorded in swrole's log: {}",
            crate::text::printable(&format!("{e:#}"))
        );
    }
}

fn try_append(env: &Env, line: &Line) -> Result<()> {
    let path = path(env).context("neither XDG_STATE_HOME nor HOME is set")?;
    let dir = path.parent().expect("a directory");
    let mut text = serde_json::to_string(line)?;
    text.push('\n');
    // Every hand-out passes here, cache hits too: the usual case is one open and one write
    // (O_APPEND puts each line whole at the end, whoever else writes). The directory is made
    // only when it is missing, and the lock is taken only to rotate.
    let open = || {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
    };
    let mut file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
            open()
        }
        other => other,
    }
    .with_context(|| format!("could not open {}", path.display()))?;
    if file.metadata().is_ok_and(|m| past_bound(m.len(), &text)) {
        let lock = crate::store::file::open_lock_file(&dir.join("log.lock"))?;
        lock.lock().with_context(|| format!("could not lock {}", dir.display()))?;
        // Another swrole may have rotated it meanwhile: look at what the path names now.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| past_bound(m.len(), &text)) {
            std::fs::rename(&path, dir.join("log.1"))
                .with_context(|| format!("could not rotate {}", path.display()))?;
        }
        file = open().with_context(|| format!("could not open {}", path.display()))?;
    }
    file.write_all(text.as_bytes()).with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

/// Whether a record of `len` bytes would pass its bound with `text` added (then it rotates).
fn past_bound(len: u64, text: &str) -> bool {
    len + text.len() as u64 > MAX_BYTES
}

/// Every line of the record, oldest first (`log.1`, then `log`); lines that are not
/// swrole's are skipped.
pub fn read(env: &Env) -> Result<Vec<Line>> {
    let path = path(env).context("neither XDG_STATE_HOME nor HOME is set")?;
    let mut out = Vec::new();
    for p in [path.with_file_name("log.1"), path] {
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(anyhow::anyhow!("could not read {}: {e}", p.display())),
        };
        out.extend(text.lines().filter_map(|l| serde_json::from_str::<Line>(l).ok()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recorded_without_their_secrets() {
        let r = |words: &[&str]| {
            redacted_command(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>()).join(" ")
        };
        assert_eq!(
            r(&["psql", "postgres://u:PASSWORD@db:5432/app?x=1"]),
            "psql postgres://u:***@db:5432/app?x=1"
        );
        assert_eq!(
            r(&["git", "clone", "https://u:p@x.example/r", "ssh://git@h/r"]),
            "git clone https://u:***@x.example/r ssh://git@h/r"
        );
        assert_eq!(
            r(&["env", "DATABASE_URL=postgres://u:p@h/db", "x"]),
            "env DATABASE_URL=postgres://u:***@h/db x"
        );
        assert_eq!(
            r(&["x", "--password=hunter2", "--db-token", "t0k", "--Api-Key=k", "--verbose"]),
            "x --password=*** --db-token *** --Api-Key=*** --verbose"
        );
        assert_eq!(r(&["x", "--token", "--other"]), "x --token --other", "a flag after it is no value");
        assert_eq!(
            r(&["env", "PGPASSWORD=pw", "MY_SECRET=s", "AWS_REGION=eu-west-1", "psql"]),
            "env PGPASSWORD=*** MY_SECRET=*** AWS_REGION=eu-west-1 psql"
        );
        assert_eq!(r(&["/usr/bin/mysql", "-uroot", "-phunter2", "-p"]), "/usr/bin/mysql -uroot -p*** -p");
        assert_eq!(r(&["psql", "-p", "5432"]), "psql -p 5432", "-p is psql's port");
        assert_eq!(r(&["terraform", "apply", "-var=a=b", "x=y"]), "terraform apply -var=a=b x=y");
        assert_eq!(r(&["x", "://", "a://@", "a://b@c:d"]), "x :// a://@ a://b@c:d");
    }

    /// A home of its own: the directory (kept while the test runs), its environment, and
    /// where the record is in it.
    fn home() -> (tempfile::TempDir, Env, PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("HOME", home.path().to_str().unwrap())]);
        let path = path(&env).unwrap();
        (home, env, path)
    }

    fn line() -> Line {
        Line { mode: "switch".into(), profile: "p".into(), ..Line::default() }
    }

    /// The record is never written through a symbolic link: a planted one is refused and
    /// the file it names is unchanged; the record itself is 0600 in a 0700 directory.
    #[test]
    fn the_record_is_never_opened_through_a_link() {
        let (dir, env, path) = home();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let other = dir.path().join("other");
        std::fs::write(&other, "mine\n").unwrap();
        std::os::unix::fs::symlink(&other, &path).unwrap();
        let e = try_append(&env, &line()).unwrap_err();
        assert!(format!("{e:#}").contains("could not open"), "{e:#}");
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "mine\n");
        std::fs::remove_file(&path).unwrap();
        try_append(&env, &line()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(read(&env).unwrap().len(), 1);
    }

    /// A record that reaches its bound is rotated to `log.1`, and a new one begins.
    #[test]
    fn a_full_record_rotates_to_log_1() {
        let (_home, env, path) = home();
        try_append(&env, &line()).unwrap();
        let full = "x".repeat(MAX_BYTES as usize);
        std::fs::write(&path, &full).unwrap();
        try_append(&env, &line()).unwrap();
        assert_eq!(std::fs::read_to_string(path.with_file_name("log.1")).unwrap(), full);
        assert_eq!(read(&env).unwrap().len(), 1, "the new record holds the one line");
    }

    #[test]
    fn the_record_lives_in_the_state_directory() {
        let env = Env::from_pairs([("HOME", "/h")]);
        assert_eq!(path(&env).unwrap(), PathBuf::from("/h/.local/state/swrole/log"));
        let env = Env::from_pairs([("HOME", "/h"), ("XDG_STATE_HOME", "/s")]);
        assert_eq!(path(&env).unwrap(), PathBuf::from("/s/swrole/log"));
        // A relative XDG_STATE_HOME is not a place (the XDG rule).
        let env = Env::from_pairs([("HOME", "/h"), ("XDG_STATE_HOME", "s")]);
        assert_eq!(path(&env).unwrap(), PathBuf::from("/h/.local/state/swrole/log"));
        assert_eq!(path(&Env::from_pairs(Vec::<(String, String)>::new())), None);
    }

    /// The terminal is the first of stdin, stderr and stdout that is one, else `none`.
    #[test]
    fn the_terminal_is_named_or_none() {
        let any_tty = [0, 1, 2].iter().any(|fd| unsafe { libc::isatty(*fd) } == 1);
        let t = terminal();
        if any_tty {
            assert!(t.starts_with("/dev/"), "{t}");
        } else {
            assert_eq!(t, "none");
        }
    }

    /// The record rotates only past its bound: a record of a few KiB takes the line, one that
    /// would reach exactly the bound too.
    #[test]
    fn the_record_rotates_only_past_its_bound() {
        let (_home, env, path) = home();
        try_append(&env, &line()).unwrap();
        let one = std::fs::metadata(&path).unwrap().len();
        std::fs::write(&path, "x".repeat(10 * 1024)).unwrap();
        try_append(&env, &line()).unwrap();
        assert!(!path.with_file_name("log.1").exists(), "10 KiB and a line is not full");
        // Exactly the bound after the line: still not rotated.
        std::fs::write(&path, "x".repeat((MAX_BYTES - one) as usize)).unwrap();
        try_append(&env, &line()).unwrap();
        assert!(!path.with_file_name("log.1").exists());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), MAX_BYTES);
        // One byte more: rotated.
        try_append(&env, &line()).unwrap();
        assert_eq!(std::fs::metadata(path.with_file_name("log.1")).unwrap().len(), MAX_BYTES);
    }

    /// Only a missing record makes its directory; any other failure to open or read it is an
    /// error that names it.
    #[test]
    fn other_failures_are_errors_not_a_new_directory() {
        let (_home, env, path) = home();
        // Its directory is a file: not made again, the open's own error.
        std::fs::create_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
        std::fs::write(path.parent().unwrap(), "").unwrap();
        let e = format!("{:#}", try_append(&env, &line()).unwrap_err());
        assert!(e.starts_with("could not open"), "{e}");
        // The record is a directory: reading it is an error, not an empty record.
        std::fs::remove_file(path.parent().unwrap()).unwrap();
        std::fs::create_dir_all(&path).unwrap();
        let e = read(&env).unwrap_err().to_string();
        assert!(e.starts_with("could not read"), "{e}");
    }
}
