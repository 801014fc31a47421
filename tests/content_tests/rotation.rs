//! The state file: rotation over runs, its ages, and content that a run
//! leaves out.

use crate::cases::*;
use support::*;

/// The state file: each run records what it verified; the oldest
/// verification's age comes as perfdata with its thresholds; a corrupt
/// file is refused with UNKNOWN naming it (and left as it is).
#[test]
fn the_state_file_rotates_and_refuses_corruption() {
    let _g = shared();
    let (p, _db) = seeded("content_state");
    let state = Scratch::new("content-state", "");
    std::fs::remove_file(state.path_str()).unwrap();
    let args = [
        "--checksum",
        "--state-file",
        state.path_str(),
        "--warning-age",
        "3600",
    ];
    let first = check(&p).args(&args).run();
    first.assert_plugin_output();
    first.assert_state(State::Ok);
    assert_eq!(first.perf("content_oldest_age"), "0", "{first}");
    assert!(
        first.first_line().contains(" content_oldest_age=0s;3600;"),
        "{first}"
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.path_str()).unwrap()).unwrap();
    let tables = saved["replicas"][replica_addr()].as_array().unwrap();
    assert_eq!(tables.len(), 3, "{saved}");
    assert!(tables.iter().all(|t| t["verified"].is_u64()), "{saved}");

    std::fs::write(
        state.path_str(),
        "{\"format\": \"check_mysql_drift content st",
    )
    .unwrap();
    let corrupt = check(&p).args(&args).run();
    corrupt.assert_plugin_output();
    corrupt.assert_state(State::Unknown);
    assert!(
        corrupt
            .first_line()
            .contains(&format!("state file {} is corrupt", state.path_str())),
        "{corrupt}"
    );
    let kept = std::fs::read_to_string(state.path_str()).unwrap();
    assert_eq!(kept, "{\"format\": \"check_mysql_drift content st");
}

/// The state of the rotation test's replica: (table, verified) of each.
fn rotation_state(path: &str) -> Vec<(String, Option<u64>)> {
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let tables = saved["replicas"][replica_addr()]
        .as_array()
        .unwrap()
        .clone();
    tables
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["verified"].as_u64(),
            )
        })
        .collect()
}

/// Every entry of the state made a day old (1970): verified ones, and the
/// first listing of those never verified.
fn age_state(path: &str) {
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for t in saved["replicas"][replica_addr()].as_array_mut().unwrap() {
        t["seen"] = serde_json::json!(1);
        if t["verified"].is_u64() {
            t["verified"] = serde_json::json!(1);
        }
    }
    std::fs::write(path, saved.to_string()).unwrap();
}

/// Runs with too little time for every table go on in rotation, least
/// recently verified first, and the age of the oldest verification says
/// when coverage falls behind. A `-t` is found at which one run covers
/// some tables, at most 6 of 12 (machines differ); then every entry is made a
/// day old, and each further run must be WARNING (`--warning-age 3600`)
/// exactly while some table's last verification is still that old, until
/// all are verified again.
/// 12 tables of 60,000 rows in a fresh database of prefix `name`.
fn rotation_tables(name: &str) -> String {
    let p = fresh(name);
    let db = format!("{p}_a");
    let mut sql = database(&db);
    for i in 0..12 {
        sql.push(format!(
            "CREATE TABLE t{i:02} (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
        ));
        sql.push(format!(
            "INSERT INTO t{i:02} SELECT seq, SHA2(seq, 256) FROM {}",
            numbers(60_000)
        ));
    }
    replicated(&sql);
    p
}

/// The arguments of a rotating run with state file `path` and `-t t`.
fn rotation_args<'a>(path: &'a str, t: &'a str) -> Vec<&'a str> {
    let base = [
        "--checksum=strong",
        "--state-file",
        path,
        "--connections",
        "1",
    ];
    [&base[..], &["-t", t, "--warning-age", "3600"]].concat()
}

/// The first `-t` (of a falling list) at which one run from a fresh state
/// file verifies some tables, but at most 6 of 12.
fn partial_budget(p: &str, path: &str) -> &'static str {
    for t in ["4", "3", "2", "1.5", "1", "0.8", "0.6"] {
        let _ = std::fs::remove_file(path);
        let first = check(p).args(&rotation_args(path, t)).run();
        first.assert_plugin_output();
        first.assert_state(State::Ok);
        let covered = rotation_state(path)
            .iter()
            .filter(|(_, v)| v.is_some())
            .count();
        println!("-t {t}: the first run verified {covered} of 12 tables");
        // At most 6: a margin, so that the next run does not cover all.
        if (1..=6).contains(&covered) {
            return t;
        }
    }
    panic!("no -t at which one run covers part of the tables");
}

