//! PowerShell: `$Env:NAME = 'value'` and `Remove-Item -LiteralPath Env:NAME`.
//!
//! A single-quoted (verbatim) string has one escape: a quote character doubled. PowerShell
//! treats the typographic quotes U+2018–U+201B as single quotes too (about_Quoting_Rules),
//! so they are doubled as well; otherwise `‘` would end the string early and let the rest
//! of the value run as code. pwsh is not installable here: exact-text tests only.

use crate::exports::Exports;

const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

pub fn render(exports: &Exports) -> String {
    exports.lines(
        |name, value| format!("$Env:{name} = {}", quote(value)),
        |name| format!("Remove-Item -LiteralPath Env:{name} -ErrorAction Ignore"),
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
            ("it's", "'it''s'"),
            ("‘x’", "'‘‘x’’'"),
            ("‚‛", "'‚‚‛‛'"),
            ("$(calc)", "'$(calc)'"),
            ("`n", "'`n'"),
            ("a\\b", "'a\\b'"),
            ("\"q\"", "'\"q\"'"),
        ];
        for (value, expected) in cases {
            assert_eq!(quote(value), expected, "{value:?}");
        }
    }

    #[test]
    fn lines() {
        let e = Exports(vec![Op::Unset("A"), Op::Set("B", "x".into())]);
        assert_eq!(render(&e), "Remove-Item -LiteralPath Env:A -ErrorAction Ignore\n$Env:B = 'x'\n");
    }
}
