//! Shells and output formats. Every per-shell decision is an exhaustive `match`; each
//! syntax has one emitter module, proven in the real shell by `tests/`.

pub mod fish;
pub mod integration;
pub mod json;
pub mod nu;
pub mod posix;
pub mod powershell;

use clap::ValueEnum;

use crate::exports::Exports;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    #[value(alias = "nushell")]
    Nu,
    /// Any POSIX shell (sh, dash, ksh): same syntax as bash.
    #[value(alias = "sh")]
    Posix,
    /// The `credential_process` document (version 1).
    Json,
}

/// The syntaxes that the shells share: one emitter module each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Posix,
    Fish,
    Powershell,
    Nu,
}

impl Shell {
    /// The shell named by `$SHELL` (basename, a login shell's leading `-` removed); POSIX
    /// when unknown or unset.
    pub fn detect(shell_var: Option<&str>) -> Shell {
        Shell::from_program(shell_var.unwrap_or("")).unwrap_or(Shell::Posix)
    }

    /// The output syntax for the calling shell: the parent process's program when it is a
    /// shell (inside `eval "$(swrole ...)"` the parent is the calling shell's subshell),
    /// else `$SHELL` (the login shell, which may not be the one running), else POSIX.
    pub fn for_caller(parent: Option<&str>, shell_var: Option<&str>) -> Shell {
        parent.and_then(Shell::from_program).unwrap_or_else(|| Shell::detect(shell_var))
    }

    /// A known shell from a program name or path.
    pub fn from_program(program: &str) -> Option<Shell> {
        let name = program.rsplit('/').next().unwrap_or("").trim_start_matches('-');
        Some(match name {
            "bash" => Shell::Bash,
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            "pwsh" | "powershell" | "pwsh.exe" | "powershell.exe" => Shell::Powershell,
            "nu" => Shell::Nu,
            "sh" | "dash" | "ksh" | "mksh" | "ash" | "busybox" | "yash" | "posh" => Shell::Posix,
            _ => return None,
        })
    }

    /// `None` for JSON, which is not code.
    pub fn syntax(self) -> Option<Syntax> {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Posix => Some(Syntax::Posix),
            Shell::Fish => Some(Syntax::Fish),
            Shell::Powershell => Some(Syntax::Powershell),
            Shell::Nu => Some(Syntax::Nu),
            Shell::Json => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Powershell => "powershell",
            Shell::Nu => "nu",
            Shell::Posix => "posix",
            Shell::Json => "json",
        }
    }
}

impl Syntax {
    pub fn render(self, exports: &Exports) -> String {
        match self {
            Syntax::Posix => posix::render(exports),
            Syntax::Fish => fish::render(exports),
            Syntax::Powershell => powershell::render(exports),
            Syntax::Nu => nu::render(exports),
        }
    }

    pub fn quote(self, value: &str) -> String {
        match self {
            Syntax::Posix => posix::quote(value),
            Syntax::Fish => fish::quote(value),
            Syntax::Powershell => powershell::quote(value),
            Syntax::Nu => nu::quote(value),
        }
    }

    /// How to run `swrole ARGS` so that the shell applies its output.
    pub fn eval_hint(self, args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| self.quote(a)).collect();
        let cmd = format!("swrole {}", args.join(" "));
        match self {
            Syntax::Posix => format!("eval \"$({cmd})\""),
            Syntax::Fish => format!("{cmd} | source"),
            Syntax::Powershell => format!("{cmd} | Out-String | Invoke-Expression"),
            Syntax::Nu => nu::apply_hint(&cmd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect() {
        assert_eq!(Shell::detect(Some("/usr/bin/zsh")), Shell::Zsh);
        assert_eq!(Shell::detect(Some("-bash")), Shell::Bash);
        assert_eq!(Shell::detect(Some("/opt/homebrew/bin/fish")), Shell::Fish);
        assert_eq!(Shell::detect(Some("/usr/local/bin/pwsh")), Shell::Powershell);
        assert_eq!(Shell::detect(Some("/bin/dash")), Shell::Posix);
        assert_eq!(Shell::detect(Some("/usr/bin/nu")), Shell::Nu);
        // The calling shell wins over $SHELL; a parent that is no shell does not.
        assert_eq!(Shell::for_caller(Some("zsh"), Some("/usr/bin/fish")), Shell::Zsh);
        assert_eq!(Shell::for_caller(Some("dash"), Some("/usr/bin/fish")), Shell::Posix);
        assert_eq!(Shell::for_caller(Some("python3"), Some("/usr/bin/fish")), Shell::Fish);
        assert_eq!(Shell::for_caller(None, None), Shell::Posix);
        assert_eq!(Shell::detect(None), Shell::Posix);
    }

    #[test]
    fn hints() {
        assert_eq!(Syntax::Posix.eval_hint(&["sw-staging"]), "eval \"$(swrole sw-staging)\"");
        assert_eq!(Syntax::Fish.eval_hint(&["a b"]), "swrole 'a b' | source");
    }
}
