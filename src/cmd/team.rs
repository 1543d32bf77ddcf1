//! `swrole team add|sync|list|remove`: the team's profiles in a block of `~/.aws/config`
//! that swrole owns, made from the team file; every byte outside the block left alone.

use anyhow::{Context, Result, bail};

use crate::cli::TeamAction;
use crate::config::{FileKind, Paths, ProfileSet, parse};
use crate::edit::{self, Written};
use crate::env::Env;
use crate::error::write_stdout;
use crate::team::{self, Id, Kind, Meta, Params, Taken, TeamFile};
use crate::team_source::Source;
use crate::text::printable;

impl From<&crate::cli::WriteArgs> for Writing {
    fn from(w: &crate::cli::WriteArgs) -> Writing {
        Writing { prune: w.prune, yes: w.yes, dry_run: w.dry_run, allow: w.allow.clone(), adopt: false }
    }
}

pub fn run(env: &Env, action: TeamAction) -> Result<()> {
    match action {
        TeamAction::Add { source, user, source_profile, prefix, adopt, write } => {
            let cwd = std::env::current_dir().context("could not read the current directory")?;
            let source = Source::parse(&source, &cwd)?;
            let mut params = Params { user, source_profile, prefix: prefix.unwrap_or_default() };
            let mut job = Job::read(env, source, params.clone(), None)?;
            // {{user}} from the member's own profiles of the team's names (their mfa_serial
            // names the device), as setup finds it from IAM.
            if params.user.is_none() && job.file.uses().contains_key("user") {
                let files = crate::switch::Files::load(env)?;
                if let Some((user, at)) = job.file.user_from(&files.set, &params.prefix) {
                    eprintln!(
                        "swrole: {}",
                        printable(&format!(
                            "{{{{user}}}} = {user} (from {})",
                            crate::plan::at(&files.paths, &at)
                        ))
                    );
                    params.user = Some(user);
                    job.params = params;
                }
            }
            let writing = Writing { adopt, ..Writing::from(&write) };
            apply(env, vec![job], &writing, None).map(|_| ())
        }
        TeamAction::Sync { team, write } => sync(env, team.as_deref(), &(&write).into()),
        TeamAction::List => list(env),
        TeamAction::Remove { team, yes } => remove(env, &team, yes),
    }
}

/// `[profile a], [profile b]`.
fn list_ids(ids: &[Id]) -> String {
    ids.iter().map(|i| format!("[{i}]")).collect::<Vec<_>>().join(", ")
}

/// Whether to replace the member's own sections `mine` with the team's: `--adopt`; else, on
/// a terminal and without `--yes`, asked after the difference of each (yours, then the
/// team's) is shown. No terminal, `--yes` or `--dry-run` alone: no.
fn adopt(
    text: &str,
    rendered: &[team::Rendered],
    mine: &[Id],
    name: &str,
    writing: &Writing,
) -> Result<bool> {
    let show = |id: &Id| -> Result<String> {
        let lines = team::own_section_lines(text, std::slice::from_ref(id))?;
        let all: Vec<&str> = text.lines().collect();
        let yours: String = lines.iter().filter_map(|l| all.get(l - 1)).map(|l| format!("{l}\n")).collect();
        let theirs: String = rendered
            .iter()
            .find(|r| r.id == *id)
            .map(|r| r.lines.iter().map(|l| format!("{l}\n")).collect())
            .unwrap_or_default();
        Ok(diff(&yours, &theirs, &format!("[{id}]"), colour_on_stderr()))
    };
    if writing.adopt {
        for id in mine {
            eprint!("{}", show(id)?);
        }
        return Ok(true);
    }
    if writing.yes || writing.dry_run || !crate::mfa::have_terminal() {
        return Ok(false);
    }
    eprintln!(
        "swrole: {}",
        printable(&format!(
            "team {name}: {} {} yours already; the team's differ:",
            list_ids(mine),
            if mine.len() == 1 { "is" } else { "are" }
        ))
    );
    for id in mine {
        eprint!("{}", show(id)?);
    }
    let t = crate::tty::terminal("the question is asked on the terminal", "pass --adopt")?;
    crate::tty::confirm(
        &t,
        &format!("replace yours with team {name}'s (the team's production safety comes with them)?"),
    )
}