#[test]
fn short_runs_cover_everything_in_rotation() {
    let _g = exclusive();
    let p = rotation_tables("content_rotation");
    let state = Scratch::new("content-rotation", "");
    let path = state.path_str();
    // Warm the caches once, so that the runs below take alike.
    check(&p)
        .args(&["--checksum=strong"])
        .run()
        .assert_plugin_output();
    let t = partial_budget(&p, path);
    age_state(path);
    let mut codes = Vec::new();
    for run in 2..=12 {
        let r = check(&p).args(&rotation_args(path, t)).run();
        r.assert_plugin_output();
        let now = rotation_state(path);
        let old = now
            .iter()
            .filter(|(_, v)| !v.is_some_and(|v| v > 1))
            .count();
        let fresh = now.len() - old;
        println!(
            "run {run}: {fresh} of 12 verified since the ageing; {}",
            r.first_line()
        );
        let expected = if old > 0 { State::Warning } else { State::Ok };
        r.assert_state_of(expected, &format!("WARNING exactly while {old} are old"));
        codes.push(r.state());
        if old == 0 {
            break;
        }
    }
    assert_eq!(
        codes.last(),
        Some(&State::Ok),
        "not all verified again in 11 runs: {codes:?}"
    );
    assert_eq!(
        codes[0],
        State::Warning,
        "the first run after the ageing covered everything: {codes:?}"
    );
}

/// 600,000 rows in `big` and 100 in `small`, in a fresh database of
/// prefix `name`; on the replica alone, one value of `big` changed.
fn big_and_small(name: &str) -> (String, String) {
    let p = fresh(name);
    let db = format!("{p}_a");
    let mut sql = database(&db);
    if flavor() == Flavor::MySql {
        sql.push("SET SESSION cte_max_recursion_depth = 1000000".into());
    }
    sql.push("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB".into());
    sql.push(format!(
        "INSERT INTO big SELECT seq, SHA2(seq, 256) FROM {}",
        numbers(600_000)
    ));
    sql.push("CREATE TABLE small (id INT PRIMARY KEY, v INT) ENGINE=InnoDB".into());
    sql.push(format!(
        "INSERT INTO small SELECT seq, seq FROM {}",
        numbers(100)
    ));
    replicated(&sql);
    on_replica_only(&[&format!(
        "UPDATE `{db}`.big SET v = 'changed' WHERE id = 300000"
    )]);
    (p, db)
}

/// A run that ended in time (with its figures) and compared the content
/// of fewer than all of the 2 tables: tried with a `-t` falling from 1 s
/// (machines differ), with `args` and `extra`.
fn content_partly_compared(p: &str, extra: &[&str]) -> (Run, u64) {
    for t in ["1", "0.6", "0.4", "0.3", "0.2", "0.15", "0.1", "0.07"] {
        let run = check(p)
            .args(&["--checksum=strong", "-vvv", "-t", t])
            .args(extra)
            .run();
        if !run.first_line().contains(" | ") {
            continue;
        }
        let compared: u64 = run.perf("content_compared").parse().unwrap();
        println!("-t {t}: content of {compared} of 2 tables compared");
        if compared < 2 {
            return (run, compared);
        }
    }
    panic!("no -t at which a run compares the content of some tables only");
}

/// A table whose content, asked for, is not compared within the run is
/// unverified, never OK: its equal counts are what an UPDATE on the
/// replica leaves. A `-t` is found at which content is left out (first
/// looks at content stop starting at 40% of `-t`): the run is UNKNOWN,
/// `unverified` counts every table not compared, and each is named with
/// why; no table matches without its content. With `--unverified
/// warning` it is WARNING. With a state file the rotation covers the rest
/// later: OK, and the status line says how far it stands. With time
/// enough the UPDATE is found.
#[test]
fn content_not_compared_is_never_ok() {
    let _g = exclusive();
    let (p, db) = big_and_small("content_left_out");
    let (run, compared) = content_partly_compared(&p, &[]);
    run.assert_state(State::Unknown);
    assert_eq!(run.perf("unverified"), (2 - compared).to_string(), "{run}");
    assert_eq!(run.perf("drifted"), "0", "{run}");
    for table in ["big", "small"] {
        let line = finding(&run, &db, table).unwrap_or_else(|| panic!("{table}: {run}"));
        let reasons = [
            "match, compared at one replication position, content included",
            "unverified: counts equal at one replication position, content not compared in time",
            "unverified: differed at one replication position, not seen again in time",
        ];
        assert!(reasons.iter().any(|r| line.contains(r)), "{table}: {line}");
    }
    let (mapped, _) = content_partly_compared(&p, &["--unverified", "warning"]);
    mapped.assert_state(State::Warning);
    let state = Scratch::new("content-left-out", "");
    std::fs::remove_file(state.path_str()).unwrap();
    let (rotating, compared) = content_partly_compared(&p, &["--state-file", state.path_str()]);
    let stands = format!(", content of {compared} of 2 tables compared this run, ");
    assert!(rotating.first_line().contains(&stands), "{rotating}");
    // Content left out is no reason to be unverified in rotation; a
    // difference seen once, and not again in time, is.
    let unverified = rotating
        .stdout
        .lines()
        .filter(|l| l.contains(": unverified: "));
    let mut n = 0;
    for line in unverified {
        assert!(
            line.contains(" differed at one replication position"),
            "{line}"
        );
        n += 1;
    }
    assert_eq!(rotating.perf("unverified"), n.to_string(), "{rotating}");
    rotating.assert_state(if n == 0 { State::Ok } else { State::Unknown });
    let long = check(&p).args(&["--checksum", "-t", "30", "-vvv"]).run();
    long.assert_state(State::Critical);
    let big = finding(&long, &db, "big").unwrap_or_else(|| panic!("big not named: {long}"));
    assert!(big.contains("differing key value(s): id=300000,"), "{big}");
}
