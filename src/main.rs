use std::io::Write;

fn main() {
    // A panic must still answer on stdout with UNKNOWN, never a Rust dump
    // on stderr.
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(
            std::io::stdout(),
            "DRIFT UNKNOWN - internal error: {}",
            info.to_string().replace('\n', " ")
        );
        let _ = std::io::stdout().flush();
        std::process::exit(3);
    }));
    let answer = check_mysql_drift::run(
        std::env::args_os().collect(),
        std::env::var("MYSQL_PWD").ok(),
    );
    std::process::exit(check_mysql_drift::emit(&answer));
}