/// How an edit is written: `--prune`, `--yes`, `--dry-run`, and the keys the member lets a
/// team file set (`--allow KEY`, never implied by `--yes`).
#[derive(Clone, Debug, Default)]
pub struct Writing {
    pub prune: bool,
    pub yes: bool,
    pub dry_run: bool,
    pub allow: Vec<String>,
    /// Replace the member's own sections of the team's names (`team add --adopt`).
    pub adopt: bool,
}

/// One team to render: its file (read before anything is locked or written) and the
/// person's values.
pub struct Job {
    pub file: TeamFile,
    pub source: Source,
    pub params: Params,
}

impl Job {
    /// Read and check the team file; `expected` is the team a sync is for (the file must
    /// still name it).
    pub fn read(env: &Env, source: Source, params: Params, expected: Option<&str>) -> Result<Job> {
        let (text, origin) = source.read(env)?;
        let file = TeamFile::parse(&text, &origin)?;
        if let Some(name) = expected.filter(|n| *n != file.name) {
            bail!(
                "{origin} now names team {:?}, not {name:?}: nothing changed (swrole team add it as a new team)",
                file.name
            );
        }
        Ok(Job { file, source, params })
    }
}

/// One team after an edit: its name, its rendered sections, and those left out (clashes).
pub struct TeamResult {
    pub team: String,
    pub rendered: Vec<team::Rendered>,
    pub clashes: Vec<(Id, String)>,
}

/// What the block of each team holds, after an edit.
pub struct Applied {
    pub rendered: Vec<TeamResult>,
}

/// An edit of the config text made before the teams' blocks (setup's credential_process line).
pub type Extra<'a> = &'a dyn Fn(&str) -> Result<String>;

/// The config file swrole edits (through a link to the real file).
pub fn config_paths(env: &Env) -> Result<(Paths, std::path::PathBuf)> {
    let paths = Paths::from_env(env)?;
    let real = edit::real_file(&paths.config)?;
    Ok((paths, real))
}

/// The profiles of the credentials file: a team profile of the same name would merge
/// with it, so it counts as taken.
pub fn credentials_taken(paths: &Paths, text: &str) -> Result<Taken> {
    let sections = parse::parse(text)
        .map_err(|e| anyhow::anyhow!("{}:{}: {}", paths.credentials.display(), e.line, e.message))?;
    let mut out = Taken::new();
    for s in sections {
        if let Some(name) = crate::config::profile_of(FileKind::Credentials, &s.header) {
            out.entry(Id { kind: Kind::Profile, name: name.to_string() })
                .or_insert_with(|| format!("{}:{}", paths.credentials.display(), s.line));
        }
    }
    Ok(out)
}

/// Render each job into the config text, show the diff, ask, write: all or nothing.
/// `extra` edits the text before the blocks (setup's credential_process line).
pub fn apply(env: &Env, jobs: Vec<Job>, writing: &Writing, extra: Option<Extra>) -> Result<Applied> {
    let (paths, config_path) = config_paths(env)?;
    let config_name = paths.config.display().to_string();
    // One edit of the AWS files at a time (keys import takes the same lock).
    let _lock = crate::keys::lock(env)?;
    let old = edit::read_or_empty(&config_path)?;
    let mut text = match extra {
        Some(f) => f(&old)?,
        None => old.clone(),
    };
    let creds_text = edit::read_or_empty(&paths.credentials)?;
    let creds = credentials_taken(&paths, &creds_text)?;
    let mut applied = Applied { rendered: Vec::new() };
    let mut notes = Vec::new();
    for job in &jobs {
        let (result, merged) = merge_job(job, &text, &creds, &config_name, writing, &mut notes)?;
        if let Some(t) = merged {
            text = t;
        }
        applied.rendered.push(result);
    }
    // What will be written must read as the AWS tools read it.
    ProfileSet::from_texts(&text, &creds_text, &paths)
        .context("the edited config would not parse: nothing written")?;
    // Paths and names from the files and the team file, on their way to a terminal.
    for note in &notes {
        eprintln!("swrole: {}", printable(note));
    }
    if text == old {
        for job in &jobs {
            eprintln!(
                "swrole: {}",
                printable(&format!("team {}: {config_name} is up to date", job.file.name))
            );
        }
        return Ok(applied);
    }
    if !confirm_and_write(&config_path, &config_name, &old, &text, writing)? {
        return Ok(applied);
    }
    for job in &jobs {
        let n = applied
            .rendered
            .iter()
            .find(|t| t.team == job.file.name)
            .map(|t| t.rendered.len() - t.clashes.len())
            .unwrap_or(0);
        let done =
            format!("team {}: {n} sections in {config_name} (from {})", job.file.name, job.source.describe());
        eprintln!("swrole: {}", printable(&done));
    }
    Ok(applied)
}

