//! Property-based fuzzing (proptest) of the config parser, chain resolver, planner,
//! `explain` and the three emitters: no input makes swrole panic, and every emitted value
//! unquotes (by each shell's own rules, re-implemented here) to exactly the value.
//!
//! Time-bounded: `SWROLE_FUZZ_SECONDS` (default 5, as in CI). The long run:
//!
//!     SWROLE_FUZZ_SECONDS=600 cargo test --release --test integration fuzz -- --nocapture
//!
//! prints the number of executions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use swrole::chain;
use swrole::config::{Paths, ProfileSet};
use swrole::credentials::Credentials;
use swrole::env::Env;
use swrole::explain::{self, CacheState, MfaSessionState};
use swrole::exports::{Exports, Op, Switch};
use swrole::plan::{self, Overrides};
use swrole::shell::{fish, nu, posix, powershell};

fn budget() -> Duration {
    let secs = std::env::var("SWROLE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    Duration::from_secs(secs)
}

/// Run `strategy` through `property` in batches until the time budget is spent; return
/// the number of executions.
fn fuzz<S: Strategy>(name: &str, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>) -> u64
where
    S::Value: std::fmt::Debug,
{
    let started = Instant::now();
    let batch = 500;
    let mut runs = 0u64;
    let mut report = started;
    while started.elapsed() < budget() {
        if report.elapsed() > Duration::from_secs(60) {
            println!("fuzz: {name}: {runs} executions after {:.0?}", started.elapsed());
            report = Instant::now();
        }
        let mut runner =
            TestRunner::new(Config { cases: batch, failure_persistence: None, ..Config::default() });
        if let Err(e) = runner.run(&strategy, &property) {
            panic!("{name}: {e}");
        }
        runs += u64::from(batch);
    }
    println!("fuzz: {name}: {runs} executions in {:.0?}, no failure", started.elapsed());
    runs
}

// --- the shells' own unquoting rules -----------------------------------------------------

/// POSIX: bare characters, `\X` outside quotes, and `'...'` with nothing special inside.
fn posix_unquote(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            c if " \t\n;&|<>()$`\"*?[#~".contains(c) => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// fish: `'...'` where `\\` and `\'` are escapes and nothing else is.
fn fish_unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | '\'')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => return None,
            },
            '\'' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// PowerShell: `'...'` where a quote character (ASCII or typographic) is written twice.
fn powershell_unquote(s: &str) -> Option<String> {
    const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if QUOTES.contains(&c) {
            // A lone quote character would end the string: only doubled ones are allowed.
            if chars.next()? != c {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

/// nushell (NUON): `"..."` where `\\`, `\"`, `\n`-style and `\u{HEX}` are escapes and a lone
/// `"` ends the string.
fn nu_unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next()? {
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '/' => out.push('/'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    if chars.next()? != '{' {
                        return None;
                    }
                    let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

// --- generators ---------------------------------------------------------------------------

const NAMES: &[&str] = &["a", "b", "c", "default", "p-1", "x/y", "a b", "A", ""];
const KEYS: &[&str] = &[
    "role_arn",
    "source_profile",
    "credential_source",
    "mfa_serial",
    "external_id",
    "role_session_name",
    "duration_seconds",
    "region",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "web_identity_token_file",
    "endpoint_url",
    "services",
    "swrole_confirm",
    "swrole_color",
    "sts",
    "Role_ARN",
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "arn:aws:iam::123456789012:role/r",
            "arn:aws:iam::123456789012:mfa/me",
            "AKIASEEDUSERKEY00001",
            "Environment",
            "Ec2InstanceMetadata",
            "3600",
            "7200",
            "eu-west-1",
            "https://sts.example.com",
            "http://127.0.0.1:1",
            "true",
            "red",
            "'$(id)`id`\"\\",
            "‘x’",
        ])
        .prop_map(str::to_string),
        prop::sample::select(NAMES.to_vec()).prop_map(str::to_string),
        "[ -~]{0,24}",
        any::<String>(),
    ]
}

/// A value that fits `key` most of the time, anything otherwise.
fn value_for(key: &'static str) -> BoxedStrategy<String> {
    let fitting: Vec<&'static str> = match key {
        "role_arn" => vec!["arn:aws:iam::123456789012:role/r", "arn:aws:iam::210987654321:role/x"],
        "source_profile" => NAMES.to_vec(),
        "credential_source" => vec!["Environment", "Ec2InstanceMetadata", "EcsContainer"],
        "mfa_serial" => vec!["arn:aws:iam::123456789012:mfa/me"],
        "duration_seconds" => vec!["900", "3600", "7200", "43200"],
        "region" => vec!["eu-west-1", "ap-northeast-1"],
        "aws_access_key_id" => vec!["AKIASEEDUSERKEY00001"],
        "aws_secret_access_key" | "aws_session_token" => vec!["s3cr3t/+=", "x"],
        "swrole_confirm" => vec!["true", "false"],
        "swrole_color" => vec!["red", "42"],
        "endpoint_url" => vec!["https://sts.example.com", "http://127.0.0.1:1"],
        _ => vec!["x"],
    };
    prop_oneof![3 => prop::sample::select(fitting).prop_map(str::to_string), 1 => hostile_text()].boxed()
}

fn property() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS.to_vec())
            .prop_flat_map(|k| value_for(k).prop_map(move |v| format!("{k} = {v}"))),
        // The pairs that make a chain: keys, and a role with its source.
        2 => Just("aws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = s".to_string()),
        2 => prop::sample::select(NAMES.to_vec())
            .prop_map(|n| format!("role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = {n}")),
    ]
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(NAMES.to_vec()).prop_map(|n| format!("[profile {n}]")),
        2 => prop::sample::select(NAMES.to_vec()).prop_map(|n| format!("[{n}]")),
        1 => prop::sample::select(vec!["[sso-session s]", "[services s]", "[default]", "[profile default]"]).prop_map(str::to_string),
    ]
}

