//! Team files (`swrole-team.ini`) and the block of `~/.aws/config` that swrole owns for each
//! team: the file parsed and checked with its line numbers, rendered for one person
//! (placeholders, an optional name prefix), and merged into the config text so that every
//! byte outside the block stays as it was. Pure: text in, text out (docs/team.md).

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

use crate::config::parse::{self, RawSection};

/// The name of the team file in a directory or repository.
pub const FILE_NAME: &str = "swrole-team.ini";
/// Team files are a few KiB; a larger one is not a team file.
pub const MAX_BYTES: usize = 256 * 1024;
/// The only version of the format this swrole knows.
pub const VERSION: u32 = 1;
/// The placeholders a team file may use.
pub const PLACEHOLDERS: [&str; 2] = ["user", "source_profile"];

/// Keys a team file may not hold: they are one person's secrets, and a team file is shared.
const SECRET_KEYS: [&str; 3] = ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"];

/// What a team file may do with a key (docs/team.md, "What a team file may set"). The
/// author of a team file is not the member: what the file writes is configuration that
/// swrole, the AWS CLI and every SDK obey, so a key that chooses where secrets go, what
/// runs, or what is trusted is the member's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRule {
    /// Any team file may set it.
    Free,
    /// Only when the member passes `--allow KEY` (which `--yes` does not give): what it does.
    OptIn(&'static str),
    /// Never: why.
    Never(&'static str),
}

/// The rule for `key` in a team section of `kind` (a `[services]` section as a whole is
/// `services`, an opt-in).
pub fn key_rule(kind: Kind, key: &str) -> KeyRule {
    if SECRET_KEYS.contains(&key) {
        return KeyRule::Never("keys are each person's own and never shared (swrole keys add)");
    }
    if kind != Kind::Profile {
        return KeyRule::Free;
    }
    match key {
        "swrole_key_store" => {
            KeyRule::Never("where your keys are kept is your own (swrole setup records it)")
        }
        "login_session" => KeyRule::Never(
            "an aws login session is one person's sign-in: a team profile naming one would use yours",
        ),
        "credential_source" => KeyRule::Never(
            "it takes credentials from the environment (your shell's own keys, the active role's \
             included) or from whatever instance endpoint the environment names",
        ),
        "web_identity_token_file" => {
            KeyRule::Never("it reads a token from a file of the team's choosing and sends it to STS")
        }
        "endpoint_url" | "services" => KeyRule::OptIn(
            "it chooses where every request of the profile goes, with your credentials, MFA codes \
             and sign-in tokens",
        ),
        "ca_bundle" => KeyRule::OptIn("it chooses which certificate authorities the profile trusts"),
        "credential_process" => KeyRule::OptIn("it runs a command as you, at every switch"),
        "mfa_process" => KeyRule::OptIn("it runs a command as you, whenever an MFA code is needed"),
        _ => KeyRule::Free,
    }
}

/// The keys that can be allowed with `--allow`.
pub const OPT_IN_KEYS: [&str; 5] =
    ["endpoint_url", "services", "ca_bundle", "credential_process", "mfa_process"];

/// A value a team file may not give, whatever the member allows.
fn check_value(id: &Id, p: &crate::config::parse::RawProperty) -> Result<(), String> {
    match p.key.as_str() {
        "ca_bundle" if !(p.value.starts_with('/') || p.value.starts_with("~/")) => Err(format!(
            "ca_bundle {:?} in [{id}] is a relative path, which names another file in every directory: \
             a team file gives an absolute path (or ~/...)",
            crate::text::printable(&p.value)
        )),
        "swrole_source_identity"
            if !(p.value.eq_ignore_ascii_case("true") || p.value.eq_ignore_ascii_case("false")) =>
        {
            Err(format!(
                "swrole_source_identity = {:?} in [{id}] would mark every member's sessions with one \
                 name: a team file gives true (each member's own IAM user name) or false",
                crate::text::printable(&p.value)
            ))
        }
        _ => Ok(()),
    }
}

/// A line of a team file that swrole and botocore (the AWS CLI, boto3) would read
/// differently, or that would pass for one of the lines swrole writes around a block:
/// refused, with the reason. Checked on every line before the file is parsed.
fn check_line(line: &str) -> Result<(), String> {
    use crate::config::botocore::is_python_space;
    if let Some(c) = line.chars().find(|c| is_python_space(*c) && !matches!(c, ' ' | '\t')) {
        return Err(format!(
            "a Unicode space (U+{:04X}): the AWS CLI and boto3 read it as a space, swrole's parser (the \
             AWS grammar) does not, so the two would read this line differently",
            u32::from(c)
        ));
    }
    let indented = line.starts_with([' ', '\t']);
    let trimmed = line.trim_matches([' ', '\t']);
    if trimmed.is_empty() {
        return Ok(());
    }
    if let Some(comment) = trimmed.strip_prefix(['#', ';']) {
        if indented {
            return Err("an indented comment: a comment for the AWS CLI, part of the value above for \
                        swrole (put comments at the start of the line)"
                .into());
        }
        let body = comment.trim_start_matches(['#', ';', ' ', '\t']).to_ascii_lowercase();
        if body.starts_with("swrole ") || body.starts_with("swrole:") || body == "swrole" {
            return Err("a comment that begins with \"swrole\" passes for the lines swrole writes around \
                        a team's block"
                .into());
        }
        return Ok(());
    }
    if let Some(after_bracket) = trimmed.strip_prefix('[') {
        if indented {
            return Err("an indented line that begins with [: the AWS CLI and the block's reader take it \
                        for a section header"
                .into());
        }
        let inner = after_bracket.split(']').next().unwrap_or("");
        let rest = after_bracket.split_once(']').map_or("", |(_, r)| r).trim_matches([' ', '\t']);
        if inner.starts_with([' ', '\t']) || inner.ends_with([' ', '\t']) {
            return Err("spaces inside the brackets: the AWS CLI keeps them in the section's name".into());
        }
        if !(rest.is_empty() || rest.starts_with(['#', ';']) && !rest.contains(']')) {
            return Err("text after the section header's ] (only a comment may follow)".into());
        }
        return Ok(());
    }
    if indented {
        return Ok(());
    }
    // A property: its name as botocore splits it (at the first `=` or `:`) must be swrole's.
    let name = line.split('=').next().unwrap_or(line);
    if name.contains(':') {
        return Err("a : before the first =: the AWS CLI splits the line at the :, swrole at the =".into());
    }
    let name = name.trim_matches([' ', '\t']);
    if !name.is_empty() && !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(format!(
            "{:?} is not a property name (letters, digits and _-.)",
            crate::text::printable(name)
        ));
    }
    Ok(())
}

/// What kind of section of the config file a team section is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Profile,
    SsoSession,
    Services,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Profile => "profile",
            Kind::SsoSession => "sso-session",
            Kind::Services => "services",
        }
    }

    /// The key whose value names a section of this kind (`source_profile = NAME`).
    fn referenced_by(self) -> &'static str {
        match self {
            Kind::Profile => "source_profile",
            Kind::SsoSession => "sso_session",
            Kind::Services => "services",
        }
    }
}

/// A section as the config file knows it: `profile sw-staging`, `sso-session corp`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Id {
    pub kind: Kind,
    pub name: String,
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind.word(), self.name)
    }
}

/// The section a header of the config file names (`[default]` is the profile `default`).
pub fn section_id(header: &str) -> Option<Id> {
    if header == "default" {
        return Some(Id { kind: Kind::Profile, name: "default".into() });
    }
    let (word, name) = header.split_once([' ', '\t'])?;
    let kind = match word {
        "profile" => Kind::Profile,
        "sso-session" => Kind::SsoSession,
        "services" => Kind::Services,
        _ => return None,
    };
    Some(Id { kind, name: name.trim_matches([' ', '\t']).to_string() })
}

/// A parsed, checked team file.
#[derive(Clone, Debug)]
pub struct TeamFile {
    pub name: String,
    pub version: u32,
    /// Where it was read, for messages (`/path/swrole-team.ini`, `git+https://...#ref`).
    pub origin: String,
    lines: Vec<String>,
    sections: Vec<(Id, RawSection)>,
}

/// One person's values for the placeholders, and the prefix for the section names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub user: Option<String>,
    pub source_profile: String,
    pub prefix: String,
}

/// A team section rendered for one person: its id in the config file (prefixed), the name
/// in the team file, and its lines (no line endings, no trailing blank lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub id: Id,
    pub team_name: String,
    pub lines: Vec<String>,
}

/// A team name: what the block's marker lines carry.
pub fn check_team_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        bail!("{name:?} is not a team name (1 to 64 letters, digits and -_.)");
    }
    Ok(())
}

/// `--user`: what IAM allows in a user or MFA device name (letters, digits and `+=,.@_-`,
/// up to 128), so that it can never end a value, start a comment or a section.
pub fn check_user(user: &str) -> Result<()> {
    if user.is_empty()
        || user.len() > 128
        || !user.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
    {
        bail!("{user:?} is not a user name (1 to 128 letters, digits and +=,.@_-, as IAM allows)");
    }
    Ok(())
}

/// Text that goes into a comment line of the block (a source, a prefix): one line, printable.
pub fn check_comment_text(what: &str, text: &str) -> Result<()> {
    if text.chars().any(|c| c.is_control()) || text.len() > 1024 {
        bail!("the {what} {:?} holds control characters or is over 1 KiB", crate::text::printable(text));
    }
    Ok(())
}

/// `origin:line`, for messages.
fn place(origin: &str, line: usize) -> String {
    format!("{}:{line}", crate::text::printable(origin))
}

/// A section of a team file other than `[swrole-team]`: what it is in the config (never the
/// profile default, only profiles, sessions and services with valid names), and none of its
/// keys one a team file may never set, nor a value it may never give.
fn team_section(s: &RawSection, origin: &str) -> Result<Id> {
    let at = |line: usize| place(origin, line);
    let id = match section_id(&s.header) {
        Some(id) if id.name == "default" => {
            bail!("{}: a team file cannot define the profile default (it is each person's own)", at(s.line))
        }
        Some(id) if crate::config::is_identifier(&id.name) => id,
        _ => bail!(
            "{}: [{}] is not a section a team file can hold ([profile NAME], [sso-session NAME], \
             [services NAME])",
            at(s.line),
            crate::text::printable(&s.header)
        ),
    };
    for p in &s.properties {
        if let KeyRule::Never(why) = key_rule(id.kind, &p.key) {
            bail!("{}: {} in a team file: {why}", at(p.line), crate::text::printable(&p.key));
        }
        check_value(&id, p).map_err(|why| anyhow::anyhow!("{}: {why}", at(p.line)))?;
    }
    Ok(id)
}

/// The `[swrole-team]` section: its name and version (this swrole's or older), no other key.
fn read_header(header: &RawSection, origin: &str) -> Result<(String, u32)> {
    let at = |line: usize| place(origin, line);
    let (mut name, mut version) = (None, None);
    for p in &header.properties {
        match p.key.as_str() {
            "name" => name = Some(p),
            "version" => version = Some(p),
            "description" => {}
            other => bail!(
                "{}: unknown key {:?} in [swrole-team] (name, version, description)",
                at(p.line),
                crate::text::printable(other)
            ),
        }
    }
    let Some(name) = name else { bail!("{}: [swrole-team] has no name =", at(header.line)) };
    check_team_name(&name.value).map_err(|e| anyhow::anyhow!("{}: {e}", at(name.line)))?;
    let Some(version) = version else { bail!("{}: [swrole-team] has no version =", at(header.line)) };
    let number: u32 = match version.value.parse() {
        Ok(v) if v >= 1 => v,
        _ => bail!("{}: version {:?} is not a number from 1", at(version.line), version.value),
    };
    if number > VERSION {
        bail!(
            "{}: the team file is version {number}, newer than this swrole reads ({VERSION}): upgrade swrole",
            at(version.line)
        );
    }
    Ok((name.value.clone(), number))
}

