use std::process::ExitCode;

fn main() -> ExitCode {
    // Tab completion: with SWROLE_COMPLETE set, the shell asks for candidates (from the
    // clap definition: profile names, subcommands, flags) and nothing else runs.
    clap_complete::CompleteEnv::with_factory(swrole::cli::completion_command)
        .var(swrole::cli::COMPLETE_VAR)
        .complete();
    let cli = swrole::cli::parse();
    match swrole::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line per cause, control characters made visible: file and network text
            // must not drive the terminal.
            let mut text = format!("{err:#}");
            // The shell's auto-refresh: one line that says what the shell has now.
            if let Some(profile) =
                std::env::var("SWROLE_REFRESHING").ok().and(std::env::var("SWROLE_PROFILE").ok())
                && !text.is_empty()
            {
                text = swrole::cmd::switch::renewal_failed(
                    &swrole::env::Env::from_process(),
                    &profile,
                    &text,
                    false,
                );
            }
            if !text.is_empty() {
                eprintln!("swrole: {}", swrole::text::printable(&text));
            }
            ExitCode::from(swrole::error::exit_code(&err))
        }
    }
}
