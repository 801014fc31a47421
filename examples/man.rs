//! Prints the man page, generated from the command-line definition:
//! `cargo run --example man > check_mysql_drift.1`.

use clap::CommandFactory;

fn main() -> std::io::Result<()> {
    let cmd = check_mysql_drift::cli::Cli::command();
    clap_mangen::Man::new(cmd).render(&mut std::io::stdout())
}
