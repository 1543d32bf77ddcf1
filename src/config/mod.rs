//! The AWS config and credentials files: where they are, reading them safely, and merging
//! them into one [`ProfileSet`] the way the SDKs do (docs/spec.md §1–2).

pub mod botocore;
pub mod parse;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::env::Env;

/// Larger files are refused: real ones are a few KiB, and this bounds time and memory when
/// `AWS_CONFIG_FILE` points somewhere odd.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Credentials,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Config => "config",
            FileKind::Credentials => "credentials",
        }
    }
}

/// The two files' locations (docs/spec.md §1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl Paths {
    /// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
    /// `~/.aws/credentials`. A leading `~/` is expanded; `$VARS` are not (docs/spec.md §1.1 R).
    pub fn from_env(env: &Env) -> Result<Paths> {
        let home = env.get("HOME").map(PathBuf::from);
        let pick = |var: &str, default: &str| -> Result<PathBuf> {
            match env.get(var) {
                Some(path) => expand_tilde(path, home.as_deref())
                    .with_context(|| format!("{var}={path} starts with ~ but HOME is not set")),
                None => match &home {
                    Some(home) => Ok(home.join(".aws").join(default)),
                    None => bail!("HOME is not set: set HOME or {var}"),
                },
            }
        };
        Ok(Paths {
            config: pick("AWS_CONFIG_FILE", "config")?,
            credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials")?,
        })
    }

    pub fn get(&self, kind: FileKind) -> &Path {
        match kind {
            FileKind::Config => &self.config,
            FileKind::Credentials => &self.credentials,
        }
    }
}

/// A path from a profile value (`ca_bundle`): a leading `~/` expanded with `HOME`, as the
/// AWS CLI does; kept as written when there is no `HOME`.
pub fn expand_path(path: &str, env: &Env) -> PathBuf {
    expand_tilde(path, env.get("HOME").map(Path::new)).unwrap_or_else(|| PathBuf::from(path))
}

fn expand_tilde(path: &str, home: Option<&Path>) -> Option<PathBuf> {
    match path.strip_prefix("~/") {
        Some(rest) => Some(home?.join(rest)),
        None if path == "~" => home.map(Path::to_path_buf),
        None => Some(PathBuf::from(path)),
    }
}

/// Where a value or section was written: which file, which line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub kind: FileKind,
    pub line: usize,
}

/// A property value and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub origin: Origin,
}

// Values may be secret keys: Debug shows where a value is, never what it is.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({} line {}, {} bytes)", self.origin.kind.name(), self.origin.line, self.text.len())
    }
}

/// Describes where a value was written, for error messages: `~/.aws/config:12`.
pub fn at(paths: &Paths, v: &Value) -> String {
    format!("{}:{}", paths.get(v.origin.kind).display(), v.origin.line)
}

/// A merged section: lower-cased key to value, with the first header that defined it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub props: BTreeMap<String, Value>,
    pub origins: Vec<Origin>,
}

/// Every key swrole reads from a `[profile]`, `[sso-session]` or `[services]` section. Reads
/// go through [`Section::get`] and [`Section::text`], which refuse (in debug builds, so in
/// every test) a key missing here; the docs test checks that each is documented.
pub const KEYS: &[&str] = &[
    // Credentials and the role chain (the AWS tools' own keys).
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_account_id",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "web_identity_token_file",
    "mfa_serial",
    "external_id",
    "role_session_name",
    "duration_seconds",
    "sso_session",
    "sso_account_id",
    "sso_role_name",
    "sso_start_url",
    "sso_region",
    "sso_registration_scopes",
    "login_session",
    // Where and how calls are made.
    "region",
    "endpoint_url",
    "services",
    "sts",
    "ignore_configured_endpoint_urls",
    "ca_bundle",
    "max_attempts",
    // Other tools' keys swrole honours (aws-vault's).
    "mfa_process",
    // swrole's own (the AWS tools ignore them).
    "swrole_confirm",
    "swrole_color",
    "swrole_account_alias",
    "swrole_session_policy",
    "swrole_source_identity",
    "swrole_write_duration",
    "swrole_guard_commands",
    "swrole_idle",
    "swrole_key_store",
];

