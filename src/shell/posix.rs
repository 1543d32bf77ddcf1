//! bash, zsh and POSIX sh: `\export NAME='value'` and `\unset NAME`. The backslash keeps an
//! alias named `export` or `unset` in the user's shell from changing what runs.
//!
//! Values are single-quoted by `shell_escape::unix::escape` (always the unix rules, never
//! the cfg-switched `shell_escape::escape`): inside `'...'` nothing is special, a `'` is
//! written `'\''`. Newlines, `$`, backticks, `\` and non-ASCII stay literal. Verified by the
//! real-shell round trips in `tests/` (bash 5.2, zsh 5.9).

use crate::exports::Exports;
use std::borrow::Cow;

pub fn quote(value: &str) -> String {
    shell_escape::unix::escape(Cow::Borrowed(value)).into_owned()
}

/// One statement a line, each ended by `;`: the quoted `eval "$(swrole ...)"` runs them line by
/// line, and the unquoted `eval $(swrole ...)` (the habit from `eval $(ssh-agent)`, whose
/// output is joined into one line by word splitting) still runs them one by one.
pub fn render(exports: &Exports) -> String {
    exports
        .lines(|name, value| format!("\\export {name}={};", quote(value)), |name| format!("\\unset {name};"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::Op;

    #[test]
    fn table() {
        let cases = [
            ("", "''"),
            ("abc", "abc"),
            ("a b", "'a b'"),
            ("it's", "'it'\\''s'"),
            ("a\\b", "'a\\b'"),
            ("$HOME", "'$HOME'"),
            ("`id`", "'`id`'"),
            ("$(id)", "'$(id)'"),
            ("a\nb", "'a\nb'"),
            ("é♀", "'é♀'"),
            ("*", "'*'"),
            ("‘x’", "'‘x’'"),
        ];
        for (value, expected) in cases {
            assert_eq!(quote(value), expected, "{value:?}");
        }
    }

    #[test]
    fn lines() {
        let e = Exports(vec![Op::Unset("A"), Op::Set("B", "x y".into())]);
        assert_eq!(render(&e), "\\unset A;\n\\export B='x y';\n");
    }
}
