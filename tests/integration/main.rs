//! One integration-test binary (links once; shared helpers in `util`).

mod architecture;
mod bounds;
mod cache;
mod cli;
mod conformance;
mod console;
mod dayone;
mod diagnose;
mod docs;
mod faults;
mod fuzz;
mod hostile;
mod keystore;
mod mfa;
mod moto;
mod package;
mod production;
mod pty;
mod review;
mod round3;
mod server;
mod shell_files;
mod shells;
mod team;
mod tls;
mod util;
