//! The MFA prompt on a real pseudo-terminal, with stdout a pipe as inside `$(...)`.

use crate::moto::{Moto, seed};
use crate::util::require;

fn pty_run(moto: &Moto, home: &std::path::Path, answer: &str, args: &[&str]) -> serde_json::Value {
    crate::util::pty_swrole(home, "MFA code", answer, args, &[("AWS_ENDPOINT_URL_STS", &moto.url())])
}

#[test]
fn mfa_code_is_asked_on_the_terminal() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let r = pty_run(&moto, fx.home(), "424242", &["sw-staging", "--shell", "bash"]);
    assert_eq!(r["status"], 0, "{r}");
    let tty = r["tty"].as_str().unwrap();
    let question = tty.lines().next().unwrap();
    assert!(question.starts_with("swrole: MFA code for sw-staging (your.mail@example.com): "), "{tty}");
    assert!(question.chars().count() <= 80, "fits 80 columns: {question:?}");
    let stdout = r["stdout"].as_str().unwrap();
    assert!(stdout.contains("export SWROLE_PROFILE=sw-staging"), "{stdout}");
    // ("MFA" alone can occur inside a random session token.)
    assert!(!stdout.contains("MFA code"), "the prompt never goes to stdout");
    let requests = moto.requests();
    assert_eq!(requests.len(), 2, "the MFA session, then the role");
    assert_eq!(requests[0].form["Action"], "GetSessionToken");
    assert_eq!(requests[0].form["TokenCode"], "424242");
}

#[test]
fn a_bad_code_is_asked_again_and_never_sent() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    // The helper answers the first prompt only: the second and third get end of input.
    let r = pty_run(&moto, fx.home(), "12ab56", &["sw-staging", "--shell", "bash"]);
    assert_ne!(r["status"], 0, "{r}");
    assert_eq!(r["stdout"], "", "nothing on stdout after a failure");
    assert!(r["tty"].as_str().unwrap().contains("must be 6 digits"), "{r}");
    assert!(moto.requests().is_empty(), "no call with a malformed code");
}

/// Five digits, seven digits and letters are each refused and asked again (three tries in
/// all); a good code on the third try is the one sent; an empty line is no try.
#[test]
fn each_malformed_code_is_asked_again() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let r = pty_run(&moto, fx.home(), "12345,1234567,654 321", &["sw-staging", "--shell", "bash"]);
    assert_eq!(r["status"], 0, "{r}");
    let tty = r["tty"].as_str().unwrap();
    assert_eq!(tty.matches("MFA code for sw-staging").count(), 3, "three questions: {tty}");
    assert_eq!(tty.matches("must be 6 digits").count(), 2, "{tty}");
    assert_eq!(moto.requests()[0].form["TokenCode"], "654321");
    // Three bad codes: refused, nothing sent.
    let (fx, _) = seed(&moto);
    let before = moto.requests().len();
    let r = pty_run(&moto, fx.home(), "12345,1234567,12a456", &["sw-staging", "--shell", "bash"]);
    assert_ne!(r["status"], 0, "{r}");
    assert_eq!(r["stdout"], "");
    assert!(r["tty"].as_str().unwrap().matches("must be 6 digits").count() == 3, "{r}");
    assert_eq!(moto.requests().len(), before);
}

#[test]
fn ctrl_c_at_the_prompt_leaves_stdout_empty() {
    if !require("python3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let (fx, _) = seed(&moto);
    let r = pty_run(&moto, fx.home(), "^C", &["sw-staging", "--shell", "bash"]);
    assert_eq!(r["status"], -2, "ended by SIGINT (a shell reports 130): {r}");
    assert_eq!(r["stdout"], "");
    assert!(moto.requests().is_empty());
}
