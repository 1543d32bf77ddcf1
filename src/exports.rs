//! The environment contract: which variables a switch sets and which it clears, in a fixed
//! order (unsets first), independent of any shell syntax.

use crate::clock::rfc3339;
use crate::credentials::Credentials;

/// One change to the environment. Names are fixed, valid shell identifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Set(&'static str, String),
    Unset(&'static str),
}

/// Ordered, so output is byte-stable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exports(pub Vec<Op>);

/// Variables that a stale value of breaks other tools, so every switch clears them:
/// `AWS_PROFILE`/`AWS_DEFAULT_PROFILE` next to keys make the JS SDK v3 (and any
/// `--profile`-style SDK) resolve the profile again; botocore reads `AWS_SECURITY_TOKEN`
/// before `AWS_SESSION_TOKEN`; `AWS_SESSION_EXPIRATION` is granted's old expiry name.
pub const STALE_AWS: [&str; 4] =
    ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION"];

/// Other switchers' markers of the credentials a switch has just replaced, with the tool
/// that sets each: the one list that a switch clears, `doctor` warns about and
/// docs/reference.md names. Not here: the tools' own settings (granted's
/// `GRANTED_ALIAS_CONFIGURED`, `GRANTED_QUIET`, awsume's `AWSUME_SKIP_ALIAS_SETUP`), which
/// describe no credentials.
pub const OTHER_SWITCHERS: [(&str, &str); 12] = [
    ("AWS_VAULT", "aws-vault (it refuses to run while it is set, and starship shows it first)"),
    ("AWSUME_EXPIRATION", "awsume"),
    ("AWSUME_COMMAND", "awsume"),
    ("AWSU_PROFILE", "awsu"),
    ("GRANTED_SSO", "granted"),
    ("GRANTED_SSO_START_URL", "granted"),
    ("GRANTED_SSO_ROLE_NAME", "granted"),
    ("GRANTED_SSO_REGION", "granted"),
    ("GRANTED_SSO_ACCOUNT_ID", "granted"),
    ("GRANTED_COMMAND", "granted"),
    ("GRANTED_AWS_ROLE_PROFILE", "granted"),
    ("GRANTED_FLAG", "granted (its fish function leaves it exported)"),
];

/// What every switch clears before it sets anything: [`STALE_AWS`], then
/// [`OTHER_SWITCHERS`].
pub fn always_unset() -> impl Iterator<Item = &'static str> {
    STALE_AWS.iter().copied().chain(OTHER_SWITCHERS.iter().map(|(var, _)| *var))
}

/// Every variable a switch may set, in output order.
pub const MANAGED: [&str; 16] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCOUNT_ID",
    "AWSUME_PROFILE",
    "SWROLE_PROFILE",
    "SWROLE_ROLE_ARN",
    "SWROLE_EXPIRATION",
    "SWROLE_COLOR",
    "SWROLE_ACCESS",
    "SWROLE_GUARDED",
    "SWROLE_IDLE",
    "SWROLE_PREVIOUS_PROFILE",
];

/// What the switch is to: the profile, its credentials, and the context around them.
pub struct Switch<'a> {
    pub profile: &'a str,
    pub credentials: &'a Credentials,
    /// The role assumed last, if any (a profile with static keys assumes none).
    pub role_arn: Option<&'a str>,
    pub region: Option<&'a str>,
    /// The profile's prompt colour (`swrole_color`).
    pub color: Option<&'a str>,
    /// `SWROLE_PROFILE` of the calling shell, for `sw -`.
    pub previous: Option<&'a str>,
    /// The CA bundle the profile named (`ca_bundle`), which the tools in the shell need
    /// too (the AWS CLI reads `[default]`, not the role's profile).
    pub ca_bundle: Option<&'a str>,
    /// `AWS_CA_BUNDLE` of the calling shell was set by an earlier switch
    /// (`SWROLE_CA_BUNDLE` says so): a switch to a profile without one clears it.
    pub ca_bundle_from_swrole: bool,
    /// `ro` or `rw` for a profile that is read-only by session policy.
    pub access: Option<&'a str>,
    /// A guarded profile (`swrole_confirm` or a session policy): the account it is in, for
    /// the shell integration's tint, command guard and idle limit.
    pub guarded: Option<&'a str>,
    /// Seconds without a command after which the integration drops a guarded profile.
    pub idle: Option<u32>,
}

/// The CA bundle a switch exported, and its marker (so that a later switch or `unset`
/// clears only what swrole set, never the user's own `AWS_CA_BUNDLE`).
pub const CA_BUNDLE: [&str; 2] = ["AWS_CA_BUNDLE", "SWROLE_CA_BUNDLE"];