/// One team's block merged into the config `text`: its result, and the new text (`None` when
/// it adds nothing: every section is the member's own and the member keeps them). What is
/// said of it goes to `notes`.
fn merge_job(
    job: &Job,
    text: &str,
    creds: &Taken,
    config_name: &str,
    writing: &Writing,
    notes: &mut Vec<String>,
) -> Result<(TeamResult, Option<String>)> {
    let name = &job.file.name;
    let rendered = job.file.render(&job.params)?;
    notes.extend(check_job(job, &rendered, text, config_name, &writing.allow)?);
    let meta = Meta {
        source: job.source.describe(),
        user: job.params.user.clone(),
        source_profile: job.params.source_profile.clone(),
        prefix: job.params.prefix.clone(),
        version: job.file.version,
        sections: Vec::new(),
    };
    // The team's block merged into a text, the names taken outside it (in the config or
    // the credentials file) left out.
    let merge_into = |text: &str| -> Result<team::Merge> {
        let mut taken = team::taken_outside(text, team::Owner::Team, name, config_name)?;
        for (id, at) in creds {
            taken.entry(id.clone()).or_insert_with(|| at.clone());
        }
        team::merge(text, team::Owner::Team, name, &rendered, &meta, &taken, writing.prune)
            .map_err(|e| anyhow::anyhow!("{config_name}: {e}"))
    };
    let mut m = merge_into(text)?;
    // The member's own sections of the team's names (outside every block): replaced by
    // the team's when the member says so, after seeing the difference.
    let mine: Vec<Id> = m
        .clashes
        .iter()
        .map(|(id, _)| id.clone())
        .filter(|id| team::own_section_lines(text, std::slice::from_ref(id)).is_ok_and(|l| !l.is_empty()))
        .collect();
    if !mine.is_empty() && adopt(text, &rendered, &mine, name, writing)? {
        m = merge_into(&crate::keys::remove_lines(text, &team::own_section_lines(text, &mine)?))?;
        notes.push(format!("team {name}: your own {} replaced by the team's", list_ids(&mine)));
    }
    // Never an empty block: a team all of whose sections are the member's own adds nothing.
    let had_block =
        team::blocks(text).is_ok_and(|b| b.iter().any(|b| b.owner == team::Owner::Team && b.team == *name));
    if !had_block && !rendered.is_empty() && m.clashes.len() == rendered.len() {
        eprintln!(
            "swrole: {}",
            printable(&format!(
                "team {name}: every section is already yours in {config_name}, left as it is: nothing added \
                 (swrole team add --adopt replaces yours with the team's, showing the difference)"
            ))
        );
        return Ok((TeamResult { team: name.clone(), rendered, clashes: m.clashes }, None));
    }
    notes.extend(merge_notes(name, &m));
    Ok((TeamResult { team: name.clone(), rendered, clashes: m.clashes }, Some(m.text)))
}

/// What is checked of one team before its block is merged, and what is said of it: its
/// block comes from the same place; no section signs in with one of the member's sessions;
/// every new opt-in key was allowed (each said in words); what the sync makes less safe.
fn check_job(
    job: &Job,
    rendered: &[team::Rendered],
    text: &str,
    config_name: &str,
    allow: &[String],
) -> Result<Vec<String>> {
    let name = &job.file.name;
    let mut notes = Vec::new();
    let old_block = team::blocks(text)
        .map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?
        .into_iter()
        .find(|b| b.owner == team::Owner::Team && b.team == *name);
    let source = job.source.describe();
    let same_place = |b: &team::Block| {
        Source::parse(&b.meta.source, std::path::Path::new("/"))
            .is_ok_and(|s| s.place() == job.source.place())
    };
    if let Some(b) = old_block.as_ref().filter(|b| !same_place(b)) {
        bail!(
            "{config_name}: team {name}'s block (line {}) comes from {}, and {} is another team file with \
             the same name: nothing was written. To take team {name} from the new source, remove it first \
             (swrole team remove {name})",
            b.begin + 1,
            crate::team_source::redacted(&b.meta.source),
            crate::team_source::redacted(&source)
        );
    }
    if let Some(why) =
        team::shares_a_sign_in(rendered, text).map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?
    {
        bail!("{}: {why}: nothing was written", job.file.origin);
    }
    // Keys that choose where secrets go, what runs or what is trusted: only those the
    // member allows, each said in words; those already in the block as they are were
    // allowed when they came.
    let opt_ins = job.file.opt_ins(rendered);
    let new_opt_ins = team::new_opt_ins(&opt_ins, old_block.as_ref());
    team::check_allowed(&new_opt_ins, allow, &job.file.origin)?;
    for o in &new_opt_ins {
        notes.push(format!("team {name}: allowed with --allow {}: {}", o.key, o.words()));
    }
    if let Some(b) = &old_block {
        for line in team::weakened(b, rendered) {
            notes.push(format!("team {name}: {line}"));
        }
    }
    Ok(notes)
}

