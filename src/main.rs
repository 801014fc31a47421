fn main() {
    let answer = check_mysql_drift::run(
        std::env::args_os().collect(),
        std::env::var("MYSQL_PWD").ok(),
    );
    check_mysql_drift::deliver(answer)
}
