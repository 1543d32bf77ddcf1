//! Production safety, decided from a profile's keys: the session policy that keeps a role
//! read-only until write access is asked for, the SourceIdentity that names the person in
//! CloudTrail, and the guard the shell integration applies (commands that ask first, an idle
//! limit). Pure (docs/production.md).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::config::at;
use crate::config::{Paths, Section};

/// The AWS managed policy `readonly` stands for.
pub const READONLY: &str = "ReadOnlyAccess";
/// STS: at most 10 managed policy ARNs, and an inline policy of at most 2,048 characters.
pub const MAX_POLICY_ARNS: usize = 10;
pub const MAX_POLICY_CHARS: usize = 2048;
/// A policy file is read only up to this size.
pub const MAX_POLICY_FILE: u64 = 64 * 1024;

/// `swrole_session_policy`, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Managed policies (`PolicyArns`).
    Arns(Vec<String>),
    /// A JSON file (`Policy`), read and checked before any call.
    File(PathBuf),
    /// The file's policy, read, checked and minified.
    Json(String),
}

/// A hop's session policy and where it was set (`~/.aws/config:12`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub policy: Policy,
    pub from: String,
}

/// `swrole_source_identity`: the IAM user's own name, or a fixed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceIdentity {
    User,
    Fixed(String),
}

/// Read-only (the session policy applies) or write access (asked for, with a reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    Write,
}

impl Access {
    /// What `SWROLE_ACCESS` says, and the prompt shows.
    pub fn word(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::Write => "rw",
        }
    }
}

/// What the shell integration does while a guarded profile is active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// Patterns of commands that ask before they run (`swrole_guard_commands`).
    pub commands: Vec<String>,
    /// Drop the profile when no command ran for this long (`swrole_idle`), seconds.
    pub idle: Option<u32>,
}

/// The commands a guarded profile asks about unless `swrole_guard_commands` says otherwise:
/// AWS CLI verbs that delete, terminate, or change who may do what; infrastructure tools
/// that apply changes. A pattern's first word is the program; each following word must
/// appear later in the line, in order (`*` inside a word matches anything).
pub const DEFAULT_GUARD: [&str; 30] = [
    "aws delete-*",
    "aws terminate-*",
    "aws remove-*",
    "aws deregister-*",
    "aws detach-*",
    "aws put-*-policy",
    "aws attach-*-policy",
    "aws update-assume-role-policy",
    "aws s3 rb",
    "aws s3 rm",
    "aws s3 mv",
    "aws s3 sync --delete",
    "aws s3api delete-*",
    "aws iam create-access-key",
    "aws iam update-access-key",
    "aws iam create-login-profile",
    "aws iam update-login-profile",
    "terraform apply",
    "terraform destroy",
    "terraform workspace delete",
    "terraform state rm",
    "tofu apply",
    "tofu destroy",
    "tofu workspace delete",
    "tofu state rm",
    "cdk deploy",
    "cdk destroy",
    "sam deploy",
    "sam delete",
    "pulumi up",
];

/// `swrole_session_policy` of a profile: `readonly` (the AWS managed ReadOnlyAccess of the
/// role's partition), managed policy ARNs (comma-separated, up to 10), or a path to a JSON
/// policy file (`~/` expanded; read before any call).
pub fn session_policy(
    section: &Section,
    paths: &Paths,
    profile: &str,
    role_arn: &str,
    home: Option<&str>,
) -> Result<Option<SessionPolicy>> {
    let Some(v) = section.get("swrole_session_policy") else { return Ok(None) };
    let from = at(paths, v);
    let text = v.text.trim();
    let policy = if text.eq_ignore_ascii_case("readonly") {
        let partition = role_arn.split(':').nth(1).unwrap_or("aws");
        Policy::Arns(vec![format!("arn:{partition}:iam::aws:policy/{READONLY}")])
    } else if text.starts_with("arn:") {
        let arns: Vec<String> = text.split(',').map(|a| a.trim().to_string()).collect();
        if arns.len() > MAX_POLICY_ARNS {
            bail!(
                "{from}: swrole_session_policy of profile {profile:?} names {} policies: STS takes at most {MAX_POLICY_ARNS}",
                arns.len()
            );
        }
        for a in &arns {
            let parts: Vec<&str> = a.splitn(6, ':').collect();
            let ok = parts.len() == 6
                && parts[2] == "iam"
                && (parts[4] == "aws" || crate::credentials::is_account_id(parts[4]))
                && parts[5].starts_with("policy/")
                && (20..=2048).contains(&a.len())
                && a.bytes().all(|b| b.is_ascii_graphic());
            if !ok {
                bail!(
                    "{from}: swrole_session_policy of profile {profile:?}: {:?} is not a managed policy ARN \
                     (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)",
                    crate::text::printable(a)
                );
            }
        }
        Policy::Arns(arns)
    } else if text.is_empty() {
        bail!(
            "{from}: swrole_session_policy of profile {profile:?} is empty: readonly, a policy ARN or a JSON file"
        );
    } else {
        let path = match (text.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => PathBuf::from(text),
        };
        if !path.is_absolute() {
            bail!(
                "{from}: swrole_session_policy of profile {profile:?}: the policy file must be an absolute path (or ~/...)"
            );
        }
        Policy::File(path)
    };
    Ok(Some(SessionPolicy { policy, from }))
}