/// Lines that are odd but mostly legal, and now and then one that breaks the file.
fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["", "# c", "; c", "\t", "sts =", "  endpoint_url = http://127.0.0.1:2", "  more"]).prop_map(str::to_string),
        1 => hostile_text().prop_map(|v| format!("  {v}")),
        1 => any::<String>(),
    ]
}

fn ini() -> impl Strategy<Value = String> {
    let section = (header(), prop::collection::vec(property(), 0..7))
        .prop_map(|(h, props)| std::iter::once(h).chain(props).collect::<Vec<_>>().join("\n"));
    let sections = prop::collection::vec(section, 0..6);
    let noise = prop::option::weighted(0.2, (noise(), any::<prop::sample::Index>()));
    (sections, noise, prop::sample::select(vec!["\n", "\n", "\n", "\n", "\r\n", "\r"])).prop_map(
        |(sections, noise, nl)| {
            let mut lines: Vec<String> = sections.join("\n").split('\n').map(str::to_string).collect();
            if let Some((line, at)) = noise {
                let at = at.index(lines.len() + 1);
                lines.insert(at, line);
            }
            lines.join(nl)
        },
    )
}

/// Everything below the files, for one generated pair of files and one environment value;
/// `planned` counts the profiles that made it through to a plan and rendered output (the
/// generator must reach the deep end, not only the parser's errors).
fn pipeline(config: &str, credentials: &str, value: &str, planned: &AtomicU64) -> Result<(), TestCaseError> {
    let paths = Paths { config: "/c".into(), credentials: "/k".into() };
    let Ok(set) = ProfileSet::from_texts(config, credentials, &paths) else { return Ok(()) };
    let env = Env::from_pairs([("USER", value), ("AWS_REGION", value)]);
    for name in set.profiles.keys() {
        let Ok(resolved) = chain::resolve(&set, name) else { continue };
        let Ok(plan) = plan::plan(&set, &paths, &env, name, resolved, &Overrides::default()) else {
            continue;
        };
        planned.fetch_add(1, Ordering::Relaxed);
        let shown = explain::render(
            &plan,
            &explain::Context {
                set: &set,
                paths: &paths,
                cache: &CacheState::Role { left: Some(60), margin: 600 },
                mfa_session: &MfaSessionState { usable: true, left: Some(60) },
                default_session_name: "tester",
                previous: Some(value),
                key_store: "file",
                mfa_sources: &[],
                long: true,
                login: None,
            },
        );
        prop_assert!(
            shown.starts_with(&format!("{name}: "))
                && shown.contains("\nsets ")
                && shown.contains("\nunsets "),
            "explain of {:?}: {}",
            name,
            shown
        );
        let creds = Credentials {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret_access_key: value.to_string(),
            session_token: Some(value.to_string()),
            expiration: Some(0),
            arn: None,
            account_id: None,
        };
        let exports = Exports::for_switch(&Switch {
            profile: name,
            credentials: &creds,
            role_arn: plan.hops.last().map(|h| h.role_arn.as_str()),
            region: plan.region.as_deref(),
            color: plan.color.as_deref(),
            previous: Some(value),
            ca_bundle: None,
            ca_bundle_from_swrole: false,
            access: plan.access.map(|a| a.word()),
            guarded: plan.guard.as_ref().map(|_| "111111111111"),
            idle: plan.guard.as_ref().and_then(|g| g.idle),
        });
        check_emitters(&exports)?;
    }
    Ok(())
}

