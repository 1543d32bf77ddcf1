//! The AWS files as Python reads them: botocore, boto3 and both AWS CLIs parse them with
//! `configparser.RawConfigParser()` (botocore `configloader.raw_config_parse`), whose
//! grammar is wider than the spec's: every character `str.isspace()` accepts is whitespace,
//! `:` is a delimiter like `=`, a full-line comment may be indented, `[DEFAULT]` gives its
//! keys to every section, and a duplicate section or key fails the whole file.
//!
//! swrole writes into files those tools read. [`differences`] tells where the two readings
//! part (a section or key one reader sees and the other does not, or a file Python refuses),
//! so that nothing swrole writes means one thing to swrole and another to the AWS CLI. The
//! model follows CPython 3.11's `RawConfigParser._read` line by line; the tests hold it to
//! botocore itself (`tests/integration/team.rs`).

use std::collections::{BTreeMap, BTreeSet};

use super::parse;

/// What Python's `str.isspace()` accepts: the spec's space and TAB, and also these.
pub fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0b}'
            | '\u{0c}'
            | '\r'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// One reading of a file: each section's name (as the reader keeps it) with the line of its
/// header and its keys with theirs; or why the reader refuses the file, at which line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    pub sections: BTreeMap<String, (usize, BTreeMap<String, usize>)>,
    pub refused: Option<(usize, String)>,
}

/// The file as `configparser.RawConfigParser().read()` sees it (CPython 3.11): sections and
/// keys, `[DEFAULT]`'s keys given to every section (as `cp.options()` lists them), or the
/// error botocore turns into `ConfigParseError`.
pub fn python_reading(text: &str) -> Reading {
    let mut out = Reading::default();
    let mut defaults: BTreeMap<String, usize> = BTreeMap::new();
    // The open section (None: none yet; Some(None): DEFAULT) and option.
    let mut section: Option<Option<String>> = None;
    let mut option_open = false;
    // Whether the open option's value started empty (sub-properties follow).
    let mut nested = false;
    let mut indent_level = 0usize;
    let mut parse_error: Option<(usize, String)> = None;
    // Universal newlines: `\r\n`, a lone `\r` and `\n` all end a line in Python's text mode.
    // Each part is named by its line in the file (as counted at `\n`).
    let lines = text
        .split('\n')
        .enumerate()
        .flat_map(|(i, l)| l.strip_suffix('\r').unwrap_or(l).split('\r').map(move |part| (i + 1, part)));
    for (line_no, line) in lines {
        let value = line.trim_matches(is_python_space);
        if value.is_empty() || value.starts_with(['#', ';']) {
            continue;
        }
        let indent = line.chars().take_while(|c| is_python_space(*c)).count();
        if section.is_some() && option_open && indent > indent_level {
            // botocore reads a value that starts empty as `key = value` lines, each split at
            // its `=` (configloader._parse_nested): a line without one fails the file.
            if nested && !value.contains('=') {
                out.refused = Some((line_no, "a sub-property line without =".into()));
                return out;
            }
            continue;
        }
        indent_level = indent;
        if let Some(header) = python_header(value) {
            option_open = false;
            if header == "DEFAULT" {
                section = Some(None);
                continue;
            }
            if out.sections.contains_key(header) {
                out.refused = Some((line_no, format!("section [{header}] is defined twice")));
                return out;
            }
            out.sections.insert(header.to_string(), (line_no, BTreeMap::new()));
            section = Some(Some(header.to_string()));
            continue;
        }
        let Some(current) = &section else {
            out.refused = Some((line_no, "a property before any section".into()));
            return out;
        };
        // OPTCRE: the option ends at the first `=` or `:`; `.rstrip()`, then lower-cased.
        let Some(at) = value.find(['=', ':']) else {
            parse_error.get_or_insert((line_no, "a line that is neither a section nor key = value".into()));
            continue;
        };
        let key = value[..at].trim_end_matches(is_python_space).to_lowercase();
        if key.is_empty() {
            parse_error.get_or_insert((line_no, "a property without a name".into()));
            continue;
        }
        let keys = match current {
            None => &mut defaults,
            Some(name) => &mut out.sections.get_mut(name).expect("the open section is recorded").1,
        };
        if keys.contains_key(&key) {
            let name = current.as_deref().unwrap_or("DEFAULT");
            out.refused = Some((line_no, format!("key {key:?} is defined twice in [{name}]")));
            return out;
        }
        keys.insert(key, line_no);
        option_open = true;
        nested = value[at + 1..].trim_matches(is_python_space).is_empty();
    }
    match parse_error {
        Some(e) => out.refused = Some(e),
        None => give_defaults(&mut out, &defaults),
    }
    out
}

/// `[DEFAULT]`'s keys, which `cp.options()` lists in every section.
fn give_defaults(out: &mut Reading, defaults: &BTreeMap<String, usize>) {
    for (_, keys) in out.sections.values_mut() {
        for (key, line) in defaults {
            keys.entry(key.clone()).or_insert(*line);
        }
    }
}

/// A section header as configparser's SECTCRE (`\[(?P<header>.+)\]`) takes it: matched at
/// the start of the stripped line, greedy to its last `]`.
fn python_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// The file as swrole's reader sees it (the spec grammar): sections by their name between
/// the brackets, keys lower-cased; sections of one name merged, as the SDKs merge them.
pub fn swrole_reading(text: &str) -> Reading {
    let mut out = Reading::default();
    match parse::parse(text) {
        Ok(sections) => {
            for s in sections {
                let entry = out.sections.entry(s.header.clone()).or_insert((s.line, BTreeMap::new()));
                for p in s.properties {
                    entry.1.entry(p.key).or_insert(p.line);
                }
            }
        }
        Err(e) => out.refused = Some((e.line, e.message.to_string())),
    }
    out
}

