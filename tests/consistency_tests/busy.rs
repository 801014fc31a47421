//! The busy tables of production (a hot table, a job queue, rows moving
//! between tables): no false alarm, every drift found, on one replica and
//! on three.

use std::time::Duration;
use support::*;

/// The shop: a hot table of 1,000 rows, a job queue, a pair of tables
/// whose 200 rows move between them, and a quiet table of 200 rows.
fn shop_schema(db: &str) -> Vec<String> {
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    for table in ["hot", "jobs"] {
        sql.push(format!(
            "CREATE TABLE `{db}`.{table} (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB"
        ));
    }
    for table in ["moving_a", "moving_b", "quiet"] {
        sql.push(format!(
            "CREATE TABLE `{db}`.{table} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"
        ));
    }
    sql.push(format!(
        "INSERT INTO `{db}`.hot (v) SELECT seq FROM {}",
        numbers(1000)
    ));
    for table in ["moving_a", "quiet"] {
        sql.push(format!(
            "INSERT INTO `{db}`.{table} SELECT seq, 0 FROM {}",
            numbers(200)
        ));
    }
    sql
}

/// A shop schema under the busy-table traffic (`Traffic`): a hot table
/// (about 400 writes/s), a job queue, a pair of tables whose rows move
/// between them, and a quiet table.
fn busy_shop(name: &str) -> (String, String, Writers) {
    let p = fresh(name);
    let db = format!("{p}_shop");
    let t = |name: &str| format!("`{db}`.{name}");
    replicated(&shop_schema(&db));
    let writers = Writers::start(
        vec![
            Traffic::Hot {
                table: t("hot"),
                per_sec: 400,
            },
            Traffic::Queue { table: t("jobs") },
            Traffic::Queue { table: t("jobs") },
            Traffic::Mover {
                a: t("moving_a"),
                b: t("moving_b"),
                per_sec: 50,
            },
        ],
        Duration::from_secs(120),
    );
    std::thread::sleep(Duration::from_millis(500));
    (p, db, writers)
}

/// `n` runs with the default `-t`, a little apart.
fn runs(prefix: &str, n: usize) -> Vec<Run> {
    runs_with(prefix, n, &[])
}

fn runs_with(prefix: &str, n: usize, extra: &[&str]) -> Vec<Run> {
    let args = [&["-v"], extra].concat();
    (0..n)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(250));
            check(prefix).args(&args).run()
        })
        .collect()
}

/// The CRITICAL runs with a finding that starts with `start` and holds
/// `diff`.
fn named_critical(runs: &[Run], start: &str, diff: &str) -> usize {
    runs.iter()
        .filter(|r| r.is(State::Critical))
        .filter(|r| {
            r.stdout
                .lines()
                .any(|l| l.starts_with(start) && l.contains(diff))
        })
        .count()
}

