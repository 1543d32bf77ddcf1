//! Text for the terminal. Everything that comes from a file or the network goes through
//! here before it reaches stderr or `/dev/tty`, so it cannot drive the terminal.

/// Control characters other than newline (ANSI and OSC escapes, CR) shown escaped, and
/// bidirectional and zero-width controls too: they can make a line read differently than
/// it is.
pub fn printable(text: &str) -> String {
    let invisible = |c: char| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
    text.chars()
        .flat_map(|c| {
            if (c.is_control() && c != '\n') || invisible(c) {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Text from the network or a file shown on one line: escaped as [`printable`] does,
/// newlines included, and bounded in length.
pub fn sanitize(text: &str) -> String {
    const MAX: usize = 500;
    let head: String = text.chars().take(MAX).collect();
    let mut out = printable(&head).replace('\n', "\\n");
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(printable("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\nc");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(sanitize("a\nb"), "a\\nb");
        assert_eq!(sanitize(&"x".repeat(600)).chars().count(), 501);
    }
}
