//! `swrole man` and `swrole completions SHELL`: files made from the clap definitions, so
//! they always match the binary. The man page adds the sections people look for in one:
//! `sw`, the prompt, auto-refresh, the cache, the environment, files, exit status, examples.

use anyhow::{Context, Result};
use clap::CommandFactory;
use roff::{Roff, bold, italic, roman};

use crate::cli::Cli;
use crate::env::Env;
use crate::error::write_stdout;

/// The man page on stdout, or with `install` in `../share/man/man1/swrole.1` beside the
/// directory on PATH that holds this binary (or a link to it): where `man` looks for the
/// page of a program on PATH.
pub fn man(env: &Env, install: bool) -> Result<()> {
    let page = page()?;
    if !install {
        return write_stdout(&page);
    }
    let exe = std::env::current_exe().context("could not find swrole's own path")?;
    let (bin, on_path) = bin_dir(env.get("PATH").unwrap_or(""), &exe)?;
    let dir = bin.join("../share/man/man1");
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let dir = dir.canonicalize().with_context(|| format!("could not open {}", dir.display()))?;
    let file = dir.join("swrole.1");
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("could not write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, page.as_bytes())
        .with_context(|| format!("could not write {}", file.display()))?;
    tmp.persist(&file).map_err(|e| e.error).with_context(|| format!("could not write {}", file.display()))?;
    let found = if on_path {
        format!("`man swrole` finds it (man looks beside {}, swrole's directory on PATH)", bin.display())
    } else {
        format!("{} is not on PATH, so man will not look there: add it, or set MANPATH", bin.display())
    };
    eprintln!("swrole: {}", crate::text::printable(&format!("wrote {}; {found}", file.display())));
    Ok(())
}

/// The first directory of `path` whose `swrole` is this binary (itself or through a link),
/// as written on PATH, and true; else the binary's own directory, and false.
fn bin_dir(path: &str, exe: &std::path::Path) -> Result<(std::path::PathBuf, bool)> {
    let real = exe.canonicalize().unwrap_or_else(|_| exe.to_path_buf());
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let dir = std::path::Path::new(dir);
        if dir.join("swrole").canonicalize().is_ok_and(|p| p == real) {
            return Ok((dir.to_path_buf(), true));
        }
    }
    Ok((exe.parent().context("swrole's path has no directory")?.to_path_buf(), false))
}

/// The registration of the `swrole` command's completion in `shell`: at each Tab the shell
/// asks `swrole` itself (clap_complete's protocol through [`crate::cli::COMPLETE_VAR`]), so
/// candidates always match the binary and the profile names come from the AWS files.
pub fn completions(shell: crate::cli::CompletionShell) -> Result<()> {
    use crate::cli::CompletionShell as S;
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        S::Bash => &Bash,
        S::Zsh => &Zsh,
        S::Fish => &Fish,
        S::Powershell => &Powershell,
        S::Elvish => &Elvish,
        S::Nu => anyhow::bail!(
            "nushell: the completion of swrole and of sw is part of the integration (swrole init nu)"
        ),
    };
    let mut out = Vec::new();
    completer.write_registration(crate::cli::COMPLETE_VAR, "swrole", "swrole", "swrole", &mut out)?;
    write_stdout(&String::from_utf8(out).context("the completion script is not UTF-8")?)
}

/// swrole's own sections of the page, in order (the tests check the page has each).
pub const SECTIONS: [&str; 8] = [
    "SHELL INTEGRATION: SW",
    "PROMPT",
    "AUTO-REFRESH",
    "CACHE",
    "ENVIRONMENT",
    "FILES",
    "EXIT STATUS",
    "EXAMPLES",
];

/// The whole page: clap's sections (synopsis, options, commands), then swrole's own.
pub fn page() -> Result<String> {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend_from_slice(sections().to_roff().as_bytes());
    man.render_version_section(&mut out)?;
    String::from_utf8(out).context("the man page is not UTF-8")
}

/// A paragraph of plain text.
fn para(roff: &mut Roff, text: &str) {
    roff.control("PP", []).text([roman(text)]);
}

/// A tagged paragraph: `tag` in bold, then its text.
fn item(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []).text([bold(tag)]).text([roman(text)]);
}

/// Lines shown as they are (commands to type).
fn example(roff: &mut Roff, lines: &[&str]) {
    roff.control("PP", []).control("nf", []).control("RS", ["4"]);
    for line in lines {
        roff.text([roman(*line)]).control("br", []);
    }
    roff.control("RE", []).control("fi", []);
}

