//! Verdicts under a bounded mixed write load, with GTIDs in several
//! domains, and with replication by file and position.

use crate::fixtures::{loaded, Restore, LOADED};
use std::time::Duration;
use support::*;

/// `n` runs with `-t 10`, 1.5 s apart.
fn spaced_runs(p: &str, n: usize) -> Vec<Run> {
    (0..n)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(1500));
            check(p).args(&["-t", "10"]).run()
        })
        .collect()
}

/// No false alarm in 12 runs of the healthy pair, at most 2 UNKNOWN, and
/// every OK rests on counts at one replication position, MyISAM and
/// partitioned tables included.
fn assert_healthy_under_load(p: &str) {
    let healthy = spaced_runs(p, 12);
    let [ok, warn, crit, unknown] = tally(&healthy);
    println!(
        "healthy pair under load: {ok} OK, {warn} WARNING, {crit} CRITICAL, {unknown} UNKNOWN"
    );
    for r in &healthy {
        println!("  {}", r.first_line());
        assert!(
            r.is(State::Ok) || r.is(State::Unknown),
            "false alarm on a healthy pair:\n{r}"
        );
    }
    assert!(unknown <= 2, "too many unverified runs: {unknown} of 12");
    for r in healthy.iter().filter(|r| r.is(State::Ok)) {
        assert_eq!(
            verdicts_line(r),
            "verdicts: 5 compared at one replication position",
            "{r}"
        );
    }
}

/// No false alarm on a healthy pair under about 200 writes/s; drift in a
/// table under load found, never called OK.
#[test]
fn verdicts_under_write_load() {
    let _g = exclusive();
    let (p, db) = loaded("load");
    let tables: Vec<String> = LOADED.iter().map(|t| format!("`{db}`.{t}")).collect();
    let load = Writers::mixed(&tables, 4, 200, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));

    assert_healthy_under_load(&p);

    // Drift in a table under load: ids the load never touches.
    on_replica_only(&[&format!(
        "INSERT INTO `{db}`.inno1 VALUES (-1, 0), (-2, 0), (-3, 0)"
    )]);
    let drifted = spaced_runs(&p, 6);
    let named = drifted
        .iter()
        .filter(|r| r.is(State::Critical) && r.stdout.contains(&format!("{db}.inno1: primary ")))
        .count();
    println!("drift under load: {named} of 6 runs CRITICAL naming the table");
    for r in &drifted {
        println!("  {}", r.first_line());
        assert!(!r.is(State::Ok), "drift reported as OK:\n{r}");
    }
    assert!(named >= 5, "drift named in only {named} of 6 runs");

    // Drift in a quiet table: CRITICAL every time.
    on_replica_only(&[&format!("DELETE FROM `{db}`.quiet WHERE id = 7")]);
    for _ in 0..3 {
        let r = check(&p).args(&["-t", "10"]).run();
        r.assert_state(State::Critical);
        assert!(
            r.stdout
                .contains(&format!("{db}.quiet: primary 200, replica 199 (-1)")),
            "{r}"
        );
    }
    let (each, _) = load.stop();
    let statements: u64 = each.iter().sum();
    println!("load: {statements} statements");
    assert!(
        statements > 1000,
        "the load ran only {statements} statements"
    );
}

/// Transactions in two replication domains: positions compare domain by
/// domain, and drift is still found at one position.
#[test]
fn multi_domain_positions() {
    if !require(Feature::GtidDomains) {
        return;
    }
    let _g = exclusive();
    let (p, db) = loaded("domains");
    exec(
        Side::Primary,
        &[
            "SET SESSION gtid_domain_id = 7",
            &format!("INSERT INTO `{db}`.inno2 VALUES (-1, 0)"),
            "SET SESSION gtid_domain_id = 0",
        ],
    );
    sync();
    let run = check(&p).run();
    run.assert_state(State::Ok);
    // One position, or several when the load moved on between lanes.
    assert!(run.first_line().contains("GTID 0-1-"), "{run}");
    assert!(run.first_line().contains(",7-1-"), "{run}");
    on_replica_only(&[&format!("DELETE FROM `{db}`.inno2 WHERE id = -1")]);
    let run = check(&p).run();
    run.assert_state(State::Critical);
    assert!(
        run.stdout.contains(&format!(
            "{db}.inno2: primary 201, replica 200 (-1), verified at GTID "
        )),
        "{run}"
    );
}

/// Replication by binlog file and position (MASTER_USE_GTID=no): a MariaDB
/// replica still records GTIDs in mysql.gtid_slave_pos, so verdicts keep
/// their positions, under load too.
#[test]
fn file_and_position_replication() {
    if !require(Feature::FilePositionReplication) {
        return;
    }
    let _g = exclusive();
    let (p, db) = loaded("filepos");
    let runs = {
        let _restore = Restore;
        exec(
            Side::Replica,
            &[
                "STOP REPLICA",
                "CHANGE MASTER TO MASTER_USE_GTID = no",
                "START REPLICA",
            ],
        );
        wait_replication_running();
        let tables: Vec<String> = LOADED.iter().map(|t| format!("`{db}`.{t}")).collect();
        let load = Writers::mixed(&tables, 4, 200, Duration::from_secs(20));
        let mut runs: Vec<Run> = (0..4)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(700));
                check(&p).args(&["-t", "10"]).run()
            })
            .collect();
        on_replica_only(&[&format!("INSERT INTO `{db}`.inno2 VALUES (-9, 0)")]);
        std::thread::sleep(Duration::from_millis(700));
        runs.push(check(&p).args(&["-t", "10"]).run());
        load.stop();
        runs
    };
    let (healthy, drifted) = runs.split_at(4);
    for r in healthy {
        assert!(
            r.is(State::Ok) || r.is(State::Unknown),
            "false alarm with file/position replication:\n{r}"
        );
    }
    assert!(healthy.iter().filter(|r| r.is(State::Ok)).count() >= 3);
    drifted[0].assert_state(State::Critical);
    assert!(
        drifted[0].stdout.contains(&format!("{db}.inno2: primary ")),
        "{}",
        drifted[0]
    );
}
