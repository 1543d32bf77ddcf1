//! nushell: a NUON record `{set: {NAME: "value", ...}, unset: [NAME, ...]}` that the `sw`
//! command of `shell/swrole.nu` applies with `hide-env` and `load-env` (nushell has no
//! `eval`; data, not code, is also the safer thing to hand it).
//!
//! Values are NUON double-quoted strings: `\` is written `\\`, `"` is written `\"`, and
//! every control character `\u{HEX}`; everything else, non-ASCII included, is literal.
//! Verified by the real-shell round trips in `tests/` (nu 0.115).

use crate::exports::{Exports, Op};

pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(exports: &Exports) -> String {
    let mut set = Vec::new();
    let mut unset = Vec::new();
    for op in &exports.0 {
        match op {
            Op::Set(name, value) => set.push(format!("{}: {}", quote(name), quote(value))),
            Op::Unset(name) => unset.push(quote(name)),
        }
    }
    format!("{{set: {{{}}}, unset: [{}]}}\n", set.join(", "), unset.join(", "))
}

/// How to apply `swrole ARGS --shell nu` without the `sw` command.
pub fn apply_hint(cmd: &str) -> String {
    format!(
        "{cmd} --shell nu | from nuon | do --env {{ let r = $in; hide-env -i ...$r.unset; load-env $r.set }}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("", "\"\""),
            ("a b", "\"a b\""),
            ("it's", "\"it's\""),
            ("a\\b", "\"a\\\\b\""),
            ("x\\", "\"x\\\\\""),
            ("\"q\"", "\"\\\"q\\\"\""),
            ("$HOME (id)", "\"$HOME (id)\""),
            ("a\nb", "\"a\\u{a}b\""),
            ("\u{1b}[31m", "\"\\u{1b}[31m\""),
            ("é♀", "\"é♀\""),
        ];
        for (value, expected) in cases {
            assert_eq!(quote(value), expected, "{value:?}");
        }
    }

    #[test]
    fn lines() {
        let e = Exports(vec![Op::Unset("A"), Op::Set("B", "x".into())]);
        assert_eq!(render(&e), "{set: {\"B\": \"x\"}, unset: [\"A\"]}\n");
        assert_eq!(render(&Exports(vec![])), "{set: {}, unset: []}\n");
    }

    #[test]
    fn the_hint_applies_the_record() {
        assert_eq!(
            apply_hint("swrole sw-staging"),
            "swrole sw-staging --shell nu | from nuon | do --env { let r = $in; hide-env -i ...$r.unset; load-env $r.set }"
        );
    }
}
