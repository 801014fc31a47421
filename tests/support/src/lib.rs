//! What check_mysql_drift's integration tests share, one module per job:
//! the test servers and how to reach them, fixtures made on them, the
//! built plugin run with a scrubbed environment, bounded write traffic,
//! scratch files, and tests skipped by name with their reason.
//!
//! A library of its own, so that each test binary uses what it needs and
//! nothing is dead code.

mod fixtures;
mod runner;
mod scratch;
mod servers;
mod skip;
mod traffic;

pub use fixtures::*;
pub use runner::*;
pub use scratch::*;
pub use servers::*;
pub use skip::*;
pub use traffic::*;
