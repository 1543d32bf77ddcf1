//! The shell integration from `shell/` (`swrole init SHELL [--cmd NAME]`), embedded at build
//! time. fish, PowerShell and nushell files are printed as they are; the bash and zsh files
//! are templates around `shell/core.sh`, the logic the two shells share, written once (see
//! [`render`]).

use anyhow::{Result, bail};

use crate::shell::Shell;

const BASH: &str = include_str!("../../shell/swrole.bash");
const ZSH: &str = include_str!("../../shell/swrole.zsh");
const FISH: &str = include_str!("../../shell/swrole.fish");
const POWERSHELL: &str = include_str!("../../shell/swrole.ps1");
const NU: &str = include_str!("../../shell/swrole.nu");
const CORE: &str = include_str!("../../shell/core.sh");

/// The line of `shell/swrole.bash` and `shell/swrole.zsh` that `shell/core.sh` replaces.
const CORE_LINE: &str = "# swrole: core";
/// Lines of `shell/core.sh` that only zsh gets.
const ZSH_ONLY: &str = "# swrole: zsh only";

/// Names `--cmd` cannot take: what the integration files call (builtins and keywords of
/// the five shells, and commands they run), so defining a function of that name would
/// break them or the user's shell.
const RESERVED: &[&str] = &[
    "alias",
    "and",
    "begin",
    "bg",
    "bind",
    "break",
    "builtin",
    "case",
    "cd",
    "command",
    "compadd",
    "compdef",
    "complete",
    "continue",
    "date",
    "declare",
    "def",
    "do",
    "done",
    "echo",
    "elif",
    "else",
    "emit",
    "end",
    "env",
    "esac",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fg",
    "fi",
    "for",
    "function",
    "functions",
    "hide-env",
    "if",
    "in",
    "jobs",
    "let",
    "load-env",
    "local",
    "math",
    "mut",
    "not",
    "or",
    "print",
    "printf",
    "read",
    "readonly",
    "return",
    "set",
    "set_color",
    "shift",
    "source",
    "string",
    "switch",
    "test",
    "then",
    "time",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "until",
    "while",
    "whence",
    "zmodload",
];

/// The lines that name the user-facing function end with this marker; `--cmd` renames the
/// word `sw` in those lines only.
const MARKER: &str = "# swrole: cmd";

pub fn script(shell: Shell, cmd: &str) -> Result<String> {
    let text = match shell {
        Shell::Bash => render(BASH, "bash"),
        Shell::Zsh => render(ZSH, "zsh"),
        Shell::Fish => FISH.to_string(),
        Shell::Powershell => POWERSHELL.to_string(),
        Shell::Nu => NU.to_string(),
        Shell::Posix | Shell::Json => {
            bail!("no shell integration for {}: use bash, zsh, fish, powershell or nu", shell.name())
        }
    };
    let valid = cmd.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cmd.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        bail!(
            "--cmd {cmd:?} is not a valid function name (letters, digits, _ and -, not starting with a digit or -)"
        );
    }
    if RESERVED.contains(&cmd) || cmd.starts_with("__swrole") || cmd.starts_with("swrole_") {
        bail!(
            "--cmd {cmd:?} is a shell builtin, keyword or command, or one of swrole's own helper names: the \
             integration needs it as it is. Pick another name"
        );
    }
    if cmd == "swrole" {
        bail!(
            "--cmd swrole would hide the binary: inside `$(swrole ...)` the function would call itself. Pick another name"
        );
    }
    Ok(text
        .lines()
        .map(|line| if line.ends_with(MARKER) { rename(line, cmd) } else { line.to_string() } + "\n")
        .collect())
}

/// The words `sw` takes as its own (subcommands passed to swrole, `off`, `-`, help and
/// version): a profile of such a name, or one that starts with `-`, needs `sw -- NAME`.
pub const SW_WORDS: &[&str] = &[
    "off",
    "unset",
    "-",
    "-h",
    "--help",
    "-V",
    "--version",
    "help",
    "init",
    "list",
    "exec",
    "explain",
    "doctor",
    "cache",
    "credential-process",
    "keys",
    "team",
    "setup",
    "login",
    "sso",
    "log",
    "guard",
    "console",
    "man",
    "completions",
];

/// `profile` as the argument of `sw`, quoted for a POSIX shell: after `--` only when `sw`
/// would read the name as something else.
pub fn sw_argument(profile: &str) -> String {
    let quoted = crate::shell::posix::quote(profile);
    if profile.starts_with('-') || SW_WORDS.contains(&profile) { format!("-- {quoted}") } else { quoted }
}

