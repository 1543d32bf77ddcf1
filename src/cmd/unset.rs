//! `swrole unset`: the lines that remove every variable a switch sets, and one line on
//! stderr that says what they clear.

use anyhow::{Result, bail};

use crate::env::Env;
use crate::error::write_stdout;
use crate::exports::{Exports, Op};
use crate::shell::Shell;

pub fn run(env: &Env, shell: Option<Shell>) -> Result<()> {
    let Some(syntax) = super::shell_or_detect(env, shell).syntax() else {
        bail!("--shell json prints credentials; there is nothing to unset in JSON");
    };
    let exports = Exports::for_unset(env.get("SWROLE_PROFILE"), crate::plan::ca_bundle_from_swrole(env));
    let text = syntax.render(&exports);
    if env.get("SWROLE_QUIET").is_none() {
        let set: Vec<&str> = exports
            .0
            .iter()
            .filter_map(|op| match op {
                Op::Unset(name) if env.get(name).is_some() => Some(*name),
                _ => None,
            })
            .collect();
        eprintln!("swrole: {}", crate::text::printable(&cleared(env.get("SWROLE_PROFILE"), &set)));
    }
    write_stdout(&text)
}

/// A kind of variable, named for people, and which names are of it.
type Group = (&'static str, fn(&str) -> bool);

/// What an unset clears, said in one short line: the profile, and the variables that are
/// set, by what they are (keys, region, ...), so that it fits a terminal.
fn cleared(profile: Option<&str>, names: &[&str]) -> String {
    let groups: [Group; 7] = [
        ("keys", |n| {
            ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]
                .contains(&n)
                || n == "AWS_CREDENTIAL_EXPIRATION"
                || n == "AWS_SESSION_EXPIRATION"
        }),
        ("region", |n| n == "AWS_REGION" || n == "AWS_DEFAULT_REGION"),
        ("account", |n| n == "AWS_ACCOUNT_ID"),
        ("AWS_PROFILE", |n| n == "AWS_PROFILE" || n == "AWS_DEFAULT_PROFILE"),
        ("CA bundle", |n| crate::exports::CA_BUNDLE.contains(&n)),
        ("other tools' marks", |n| crate::exports::OTHER_SWITCHERS.iter().any(|(v, _)| *v == n)),
        // What else a switch sets (SWROLE_*, and AWSUME_PROFILE for prompts that read it).
        ("swrole's marks", |n| n.starts_with("SWROLE_") || crate::exports::MANAGED.contains(&n)),
    ];
    let mut said: Vec<String> = Vec::new();
    for (what, belongs) in groups {
        if names.iter().any(|n| belongs(n)) {
            said.push(what.to_string());
        }
    }
    // Anything the groups miss is named.
    said.extend(names.iter().filter(|n| !groups.iter().any(|(_, b)| b(n))).map(|n| n.to_string()));
    let list = match said.as_slice() {
        [] => return "nothing to clear: no variable swrole sets or clears is set".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    match profile {
        Some(p) => format!("{p} is off: {list} cleared"),
        None => format!("{list} cleared"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unset_says_what_it_clears() {
        use super::cleared;
        assert_eq!(cleared(None, &[]), "nothing to clear: no variable swrole sets or clears is set");
        assert_eq!(cleared(None, &["AWS_PROFILE"]), "AWS_PROFILE cleared");
        let all: Vec<&str> = crate::exports::Exports::for_unset(Some("prod"), true)
            .0
            .iter()
            .filter_map(|op| match op {
                crate::exports::Op::Unset(n) => Some(*n),
                _ => None,
            })
            .collect();
        assert_eq!(
            cleared(Some("sw-production"), &all),
            "sw-production is off: keys, region, account, AWS_PROFILE, CA bundle, other tools' marks and swrole's \
             marks cleared"
        );
        // After a switch: what it set, in a line that fits.
        let set = [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
            "AWS_ACCOUNT_ID",
            "AWSUME_PROFILE",
            "SWROLE_PROFILE",
        ];
        assert_eq!(
            format!("swrole: {}", cleared(Some("sw-production"), &set)),
            "swrole: sw-production is off: keys, region, account and swrole's marks cleared"
        );
        assert_eq!(
            cleared(Some("p"), &["AWS_ACCESS_KEY_ID", "SWROLE_PROFILE"]),
            "p is off: keys and swrole's marks cleared"
        );
    }
}
