//! The AWS shared-file grammar, line by line (docs/spec.md §2; judged by the cross-SDK suites in
//! `tests/conformance/`).
//!
//! This level is literal: it records sections and properties in file order with their line
//! numbers and leaves names unchecked. [`super::normalize`] decides which sections are
//! profiles and which names are valid. Deliberately strict where the spec is strict: any
//! syntax error fails the whole file, with its line number.

use std::fmt;

/// Whitespace as the spec defines it: space and TAB only (not `char::is_whitespace`).
const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

/// One property as written: lower-cased key, trimmed value, 1-based line of the key, and
/// the lines of its continuation (what an edit that removes the property must remove).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawProperty {
    pub key: String,
    pub value: String,
    pub line: usize,
    pub continuation: Vec<usize>,
}

/// One `[...]` section as written, with the text between the brackets trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSection {
    pub header: String,
    pub line: usize,
    pub properties: Vec<RawProperty>,
}

/// A syntax error: the 1-based line and what is wrong. The caller adds the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parse one file. Lines end at `\n` or `\r\n`; a stray `\r` elsewhere stays in the text
/// (the suites pin this) and is dealt with where values are used.
pub fn parse(text: &str) -> Result<Vec<RawSection>, SyntaxError> {
    let mut sections: Vec<RawSection> = Vec::new();
    // Whether the last property of the current section takes continuation lines, and
    // whether those are sub-properties (`s3 =` followed by indented `k = v` lines).
    let mut property_open = false;
    let mut sub_properties = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let err = |message| SyntaxError { line: line_no, message };
        if line.trim_matches(WHITESPACE).is_empty() || line.starts_with(COMMENT) {
            continue;
        }
        if line.starts_with('[') {
            let header = strip_comment(line, false)
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .ok_or(err("profile definition must end with ']'"))?;
            sections.push(RawSection {
                header: header.trim_matches(WHITESPACE).to_string(),
                line: line_no,
                properties: Vec::new(),
            });
            property_open = false;
        } else if line.starts_with(WHITESPACE) {
            let Some(section) = sections.last_mut() else {
                return Err(err("expected a profile definition, found a continuation line"));
            };
            let Some(property) = section.properties.last_mut().filter(|_| property_open) else {
                return Err(err("expected a property definition, found continuation (an indented line)"));
            };
            if sub_properties {
                let sub = strip_comment(line, true);
                if !sub.is_empty() {
                    split_property(sub).map_err(|e| err(e.for_sub_property()))?;
                }
            }
            property.value.push('\n');
            property.value.push_str(line.trim_matches(WHITESPACE));
            property.continuation.push(line_no);
        } else {
            let Some(section) = sections.last_mut() else {
                return Err(err("expected a profile definition before this property"));
            };
            let (key, value) =
                split_property(strip_comment(line, true)).map_err(|e| err(e.for_property()))?;
            sub_properties = value.is_empty();
            property_open = true;
            section.properties.push(RawProperty {
                key: key.to_ascii_lowercase(),
                value: value.to_string(),
                line: line_no,
                continuation: Vec::new(),
            });
        }
    }
    Ok(sections)
}

enum PropertyError {
    NoEquals,
    NoName,
}

impl PropertyError {
    fn for_property(self) -> &'static str {
        match self {
            PropertyError::NoEquals => "expected an '=' sign defining a property",
            PropertyError::NoName => "property did not have a name",
        }
    }
    fn for_sub_property(self) -> &'static str {
        match self {
            PropertyError::NoEquals => "expected an '=' sign defining a sub-property",
            PropertyError::NoName => "sub-property did not have a name",
        }
    }
}

/// `key = value`, split at the first `=`, both sides trimmed; the key must not be empty.
fn split_property(line: &str) -> Result<(&str, &str), PropertyError> {
    let (key, value) = line.split_once('=').ok_or(PropertyError::NoEquals)?;
    let key = key.trim_matches(WHITESPACE);
    if key.is_empty() {
        return Err(PropertyError::NoName);
    }
    Ok((key, value.trim_matches(WHITESPACE)))
}

/// Trim the line and cut it at the first comment character. In property lines a comment
/// character counts only after whitespace (`a = b;c` keeps `b;c`); in section headers it
/// always counts. "Whitespace" before a comment is Unicode whitespace, as in the reference
/// implementation.
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut previous_is_space = false;
    for (index, ch) in line.char_indices() {
        if COMMENT.contains(&ch) && (previous_is_space || !needs_whitespace) {
            return line[..index].trim_matches(WHITESPACE);
        }
        previous_is_space = ch.is_whitespace();
    }
    line
}

/// The `key = value` pairs of a sub-property block (a value that started empty), in order.
/// Lines that are not `k = v` were rejected by [`parse`], so they do not occur here.
pub fn sub_properties(value: &str) -> Vec<(String, String)> {
    value
        .lines()
        .filter_map(|line| split_property(strip_comment(line, true)).ok())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_comments() {
        let s = parse("[profile a]\nk = v # c\nx=y;z\nU = 1\n  more\n").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].header, "profile a");
        let p: Vec<_> = s[0].properties.iter().map(|p| (p.key.as_str(), p.value.as_str(), p.line)).collect();
        assert_eq!(p, vec![("k", "v", 2), ("x", "y;z", 3), ("u", "1\nmore", 4)]);
    }

    #[test]
    fn errors_carry_line_numbers() {
        assert_eq!(parse("\n[default\n").unwrap_err().line, 2);
        assert_eq!(parse("k = v").unwrap_err().message, "expected a profile definition before this property");
        assert_eq!(parse("[a]\n  x").unwrap_err().line, 2);
        assert_eq!(parse("[a]\nnoequals").unwrap_err().message, "expected an '=' sign defining a property");
        assert_eq!(
            parse("[a]\ns3 =\n  bad").unwrap_err().message,
            "expected an '=' sign defining a sub-property"
        );
    }

    #[test]
    fn sub_property_pairs() {
        assert_eq!(
            sub_properties("\nendpoint_url = http://x # c\nRegion=us"),
            vec![("endpoint_url".into(), "http://x".into()), ("region".into(), "us".into())]
        );
    }
}