impl Section {
    pub fn get(&self, key: &str) -> Option<&Value> {
        debug_assert!(KEYS.contains(&key), "profile key {key:?} is read but not in config::KEYS");
        self.props.get(key)
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).map(|v| v.text.as_str())
    }
}

/// Everything read from the two files, merged by the spec's rules.
#[derive(Clone, Debug, Default)]
pub struct ProfileSet {
    pub profiles: BTreeMap<String, Section>,
    pub sso_sessions: BTreeMap<String, Section>,
    pub services: BTreeMap<String, Section>,
    /// Sections and properties the spec ignores, said once each (for `--verbose` and doctor).
    pub ignored: Vec<String>,
    /// The config file's lines that swrole manages for someone else (a team file's block, or
    /// IAM Identity Center's): first and last line, 1-based, and whose (`team web`). Filled by
    /// whoever loads the files with the block reader; empty means none are known.
    pub managed: Vec<(usize, usize, String)>,
}

impl ProfileSet {
    pub fn profile(&self, name: &str) -> Option<&Section> {
        self.profiles.get(name)
    }

    /// Whose block a value of the config file was written in, if it is in one.
    pub fn managed_by(&self, origin: Origin) -> Option<&str> {
        if origin.kind != FileKind::Config {
            return None;
        }
        self.managed
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&origin.line))
            .map(|(_, _, owner)| owner.as_str())
    }

    /// Parse and merge the two files' texts (either may be empty). `paths` only names the
    /// files in error messages.
    pub fn from_texts(config: &str, credentials: &str, paths: &Paths) -> Result<ProfileSet> {
        let mut set = ProfileSet::default();
        for (kind, text) in [(FileKind::Config, config), (FileKind::Credentials, credentials)] {
            let sections = parse::parse(text)
                .map_err(|e| anyhow::anyhow!("{}:{}: {}", paths.get(kind).display(), e.line, e.message))?;
            set.add_file(kind, sections);
        }
        Ok(set)
    }

    /// Read both files (a missing file is empty) and merge them.
    pub fn load(paths: &Paths) -> Result<ProfileSet> {
        let config = read_file(&paths.config)?;
        let credentials = read_file(&paths.credentials)?;
        ProfileSet::from_texts(&config, &credentials, paths)
    }

    fn add_file(&mut self, kind: FileKind, sections: Vec<parse::RawSection>) {
        // docs/spec.md §2.7: any `[profile default]` in the config file hides every `[default]` there.
        let has_prefixed_default = kind == FileKind::Config
            && sections.iter().any(|s| classify(kind, &s.header) == Some((Target::Profile, "default", true)));
        for section in sections {
            let origin = Origin { kind, line: section.line };
            let (target, name) = match classify(kind, &section.header) {
                Some((Target::Profile, "default", false)) if has_prefixed_default => {
                    self.ignored.push(format!(
                        "{} file line {}: [default] is ignored because the file also has [profile default]",
                        kind.name(),
                        section.line
                    ));
                    continue;
                }
                Some((target, name, _)) if is_identifier(name) => (target, name.to_string()),
                _ => {
                    self.ignored.push(ignored_section_reason(kind, &section.header, section.line));
                    continue;
                }
            };
            let map = match target {
                Target::Profile => &mut self.profiles,
                Target::SsoSession => &mut self.sso_sessions,
                Target::Services => &mut self.services,
            };
            let merged = map.entry(name).or_default();
            merged.origins.push(origin);
            for p in section.properties {
                if !is_identifier(&p.key) {
                    self.ignored.push(format!(
                        "{} file line {}: property name {:?} is not valid and is ignored",
                        kind.name(),
                        p.line,
                        p.key
                    ));
                    continue;
                }
                // Later definitions win; the credentials file is merged last, so it wins.
                merged.props.insert(p.key, Value { text: p.value, origin: Origin { kind, line: p.line } });
            }
        }
    }
}

