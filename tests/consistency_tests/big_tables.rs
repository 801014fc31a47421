//! Big tables, counted in key ranges: each range on both sides at one
//! replication position, the ranges spread over the lanes, the snapshots
//! bounded, and never an OK over what was not compared. `--chunk-rows`
//! scaled down stands in for tables of hundreds of millions of rows.

use std::time::Duration;
use support::*;

const ROWS: u32 = 60_000;

/// One table `big` of `rows` rows (`id` 1..=rows, auto-increment, as the
/// busy traffic writes it), its statistics up to date on both sides.
fn big_table(name: &str, rows: u32) -> (String, String) {
    let p = fresh(name);
    let db = format!("{p}_a");
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    if flavor() == Flavor::MySql {
        sql.push(format!("SET SESSION cte_max_recursion_depth = {rows}"));
    }
    sql.extend([
        "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, k INT, v INT, KEY (k)) \
         ENGINE=InnoDB"
            .to_string(),
        format!(
            "INSERT INTO big (id, k, v) SELECT seq, seq % 1000, seq FROM {}",
            numbers(rows)
        ),
        "ANALYZE TABLE big".to_string(),
    ]);
    replicated(&sql);
    // A new binlog file: confirming a pair reads the current one from its
    // start (MariaDB before 11.4), and these runs confirm hundreds of
    // pairs, whatever the test set logged before.
    if flavor() != Flavor::MySql {
        exec(Side::Primary, &["FLUSH NO_WRITE_TO_BINLOG BINARY LOGS"]);
    }
    (p, db)
}

/// A pass in ranges of 5,000 rows (and `extra` arguments): OK, every
/// range compared at one position (`-vvv` says how, as `matched`). Then
/// `drift`, made on the replica alone in the middle of the key range, is
/// CRITICAL, named as `finding` and located, in every run until it is
/// repaired; `also` checks more (given the prefix) before the repair;
/// then OK.
fn located_in_ranges(
    name: &str,
    extra: &[&str],
    (matched, finding): (&str, &str),
    drift: &Drift,
    also: impl FnOnce(&str),
) {
    let (p, db) = big_table(name, ROWS);
    let args = [extra, &["--chunk-rows", "5000", "-vvv"]].concat();
    let run = check(&p).args(&args).run();
    run.assert_state(State::Ok);
    let matched = format!("{db}.big: match, {matched}");
    assert!(run.stdout.contains(&matched), "{run}");
    drift.make_in(&db);
    let finding = format!("{db}.big: {finding}");
    drift.stays_critical(&p, &args, &[&finding, drift.named]);
    also(&p);
    drift.repair_in(&p, &db, &args);
}

/// One row deleted on the replica alone, located in the text and in the
/// JSON, and a record kept of each look at its range (counted again in
/// the same snapshots).
#[test]
fn a_big_table_is_compared_in_ranges_and_drift_located() {
    let _g = exclusive();
    let drift = Drift {
        make: "DELETE FROM {t} WHERE id = 30000",
        repair: "INSERT INTO {t} (id, k, v) VALUES (30000, 0, 30000)",
        named: ": id=30000 on the primary only",
    };
    let finding = format!("primary {ROWS}, replica {} (-1) in id (", ROWS - 1);
    let words = ("compared in 13 key ranges", finding.as_str());
    located_in_ranges("big_ranges", &[], words, &drift, |p| {
        let json = check(p)
            .args(&["--chunk-rows", "5000", "--output", "json"])
            .run();
        let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
        let ranges = &doc["replicas"][0]["findings"][0]["ranges"];
        assert_eq!(
            ranges[0]["primary"].as_u64().unwrap() - 1,
            ranges[0]["replica"].as_u64().unwrap(),
            "{json}"
        );
        assert_eq!(ranges[0]["keys"]["primary_only"][0], "id=30000", "{json}");
        // Both looks at the range kept a record, its recount the same.
        let kept = doc["replicas"][0]["forensics"]
            .as_array()
            .expect("forensics");
        assert_eq!(kept.len(), 2, "{json}");
        for f in kept {
            let range = format!("{}_a.big in id (25000, 30000]", p);
            assert_eq!(f["table"], range.as_str(), "{json}");
            assert_eq!(
                (f["primary"].as_u64(), f["replica"].as_u64()),
                (Some(5000), Some(4999))
            );
            assert_eq!(f["recount_agrees"], true, "{json}");
        }
    });
}