/// A session policy file: a regular file of at most [`MAX_POLICY_FILE`] bytes, read, then
/// checked by [`check_policy_text`]. `what` names it in errors.
pub fn read_policy_file(path: &Path, what: &str) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{what} cannot be read: {e}"))?;
    if !meta.is_file() || meta.len() > MAX_POLICY_FILE {
        bail!("{what} is not a regular file of at most 64 KiB");
    }
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{what} cannot be read: {e}"))?;
    check_policy_text(&text, what)
}

/// A session policy document, checked as STS would before anything is sent: JSON, an
/// object with `Version` and `Statement`, at most 2,048 characters once minified. Returns
/// the minified text (what is sent).
pub fn check_policy_text(text: &str, what: &str) -> Result<String> {
    let doc: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{what} is not JSON: line {}, column {}", e.line(), e.column()))?;
    let Some(object) = doc.as_object() else { bail!("{what} is not a policy (a JSON object)") };
    for key in ["Version", "Statement"] {
        if !object.contains_key(key) {
            bail!("{what} has no {key:?}: not a policy document");
        }
    }
    let minified = serde_json::to_string(&doc)?;
    let n = minified.chars().count();
    if n > MAX_POLICY_CHARS {
        bail!(
            "{what} is {n} characters even without spaces: STS takes a session policy of at most {MAX_POLICY_CHARS}"
        );
    }
    Ok(minified)
}

/// `swrole_source_identity`: `true` (your IAM user's name), `false`, or a fixed name (2 to
/// 64 of `[A-Za-z0-9_+=,.@-]`, as STS takes it).
pub fn source_identity(section: &Section, paths: &Paths, profile: &str) -> Result<Option<SourceIdentity>> {
    let Some(v) = section.get("swrole_source_identity") else { return Ok(None) };
    let t = v.text.trim();
    if t.eq_ignore_ascii_case("true") {
        return Ok(Some(SourceIdentity::User));
    }
    if t.eq_ignore_ascii_case("false") {
        return Ok(None);
    }
    check_identity(t).map_err(|e| {
        anyhow::anyhow!("{}: swrole_source_identity of profile {profile:?}: {e}", at(paths, v))
    })?;
    Ok(Some(SourceIdentity::Fixed(t.to_string())))
}

/// A SourceIdentity (or session name) STS takes: 2 to 64 of `[A-Za-z0-9_+=,.@-]`.
pub fn check_identity(name: &str) -> Result<()> {
    if !(2..=64).contains(&name.len())
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
    {
        bail!("{:?} is not a source identity (2 to 64 of A-Z a-z 0-9 _+=,.@-)", crate::text::printable(name));
    }
    Ok(())
}

/// The person behind an ARN, as GetCallerIdentity gives it: the IAM user's name
/// (`user/path/NAME`), or the session name of an assumed role or federated user.
pub fn identity_of_arn(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let name = if let Some(user) = resource.strip_prefix("user/") {
        user.rsplit('/').next()?
    } else if let Some(role) = resource.strip_prefix("assumed-role/") {
        role.split('/').nth(1)?
    } else {
        resource.strip_prefix("federated-user/")?
    };
    check_identity(name).ok().map(|_| name.to_string())
}

/// A duration key of swrole's (`swrole_write_duration`, `swrole_idle`): seconds or a human
/// duration (`15m`, `1h`), within `min..=max` seconds.
fn duration_key(
    section: &Section,
    paths: &Paths,
    profile: &str,
    key: &str,
    (min, max): (u32, u32),
) -> Result<Option<u32>> {
    let Some(v) = section.get(key) else { return Ok(None) };
    let t = v.text.trim();
    let secs = t.parse::<u64>().ok().or_else(|| humantime::parse_duration(t).ok().map(|d| d.as_secs()));
    match secs {
        Some(s) if (u64::from(min)..=u64::from(max)).contains(&s) => Ok(Some(s as u32)),
        _ => bail!(
            "{}: {key} of profile {profile:?} is {:?}: a duration from {} to {} (like 900, 15m, 1h)",
            at(paths, v),
            crate::text::printable(t),
            crate::clock::left(i64::from(min)),
            crate::clock::left(i64::from(max))
        ),
    }
}

