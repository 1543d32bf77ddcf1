//! fish: `set -gx NAME 'value'` and `set -e -g NAME; set -e -U NAME; or true`.
//!
//! fish's single quotes are not POSIX ones: inside `'...'` both `\\` and `\'` are escapes
//! (fish 3.x), so `\` is written `\\` and `'` is written `\'`; everything else, newlines
//! included, is literal. POSIX quoting would turn a trailing `\` into a syntax error.
//! Verified by the real-shell round trips in `tests/` (fish 3.6).

use crate::exports::Exports;

pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// An unset erases the global and the universal variable: an exported universal
/// (`set -Ux AWS_PROFILE dev`) reaches child processes whatever the global scope says, and
/// a global without export does not hide it (fish 3.6). Erasing a universal variable
/// erases it for the user's other fish sessions too, which is the point: it would put a
/// stale profile next to the new keys there as well. `set -e` of an unset variable
/// returns 4, and a later successful `set` keeps that status: `or true` leaves the
/// evaluation's status at 0.
pub fn render(exports: &Exports) -> String {
    exports.lines(
        |name, value| format!("set -gx {name} {}", quote(value)),
        |name| format!("set -e -g {name}; set -e -U {name}; or true"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::Op;

    #[test]
    fn table() {
        let cases = [
            ("", "''"),
            ("a b", "'a b'"),
            ("it's", "'it\\'s'"),
            ("a\\b", "'a\\\\b'"),
            ("x\\", "'x\\\\'"),
            ("a\\'b", "'a\\\\\\'b'"),
            ("$HOME", "'$HOME'"),
            ("(id)", "'(id)'"),
            ("a\nb", "'a\nb'"),
            ("é♀", "'é♀'"),
        ];
        for (value, expected) in cases {
            assert_eq!(quote(value), expected, "{value:?}");
        }
    }

    #[test]
    fn lines() {
        let e = Exports(vec![Op::Unset("A"), Op::Set("B", "x".into())]);
        assert_eq!(render(&e), "set -e -g A; set -e -U A; or true\nset -gx B 'x'\n");
    }
}
