//! How long the plugin holds its snapshots: an open snapshot keeps the
//! servers' undo history, so a lane closes its pair after
//! `--max-snapshot-age` and aligns a new one for the tables left.

use std::sync::atomic::{AtomicBool, Ordering};
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

/// The age in whole seconds of the oldest read-only transaction on `side`
/// (the plugin's: its sessions are read-only, and the test has the servers
/// to itself).
fn oldest_read_only(side: Side) -> i64 {
    query_one::<Option<i64>>(
        side,
        "SELECT MAX(TIMESTAMPDIFF(SECOND, trx_started, NOW())) FROM information_schema.INNODB_TRX \
         WHERE trx_is_read_only = 1",
    )
    .unwrap_or(0)
}

/// A run of several seconds in one lane: no transaction of the plugin's on
/// either server is older than the bound (1 s) + 1 s (INNODB_TRX counts
/// whole seconds), polled every 100 ms as admin; the lane aligned a new
/// pair of snapshots as it went, and the answer is the same.
#[test]
fn snapshots_are_held_no_longer_than_the_bound() {
    let _g = exclusive();
    let p = tables("snapshot_age", 80);
    let stop = AtomicBool::new(false);
    let (run, oldest) = std::thread::scope(|s| {
        let poll = s.spawn(|| {
            let mut oldest = 0;
            while !stop.load(Ordering::Relaxed) {
                for side in [Side::Primary, Side::Replica] {
                    oldest = oldest.max(oldest_read_only(side));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            oldest
        });
        let args = [
            "--checksum=strong",
            "--connections",
            "1",
            "--max-snapshot-age",
            "1",
            "-v",
        ];
        let run = check(&p).args(&args).run();
        stop.store(true, Ordering::Relaxed);
        (run, poll.join().unwrap())
    });
    run.assert_state(State::Ok);
    println!("run {:?}, oldest snapshot seen {oldest}s", run.elapsed);
    assert!(oldest <= 2, "a snapshot held {oldest}s: {run}");
    let progress = run.stdout.lines().nth(2).unwrap_or_default();
    // `-v`: "N round(s), N table re-check(s), N tries to read both servers ..."
    let tries: u64 = progress
        .split(", ")
        .find(|part| part.contains(" tries to read both servers"))
        .and_then(|part| part.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no tries in {progress:?}"));
    assert!(
        tries >= 3,
        "the lane did not align new snapshots as it went: {run}"
    );
}