/// A team profile signs in only through the team's own sessions: one that names a session
/// the file does not define would use the member's own sign-in.
fn check_sessions(sections: &[(Id, RawSection)], origin: &str) -> Result<()> {
    for (id, s) in sections {
        let Some(p) = s.properties.iter().find(|p| p.key == "sso_session") else { continue };
        let own = sections.iter().any(|(o, _)| o.kind == Kind::SsoSession && o.name == p.value);
        if !own {
            bail!(
                "{}: [{id}] names [sso-session {}], which the team file does not define: a team \
                 profile signs in only through the team's own sessions (yours stay yours)",
                place(origin, p.line),
                crate::text::printable(&p.value)
            );
        }
    }
    Ok(())
}

impl TeamFile {
    /// Parse and check a team file: the grammar of the AWS files, a `[swrole-team]` section
    /// with `name` and `version`, only profile, sso-session and services sections besides,
    /// no secret keys, no placeholder but the known ones. Errors name `origin:line`.
    pub fn parse(text: &str, origin: &str) -> Result<TeamFile> {
        let at = |line: usize| place(origin, line);
        if text.len() > MAX_BYTES {
            bail!("{}: over {} KiB: not a team file", crate::text::printable(origin), MAX_BYTES / 1024);
        }
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.chars().any(|c| c.is_control() && c != '\t') {
                bail!("{}: control characters are not allowed in a team file", at(i + 1));
            }
            check_line(line).map_err(|why| anyhow::anyhow!("{}: {why}", at(i + 1)))?;
        }
        let raw = parse::parse(text).map_err(|e| anyhow::anyhow!("{}: {}", at(e.line), e.message))?;
        let mut header: Option<&RawSection> = None;
        let mut sections: Vec<(Id, RawSection)> = Vec::new();
        for s in &raw {
            if s.header == "swrole-team" {
                if let Some(first) = header {
                    bail!(
                        "{}: a second [swrole-team] section (the first is at line {})",
                        at(s.line),
                        first.line
                    );
                }
                header = Some(s);
                continue;
            }
            let id = team_section(s, origin)?;
            if let Some((_, first)) = sections.iter().find(|(other, _)| *other == id) {
                bail!("{}: [{}] is already defined at line {}", at(s.line), s.header, first.line);
            }
            sections.push((id, s.clone()));
        }
        let Some(header) = header else {
            bail!("{}: no [swrole-team] section (with name = and version =): not a team file", at(1));
        };
        let (name, version) = read_header(header, origin)?;
        if sections.is_empty() {
            bail!("{}: the team file defines no profile", crate::text::printable(origin));
        }
        check_sessions(&sections, origin)?;
        let lines: Vec<String> = text.lines().map(|l| l.trim_end_matches('\r').to_string()).collect();
        for (i, line) in lines.iter().enumerate() {
            for (placeholder, _) in placeholders(line) {
                if !PLACEHOLDERS.contains(&placeholder.as_str()) {
                    bail!(
                        "{}: unknown placeholder {{{{{}}}}} (known: {{{{user}}}}, {{{{source_profile}}}})",
                        at(i + 1),
                        crate::text::printable(&placeholder)
                    );
                }
            }
        }
        Ok(TeamFile { name, version, origin: origin.to_string(), lines, sections })
    }

    /// The placeholders the sections use, each with the first line that uses it.
    pub fn uses(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (_, s) in &self.sections {
            for line in self.section_lines(s) {
                for (name, _) in placeholders(&self.lines[line - 1]) {
                    out.entry(name).or_insert(line);
                }
            }
        }
        out
    }

    /// `{{user}}` as the member's own config already gives it: for a team profile line
    /// `KEY = ...{{user}}...` (no other placeholder), the same key of the member's profile of
    /// that name (with `prefix`), read as that text with the user in it. The first that
    /// gives a name IAM allows, and the value it came from.
    pub fn user_from(
        &self,
        set: &crate::config::ProfileSet,
        prefix: &str,
    ) -> Option<(String, crate::config::Value)> {
        for (id, s) in self.sections.iter().filter(|(id, _)| id.kind == Kind::Profile) {
            let Some(mine) = set.profile(&format!("{prefix}{}", id.name)) else { continue };
            for p in &s.properties {
                let marks = placeholders(&p.value);
                let [(name, range)] = marks.as_slice() else { continue };
                if name != "user" || !crate::config::KEYS.contains(&p.key.as_str()) {
                    continue;
                }
                let Some(v) = mine.get(&p.key) else { continue };
                let (before, after) = (&p.value[..range.start], &p.value[range.end..]);
                let user = v.text.strip_prefix(before).and_then(|rest| rest.strip_suffix(after));
                if let Some(user) = user.filter(|u| check_user(u).is_ok()) {
                    return Some((user.to_string(), v.clone()));
                }
            }
        }
        None
    }

    /// The names of the team's profiles (as in the team file).
    pub fn profiles(&self) -> Vec<&str> {
        self.sections
            .iter()
            .filter(|(id, _)| id.kind == Kind::Profile)
            .map(|(id, _)| id.name.as_str())
            .collect()
    }

    /// The 1-based lines of a section: its header to the line before the next section.
    fn section_lines(&self, s: &RawSection) -> std::ops::RangeInclusive<usize> {
        let next = self.all_headers().into_iter().find(|&l| l > s.line).unwrap_or(self.lines.len() + 1);
        s.line..=next - 1
    }

    fn all_headers(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.sections.iter().map(|(_, s)| s.line).collect();
        if let Some(h) = self.header_line() {
            v.push(h);
        }
        v.sort_unstable();
        v
    }

    fn header_line(&self) -> Option<usize> {
        self.lines.iter().position(|l| l.trim_matches([' ', '\t']).starts_with("[swrole-team")).map(|i| i + 1)
    }

    /// Every section rendered for one person: placeholders filled, names prefixed (and the
    /// references between the team's own sections with them), trailing blank lines dropped.
    /// A placeholder without a value is an error naming it and its line.
    pub fn render(&self, params: &Params) -> Result<Vec<Rendered>> {
        if let Some(user) = &params.user {
            check_user(user)?;
        }
        if !crate::config::is_identifier(&params.source_profile) {
            bail!("{:?} is not a profile name for --source-profile", params.source_profile);
        }
        if !params.prefix.is_empty() && !crate::config::is_identifier(&params.prefix) {
            bail!("{:?} is not a prefix for profile names (letters, digits and _-/.%@:+)", params.prefix);
        }
        let values: BTreeMap<&str, &str> =
            [("user", params.user.as_deref()), ("source_profile", Some(params.source_profile.as_str()))]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
        let team_names: Vec<&Id> = self.sections.iter().map(|(id, _)| id).collect();
        let prefixed = |id: &Id| Id { kind: id.kind, name: format!("{}{}", params.prefix, id.name) };
        let mut out = Vec::new();
        for (id, s) in &self.sections {
            let new_id = prefixed(id);
            let mut lines = Vec::new();
            for n in self.section_lines(s) {
                let raw = &self.lines[n - 1];
                let mut line = if n == s.line {
                    format!("[{new_id}]")
                } else if let Some(p) = s.properties.iter().find(|p| p.line == n) {
                    // A reference to another of the team's sections follows its new name.
                    match team_names.iter().find(|t| {
                        t.kind.referenced_by() == p.key && t.name == p.value && !params.prefix.is_empty()
                    }) {
                        Some(target) => format!("{} = {}", p.key, prefixed(target).name),
                        None => raw.clone(),
                    }
                } else {
                    raw.clone()
                };
                for (name, _) in placeholders(&line.clone()) {
                    let Some(value) = values.get(name.as_str()) else {
                        bail!(
                            "{}:{n}: {{{{{name}}}}} has no value: pass --user NAME",
                            crate::text::printable(&self.origin)
                        );
                    };
                    line = replace_placeholder(&line, &name, value);
                }
                lines.push(line);
            }
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            out.push(Rendered { id: new_id, team_name: id.name.clone(), lines });
        }
        Ok(out)
    }
}

/// A key of a rendered team section that only the member's `--allow KEY` lets in: where it
/// is, its line in the team file, and its value as rendered (for a `[services]` section,
/// the section's lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptIn {
    pub id: Id,
    pub key: String,
    pub line: usize,
    pub value: String,
}

/// Host names of AWS's own endpoints, in every partition.
const OWN_DOMAINS: [&str; 7] = [
    "amazonaws.com",
    "amazonaws.com.cn",
    "api.aws",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
];

/// Whether a URL's host is one of AWS's own endpoints.
pub fn is_aws_url(text: &str) -> bool {
    url::Url::parse(text)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|host| OWN_DOMAINS.iter().any(|d| host == *d || host.ends_with(&format!(".{d}"))))
}

/// "to https://x.example, which is not an AWS endpoint"
fn destination(url: &str) -> String {
    let shown = crate::text::printable(url);
    if is_aws_url(url) { format!("to {shown}") } else { format!("to {shown}, which is not an AWS endpoint") }
}

impl OptIn {
    /// What it does, in words: the line shown before the member is asked.
    pub fn words(&self) -> String {
        let value = crate::text::printable(&self.value);
        let what = match self.key.as_str() {
            "endpoint_url" => format!(
                "sends every request, with your credentials, MFA codes and sign-in tokens, {}",
                destination(&self.value)
            ),
            "services" if self.id.kind == Kind::Services => {
                let mut parts = Vec::new();
                if let Ok(sections) = parse::parse(&self.value) {
                    for p in sections.iter().flat_map(|s| &s.properties) {
                        for (k, url) in parse::sub_properties(&p.value) {
                            if k == "endpoint_url" {
                                parts.push(format!(
                                    "{} requests {}",
                                    crate::text::printable(&p.key),
                                    destination(&url)
                                ));
                            }
                        }
                    }
                }
                if parts.is_empty() {
                    "sets endpoints for the profiles that name it".to_string()
                } else {
                    format!("sends, with your credentials and sign-in tokens, {}", parts.join("; "))
                }
            }
            "services" => format!("takes its endpoints from [services {value}]"),
            "ca_bundle" => format!("trusts the certificate authorities in {value} for every call"),
            "credential_process" => format!("runs `{value}` as you at every switch"),
            "mfa_process" => format!("runs `{value}` as you whenever it needs an MFA code"),
            _ => format!("sets {} = {value}", self.key),
        };
        format!("[{}] {what} ({}, line {} of the team file)", self.id, self.key, self.line)
    }
}

impl TeamFile {
    /// The opt-in keys of the rendered sections (docs/team.md): each with its team file line.
    pub fn opt_ins(&self, rendered: &[Rendered]) -> Vec<OptIn> {
        let mut out = Vec::new();
        for r in rendered {
            let Some((_, raw)) =
                self.sections.iter().find(|(id, _)| id.kind == r.id.kind && id.name == r.team_name)
            else {
                continue;
            };
            if r.id.kind == Kind::Services {
                out.push(OptIn {
                    id: r.id.clone(),
                    key: "services".into(),
                    line: raw.line,
                    value: r.lines.join("\n"),
                });
                continue;
            }
            let Ok(sections) = parse::parse(&r.lines.join("\n")) else { continue };
            for p in sections.iter().flat_map(|s| &s.properties) {
                if let KeyRule::OptIn(_) = key_rule(r.id.kind, &p.key) {
                    let line = raw.properties.iter().find(|q| q.key == p.key).map_or(raw.line, |q| q.line);
                    out.push(OptIn { id: r.id.clone(), key: p.key.clone(), line, value: p.value.clone() });
                }
            }
        }
        out
    }
}

