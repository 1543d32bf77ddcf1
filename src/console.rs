//! `swrole console`: the AWS console as the role, through the federation endpoint
//! (`getSigninToken`, then a `login` URL). Pure: hosts, URLs and durations; the one network
//! call is in `sts`.

use anyhow::{Result, bail};

/// The partition of a region, for its federation and console hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    Aws,
    China,
    GovCloud,
}

impl Partition {
    pub fn of(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::China
        } else if region.starts_with("us-gov-") {
            Partition::GovCloud
        } else {
            Partition::Aws
        }
    }

    fn signin_domain(self) -> &'static str {
        match self {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::China => "signin.amazonaws.cn",
            Partition::GovCloud => "signin.amazonaws-us-gov.com",
        }
    }

    fn console_domain(self) -> &'static str {
        match self {
            Partition::Aws => "console.aws.amazon.com",
            Partition::China => "console.amazonaws.cn",
            Partition::GovCloud => "console.amazonaws-us-gov.com",
        }
    }
}

/// Regions where AWS offers a regional sign-in endpoint (`REGION.signin.aws.amazon.com`),
/// so that sign-in does not depend on us-east-1.
const REGIONAL_SIGNIN: &[&str] = &[
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "sa-east-1",
];

/// The federation endpoint for `region` (`https://signin.aws.amazon.com/federation` when
/// none is known).
pub fn federation_url(region: Option<&str>) -> String {
    match region {
        Some(r) if REGIONAL_SIGNIN.contains(&r) => format!("https://{r}.signin.aws.amazon.com/federation"),
        Some(r) => format!("https://{}/federation", Partition::of(r).signin_domain()),
        None => "https://signin.aws.amazon.com/federation".to_string(),
    }
}

/// The console page to land on: `--destination` is a service (`s3`) or a path
/// (`cloudwatch/home`, `ec2/home#Instances`), in the profile's region.
pub fn destination(region: Option<&str>, dest: Option<&str>) -> Result<String> {
    let path = match dest.map(|d| d.trim_matches('/')) {
        None | Some("") => "console/home".to_string(),
        Some(d) => {
            let (path, fragment) = d.split_once('#').unwrap_or((d, ""));
            if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
                || !fragment.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.:=".contains(&b))
            {
                bail!("--destination {d:?}: give a service (s3) or a console path (cloudwatch/home)");
            }
            let path = if path.contains('/') { path.to_string() } else { format!("{path}/home") };
            if fragment.is_empty() { path } else { format!("{path}#{fragment}") }
        }
    };
    let (path, fragment) = path.split_once('#').map_or((path.as_str(), None), |(p, f)| (p, Some(f)));
    let mut url = match region {
        Some(r) => format!("https://{r}.{}/{path}?region={r}", Partition::of(r).console_domain()),
        None => format!("https://{}/{path}", Partition::Aws.console_domain()),
    };
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(f);
    }
    Ok(url)
}

/// Percent-encoding of a query value (everything but unreserved characters).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `Session` parameter of `getSigninToken`: the role's credentials as JSON.
pub fn session_json(key: &str, secret: &str, token: &str) -> String {
    serde_json::json!({"sessionId": key, "sessionKey": secret, "sessionToken": token}).to_string()
}

/// The console session length: the credentials' remaining time, within the 900–43200 s
/// the federation endpoint accepts. `None` when the endpoint must decide by itself: a
/// role assumed with another session's credentials (a chain, or through the MFA session)
/// may not be given a `SessionDuration`, and then lasts as long as its credentials.
pub fn session_duration(remaining: i64, chained: bool) -> Option<u32> {
    if chained {
        return None;
    }
    Some(remaining.clamp(900, 43_200) as u32)
}

/// The sign-in URL: a secret for as long as the token lives (15 minutes).
pub fn login_url(federation: &str, token: &str, destination: &str) -> String {
    format!(
        "{federation}?Action=login&Issuer=swrole&Destination={}&SigninToken={}",
        encode(destination),
        encode(token)
    )
}

/// The colours of Firefox containers, from a profile's `swrole_color`.
pub fn container_color(color: Option<&str>) -> &'static str {
    match color {
        Some("red") => "red",
        Some("green") => "green",
        Some("yellow") => "yellow",
        Some("blue") => "blue",
        Some("magenta") => "purple",
        Some("cyan") => "turquoise",
        _ => "toolbar",
    }
}

/// The URL that opens `url` in a Firefox container named after the profile (the
/// "Open external links in a container" extension's `ext+container:` scheme).
pub fn container_url(profile: &str, color: Option<&str>, url: &str) -> String {
    format!(
        "ext+container:name={}&color={}&icon=fingerprint&url={}",
        encode(profile),
        container_color(color),
        encode(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            federation_url(Some("ap-northeast-1")),
            "https://ap-northeast-1.signin.aws.amazon.com/federation"
        );
        assert_eq!(federation_url(Some("us-east-1")), "https://signin.aws.amazon.com/federation");
        assert_eq!(federation_url(Some("cn-north-1")), "https://signin.amazonaws.cn/federation");
        assert_eq!(federation_url(Some("us-gov-west-1")), "https://signin.amazonaws-us-gov.com/federation");
        assert_eq!(federation_url(None), "https://signin.aws.amazon.com/federation");
    }

    #[test]
    fn destinations() {
        let d = |r, x| destination(r, x).unwrap();
        assert_eq!(
            d(Some("ap-northeast-1"), None),
            "https://ap-northeast-1.console.aws.amazon.com/console/home?region=ap-northeast-1"
        );
        assert_eq!(
            d(Some("eu-west-1"), Some("s3")),
            "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            d(Some("eu-west-1"), Some("cloudwatch/home")),
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        );
        assert_eq!(
            d(Some("eu-west-1"), Some("ec2/home#Instances")),
            "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances"
        );
        assert_eq!(
            d(Some("cn-north-1"), Some("s3")),
            "https://cn-north-1.console.amazonaws.cn/s3/home?region=cn-north-1"
        );
        assert!(destination(None, Some("s3?x=1&y")).is_err());
        assert!(destination(None, Some("https://evil.example/")).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(session_duration(3000, false), Some(3000));
        assert_eq!(session_duration(100, false), Some(900));
        assert_eq!(session_duration(99_999, false), Some(43_200));
        assert_eq!(session_duration(3000, true), None);
    }

    /// swrole_color's names to the container extension's: Firefox's own names for the two
    /// it calls otherwise, its neutral toolbar colour for anything else.
    #[test]
    fn container_colours() {
        for (ours, firefox) in [
            ("red", "red"),
            ("green", "green"),
            ("yellow", "yellow"),
            ("blue", "blue"),
            ("magenta", "purple"),
            ("cyan", "turquoise"),
            ("white", "toolbar"),
            ("Red", "toolbar"),
        ] {
            assert_eq!(container_color(Some(ours)), firefox, "{ours}");
        }
        assert_eq!(container_color(None), "toolbar");
    }

    #[test]
    fn urls_cannot_be_injected() {
        let u = container_url("a&b=c d/é", Some("magenta"), "https://x/?a=1&b=2");
        assert_eq!(
            u,
            "ext+container:name=a%26b%3Dc%20d%2F%C3%A9&color=purple&icon=fingerprint&url=https%3A%2F%2Fx%2F%3Fa%3D1%26b%3D2"
        );
        let l = login_url("https://f/federation", "t&k=1", "https://d/?region=x");
        assert_eq!(
            l,
            "https://f/federation?Action=login&Issuer=swrole&Destination=https%3A%2F%2Fd%2F%3Fregion%3Dx&SigninToken=t%26k%3D1"
        );
    }
}
