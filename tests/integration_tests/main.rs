//! The built plugin against a real MariaDB primary and replica
//! (`tests/servers.sh up`; `tests/run.sh` does it and runs this suite).

mod arguments;
mod connections;
mod identity;
mod outputs;
mod verdicts;
