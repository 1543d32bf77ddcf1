//! `swrole sso profiles [SESSION]`: every account and role an IAM Identity Center session
//! can use, as profiles: printed, or merged with `--write` into a block of `~/.aws/config`
//! that swrole owns (the team blocks' rules: every byte outside kept, hand edits found,
//! names already yours never overwritten, dropped roles kept until `--prune`).

use anyhow::{Context, Result, anyhow, bail};

use super::team::{Writing, config_paths, confirm_and_write, credentials_taken};
use crate::cli::SsoAction;
use crate::config::ProfileSet;
use crate::env::Env;
use crate::error::write_stdout;
use crate::switch::Files;
use crate::team::{self, Meta, Owner};
use crate::text::printable;

pub fn run(env: &Env, action: SsoAction) -> Result<()> {
    match action {
        SsoAction::Profiles { session, write, template, region, prune, yes, dry_run } => {
            let writing = Writing { prune, yes, dry_run, allow: Vec::new(), adopt: false };
            profiles(env, session.as_deref(), write.then_some(&writing), &template, region.as_deref())
        }
    }
}

/// The session to use: the one named, else the only one in the config.
pub fn session_name(set: &ProfileSet, given: Option<&str>) -> Result<String> {
    if let Some(name) = given {
        team::check_team_name(name).map_err(|_| anyhow!("{name:?} is not an sso-session name"))?;
        return Ok(name.to_string());
    }
    let names: Vec<&String> = set.sso_sessions.keys().collect();
    match names.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("there is no [sso-session NAME] in the config: add one (sso_start_url, sso_region)"),
        many => bail!(
            "the config has several sso-sessions ({}): name one",
            many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The region every generated profile gets (without one the next regional call fails):
/// the flag's, else the one `[default]` works in, else the Identity Center's own; with
/// where it came from.
fn profiles_region<'a>(
    flag: Option<&'a str>,
    set: &'a ProfileSet,
    session: &'a crate::sso::Session,
) -> (&'a str, &'static str) {
    let default_region = set.profile("default").and_then(|p| p.text("region"));
    match (flag, default_region) {
        (Some(r), _) => (r, "--region"),
        (None, Some(r)) if crate::plan::valid_region(r) => (r, "the region of [default]"),
        _ => (session.region.as_str(), "the sso-session's sso_region"),
    }
}

fn profiles(
    env: &Env,
    session: Option<&str>,
    write: Option<&Writing>,
    template: &str,
    region: Option<&str>,
) -> Result<()> {
    let files = Files::load(env)?;
    let name = session_name(&files.set, session)?;
    let s = crate::sso::Session::named(&files.set, &name)?;
    if let Some(r) = region
        && !crate::plan::valid_region(r)
    {
        bail!("--region {:?} is not a region", crate::text::sanitize(r));
    }
    let (oidc, portal) = crate::plan::sso_endpoints(&files.set, &files.paths, env, "", &s.region)?;
    let extra_roots = match crate::plan::ca_bundle(&files.set, &files.paths, env, "")? {
        Some((path, from)) => crate::sts::CaBundle::load(&path, &from)?.certs,
        None => Vec::new(),
    };
    let ep =
        crate::oidc::Endpoints { oidc, portal, timeout: std::time::Duration::from_secs(30), extra_roots };
    let rt = crate::sts::runtime()?;
    // Everything is read from the portal before anything is written: offline, or on any
    // error, the config stays as it is.
    let token = crate::oidc::token(env, &name, &s, &ep, &rt)?;
    let access = rt
        .block_on(crate::oidc::access(&ep, &token.access_token))
        .map_err(|e| crate::oidc::unless_accepted(e, &format!("sso-session {name}"), &name))
        .context("nothing was written")?;
    let (region, from) = profiles_region(region, &files.set, &s);
    eprintln!(
        "swrole: {}",
        printable(&format!(
            "sso {name}: the profiles get region = {region} ({from}; --region REGION for another)"
        ))
    );
    let rendered = crate::sso::render(&access, &name, template, Some(region))?;
    let Some(writing) = write else {
        if rendered.is_empty() {
            eprintln!("swrole: sso-session {name} can use no account and role");
        }
        let blocks: Vec<String> = rendered.iter().map(|r| r.lines.join("\n") + "\n").collect();
        return write_stdout(&blocks.join("\n"));
    };
    let (paths, config_path) = config_paths(env)?;
    let config_name = paths.config.display().to_string();
    let _lock = crate::keys::lock(env)?;
    let old = crate::edit::read_or_empty(&config_path)?;
    let creds_text = crate::edit::read_or_empty(&paths.credentials)?;
    let mut taken = team::taken_outside(&old, Owner::Sso, &name, &config_name)?;
    for (id, at) in credentials_taken(&paths, &creds_text)? {
        taken.entry(id).or_insert(at);
    }
    let meta = Meta {
        source: format!("sso-session {name} ({})", s.start_url),
        user: None,
        source_profile: String::new(),
        prefix: String::new(),
        version: 1,
        sections: Vec::new(),
    };
    let m = team::merge(&old, Owner::Sso, &name, &rendered, &meta, &taken, writing.prune)
        .map_err(|e| anyhow!("{config_name}: {e}"))?;
    let list =
        |ids: &[team::Id]| ids.iter().map(|i| printable(&i.to_string())).collect::<Vec<_>>().join(", ");
    let mut notes = Vec::new();
    for (id, at) in &m.clashes {
        notes.push(format!(
            "[{id}] is already at {at}, outside swrole's block: yours is kept, this role is not added (choose \
             other names with --template)"
        ));
    }
    for (id, line) in &m.overwritten {
        notes.push(format!(
            "[{id}] (line {line}) was edited by hand inside the block: the generated text replaces it"
        ));
    }
    if !m.kept.is_empty() {
        notes.push(format!("no longer usable, kept: {} (--prune removes them)", list(&m.kept)));
    }
    if !m.pruned.is_empty() {
        notes.push(format!("removed (no longer usable): {}", list(&m.pruned)));
    }
    if !m.foreign.is_empty() {
        notes.push(format!("added by hand inside the block, kept: {}", list(&m.foreign)));
    }
    ProfileSet::from_texts(&m.text, &creds_text, &paths)
        .context("the edited config would not parse: nothing written")?;
    for n in &notes {
        eprintln!("swrole: sso {}: {}", printable(&name), printable(n));
    }
    if m.text == old {
        eprintln!("swrole: {}", printable(&format!("sso {name}: {config_name} is up to date")));
        return Ok(());
    }
    if confirm_and_write(&config_path, &config_name, &old, &m.text, writing)? {
        let n = rendered.len() - m.clashes.len();
        eprintln!("swrole: {}", printable(&format!("sso {name}: {n} profiles in {config_name}")));
    }
    Ok(())
}