/// `swrole_write_duration`: the role session length of a write session, within STS's `bounds`.
pub fn write_duration(
    section: &Section,
    paths: &Paths,
    profile: &str,
    bounds: (u32, u32),
) -> Result<Option<u32>> {
    duration_key(section, paths, profile, "swrole_write_duration", bounds)
}

/// The guard of a profile that is guarded (`swrole_confirm = true` or a session policy):
/// its command patterns (`swrole_guard_commands`, comma-separated; `none` for none) and
/// idle limit (`swrole_idle`, 1 minute to 24 hours). `None` for a profile that is not.
pub fn guard(section: &Section, paths: &Paths, profile: &str, guarded: bool) -> Result<Option<Guard>> {
    let commands = match section.get("swrole_guard_commands") {
        None => DEFAULT_GUARD.iter().map(|s| s.to_string()).collect(),
        Some(v) => {
            let list = guard_patterns(&v.text);
            if let Some(bad) = list.iter().find(|p| p.chars().any(char::is_control) || p.len() > 256) {
                bail!(
                    "{}: swrole_guard_commands of profile {profile:?}: {:?} is not a pattern",
                    at(paths, v),
                    crate::text::printable(bad)
                );
            }
            list
        }
    };
    let idle = duration_key(section, paths, profile, "swrole_idle", (60, 86_400))?;
    if !guarded {
        return Ok(None);
    }
    Ok(Some(Guard { commands, idle }))
}

/// The patterns a `swrole_guard_commands` value names: comma- or line-separated, `none` for
/// none (unchecked: [`guard`] holds them to their bounds).
pub fn guard_patterns(text: &str) -> Vec<String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    text.split([',', '\n']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// A reason for write access: one line of 2 to 256 printable characters.
pub fn check_reason(reason: &str) -> Result<String> {
    let r = reason.trim();
    if r.chars().count() < 2 || r.chars().count() > 256 || r.chars().any(char::is_control) {
        bail!("the reason for write access must be one line of 2 to 256 characters");
    }
    Ok(r.to_string())
}

/// A reason as a session tag value: STS takes letters, digits, spaces and `_.:/=+-@`, up
/// to 256 characters; anything else becomes `_`.
pub fn reason_tag(reason: &str) -> String {
    reason
        .chars()
        .map(|c| if c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) { c } else { '_' })
        .take(256)
        .collect()
}

/// The words of a command line, roughly as a shell splits them: quotes removed, a backslash
/// outside single quotes takes the next character as it is (`\terraform` is `terraform`).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => word.extend(chars.next()),
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

/// Words that come before a command and run it: the shell's keywords, and the programs that
/// run the rest of their line (with the options of each that take a value).
const KEYWORDS: [&str; 12] =
    ["if", "then", "elif", "else", "do", "while", "until", "!", "{", "builtin", "noglob", "nocorrect"];
const WRAPPERS: [(&str, &[&str]); 14] = [
    ("command", &[]),
    ("exec", &["-a"]),
    ("sudo", &["-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U", "-D", "-R", "-T"]),
    ("doas", &["-u", "-C"]),
    ("env", &["-u", "-C", "-S", "--unset", "--chdir"]),
    ("time", &["-f", "-o", "--format", "--output"]),
    ("nohup", &[]),
    ("nice", &["-n", "--adjustment"]),
    ("ionice", &["-c", "-n", "-p", "-P", "-u"]),
    ("timeout", &["-s", "-k", "--signal", "--kill-after"]),
    ("stdbuf", &["-i", "-o", "-e"]),
    ("xargs", &["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--max-args"]),
    ("watch", &["-n", "-d", "--interval"]),
    ("caffeinate", &["-t", "-w"]),
];
/// Shells whose `-c TEXT` is a command line of its own.
const SHELLS: [&str; 6] = ["sh", "bash", "zsh", "dash", "ksh", "fish"];

