//! Where a team file comes from: a path (the file, or a directory holding
//! `swrole-team.ini`), or a git repository read with the user's own `git` at a ref.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::env::Env;
use crate::team::{FILE_NAME, MAX_BYTES};

/// How long a git fetch of a team repository may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file, or a directory holding `swrole-team.ini` (absolute).
    Path(PathBuf),
    /// A git URL (`https://`, `ssh://`, `file://` or `user@host:path`) and a ref.
    Git { url: String, reference: Option<String> },
}

/// A ref git can fetch: a branch, a tag or a commit, never an option.
fn check_ref(reference: &str) -> Result<()> {
    if reference.is_empty()
        || reference.starts_with(['-', '/'])
        || reference.contains("..")
        || !reference.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
    {
        bail!(
            "{:?} is not a git ref swrole fetches (a branch, tag or commit)",
            crate::text::printable(reference)
        );
    }
    Ok(())
}

/// A team source as it may be shown: a password in a URL's user part (`user:TOKEN@host`)
/// replaced by `***`. Sources with one are refused; blocks written before that still hold it.
pub fn redacted(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else { return text.to_string() };
    let start = scheme_end + 3;
    let authority_end = text[start..].find(['/', '?', '#']).map_or(text.len(), |i| start + i);
    let authority = &text[start..authority_end];
    let Some(at) = authority.rfind('@') else { return text.to_string() };
    let Some(colon) = authority[..at].find(':') else { return text.to_string() };
    format!("{}***{}", &text[..start + colon + 1], &text[start + at..])
}

impl Source {
    /// Read a SOURCE argument: `git+https://...`, `git+ssh://...`, `git+file://...` or
    /// `git@host:org/repo` (each optionally `#ref`) is git; anything else is a path, made
    /// absolute against `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<Source> {
        crate::team::check_comment_text("team source", text).map_err(|_| {
            anyhow::anyhow!(
                "the team source {:?} holds control characters or is over 1 KiB",
                crate::text::printable(&redacted(text))
            )
        })?;
        let scp_like = |t: &str| {
            !t.contains("://")
                && t.split_once(':').is_some_and(|(host, _)| host.contains('@') && !host.contains('/'))
        };
        let git = match text.strip_prefix("git+") {
            Some(rest) => Some(rest),
            None if scp_like(text.split('#').next().unwrap_or("")) => Some(text),
            None => None,
        };
        let Some(git) = git else {
            if text.is_empty() {
                bail!("the team source is empty: give a path, a directory or a git URL");
            }
            let path = cwd.join(text);
            return Ok(Source::Path(path));
        };
        let (url, reference) = match git.split_once('#') {
            Some((u, r)) => (u, Some(r.to_string())),
            None => (git, None),
        };
        if let Some(r) = &reference {
            check_ref(r)?;
        }
        if let Ok(parsed) = url::Url::parse(url)
            && parsed.password().is_some()
        {
            bail!(
                "the team source {} holds a password or token in its URL, which would be stored in \
                 ~/.aws/config and shown in every message: give the URL without it, and let git's \
                 credential helper keep the secret (git config --global credential.helper ...)",
                crate::text::printable(&redacted(text))
            );
        }
        let allowed = ["https://", "ssh://", "file://"];
        if url.starts_with('-') || !(allowed.iter().any(|p| url.starts_with(p)) || scp_like(url)) {
            bail!(
                "{:?} is not a git URL swrole reads (git+https://, git+ssh://, git+file:// or git@host:path)",
                crate::text::printable(text)
            );
        }
        Ok(Source::Git { url: url.to_string(), reference })
    }

    /// What the block records, and what `team sync` reads again.
    pub fn describe(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Git { url, reference } => {
                let prefix = if url.contains("://") { "git+" } else { "" };
                match reference {
                    Some(r) => format!("{prefix}{url}#{r}"),
                    None => format!("{prefix}{url}"),
                }
            }
        }
    }

    /// Where the team file lives, whatever ref is pinned: a path, or a repository's URL. A
    /// block re-added from another place is another team's file of the same name.
    pub fn place(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Git { url, .. } => Source::Git { url: url.clone(), reference: None }.describe(),
        }
    }

    /// The team file's text, and where it was read (for messages: `path`, `url#ref:file`).
    pub fn read(&self, env: &Env) -> Result<(String, String)> {
        match self {
            Source::Path(p) => {
                let file = if p.is_dir() { p.join(FILE_NAME) } else { p.clone() };
                Ok((read_bounded(&file)?, file.display().to_string()))
            }
            Source::Git { url, reference } => {
                let git = env.which("git").ok_or_else(|| {
                    anyhow::anyhow!(
                        "reading the team file from {} needs git, which is not on PATH",
                        self.describe()
                    )
                })?;
                let dir = tempfile::Builder::new()
                    .prefix("swrole-team-")
                    .tempdir()
                    .context("could not make a temporary directory for git")?;
                let run = |args: &[&str], max: usize| -> Result<String> {
                    let mut c = Command::new(&git);
                    c.arg("-C").arg(dir.path()).args(args);
                    let shown = format!("git {}", args.join(" "));
                    crate::process::run_command(
                        "team source",
                        &crate::text::sanitize(&shown),
                        c,
                        GIT_TIMEOUT,
                        max,
                    )
                };
                run(&["init", "--quiet"], 4096)?;
                let wanted = reference.as_deref().unwrap_or("HEAD");
                run(&["fetch", "--quiet", "--depth", "1", "--no-tags", "--", url, wanted], 64 * 1024)
                    .with_context(|| format!("could not fetch {}", self.describe()))?;
                let text = run(&["cat-file", "blob", &format!("FETCH_HEAD:{FILE_NAME}")], MAX_BYTES)
                    .with_context(|| format!("{} has no {FILE_NAME} at its top", self.describe()))?;
                Ok((text, format!("{}:{FILE_NAME}", self.describe())))
            }
        }
    }
}

