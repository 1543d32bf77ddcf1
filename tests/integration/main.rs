//! One integration-test binary (links once; shared helpers in `util`).

mod cli;
mod conformance;
mod faults;
mod moto;
mod pty;
mod shells;
mod util;