/// The opt-ins that the team's block does not already hold as they are: those the member
/// has not let in before (an unchanged value that is in the block was let in then).
pub fn new_opt_ins<'a>(opt_ins: &'a [OptIn], old: Option<&Block>) -> Vec<&'a OptIn> {
    opt_ins
        .iter()
        .filter(|o| {
            let Some((_, _, lines)) = old.and_then(|b| b.sections.iter().find(|(id, _, _)| *id == o.id))
            else {
                return true;
            };
            if o.id.kind == Kind::Services {
                return lines.join("\n") != o.value;
            }
            let held = parse::parse(&lines.join("\n")).ok().and_then(|s| {
                s.into_iter().flat_map(|s| s.properties).find(|p| p.key == o.key).map(|p| p.value)
            });
            held.as_deref() != Some(o.value.as_str())
        })
        .collect()
}

/// A new opt-in the member did not allow: an error naming the team file's line, the key and
/// what it does. `--yes` never allows one.
pub fn check_allowed(new: &[&OptIn], allow: &[String], origin: &str) -> Result<()> {
    for o in new {
        if allow.contains(&o.key) {
            continue;
        }
        let KeyRule::OptIn(why) =
            key_rule(if o.id.kind == Kind::Services { Kind::Profile } else { o.id.kind }, &o.key)
        else {
            continue;
        };
        bail!(
            "{}:{}: {} in [{}]: {why}. A team file sets it only when you pass --allow {} \
             (--yes does not): {}. Nothing was written",
            crate::text::printable(origin),
            o.line,
            o.key,
            o.id,
            o.key,
            o.words()
        );
    }
    Ok(())
}

/// The safety a sync takes away, in words, one line per change ("sw-production: no longer
/// read-only"): compared profile by profile between the team's block as it is and the
/// sections about to be written.
pub fn weakened(old: &Block, rendered: &[Rendered]) -> Vec<String> {
    let props = |lines: &[String]| -> BTreeMap<String, String> {
        parse::parse(&lines.join("\n"))
            .map(|s| s.into_iter().flat_map(|s| s.properties).map(|p| (p.key, p.value)).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for r in rendered.iter().filter(|r| r.id.kind == Kind::Profile) {
        let Some((_, _, lines)) = old.sections.iter().find(|(id, _, _)| *id == r.id) else { continue };
        let (was, now) = (props(lines), props(&r.lines));
        let get = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned();
        let is_true = |v: Option<String>| v.is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let name = crate::text::printable(&r.id.name);
        let mut say = |what: String| out.push(format!("{name}: {what}"));
        if is_true(get(&was, "swrole_confirm")) && !is_true(get(&now, "swrole_confirm")) {
            say("no longer asks before a switch (swrole_confirm)".into());
        }
        match (get(&was, "swrole_session_policy"), get(&now, "swrole_session_policy")) {
            (Some(_), None) => say("no longer read-only (swrole_session_policy removed)".into()),
            (Some(a), Some(b)) if a != b => say(format!(
                "its session policy changes from {} to {}",
                crate::text::printable(&a),
                crate::text::printable(&b)
            )),
            _ => {}
        }
        if let Some(what) =
            guard_change(get(&was, "swrole_guard_commands"), get(&now, "swrole_guard_commands"))
        {
            say(what);
        }
        match (get(&was, "swrole_idle"), get(&now, "swrole_idle")) {
            (Some(_), None) => {
                say("no longer drops the role when the shell is idle (swrole_idle removed)".into())
            }
            (Some(a), Some(b)) if a != b => say(format!(
                "drops the role after {} idle, was {} (swrole_idle)",
                crate::text::printable(&b),
                crate::text::printable(&a)
            )),
            _ => {}
        }
        if let (Some(a), Some(b)) = (get(&was, "swrole_write_duration"), get(&now, "swrole_write_duration")) {
            if a != b {
                say(format!(
                    "write access lasts {}, was {} (swrole_write_duration)",
                    crate::text::printable(&b),
                    crate::text::printable(&a)
                ));
            }
        } else if get(&was, "swrole_write_duration").is_some() {
            say("write access lasts the default time (swrole_write_duration removed)".into());
        }
        if is_true(get(&was, "swrole_source_identity")) && !is_true(get(&now, "swrole_source_identity")) {
            say("no longer marks its sessions with your name (swrole_source_identity)".into());
        }
        if get(&was, "mfa_serial").is_some() && get(&now, "mfa_serial").is_none() {
            say("no longer uses your MFA device (mfa_serial removed)".into());
        }
        if let (Some(a), Some(b)) = (get(&was, "role_arn"), get(&now, "role_arn"))
            && a != b
        {
            say(format!("now assumes {}, was {}", crate::text::printable(&b), crate::text::printable(&a)));
        }
    }
    out
}

/// What a change of `swrole_guard_commands` takes away, if anything (absent: the default
/// commands).
fn guard_change(was: Option<String>, now: Option<String>) -> Option<String> {
    let was = was.as_deref().map(crate::safety::guard_patterns);
    let now = now.as_deref().map(crate::safety::guard_patterns)?;
    if was.as_ref() == Some(&now) {
        return None;
    }
    if now.is_empty() {
        return Some("no longer asks before any command (swrole_guard_commands = none)".into());
    }
    let shown =
        |v: &[&String]| crate::text::printable(&v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
    match was {
        None => Some(format!(
            "asks only before {} (swrole_guard_commands replaces the default commands)",
            shown(&now.iter().collect::<Vec<_>>())
        )),
        Some(was) => {
            let dropped: Vec<&String> = was.iter().filter(|p| !now.contains(p)).collect();
            (!dropped.is_empty())
                .then(|| format!("no longer asks before {} (swrole_guard_commands)", shown(&dropped)))
        }
    }
}

/// A team section that would sign in with one of the member's own IAM Identity Center
/// sessions: a start URL that a section of the member's (outside every swrole block)
/// already uses. `config` is the member's config text.
pub fn shares_a_sign_in(rendered: &[Rendered], config: &str) -> Result<Option<String>> {
    let norm = |u: &str| u.trim().trim_end_matches('/').to_ascii_lowercase();
    let managed = blocks(config)?;
    let inside = |line: usize| managed.iter().any(|b| line > b.begin + 1 && line <= b.end);
    let mut own: Vec<(String, String)> = Vec::new();
    for s in parse::parse(config).map_err(|e| anyhow::anyhow!("line {}: {}", e.line, e.message))? {
        if inside(s.line) {
            continue;
        }
        for p in s.properties.iter().filter(|p| p.key == "sso_start_url") {
            own.push((norm(&p.value), format!("[{}] (line {})", s.header, p.line)));
        }
    }
    for r in rendered {
        let Ok(sections) = parse::parse(&r.lines.join("\n")) else { continue };
        for p in sections.iter().flat_map(|s| &s.properties).filter(|p| p.key == "sso_start_url") {
            if let Some((_, yours)) = own.iter().find(|(u, _)| *u == norm(&p.value)) {
                return Ok(Some(format!(
                    "[{}] signs in at {}, which your own {} uses: a team section never signs in with your own \
                     IAM Identity Center session",
                    r.id,
                    crate::text::printable(&p.value),
                    crate::text::printable(yours)
                )));
            }
        }
    }
    Ok(None)
}

/// The `{{ name }}` placeholders of a line, with their byte ranges.
fn placeholders(line: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = line[from..].find("{{").map(|i| i + from) {
        let Some(end) = line[start + 2..].find("}}").map(|i| i + start + 2) else { break };
        out.push((line[start + 2..end].trim().to_string(), start..end + 2));
        from = end + 2;
    }
    out
}

fn replace_placeholder(line: &str, name: &str, value: &str) -> String {
    let mut out = line.to_string();
    for (n, range) in placeholders(line).into_iter().rev() {
        if n == name {
            out.replace_range(range, value);
        }
    }
    out
}

/// The first 16 hex digits of the SHA-256 of a section's lines: what the block records, so
/// that a hand edit inside it is noticed.
pub fn digest(lines: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(lines.join("\n").as_bytes());
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What a block records about how it was made (comment lines after its begin line).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub source: String,
    pub user: Option<String>,
    pub source_profile: String,
    pub prefix: String,
    pub version: u32,
    /// Each section the team file gave, with the digest of the text written for it.
    pub sections: Vec<(Id, String)>,
}

impl Meta {
    pub fn params(&self) -> Params {
        Params {
            user: self.user.clone(),
            source_profile: self.source_profile.clone(),
            prefix: self.prefix.clone(),
        }
    }
}

/// Who owns a block of the config: a team file (`swrole team`), or what an IAM Identity
/// Center session can access (`swrole sso profiles --write`). The same rules hold for both:
/// everything outside the block stays byte for byte, hand edits are found, dropped
/// sections stay until `--prune`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Team,
    Sso,
}

impl Owner {
    /// The word of the marker lines and messages: `team`, `sso`.
    pub fn word(self) -> &'static str {
        match self {
            Owner::Team => "team",
            Owner::Sso => "sso",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Owner::Team => "swrole team sync",
            Owner::Sso => "swrole sso profiles --write",
        }
    }

    pub fn begin_line(self, name: &str) -> String {
        format!("# swrole {} {name}: begin (managed by {})", self.word(), self.command())
    }

    pub fn end_line(self, name: &str) -> String {
        format!("# swrole {} {name}: end", self.word())
    }

    fn note(self) -> &'static str {
        match self {
            Owner::Team => "# Edit the team file, not this block: swrole team sync rewrites it.",
            Owner::Sso => {
                "# What IAM Identity Center lets you access: swrole sso profiles --write rewrites it."
            }
        }
    }

    /// The line a section no longer given by the source gets, until `--prune`.
    pub fn stale(self) -> &'static str {
        match self {
            Owner::Team => STALE,
            Owner::Sso => {
                "# swrole: no longer in IAM Identity Center; swrole sso profiles --write --prune removes it"
            }
        }
    }
}

pub fn begin_line(team: &str) -> String {
    Owner::Team.begin_line(team)
}

pub fn end_line(team: &str) -> String {
    Owner::Team.end_line(team)
}

pub const STALE: &str = "# swrole: no longer in the team file; swrole team sync --prune removes it";

/// One team's block in a config file, as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub owner: Owner,
    pub team: String,
    /// 0-based indexes of the begin and end lines.
    pub begin: usize,
    pub end: usize,
    pub meta: Meta,
    /// The sections inside: id, 1-based header line, lines (no endings, trailing blanks dropped).
    pub sections: Vec<(Id, usize, Vec<String>)>,
}

impl Block {
    /// Sections whose text is not what swrole wrote: edited (or added) by hand.
    pub fn hand_edited(&self) -> Vec<(Id, usize)> {
        self.sections
            .iter()
            .filter(|(id, _, lines)| {
                self.meta.sections.iter().find(|(m, _)| m == id).is_none_or(|(_, d)| *d != digest(lines))
            })
            .map(|(id, line, _)| (id.clone(), *line))
            .collect()
    }
}

