use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = swrole::cli::Cli::parse();
    match swrole::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line per cause, control characters made visible: file and network text
            // must not drive the terminal.
            let text = format!("{err:#}");
            if !text.is_empty() {
                eprintln!("swrole: {}", swrole::text::printable(&text));
            }
            ExitCode::from(swrole::error::exit_code(&err))
        }
    }
}
