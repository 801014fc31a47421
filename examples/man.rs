//! Prints the man page, generated from the command-line definition:
//! `cargo run --example man > check_mysql_drift.1`.

fn main() -> std::io::Result<()> {
    clap_mangen::Man::new(check_mysql_drift::command()).render(&mut std::io::stdout())
}