/// What a merge did, in the lines said before the diff.
fn merge_notes(name: &str, m: &team::Merge) -> Vec<String> {
    let mut notes = Vec::new();
    let list = |ids: &[Id]| ids.iter().map(|i| printable(&i.to_string())).collect::<Vec<_>>().join(", ");
    for (id, at) in &m.clashes {
        notes.push(format!(
            "team {name}: [{id}] is already at {at}, outside the team's block: left as it is, the team's \
             not added (rename yours, or add the team with --prefix {name}-)"
        ));
    }
    for (id, line) in &m.overwritten {
        notes.push(format!("team {name}: [{id}] (line {line}) was edited by hand inside the block: the team's text replaces it"));
    }
    if !m.kept.is_empty() {
        notes.push(format!(
            "team {name}: no longer in the team file, kept: {} (--prune removes them)",
            list(&m.kept)
        ));
    }
    for (from, to) in &m.renamed {
        notes.push(format!("team {name}: [{from}] is now [{to}] (the prefix changed)"));
    }
    if !m.pruned.is_empty() {
        notes.push(format!("team {name}: removed (no longer in the team file): {}", list(&m.pruned)));
    }
    if !m.foreign.is_empty() {
        notes.push(format!(
            "team {name}: added by hand inside the block, kept (move it out of the block to own it): {}",
            list(&m.foreign)
        ));
    }
    notes
}

/// Show the diff of the config, ask (unless `--yes`), write it: `false` when `--dry-run`
/// wrote nothing. No terminal and no `--yes`: an error, nothing written.
pub fn confirm_and_write(
    config_path: &std::path::Path,
    config_name: &str,
    old: &str,
    text: &str,
    writing: &Writing,
) -> Result<bool> {
    eprint!("{}", diff(old, text, config_name, colour_on_stderr()));
    if writing.dry_run {
        eprintln!("swrole: --dry-run: nothing written");
        return Ok(false);
    }
    if !writing.yes {
        let t =
            crate::tty::terminal("the changes are confirmed on the terminal", "pass --yes to write them")?;
        if !crate::tty::confirm(&t, &format!("write these changes to {config_name}?"))? {
            bail!("nothing written");
        }
    }
    edit::replace(&[Written { path: config_path, old, new: text, name: "config" }])
        .context("nothing was written")?;
    Ok(true)
}

/// Colour for stderr: a terminal, not `TERM=dumb`, and no `NO_COLOR` (no-color.org).
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").is_ok_and(|t| t != "dumb")
}

/// A unified diff for the terminal (the text escaped: a team file is someone else's), its
/// removed lines red, added lines green and hunk headers cyan when `colour`.
fn diff(old: &str, new: &str, name: &str, colour: bool) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for line in d.unified_diff().context_radius(2).header(name, name).to_string().lines() {
        let line = printable(line.trim_end_matches('\r'));
        let paint = match () {
            _ if !colour || line.starts_with("+++") || line.starts_with("---") => None,
            _ if line.starts_with('+') => Some("32"),
            _ if line.starts_with('-') => Some("31"),
            _ if line.starts_with("@@") => Some("36"),
            _ => None,
        };
        match paint {
            Some(c) => out.push_str(&format!("\x1b[{c}m{line}\x1b[0m")),
            None => out.push_str(&line),
        }
        out.push('\n');
    }
    out
}