fn sections() -> Roff {
    let mut r = Roff::new();
    // No hyphenation: names and commands stay whole, so they can be searched for.
    r.control("nh", []);
    r.control("SH", ["SHELL INTEGRATION: SW"]);
    para(
        &mut r,
        "One line in the shell's startup file defines sw, a function that switches the current shell. A failed \
         switch changes nothing. Tab completes profile names and flags.",
    );
    example(
        &mut r,
        &[
            "eval \"$(swrole init bash)\"     # ~/.bashrc",
            "eval \"$(swrole init zsh)\"      # ~/.zshrc, after compinit",
            "swrole init fish | source      # ~/.config/fish/config.fish",
            "# PowerShell, in $PROFILE:",
            "Invoke-Expression (& { (swrole init powershell | Out-String) })",
            "# nushell, once: swrole init nu | save -f ($nu.default-config-dir |",
            "#   path join swrole.nu); then in config.nu or at the prompt:",
            "source ($nu.default-config-dir | path join swrole.nu)",
        ],
    );
    item(
        &mut r,
        "sw PROFILE [FLAGS]",
        "switch to PROFILE; flags (any swrole flag) before or after the profile",
    );
    item(&mut r, "sw", "the active profile, account, role, region and time left");
    item(&mut r, "sw -", "back to the previous profile, like cd -");
    item(&mut r, "sw off", "clear everything swrole set");
    item(&mut r, "sw -- NAME", "a profile named like a flag, a subcommand, off or -");
    item(&mut r, "sw console|explain|doctor|cache|keys|list ...", "swrole's own commands");
    para(&mut r, "swrole init SHELL --cmd NAME names the function otherwise; it cannot be swrole.");

    r.control("SH", ["PROMPT"]);
    para(
        &mut r,
        "The integration keeps SWROLE_PROMPT current before every prompt (the profile and the time left, in the \
         profile's swrole_color) without starting a process. swrole_prompt_info prints the same text. starship and \
         powerlevel10k show the profile with no configuration (they read AWSUME_PROFILE).",
    );
    example(
        &mut r,
        &[
            "setopt prompt_subst; RPROMPT='${SWROLE_PROMPT}'     # zsh",
            "PS1='${SWROLE_PROMPT:+[$SWROLE_PROMPT] }'\"$PS1\"   # bash",
        ],
    );

    r.control("SH", ["AUTO-REFRESH"]);
    para(
        &mut r,
        "Set SWROLE_REFRESH_MINUTES=10 (read each time) and the active role is renewed once it expires within 10 \
         minutes, with the flags of the switch that chose it. The shell never waits: the hook takes fresh \
         credentials from the cache, or starts the renewal in a detached swrole and picks it up before a later \
         command. It never asks for a code or a confirmation. When it cannot renew, one line says so once, with the \
         time left (or that the credentials have expired), and the next attempt comes five minutes later.",
    );

    r.control("SH", ["CACHE"]);
    para(
        &mut r,
        "One MFA code serves a working day: the first switch behind an MFA device makes an MFA session (STS \
         GetSessionToken, 12 hours by default, --mfa-session-duration) and caches it; every role behind that device \
         is then assumed without a code, in any terminal. Role credentials are cached too and reused until the \
         refresh margin (10 minutes, --refresh-margin) before they expire; a cache hit makes no network call.",
    );
    para(
        &mut r,
        "Entries live in the kernel user keyring on Linux (never on disk, gone at reboot), else in 0600 files in \
         $XDG_CACHE_HOME/swrole (SWROLE_CACHE_STORE). swrole cache list shows them (never a secret; (renews) marks \
         entries a switch would renew), swrole cache clear [PROFILE] removes them. --no-cache neither reads nor \
         writes it; --refresh ignores it.",
    );

    r.control("SH", ["ENVIRONMENT"]);
    // From the exports contract itself, so the page never drifts from what a switch does.
    let list = |names: &[&str]| match names {
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    para(
        &mut r,
        &format!(
            "A switch first unsets {} and other switchers' markers, then sets {} (each when it has a value), and {} \
             when the profile names a ca_bundle. swrole unset clears them.",
            list(&crate::exports::STALE_AWS),
            list(&crate::exports::MANAGED),
            list(&crate::exports::CA_BUNDLE),
        ),
    );
    for (name, what) in [
        ("AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE", "the two files (defaults below)"),
        ("AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL", "the STS endpoint (also endpoint_url and [services])"),
        ("AWS_ENDPOINT_URL_IAM", "the IAM endpoint swrole setup asks for the MFA device"),
        ("AWS_CA_BUNDLE", "CA certificates to trust besides the system's (also ca_bundle)"),
        ("AWS_MAX_ATTEMPTS", "attempts per STS call (1 to 10)"),
        ("SWROLE_KEY_STORE, SWROLE_CACHE_STORE", "where keys and cached credentials are kept"),
        (
            "SWROLE_MFA_PROMPT, SWROLE_MFA_PROCESS",
            "how an MFA code is asked for, or the command that prints it",
        ),
        ("SWROLE_REFRESH_MINUTES, SWROLE_QUIET", "auto-refresh; no line after sw"),
    ] {
        item(&mut r, name, what);
    }
    para(&mut r, "Every variable is listed in docs/reference.md.");

    r.control("SH", ["FILES"]);
    item(
        &mut r,
        "~/.aws/config, ~/.aws/credentials",
        "the profiles and the IAM user's keys, read as the AWS SDKs read them",
    );
    item(&mut r, "~/.cache/swrole/", "lock files, and the cache entries when they are files");
    item(&mut r, "~/.local/share/swrole/keys/", "the keys, with SWROLE_KEY_STORE=file");

    r.control("SH", ["EXIT STATUS"]);
    item(&mut r, "0", "done; stdout holds what to evaluate or read");
    item(&mut r, "1", "a failure, said in one line on stderr; stdout is empty (doctor: it found a problem)");
    item(&mut r, "2", "a bad flag or argument");
    item(&mut r, "75", "--background: nothing to apply yet, a renewal runs in the background");
    item(&mut r, "130", "Ctrl-C at a question");
    para(
        &mut r,
        "swrole exec passes on the command's status (128+N for a signal; 127 not found, 126 not runnable).",
    );

    r.control("SH", ["EXAMPLES"]);
    example(
        &mut r,
        &[
            "sw sw-staging                        # asks for the MFA code once",
            "sw sw-production -d 15m              # no second code",
            "eval \"$(swrole sw-staging)\"          # without the function",
            "swrole exec sw-staging -- aws s3 ls  # one command",
            "swrole exec --server sw-production -- terraform apply",
            "swrole console sw-production         # the console as the role",
            "swrole explain sw-production         # how it resolves, offline",
            "swrole keys import default           # keys into the key store",
        ],
    );

    r.control("SH", ["SEE ALSO"]);
    r.text([
        italic("aws"),
        roman("(1); the guide, reference and troubleshooting pages in docs/ of the source"),
    ]);
    r
}

#[cfg(test)]
mod tests {
    /// A link on PATH to the real binary (a package manager's layout): the page goes
    /// beside the link's directory, where man looks, not beside the binary.
    #[test]
    fn the_page_goes_beside_the_path_entry_that_was_used() {
        let t = tempfile::tempdir().unwrap();
        let (real, linked, other) =
            (t.path().join("opt/swrole/bin"), t.path().join("bin"), t.path().join("other"));
        for d in [&real, &linked, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        let exe = real.join("swrole");
        std::fs::write(&exe, "").unwrap();
        std::fs::write(other.join("swrole"), "").unwrap();
        std::os::unix::fs::symlink(&exe, linked.join("swrole")).unwrap();
        let path = format!("{}:{}::/nonexistent", other.display(), linked.display());
        assert_eq!(super::bin_dir(&path, &exe).unwrap(), (linked.clone(), true));
        let path = format!("{}:{}", real.display(), linked.display());
        assert_eq!(super::bin_dir(&path, &exe).unwrap(), (real.clone(), true), "the first that was used");
        assert_eq!(super::bin_dir(&other.display().to_string(), &exe).unwrap(), (real, false));
    }

    #[test]
    fn the_page_names_every_variable_a_switch_sets_or_clears() {
        let page = super::page().unwrap().replace("\\-", "-").replace("\\_", "_");
        let words = page.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect::<Vec<_>>();
        for name in
            crate::exports::MANAGED.iter().chain(&crate::exports::STALE_AWS).chain(&crate::exports::CA_BUNDLE)
        {
            assert!(words.contains(name), "the man page does not name {name}");
        }
    }

    #[test]
    fn the_page_has_the_sections_people_look_for() {
        let page = super::page().unwrap();
        for section in super::SECTIONS {
            assert!(
                page.contains(&format!(".SH \"{section}\"")) || page.contains(&format!(".SH {section}")),
                "{section}"
            );
        }
        assert!(page.contains(".SH OPTIONS") && page.contains(".SH SUBCOMMANDS"), "clap's sections stay");
    }
}