/// Each emitted line is `set`/`unset` of a known name, and its value unquotes to itself.
fn check_emitters(exports: &Exports) -> Result<(), TestCaseError> {
    for op in &exports.0 {
        let Op::Set(name, value) = op else { continue };
        let one = Exports(vec![op.clone()]);
        let p = posix::render(&one);
        let q = p.strip_prefix(&format!("\\export {name}=")).and_then(|r| r.strip_suffix(";\n"));
        prop_assert_eq!(q.and_then(posix_unquote), Some(value.clone()), "posix: {:?}", p);
        let f = fish::render(&one);
        let q = f.strip_prefix(&format!("set -gx {name} ")).and_then(|r| r.strip_suffix('\n'));
        prop_assert_eq!(q.and_then(fish_unquote), Some(value.clone()), "fish: {:?}", f);
        let w = powershell::render(&one);
        let q = w.strip_prefix(&format!("$Env:{name} = ")).and_then(|r| r.strip_suffix('\n'));
        prop_assert_eq!(q.and_then(powershell_unquote), Some(value.clone()), "powershell: {:?}", w);
        let n = nu::render(&one);
        let q =
            n.strip_prefix(&format!("{{set: {{\"{name}\": ")).and_then(|r| r.strip_suffix("}, unset: []}\n"));
        prop_assert_eq!(q.and_then(nu_unquote), Some(value.clone()), "nu: {:?}", n);
    }
    Ok(())
}

#[test]
fn the_unquoters_agree_with_known_outputs() {
    assert_eq!(posix_unquote("'a'\\''b'\\!''").as_deref(), Some("a'b!"));
    assert_eq!(posix_unquote("a b"), None);
    assert_eq!(fish_unquote("'a\\\\b\\'c\\n'").as_deref(), Some("a\\b'c\\n"));
    assert_eq!(fish_unquote("'a'b'"), None);
    assert_eq!(powershell_unquote("'it''s ‘‘x’’'").as_deref(), Some("it's ‘x’"));
    assert_eq!(powershell_unquote("'it's'"), None);
    assert_eq!(nu_unquote("\"a\\\\b\\\"c\\u{1b}\"").as_deref(), Some("a\\b\"c\u{1b}"));
    assert_eq!(nu_unquote("\"a\"b\""), None);
}

#[test]
fn fuzz_files_to_output() {
    // This test's own count: the arbitrary-text target runs the pipeline too, in parallel.
    let counter = AtomicU64::new(0);
    let runs = fuzz("structured files", (ini(), ini(), hostile_text()), |(config, credentials, value)| {
        pipeline(&config, &credentials, &value, &counter)
    });
    let planned = counter.load(Ordering::Relaxed);
    println!("fuzz: structured files: {planned} profiles planned and rendered");
    assert!(planned > runs / 50, "the generator rarely gets past the parser: {planned} of {runs}");
}

#[test]
fn fuzz_arbitrary_text_and_bytes() {
    let runs = fuzz(
        "arbitrary text",
        (any::<String>(), prop::collection::vec(any::<u8>(), 0..512)),
        |(text, bytes)| {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let unused = AtomicU64::new(0);
            pipeline(&text, &lossy, &text, &unused)?;
            pipeline(&lossy, &text, &lossy, &unused)
        },
    );
    assert!(runs >= 100, "only {runs} runs: the generator or the budget is broken");
}

#[test]
fn fuzz_emitters_with_any_value() {
    let runs =
        fuzz("emitters", any::<String>(), |value| check_emitters(&Exports(vec![Op::Set("SWROLE_T", value)])));
    assert!(runs >= 100, "only {runs} runs: the generator or the budget is broken");
}
