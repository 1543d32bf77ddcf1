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
    let _asking = Asking::on(tty);
    let mut reader = BufReader::new(tty);
    let mut out = tty;
    let mut tries = 0;
    while tries < 3 {
        // One write, so that nothing typed early can land inside the question. Short for 80
        // columns: the device by its name (`mfa/NAME`), the whole serial only if it has none.
        let device = serial.rsplit_once(":mfa/").map_or(serial, |(_, name)| name);
        out.write_all(
            crate::text::printable(&format!("swrole: MFA code for {profile} ({device}): ")).as_bytes(),
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
/// The terminal a question is on, to end its line if Ctrl-C comes (-1: none).
static mut ASKING_ON: i32 = -1;

extern "C" fn restore_and_die(sig: libc::c_int) {
    // SAFETY: write, tcsetattr, signal and raise are async-signal-safe; the statics were
    // written before this handler was installed and are not written while it is.
    unsafe {
        let fd = *std::ptr::addr_of!(ASKING_ON);
        if fd >= 0 {
            libc::write(fd, b"\n".as_ptr().cast(), 1);
        }
        if let Some((fd, t)) = *std::ptr::addr_of!(SAVED) {
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// While it lives, Ctrl-C (or SIGTERM) at a question ends the question's line on the
/// terminal before swrole ends by the signal, so the shell's prompt starts on a line of
/// its own (zsh would otherwise mark the cut line with `%`).
struct Asking;

impl Asking {
    fn on(tty: &File) -> Asking {
        use std::os::fd::AsRawFd;
        // SAFETY: set before the handler is installed; the handler only reads it.
        unsafe {
            ASKING_ON = tty.as_raw_fd();
            libc::signal(libc::SIGINT, restore_and_die as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, restore_and_die as *const () as libc::sighandler_t);
        }
        Asking
    }
}

impl Drop for Asking {
    fn drop(&mut self) {
        // SAFETY: the default dispositions back first, then the fd is forgotten.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            ASKING_ON = -1;
        }
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
            libc::tcsetattr(fd, libc::TCSANOW, &quiet);
        }
    }
    let answer = {
        let _asking = Asking::on(tty);
        ask_line(tty, question)
    };
    if have {
        // SAFETY: as above.
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, &t);
            SAVED = None;
        }
        let mut out = tty;
        out.write_all(b"\n").ok();
    }
    answer
}

/// Ask a yes/no question answered with one key (no Enter), whatever mode a line editor
/// left the terminal in: the mode is set for the read (no line buffering, no echo) and put
/// back after, also on Ctrl-C. Only `y` or `Y` is a yes; the answer is written out.
pub fn confirm_key(tty: &File, question: &str) -> Result<bool> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let fd = tty.as_raw_fd();
    let mut out = tty;
    out.write_all(crate::text::printable(&format!("swrole: {question} [y/N] ")).as_bytes())
        .context("could not write to the terminal")?;
    out.flush().ok();
    // SAFETY: fd is an open terminal; termios is plain data filled by tcgetattr.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    let have = unsafe { libc::tcgetattr(fd, &mut t) } == 0;
    if have {
        let mut key = t;
        key.c_lflag &= !(libc::ECHO | libc::ICANON);
        key.c_cc[libc::VMIN] = 1;
        key.c_cc[libc::VTIME] = 0;
        // SAFETY: see above; the handler only reads SAVED.
        unsafe {
            SAVED = Some((fd, t));
            libc::tcsetattr(fd, libc::TCSANOW, &key);
        }
    }
    let mut byte = [0u8; 1];
    let read = {
        let _asking = Asking::on(tty);
        let mut input = tty;
        input.read(&mut byte)
    };
    if have {
        // SAFETY: as above.
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, &t);
            SAVED = None;
        }
    }
    let yes = matches!(read, Ok(1)) && matches!(byte[0], b'y' | b'Y');
    out.write_all(if yes { b"y\n" } else { b"n\n" }).ok();
    Ok(yes)
}

/// Ask a yes/no question on the terminal; only `y` or `yes` is a yes.
pub fn confirm(tty: &File, question: &str) -> Result<bool> {
    let _asking = Asking::on(tty);
    let mut out = tty;
    out.write_all(crate::text::printable(&format!("swrole: {question} [y/N] ")).as_bytes())
        .context("could not write to the terminal")?;
    out.flush().ok();
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line).context("could not read from the terminal")?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd};

    /// A pseudo-terminal: (the side the user types on, the terminal swrole asks on).
    fn pty() -> (File, File) {
        let (mut user, mut tty) = (-1, -1);
        // SAFETY: openpty fills in two new descriptors; no name, settings or size asked.
        let rc = unsafe {
            libc::openpty(
                &mut user,
                &mut tty,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, 0, "openpty");
        // SAFETY: both descriptors are open and owned by nothing else.
        unsafe { (File::from_raw_fd(user), File::from_raw_fd(tty)) }
    }

    /// Everything the terminal has shown so far (the questions and the echo of the input).
    fn screen(user: &mut File) -> String {
        // SAFETY: a valid open descriptor.
        unsafe { libc::fcntl(user.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let (mut out, mut buf) = (Vec::new(), [0u8; 4096]);
        while let Ok(n @ 1..) = user.read(&mut buf) {
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn the_code_is_asked_again_until_it_is_six_digits_three_tries_at_most() {
        let (mut user, tty) = pty();
        user.write_all(b"12345\n\n1234567\n 123 456\n").unwrap();
        assert_eq!(ask_token_code(&tty, "sw-staging", "arn:aws:iam::123456789012:mfa/me").unwrap(), "123456");
        let shown = screen(&mut user);
        // An empty line asks again without counting as a try.
        assert_eq!(shown.matches("swrole: MFA code for sw-staging (me): ").count(), 4, "{shown}");
        assert_eq!(shown.matches("swrole: the MFA code must be 6 digits").count(), 2, "{shown}");

        let (mut user, tty) = pty();
        user.write_all(b"1\n22\n333\n123456\n").unwrap();
        let e = ask_token_code(&tty, "p", "GAHT12345678").unwrap_err().to_string();
        assert_eq!(e, "no valid MFA code entered");
        let shown = screen(&mut user);
        assert_eq!(shown.matches("swrole: MFA code for p (GAHT12345678): ").count(), 3, "{shown}");
    }

    #[test]
    fn only_yes_is_yes_and_lines_are_trimmed() {
        for (typed, yes) in
            [("y\n", true), ("YES\n", true), (" yes \n", true), ("yeah\n", false), ("\n", false)]
        {
            let (mut user, tty) = pty();
            user.write_all(typed.as_bytes()).unwrap();
            assert_eq!(confirm(&tty, "switch to production?").unwrap(), yes, "{typed:?}");
            assert!(screen(&mut user).contains("swrole: switch to production? [y/N] "));
        }
        let (mut user, tty) = pty();
        user.write_all(b"  eu-west-1 \n").unwrap();
        assert_eq!(ask_line(&tty, "region? ").unwrap(), "eu-west-1");
        assert!(screen(&mut user).contains("swrole: region? "));
    }
}
