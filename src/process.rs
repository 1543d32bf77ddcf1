//! Commands named in a profile (`credential_process`), run with bounds: a time limit and a
//! limit on what they may print, so a hanging or flooding command is a clear error rather
//! than a hung switch or a process that eats the machine's memory.
//!
//! The command line is run by `/bin/sh -c`, as the AWS SDK for Rust does (botocore splits
//! it with shell rules and runs it without a shell: the two agree for ordinary command
//! lines with quotes and spaces). stdin and stderr are the caller's, so a command can ask
//! on the terminal and its messages reach the user; stdout is read.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::credentials::Credentials;
use crate::text::sanitize;

/// What a command may print: a credential_process document is well under 4 KiB.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Run `command` and return its stdout, or say why not: it could not start, ran longer
/// than `timeout`, printed more than `max` bytes, or exited with a failure.
pub fn run(what: &str, command: &str, timeout: Duration, max: usize) -> Result<String> {
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", command]);
    run_command(what, &sanitize(command), sh, timeout, max)
}

/// [`run`] for a program and its arguments, without a shell; `shown` names it in errors.
pub fn run_command(
    what: &str,
    shown: &str,
    mut command: Command,
    timeout: Duration,
    max: usize,
) -> Result<String> {
    let mut child = command
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("{what}: could not start `{shown}`"))?;
    let mut stdout = child.stdout.take().expect("piped");
    // The reader stops at max + 1 bytes; it is not joined when the command is killed, so
    // a grandchild that keeps the pipe open cannot hold swrole.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let result = stdout.by_ref().take(max as u64 + 1).read_to_end(&mut buf).map(|_| buf);
        let _ = tx.send(result);
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().with_context(|| format!("{what}: `{shown}`"))? {
            break status;
        }
        if Instant::now() >= deadline {
            kill_tree(child.id());
            let _ = child.kill();
            let _ = child.wait();
            bail!("{what}: `{shown}` did not finish within {} s: stopped", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
    let out = match rx.recv_timeout(remaining) {
        Ok(result) => result.with_context(|| format!("{what}: could not read the output of `{shown}`"))?,
        Err(_) => bail!("{what}: `{shown}` left a process behind that keeps its output open"),
    };
    if out.len() > max {
        bail!("{what}: `{shown}` printed more than {} KiB: not read", max / 1024);
    }
    if !status.success() {
        bail!("{what}: `{shown}` failed ({status})");
    }
    String::from_utf8(out).with_context(|| format!("{what}: `{shown}` printed text that is not UTF-8"))
}

/// Stop the processes a command started (`sh -c 'sleep 40'` leaves `sleep` behind when
/// only `sh` is killed, holding the terminal's stderr open). The command stays in swrole's
/// process group, so that it can still ask on the terminal; its descendants are found
/// through /proc where there is one.
fn kill_tree(pid: u32) {
    #[cfg(target_os = "linux")]
    {
        let mut parents: Vec<(u32, u32)> = Vec::new();
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
                // The fields after the command name, which is in parentheses.
                let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
                if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|f| f.parse().ok()) {
                    parents.push((p, ppid));
                }
            }
        }
        let mut tree = vec![pid];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
            i += 1;
        }
        for p in tree.into_iter().skip(1) {
            // SAFETY: kill has no memory preconditions; a stale pid gets ESRCH.
            unsafe { libc::kill(p as libc::pid_t, libc::SIGKILL) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = pid;
}

/// The credential_process document (version 1).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<String>,
    account_id: Option<String>,
}

/// The credentials of a profile's `credential_process`.
pub fn credentials(profile: &str, command: &str, timeout: Duration) -> Result<Credentials> {
    let what = format!("credential_process of profile {profile:?}");
    let text = run(&what, command, timeout, MAX_OUTPUT)?;
    let doc: Document = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!("{what}: the output is not a credential_process document (JSON with Version 1): {e}")
    })?;
    if doc.version != 1 {
        bail!("{what}: the document has Version {}; only version 1 is known", doc.version);
    }
    let expiration = match &doc.expiration {
        None => None,
        Some(t) => Some(crate::clock::parse_rfc3339(t).ok_or_else(|| {
            anyhow::anyhow!("{what}: Expiration {:?} is not an RFC 3339 time", sanitize(t))
        })?),
    };
    if let Some(a) = doc.account_id.as_deref().filter(|a| !crate::credentials::is_account_id(a)) {
        bail!("{what}: AccountId {:?} is not an account id (exactly 12 digits)", sanitize(a));
    }
    let creds = Credentials {
        access_key_id: doc.access_key_id,
        secret_access_key: doc.secret_access_key,
        session_token: doc.session_token,
        expiration,
        arn: None,
        account_id: doc.account_id,
    };
    creds.check_shape().with_context(|| what.clone())?;
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command stopped at its time limit takes the processes it started with it: none is
    /// left running (a zombie waiting for its parent is not running).
    #[test]
    fn a_stopped_command_leaves_no_process_behind() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let command = format!("sleep 60 & echo $! > {0}.tmp && mv {0}.tmp {0}; wait", pidfile.display());
        let e = run("t", &command, Duration::from_secs(1), 10).unwrap_err().to_string();
        assert!(e.contains("did not finish within 1 s"), "{e}");
        let pid = std::fs::read_to_string(&pidfile).expect("the command started its child in time");
        let running = || {
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, r)| !r.trim_start().starts_with('Z')))
        };
        let until = Instant::now() + Duration::from_secs(10);
        while running() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!running(), "the command's child {} is still running", pid.trim());
    }

    #[test]
    fn bounds() {
        let t = Duration::from_secs(5);
        assert_eq!(run("t", "printf hi", t, 10).unwrap(), "hi");
        assert!(run("t", "exit 3", t, 10).unwrap_err().to_string().contains("failed"));
        let e = run("t", "head -c 100 /dev/zero", t, 10).unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
        let e = run("t", "sleep 5", Duration::from_millis(200), 10).unwrap_err().to_string();
        assert!(e.contains("did not finish within"), "{e}");
    }
}
