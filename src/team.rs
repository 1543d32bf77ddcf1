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

impl TeamFile {
    /// Parse and check a team file: the grammar of the AWS files, a `[swrole-team]` section
    /// with `name` and `version`, only profile, sso-session and services sections besides,
    /// no secret keys, no placeholder but the known ones. Errors name `origin:line`.
    pub fn parse(text: &str, origin: &str) -> Result<TeamFile> {
        let at = |line: usize| format!("{}:{line}", crate::text::printable(origin));
        if text.len() > MAX_BYTES {
            bail!("{}: over {} KiB: not a team file", crate::text::printable(origin), MAX_BYTES / 1024);
        }
        for (i, line) in text.lines().enumerate() {
            if line.trim_end_matches('\r').chars().any(|c| c.is_control() && c != '\t') {
                bail!("{}: control characters are not allowed in a team file", at(i + 1));
            }
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
            let id = match section_id(&s.header) {
                Some(id) if id.name == "default" => bail!(
                    "{}: a team file cannot define the profile default (it is each person's own)",
                    at(s.line)
                ),
                Some(id) if crate::config::is_identifier(&id.name) => id,
                _ => bail!(
                    "{}: [{}] is not a section a team file can hold ([profile NAME], [sso-session NAME], \
                     [services NAME])",
                    at(s.line),
                    crate::text::printable(&s.header)
                ),
            };
            if let Some((_, first)) = sections.iter().find(|(other, _)| *other == id) {
                bail!("{}: [{}] is already defined at line {}", at(s.line), s.header, first.line);
            }
            for p in &s.properties {
                if SECRET_KEYS.contains(&p.key.as_str()) {
                    bail!(
                        "{}: {} in a team file: keys are each person's own and never shared (swrole keys add)",
                        at(p.line),
                        p.key
                    );
                }
            }
            sections.push((id, s.clone()));
        }
        let Some(header) = header else {
            bail!("{}: no [swrole-team] section (with name = and version =): not a team file", at(1));
        };
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
        let version_number: u32 = match version.value.parse() {
            Ok(v) if v >= 1 => v,
            _ => bail!("{}: version {:?} is not a number from 1", at(version.line), version.value),
        };
        if version_number > VERSION {
            bail!(
                "{}: the team file is version {version_number}, newer than this swrole reads ({VERSION}): \
                 upgrade swrole",
                at(version.line)
            );
        }
        if sections.is_empty() {
            bail!("{}: the team file defines no profile", crate::text::printable(origin));
        }
        let lines: Vec<String> = text.lines().map(|l| l.trim_end_matches('\r').to_string()).collect();
        let file = TeamFile {
            name: name.value.clone(),
            version: version_number,
            origin: origin.to_string(),
            lines,
            sections,
        };
        for (i, line) in file.lines.iter().enumerate() {
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
        Ok(file)
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
    for (id, lines) in &body {
        // Only the team's own sections are recorded: one added by hand stays foreign.
        if !m.foreign.contains(id) {
            block.push(format!("# section = {id} {}", digest(lines)));
        }
    }
    for (_, lines) in &body {
        block.push(String::new());
        block.extend(lines.iter().cloned());
    }
    block.push(owner.end_line(team));
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
    Ok(m)
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
    Ok(Some(before + &after))
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
}
