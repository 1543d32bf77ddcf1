//! The docs cannot drift from the code: every `swrole ...` command in the docs' code blocks
//! parses with today's clap definition, every `SWROLE_*` / `AWS_*` variable the docs name is
//! one the code (or its tests) reads or sets, every variable the code reads is documented,
//! and every profile key swrole reads is in the reference.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The user's and contributor's documents (docs/spec.md is the digest of the AWS tools'
/// behaviour, not swrole's: it names variables only other tools read).
fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "SECURITY.md", "CONTRIBUTING.md", "ARCHITECTURE.md"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") && !path.ends_with("spec.md") {
            files.push(path);
        }
    }
    files.sort();
    assert!(files.len() >= 9, "{files:?}");
    files
}

/// The fenced code blocks of a Markdown text: (info string, first line number, lines).
fn code_blocks(text: &str) -> Vec<(String, usize, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, usize, Vec<String>)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => {
                    current = Some((trimmed.trim_start_matches('`').trim().to_string(), n + 2, Vec::new()))
                }
            }
        } else if let Some((_, _, lines)) = current.as_mut() {
            lines.push(line.to_string());
        }
    }
    assert!(current.is_none(), "an unclosed code block");
    blocks
}

/// The `swrole` commands in one line of a code block, as argument lists (without `swrole`):
/// at the start of the line or after `$(`, `(`, `|`, `;`, `&&`, `=` (a `credential_process`
/// line), up to the end of that command. Synopsis notation is read too: `[--flag]` is the
/// flag, placeholders get sample values.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut at = 0;
    while let Some(pos) = line[at..].find("swrole") {
        let start = at + pos;
        at = start + "swrole".len();
        let before = line[..start].trim_end();
        let command_position = before.is_empty()
            || before.ends_with("$(")
            || before.ends_with('(')
            || before.ends_with('|')
            || before.ends_with(';')
            || before.ends_with("&&")
            || before.ends_with('=')
            || before.ends_with('$');
        let after = bytes.get(at).copied();
        if !command_position || !matches!(after, None | Some(b' ')) {
            continue;
        }
        let rest = &line[at..];
        let end = rest
            .char_indices()
            .find(|&(i, c)| {
                matches!(c, ')' | '|' | ';' | '>' | '`')
                    || (c == '#' && rest[..i].ends_with(' '))
                    || rest[i..].starts_with("&&")
            })
            .map_or(rest.len(), |(i, _)| i);
        let text = rest[..end].trim().trim_end_matches('"');
        let words = shlex::split(text).unwrap_or_else(|| panic!("cannot split {text:?}"));
        found.push(words.into_iter().filter_map(|w| sample(&w)).collect());
    }
    found
}

/// A synopsis word as a command line has it: `[--stdin]` is `--stdin`, `[OPTIONS]` and
/// `ARGS...` are nothing, placeholders are sample values.
fn sample(word: &str) -> Option<String> {
    let word = word.trim_start_matches('[').trim_end_matches(']');
    Some(
        match word {
            "OPTIONS" | "ARGS..." | "..." | "FLAGS" => return None,
            "SHELL" => "bash",
            "D" => "1h",
            "S" => "5",
            "CODE" => "123456",
            "R" => "eu-west-1",
            "CMD" => "true",
            other => other,
        }
        .to_string(),
    )
}

