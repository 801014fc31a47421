//! Fixtures on the test servers: fresh databases, seeded tables, drift
//! made on one server alone, accounts.

use crate::servers::{exec, flavor, replicas, sync, Flavor, Side};
use mysql::prelude::Queryable;

/// Statements made on the primary, then replicated everywhere.
pub fn replicated(statements: &[String]) {
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    exec(Side::Primary, &refs);
    sync();
}

/// Statements on the replica alone: not written to its binary log, which
/// is how drift happens (a write on the replica, a skipped event).
pub fn on_replica_only(statements: &[&str]) {
    on_only(Side::Replica, statements);
}

/// Statements on one server alone, unlogged (drift on that server only).
pub fn on_only(side: Side, statements: &[&str]) {
    let mut all = vec!["SET SESSION sql_log_bin = 0"];
    all.extend_from_slice(statements);
    exec(side, &all);
}

/// A derived table of the numbers 1 to `n` in column `seq`.
pub fn numbers(n: u32) -> String {
    match flavor() {
        Flavor::MySql => format!(
            "(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < {n}) \
             SELECT seq FROM s) AS numbers"
        ),
        _ => format!("seq_1_to_{n}"),
    }
}

/// A fresh set of databases for one test, named `it_<name>...`: whatever an
/// earlier run left is dropped on both sides (unlogged, so that the drop
/// itself cannot fail on the replica).
pub fn fresh(name: &str) -> String {
    let prefix = format!("it_{name}");
    for &side in [Side::Primary].iter().chain(replicas()) {
        let mut c = crate::servers::admin(side);
        let dbs: Vec<String> = c
            .exec(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
                (format!("{prefix}%"),),
            )
            .unwrap();
        c.query_drop("SET SESSION sql_log_bin = 0").unwrap();
        for db in dbs {
            c.query_drop(format!("DROP DATABASE `{}`", db.replace('`', "``")))
                .unwrap();
        }
    }
    prefix
}

/// Three tables of a few rows in `db`, made on the primary and replicated.
pub fn seed(db: &str) {
    exec(
        Side::Primary,
        &[
            &format!("CREATE DATABASE `{db}`"),
            &format!(
                "CREATE TABLE `{db}`.t1 (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB"
            ),
            &format!(
                "CREATE TABLE `{db}`.t2 (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB"
            ),
            &format!(
                "CREATE TABLE `{db}`.t3 (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB"
            ),
            &format!("INSERT INTO `{db}`.t1 (v) VALUES (1),(2),(3)"),
            &format!("INSERT INTO `{db}`.t2 (v) VALUES (1),(2),(3),(4),(5)"),
        ],
    );
    sync();
}

/// A fresh prefix for one test and its first database, seeded.
pub fn seeded(name: &str) -> (String, String) {
    let p = fresh(name);
    let db = format!("{p}_a");
    seed(&db);
    (p, db)
}

/// An account of the plugin's read-only grant for one test, so that its sessions
/// can be told apart from other tests'.
pub fn own_monitor(user: &str) {
    account(user, "", &["SELECT, SHOW DATABASES ON *.*"]);
}

/// An account for one test, password `pw-<user>`, made on the primary (it
/// replicates); `require` is e.g. `REQUIRE SSL`.
pub fn account(user: &str, require: &str, grants: &[&str]) {
    let mut statements = vec![
        format!("CREATE USER IF NOT EXISTS '{user}'@'%'"),
        format!("ALTER USER '{user}'@'%' IDENTIFIED BY 'pw-{user}' {require}"),
    ];
    statements.extend(grants.iter().map(|g| format!("GRANT {g} TO '{user}'@'%'")));
    replicated(&statements);
}
