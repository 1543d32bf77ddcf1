//! A snapshot of the process environment, taken once in `run` and passed down.
//!
//! Everything below `run` reads variables through [`Env`], so the core stays pure and
//! tests build an `Env` from pairs instead of mutating the process environment.

use std::collections::BTreeMap;
use std::ffi::OsString;

#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// The login name of this process's user from the OS, looked up when first needed
    /// (`USER` and friends not set); `None` inside: not found.
    login: std::sync::OnceLock<Option<String>>,
    /// Whether to ask the OS at all (tests built from pairs do not).
    ask_os: bool,
}

impl Env {
    /// The variables of this process. Names or values that are not UTF-8 are left out:
    /// every variable swrole reads is ASCII by definition.
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v): (OsString, OsString)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Env { vars, login: std::sync::OnceLock::new(), ask_os: true }
    }

    /// The user's login name: `USER`, `LOGNAME` or `USERNAME`, else the OS's name for
    /// this process's user, so that every shell (with or without `USER`) names sessions
    /// and cache entries the same.
    pub fn login_name(&self) -> Option<&str> {
        self.first(&["USER", "LOGNAME", "USERNAME"])
            .or_else(|| if self.ask_os { self.login.get_or_init(os_login_name).as_deref() } else { None })
    }

    /// Whether `program` is a file in one of `PATH`'s directories.
    pub fn on_path(&self, program: &str) -> bool {
        self.which(program).is_some()
    }

    /// Where `program` is found on `PATH`: the first directory that holds it.
    pub fn which(&self, program: &str) -> Option<std::path::PathBuf> {
        self.get("PATH")
            .unwrap_or("")
            .split(':')
            .filter(|dir| !dir.is_empty())
            .map(|dir| std::path::Path::new(dir).join(program))
            .find(|p| p.is_file())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Env {
            vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            login: std::sync::OnceLock::new(),
            ask_os: false,
        }
    }

    /// The value of `name`; an empty value counts as unset (docs/spec.md §1.2 R).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set and not empty.
    pub fn first(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }
}

// Values may be secrets (credentials inherited from the parent shell): never print them.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").field("names", &self.vars.keys().collect::<Vec<_>>()).finish()
    }
}

/// The name of this process's user: from `/etc/passwd` when it lists the uid (no
/// name-service daemon is asked, so no socket is opened), else from the system's user
/// database (`getpwuid_r`: LDAP, directory services).
fn os_login_name() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    if let Ok(text) = std::fs::read_to_string("/etc/passwd") {
        for line in text.lines() {
            let mut fields = line.split(':');
            if let (Some(name), _, Some(id)) = (fields.next(), fields.next(), fields.next())
                && id.parse::<u32>().ok() == Some(uid)
                && !name.is_empty()
            {
                return Some(name.to_string());
            }
        }
    }
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to live, writable storage of the size given.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into `buf`, NUL-terminated by getpwuid_r.
    unsafe { std::ffi::CStr::from_ptr(pw.pw_name) }.to_str().ok().map(str::to_string)
}