fn median_secs(runs: &[Run]) -> f64 {
    let mut t: Vec<f64> = runs.iter().map(|r| r.elapsed.as_secs_f64()).collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// Prints how the 20 `runs` ended (`what`, their median time) and the ones
/// not OK; none may be WARNING or CRITICAL, and at most one UNKNOWN.
fn assert_no_false_alarm(what: &str, runs: &[Run]) {
    let [ok, warn, crit, unknown] = tally(runs);
    println!(
        "{what}: {ok} OK, {warn} WARNING, {crit} CRITICAL, {unknown} UNKNOWN of 20; median {:.3}s",
        median_secs(runs)
    );
    for r in runs.iter().filter(|r| !r.is(State::Ok)) {
        println!("  {r}");
    }
    assert_eq!((warn, crit), (0, 0), "false alarms on a healthy pair");
    assert!(unknown <= 1, "{unknown} of 20 runs UNKNOWN");
}

/// Prints how the 20 drifted `runs` ended (`what`, their median time);
/// the OK ones, of which there must be none.
fn tally_drifted(what: &str, runs: &[Run]) -> usize {
    let [ok, warn, crit, unknown] = tally(runs);
    println!(
        "{what}: {ok} OK, {warn} WARNING, {crit} CRITICAL, {unknown} UNKNOWN of 20; median {:.3}s",
        median_secs(runs)
    );
    ok
}

/// Stops the traffic: the hot table must have had more than 320 writes/s.
fn assert_hot_traffic(writers: Writers) {
    let (statements, secs) = writers.stop();
    let hot_rate = statements[0] as f64 / secs;
    println!("traffic: {statements:?} statements in {secs:.1}s (hot table {hot_rate:.0}/s)");
    assert!(
        hot_rate > 320.0,
        "the hot table got only {hot_rate:.0} writes/s"
    );
}

/// Every finding about `db` in `runs` rests on counts at one replication
/// position.
fn assert_at_one_position(runs: &[Run], db: &str) {
    let prefix = gtid_prefix();
    for r in runs {
        let findings = r
            .stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{db}.")));
        for line in findings {
            assert!(
                line.contains(&format!(", verified at GTID {prefix}")),
                "{r}"
            );
        }
    }
}

/// On the test pair, under the busy-table traffic: a healthy pair gives no
/// WARNING or CRITICAL in 20 runs (at most 1 UNKNOWN); then, with drift on
/// the replica alone in the hot table (+2), the quiet table (-1), the queue
/// (+1) and a moving-rows table (+1), each is named CRITICAL, at one
/// replication position, in at least 19 of 20 runs, and no run answers OK.
#[test]
fn busy_tables_verdicts() {
    let _g = exclusive();
    let (p, db, writers) = busy_shop("busy");
    assert_no_false_alarm("healthy pair, busy traffic", &runs(&p, 20));
    on_replica_only(&[
        &format!("INSERT INTO `{db}`.hot VALUES (-1, 0), (-2, 0)"),
        &format!("DELETE FROM `{db}`.quiet WHERE id = 7"),
        &format!("INSERT INTO `{db}`.jobs VALUES (-1, 0)"),
        &format!("INSERT INTO `{db}`.moving_a VALUES (-1, 0)"),
    ]);
    let drifted = runs(&p, 20);
    assert_hot_traffic(writers);
    let ok = tally_drifted("drifted pair, busy traffic", &drifted);
    let drifts = [
        ("hot", "+2"),
        ("quiet", "-1"),
        ("jobs", "+1"),
        ("moving_a", "+1"),
    ];
    let named: Vec<usize> = drifts
        .iter()
        .map(|(table, diff)| {
            let (start, diff) = (format!("{db}.{table}: primary "), format!("({diff}), "));
            let named = named_critical(&drifted, &start, &diff);
            println!("  {table} {diff}named CRITICAL in {named} of 20 runs");
            named
        })
        .collect();
    for r in drifted.iter().filter(|r| !r.is(State::Critical)) {
        println!("  {r}");
    }
    for ((table, _), named) in drifts.iter().zip(named) {
        assert!(named >= 19, "{table} named in only {named} of 20 runs");
    }
    assert_eq!(ok, 0, "drift answered OK");
    assert_at_one_position(&drifted, &db);
}

/// Under the busy-table traffic, `--checksum` gives no WARNING or CRITICAL
/// in 20 runs of a healthy pair; then an UPDATE on the replica alone in the
/// hot table (equal counts) is named CRITICAL, located to its key, in at
/// least 19 of 20 runs, and no run answers OK.
#[test]
fn busy_tables_content_verdicts() {
    let _g = exclusive();
    let (p, db, writers) = busy_shop("content_busy");
    let healthy = runs_with(&p, 20, &["--checksum"]);
    assert_no_false_alarm("healthy pair, busy traffic, --checksum", &healthy);
    on_replica_only(&[&format!(
        "UPDATE `{db}`.hot SET v = v + 1000000 WHERE id = 5"
    )]);
    let drifted = runs_with(&p, 20, &["--checksum", "-vvv"]);
    assert_hot_traffic(writers);
    let ok = tally_drifted("content drift in the hot table, --checksum", &drifted);
    let start = format!("{db}.hot: ");
    let named = named_critical(&drifted, &start, "differing key value(s): id=5,");
    println!("  hot content drift named CRITICAL, at id=5, in {named} of 20 runs");
    for r in drifted.iter().filter(|r| !r.is(State::Critical)) {
        println!("  {r}");
    }
    assert!(named >= 19, "named in only {named} of 20 runs");
    assert_eq!(ok, 0, "drift answered OK");
}

/// The state of `side`'s part of a run of several replicas, from its line
/// in the long output (`ADDR: STATE - ...`).
fn state_of(run: &Run, side: Side) -> String {
    let head = format!("{}: ", addr(side));
    run.stdout
        .lines()
        .skip(1)
        .find_map(|l| {
            l.strip_prefix(&head)?
                .split_once(" - ")
                .map(|(s, _)| s.to_string())
        })
        .unwrap_or_else(|| panic!("no line for {side:?}: {run}"))
}

/// Under the busy-table traffic, with the three replicas of the test set (one chained through another) in each run:
/// no replica of a healthy set is ever WARNING or CRITICAL in 20 runs;
/// then, with drift on the second replica (hot +2, jobs +1) and on the
/// chained one (moving_a +1), each is named for its replica in at least
/// 19 of 20 runs, and the first replica, still healthy, never alarms.
#[test]
fn busy_tables_across_three_replicas() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let (p, db, writers) = busy_shop("three_busy");
    let set = |n| -> Vec<Run> {
        (0..n)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(250));
                check(&p).replicas(&REPLICAS).args(&["-v"]).run()
            })
            .collect()
    };
    let states =
        |runs: &[Run], side: Side| runs.iter().map(|r| state_of(r, side)).collect::<Vec<_>>();
    let count = |states: &[String], word: &str| states.iter().filter(|s| *s == word).count();
    let alarms = |states: &[String]| count(states, "WARNING") + count(states, "CRITICAL");
    let healthy = set(20);
    for side in REPLICAS {
        let s = states(&healthy, side);
        println!(
            "healthy set, {side:?}: {} OK, {} UNKNOWN of 20; median run {:.3}s",
            count(&s, "OK"),
            count(&s, "UNKNOWN"),
            median_secs(&healthy)
        );
        assert_eq!(alarms(&s), 0, "false alarm on {side:?}");
        assert!(count(&s, "UNKNOWN") <= 1, "{side:?}: {s:?}");
    }
    on_only(
        Side::Replica2,
        &[
            &format!("INSERT INTO `{db}`.hot VALUES (-1, 0), (-2, 0)"),
            &format!("INSERT INTO `{db}`.jobs VALUES (-1, 0)"),
        ],
    );
    on_only(
        Side::Chained,
        &[&format!("INSERT INTO `{db}`.moving_a VALUES (-1, 0)")],
    );
    let drifted = set(20);
    assert_hot_traffic(writers);
    assert_eq!(alarms(&states(&drifted, Side::Replica)), 0);
    for (side, table, diff) in [
        (Side::Replica2, "hot", "+2"),
        (Side::Replica2, "jobs", "+1"),
        (Side::Chained, "moving_a", "+1"),
    ] {
        let finding = format!("{}: {db}.{table}: primary ", addr(side));
        let diff = format!("({diff}), verified at GTID 0-1-");
        let named = named_critical(&drifted, &finding, &diff);
        println!("  {side:?} {table} named CRITICAL in {named} of 20 runs");
        assert!(named >= 19, "{side:?} {table}: named in {named} of 20");
    }
    assert!(
        drifted.iter().all(|r| r.is(State::Critical)),
        "drift not CRITICAL"
    );
}