/// What clap says of one command line: `None` when it parses.
fn parse_error(args: &[String]) -> Option<String> {
    let argv = std::iter::once("swrole".to_string()).chain(args.iter().cloned());
    match swrole::cli::Cli::try_parse_from(argv) {
        Ok(_) => None,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            None
        }
        Err(e) => Some(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

/// Every command of every code block of `text`, with its file line.
fn commands_of(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut all = Vec::new();
    for (info, first, lines) in code_blocks(text) {
        for (i, line) in lines.iter().enumerate() {
            // In a console block only the prompt lines are commands; the rest is output.
            let line = match info.as_str() {
                "console" => match line.strip_prefix("$ ") {
                    Some(command) => command,
                    None => continue,
                },
                _ => line.as_str(),
            };
            if line.trim_start().starts_with("swrole:") {
                continue; // a message swrole printed
            }
            for args in commands(line) {
                all.push((first + i, args));
            }
        }
    }
    all
}

#[test]
fn every_swrole_command_in_the_docs_parses() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in documents() {
        for (line, args) in commands_of(&read(&file)) {
            checked += 1;
            if let Some(error) = parse_error(&args) {
                problems.push(format!("{}:{line}: swrole {}: {error}", file.display(), args.join(" ")));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 30, "only {checked} commands found in the docs");
}

#[test]
fn the_command_checker_fails_on_a_renamed_flag() {
    let doc = "```sh\neval \"$(swrole sw-staging --refresh-margin 5m)\"   # ok\nswrole list --long | wc\n```\n\
               ```console\n$ swrole exec sw-staging --token-code 123456 -- aws s3 ls\nswrole: output, not a command\n```\n\
               ```sh\nswrole sw-staging --refresh-marg 5m\n```\n";
    let found = commands_of(doc);
    let lines: Vec<String> = found.iter().map(|(_, a)| a.join(" ")).collect();
    assert_eq!(
        lines,
        [
            "sw-staging --refresh-margin 5m",
            "list --long",
            "exec sw-staging --token-code 123456 -- aws s3 ls",
            "sw-staging --refresh-marg 5m"
        ]
    );
    let errors: Vec<bool> = found.iter().map(|(_, a)| parse_error(a).is_some()).collect();
    assert_eq!(errors, [false, false, false, true], "the misspelt flag, and only it, fails");
    assert_eq!(found[3].0, 10, "the file line of the command");
}

/// `SWROLE_*` and `AWS_*` names in a text (not a prefix like `AWS_CONTAINER_CREDENTIALS_*`).
fn variables(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if word(bytes[i]) && (i == 0 || !(word(bytes[i - 1]) || bytes[i - 1].is_ascii_alphanumeric())) {
            let start = i;
            while i < bytes.len() && word(bytes[i]) {
                i += 1;
            }
            let name = &text[start..i];
            let next = bytes.get(i).copied();
            let complete = !name.ends_with('_') && !matches!(next, Some(b'*') | Some(b'a'..=b'z'));
            if complete && (name.starts_with("SWROLE_") || name.starts_with("AWS_")) {
                found.insert(name.to_string());
            }
        } else {
            i += 1;
        }
    }
    found
}

/// The text of every file under `dir` (recursively) with one of `extensions`.
fn texts(dir: &Path, extensions: &[&str]) -> String {
    let mut all = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return all };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.push_str(&texts(&path, extensions));
        } else if path.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)) {
            all.push_str(&read(&path));
        }
    }
    all
}

#[test]
fn variables_in_the_docs_and_in_the_code_agree() {
    let docs: BTreeSet<String> = documents().iter().flat_map(|f| variables(&read(f))).collect();
    // What the product reads or sets: the binary and the shell integration.
    let product = texts(&root().join("src"), &["rs"])
        + &texts(&root().join("shell"), &["sh", "bash", "zsh", "fish", "nu", "ps1"]);
    let product = variables(&product);
    // What the repository reads: the product, its tests, scripts, build and CI.
    let repository = texts(&root().join("tests/integration"), &["rs"])
        + &texts(&root().join("tests/support"), &["py", "sh"])
        + &texts(&root().join("scripts"), &["sh"])
        + &read(&root().join("build.rs"))
        + &read(&root().join(".ci/run"));
    let repository: BTreeSet<String> = variables(&repository).union(&product).cloned().collect();
    let undocumented: Vec<_> = product.difference(&docs).collect();
    assert!(undocumented.is_empty(), "read by swrole but named in no document: {undocumented:?}");
    let unknown: Vec<_> = docs.difference(&repository).collect();
    assert!(
        unknown.is_empty(),
        "named in the docs but read or set by nothing in the repository: {unknown:?}"
    );
    assert!(product.len() > 40 && docs.contains("SWROLE_REFRESH_MINUTES"), "{product:?}");
}

#[test]
fn the_variable_scanner_takes_whole_names_only() {
    let text = "`AWS_PROFILE` and AWS_CONTAINER_CREDENTIALS_* and $SWROLE_QUIET, XAWS_NOT, AWS_REGIONs";
    assert_eq!(variables(text).into_iter().collect::<Vec<_>>(), ["AWS_PROFILE", "SWROLE_QUIET"]);
}

#[test]
fn every_profile_key_swrole_reads_is_in_the_reference() {
    let reference = read(&root().join("docs/reference.md"));
    let table = &reference[reference.find("## Profile keys").expect("docs/reference.md: ## Profile keys")..];
    let missing: Vec<&&str> =
        swrole::config::KEYS.iter().filter(|k| !table.contains(&format!("`{k}`"))).collect();
    assert!(missing.is_empty(), "profile keys swrole reads, missing from docs/reference.md: {missing:?}");
}