/// A bash or zsh template with `shell/core.sh` in place of its `# swrole: core` line: the
/// core without its header (up to the first empty line), `@SHELL@` replaced by `shell`, and
/// the lines marked `# swrole: zsh only` kept for zsh alone.
fn render(template: &str, shell: &str) -> String {
    let core: String = CORE
        .split_once("\n\n")
        .map_or(CORE, |(_, body)| body)
        .lines()
        .filter(|line| shell == "zsh" || !line.ends_with(ZSH_ONLY))
        .map(|line| line.replace("@SHELL@", shell) + "\n")
        .collect();
    template
        .lines()
        .map(|line| if line == CORE_LINE { core.clone() } else { line.to_string() + "\n" })
        .collect()
}

/// Replace the word `sw` (not part of a longer name) with `cmd`.
fn rename(line: &str, cmd: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut prev: Option<char> = None;
    while let Some(pos) = rest.find("sw") {
        let before = rest[..pos].chars().next_back().or(prev);
        let after = rest[pos + 2..].chars().next();
        out.push_str(&rest[..pos]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str("sw");
        } else {
            out.push_str(cmd);
        }
        prev = Some('w');
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sw_arguments_need_the_separator_only_when_sw_would_misread_them() {
        assert_eq!(sw_argument("sw-staging"), "sw-staging");
        assert_eq!(sw_argument("off"), "-- off");
        assert_eq!(sw_argument("-dash"), "-- -dash");
        assert_eq!(sw_argument("console"), "-- console");
        assert_eq!(sw_argument("a b"), "'a b'");
    }

    #[test]
    fn rename_whole_words_only() {
        assert_eq!(
            rename("sw() { __swrole_sw \"$@\"; }  # swrole: cmd", "s"),
            "s() { __swrole_sw \"$@\"; }  # swrole: cmd"
        );
        assert_eq!(
            rename("complete -F __swrole_complete sw  # swrole: cmd", "role"),
            "complete -F __swrole_complete role  # swrole: cmd"
        );
        assert_eq!(
            rename("complete -c sw -f  # swrole: cmd", "aws-role"),
            "complete -c aws-role -f  # swrole: cmd"
        );
    }

    #[test]
    fn names() {
        assert!(script(Shell::Bash, "swrole").is_err());
        assert!(script(Shell::Bash, "1x").is_err());
        assert!(script(Shell::Bash, "a;b").is_err());
        for reserved in
            ["export", "command", "builtin", "unset", "eval", "__swrole_sw", "swrole_prompt_info", "set"]
        {
            assert!(script(Shell::Bash, reserved).is_err(), "{reserved}");
        }
        assert!(script(Shell::Bash, "role").is_ok());
        assert!(script(Shell::Json, "sw").is_err());
        assert_eq!(script(Shell::Fish, "sw").unwrap(), FISH);
    }

    #[test]
    fn bash_and_zsh_get_the_core_once_each_with_their_own_name() {
        for (shell, name, other) in [(Shell::Bash, "bash", "zsh"), (Shell::Zsh, "zsh", "bash")] {
            let text = script(shell, "sw").unwrap();
            assert_eq!(text.matches("\n__swrole_switch() {").count(), 1, "{name}");
            assert!(!text.lines().any(|l| l == CORE_LINE) && !text.contains("@SHELL@"), "{name}");
            assert!(text.contains(&format!("swrole --shell {name} ")), "{name}");
            assert!(!text.contains(&format!("--shell {other}")), "{name}");
            assert!(!text.contains("This header ends at the first empty line"), "{name}: the core's header");
            assert_eq!(text.contains("zle -I"), name == "zsh", "{name}: zsh-only lines");
        }
        assert!(CORE.contains(ZSH_ONLY) && BASH.contains(CORE_LINE) && ZSH.contains(CORE_LINE));
    }

    #[test]
    fn every_shell_names_the_function_in_marked_lines() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell, Shell::Nu] {
            let text = script(shell, "sw").unwrap();
            assert!(text.lines().any(|l| l.ends_with(MARKER)), "{shell:?}");
            let renamed = script(shell, "role").unwrap();
            for line in renamed.lines().filter(|l| l.ends_with(MARKER)) {
                assert_eq!(rename(line, "ZZ"), line, "{shell:?}: a whole-word sw is left");
            }
        }
    }
}
