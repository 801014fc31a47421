//! How long the plugin holds its snapshots: an open snapshot keeps the
//! servers' undo history, so a lane closes its pair after
//! `--max-snapshot-age` and aligns a new one for the tables left.

use std::time::Duration;
use support::*;

/// `n` tables of 25,000 rows each in a fresh database of prefix `name`.
fn tables(name: &str, n: usize) -> String {
    let p = fresh(name);
    let db = format!("{p}_a");
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    if flavor() == Flavor::MySql {
        sql.push("SET SESSION cte_max_recursion_depth = 100000".into());
    }
    for i in 0..n {
        sql.push(format!(
            "CREATE TABLE t{i:02} (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
        ));
        sql.push(format!(
            "INSERT INTO t{i:02} SELECT seq, SHA2(seq, 256) FROM {}",
            numbers(25_000)
        ));
    }
    replicated(&sql);
    p
}

/// A run of several seconds in one lane: no transaction of the plugin's on
/// either server is older than the bound (1 s) + 1 s (INNODB_TRX counts
/// whole seconds), polled every 100 ms as admin; the lane aligned a new
/// pair of snapshots as it went, and the answer is the same.
#[test]
fn snapshots_are_held_no_longer_than_the_bound() {
    let _g = exclusive();
    let p = tables("snapshot_age", 80);
    let args = [
        "--checksum=strong",
        "--connections",
        "1",
        "--max-snapshot-age",
        "1",
        "-v",
    ];
    let (run, oldest) =
        polling_snapshots(Duration::from_millis(100), || check(&p).args(&args).run());
    run.assert_state(State::Ok);
    println!("run {:?}, oldest snapshot seen {oldest}s", run.elapsed);
    assert!(oldest <= 2, "a snapshot held {oldest}s: {run}");
    let tries = align_tries(&run);
    assert!(
        tries >= 3,
        "the lane did not align new snapshots as it went: {run}"
    );
}