impl Exports {
    pub fn for_switch(s: &Switch<'_>) -> Exports {
        let c = s.credentials;
        let previous = s.previous.filter(|p| *p != s.profile).map(str::to_string);
        let values: [Option<String>; 16] = [
            Some(c.access_key_id.clone()),
            Some(c.secret_access_key.clone()),
            c.session_token.clone(),
            c.expiration.map(rfc3339),
            s.region.map(str::to_string),
            s.region.map(str::to_string),
            c.account_id.clone(),
            Some(s.profile.to_string()),
            Some(s.profile.to_string()),
            s.role_arn.map(str::to_string),
            c.expiration.map(|e| e.to_string()),
            s.color.map(str::to_string),
            s.access.map(str::to_string),
            s.guarded.map(str::to_string),
            s.idle.map(|i| i.to_string()),
            previous,
        ];
        let mut ops: Vec<Op> = always_unset().map(Op::Unset).collect();
        let mut sets = Vec::new();
        for (name, value) in MANAGED.iter().zip(values) {
            match value {
                Some(v) => sets.push(Op::Set(name, v)),
                // No region known: leave the caller's region alone rather than clear it.
                None if matches!(*name, "AWS_REGION" | "AWS_DEFAULT_REGION") => {}
                // Keep the way back for `sw -` when switching to the same profile again.
                None if *name == "SWROLE_PREVIOUS_PROFILE" => {}
                None => ops.push(Op::Unset(name)),
            }
        }
        match (s.ca_bundle, s.ca_bundle_from_swrole) {
            (Some(path), _) => sets.extend(CA_BUNDLE.map(|n| Op::Set(n, path.to_string()))),
            (None, true) => ops.extend(CA_BUNDLE.map(Op::Unset)),
            (None, false) => {}
        }
        ops.extend(sets);
        Exports(ops)
    }

    /// `swrole unset`: clear everything a switch sets, and remember the profile that was
    /// active so that `sw -` can return to it.
    /// With no active profile (`sw off` twice), the way back is kept as it is.
    pub fn for_unset(previous: Option<&str>, ca_bundle_from_swrole: bool) -> Exports {
        let mut ops: Vec<Op> = always_unset().chain(MANAGED.iter().copied()).map(Op::Unset).collect();
        if ca_bundle_from_swrole {
            ops.extend(CA_BUNDLE.map(Op::Unset));
        }
        ops.retain(|op| *op != Op::Unset("SWROLE_PREVIOUS_PROFILE"));
        if let Some(p) = previous {
            ops.push(Op::Set("SWROLE_PREVIOUS_PROFILE", p.to_string()));
        }
        Exports(ops)
    }

    /// One line per change, in order: `set(name, value)` or `unset(name)`.
    pub fn lines(&self, set: impl Fn(&str, &str) -> String, unset: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for op in &self.0 {
            out.push_str(&match op {
                Op::Set(name, value) => set(name, value),
                Op::Unset(name) => unset(name),
            });
            out.push('\n');
        }
        out
    }