/// A team file's text, read to at most [`MAX_BYTES`] whatever its size says: opened without
/// blocking (a FIFO put in its place waits for nobody), held to a regular file by the
/// descriptor itself, and read through a bound, so that a file under `/proc` or one that
/// grows after the check (a link in the cloned repository can point anywhere) is never read
/// whole.
fn read_bounded(file: &Path) -> Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let not_a_team_file = || {
        anyhow::anyhow!(
            "{} is not a team file (a regular file of at most {} KiB)",
            file.display(),
            MAX_BYTES / 1024
        )
    };
    let handle = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file)
        .with_context(|| format!("the team file {} cannot be read", file.display()))?;
    let meta =
        handle.metadata().with_context(|| format!("the team file {} cannot be read", file.display()))?;
    if !meta.is_file() {
        return Err(not_a_team_file());
    }
    let mut bytes = Vec::new();
    handle
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("the team file {} cannot be read", file.display()))?;
    if bytes.len() > MAX_BYTES {
        return Err(not_a_team_file());
    }
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("the team file {} cannot be read as UTF-8 text", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_source_reads_the_file_or_the_directory_s_file_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let source = Source::Path(dir.path().to_path_buf());
        let err = source.read(&env).unwrap_err().to_string();
        assert!(err.contains("swrole-team.ini cannot be read"), "{err}");
        std::fs::write(dir.path().join(FILE_NAME), "x".repeat(MAX_BYTES)).unwrap();
        let (text, origin) = source.read(&env).unwrap();
        assert_eq!((text.len(), origin), (MAX_BYTES, dir.path().join(FILE_NAME).display().to_string()));
        std::fs::write(dir.path().join(FILE_NAME), "x".repeat(MAX_BYTES + 1)).unwrap();
        assert!(source.read(&env).unwrap_err().to_string().contains("is not a team file"));
        let file = dir.path().join("other.ini");
        std::fs::write(&file, "[swrole-team]\n").unwrap();
        assert_eq!(Source::Path(file).read(&env).unwrap().0, "[swrole-team]\n");
        std::fs::write(dir.path().join(FILE_NAME), [0xff, 0xfe]).unwrap();
        assert!(source.read(&env).unwrap_err().to_string().contains("UTF-8"));
        // No git on PATH: said, before anything runs.
        let git = Source::Git { url: "https://x.example/r".into(), reference: None };
        assert!(
            git.read(&Env::from_pairs([("PATH", "/nonexistent")]))
                .unwrap_err()
                .to_string()
                .contains("needs git")
        );
    }

    #[test]
    fn sources() {
        let cwd = Path::new("/home/a");
        assert_eq!(Source::parse("team", cwd).unwrap(), Source::Path("/home/a/team".into()));
        assert_eq!(Source::parse("/t/x.ini", cwd).unwrap(), Source::Path("/t/x.ini".into()));
        let g = Source::parse("git+https://git.example.com/web/aws.git#v1.2", cwd).unwrap();
        assert_eq!(
            g,
            Source::Git { url: "https://git.example.com/web/aws.git".into(), reference: Some("v1.2".into()) }
        );
        assert_eq!(g.describe(), "git+https://git.example.com/web/aws.git#v1.2");
        let scp = Source::parse("git@github.com:web/aws.git#main", cwd).unwrap();
        assert_eq!(scp.describe(), "git@github.com:web/aws.git#main");
        for bad in [
            "git+ext::sh -c evil",
            "git+-uhttps://x",
            "git+http://x.example/r",
            "git+https://x#--upload-pack=evil",
            "git+https://x#a..b",
            "git+https://x#",
            "",
            "a\nb",
        ] {
            assert!(Source::parse(bad, cwd).is_err(), "{bad:?}");
        }
    }
    #[test]
    fn a_password_in_a_source_is_refused_and_never_shown() {
        let cwd = Path::new("/home/a");
        for bad in [
            "git+https://ann:SECRETTOKEN@git.example.com/web/aws.git",
            "git+ssh://deploy:SECRETTOKEN@git.example.com/web/aws.git#main",
            "git+https://:SECRETTOKEN@git.example.com/r",
        ] {
            let e = Source::parse(bad, cwd).unwrap_err().to_string();
            assert!(!e.contains("SECRETTOKEN"), "{e}");
            assert!(e.contains(":***@git.example.com") && e.contains("credential helper"), "{e}");
        }
        // A user name alone is how ssh and many hosts name the account: kept.
        Source::parse("git+ssh://git@git.example.com/web/aws.git", cwd).unwrap();
        Source::parse("git+https://ann@git.example.com/web/aws.git", cwd).unwrap();
        assert_eq!(redacted("git+https://u:p@h/x#main"), "git+https://u:***@h/x#main");
        assert_eq!(redacted("git+https://u@h/x"), "git+https://u@h/x");
        assert_eq!(redacted("/path/with:colon@at"), "/path/with:colon@at");
        assert_eq!(redacted("git+https://h/p:q@r"), "git+https://h/p:q@r", "the path is not userinfo");
        // Control characters: said without the password either.
        let e = Source::parse("git+https://u:SECRETTOKEN@h/x\u{7}", cwd).unwrap_err().to_string();
        assert!(!e.contains("SECRETTOKEN"), "{e}");
    }

    #[test]
    fn a_team_file_is_read_through_a_bound_whatever_it_is() {
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let dir = tempfile::tempdir().unwrap();
        // A file that says it is empty and holds megabytes: read to the bound, then refused.
        let proc_file = Path::new("/proc/kallsyms");
        assert!(std::fs::metadata(proc_file).unwrap().len() == 0, "the kernel's symbol list has no size");
        std::os::unix::fs::symlink(proc_file, dir.path().join(FILE_NAME)).unwrap();
        let e = Source::Path(dir.path().to_path_buf()).read(&env).unwrap_err().to_string();
        assert!(e.contains("is not a team file (a regular file of at most 256 KiB)"), "{e}");
        // A FIFO in its place: refused at once, nobody waited for.
        let fifo = dir.path().join("fifo.ini");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = Source::Path(fifo).read(&env).unwrap_err().to_string();
        assert!(e.contains("is not a team file"), "{e}");
    }

    #[test]
    fn the_place_of_a_source_leaves_its_ref_out() {
        let cwd = Path::new("/home/a");
        let a = Source::parse("git+https://h/web.git#v1", cwd).unwrap();
        let b = Source::parse("git+https://h/web.git", cwd).unwrap();
        assert_eq!(a.place(), b.place());
        assert_ne!(a.place(), Source::parse("git+https://h/api.git#v1", cwd).unwrap().place());
        assert_eq!(Source::parse("t", cwd).unwrap().place(), "/home/a/t");
    }
}
