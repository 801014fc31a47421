//! What the load and fault tests share: the loadable tables, and the
//! replica's replication delayed (and put back).

use support::*;

/// The tables the mixed load writes to (and `quiet`, which it does not).
pub const LOADED: [&str; 4] = ["inno1", "inno2", "my1", "part1"];

fn seed_load_schema(db: &str) {
    let mut stmts = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    for (t, engine) in [
        ("inno1", "ENGINE=InnoDB"),
        ("inno2", "ENGINE=InnoDB"),
        ("my1", "ENGINE=MyISAM"),
        ("part1", "ENGINE=InnoDB PARTITION BY HASH(id) PARTITIONS 4"),
        ("quiet", "ENGINE=InnoDB"),
    ] {
        stmts.push(format!(
            "CREATE TABLE `{db}`.{t} (id INT PRIMARY KEY, v INT) {engine}"
        ));
        stmts.push(format!(
            "INSERT INTO `{db}`.{t} SELECT seq, 0 FROM {}",
            numbers(200)
        ));
    }
    replicated(&stmts);
}

/// A fresh prefix for one test and its database of loadable tables.
pub fn loaded(name: &str) -> (String, String) {
    let p = fresh(name);
    let db = format!("{p}_a");
    seed_load_schema(&db);
    (p, db)
}

/// Replication on the replica restarted with a delay of `secs`, and
/// running again.
pub fn delay_replication(secs: u32) {
    let change = match flavor() {
        Flavor::MySql => format!("CHANGE REPLICATION SOURCE TO SOURCE_DELAY = {secs}"),
        _ => format!("CHANGE MASTER TO MASTER_DELAY = {secs}, MASTER_USE_GTID = slave_pos"),
    };
    exec(Side::Replica, &["STOP REPLICA", &change, "START REPLICA"]);
    wait_replication_running();
}

/// Puts the pair's replication back as the server scripts set it when
/// dropped, so that a failing test does not leave it changed for the next.
pub struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        delay_replication(0);
    }
}