/// A replica whose table lost its primary key (a plain index instead) and
/// holds a second row of the first range's last key: walking that range
/// there ends at the same key, yet it holds a row more. The walk tells it
/// (the row after the end is still in the range), the range is counted:
/// CRITICAL naming the range, besides the definition.
#[test]
fn a_replica_that_lost_its_key_is_counted_not_trusted() {
    let _g = exclusive();
    let (p, db) = big_table("big_lostkey", 20_000);
    on_replica_only(&[
        &format!("ALTER TABLE `{db}`.big DROP PRIMARY KEY, ADD KEY (id)"),
        &format!("INSERT INTO `{db}`.big (id, k, v) VALUES (5000, 0, 5000)"),
    ]);
    let run = check(&p).args(&["--chunk-rows", "5000"]).run();
    run.assert_state(State::Critical);
    let finding = format!("{db}.big: primary 20000, replica 20001 (+1) in id (.., 5000]");
    assert!(run.stdout.contains(&finding), "{run}");
}

/// A table that one run cannot cover (a million rows in ranges of 1,000,
/// one connection, -t 0.3: the first pass stops taking ranges at 40 % of
/// -t): never OK, UNKNOWN naming how much was compared, no drift in it;
/// and the run ends within -t + 1 s.
#[test]
fn a_table_not_covered_in_time_is_unverified_never_ok() {
    let _g = exclusive();
    let (p, db) = big_table("big_partial", 1_000_000);
    let args = ["--chunk-rows", "1000", "--connections", "1", "-t", "0.3"];
    let run = check(&p).args(&args).run();
    run.assert_state(State::Unknown);
    assert!(run.elapsed < Duration::from_millis(1300), "{run}");
    let said = format!("{db}.big: unverified: ");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&said))
        .unwrap_or_else(|| panic!("no unverified finding: {run}"));
    assert!(
        line.contains(" of about ")
            && line
                .ends_with(" rows compared at one replication position in time, no drift in them"),
        "{run}"
    );
    let compared: u64 = line[said.len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {line}"));
    assert!(compared > 0 && compared < 1_000_000, "{run}");
}

/// A big table with no key to cut it into ranges (300,000 rows of about
/// 280 bytes, a secondary index on `k`, and a small table beside it):
/// counted whole when that fits its limit, OK; with `--max-snapshot-age
/// 0.001` it cannot, and it is unverified naming why (UNKNOWN by default),
/// the small table still compared; with `--checksum=strong` and
/// `--max-snapshot-age 0.1` it is counted (about 20 ms, on the index) but
/// its rows cannot be hashed whole in time (about 0.35 s): unverified too,
/// naming why, in the first round.
#[test]
fn a_keyless_table_too_big_to_count_whole_is_unverified_naming_why() {
    let _g = exclusive();
    let p = fresh("keyless");
    let db = format!("{p}_a");
    // Seeded alike on both servers, unlogged: 80 MB of row events would
    // slow the tests after this one.
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    if flavor() == Flavor::MySql {
        sql.push("SET SESSION cte_max_recursion_depth = 300000".to_string());
    }
    sql.extend([
        "CREATE TABLE heap (k INT, v INT, w VARCHAR(512), KEY (k)) ENGINE=InnoDB".to_string(),
        format!(
            "INSERT INTO heap SELECT seq, seq, REPEAT(SHA2(seq, 256), 4) FROM {}",
            numbers(300_000)
        ),
        "ANALYZE TABLE heap".to_string(),
        "CREATE TABLE small (id INT PRIMARY KEY) ENGINE=InnoDB".to_string(),
        "INSERT INTO small VALUES (1), (2), (3)".to_string(),
    ]);
    let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
    std::thread::scope(|s| {
        for side in [Side::Primary, Side::Replica] {
            let sql = &sql;
            s.spawn(move || on_only(side, sql));
        }
    });
    let args = ["--chunk-rows", "1000", "-vvv"];
    let run = check(&p).args(&args).run();
    run.assert_state(State::Ok);
    assert!(run.stdout.contains(&format!("{db}.heap: match")), "{run}");
    let run = check(&p)
        .args(&[&args[..], &["--max-snapshot-age", "0.001"]].concat())
        .run();
    run.assert_state(State::Unknown);
    let why = format!(
        "{db}.heap: unverified: no primary key or unique key of NOT NULL columns to count it in \
         key ranges, and counting it whole did not end within --max-snapshot-age or the time \
         left of -t"
    );
    assert!(run.stdout.contains(&why), "{run}");
    assert!(run.stdout.contains(&format!("{db}.small: match")), "{run}");
    assert_eq!(run.perf("unverified"), "1", "{run}");
    let run = check(&p)
        .args(
            &[
                &args[..],
                &["--checksum=strong", "--max-snapshot-age", "0.1"],
            ]
            .concat(),
        )
        .run();
    run.assert_state(State::Unknown);
    let why = format!(
        "{db}.heap: unverified: counts equal at one replication position; no primary key or \
         unique key of NOT NULL columns to hash its content in key ranges, and hashing it whole \
         did not end within --max-snapshot-age or the time left of -t"
    );
    assert!(run.stdout.contains(&why), "{run}");
    assert_eq!(run.perf("unverified"), "1", "{run}");
    // Said at once: no later round would fare better.
    assert_eq!(run.perf("rechecks"), "0", "{run}");
}

