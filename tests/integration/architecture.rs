//! ARCHITECTURE.md's rules, kept true: the floors table is read from the document itself,
//! so the plan and the code cannot part.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/`, with the top-level module it belongs to (`src/cmd/exec.rs`
/// belongs to `cmd`, `src/main.rs` to `main`).
fn sources() -> Vec<(String, PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
            let module = first.trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            (module, path, text)
        })
        .collect()
}

/// The code of a file without its comment lines (doc links name modules they do not use).
fn code(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The modules a file uses: every `crate::NAME` (and `swrole::NAME` in main.rs).
fn uses(text: &str) -> BTreeSet<String> {
    let code = code(text);
    let mut found = BTreeSet::new();
    for prefix in ["crate::", "swrole::"] {
        let mut rest = code.as_str();
        while let Some(pos) = rest.find(prefix) {
            let before = rest[..pos].chars().next_back();
            rest = &rest[pos + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // `crate::{a, b::{c, D}}` groups: the first name of each top-level item.
            if name.is_empty() && rest.starts_with('{') {
                let (mut depth, mut item, mut at_start) = (0, String::new(), true);
                for c in rest.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            at_start = depth == 1;
                        }
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => {
                            if !item.is_empty() {
                                found.insert(std::mem::take(&mut item));
                            }
                            at_start = true;
                        }
                        c if at_start && (c.is_ascii_alphanumeric() || c == '_') => item.push(c),
                        _ if at_start && !item.is_empty() => {
                            found.insert(std::mem::take(&mut item));
                            at_start = false;
                        }
                        _ => {}
                    }
                }
                if !item.is_empty() {
                    found.insert(item);
                }
            } else if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// The floors table of ARCHITECTURE.md: module -> (floor number, floor name).
fn floors() -> BTreeMap<String, (u32, String)> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut floors = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let floor: u32 = cells[1].split_whitespace().next().unwrap().parse().unwrap();
        for module in cells[2].split(',') {
            let module = module.trim().trim_matches('`').to_string();
            assert!(
                floors.insert(module.clone(), (floor, cells[1].to_string())).is_none(),
                "ARCHITECTURE.md puts {module} on two floors"
            );
        }
    }
    assert!(floors.len() > 20, "ARCHITECTURE.md's floors table was not found");
    floors
}

#[test]
fn imports_only_go_down() {
    let floors = floors();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (module, path, text) in sources() {
        let Some(&(floor, ref name)) = floors.get(&module) else {
            problems.push(format!(
                "{}: module {module} is not in ARCHITECTURE.md's floors table",
                path.display()
            ));
            continue;
        };
        for used in uses(&text) {
            // `swrole::run`, `crate::SomeType`: items of lib.rs.
            let used = if floors.contains_key(&used) { used } else { "lib".to_string() };
            if used == module || used == "self" || used == "super" {
                continue;
            }
            let (used_floor, used_name) = &floors[&used];
            let used_floor = *used_floor;
            if used_floor > floor {
                problems.push(format!(
                    "{}: {module} (floor {name}) uses {used} (floor {used_name}), a floor above",
                    path.display()
                ));
            }
            graph.entry(module.clone()).or_default().insert(used);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // No circle, however long: a depth-first search over the module graph.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|n| n == node).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, path) {
                return Some(cycle);
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut state, &mut Vec::new()) {
            panic!("an import circle: {}", cycle.join(" -> "));
        }
    }
    // Every module in the table exists (a renamed module is renamed in the document too).
    let present: BTreeSet<String> = sources().into_iter().map(|(m, _, _)| m).collect();
    for module in floors.keys() {
        assert!(present.contains(module), "ARCHITECTURE.md names {module}, which is not in src/");
    }
}

#[test]
fn the_checker_sees_an_import_that_runs_up_or_round() {
    // The parser behind the rule, on text with each form of path.
    let text = "use crate::plan::Plan;\nuse crate::{cache, sts::{self, MfaCode}};\n// crate::doctor in a comment\n\
                let x = crate::switch::closest(a, b); my_crate::nothing();";
    assert_eq!(
        uses(text).into_iter().collect::<Vec<_>>(),
        ["cache", "plan", "sts", "switch"],
        "every module named by a path, none from comments or other crates"
    );
}