    /// Apply to a child process's environment (`swrole exec`).
    pub fn apply(&self, cmd: &mut std::process::Command) {
        for op in &self.0 {
            match op {
                Op::Set(k, v) => cmd.env(k, v),
                Op::Unset(k) => cmd.env_remove(k),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials { account_id: Some("111111111111".into()), ..Credentials::sample(60) }
    }

    /// docs/reference.md names the markers a switch clears: exactly these.
    #[test]
    fn the_markers_cleared_are_the_ones_documented() {
        let reference = include_str!("../docs/reference.md");
        let row = reference.lines().find(|l| l.starts_with("| `AWS_VAULT`")).expect("the markers' row");
        let (names, _) = row[1..].split_once(" | ").unwrap();
        let documented: Vec<&str> = names.split(", ").map(|n| n.trim().trim_matches('`')).collect();
        let cleared: Vec<&str> = OTHER_SWITCHERS.iter().map(|(v, _)| *v).collect();
        assert_eq!(documented, cleared);
        let c = creds();
        let e = Exports::for_switch(&plain(&c));
        for var in cleared {
            assert!(e.0.contains(&Op::Unset(var)), "{var} is not cleared");
        }
    }

    #[test]
    fn names_are_identifiers() {
        for n in always_unset().chain(MANAGED.iter().copied()) {
            assert!(n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{n}");
        }
    }

    #[test]
    fn switch_contract() {
        let c = creds();
        let e = Exports::for_switch(&Switch {
            profile: "p",
            credentials: &c,
            role_arn: Some("arn:aws:iam::111111111111:role/r"),
            region: Some("eu-west-1"),
            color: None,
            previous: Some("old"),
            ca_bundle: None,
            ca_bundle_from_swrole: false,
            access: None,
            guarded: None,
            idle: None,
        });
        let text: Vec<String> = e.0.iter().map(|o| format!("{o:?}")).collect();
        assert_eq!(e.0[0], Op::Unset("AWS_PROFILE"));
        assert!(
            e.0.contains(&Op::Set("AWS_CREDENTIAL_EXPIRATION", "1970-01-01T00:01:00Z".into())),
            "{text:?}"
        );
        assert!(e.0.contains(&Op::Set("SWROLE_PREVIOUS_PROFILE", "old".into())));
        let unsets = e.0.iter().take_while(|o| matches!(o, Op::Unset(_))).count();
        assert_eq!(unsets, 20, "unsets first (no colour, access, guard, idle: cleared): {text:?}");
    }

    #[test]
    fn switching_to_the_same_profile_keeps_the_way_back() {
        let c = creds();
        let e = Exports::for_switch(&Switch {
            profile: "p",
            credentials: &c,
            role_arn: None,
            region: None,
            color: None,
            previous: Some("p"),
            ca_bundle: None,
            ca_bundle_from_swrole: false,
            access: None,
            guarded: None,
            idle: None,
        });
        assert!(!e.0.iter().any(|o| matches!(
            o,
            Op::Unset("SWROLE_PREVIOUS_PROFILE") | Op::Set("SWROLE_PREVIOUS_PROFILE", _)
        )));
        let e = Exports::for_unset(None, false);
        assert!(!e.0.contains(&Op::Unset("SWROLE_PREVIOUS_PROFILE")), "sw off twice keeps it");
        assert!(
            Exports::for_unset(Some("p"), false).0.contains(&Op::Set("SWROLE_PREVIOUS_PROFILE", "p".into()))
        );
    }

    #[test]
    fn static_keys_clear_stale_session_values() {
        let mut c = creds();
        c.session_token = None;
        c.expiration = None;
        c.account_id = None;
        let e = Exports::for_switch(&plain(&c));
        for n in [
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "SWROLE_ROLE_ARN",
            "SWROLE_EXPIRATION",
            "AWS_ACCOUNT_ID",
        ] {
            assert!(e.0.contains(&Op::Unset(n)), "{n}");
        }
        assert!(!e.0.iter().any(|o| matches!(o, Op::Unset("AWS_REGION") | Op::Set("AWS_REGION", _))));
    }

    /// A switch to profile `p` with nothing around it.
    fn plain(c: &Credentials) -> Switch<'_> {
        Switch {
            profile: "p",
            credentials: c,
            role_arn: None,
            region: None,
            color: None,
            previous: None,
            ca_bundle: None,
            ca_bundle_from_swrole: false,
            access: None,
            guarded: None,
            idle: None,
        }
    }

    #[test]
    fn a_ca_bundle_is_exported_and_cleared_only_when_swrole_set_it() {
        let c = creds();
        let switch = |ca_bundle, ca_bundle_from_swrole| {
            Exports::for_switch(&Switch { ca_bundle, ca_bundle_from_swrole, ..plain(&c) }).0
        };
        let set = switch(Some("/ca.pem"), false);
        assert!(set.contains(&Op::Set("AWS_CA_BUNDLE", "/ca.pem".into())));
        assert!(set.contains(&Op::Set("SWROLE_CA_BUNDLE", "/ca.pem".into())));
        assert!(switch(None, true).contains(&Op::Unset("AWS_CA_BUNDLE")), "swrole's own is cleared");
        assert!(
            !switch(None, false).iter().any(|op| format!("{op:?}").contains("CA_BUNDLE")),
            "the user's own stays"
        );
        assert!(Exports::for_unset(None, true).0.contains(&Op::Unset("AWS_CA_BUNDLE")));
        assert!(!Exports::for_unset(None, false).0.contains(&Op::Unset("AWS_CA_BUNDLE")));
    }

    #[test]
    fn apply_sets_and_removes_in_the_child() {
        let e = Exports(vec![Op::Unset("AWS_PROFILE"), Op::Set("AWS_REGION", "eu-west-1".into())]);
        let mut cmd = std::process::Command::new("true");
        e.apply(&mut cmd);
        let envs: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into(), v.map(|v| v.to_string_lossy().into())))
            .collect();
        assert_eq!(envs, [("AWS_PROFILE".into(), None), ("AWS_REGION".into(), Some("eu-west-1".into()))]);
    }
}
