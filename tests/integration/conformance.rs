//! The AWS SDKs' cross-SDK suites (tests/conformance/, Apache-2.0, see SOURCES.md), run
//! against swrole's parser and chain resolver. Every case passes, or differs for a reason
//! listed here and in the README; the lists are checked both ways, so they cannot rot.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};
use swrole::chain::{self, Base, ChainError, CredentialSource, DelegatedKind};
use swrole::config::{Paths, ProfileSet, Section, parse};
use swrole::env::Env;

use crate::util::{conformance, read_json};

fn paths() -> Paths {
    Paths { config: "/home/.aws/config".into(), credentials: "/home/.aws/credentials".into() }
}

fn text(case: &Json, key: &str) -> String {
    case["input"][key].as_str().unwrap_or("").to_string()
}

/// Our sections as the Rust suite writes them: raw strings.
fn as_rust(sections: &BTreeMap<String, Section>) -> Json {
    sections
        .iter()
        .map(|(name, s)| (name.clone(), s.props.iter().map(|(k, v)| (k.clone(), json!(v.text))).collect()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// As the Kotlin suite writes them: a value that opened a sub-property block is a map of
/// its valid sub-properties.
fn as_kotlin(sections: &BTreeMap<String, Section>) -> Json {
    let value = |v: &str| -> Json {
        if v.starts_with('\n') {
            parse::sub_properties(v)
                .into_iter()
                .filter(|(k, _)| swrole::config::is_identifier(k))
                .map(|(k, v)| (k, json!(v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        } else {
            json!(v)
        }
    };
    sections
        .iter()
        .map(|(name, s)| (name.clone(), s.props.iter().map(|(k, v)| (k.clone(), value(&v.text))).collect()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Kotlin keeps the case of property names; the Rust SDK and swrole lower-case them.
fn lower_keys(sections: &Json) -> Json {
    let lower = |props: &Json| -> Json {
        props
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    sections
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, props)| (name.clone(), lower(props)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn report(
    suite: &str,
    total: usize,
    failures: &[String],
    documented: &BTreeMap<&str, &str>,
    differing: &BTreeSet<String>,
) {
    let passed = total - differing.len();
    println!("{suite}: {passed} of {total} cases pass; {} documented differences", documented.len());
    assert!(failures.is_empty(), "{suite}: unexpected results:\n{}", failures.join("\n"));
    let documented: BTreeSet<String> = documented.keys().map(|s| s.to_string()).collect();
    assert_eq!(&documented, differing, "{suite}: the documented differences are out of date");
}

#[test]
fn rust_profile_parser_suite() {
    let suite = read_json("smithy-rs/aws/rust-runtime/aws-runtime/test-data/profile-parser-tests.json");
    let cases = suite["tests"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let result =
            ProfileSet::from_texts(&text(case, "configFile"), &text(case, "credentialsFile"), &paths());
        let out = &case["output"];
        match (result, out["errorContaining"].as_str()) {
            (Err(e), Some(expected)) => {
                if !e.to_string().to_lowercase().contains(&expected.to_lowercase()) {
                    failures.push(format!("{name}: error {e:#} does not contain {expected:?}"));
                }
            }
            (Ok(_), Some(expected)) => failures.push(format!("{name}: parsed, expected error {expected:?}")),
            (Err(e), None) => failures.push(format!("{name}: unexpected error {e:#}")),
            (Ok(set), None) => {
                let expected = &out["config"];
                if as_rust(&set.profiles) != expected["profiles"] {
                    failures.push(format!(
                        "{name}: profiles {} != {}",
                        as_rust(&set.profiles),
                        expected["profiles"]
                    ));
                }
                if let Some(sso) = expected.get("sso_sessions")
                    && &as_rust(&set.sso_sessions) != sso
                {
                    failures.push(format!("{name}: sso_sessions {} != {sso}", as_rust(&set.sso_sessions)));
                }
            }
        }
    }
    assert_eq!(cases.len(), 65);
    report("smithy-rs profile-parser-tests", cases.len(), &failures, &BTreeMap::new(), &BTreeSet::new());
}

/// Kotlin cases that differ from the Rust reference, which swrole follows.
const KOTLIN_PARSER_DIFFERENCES: [(&str, &str); 1] = [(
    "SSO Session in credentials file is invalid",
    "Kotlin fails the whole file; the Rust SDK (and swrole) ignore a prefixed section in the credentials file",
)];

#[test]
fn kotlin_profile_parser_suite() {
    let suite = read_json("aws-sdk-kotlin/profile-parser-tests.kotlin.json");
    let cases = suite["tests"].as_array().unwrap();
    let mut differing = BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap().to_string();
        let result =
            ProfileSet::from_texts(&text(case, "configFile"), &text(case, "credentialsFile"), &paths());
        let out = &case["output"];
        let same = match (&result, out.get("errorContaining")) {
            // Kotlin's messages are its own ("Encountered unexpected token"): compare the outcome.
            (Err(_), Some(_)) => true,
            (Ok(set), None) => {
                let empty = json!({});
                let want = |k: &str| lower_keys(out.get(k).unwrap_or(&empty));
                as_kotlin(&set.profiles) == want("profiles")
                    && as_kotlin(&set.sso_sessions) == want("sso-sessions")
                    && as_kotlin(&set.services) == want("services")
            }
            _ => false,
        };
        if !same {
            differing.insert(name);
        }
    }
    assert_eq!(cases.len(), 67);
    report(
        "aws-sdk-kotlin profile-parser-tests",
        cases.len(),
        &[],
        &KOTLIN_PARSER_DIFFERENCES.into_iter().collect(),
        &differing,
    );
}

#[test]
fn file_location_suites() {
    for (file, expected_cases) in [
        ("smithy-rs/aws/rust-runtime/aws-runtime/test-data/file-location-tests.json", 9),
        ("aws-sdk-kotlin/file-location-tests.kotlin.json", 11),
    ] {
        let suite = read_json(file);
        let cases = suite["tests"].as_array().unwrap();
        assert_eq!(cases.len(), expected_cases, "{file}");
        let (mut passed, mut not_unix) = (0, 0);
        for case in cases {
            // swrole is a Unix tool (exec, /dev/tty, POSIX shells): the Windows and
            // JVM-home cases do not apply to it.
            if case["platform"] == "windows" || case["environment"].get("HOME").is_none() {
                not_unix += 1;
                continue;
            }
            let env = Env::from_pairs(
                case["environment"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
            );
            let p = Paths::from_env(&env).unwrap();
            assert_eq!(p.config.to_str().unwrap(), case["configLocation"], "{}", case["name"]);
            assert_eq!(p.credentials.to_str().unwrap(), case["credentialsLocation"], "{}", case["name"]);
            passed += 1;
        }
        println!("{file}: {passed} Unix cases pass; {not_unix} Windows/JVM cases not applicable");
        assert!(passed >= 4);
    }
}

/// Render a suite's parsed profiles as a config file, so the cases exercise the parser too.
fn render_profiles(input: &Json) -> String {
    let mut out = String::new();
    for (section, prefix) in [("profiles", "profile "), ("sso_sessions", "sso-session ")] {
        for (name, props) in input[section].as_object().into_iter().flatten() {
            let header = if name == "default" && section == "profiles" {
                "default".to_string()
            } else {
                format!("{prefix}{name}")
            };
            out.push_str(&format!("[{header}]\n"));
            for (k, v) in props.as_object().unwrap() {
                out.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
            }
        }
    }
    out
}

/// Our chain in the suites' shape (base first), with the parameters each element names.
fn chain_json(set: &ProfileSet, c: &chain::Chain) -> Vec<Json> {
    let p = |name: &str| set.profile(name).unwrap();
    let pick = |s: &Section, keys: &[&str]| -> Json {
        keys.iter()
            .filter_map(|k| s.text(k).map(|v| (k.to_string(), json!(v))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let base = match &c.base {
        Base::StaticKeys { profile } => {
            json!({"AccessKey": pick(p(profile), &["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_account_id"])})
        }
        Base::CredentialSource { source, .. } => json!({"NamedSource": source.name()}),
        // swrole's own credential_process line: no conformance case has one.
        Base::StoredKeys { profile } => json!({"StoredKeys": profile}),
        // The Rust SDK's name for the provider (`BaseProvider::LoginSession`).
        Base::LoginSession { session, .. } => json!({"LoginSession": session}),
        Base::Delegated { profile, kind: DelegatedKind::WebIdentity } => {
            json!({"WebIdentityToken": pick(p(profile), &["role_arn", "web_identity_token_file", "role_session_name"])})
        }
        Base::Delegated { profile, kind: DelegatedKind::Sso } => {
            let s = p(profile);
            let mut fields =
                pick(s, &["sso_session", "sso_account_id", "sso_role_name", "sso_start_url", "sso_region"]);
            if let Some(session) = s.text("sso_session").and_then(|n| set.sso_sessions.get(n)) {
                let extra = pick(session, &["sso_start_url", "sso_region"]);
                fields.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            }
            json!({"Sso": fields})
        }
        Base::Delegated { profile, kind: DelegatedKind::CredentialProcess } => {
            json!({"Process": pick(p(profile), &["credential_process"])})
        }
    };
    std::iter::once(base)
        .chain(c.hops.iter().map(|h| {
            let mut fields = pick(p(&h.profile), &["external_id", "role_session_name"]);
            fields.as_object_mut().unwrap().insert("role_arn".into(), json!(h.role_arn));
            json!({"AssumeRole": fields})
        }))
        .collect()
}

/// Normalize a suite's expected chain element to our field names.
fn expected_element(e: &Json) -> Json {
    let (kind, fields) = e.as_object().unwrap().iter().next().unwrap();
    let rename = |k: &str| match k {
        "access_key_id" | "secret_access_key" | "session_token" | "account_id" => format!("aws_{k}"),
        other => other.to_string(),
    };
    let fields = match fields {
        Json::Object(m) => m
            .iter()
            .filter(|(k, _)| *k != "source")
            .map(|(k, v)| (rename(k), v.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other.clone(),
    };
    let kind = match kind.as_str() {
        "WebIdentityTokenRole" => "WebIdentityToken",
        "LegacySso" | "SsoSession" => "Sso",
        other => other,
    };
    let fields = match (kind, fields) {
        ("NamedSource", Json::Object(m)) => m["credential_source"].clone(),
        (_, f) => f,
    };
    json!({ kind: fields })
}

/// Whether `err` is the error a suite describes with `expected`.
fn error_matches(expected: &str, err: &ChainError) -> bool {
    let e = expected.to_lowercase();
    match err {
        ChainError::TooLong { .. } => false,
        ChainError::NotFound { .. } => e.contains("no profiles were defined") || e.contains("not found"),
        ChainError::SourceNotFound { .. } => e.contains("could not find source profile"),
        ChainError::Loop { .. } => e.contains("infinite loop"),
        ChainError::BothSources { .. } => e.contains("contained both"),
        ChainError::NoSource { .. } => e.contains("must contain `source_profile`"),
        ChainError::PartialKeys { missing, .. } => {
            e.contains(missing) || e.contains("did not contain credential information")
        }
        ChainError::NoCredentials { .. } => e.contains("did not contain credential information"),
        ChainError::BadCredentialSource { .. } => e.contains("not valid") || e.contains("credential source"),
        ChainError::WebIdentityWithoutRole { .. } => e.contains("role_arn"),
        ChainError::Sso { message, .. } => {
            let m = message.to_lowercase();
            m.contains(&e) || (e.contains("missing `") && m.contains(e.rsplit("missing ").next().unwrap()))
        }
    }
}

fn run_chain_case(config: &str, selected: &str, output: &Json) -> Result<(), String> {
    let set = ProfileSet::from_texts(config, "", &paths()).map_err(|e| format!("parse error {e:#}"))?;
    match (chain::resolve(&set, selected), output.get("Error")) {
        (Err(err), Some(expected)) => {
            let expected = expected.as_str().unwrap();
            if error_matches(expected, &err) {
                Ok(())
            } else {
                Err(format!("error {err} is not {expected:?}"))
            }
        }
        (Ok(c), None) => {
            let got = chain_json(&set, &c);
            let want: Vec<Json> =
                output["ProfileChain"].as_array().unwrap().iter().map(expected_element).collect();
            if got == want { Ok(()) } else { Err(format!("chain {got:?} != {want:?}")) }
        }
        (Ok(c), Some(expected)) => {
            Err(format!("resolved {:?}, expected error {expected}", chain_json(&set, &c)))
        }
        (Err(err), None) => Err(format!("unexpected error {err}")),
    }
}

#[test]
fn rust_assume_role_suite() {
    let cases = read_json("smithy-rs/aws/rust-runtime/aws-config/test-data/assume-role-tests.json");
    let cases = cases.as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let config = render_profiles(&case["input"]);
        let selected = case["input"]["selected_profile"].as_str().unwrap();
        if let Err(e) = run_chain_case(&config, selected, &case["output"]) {
            failures.push(format!("{}: {e}", case["docs"]));
        }
    }
    assert_eq!(cases.len(), 28);
    report("smithy-rs assume-role-tests", cases.len(), &failures, &BTreeMap::new(), &BTreeSet::new());
}

/// Where the Kotlin SDK resolves differently from the Rust SDK and botocore (docs/spec.md §4.1),
/// swrole follows the majority (and the AWS CLI).
const KOTLIN_CHAIN_DIFFERENCES: [(&str, &str); 8] = [
    (
        "ignore source profile when explicit credentials are specified",
        "Rust/botocore assume the role with the source profile; Kotlin uses the selected profile's own keys",
    ),
    (
        "self referential profile (load base credentials, ignore role)",
        "Rust/botocore use the profile's keys to assume its own role once; Kotlin skips the role",
    ),
    (
        "static credentials precedence test",
        "same rule: role_arn + source_profile at the selected profile win over its own keys",
    ),
    (
        "infinite loop with web identity token",
        "role_arn + web_identity_token_file is a web-identity base in Rust/botocore, so source_profile is not followed",
    ),
    (
        "chained assume role profiles with static credentials (ignore assume role when static credentials present)",
        "same web-identity rule: the selected profile has web_identity_token_file",
    ),
    ("assume role with source profile precedence test", "same web-identity rule"),
    (
        "assume role with named provider / credential source precedence test",
        "same web-identity rule: Rust then takes credential_source as the base and assumes no role",
    ),
    (
        "SSO role precedence test",
        "the Rust SDK (which fetches SSO credentials for swrole) rejects sso_region / sso_start_url in a profile that names an sso-session; Kotlin accepts equal values",
    ),
];

#[test]
fn kotlin_chain_suite() {
    let suite = read_json("aws-sdk-kotlin/profile-chain-tests.kotlin.derived.json");
    let cases = suite["tests"].as_array().unwrap();
    let mut differing = BTreeSet::new();
    let mut failures = Vec::new();
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        let config = case["configFile"].as_str().unwrap().replace("\\n", "\n");
        if let Err(e) = run_chain_case(&config, case["selected_profile"].as_str().unwrap(), &case["output"]) {
            // Kotlin's messages are its own: an error where Kotlin errs is agreement.
            let both_errors = case["output"].get("Error").is_some() && e.starts_with("error ");
            if !both_errors {
                differing.insert(docs.to_string());
                if !KOTLIN_CHAIN_DIFFERENCES.iter().any(|(d, _)| *d == docs) {
                    failures.push(format!("{docs}: {e}"));
                }
            }
        }
    }
    assert_eq!(cases.len(), 42);
    report(
        "aws-sdk-kotlin profile-chain-tests",
        cases.len(),
        &failures,
        &KOTLIN_CHAIN_DIFFERENCES.into_iter().collect(),
        &differing,
    );
}

#[test]
fn botocore_chain_cases() {
    let suite = read_json("botocore/assume-role-behaviour-cases.derived.json");
    let cases = suite["tests"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        let set = ProfileSet::from_texts(case["configFile"].as_str().unwrap(), "", &paths()).unwrap();
        let selected = case["selected_profile"].as_str().unwrap();
        let result = chain::resolve(&set, selected);
        let expect = &case["expect"];
        let ok = if let Some(calls) = expect.get("sts_calls") {
            let calls = calls.as_array().unwrap();
            match &result {
                Ok(c) => {
                    let arns: Vec<&str> = c.hops.iter().map(|h| h.role_arn.as_str()).collect();
                    let want: Vec<&str> = calls.iter().map(|c| c["RoleArn"].as_str().unwrap()).collect();
                    // Where botocore says what signs the first call, check the base kind.
                    let signer = calls[0]["signed_with"].as_str().unwrap_or("");
                    let base_ok = match &c.base {
                        Base::StaticKeys { .. } => signer.is_empty() || signer.contains("static keys"),
                        Base::StoredKeys { .. } => false,
                        Base::CredentialSource { source: CredentialSource::Environment, .. } => {
                            signer.contains("environment")
                        }
                        Base::CredentialSource { source: CredentialSource::Ec2InstanceMetadata, .. } => {
                            signer.contains("IMDS")
                        }
                        Base::CredentialSource { source: CredentialSource::EcsContainer, .. } => {
                            signer.contains("container")
                        }
                        Base::Delegated { .. } | Base::LoginSession { .. } => false,
                    };
                    arns == want && base_ok
                }
                Err(_) => false,
            }
        } else if let Some(kind) = expect["error"].as_str() {
            // botocore names the kind of error: the same kind here.
            match (kind, &result) {
                ("InfiniteLoopConfigError", Err(ChainError::Loop { .. })) => true,
                // botocore raises this for a half key pair and for a role with no source.
                (
                    "PartialCredentialsError",
                    Err(ChainError::PartialKeys { .. } | ChainError::NoSource { .. }),
                ) => true,
                (
                    "InvalidConfigError",
                    Err(
                        ChainError::BadCredentialSource { .. }
                        | ChainError::NoCredentials { .. }
                        | ChainError::BothSources { .. }
                        | ChainError::SourceNotFound { .. },
                    ),
                ) => true,
                _ => false,
            }
        } else {
            // "not_assume_role": role_arn + web_identity_token_file is web identity.
            matches!(&result, Ok(c) if c.hops.is_empty() && matches!(c.base, Base::Delegated { kind: DelegatedKind::WebIdentity, .. }))
        };
        if !ok {
            failures.push(format!("{docs}: {result:?}"));
        }
    }
    println!(
        "botocore assume-role cases: {} of {} agree on the chain",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 21, "the README reports 21 botocore cases");
}

/// botocore's and Go v1's INI fixtures: whatever they hold, an answer and never a panic;
/// the ones that are broken for every SDK are errors here too.
#[test]
fn other_sdk_fixtures_parse_or_fail_cleanly() {
    let bad = ["aws_config_bad", "aws_config_badbytes", "aws_config_nested_bad"];
    let mut counts = (0, 0);
    for dir in [
        "botocore/tests/unit/cfg",
        "aws-sdk-go-v1/internal/ini/testdata/valid",
        "aws-sdk-go-v1/internal/ini/testdata/invalid",
    ] {
        for entry in std::fs::read_dir(conformance(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let result =
                swrole::config::read_file(&path).and_then(|text| ProfileSet::from_texts(&text, "", &paths()));
            if bad.contains(&name.as_str()) {
                assert!(result.is_err(), "{dir}/{name} should be an error");
            }
            if result.is_ok() { counts.0 += 1 } else { counts.1 += 1 }
        }
    }
    println!("other SDK fixtures: {} parsed, {} rejected with an error, none panicked", counts.0, counts.1);
    // botocore's aws_bad_profile: botocore reads 3 profiles; the spec ignores "my profile".
    let text = std::fs::read_to_string(conformance("botocore/tests/unit/cfg/aws_bad_profile")).unwrap();
    let set = ProfileSet::from_texts(&text, "", &paths()).unwrap();
    assert!(set.profile("my profile").is_none());
    assert!(set.ignored.iter().any(|i| i.contains("my profile")), "{:?}", set.ignored);
}
