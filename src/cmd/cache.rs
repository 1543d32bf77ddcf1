//! `swrole cache list|clear [PROFILE]`: what is cached (never secrets), or remove it.

use anyhow::{Result, bail};

use crate::cache::Cache;
use crate::cli::CacheAction;
use crate::clock;
use crate::env::Env;
use crate::error::write_stdout;

pub fn run(env: &Env, action: CacheAction) -> Result<()> {
    let Some(cache) = Cache::locate(env, 0) else {
        bail!("neither XDG_CACHE_HOME nor HOME is set: there is no cache")
    };
    let entries = cache.entries()?;
    match action {
        CacheAction::List => {
            let now = clock::now();
            let mut out = String::new();
            for (_, e) in &entries {
                let left = e.expiration - now;
                let left = if left <= 0 { "expired".to_string() } else { format!("{}m left", left / 60) };
                out.push_str(&format!(
                    "{}\t{}\t{}\t{left}\n",
                    e.profile,
                    e.kind.name(),
                    clock::rfc3339(e.expiration)
                ));
            }
            write_stdout(&out)
        }
        CacheAction::Clear { profile } => {
            let mut removed = 0;
            for (name, e) in &entries {
                if profile.as_deref().is_none_or(|p| p == e.profile) {
                    cache.remove(name)?;
                    removed += 1;
                }
            }
            eprintln!(
                "swrole: removed {removed} cache entr{} from {}",
                if removed == 1 { "y" } else { "ies" },
                cache.describe()
            );
            Ok(())
        }
    }
}