/// The profile a section header of a file of `kind` names, if it names one: `[default]`
/// or `[profile NAME]` in the config file, `[NAME]` in the credentials file.
pub fn profile_of(kind: FileKind, header: &str) -> Option<&str> {
    match classify(kind, header) {
        Some((Target::Profile, name, _)) => Some(name),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Profile,
    SsoSession,
    Services,
}

/// What a header means in a file of this kind: the target, the name, and whether the name
/// came with a prefix. `None`: the spec ignores the section.
fn classify(kind: FileKind, header: &str) -> Option<(Target, &str, bool)> {
    let split = header.split_once([' ', '\t']).map(|(p, n)| (p, n.trim_matches([' ', '\t'])));
    match kind {
        FileKind::Credentials => Some((Target::Profile, header, false)),
        FileKind::Config => match split {
            None if header == "default" => Some((Target::Profile, header, false)),
            None => None,
            Some(("profile", name)) => Some((Target::Profile, name, true)),
            Some(("sso-session", name)) => Some((Target::SsoSession, name, true)),
            Some(("services", name)) => Some((Target::Services, name, true)),
            Some(_) => None,
        },
    }
}

fn ignored_section_reason(kind: FileKind, header: &str, line: usize) -> String {
    let why = match (kind, classify(kind, header)) {
        (FileKind::Credentials, _) if header.starts_with("profile ") => {
            " (credentials-file profiles are written [NAME], without a prefix)".to_string()
        }
        (FileKind::Config, None) if !header.contains([' ', '\t']) => {
            " (config-file profiles are written [profile NAME]; only [default] has no prefix)".to_string()
        }
        (_, Some((_, name, _))) if name.contains([' ', '\t', '"', '\'']) => {
            " (profile names cannot contain spaces or quotes; botocore accepts quoted names, the SDKs do not)"
                .to_string()
        }
        (FileKind::Credentials, _) => {
            " (credentials-file profiles are written [NAME], without a prefix)".to_string()
        }
        _ => String::new(),
    };
    format!("{} file line {line}: section [{header}] is ignored{why}", kind.name())
}

/// Profile, section and property names: `[A-Za-z0-9_\-/.%@:+]+` (docs/spec.md §2.5).
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/' | b'.' | b'%' | b'@' | b':' | b'+')
        })
}

/// Read a whole file as UTF-8 text. Missing: empty. Anything else that is not a readable
/// regular UTF-8 file of sane size: an error that names the path.
pub fn read_file(path: &Path) -> Result<String> {
    // stat first, so that a FIFO or device is refused without blocking on open.
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(path).is_ok() => {
            bail!("could not read {}: a symbolic link to a file that does not exist", path.display())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
    };
    if !meta.is_file() {
        bail!("could not read {}: not a regular file", path.display());
    }
    if meta.len() > MAX_FILE_BYTES {
        bail!("could not read {}: larger than {} MiB", path.display(), MAX_FILE_BYTES >> 20);
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("could not read {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("could not read {}: larger than {} MiB", path.display(), MAX_FILE_BYTES >> 20);
    }
    // A UTF-8 byte-order mark (Windows editors write one) is not part of the text.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        anyhow::anyhow!("{}:{line}: not valid UTF-8 text", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths { config: "/c".into(), credentials: "/k".into() }
    }

    #[test]
    fn merge_and_origins() {
        let set = ProfileSet::from_texts(
            "[default]\nregion = eu-west-1\n[profile a]\nrole_arn = r\n[a]\nx = 1",
            "[a]\nrole_arn = r2\n",
            &paths(),
        )
        .unwrap();
        let a = set.profile("a").unwrap();
        assert_eq!(a.text("role_arn"), Some("r2"));
        assert_eq!(a.get("role_arn").unwrap().origin, Origin { kind: FileKind::Credentials, line: 2 });
        assert_eq!(set.profile("default").unwrap().text("region"), Some("eu-west-1"));
        assert_eq!(set.ignored.len(), 1, "{:?}", set.ignored);
    }

    #[test]
    fn paths_from_env() {
        let env = Env::from_pairs([("HOME", "/h"), ("AWS_CONFIG_FILE", "~/cfg")]);
        let p = Paths::from_env(&env).unwrap();
        assert_eq!(p.config, PathBuf::from("/h/cfg"));
        assert_eq!(p.credentials, PathBuf::from("/h/.aws/credentials"));
        assert!(Paths::from_env(&Env::default()).is_err());
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let e = ProfileSet::from_texts("[ok]\n", "[a]\nbroken", &paths()).unwrap_err();
        assert_eq!(e.to_string(), "/k:2: expected an '=' sign defining a property");
    }
}