/// Outside the default suite (`cargo test --test consistency_tests hunt --
/// --ignored --nocapture`): the busy-table traffic on the MariaDB test set
/// for `DRIFT_HUNT_SECS` (default 300; the traffic, which stops itself
/// after 120 s, started again every 110 s),
/// runs against the replica, the second replica and the chained one (fed
/// by the replica's `log_slave_updates`), the replica killed (SIGKILL) and
/// started again a third of the way in. Every difference at one position
/// on this healthy set is printed with its record (`forensics`); a drift
/// verdict fails the test.
#[test]
#[ignore]
fn hunt_the_misplaced_snapshot() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let secs: u64 = std::env::var("DRIFT_HUNT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let started = std::time::Instant::now();
    let (p, db, mut writers) = busy_shop("hunt");
    let t = |name: &str| format!("`{db}`.{name}");
    let (mut runs, mut kept, mut killed) = (0, Vec::new(), false);
    let mut traffic_since = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(secs) {
        if !killed && started.elapsed() > Duration::from_secs(secs / 3) {
            signal(Side::Replica, "-KILL");
            servers_up();
            wait_replication_running();
            killed = true;
        }
        if traffic_since.elapsed() > Duration::from_secs(110) {
            writers.stop();
            traffic_since = std::time::Instant::now();
            writers = Writers::start(
                vec![
                    Traffic::Hot {
                        table: t("hot"),
                        per_sec: 400,
                    },
                    Traffic::Queue { table: t("jobs") },
                ],
                Duration::from_secs(120),
            );
        }
        let run = check(&p)
            .replicas(REPLICAS.as_slice())
            .args(&["--output", "json"])
            .run();
        runs += 1;
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        assert_ne!(doc["code"], 2, "a false alarm: {run}");
        for part in doc["replicas"].as_array().into_iter().flatten() {
            for record in part["forensics"].as_array().into_iter().flatten() {
                println!("{} {record}", part["replica"]);
                kept.push(record.clone());
            }
        }
    }
    writers.stop();
    println!(
        "{runs} runs in {:.0}s, {} difference(s) at one position kept",
        started.elapsed().as_secs_f64(),
        kept.len()
    );
}
