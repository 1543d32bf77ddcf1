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

/// An access key id shortened (`AKIA…0001`): enough to recognise it, not to use it.
pub fn short_key(id: &str) -> String {
    if id.len() > 8 && id.is_ascii() {
        format!("{}…{}", &id[..4], &id[id.len() - 4..])
    } else {
        id.to_string()
    }
}

/// The width to lay text out for: `COLUMNS` when set, else the terminal's on stdout;
/// `None` (no wrapping) when stdout is not a terminal, for scripts.
pub fn width(columns: Option<&str>) -> Option<usize> {
    if let Some(n) = columns.and_then(|c| c.parse::<usize>().ok()).filter(|&n| n >= 20) {
        return Some(n);
    }
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ fills a winsize struct on a terminal file descriptor.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col >= 20).then_some(ws.ws_col as usize)
}

/// Each line of `text` wrapped at spaces to `width` columns, continuation lines indented
/// like the line's own text (the leading spaces, plus `extra`). A word longer than the
/// width (an ARN, a path) stays whole on a line of its own: nothing is cut mid-word.
pub fn wrap(text: &str, width: usize, extra: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let lead = body.len() - body.trim_start_matches(' ').len();
        let indent = " ".repeat((lead + extra).min(width / 2));
        let mut current = body[..lead].to_string();
        let mut empty = true;
        for word in body[lead..].split(' ').filter(|w| !w.is_empty()) {
            let len = current.chars().count();
            if !empty && len + 1 + word.chars().count() > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current = format!("{indent}{word}");
            } else {
                if !empty {
                    current.push(' ');
                }
                current.push_str(word);
            }
            empty = false;
        }
        out.push_str(current.trim_end());
        out.push_str(newline);
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

    #[test]
    fn wrapping() {
        assert_eq!(wrap("short\n", 80, 2), "short\n");
        assert_eq!(wrap("aaa bbb ccc ddd\n", 8, 2), "aaa bbb\n  ccc\n  ddd\n");
        assert_eq!(wrap("   x yyyy zzzz", 10, 0), "   x yyyy\n   zzzz");
        let long = format!("w {} end\n", "a".repeat(30));
        assert_eq!(wrap(&long, 10, 2), format!("w\n  {}\n  end\n", "a".repeat(30)));
        for line in wrap(&"word ".repeat(50), 80, 4).lines() {
            assert!(line.chars().count() <= 80);
        }
    }
}
