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

/// What an unset clears, said in one line: the profile and the variables that are set.
fn cleared(profile: Option<&str>, names: &[&str]) -> String {
    let list = match names {
        [] => return "nothing to clear: no variable swrole sets or clears is set".to_string(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    match profile {
        Some(p) => format!("{p} is off; cleared {list}"),
        None => format!("cleared {list}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unset_says_what_it_clears() {
        use super::cleared;
        assert_eq!(cleared(None, &[]), "nothing to clear: no variable swrole sets or clears is set");
        assert_eq!(cleared(None, &["AWS_PROFILE"]), "cleared AWS_PROFILE");
        assert_eq!(
            cleared(Some("prod"), &["AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "SWROLE_PROFILE"]),
            "prod is off; cleared AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN and SWROLE_PROFILE"
        );
    }
}