#[test]
fn stdout_is_written_in_one_place() {
    for (module, path, text) in sources() {
        let code = code(&text);
        for (n, line) in code.lines().enumerate() {
            let macro_call = |name: &str| {
                line.match_indices(name).any(|(at, _)| !line[..at].ends_with(|c: char| c.is_alphanumeric()))
            };
            let writes = macro_call("println!")
                || macro_call("print!(")
                || (line.contains("io::stdout()") && !line.contains("is_terminal()"));
            if writes && !(module == "error" && line.contains("stdout().lock()")) {
                panic!(
                    "{}: writes to stdout outside error::write_stdout (code line {}): {line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}

/// A field that holds a secret, by its name.
fn secret_field(name: &str) -> bool {
    ["secret", "session_token", "refresh_token", "access_token", "signin_token", "password", "dpop"]
        .iter()
        .any(|s| name.contains(s))
}

#[test]
fn secrets_have_their_own_debug() {
    let mut checked = 0;
    for (_, path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) =
                line.trim_start().strip_prefix("pub struct ").or(line.trim_start().strip_prefix("struct "))
            else {
                continue;
            };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let fields: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| !l.trim_start().starts_with('}'))
                .filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with("#["))
                .filter_map(|l| l.trim().trim_start_matches("pub ").split(':').next())
                .collect();
            if !fields.iter().any(|f| secret_field(f.trim())) {
                continue;
            }
            checked += 1;
            let derives_debug = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("///"))
                .any(|l| l.contains("derive(") && l.contains("Debug"));
            assert!(
                !derives_debug,
                "{}: struct {name} holds a secret and derives Debug: implement Debug by hand, without it",
                path.display()
            );
        }
    }
    assert!(checked >= 3, "the secret-holding structs were not found ({checked})");
}

/// The mutation set (scripts/mutants.txt) covers the command layer, the network edge and the
/// process runner as they grow: every file under `src/cmd/` and each edge module is listed,
/// every listed file exists, and every integration group it names is a file of this suite.
#[test]
fn the_mutation_set_keeps_up_with_the_code() {
    let table = std::fs::read_to_string(root().join("scripts/mutants.txt")).unwrap();
    let mut listed = BTreeSet::new();
    for line in table.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let file = words.next().unwrap();
        let stage1 =
            words.next().unwrap_or_else(|| panic!("scripts/mutants.txt: {file} has no stage 1 column"));
        assert!(
            ["unit", "-"].contains(&stage1),
            "scripts/mutants.txt: {file}: stage 1 is `unit` or `-`, not {stage1}"
        );
        assert!(root().join(file).is_file(), "scripts/mutants.txt names {file}, which does not exist");
        let groups: Vec<&str> = words.collect();
        assert!(!groups.is_empty() || stage1 == "unit", "scripts/mutants.txt: {file} is tested by nothing");
        for group in groups.iter().map(|g| g.split("::").next().unwrap()) {
            assert!(
                root().join("tests/integration").join(format!("{group}.rs")).is_file(),
                "scripts/mutants.txt: {file} names the group {group}, which is not a file of tests/integration/"
            );
        }
        assert!(listed.insert(file.to_string()), "scripts/mutants.txt lists {file} twice");
    }
    let mut wanted: Vec<String> = ["sts", "signin", "oidc", "console", "process", "server"]
        .iter()
        .map(|m| format!("src/{m}.rs"))
        .collect();
    for (module, path, _) in sources() {
        if module == "cmd" {
            wanted.push(path.strip_prefix(root()).unwrap().to_string_lossy().into_owned());
        }
    }
    let missing: Vec<&String> = wanted.iter().filter(|f| !listed.contains(*f)).collect();
    assert!(missing.is_empty(), "scripts/mutants.txt leaves out {missing:?}");
}