/// One place where the readings part: what it is (without line numbers, so that the same
/// difference in an older text is recognised) and the line to name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub what: String,
    pub line: usize,
}

/// Where swrole's reading and botocore's part, in file order.
pub fn differences(text: &str) -> Vec<Difference> {
    let ours = swrole_reading(text);
    let python = python_reading(text);
    let mut out = Vec::new();
    if let Some((line, why)) = &python.refused {
        out.push(Difference {
            what: format!("the AWS CLI and boto3 refuse the whole file ({why})"),
            line: *line,
        });
        return out;
    }
    let shown = |name: &str| crate::text::printable(name);
    // What one reading has and the other does not: `reader` reads it, `other` does not.
    let mut only_in = |a: &Reading, b: &Reading, reader: &str, other: &str| {
        for (name, (line, keys)) in &a.sections {
            let Some((_, b_keys)) = b.sections.get(name) else {
                out.push(Difference {
                    what: format!("{reader} reads a section [{}] that {other} does not", shown(name)),
                    line: *line,
                });
                continue;
            };
            for (key, at) in keys.iter().filter(|(key, _)| !b_keys.contains_key(*key)) {
                out.push(Difference {
                    what: format!(
                        "{reader} reads a key {} in [{}] that {other} does not",
                        shown(key),
                        shown(name)
                    ),
                    line: *at,
                });
            }
        }
    };
    only_in(&python, &ours, "the AWS CLI", "swrole");
    only_in(&ours, &python, "swrole", "the AWS CLI");
    out.sort_by_key(|d| d.line);
    out
}

/// The differences `new` has that `old` did not: what an edit would bring in. Each is named
/// by its line in `new`.
pub fn new_differences(old: &str, new: &str) -> Vec<Difference> {
    let before: BTreeSet<String> = differences(old).into_iter().map(|d| d.what).collect();
    differences(new).into_iter().filter(|d| !before.contains(&d.what)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(text: &str) -> Vec<String> {
        differences(text).into_iter().map(|d| format!("{}: {}", d.line, d.what)).collect()
    }

    #[test]
    fn python_spaces_are_exactly_str_isspace() {
        // The list CPython 3.11 gives for `[c for c in range(0x110000) if chr(c).isspace()]`.
        let python: Vec<u32> = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
            0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
            0x205f, 0x3000,
        ]
        .to_vec();
        let ours: Vec<u32> = (0..=0x10ffffu32)
            .filter_map(char::from_u32)
            .filter(|c| is_python_space(*c))
            .map(u32::from)
            .collect();
        assert_eq!(ours, python);
    }

    #[test]
    fn a_plain_config_reads_alike() {
        let text = "[default]\nregion = x\n\n[profile a]\nrole_arn = r # c\ns3 =\n  max = 1\n; c\n# c\n";
        assert_eq!(whats(text), Vec::<String>::new());
        assert_eq!(
            python_reading(text).sections["profile a"].1.keys().collect::<Vec<_>>(),
            ["role_arn", "s3"]
        );
    }

    #[test]
    fn what_python_reads_otherwise_is_found() {
        // A non-breaking space before a header: a section for Python, a key for swrole.
        assert_eq!(
            whats("[profile a]\n\u{a0}[default]=x\n"),
            [
                "2: the AWS CLI reads a section [default] that swrole does not",
                "2: swrole reads a key \u{a0}[default] in [profile a] that the AWS CLI does not"
            ]
        );
        // `:` before the first `=`.
        assert_eq!(
            whats("[profile a]\naws_secret_access_key: s=x\n"),
            [
                "2: the AWS CLI reads a key aws_secret_access_key in [profile a] that swrole does not",
                "2: swrole reads a key aws_secret_access_key: s in [profile a] that the AWS CLI does not"
            ]
        );
        // `[DEFAULT]` gives its keys to every section, in Python only.
        assert_eq!(
            whats("[DEFAULT]\ncredential_process = evil\n[profile a]\nk = v\n"),
            [
                "1: swrole reads a section [DEFAULT] that the AWS CLI does not",
                "2: the AWS CLI reads a key credential_process in [profile a] that swrole does not",
            ]
        );
        // Spaces inside the brackets: kept by Python, trimmed by swrole.
        assert_eq!(
            whats("[ profile a ]\nk = v\n"),
            [
                "1: the AWS CLI reads a section [ profile a ] that swrole does not",
                "1: swrole reads a section [profile a] that the AWS CLI does not"
            ]
        );
        // Duplicates fail the whole file for Python.
        assert_eq!(
            whats("[a]\nk = 1\n[a]\nj = 2\n"),
            ["3: the AWS CLI and boto3 refuse the whole file (section [a] is defined twice)"]
        );
        assert_eq!(
            whats("[a]\nk = 1\nK = 2\n"),
            ["3: the AWS CLI and boto3 refuse the whole file (key \"k\" is defined twice in [a])"]
        );
        // A lone CR ends a line for Python.
        assert_eq!(whats("[a]\nk = 1\r[b]\n"), ["2: the AWS CLI reads a section [b] that swrole does not"]);
        // An indented comment after a header is a comment for both; a continuation line
        // stays a continuation.
        assert_eq!(whats("[a]\nk = 1\n  more\n"), Vec::<String>::new());
    }

    #[test]
    fn only_new_differences_count() {
        let old = "[a]\nk: v=1\n";
        let new = "[a]\nk: v=1\n[b]\nj: w=2\n";
        let d = new_differences(old, new);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d.iter().all(|d| d.line == 4));
        assert!(new_differences(old, old).is_empty());
    }
}