/// The command a command's words run: after `VAR=value` assignments, the shell's keywords
/// and the wrappers (`sudo -u x`, `timeout 5m`, `nice -n 5`, `xargs -0`, ...).
fn program_words(mut w: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while let Some(word) = w.get(i) {
        let assignment = word
            .split_once('=')
            .is_some_and(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if assignment || KEYWORDS.contains(&word.as_str()) {
            i += 1;
            continue;
        }
        let name = word.rsplit('/').next().unwrap_or(word);
        let Some((wrapper, takes_value)) = WRAPPERS.iter().find(|(n, _)| *n == name) else { break };
        i += 1;
        // `-` alone is an option too (`env -` empties the environment, as `env -i` does).
        while let Some(option) = w.get(i).filter(|o| o.starts_with('-')) {
            i += 1;
            if option == "--" {
                break;
            }
            if takes_value.contains(&option.as_str()) {
                i += 1;
            }
        }
        if *wrapper == "timeout" {
            i += 1; // the duration
        }
    }
    w.drain(..i.min(w.len()));
    w
}

/// The commands of a line: split at `;`, `&`, `|`, newlines, parentheses and backquotes
/// outside quotes (a backslash keeps the next character in its command).
fn commands(line: &str) -> Vec<String> {
    let mut commands = vec![String::new()];
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                commands.last_mut().expect("one").push(c);
            }
            (Some('"') | None, '\\') => {
                let last = commands.last_mut().expect("one");
                last.push(c);
                last.extend(chars.next());
            }
            (Some(_), c) => commands.last_mut().expect("one").push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                commands.last_mut().expect("one").push(c);
            }
            (None, ';' | '|' | '&' | '\n' | '(' | ')' | '`') => {
                if matches!(chars.peek(), Some('|' | '&')) {
                    chars.next();
                }
                commands.push(String::new());
            }
            (None, c) => commands.last_mut().expect("one").push(c),
        }
    }
    commands
}

/// The shell's aliases (and fish's abbreviations), from what the integration sends with the
/// line: `alias -p` of bash (`alias tf='terraform'`), `alias` of zsh (`tf=terraform`), `alias`
/// and `abbr --show` of fish (`alias tf 'terraform'`, `abbr -a -- tf terraform`).
pub fn aliases(listing: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in listing.lines() {
        let mut w = words(line);
        let abbr = w.first().is_some_and(|f| f == "abbr");
        if w.first().is_some_and(|f| f == "alias" || f == "abbr") {
            w.remove(0);
        }
        if let Some(dashes) = w.iter().position(|x| x == "--") {
            w.drain(..=dashes);
        } else if abbr {
            w.retain(|x| !x.starts_with('-'));
        }
        match w.as_slice() {
            [one] => {
                if let Some((name, value)) = one.split_once('=') {
                    out.push((name.to_string(), value.to_string()));
                }
            }
            [name, value, ..] => out.push((name.clone(), value.clone())),
            _ => {}
        }
    }
    out
}

/// The pattern that `line` matches, if any: each command of the line (`;`, `&&`, `||`, `|`,
/// newlines, `$(...)`) is checked, after the keywords and wrappers before it; an alias is
/// checked as it is and as it expands; the text given to `eval` and to `bash -c` is a line
/// of its own.
pub fn matching_pattern<'a>(patterns: &'a [String], line: &str) -> Option<&'a str> {
    matching_pattern_with(patterns, line, &[])
}

/// [`matching_pattern`] with the shell's aliases ([`aliases`]).
pub fn matching_pattern_with<'a>(
    patterns: &'a [String],
    line: &str,
    aliases: &[(String, String)],
) -> Option<&'a str> {
    matches(patterns, line, aliases, &mut Vec::new(), 0)
}

fn matches<'a>(
    patterns: &'a [String],
    line: &str,
    aliases: &[(String, String)],
    expanding: &mut Vec<String>,
    depth: usize,
) -> Option<&'a str> {
    if depth > 16 {
        return None;
    }
    for command in commands(line) {
        let w = program_words(words(&command));
        let Some(program) = w.first().map(|p| p.rsplit('/').next().unwrap_or(p).to_string()) else {
            continue;
        };
        for pattern in patterns {
            let mut p = pattern.split_whitespace();
            let Some(first) = p.next() else { continue };
            if !word_matches(first, &program) {
                continue;
            }
            let mut rest = w[1..].iter();
            if p.filter(|pw| *pw != "*").all(|pw| rest.any(|cw| word_matches(pw, cw))) {
                return Some(pattern);
            }
        }
        // What runs the rest of the line as a line: eval's words, a shell's -c text, an alias.
        let inner = if program == "eval" {
            Some(w[1..].join(" "))
        } else if SHELLS.contains(&program.as_str()) {
            let c =
                w.iter().skip(1).position(|o| o.starts_with('-') && !o.starts_with("--") && o.contains('c'));
            c.and_then(|c| w.get(c + 2)).cloned()
        } else if let Some((name, value)) = aliases.iter().find(|(n, _)| *n == w[0] && !expanding.contains(n))
        {
            expanding.push(name.clone());
            let rest: Vec<String> =
                w[1..].iter().map(|x| format!("'{}'", x.replace('\'', "'\\''"))).collect();
            let found =
                matches(patterns, &format!("{value} {}", rest.join(" ")), aliases, expanding, depth + 1);
            expanding.pop();
            if found.is_some() {
                return found;
            }
            None
        } else {
            None
        };
        if let Some(found) = inner.and_then(|text| matches(patterns, &text, aliases, expanding, depth + 1)) {
            return Some(found);
        }
    }
    None
}