fn marker(line: &str) -> Option<(Owner, String, bool)> {
    let line = line.trim_end_matches(['\r', '\n']);
    for owner in [Owner::Team, Owner::Sso] {
        let Some(rest) = line.strip_prefix(&format!("# swrole {} ", owner.word())) else { continue };
        let (name, what) = rest.split_once(": ")?;
        if line == owner.begin_line(name) {
            return Some((owner, name.to_string(), true));
        }
        if what == "end" {
            return Some((owner, name.to_string(), false));
        }
    }
    None
}

/// Every team block of a config text. A begin without its end, an end without a begin, a
/// block inside a block or two blocks of one team are errors with their line numbers:
/// nothing can be edited safely then.
pub fn blocks(text: &str) -> Result<Vec<Block>> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out: Vec<Block> = Vec::new();
    let mut open: Option<(Owner, String, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        let Some((owner, team, begin)) = marker(line) else { continue };
        let word = owner.word();
        match (&open, begin) {
            (None, true) => {
                if let Some(b) = out.iter().find(|b| b.owner == owner && b.team == team) {
                    bail!(
                        "line {}: a second block of {word} {team} (the first begins at line {})",
                        i + 1,
                        b.begin + 1
                    );
                }
                open = Some((owner, team, i));
            }
            (Some((o, t, at)), true) => {
                bail!(
                    "line {}: {word} {team}'s block begins inside {} {t}'s (line {})",
                    i + 1,
                    o.word(),
                    at + 1
                )
            }
            (None, false) => bail!("line {}: the end of {word} {team}'s block, with no begin line", i + 1),
            (Some((o, t, at)), false) => {
                if *t != team || *o != owner {
                    bail!(
                        "line {}: {word} {team}'s end line closes {} {t}'s block (line {})",
                        i + 1,
                        o.word(),
                        at + 1
                    );
                }
                out.push(read_block(&lines, owner, t, *at, i)?);
                open = None;
            }
        }
    }
    if let Some((owner, team, at)) = open {
        bail!("line {}: {} {team}'s block has no end line ({})", at + 1, owner.word(), owner.end_line(&team));
    }
    Ok(out)
}

/// The lines of every block swrole manages (1-based, first and last) with whose it is
/// (`team web`, `sso corp`). Broken markers give none: doctor names them.
pub fn managed_lines(text: &str) -> Vec<(usize, usize, String)> {
    // The usual config has no block: one scan, nothing else (every switch comes here).
    if !text.contains("# swrole ") {
        return Vec::new();
    }
    blocks(text)
        .unwrap_or_default()
        .into_iter()
        .map(|b| (b.begin + 1, b.end + 1, format!("{} {}", b.owner.word(), b.team)))
        .collect()
}