/// While a run works through a big table in one lane with
/// `--max-snapshot-age 0.1`, the lane closes its pair of snapshots and
/// aligns a new one as it goes, no transaction of the plugin's on either
/// server is older than the bound + 1 s (polled as admin every 50 ms),
/// and the answer is OK: a bound shorter than aligning a pair still makes
/// progress.
#[test]
fn ranges_hold_no_snapshot_past_the_bound() {
    let _g = exclusive();
    let (p, _) = big_table("big_snapshots", 1_000_000);
    let args = [
        "--chunk-rows",
        "1000",
        "--connections",
        "1",
        "--max-snapshot-age",
        "0.1",
        "-t",
        "60",
        "-v",
    ];
    let (run, oldest) =
        polling_snapshots(Duration::from_millis(50), || check(&p).args(&args).run());
    println!("run {:?}, oldest snapshot seen {oldest}s", run.elapsed);
    run.assert_state(State::Ok);
    assert!(oldest <= 1, "a snapshot held {oldest}s: {run}");
    // Each pair counts a range at least, however long aligning it takes
    // (`BINLOG_GTID_POS` reads the primary's binlog file from its start):
    // a run of half a second or more needs several pairs.
    assert!(
        run.elapsed >= Duration::from_millis(500),
        "the table is too small to hold a pair past the bound: {run}"
    );
    let tries = align_tries(&run);
    assert!(
        tries >= 3,
        "{tries} pairs of snapshots in {:?}: {run}",
        run.elapsed
    );
}

/// Busy-table traffic on the big table's newest rows while runs go
/// through it in ranges: 0 false alarms over 10 runs, then a row deleted
/// on the replica alone, in the middle of the key range, found in 10 of
/// 10 runs and never OK.
#[test]
fn busy_big_table_in_ranges() {
    let _g = exclusive();
    let (p, db) = big_table("big_busy", ROWS);
    let hot = Traffic::Hot {
        table: format!("`{db}`.big"),
        per_sec: 200,
    };
    let writers = Writers::start(vec![hot], Duration::from_secs(120));
    let args = ["--chunk-rows", "5000"];
    let healthy: Vec<Run> = (0..10).map(|_| check(&p).args(&args).run()).collect();
    on_replica_only(&[&format!("DELETE FROM `{db}`.big WHERE id = 20000")]);
    let drifted: Vec<Run> = (0..10).map(|_| check(&p).args(&args).run()).collect();
    let (statements, secs) = writers.stop();
    println!("traffic: {statements:?} statements in {secs:.1}s");
    let [ok, warning, critical, unknown] = tally(&healthy);
    println!("healthy: {ok} OK, {warning} WARNING, {critical} CRITICAL, {unknown} UNKNOWN");
    assert_eq!(warning + critical, 0, "false alarm: {}", healthy[0]);
    let [ok, _, critical, unknown] = tally(&drifted);
    println!("drifted: {ok} OK, {critical} CRITICAL, {unknown} UNKNOWN");
    assert_eq!(ok, 0, "drift answered OK");
    let located = drifted
        .iter()
        .filter(|r| r.stdout.contains("id=20000 on the primary only"))
        .count();
    assert_eq!(located, 10, "located in {located} of 10: {}", drifted[0]);
}

/// The state file's entry of the one big table: where its pass stands
/// (the key in hex, `None` at the start) and when its last pass completed.
fn pass_state(path: &str) -> (Option<String>, Option<u64>) {
    let text = std::fs::read(path).expect("state file");
    let doc: serde_json::Value = serde_json::from_slice(&text).expect("state JSON");
    let entry = doc["passes"]
        .as_object()
        .and_then(|by_replica| by_replica.values().next())
        .map(|entries| entries[0].clone())
        .unwrap_or_default();
    let after = entry["after"][0].as_str().map(str::to_string);
    (after, entry["complete"].as_u64())
}

/// Runs with `--state-file` until the big table's pass completes (at most
/// `max` runs), each within -t + 1 s and going on where the last stopped.
/// The runs it took.
fn until_pass_completes(p: &str, args: &[&str], max: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut last_after: Option<u64> = None;
    for _ in 0..max {
        let run = check(p).args(args).run();
        assert!(run.elapsed < Duration::from_millis(1500), "{run}");
        let state = args[args.iter().position(|a| *a == "--state-file").unwrap() + 1];
        let (after, complete) = pass_state(state);
        runs.push(run);
        if complete.is_some() && after.is_none() {
            return runs;
        }
        // The key an INT primary key stops at, read back from its hex text.
        let at: u64 = after
            .and_then(|h| String::from_utf8(unhex(&h)).ok()?.parse().ok())
            .expect("a pass under way says where it stands");
        assert!(
            last_after.is_none_or(|l| at > l),
            "the pass went back: {at}"
        );
        last_after = Some(at);
    }
    panic!("no complete pass in {max} runs: {}", runs[runs.len() - 1]);
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// Drift made on the replica alone, how it is repaired, and the words
/// that name it.
struct Drift<'a> {
    make: &'a str,
    repair: &'a str,
    named: &'a str,
}