/// `*` anywhere in a word pattern matches any text.
fn word_matches(pattern: &str, word: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == word;
    }
    let mut rest = word;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        DEFAULT_GUARD.iter().map(|s| s.to_string()).collect()
    }

    /// A policy file is read up to 64 KiB (a pretty-printed one of a few KiB is fine, its
    /// minified form is what STS counts); a byte more is refused, as is a directory.
    #[test]
    fn policy_files_are_read_up_to_64_kib() {
        let dir = tempfile::tempdir().unwrap();
        let statement = r#"{"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}"#;
        let pretty = format!(
            "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n{}\n  ]\n}}\n",
            [statement; 10].join(",\n")
        );
        let padded = format!("{pretty}{}", " ".repeat(3000));
        let file = dir.path().join("p.json");
        std::fs::write(&file, &padded).unwrap();
        let minified = read_policy_file(&file, "p").unwrap();
        assert!(padded.len() > 3000 && minified.len() < MAX_POLICY_CHARS);
        let at_the_limit = format!("{pretty}{}", " ".repeat(MAX_POLICY_FILE as usize - pretty.len()));
        std::fs::write(&file, &at_the_limit).unwrap();
        assert_eq!(read_policy_file(&file, "p").unwrap(), minified, "exactly 64 KiB is read");
        std::fs::write(&file, format!("{at_the_limit} ")).unwrap();
        let e = read_policy_file(&file, "the policy p").unwrap_err().to_string();
        assert_eq!(e, "the policy p is not a regular file of at most 64 KiB");
        assert!(read_policy_file(dir.path(), "d").unwrap_err().to_string().contains("not a regular file"));
        assert!(
            read_policy_file(&dir.path().join("none"), "n")
                .unwrap_err()
                .to_string()
                .contains("cannot be read")
        );
    }

    #[test]
    fn guard_patterns() {
        let d = defaults();
        for line in [
            "aws s3 rb s3://bucket --force",
            "PAGER= aws --region eu-west-1 ec2 terminate-instances --instance-ids i-1",
            "terraform -chdir=prod apply",
            "cd infra && terraform apply -auto-approve",
            "/usr/local/bin/aws iam put-role-policy --role-name x",
            "sudo aws ec2 delete-vpc --vpc-id v",
            "echo ok; cdk deploy",
            "aws s3api delete-bucket --bucket b",
        ] {
            assert!(matching_pattern(&d, line).is_some(), "{line}");
        }
        for line in [
            "aws s3 ls",
            "aws ec2 describe-instances",
            "terraform plan",
            "echo terraform apply",
            "grep 'aws s3 rb' notes.txt",
            "aws iam get-role-policy --role-name x",
            "",
        ] {
            assert_eq!(matching_pattern(&d, line), None, "{line}");
        }
        // Quotes: removed from words, and a separator inside them separates nothing.
        for line in [
            "aws \"s3\" 'rb' s3://b",
            "A=1 B=2 aws s3 rb s3://b",
            "echo 'x' && terraform apply",
            "time aws s3 rb b",
        ] {
            assert!(matching_pattern(&d, line).is_some(), "{line}");
        }
        for line in [
            "echo \"a; terraform apply\"",
            "echo 'x | aws s3 rb b'",
            "=x aws s3 rb b",
            "aws 's3 rb' b",
            "'terraform apply'",
        ] {
            assert_eq!(matching_pattern(&d, line), None, "{line}");
        }
        // A pasted block: a newline ends a command as `;` does.
        for line in ["echo ok\nterraform apply", "cd infra\n  aws s3 rb s3://b", "true\r\nterraform apply"] {
            assert!(matching_pattern(&d, line).is_some(), "{line:?}");
        }
        assert_eq!(matching_pattern(&d, "echo 'a\nterraform apply'"), None, "inside quotes it is text");
        assert!(word_matches("a*b*c", "aXbYc") && word_matches("a*bb*c", "abbc"));
        assert!(!word_matches("a*bb*c", "abXbc") && !word_matches("a*c", "ab"));
        // The last part must end the word; a middle part is used up where it is found.
        assert!(!word_matches("a*c", "acX") && !word_matches("a*b*b", "aXb"));
        assert!(matching_pattern(&d, "MY_VAR=1 aws s3 rb b").is_some());
        assert!(word_matches("put-*-policy", "put-bucket-policy"));
        assert!(!word_matches("put-*-policy", "put-object"));
        assert!(word_matches("delete-*", "delete-"));
    }

    /// Keywords, wrappers, escapes, `eval`, `bash -c` and aliases do not hide a command; the
    /// verbs that move, sync away or hand out keys are asked too.
    #[test]
    fn guard_sees_through_what_runs_a_command() {
        let d = defaults();
        for line in [
            "if true; then terraform apply; fi",
            "! terraform apply",
            "{ terraform apply; }",
            "while true; do aws s3 rm s3://b/k; done",
            "\\terraform apply",
            "te\\rraform apply",
            "timeout 5m terraform apply",
            "timeout -s KILL 5m terraform apply",
            "nice -n 10 terraform apply",
            "nohup terraform destroy &",
            "sudo -u deploy -E terraform apply",
            "env -u X A=1 terraform apply",
            "env - terraform apply",
            "sudo -- terraform apply",
            "ls | xargs -n 1 aws s3 rm",
            "eval terraform apply",
            "eval \"terraform apply\"",
            "bash -c 'cd x && terraform apply'",
            "/bin/sh -ec \"terraform destroy\"",
            "echo $(terraform apply)",
            "aws s3 mv s3://a/k s3://b/k",
            "aws s3 sync . s3://b --delete",
            "aws iam create-access-key --user-name u",
            "terraform workspace delete prod",
            "tofu state rm aws_s3_bucket.b",
        ] {
            assert!(matching_pattern(&d, line).is_some(), "{line}");
        }
        for line in [
            "aws s3 sync . s3://b",
            "echo \\; terraform apply",
            "bash -c 'terraform plan'",
            // bash runs a script of that name: only -c (alone or in a cluster) takes a line.
            "bash -x 'terraform apply'",
            "bash --rcfile x 'terraform apply'",
            "eval echo terraform apply",
            "timeout 5m terraform plan",
        ] {
            assert_eq!(matching_pattern(&d, line), None, "{line}");
        }
        // Aliases as bash, zsh and fish list them, also an alias of an alias, and one that
        // names itself; a line that uses none is unchanged.
        let a = aliases(
            "alias tf='terraform'\nalias deploy='cd infra && tf apply'\nk=kubectl\nalias x 'sudo '\n\
             abbr -a -- tfd terraform\\ destroy\nalias terraform='terraform -chdir=prod'\nalias q='it'\\''s'\n",
        );
        assert_eq!(a[0], ("tf".to_string(), "terraform".to_string()));
        assert_eq!(a[2], ("k".to_string(), "kubectl".to_string()));
        assert_eq!(a[4], ("tfd".to_string(), "terraform destroy".to_string()));
        assert_eq!(a[6], ("q".to_string(), "it's".to_string()));
        for line in
            ["tf apply", "deploy", "x tf apply", "tfd", "terraform apply", "cd x; tf destroy -auto-approve"]
        {
            assert!(matching_pattern_with(&d, line, &a).is_some(), "{line}");
            assert!(
                line.starts_with("terraform") || matching_pattern(&d, line).is_none(),
                "{line}: the alias does it"
            );
        }
        for line in ["tf plan", "k delete pod x", "echo tf apply", "q"] {
            assert_eq!(matching_pattern_with(&d, line, &a), None, "{line}");
        }
        // A loop of aliases ends.
        let a = aliases("alias a='b apply'\nalias b='a'\n");
        assert_eq!(matching_pattern_with(&d, "a", &a), None);
        // fish's abbreviations without `--`: the options go, the name and the text stay.
        assert_eq!(
            aliases("abbr -a tfd 'terraform destroy'"),
            [("tfd".to_string(), "terraform destroy".to_string())]
        );
        assert_eq!(aliases("abbr --add -g tfd terraform"), [("tfd".to_string(), "terraform".to_string())]);
        // Nesting is followed 16 levels deep (alias in alias, eval in eval), no deeper.
        let chain = |n: usize| -> Vec<(String, String)> {
            (1..=n)
                .map(|i| (format!("a{i}"), if i == n { "terraform".into() } else { format!("a{}", i + 1) }))
                .collect()
        };
        assert!(matching_pattern_with(&d, "a1 apply", &chain(16)).is_some(), "16 aliases deep");
        assert_eq!(matching_pattern_with(&d, "a1 apply", &chain(17)), None, "17: past the bound");
        let evals = |n: usize| format!("{}terraform apply", "eval ".repeat(n));
        assert!(matching_pattern(&d, &evals(16)).is_some(), "16 evals deep");
        assert_eq!(matching_pattern(&d, &evals(17)), None, "17: past the bound");
    }

    /// The profile `p` of a config text, and the paths that name it `/c`.
    fn with_profile<T>(keys: &str, f: impl FnOnce(&Section, &Paths) -> T) -> T {
        let paths = Paths { config: "/c".into(), credentials: "/k".into() };
        let set = crate::config::ProfileSet::from_texts(&format!("[profile p]\n{keys}"), "", &paths).unwrap();
        f(set.profile("p").unwrap(), &paths)
    }

    fn policy(keys: &str) -> Result<Option<SessionPolicy>> {
        with_profile(keys, |s, p| {
            session_policy(s, p, "p", "arn:aws-cn:iam::111111111111:role/r", Some("/home/u"))
        })
    }

    #[test]
    fn session_policy_values() {
        assert_eq!(policy("").unwrap(), None);
        let ro = policy("swrole_session_policy = ReadOnly\n").unwrap().unwrap();
        assert_eq!(ro.policy, Policy::Arns(vec!["arn:aws-cn:iam::aws:policy/ReadOnlyAccess".into()]));
        assert_eq!(ro.from, "/c:2");
        let two = policy(
            "swrole_session_policy = arn:aws:iam::aws:policy/A, arn:aws:iam::123456789012:policy/team/B\n",
        );
        assert_eq!(
            two.unwrap().unwrap().policy,
            Policy::Arns(vec![
                "arn:aws:iam::aws:policy/A".into(),
                "arn:aws:iam::123456789012:policy/team/B".into()
            ])
        );
        let ten: Vec<String> = (0..10).map(|i| format!("arn:aws:iam::aws:policy/P{i}")).collect();
        assert!(policy(&format!("swrole_session_policy = {}\n", ten.join(","))).is_ok());
        let eleven = format!("swrole_session_policy = {},arn:aws:iam::aws:policy/Z\n", ten.join(","));
        assert!(policy(&eleven).unwrap_err().to_string().contains("names 11 policies: STS takes at most 10"));
        for bad in [
            "arn:aws:iam::aws:role/A",
            "arn:aws:s3:::aws:policy/A",
            "arn:aws:iam::12345:policy/A",
            "arn:aws:iam::aws:policy/A B",
            "arn:aws:iam::aws:policy",
        ] {
            let e = policy(&format!("swrole_session_policy = {bad}\n")).unwrap_err().to_string();
            assert!(
                e.starts_with("/c:2: swrole_session_policy of profile \"p\"")
                    && e.contains("not a managed policy ARN"),
                "{bad}: {e}"
            );
        }
        assert_eq!(
            policy("swrole_session_policy = ~/p.json\n").unwrap().unwrap().policy,
            Policy::File("/home/u/p.json".into())
        );
        assert_eq!(
            policy("swrole_session_policy = /etc/p.json\n").unwrap().unwrap().policy,
            Policy::File("/etc/p.json".into())
        );
        assert!(
            policy("swrole_session_policy = p.json\n")
                .unwrap_err()
                .to_string()
                .contains("must be an absolute path")
        );
        assert!(policy("swrole_session_policy =\n").unwrap_err().to_string().contains("is empty"));
    }

    #[test]
    fn identity_guard_and_durations() {
        let id = |keys: &str| with_profile(keys, |s, p| source_identity(s, p, "p"));
        assert_eq!(id("").unwrap(), None);
        assert_eq!(id("swrole_source_identity = TRUE\n").unwrap(), Some(SourceIdentity::User));
        assert_eq!(id("swrole_source_identity = false\n").unwrap(), None);
        assert_eq!(
            id("swrole_source_identity = ann.b@x\n").unwrap(),
            Some(SourceIdentity::Fixed("ann.b@x".into()))
        );
        assert!(
            id("swrole_source_identity = a\n")
                .unwrap_err()
                .to_string()
                .starts_with("/c:2: swrole_source_identity")
        );
        assert!(check_identity(&"a".repeat(64)).is_ok() && check_identity(&"a".repeat(65)).is_err());
        assert!(check_identity("ab").is_ok() && check_identity("a b").is_err());
        let guard_of = |keys: &str, guarded: bool| with_profile(keys, |s, p| guard(s, p, "p", guarded));
        assert_eq!(guard_of("", false).unwrap(), None);
        let g = guard_of("", true).unwrap().unwrap();
        assert_eq!((g.commands.len(), g.idle), (DEFAULT_GUARD.len(), None));
        let g = guard_of("swrole_guard_commands = kubectl delete, helm uninstall\nswrole_idle = 15m\n", true)
            .unwrap()
            .unwrap();
        assert_eq!(g.commands, ["kubectl delete", "helm uninstall"]);
        assert_eq!(g.idle, Some(900));
        assert!(guard_of("swrole_guard_commands = NONE\n", true).unwrap().unwrap().commands.is_empty());
        let long = |n: usize| format!("swrole_guard_commands = a {}\n", "b".repeat(n - 2));
        assert_eq!(guard_of(&long(256), true).unwrap().unwrap().commands[0].len(), 256);
        assert!(guard_of(&long(257), true).unwrap_err().to_string().contains("is not a pattern"));
        assert!(guard_of("swrole_guard_commands = a\u{7}b\n", true).is_err());
        assert_eq!(guard_of("swrole_idle = 60\n", true).unwrap().unwrap().idle, Some(60));
        assert_eq!(guard_of("swrole_idle = 24h\n", true).unwrap().unwrap().idle, Some(86_400));
        for bad in ["59", "24h1s", "soon"] {
            let e = guard_of(&format!("swrole_idle = {bad}\n"), true).unwrap_err().to_string();
            assert!(
                e.starts_with("/c:2: swrole_idle of profile \"p\"") && e.contains("from 1m to 24h00m"),
                "{bad}: {e}"
            );
        }
        let wd = |keys: &str| with_profile(keys, |s, p| write_duration(s, p, "p", (900, 43_200)));
        assert_eq!(wd("swrole_write_duration = 900\n").unwrap(), Some(900));
        assert_eq!(wd("swrole_write_duration = 12h\n").unwrap(), Some(43_200));
        assert!(
            wd("swrole_write_duration = 899\n").is_err() && wd("swrole_write_duration = 43201\n").is_err()
        );
        assert_eq!(wd("").unwrap(), None);
        assert_eq!(Access::ReadOnly.word(), "ro");
        assert_eq!(Access::Write.word(), "rw");
    }

    #[test]
    fn identities_policies_reasons() {
        assert_eq!(identity_of_arn("arn:aws:iam::123456789012:user/dev/ann").as_deref(), Some("ann"));
        assert_eq!(
            identity_of_arn("arn:aws:sts::1:assumed-role/R/ann@example.com").as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(identity_of_arn("arn:aws:iam::1:root"), None);
        assert!(check_policy_text(r#"{"Version":"2012-10-17","Statement":[]}"#, "p").is_ok());
        assert_eq!(
            check_policy_text("{ \"Version\" : \"2012-10-17\",\n \"Statement\": [ ] }", "p").unwrap(),
            r#"{"Statement":[],"Version":"2012-10-17"}"#
        );
        assert!(check_policy_text("[]", "p").unwrap_err().to_string().contains("not a policy"));
        assert!(
            check_policy_text("{\"Version\":1", "p").unwrap_err().to_string().contains("not JSON: line 1")
        );
        let big = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}"}}]}}"#, "x".repeat(2048));
        assert!(
            check_policy_text(&big, "p")
                .unwrap_err()
                .to_string()
                .contains("STS takes a session policy of at most 2048")
        );
        assert_eq!(reason_tag("INC-42: fix \"prod\"\n"), "INC-42: fix _prod__");
        assert!(check_reason(" x ").is_err());
        assert_eq!(check_reason("ab").unwrap(), "ab");
        assert!(check_reason(&"é".repeat(256)).is_ok() && check_reason(&"é".repeat(257)).is_err());
        assert!(check_reason("a\tb").is_err());
        let exact = format!(r#"{{"Version":"2012-10-17","Statement":"{}"}}"#, "x".repeat(2048 - 39));
        assert_eq!(exact.chars().count(), 2048);
        assert!(check_policy_text(&exact, "p").is_ok());
        let over = exact.replacen('x', "xy", 1);
        assert!(check_policy_text(&over, "p").is_err());
        assert_eq!(check_reason(" deploy hotfix ").unwrap(), "deploy hotfix");
    }
}