fn sync(env: &Env, only: Option<&str>, writing: &Writing) -> Result<()> {
    let (paths, config_path) = config_paths(env)?;
    let text = edit::read_or_empty(&config_path)?;
    let blocks: Vec<team::Block> = team::blocks(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", paths.config.display()))?
        .into_iter()
        .filter(|b| b.owner == team::Owner::Team)
        .collect();
    if blocks.is_empty() {
        bail!(
            "{} has no team block: add one with swrole team add SOURCE --user NAME",
            paths.config.display()
        );
    }
    let cwd = std::path::PathBuf::from("/");
    let mut jobs = Vec::new();
    for b in blocks.iter().filter(|b| only.is_none_or(|t| t == b.team)) {
        let source = Source::parse(&b.meta.source, &cwd)
            .with_context(|| format!("team {}'s block (line {})", b.team, b.begin + 1))?;
        // Every source is read before anything is written: one that cannot be read stops
        // the sync, and nothing is removed.
        let job = Job::read(env, source, b.meta.params(), Some(&b.team))
            .with_context(|| format!("team {}: nothing changed", b.team))?;
        jobs.push(job);
    }
    if let Some(t) = only.filter(|_| jobs.is_empty()) {
        let names: Vec<&str> = blocks.iter().map(|b| b.team.as_str()).collect();
        bail!("{} has no block of team {t:?} (it has: {})", paths.config.display(), names.join(", "));
    }
    apply(env, jobs, writing, None).map(|_| ())
}

fn list(env: &Env) -> Result<()> {
    let (paths, config_path) = config_paths(env)?;
    let text = edit::read_or_empty(&config_path)?;
    let blocks: Vec<team::Block> = team::blocks(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", paths.config.display()))?
        .into_iter()
        .filter(|b| b.owner == team::Owner::Team)
        .collect();
    let mut out = String::new();
    for b in &blocks {
        let edited: Vec<String> = b.hand_edited().iter().map(|(id, _)| id.to_string()).collect();
        let state = if edited.is_empty() {
            "as synced".to_string()
        } else {
            format!("edited by hand: {}", edited.join(", "))
        };
        let fields = [
            b.team.clone(),
            crate::team_source::redacted(&b.meta.source),
            format!("{} sections", b.sections.len()),
            format!("user {}", b.meta.user.as_deref().unwrap_or("-")),
            state,
        ];
        out.push_str(&fields.iter().map(|f| printable(f)).collect::<Vec<_>>().join("\t"));
        out.push('\n');
    }
    write_stdout(&out)
}

fn remove(env: &Env, name: &str, yes: bool) -> Result<()> {
    team::check_team_name(name)?;
    let (paths, config_path) = config_paths(env)?;
    let _lock = crate::keys::lock(env)?;
    let old = edit::read_or_empty(&config_path)?;
    let config_name = paths.config.display().to_string();
    let Some(new) =
        team::remove(&old, team::Owner::Team, name).map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?
    else {
        bail!("{config_name} has no block of team {name:?}");
    };
    eprint!("{}", diff(&old, &new, &config_name, colour_on_stderr()));
    if !yes {
        let t = crate::tty::terminal("the removal is confirmed on the terminal", "pass --yes")?;
        if !crate::tty::confirm(&t, &format!("remove team {name}'s profiles from {config_name}?"))? {
            bail!("nothing removed");
        }
    }
    edit::replace(&[Written { path: &config_path, old: &old, new: &new, name: "config" }])?;
    eprintln!("swrole: {}", printable(&format!("removed team {name}'s block from {config_name}")));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_diff_is_coloured_only_when_asked() {
        let (old, new) = ("[a]\nx = 1\n", "[a]\nx = 2\n");
        let plain = super::diff(old, new, "config", false);
        assert!(plain.contains("\n-x = 1\n+x = 2\n") && !plain.contains('\u{1b}'), "{plain}");
        let coloured = super::diff(old, new, "config", true);
        assert!(coloured.contains("\u{1b}[31m-x = 1\u{1b}[0m\n\u{1b}[32m+x = 2\u{1b}[0m\n"), "{coloured:?}");
        assert!(
            coloured.contains("\u{1b}[36m@@") && coloured.starts_with("--- config\n+++ config\n"),
            "{coloured:?}"
        );
        // A team file's own escape bytes stay visible, coloured or not.
        let hostile = super::diff("", "x = \u{1b}[2J\n", "config", true);
        assert!(!hostile.contains("\u{1b}[2J"), "{hostile:?}");
    }
}
