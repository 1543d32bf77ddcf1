//! Questions on the controlling terminal (`/dev/tty`), never on stdout, so that they work
//! inside `$(...)` and `| source`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

use anyhow::{Context, Result, bail};

/// The controlling terminal, or an error saying how to do without one (the OS error
/// itself, "No such device or address", says nothing useful here).
pub fn terminal(why: &str, instead: &str) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| anyhow::anyhow!("{why}, but there is no terminal to ask on: {instead}"))
}

/// Ask for the MFA code of `serial` on the terminal, up to three tries (an empty line is
/// not one: it asks again). `123 456` is taken as `123456`.
pub fn ask_token_code(tty: &File, profile: &str, serial: &str) -> Result<String> {
    let mut reader = BufReader::new(tty);
    let mut out = tty;
    let mut tries = 0;
    while tries < 3 {
        // One write, so that nothing typed early can land inside the question.
        out.write_all(
            crate::text::printable(&format!("swrole: MFA code for {serial} (profile {profile}): "))
                .as_bytes(),
        )
        .context("could not write to the terminal")?;
        out.flush().ok();
        let mut line = String::new();
        if reader.read_line(&mut line).context("could not read from the terminal")? == 0 {
            bail!("no MFA code entered (end of input)");
        }
        if line.trim().is_empty() {
            continue;
        }
        tries += 1;
        match crate::mfa::normalize(&line) {
            Ok(code) => return Ok(code),
            Err(e) => writeln!(out, "swrole: {e}").ok(),
        };
    }
    bail!("no valid MFA code entered")
}

/// Ask for one line on the terminal, shown as typed.
pub fn ask_line(tty: &File, question: &str) -> Result<String> {
    let mut out = tty;
    out.write_all(crate::text::printable(&format!("swrole: {question}")).as_bytes())
        .context("could not write to the terminal")?;
    out.flush().ok();
    let mut line = String::new();
    if BufReader::new(tty).read_line(&mut line).context("could not read from the terminal")? == 0 {
        bail!("nothing entered (end of input)");
    }
    Ok(line.trim().to_string())
}

/// The terminal settings to put back if Ctrl-C comes while echo is off.
static mut SAVED: Option<(i32, libc::termios)> = None;

extern "C" fn restore_and_die(sig: libc::c_int) {
    // SAFETY: tcsetattr, signal and raise are async-signal-safe; SAVED was written before
    // this handler was installed and is not written while it is.
    unsafe {
        if let Some((fd, t)) = *std::ptr::addr_of!(SAVED) {
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Ask for a secret on the terminal, not shown as typed. Ctrl-C puts the terminal back
/// before swrole ends by the signal.
pub fn ask_secret(tty: &File, question: &str) -> Result<String> {
    use std::os::fd::AsRawFd;
    let fd = tty.as_raw_fd();
    // SAFETY: fd is an open terminal; termios is plain data filled by tcgetattr.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    let have = unsafe { libc::tcgetattr(fd, &mut t) } == 0;
    if have {
        let mut quiet = t;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: see above; the handler only reads SAVED.
        unsafe {
            SAVED = Some((fd, t));
            libc::signal(libc::SIGINT, restore_and_die as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, restore_and_die as *const () as libc::sighandler_t);
            libc::tcsetattr(fd, libc::TCSANOW, &quiet);
        }
    }
    let answer = ask_line(tty, question);
    if have {
        // SAFETY: as above.
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, &t);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
        }
        let mut out = tty;
        out.write_all(b"\n").ok();
    }
    answer
}

/// Ask a yes/no question on the terminal; only `y` or `yes` is a yes.
pub fn confirm(tty: &File, question: &str) -> Result<bool> {
    let mut out = tty;
    out.write_all(crate::text::printable(&format!("swrole: {question} [y/N] ")).as_bytes())
        .context("could not write to the terminal")?;
    out.flush().ok();
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line).context("could not read from the terminal")?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