fn read_block(lines: &[&str], owner: Owner, team: &str, begin: usize, end: usize) -> Result<Block> {
    let word = owner.word();
    let clean = |l: &str| l.trim_end_matches(['\n', '\r']).to_string();
    let mut meta = Meta { version: VERSION, source_profile: "default".into(), ..Meta::default() };
    let mut sections: Vec<(Id, usize, Vec<String>)> = Vec::new();
    for (i, raw) in lines.iter().enumerate().take(end).skip(begin + 1) {
        let line = clean(raw);
        if let Some(h) = line.trim_matches([' ', '\t']).strip_prefix('[') {
            let header = h.split(']').next().unwrap_or("").trim_matches([' ', '\t']);
            match section_id(header) {
                Some(id) => sections.push((id, i + 1, vec![line])),
                None => bail!(
                    "line {}: [{}] inside {word} {team}'s block is not a section swrole writes",
                    i + 1,
                    header
                ),
            }
            continue;
        }
        if let Some((_, _, body)) = sections.last_mut() {
            body.push(line);
            continue;
        }
        if let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(" = ")) {
            match key {
                "source" => meta.source = value.to_string(),
                "user" => meta.user = Some(value.to_string()).filter(|v| !v.is_empty()),
                "source_profile" => meta.source_profile = value.to_string(),
                "prefix" => meta.prefix = value.to_string(),
                "version" => meta.version = value.parse().unwrap_or(VERSION),
                "section" => {
                    let mut words = value.rsplitn(2, ' ');
                    let (Some(d), Some(header)) = (words.next(), words.next()) else { continue };
                    if let Some(id) = section_id(header) {
                        meta.sections.push((id, d.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    for (_, _, body) in &mut sections {
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
    }
    if meta.source.is_empty() {
        bail!("line {}: {word} {team}'s block does not say its source (# source = ...)", begin + 2);
    }
    Ok(Block { owner, team: team.to_string(), begin, end, meta, sections })
}

/// What a merge does, section by section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merge {
    pub text: String,
    pub added: Vec<Id>,
    pub changed: Vec<Id>,
    pub unchanged: Vec<Id>,
    /// In the block before, no longer in the team file: removed (`--prune`) or kept.
    pub pruned: Vec<Id>,
    pub kept: Vec<Id>,
    /// Renamed by a new prefix: (old, new).
    pub renamed: Vec<(Id, Id)>,
    /// Sections the user added inside the block by hand: kept, never pruned.
    pub foreign: Vec<Id>,
    /// Edited by hand inside the block and now replaced by the team's text.
    pub overwritten: Vec<(Id, usize)>,
    /// Team sections whose name is taken outside the block: left out, with where.
    pub clashes: Vec<(Id, String)>,
}

/// Where a section name is already in use outside every team block: `taken` gives, for
/// each id, where it is written (`config:12`, `credentials:3`).
pub type Taken = BTreeMap<Id, String>;

/// The ids of a config text's sections outside team `team`'s block, with their lines.
pub fn taken_outside(config: &str, owner: Owner, team: &str, config_name: &str) -> Result<Taken> {
    let sections =
        parse::parse(config).map_err(|e| anyhow::anyhow!("{config_name}:{}: {}", e.line, e.message))?;
    let own = blocks(config)
        .map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?
        .into_iter()
        .find(|b| b.owner == owner && b.team == team);
    let mut out = Taken::new();
    for s in sections {
        if own.as_ref().is_some_and(|b| s.line > b.begin && s.line <= b.end) {
            continue;
        }
        if let Some(id) = section_id(&s.header) {
            out.entry(id).or_insert_with(|| format!("{config_name}:{}", s.line));
        }
    }
    Ok(out)
}

/// The 1-based lines (headers, properties, continuations) of the sections `ids` that sit
/// outside every block swrole owns: the member's own, which adopting a team replaces.
pub fn own_section_lines(config: &str, ids: &[Id]) -> Result<Vec<usize>> {
    let sections = parse::parse(config).map_err(|e| anyhow::anyhow!("line {}: {}", e.line, e.message))?;
    let owned = blocks(config)?;
    let mut lines = Vec::new();
    for s in sections {
        if owned.iter().any(|b| s.line > b.begin && s.line <= b.end) {
            continue;
        }
        if section_id(&s.header).is_some_and(|id| ids.contains(&id)) {
            lines.push(s.line);
            for p in &s.properties {
                lines.push(p.line);
                lines.extend(&p.continuation);
            }
        }
    }
    Ok(lines)
}

/// The config text with team `team`'s block made from `rendered` (added at the end when
/// the team has none). Everything outside the block stays byte for byte; sections whose
/// names are `taken` outside are left out and reported; sections of the old block that
/// the team file no longer has stay unless `prune`; sections added by hand stay.
#[allow(clippy::too_many_arguments)]
pub fn merge(
    config: &str,
    owner: Owner,
    team: &str,
    rendered: &[Rendered],
    meta: &Meta,
    taken: &Taken,
    prune: bool,
) -> Result<Merge> {
    check_team_name(team)?;
    check_comment_text("source", &meta.source)?;
    let eol = if config.contains("\r\n") { "\r\n" } else { "\n" };
    let old = blocks(config)?.into_iter().find(|b| b.owner == owner && b.team == team);
    let mut m = Merge::default();
    let mut body: Vec<(Id, Vec<String>)> = Vec::new();
    for r in rendered {
        if let Some(at) = taken.get(&r.id) {
            m.clashes.push((r.id.clone(), at.clone()));
            continue;
        }
        match old.as_ref().and_then(|b| b.sections.iter().find(|(id, _, _)| *id == r.id)) {
            None => m.added.push(r.id.clone()),
            Some((_, _, lines)) if *lines == r.lines => m.unchanged.push(r.id.clone()),
            Some((_, line, _)) => {
                m.changed.push(r.id.clone());
                if old.as_ref().is_some_and(|b| b.hand_edited().iter().any(|(id, _)| *id == r.id)) {
                    m.overwritten.push((r.id.clone(), *line));
                }
            }
        }
        body.push((r.id.clone(), r.lines.clone()));
    }
    if let Some(b) = &old {
        for (id, _, lines) in &b.sections {
            if rendered.iter().any(|r| r.id == *id) {
                continue;
            }
            let was_team = b.meta.sections.iter().any(|(m, _)| m == id);
            // The same team section under the old prefix: renamed, not dropped from the file.
            let renamed = id.name.strip_prefix(b.meta.prefix.as_str()).and_then(|team_name| {
                rendered.iter().find(|r| r.id.kind == id.kind && r.team_name == team_name)
            });
            if let Some(r) = renamed.filter(|_| was_team && b.meta.prefix != meta.prefix) {
                m.renamed.push((id.clone(), r.id.clone()));
                continue;
            }
            if !was_team {
                m.foreign.push(id.clone());
            } else if prune {
                m.pruned.push(id.clone());
                continue;
            } else {
                m.kept.push(id.clone());
            }
            let mut lines = lines.clone();
            if was_team && lines.get(1).map(String::as_str) != Some(owner.stale()) {
                lines.insert(1, owner.stale().to_string());
            }
            body.push((id.clone(), lines));
        }
    }
    let block = block_lines(owner, team, meta, &body, &m.foreign);
    let block_text: String = block.iter().map(|l| format!("{l}{eol}")).collect();
    let lines: Vec<&str> = config.split_inclusive('\n').collect();
    m.text = match &old {
        Some(b) => {
            let mut out: String = lines[..b.begin].concat();
            out.push_str(&block_text);
            // The end line's own ending is replaced by ours; a last line without one keeps none.
            let after: String = lines[b.end + 1..].concat();
            if after.is_empty() && !lines[b.end].ends_with('\n') {
                out.truncate(out.len() - eol.len());
            }
            out.push_str(&after);
            out
        }
        None => {
            let mut out = config.to_string();
            if !out.is_empty() {
                if !out.ends_with('\n') {
                    out.push_str(eol);
                }
                out.push_str(eol);
            }
            out.push_str(&block_text);
            out
        }
    };
    let expected: Vec<(Id, Vec<String>)> = body;
    check_read_back(config, &m.text, owner, team, Some(&expected))?;
    Ok(m)
}

/// The lines of a block: its begin line and note, what it records (source, user, source
/// profile, prefix, version, a digest of each section swrole wrote), the sections, its end.
fn block_lines(
    owner: Owner,
    team: &str,
    meta: &Meta,
    body: &[(Id, Vec<String>)],
    foreign: &[Id],
) -> Vec<String> {
    let mut block: Vec<String> =
        vec![owner.begin_line(team), owner.note().to_string(), format!("# source = {}", meta.source)];
    if let Some(user) = &meta.user {
        block.push(format!("# user = {user}"));
    }
    if owner == Owner::Team {
        block.push(format!("# source_profile = {}", meta.source_profile));
    }
    if !meta.prefix.is_empty() {
        block.push(format!("# prefix = {}", meta.prefix));
    }
    block.push(format!("# version = {}", meta.version));
    for (id, lines) in body {
        // Only the team's own sections are recorded: one added by hand stays foreign.
        if !foreign.contains(id) {
            block.push(format!("# section = {id} {}", digest(lines)));
        }
    }
    for (_, lines) in body {
        block.push(String::new());
        block.extend(lines.iter().cloned());
    }
    block.push(owner.end_line(team));
    block
}

/// The blocks of a text other than `owner`'s `team`, as comparable values.
type OtherBlocks = Vec<(Owner, String, Vec<(Id, Vec<String>)>)>;

fn other_blocks(text: &str, owner: Owner, team: &str) -> Result<OtherBlocks> {
    Ok(blocks(text)?
        .into_iter()
        .filter(|b| !(b.owner == owner && b.team == team))
        .map(|b| (b.owner, b.team, b.sections.into_iter().map(|(id, _, lines)| (id, lines)).collect()))
        .collect())
}

/// The text an edit made, read back: the team's block holds exactly the sections that were
/// rendered for it (`None`: no block at all, after a removal), and every other block is as it
/// was. A line that passed for a marker or a header would show here: nothing is written.
fn check_read_back(
    old: &str,
    new: &str,
    owner: Owner,
    team: &str,
    expected: Option<&[(Id, Vec<String>)]>,
) -> Result<()> {
    let word = owner.word();
    let fail = |why: String| {
        anyhow::anyhow!("{word} {team}'s edit would not read back as written ({why}): nothing was written")
    };
    let found = blocks(new)
        .map_err(|e| fail(e.to_string()))?
        .into_iter()
        .find(|b| b.owner == owner && b.team == team);
    match (expected, found) {
        (None, None) => {}
        (None, Some(b)) => return Err(fail(format!("a block still begins at line {}", b.begin + 1))),
        (Some(_), None) => return Err(fail("no block".into())),
        (Some(want), Some(b)) => {
            let got: Vec<(Id, Vec<String>)> =
                b.sections.into_iter().map(|(id, _, lines)| (id, lines)).collect();
            if got != want {
                let ids = |v: &[(Id, Vec<String>)]| {
                    v.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(", ")
                };
                return Err(fail(format!("the block reads as {}, not {}", ids(&got), ids(want))));
            }
        }
    }
    let (before, after) =
        (other_blocks(old, owner, team)?, other_blocks(new, owner, team).map_err(|e| fail(e.to_string()))?);
    if before != after {
        return Err(fail("another block would change".into()));
    }
    Ok(())
}

/// The config text without team `team`'s block (and the blank line swrole put before it).
pub fn remove(config: &str, owner: Owner, team: &str) -> Result<Option<String>> {
    let Some(b) = blocks(config)?.into_iter().find(|b| b.owner == owner && b.team == team) else {
        return Ok(None);
    };
    let lines: Vec<&str> = config.split_inclusive('\n').collect();
    let mut before: String = lines[..b.begin].concat();
    let after: String = lines[b.end + 1..].concat();
    if after.is_empty() {
        // The separator swrole added when it appended the block goes with it.
        for blank in ["\r\n", "\n"] {
            if before.ends_with(&format!("{blank}{blank}")) || before == blank {
                before.truncate(before.len() - blank.len());
                break;
            }
        }
    }
    let new = before + &after;
    check_read_back(config, &new, owner, team, None)?;
    Ok(Some(new))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "# the web team's accounts\n[swrole-team]\nname = web\nversion = 1\n\n\
        [profile sw-staging]\nsource_profile = {{source_profile}}\nrole_arn = arn:aws:iam::210987654321:role/r\n\
        mfa_serial = arn:aws:iam::123456789012:mfa/{{ user }}\n\n\
        [profile sw-production]\nsource_profile = {{source_profile}}\nrole_arn = arn:aws:iam::111111111111:role/r\n\
        mfa_serial = arn:aws:iam::123456789012:mfa/{{user}}\nswrole_confirm = true\n\n\
        [profile sw-prod-ro]\nsource_profile = sw-production\nrole_arn = arn:aws:iam::111111111111:role/ro\n";

    fn params(prefix: &str) -> Params {
        Params {
            user: Some("ann@example.com".into()),
            source_profile: "default".into(),
            prefix: prefix.into(),
        }
    }

    fn meta(team: &TeamFile, rendered: &[Rendered], p: &Params) -> Meta {
        let _ = rendered;
        Meta {
            source: "/teams/web".into(),
            user: p.user.clone(),
            source_profile: p.source_profile.clone(),
            prefix: p.prefix.clone(),
            version: team.version,
            sections: Vec::new(),
        }
    }

    fn add(config: &str, prefix: &str, prune: bool) -> Merge {
        let team = TeamFile::parse(TEAM, "team.ini").unwrap();
        let p = params(prefix);
        let r = team.render(&p).unwrap();
        let taken = taken_outside(config, Owner::Team, "web", "config").unwrap();
        merge(config, Owner::Team, "web", &r, &meta(&team, &r, &p), &taken, prune).unwrap()
    }

    #[test]
    fn renders_placeholders_and_prefixes_references() {
        let team = TeamFile::parse(TEAM, "team.ini").unwrap();
        assert_eq!(team.name, "web");
        assert_eq!(team.uses().keys().collect::<Vec<_>>(), ["source_profile", "user"]);
        let r = team.render(&params("web-")).unwrap();
        assert_eq!(r[0].lines[0], "[profile web-sw-staging]");
        assert_eq!(r[0].lines[1], "source_profile = default");
        assert_eq!(r[0].lines[3], "mfa_serial = arn:aws:iam::123456789012:mfa/ann@example.com");
        assert_eq!(r[2].lines[1], "source_profile = web-sw-production");
        let no_user = Params { user: None, ..params("") };
        let e = team.render(&no_user).unwrap_err().to_string();
        assert!(e.contains("team.ini:9: {{user}} has no value"), "{e}");
    }

    #[test]
    fn team_file_errors_name_the_line() {
        let cases = [
            (
                "[swrole-team]\nname = web\nversion = 1\n[profile a]\nk = {{who}}\n",
                "t:5: unknown placeholder {{who}}",
            ),
            (
                "[swrole-team]\nname = web\nversion = 2\n[profile a]\nk = v\n",
                "t:3: the team file is version 2",
            ),
            ("[swrole-team]\nname = web\n[profile a]\n", "t:1: [swrole-team] has no version"),
            ("[profile a]\nk = v\n", "t:1: no [swrole-team] section"),
            ("[swrole-team]\nname = w b\nversion = 1\n[profile a]\n", "t:2: \"w b\" is not a team name"),
            (
                "[swrole-team]\nname = w\nversion = 1\n[default]\n",
                "t:4: a team file cannot define the profile default",
            ),
            (
                "[swrole-team]\nname = w\nversion = 1\n[profile a]\naws_secret_access_key = x\n",
                "t:5: aws_secret_access_key",
            ),
            (
                "[swrole-team]\nname = w\nversion = 1\n[profile a]\n[profile a]\n",
                "t:5: [profile a] is already defined at line 4",
            ),
            (
                "[swrole-team]\nname = w\nversion = 1\n[profile a]\nk = \u{1b}[31m\n",
                "t:5: control characters",
            ),
            ("[swrole-team]\nname = w\nversion = 1\n[profile a\n", "t:4: profile definition must end"),
            ("[swrole-team]\nname = w\nversion = 1\ncolor = 1\n[profile a]\n", "t:4: unknown key \"color\""),
            ("[swrole-team]\nname = w\nversion = 1\n[sso a]\n", "t:4: [sso a] is not a section"),
            ("[swrole-team]\nname = w\nversion = 1\n[profile a b]\n", "t:4: [profile a b] is not a section"),
            (
                "[swrole-team]\nname = w\nversion = 1\n[profile a]\n[swrole-team]\n",
                "t:5: a second [swrole-team]",
            ),
            ("[swrole-team]\nname = w\nversion = 1\n", "t: the team file defines no profile"),
            ("[swrole-team]\nversion = 1\n[profile a]\n", "t:1: [swrole-team] has no name"),
        ];
        for (text, want) in cases {
            let e = TeamFile::parse(text, "t").unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        for bad in ["a b", "", "x\ny", "a#b", "a]b", "{{user}}"] {
            assert!(check_user(bad).is_err(), "{bad:?}");
        }
        check_user("your.mail@example.com").unwrap();
    }

    #[test]
    fn adding_keeps_every_byte_outside_and_round_trips() {
        let config = "[default]\r\nregion = ap-northeast-1 ; mine\r\n\r\n# other tool\r\n[profile x]\r\nk=v";
        let m = add(config, "", false);
        assert!(m.text.starts_with(&format!("{config}\r\n\r\n# swrole team web: begin")), "{:?}", m.text);
        assert!(m.text.ends_with("# swrole team web: end\r\n"));
        assert!(!m.text.replace("\r\n", "").contains('\n'), "CRLF kept");
        assert_eq!(m.added.len(), 3);
        // A second run changes nothing; the block is read back with its record.
        let again = add(&m.text, "", false);
        assert_eq!(again.text, m.text);
        assert_eq!(again.unchanged.len(), 3);
        let b = &blocks(&m.text).unwrap()[0];
        assert!(b.hand_edited().is_empty());
        assert_eq!(b.meta.user.as_deref(), Some("ann@example.com"));
        // Removing the block gives the file back.
        assert_eq!(remove(&m.text, Owner::Team, "web").unwrap().unwrap(), format!("{config}\r\n"));
    }

    #[test]
    fn clashes_stale_prune_foreign_and_hand_edits() {
        let config = "[profile sw-staging]\nrole_arn = mine\n";
        let m = add(config, "", false);
        assert_eq!(
            m.clashes,
            vec![(Id { kind: Kind::Profile, name: "sw-staging".into() }, "config:1".into())]
        );
        assert!(m.text.starts_with(config));
        assert_eq!(m.text.matches("[profile sw-staging]").count(), 1);
        // Hand edits inside the block are noticed, replaced by the team's text, and said.
        let edited = m.text.replace("swrole_confirm = true", "swrole_confirm = false");
        let b = &blocks(&edited).unwrap()[0];
        assert_eq!(b.hand_edited()[0].0.name, "sw-production");
        let again = add(&edited, "", false);
        assert_eq!(again.overwritten[0].0.name, "sw-production");
        assert_eq!(again.text, m.text);
        // A section the team file dropped stays (marked) unless pruned; one added by hand stays.
        let with_old =
            m.text.replace("# swrole team web: end", "[profile mine-inside]\nk = v\n# swrole team web: end");
        let team = TeamFile::parse(&TEAM.replace("[profile sw-prod-ro]", "[profile sw-prod-readonly]"), "t")
            .unwrap();
        let r = team.render(&params("")).unwrap();
        let old_meta = blocks(&with_old).unwrap()[0].meta.clone();
        let taken = taken_outside(&with_old, Owner::Team, "web", "config").unwrap();
        let kept = merge(&with_old, Owner::Team, "web", &r, &old_meta, &taken, false).unwrap();
        assert_eq!(kept.kept[0].name, "sw-prod-ro");
        assert_eq!(kept.foreign[0].name, "mine-inside");
        assert!(kept.text.contains(&format!("[profile sw-prod-ro]\n{STALE}\n")));
        let pruned = merge(&kept.text, Owner::Team, "web", &r, &old_meta, &taken, true).unwrap();
        assert_eq!(pruned.pruned[0].name, "sw-prod-ro");
        assert!(!pruned.text.contains("[profile sw-prod-ro]"));
        assert!(pruned.text.contains("[profile mine-inside]"));
    }

    #[test]
    fn broken_markers_are_errors_with_lines() {
        let b = begin_line("web");
        let e = end_line("web");
        let cases = [
            (format!("{b}\n# source = x\n"), "line 1: team web's block has no end line"),
            (format!("{e}\n"), "line 1: the end of team web's block"),
            (format!("{b}\n{}\n", begin_line("api")), "line 2: team api's block begins inside"),
            (
                format!("{b}\n# source = x\n{e}\n{b}\n# source = x\n{e}\n"),
                "line 4: a second block of team web",
            ),
            (format!("{b}\n{e}\n"), "line 2: team web's block does not say its source"),
        ];
        for (text, want) in cases {
            let err = blocks(&text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
    const HEAD: &str =
        "[swrole-team]\nname = web\nversion = 1\n[profile a]\nrole_arn = arn:aws:iam::111111111111:role/r\n";

    fn parse_err(body: &str) -> String {
        TeamFile::parse(&format!("{HEAD}{body}"), "t").unwrap_err().to_string()
    }

    /// Every line the AWS CLI (configparser) would read otherwise than swrole is refused with
    /// its line: each Unicode space Python strips, a `:` delimiter, a name that is not one,
    /// spaces inside brackets, text after a header, lines that pass for swrole's markers.
    #[test]
    fn lines_botocore_reads_otherwise_are_refused_with_their_line() {
        for space in [
            '\u{a0}', '\u{1680}', '\u{2000}', '\u{2007}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}',
            '\u{205f}', '\u{3000}',
        ] {
            for line in [
                format!("{space}[default]=x"),
                format!("k{space}= v"),
                format!("k = v{space}"),
                format!("{space}[plugins]=x"),
            ] {
                let e = parse_err(&format!("{line}\n"));
                assert!(e.starts_with("t:6: a Unicode space (U+"), "{line:?}: {e}");
            }
        }
        let cases = [
            ("aws_secret_access_key: s=x\n", "t:6: a : before the first ="),
            ("region : eu-west-1 = x\n", "t:6: a : before the first ="),
            ("r\u{e9}gion = x\n", "t:6: \"r\u{e9}gion\" is not a property name"),
            ("a b = x\n", "t:6: \"a b\" is not a property name"),
            ("[ profile b ]\n", "t:6: spaces inside the brackets"),
            ("[ profile b]\n", "t:6: spaces inside the brackets"),
            ("[profile b\t]\n", "t:6: spaces inside the brackets"),
            ("# swrole\n", "t:6: a comment that begins with \"swrole\""),
            ("[profile b]x\n", "t:6: text after the section header's ]"),
            ("[profile b] ; c]\n", "t:6: text after the section header's ]"),
            ("  [profile b]\n", "t:6: an indented line that begins with ["),
            ("\t[default]\n", "t:6: an indented line that begins with ["),
            ("  # a note\n", "t:6: an indented comment"),
            ("# swrole team web: end\n", "t:6: a comment that begins with \"swrole\""),
            (
                "#swrole team api: begin (managed by swrole team sync)\n",
                "t:6: a comment that begins with \"swrole\"",
            ),
            ("; SWROLE: no longer in the team file\n", "t:6: a comment that begins with \"swrole\""),
        ];
        for (body, want) in cases {
            let e = parse_err(body);
            assert!(e.starts_with(want), "{body:?}: {e}");
        }
        // What stays allowed: plain comments (one naming the format), a header's comment, tabs.
        let ok = format!(
            "{HEAD}# the swrole-team file of web\n; notes\n[profile b] # production\nregion\t=\teu-west-1\n"
        );
        TeamFile::parse(&ok, "t").unwrap();
    }

    /// The profile default in either spelling, and every secret key in any case, are refused.
    #[test]
    fn a_team_file_never_sets_the_default_profile_or_a_secret_in_any_spelling() {
        let e = TeamFile::parse("[swrole-team]\nname = w\nversion = 1\n[profile default]\nregion = x\n", "t")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t:4: a team file cannot define the profile default"), "{e}");
        for key in SECRET_KEYS {
            for spelled in [
                key.to_string(),
                key.to_ascii_uppercase(),
                format!("{}{}", key[..1].to_ascii_uppercase(), &key[1..]),
            ] {
                let e = parse_err(&format!("{spelled} = x\n"));
                assert!(
                    e.starts_with(&format!("t:6: {key} in a team file: keys are each person's own")),
                    "{spelled}: {e}"
                );
            }
        }
    }

    /// The keys no opt-in lets in, the values no team file gives, and profiles that would
    /// sign in through a session the team file does not define.
    #[test]
    fn keys_a_team_file_never_sets() {
        for (body, want) in [
            (
                "login_session = arn:aws:iam::1:user/me\n",
                "t:6: login_session in a team file: an aws login session",
            ),
            ("credential_source = Environment\n", "t:6: credential_source in a team file"),
            ("web_identity_token_file = /tmp/t\n", "t:6: web_identity_token_file in a team file"),
            (
                "ca_bundle = repo/team-ca.pem\n",
                "t:6: ca_bundle \"repo/team-ca.pem\" in [profile a] is a relative path",
            ),
            (
                "swrole_source_identity = alice\n",
                "t:6: swrole_source_identity = \"alice\" in [profile a] would mark",
            ),
            (
                "sso_session = mine\n",
                "t:6: [profile a] names [sso-session mine], which the team file does not define",
            ),
            (
                "sso_session = mine\n[sso-session corp]\nsso_start_url = https://c.awsapps.com/start\n",
                "t:6: [profile a] names [sso-session mine], which the team file does not define",
            ),
            ("sso_session = b\n[profile b]\nregion = x\n", "t:6: [profile a] names [sso-session b]"),
        ] {
            let e = parse_err(body);
            assert!(e.starts_with(want), "{body:?}: {e}");
        }
        for fine in ["swrole_source_identity = TRUE\n", "ca_bundle = ~/ca.pem\n", "ca_bundle = /etc/ca.pem\n"]
        {
            TeamFile::parse(&format!("{HEAD}{fine}"), "t").unwrap();
        }
        let own = format!(
            "{HEAD}sso_session = corp\n[sso-session corp]\nsso_start_url = https://c.awsapps.com/start\nsso_region = eu-west-1\n"
        );
        TeamFile::parse(&own, "t").unwrap();
        assert!(matches!(key_rule(Kind::Profile, "endpoint_url"), KeyRule::OptIn(_)));
        assert!(matches!(key_rule(Kind::SsoSession, "aws_session_token"), KeyRule::Never(_)));
        assert_eq!(key_rule(Kind::Profile, "region"), KeyRule::Free);
        for key in OPT_IN_KEYS {
            assert!(matches!(key_rule(Kind::Profile, key), KeyRule::OptIn(_)), "{key}");
        }
    }

    fn opt_team() -> TeamFile {
        let text = format!(
            "{HEAD}endpoint_url = https://x.example\nservices = s\nca_bundle = /etc/team-ca.pem\n\
             credential_process = /usr/bin/team-creds\nmfa_process = /usr/bin/team-mfa\n\
             [profile aws]\nendpoint_url = https://sts.eu-west-1.amazonaws.com\n\
             [services s]\nsts =\n  endpoint_url = https://evil.example\n"
        );
        TeamFile::parse(&text, "t").unwrap()
    }

    #[test]
    fn opt_in_keys_need_their_allow_and_are_said_in_words() {
        let team = opt_team();
        let r = team.render(&params("")).unwrap();
        let o = team.opt_ins(&r);
        let keys: Vec<(&str, &str, usize)> =
            o.iter().map(|o| (o.id.name.as_str(), o.key.as_str(), o.line)).collect();
        assert_eq!(
            keys,
            [
                ("a", "endpoint_url", 6),
                ("a", "services", 7),
                ("a", "ca_bundle", 8),
                ("a", "credential_process", 9),
                ("a", "mfa_process", 10),
                ("aws", "endpoint_url", 12),
                ("s", "services", 13)
            ]
        );
        let words: Vec<String> = o.iter().map(OptIn::words).collect();
        assert!(words[0].contains("to https://x.example, which is not an AWS endpoint"), "{}", words[0]);
        assert!(
            words[5]
                .ends_with("to https://sts.eu-west-1.amazonaws.com (endpoint_url, line 12 of the team file)"),
            "{}",
            words[5]
        );
        assert!(words[3].contains("runs `/usr/bin/team-creds` as you at every switch"), "{}", words[3]);
        assert!(
            words[6].contains("sts requests to https://evil.example, which is not an AWS endpoint"),
            "{}",
            words[6]
        );
        // None allowed: the first is named with its line; --yes has no part in it.
        let new = new_opt_ins(&o, None);
        let e = check_allowed(&new, &[], "t").unwrap_err().to_string();
        assert!(e.starts_with("t:6: endpoint_url in [profile a]: it chooses where every request"), "{e}");
        assert!(e.contains("only when you pass --allow endpoint_url (--yes does not)"), "{e}");
        let all: Vec<String> = OPT_IN_KEYS.iter().map(|k| k.to_string()).collect();
        check_allowed(&new, &all, "t").unwrap();
        let some: Vec<String> = all.iter().filter(|k| *k != "mfa_process").cloned().collect();
        assert!(check_allowed(&new, &some, "t").unwrap_err().to_string().starts_with("t:10: mfa_process"));
        // Once written, the same values need no new word; a changed one does.
        let written = add_with(&team, "");
        let b = &blocks(&written).unwrap()[0];
        assert!(new_opt_ins(&o, Some(b)).is_empty());
        let changed = TeamFile::parse(
            &team_text_of(&team).replace("https://evil.example", "https://evil2.example"),
            "t",
        )
        .unwrap();
        let r2 = changed.render(&params("")).unwrap();
        let o2 = changed.opt_ins(&r2);
        let again = new_opt_ins(&o2, Some(b));
        assert_eq!(again.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["services"]);
    }

    fn team_text_of(team: &TeamFile) -> String {
        team.lines.join("\n") + "\n"
    }

    fn add_with(team: &TeamFile, config: &str) -> String {
        let p = params("");
        let r = team.render(&p).unwrap();
        let taken = taken_outside(config, Owner::Team, &team.name, "config").unwrap();
        merge(config, Owner::Team, &team.name, &r, &meta(team, &r, &p), &taken, false).unwrap().text
    }

    #[test]
    fn what_a_sync_takes_away_is_said_in_words() {
        let strict = "[swrole-team]\nname = web\nversion = 1\n[profile sw-production]\nrole_arn = arn:aws:iam::111111111111:role/r\n\
             mfa_serial = arn:aws:iam::123456789012:mfa/{{user}}\nswrole_confirm = true\nswrole_session_policy = readonly\n\
             swrole_guard_commands = terraform apply, kubectl delete\nswrole_idle = 15m\nswrole_write_duration = 1h\n\
             swrole_source_identity = true\n".to_string();
        let team = TeamFile::parse(&strict, "t").unwrap();
        let written = add_with(&team, "");
        let b = blocks(&written).unwrap().remove(0);
        assert!(weakened(&b, &team.render(&params("")).unwrap()).is_empty(), "nothing changes");
        let loose = "[swrole-team]\nname = web\nversion = 1\n[profile sw-production]\nrole_arn = arn:aws:iam::111111111111:role/other\n\
             swrole_confirm = false\nswrole_guard_commands = none\nswrole_idle = 24h\nswrole_write_duration = 12h\n";
        let r = TeamFile::parse(loose, "t").unwrap().render(&params("")).unwrap();
        assert_eq!(
            weakened(&b, &r),
            [
                "sw-production: no longer asks before a switch (swrole_confirm)",
                "sw-production: no longer read-only (swrole_session_policy removed)",
                "sw-production: no longer asks before any command (swrole_guard_commands = none)",
                "sw-production: drops the role after 24h idle, was 15m (swrole_idle)",
                "sw-production: write access lasts 12h, was 1h (swrole_write_duration)",
                "sw-production: no longer marks its sessions with your name (swrole_source_identity)",
                "sw-production: no longer uses your MFA device (mfa_serial removed)",
                "sw-production: now assumes arn:aws:iam::111111111111:role/other, was arn:aws:iam::111111111111:role/r",
            ]
        );
        let fewer = strict.replace("terraform apply, kubectl delete", "terraform apply");
        let r = TeamFile::parse(&fewer, "t").unwrap().render(&params("")).unwrap();
        assert_eq!(
            weakened(&b, &r),
            ["sw-production: no longer asks before kubectl delete (swrole_guard_commands)"]
        );
    }

    /// A block that would not read back as rendered (a line that passes for a marker or a
    /// header got in) is refused by the merge itself, whoever rendered it.
    #[test]
    fn a_merge_reads_its_block_back_or_writes_nothing() {
        let id = Id { kind: Kind::Profile, name: "a".into() };
        for hostile in ["# swrole team web: end", "  [profile b]", "[profile b]"] {
            let r = vec![Rendered {
                id: id.clone(),
                team_name: "a".into(),
                lines: vec!["[profile a]".into(), hostile.into()],
            }];
            let m =
                Meta { source: "/t".into(), source_profile: "default".into(), version: 1, ..Meta::default() };
            let e = merge("", Owner::Team, "web", &r, &m, &Taken::new(), false).unwrap_err().to_string();
            assert!(e.starts_with("team web's edit would not read back as written"), "{hostile:?}: {e}");
        }
    }

    /// Two teams' blocks side by side, in either order, stay two blocks through a merge and a
    /// removal of either; another team's end line inside a block never closes it.
    #[test]
    fn two_blocks_side_by_side_stay_two() {
        let api =
            TeamFile::parse(&TEAM.replace("name = web", "name = api").replace("sw-", "api-"), "api.ini")
                .unwrap();
        let web = TeamFile::parse(TEAM, "web.ini").unwrap();
        for (first, second) in [(&web, &api), (&api, &web)] {
            let one = add_with(first, "[default]\nregion = x\n");
            let both = add_with(second, &one);
            let found: Vec<String> = blocks(&both).unwrap().iter().map(|b| b.team.clone()).collect();
            assert_eq!(found, [first.name.clone(), second.name.clone()]);
            // Syncing either again changes nothing; removing one leaves the other as it was.
            assert_eq!(add_with(first, &both), both);
            assert_eq!(add_with(second, &both), both);
            let without_first = remove(&both, Owner::Team, &first.name).unwrap().unwrap();
            let left = blocks(&without_first).unwrap();
            assert_eq!(left.len(), 1);
            assert_eq!(left[0].team, second.name);
            let none = remove(&without_first, Owner::Team, &second.name).unwrap().unwrap();
            assert_eq!(none.trim_end(), "[default]\nregion = x", "only separators of swrole's are left");
            // The second block removed first: the first is left, byte for byte.
            let without_second = remove(&both, Owner::Team, &second.name).unwrap().unwrap();
            assert_eq!(without_second, one);
        }
        // The other team's end line inside web's block is an error, never web's end.
        let web_only = add_with(&web, "");
        let planted = web_only.replacen(
            "[profile sw-production]",
            &format!("{}\n[profile sw-production]", end_line("api")),
            1,
        );
        let e = blocks(&planted).unwrap_err().to_string();
        assert!(e.contains("team api's end line closes team web's block"), "{e}");
        // And an sso block's end with the same name does not close the team's.
        let sso_end = web_only.replacen(
            "[profile sw-production]",
            &format!("{}\n[profile sw-production]", Owner::Sso.end_line("web")),
            1,
        );
        assert!(
            blocks(&sso_end).unwrap_err().to_string().contains("sso web's end line closes team web's block")
        );
    }

    #[test]
    fn a_team_section_never_signs_in_with_the_member_s_own_session() {
        let team = "[swrole-team]\nname = web\nversion = 1\n[profile a]\nsso_session = corp\nsso_account_id = 111111111111\n\
             sso_role_name = r\n[sso-session corp]\nsso_start_url = https://Corp.awsapps.com/start/\nsso_region = eu-west-1\n";
        let r = TeamFile::parse(team, "t").unwrap().render(&params("")).unwrap();
        let mine =
            "[sso-session mine]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n";
        let why = shares_a_sign_in(&r, mine).unwrap().unwrap();
        assert!(why.contains("[sso-session corp] signs in at https://Corp.awsapps.com/start/, which your own [sso-session mine] (line 2) uses"), "{why}");
        assert_eq!(
            shares_a_sign_in(&r, "[sso-session mine]\nsso_start_url = https://other.awsapps.com/start\n")
                .unwrap(),
            None
        );
        // The team's own block (an earlier sync) is not the member's.
        let written = add_with(&TeamFile::parse(team, "t").unwrap(), "");
        assert_eq!(shares_a_sign_in(&r, &written).unwrap(), None);
    }

    #[test]
    fn managed_lines_name_each_block() {
        let written = add_with(&TeamFile::parse(TEAM, "t").unwrap(), "[default]\nregion = x\n");
        let lines = managed_lines(&written);
        assert_eq!(lines.len(), 1);
        let (first, last, owner) = &lines[0];
        assert_eq!((*first, owner.as_str()), (4, "team web"));
        assert_eq!(*last, written.lines().count());
        assert!(managed_lines(&format!("{}\n", begin_line("x"))).is_empty(), "broken markers: none");
    }
    /// The bounds of names and texts, at their edge.
    #[test]
    fn names_and_texts_at_their_bounds() {
        check_team_name(&"w".repeat(64)).unwrap();
        assert!(check_team_name(&"w".repeat(65)).is_err() && check_team_name("").is_err());
        check_team_name("a-b_c.9").unwrap();
        assert!(check_team_name("a/b").is_err());
        check_user(&"u".repeat(128)).unwrap();
        assert!(check_user(&"u".repeat(129)).is_err());
        check_comment_text("source", &"s".repeat(1024)).unwrap();
        assert!(check_comment_text("source", &"s".repeat(1025)).is_err());
        assert!(check_comment_text("source", "a\tb").is_err());
        // The file's own bound: 256 KiB is read, one byte more is not a team file.
        let body = format!("{HEAD}# ");
        let at_bound = format!("{body}{}", "x".repeat(MAX_BYTES - body.len()));
        assert_eq!(at_bound.len(), MAX_BYTES);
        TeamFile::parse(&at_bound, "t").unwrap();
        let e = TeamFile::parse(&format!("{at_bound}x"), "t").unwrap_err().to_string();
        assert!(e.starts_with("t: over 256 KiB"), "{e}");
        // Versions: 0 is none, 1 is this one.
        for (v, want) in [("0", "is not a number from 1"), ("2", "newer than this swrole reads")] {
            let e = TeamFile::parse(&HEAD.replace("version = 1", &format!("version = {v}")), "t")
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
        // A TAB is the one control character a line may hold; CRLF ends are fine.
        TeamFile::parse(&HEAD.replace("role_arn = ", "role_arn =\t").replace('\n', "\r\n"), "t").unwrap();
    }

    /// A prefix follows every reference between the team's own sections: profiles, sessions
    /// and services sections alike; a reference to something not the team's stays.
    #[test]
    fn a_prefix_follows_references_of_every_kind() {
        let text = "[swrole-team]\nname = web\nversion = 1\n\
            [profile a]\nsso_session = corp\nservices = s\nsource_profile = b\n\
            [profile b]\nsource_profile = {{source_profile}}\nrole_arn = arn:aws:iam::1:role/b\n\
            [sso-session corp]\nsso_start_url = https://c.awsapps.com/start\n\
            [services s]\nsts =\n  endpoint_url = https://sts.eu-west-1.amazonaws.com\n";
        let team = TeamFile::parse(text, "t").unwrap();
        assert_eq!(team.profiles(), ["a", "b"]);
        assert_eq!(team.uses().into_iter().collect::<Vec<_>>(), [("source_profile".to_string(), 9)]);
        let r = team.render(&params("web-")).unwrap();
        assert_eq!(
            r[0].lines,
            ["[profile web-a]", "sso_session = web-corp", "services = web-s", "source_profile = web-b"]
        );
        assert_eq!(r[1].lines[1], "source_profile = default", "the member's own profile keeps its name");
        assert_eq!(r[2].lines[0], "[sso-session web-corp]");
        assert_eq!(r[3].lines[0], "[services web-s]");
        assert_eq!((r[2].id.kind, r[3].id.kind), (Kind::SsoSession, Kind::Services));
        assert_eq!(r[3].id.to_string(), "services web-s");
        // Without a prefix every line is as written.
        let plain = team.render(&params("")).unwrap();
        assert_eq!(plain[0].lines[1], "sso_session = corp");
        for (header, id) in [
            ("default", Some("profile default")),
            ("profile  x ", Some("profile x")),
            ("sso-session\tx", Some("sso-session x")),
            ("services x", Some("services x")),
            ("plugins x", None),
            ("profile", None),
        ] {
            assert_eq!(section_id(header).map(|i| i.to_string()).as_deref(), id, "{header:?}");
        }
    }

    /// More of what a sync takes away: each change of its own, and what is not a change.
    #[test]
    fn each_weakening_alone() {
        let base = "[swrole-team]\nname = web\nversion = 1\n[profile p]\nrole_arn = arn:aws:iam::1:role/r\n";
        let written = |extra: &str| {
            let team = TeamFile::parse(&format!("{base}{extra}"), "t").unwrap();
            blocks(&add_with(&team, "")).unwrap().remove(0)
        };
        let now = |extra: &str| {
            TeamFile::parse(&format!("{base}{extra}"), "t").unwrap().render(&params("")).unwrap()
        };
        let cases = [
            (
                "swrole_idle = 15m\n",
                "",
                "p: no longer drops the role when the shell is idle (swrole_idle removed)",
            ),
            (
                "swrole_session_policy = readonly\n",
                "swrole_session_policy = /p.json\n",
                "p: its session policy changes from readonly to /p.json",
            ),
            (
                "swrole_write_duration = 1h\n",
                "",
                "p: write access lasts the default time (swrole_write_duration removed)",
            ),
            (
                "",
                "swrole_guard_commands = terraform apply\n",
                "p: asks only before terraform apply (swrole_guard_commands replaces the default commands)",
            ),
            (
                "swrole_source_identity = true\n",
                "swrole_source_identity = false\n",
                "p: no longer marks its sessions with your name (swrole_source_identity)",
            ),
            (
                "swrole_confirm = TRUE\n",
                "swrole_confirm = no\n",
                "p: no longer asks before a switch (swrole_confirm)",
            ),
        ];
        for (was, is, said) in cases {
            assert_eq!(weakened(&written(was), &now(is)), [said], "{was:?} -> {is:?}");
        }
        // Stronger, or the same: nothing said.
        for (was, is) in [
            ("", "swrole_confirm = true\n"),
            ("swrole_idle = 15m\n", "swrole_idle = 15m\n"),
            ("swrole_guard_commands = a\n", "swrole_guard_commands = a, b\n"),
            ("swrole_write_duration = 1h\n", "swrole_write_duration = 1h\n"),
            ("", "mfa_serial = arn:aws:iam::1:mfa/u\n"),
        ] {
            assert!(weakened(&written(was), &now(is)).is_empty(), "{was:?} -> {is:?}");
        }
        // A profile that is new, or a session section, is not compared.
        let other = TeamFile::parse(&format!("{base}[profile q]\nregion = x\n"), "t")
            .unwrap()
            .render(&params(""))
            .unwrap();
        assert!(weakened(&written("swrole_confirm = true\n"), &other[1..]).is_empty());
    }

    #[test]
    fn words_for_every_opt_in_and_aws_hosts() {
        let team = opt_team();
        let o = team.opt_ins(&team.render(&params("")).unwrap());
        let words: Vec<String> = o.iter().map(OptIn::words).collect();
        assert_eq!(
            words[1],
            "[profile a] takes its endpoints from [services s] (services, line 7 of the team file)"
        );
        assert_eq!(
            words[2],
            "[profile a] trusts the certificate authorities in /etc/team-ca.pem for every call (ca_bundle, line 8 of the team file)"
        );
        assert_eq!(
            words[4],
            "[profile a] runs `/usr/bin/team-mfa` as you whenever it needs an MFA code (mfa_process, line 10 of the team file)"
        );
        for (url, aws) in [
            ("https://sts.amazonaws.com", true),
            ("https://STS.EU-WEST-1.AMAZONAWS.COM/", true),
            ("https://portal.sso.cn-north-1.amazonaws.com.cn", true),
            ("https://sts.eu-west-1.api.aws", true),
            ("https://amazonaws.com", true),
            ("https://amazonaws.com.evil.example", false),
            ("https://notamazonaws.com", false),
            ("https://x.example/amazonaws.com", false),
            ("not a url", false),
        ] {
            assert_eq!(is_aws_url(url), aws, "{url}");
        }
        // A services section without an endpoint says so plainly.
        let id = Id { kind: Kind::Services, name: "s".into() };
        let o =
            OptIn { id, key: "services".into(), line: 3, value: "[services s]\nsts =\n  region = x".into() };
        assert_eq!(
            o.words(),
            "[services s] sets endpoints for the profiles that name it (services, line 3 of the team file)"
        );
    }

    /// The read-back check itself: each way a text can fail it.
    #[test]
    fn the_read_back_check_names_what_differs() {
        let team = TeamFile::parse(TEAM, "t").unwrap();
        let one = add_with(&team, "");
        let api =
            TeamFile::parse(&TEAM.replace("name = web", "name = api").replace("sw-", "api-"), "t").unwrap();
        let both = add_with(&api, &one);
        let fail = |old: &str, new: &str, want: Option<&[(Id, Vec<String>)]>| {
            check_read_back(old, new, Owner::Team, "web", want).unwrap_err().to_string()
        };
        assert!(fail(&one, &one, None).contains("a block still begins at line 1"));
        let sections: Vec<(Id, Vec<String>)> =
            blocks(&one).unwrap()[0].sections.iter().map(|(i, _, l)| (i.clone(), l.clone())).collect();
        assert!(fail("", "", Some(&sections)).contains("(no block)"));
        assert!(fail(&one, &one, Some(&sections[..1])).contains(
            "the block reads as profile sw-staging, profile sw-production, profile sw-prod-ro, not profile sw-staging)"
        ));
        assert!(fail(&both, &one, Some(&sections)).contains("another block would change"));
        check_read_back(&both, &both, Owner::Team, "web", Some(&sections)).unwrap();
        check_read_back(&one, "", Owner::Team, "web", None).unwrap();
    }
    /// The header section may stand anywhere: a section before it ends where it begins.
    #[test]
    fn a_section_ends_where_the_header_section_begins() {
        let text = "[profile a]\nregion = x\nrole_arn = arn:aws:iam::1:role/a\n[swrole-team]\nname = web\nversion = 1\n";
        let r = TeamFile::parse(text, "t").unwrap().render(&params("")).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].lines, ["[profile a]", "region = x", "role_arn = arn:aws:iam::1:role/a"]);
    }
    /// A `[services]` section is an opt-in of its own, even when no team profile names it.
    #[test]
    fn a_services_section_alone_needs_its_allow() {
        let text = format!("{HEAD}[services s]\nsts =\n  endpoint_url = https://capture.example\n");
        let team = TeamFile::parse(&text, "t").unwrap();
        let o = team.opt_ins(&team.render(&params("")).unwrap());
        let new = new_opt_ins(&o, None);
        let e = check_allowed(&new, &[], "t").unwrap_err().to_string();
        assert!(e.starts_with("t:6: services in [services s]: it chooses where every request"), "{e}");
        check_allowed(&new, &["services".to_string()], "t").unwrap();
    }
    #[test]
    fn every_placeholder_of_a_line_is_found() {
        let line = "a {{user}} b {{ source_profile }}";
        assert_eq!(placeholders(line), [("user".to_string(), 2..10), ("source_profile".to_string(), 13..33)]);
        assert_eq!(replace_placeholder(line, "source_profile", "p"), "a {{user}} b p");
        assert_eq!(placeholders("{{x"), []);
        assert_eq!(placeholders("{{}}{{a}}"), [(String::new(), 0..4), ("a".to_string(), 4..9)]);
    }

    /// The member's own session after a team's block is still theirs.
    #[test]
    fn a_member_session_after_a_block_is_the_member_s() {
        let team = "[swrole-team]\nname = web\nversion = 1\n[sso-session corp]\n\
                    sso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n";
        let file = TeamFile::parse(team, "t").unwrap();
        let r = file.render(&params("")).unwrap();
        let config =
            add_with(&file, "") + "[sso-session mine]\nsso_start_url = https://corp.awsapps.com/start\n";
        let why = shares_a_sign_in(&r, &config).unwrap().unwrap();
        assert!(why.contains("your own [sso-session mine]"), "{why}");
    }
    /// The lines swrole writes around a block, for both owners, and what it reads back.
    #[test]
    fn the_block_s_own_lines() {
        let t = add_with(&TeamFile::parse(TEAM, "t").unwrap(), "");
        assert!(
            t.starts_with(
                "# swrole team web: begin (managed by swrole team sync)\n\
                 # Edit the team file, not this block: swrole team sync rewrites it.\n# source = /teams/web\n"
            ),
            "{t}"
        );
        assert_eq!(blocks(&t).unwrap()[0].meta.params(), params(""));
        assert_eq!(
            Owner::Sso.begin_line("corp"),
            "# swrole sso corp: begin (managed by swrole sso profiles --write)"
        );
        assert_eq!(Owner::Sso.end_line("corp"), "# swrole sso corp: end");
        assert!(Owner::Sso.note().starts_with("# What IAM Identity Center lets you access"));
        assert!(Owner::Sso.stale().starts_with("# swrole: no longer in IAM Identity Center"));
    }
    /// A new prefix renames the team's sections (said, nothing kept under the old names); a
    /// section added by hand is never renamed; the values the block records are read back;
    /// section lines are the file's own.
    #[test]
    fn a_new_prefix_renames_and_the_block_records_its_values() {
        let team = TeamFile::parse(TEAM, "t").unwrap();
        let p = Params { user: Some("ann".into()), source_profile: "me".into(), prefix: "web-".into() };
        let r = team.render(&p).unwrap();
        let m0 = merge("", Owner::Team, "web", &r, &meta(&team, &r, &p), &Taken::new(), false).unwrap();
        let b = blocks(&m0.text).unwrap().remove(0);
        assert_eq!(b.meta.params(), p);
        assert_eq!(b.meta.version, 1);
        let header_lines: Vec<usize> = b.sections.iter().map(|(_, line, _)| *line).collect();
        let expected: Vec<usize> = m0
            .text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("[profile"))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(header_lines, expected);
        // Written with the recorded meta (as a sync does), plus a section of the member's.
        // `web-sw-qa` is the member's too, although its name is the old prefix plus a name the
        // team file now has: it is kept, never taken for a renamed team section.
        let with_mine = m0.text.replace(
            "# swrole team web: end",
            "[profile mine]\nregion = x\n\n[profile web-sw-qa]\nregion = y\n# swrole team web: end",
        );
        let p2 = Params { prefix: "team-".into(), ..p.clone() };
        let grown = TeamFile::parse(
            &format!("{TEAM}\n[profile sw-qa]\nsource_profile = sw-production\nrole_arn = arn:aws:iam::111111111111:role/qa\n"),
            "t",
        )
        .unwrap();
        let r2 = grown.render(&p2).unwrap();
        let old_meta = blocks(&with_mine).unwrap()[0].meta.clone();
        let m = merge(
            &with_mine,
            Owner::Team,
            "web",
            &r2,
            &Meta { prefix: "team-".into(), ..old_meta },
            &Taken::new(),
            false,
        )
        .unwrap();
        let renamed: Vec<(String, String)> =
            m.renamed.iter().map(|(a, b)| (a.name.clone(), b.name.clone())).collect();
        assert_eq!(
            renamed,
            [
                ("web-sw-staging".to_string(), "team-sw-staging".to_string()),
                ("web-sw-production".to_string(), "team-sw-production".to_string()),
                ("web-sw-prod-ro".to_string(), "team-sw-prod-ro".to_string())
            ]
        );
        assert!(
            !m.text.replace("[profile web-sw-qa]", "").contains("[profile web-")
                && m.text.contains("[profile team-sw-prod-ro]\nsource_profile = team-sw-production\n")
        );
        assert_eq!(m.foreign.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["mine", "web-sw-qa"]);
        assert!(m.text.contains("[profile mine]\nregion = x\n"), "kept as it was, not marked stale");
        assert!(
            m.text.contains("[profile web-sw-qa]\nregion = y\n") && m.text.contains("[profile team-sw-qa]")
        );
        assert!(m.kept.is_empty() && m.pruned.is_empty());
        // An sso block records no source_profile: the default is read back.
        let sso = merge(
            "",
            Owner::Sso,
            "corp",
            &r[..1],
            &Meta { source: "corp".into(), version: 1, ..Meta::default() },
            &Taken::new(),
            false,
        )
        .unwrap();
        let sb = blocks(&sso.text).unwrap().remove(0);
        assert_eq!((sb.meta.source_profile.as_str(), sb.meta.version), ("default", 1));
        assert!(!sso.text.contains("# source_profile"));
    }

    /// A block at the very end of a file without a last line end keeps having none; a kept
    /// section is marked stale once, not again at the next merge.
    #[test]
    fn the_end_of_the_file_and_stale_marks() {
        let team = TeamFile::parse(TEAM, "t").unwrap();
        let text = add_with(&team, "[default]\nregion = x\n");
        let no_eol = text.trim_end_matches('\n').to_string();
        let again = add_with(&team, &no_eol);
        assert_eq!(again, no_eol, "nothing changes, not even the missing line end");
        let fewer = TeamFile::parse(&TEAM.replace("[profile sw-prod-ro]", "[profile sw-prod-readonly]"), "t")
            .unwrap();
        let once = add_with(&fewer, &text);
        let twice = add_with(&fewer, &once);
        assert_eq!(once, twice);
        assert_eq!(twice.matches(STALE).count(), 1);
    }
}