impl Drift<'_> {
    /// The drift, on the replica alone, in `db`'s big table.
    fn make_in(&self, db: &str) {
        on_replica_only(&[&self.make.replace("{t}", &format!("`{db}`.big"))]);
    }

    /// CRITICAL in 3 of 3 runs, each naming all of `names`.
    fn stays_critical(&self, p: &str, args: &[&str], names: &[&str]) {
        for _ in 0..3 {
            let run = check(p).args(args).run();
            run.assert_state(State::Critical);
            for name in names {
                assert!(run.stdout.contains(name), "{run}");
            }
        }
    }

    /// Repaired on the replica alone: OK again.
    fn repair_in(&self, p: &str, db: &str, args: &[&str]) {
        on_replica_only(&[&self.repair.replace("{t}", &format!("`{db}`.big"))]);
        check(p).args(args).run().assert_state(State::Ok);
    }
}

/// A table too big for one run (ranges of 1,000 rows, -t 0.5) with
/// `--state-file` and `extra` arguments: each run goes on where the last
/// stopped and is OK, saying the pass is under way; a complete pass within
/// 40 runs. Then `drift`, in the middle of the key range, is found within
/// one pass, located, and CRITICAL in every run after until it is
/// repaired.
fn pass_across_runs(name: &str, rows: u32, extra: &[&str], drift: &Drift) {
    let (p, db) = big_table(name, rows);
    let state = Scratch::new("big-resume-state", "");
    std::fs::remove_file(state.path_str()).unwrap();
    let base = [
        "--chunk-rows",
        "1000",
        "-t",
        "0.5",
        "--state-file",
        state.path_str(),
    ];
    let args = [&base[..], extra].concat();
    let first = until_pass_completes(&p, &args, 40);
    println!("a complete pass in {} runs", first.len());
    assert!(first.len() >= 2, "one run covered it all: {}", first[0]);
    for run in &first {
        run.assert_state(State::Ok);
    }
    let under_way = first[0]
        .first_line()
        .contains("1 big table(s) in passes under way");
    assert!(under_way, "{}", first[0]);
    drift.make_in(&db);
    let mut runs = 0;
    let found = loop {
        runs += 1;
        let run = check(&p).args(&args).run();
        assert!(runs <= 40, "not found within a pass: {run}");
        if run.is(State::Critical) {
            break run;
        }
        run.assert_state(State::Ok);
    };
    println!("drift found in run {runs}: {}", found.first_line());
    drift.stays_critical(&p, &args, &[drift.named]);
    drift.repair_in(&p, &db, &args);
}

/// Counts: a million rows, a row deleted on the replica alone.
#[test]
fn a_pass_goes_on_across_runs_and_keeps_drift_critical() {
    let _g = exclusive();
    let drift = Drift {
        make: "DELETE FROM {t} WHERE id = 500000",
        repair: "INSERT INTO {t} (id, k, v) VALUES (500000, 0, 500000)",
        named: "id=500000 on the primary only",
    };
    pass_across_runs("big_resume", 1_000_000, &[], &drift);
}

/// Content (`--checksum=strong`): 400,000 rows, an UPDATE on the replica
/// alone (equal counts).
#[test]
fn a_content_pass_goes_on_across_runs_and_keeps_drift_critical() {
    let _g = exclusive();
    let drift = Drift {
        make: "UPDATE {t} SET v = -1 WHERE id = 200000",
        repair: "UPDATE {t} SET v = 200000 WHERE id = 200000",
        named: "id=200000 differs",
    };
    pass_across_runs(
        "big_resume_content",
        400_000,
        &["--checksum=strong"],
        &drift,
    );
}

/// `--checksum=strong`: each range's content is hashed in the snapshots
/// its rows are counted in. An UPDATE made on the replica alone (equal
/// counts) is found and located.
#[test]
fn content_in_ranges_finds_an_update_on_the_replica() {
    let _g = exclusive();
    let drift = Drift {
        make: "UPDATE {t} SET v = -1 WHERE id = 30000",
        repair: "UPDATE {t} SET v = 30000 WHERE id = 30000",
        named: ", content differs: id=30000 differs",
    };
    let matched = "compared in 13 key ranges, each at one replication position, content included";
    let finding = format!("{ROWS} rows on both in id (");
    let words = (matched, finding.as_str());
    located_in_ranges("big_content", &["--checksum=strong"], words, &drift, |_| {});
}
