//! `--checksum` against the real pair: content drift at equal row counts,
//! found read-only and located, with no false alarm; the state file.

use support::*;

/// One case of the seeded comparison: a table, what is done to it on the
/// replica alone, and the key values that must be named.
struct Case {
    table: &'static str,
    drift: &'static str,
    keys: &'static str,
}

/// The seeded content differences, a column boundary and a table without
/// a key among them, each in a table of its own. The rows of c2 and of
/// c3 are of equal length (their DOUBLEs are 2 and 4, 5 and 6): the same
/// change to both is what CRC32 under XOR cancels.
const CASES: &[Case] = &[
    Case {
        table: "c1_value_changed",
        drift: "UPDATE {t} SET s = 'value-x0010' WHERE id = 10",
        keys: "id=10",
    },
    Case {
        table: "c2_same_change_two_rows",
        drift: "UPDATE {t} SET s = CONCAT('W', SUBSTR(s, 2)) WHERE id IN (14, 28)",
        keys: "id=14; id=28",
    },
    Case {
        table: "c3_values_swapped",
        drift: "UPDATE {t} SET s = CASE id WHEN 35 THEN 'value-00042' ELSE 'value-00035' END \
                WHERE id IN (35, 42)",
        keys: "id=35; id=42",
    },
    Case {
        table: "c4_null_to_empty",
        drift: "UPDATE {t} SET n = '' WHERE id = 40",
        keys: "id=40",
    },
    Case {
        table: "c5_double_last_digit",
        drift: "UPDATE {t} SET d = 0.3e0 WHERE id = 50",
        keys: "id=50",
    },
    Case {
        table: "c6_deleted_and_inserted",
        drift: "DELETE FROM {t} WHERE id = 60; \
                INSERT INTO {t} (id, s, n, d, ts, dt, b) SELECT 1000, s, n, d, ts, dt, b FROM {t} WHERE id = 61",
        keys: "id=1000; id=60",
    },
    Case {
        table: "c7_timestamp_changed",
        drift: "UPDATE {t} SET ts = ts + INTERVAL 1 SECOND WHERE id = 70",
        keys: "id=70",
    },
    Case {
        table: "c8_blob_middle_changed",
        drift: "UPDATE {t} SET b = INSERT(b, 500, 1, 'X') WHERE id = 80",
        keys: "id=80",
    },
    Case {
        table: "c9_column_boundaries",
        drift: "UPDATE {t} SET s = 'value-0000', n = '9' WHERE id = 9",
        keys: "id=9",
    },
];

/// 200 rows of every kind the cases change. Row 50's DOUBLE is
/// 0.30000000000000004; row 9's (s, n) is ('value-00009', NULL), which c9
/// makes ('value-0000', '9'): the same characters, one moved across the
/// column boundary (and NULL, which a plain CONCAT_WS skips, filled).
fn kinds(t: &str, key: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {t} (id INT NOT NULL{key}, s VARCHAR(40), n VARCHAR(20) NULL, d DOUBLE, \
             ts TIMESTAMP(6) NULL DEFAULT NULL, dt DATETIME(6), b BLOB, \
             twice INT AS (id * 2) VIRTUAL) ENGINE=InnoDB"
        ),
        format!(
            "INSERT INTO {t} (id, s, n, d, ts, dt, b) SELECT seq, CONCAT('value-', LPAD(seq, 5, '0')), \
             NULL, seq / 7e0, TIMESTAMP('2026-03-29 00:30:00') + INTERVAL seq MINUTE, \
             TIMESTAMP('2026-10-25 01:30:00.123456') + INTERVAL seq SECOND, \
             REPEAT(CHAR(65 + seq % 26), 1000) FROM {}",
            numbers(200)
        ),
        format!("UPDATE {t} SET d = 0.1e0 + 0.2e0 WHERE id = 50"),
    ]
}

/// Creates `db` and makes it the current one (with room for the MySQL
/// numbers table's recursion).
fn database(db: &str) -> Vec<String> {
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    if flavor() == Flavor::MySql {
        sql.push("SET SESSION cte_max_recursion_depth = 100000".into());
    }
    sql
}

/// The seeded tables in `db` (with `unchanged` and `no_key`), replicated.
fn seed_cases(db: &str) {
    let mut sql = database(db);
    for c in CASES.iter().map(|c| c.table).chain(["unchanged"]) {
        sql.extend(kinds(&format!("`{db}`.{c}"), " PRIMARY KEY"));
    }
    sql.extend(kinds(&format!("`{db}`.no_key"), ""));
    replicated(&sql);
}

fn drift_cases(db: &str) {
    let mut sql: Vec<String> = Vec::new();
    for c in CASES {
        let t = format!("`{db}`.{}", c.table);
        sql.extend(c.drift.replace("{t}", &t).split("; ").map(str::to_string));
    }
    sql.push(format!(
        "UPDATE `{db}`.no_key SET s = 'changed' WHERE id = 5"
    ));
    let refs: Vec<&str> = sql.iter().map(String::as_str).collect();
    on_replica_only(&refs);
}

/// The finding line of `table`, if any.
fn finding<'a>(run: &'a Run, db: &str, table: &str) -> Option<&'a str> {
    let head = format!("{db}.{table}: ");
    run.stdout.lines().find(|l| l.starts_with(&head))
}

/// The seeded case: no false alarm on identical data (with the replica's
/// time zone set elsewhere), then every difference reported, located to
/// its key values, by both methods; the table without a key whole.
#[test]
fn seeded_differences_are_all_found() {
    let _g = exclusive();
    let p = fresh("content_seeded");
    let db = format!("{p}_a");
    seed_cases(&db);
    exec(Side::Replica, &["SET GLOBAL time_zone = '+05:00'"]);
    let healthy = check(&p).args(&["--checksum"]).run();
    let strong_healthy = check(&p).args(&["--checksum=strong"]).run();
    exec(Side::Replica, &["SET GLOBAL time_zone = SYSTEM"]);
    for run in [&healthy, &strong_healthy] {
        run.assert_plugin_output();
        run.assert_state(State::Ok);
        assert!(run.first_line().contains("11 of 11 tables match"), "{run}");
        assert_eq!(run.perf("content_compared"), "11", "{run}");
        assert_eq!(run.perf("content_coverage"), "100%", "{run}");
    }
    drift_cases(&db);
    for method in ["--checksum", "--checksum=strong"] {
        let run = check(&p).args(&[method, "-vvv"]).run();
        run.assert_plugin_output();
        run.assert_state(State::Critical);
        assert!(
            run.first_line().contains("10 of 11 tables differ"),
            "{method}: {run}"
        );
        for c in CASES {
            let line = finding(&run, &db, c.table)
                .unwrap_or_else(|| panic!("{method}: {} not reported: {run}", c.table));
            assert!(line.contains("rows on both, content differs"), "{line}");
            let keys = format!("differing key value(s): {}, verified at GTID", c.keys);
            assert!(line.contains(&keys), "{method}: {line}");
        }
        let whole = finding(&run, &db, "no_key").expect("no_key reported");
        assert!(whole.contains("compared whole, not located"), "{whole}");
        let unchanged = finding(&run, &db, "unchanged").expect("-vvv lists matches");
        let matched = ": match, compared at one replication position, content included";
        assert!(unchanged.ends_with(matched), "{run}");
    }
    let json = check(&p).args(&["--checksum", "--output", "json"]).run();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let swapped = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "c3_values_swapped")
        .expect("c3 in JSON");
    assert_eq!(
        swapped["content"]["located"]["keys"],
        serde_json::json!(["id=35", "id=42"])
    );
}

/// A table rebuilt with another row format on the replica alone holds the
/// same data: `CHECKSUM TABLE` is not trusted across definitions that
/// differ, so the row hash decides, and it matches.
#[test]
fn another_row_format_is_no_alarm() {
    let _g = exclusive();
    let p = fresh("content_rowfmt");
    let db = format!("{p}_a");
    let t = format!("`{db}`.t");
    let mut sql = database(&db);
    sql.extend(kinds(&t, " PRIMARY KEY"));
    replicated(&sql);
    on_replica_only(&[&format!("ALTER TABLE {t} ROW_FORMAT=COMPACT")]);
    let sums: Vec<(String, u64)> = [Side::Primary, Side::Replica]
        .iter()
        .map(|&s| query_one(s, &format!("CHECKSUM TABLE {t}")))
        .collect();
    println!("CHECKSUM TABLE, DYNAMIC on the primary and COMPACT on the replica: {sums:?}");
    let run = check(&p).args(&["--checksum", "-vvv"]).run();
    run.assert_plugin_output();
    run.assert_state(State::Ok);
    assert_eq!(run.perf("content_compared"), "1", "{run}");
}

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

/// pt-table-checksum's answer for each table of `db`: DIFFS > 0. A
/// pt-table-checksum that is missing (`tests/servers.sh up` installs it)
/// fails the test.
fn pt_table_checksum(db: &str) -> Vec<(String, bool)> {
    let dsn = format!("h=127.0.0.1,P={},u=admin,p=admin-pw", port(Side::Primary));
    exec(
        Side::Primary,
        &[
            "CREATE DATABASE IF NOT EXISTS percona",
            "CREATE TABLE IF NOT EXISTS percona.dsns (id INT AUTO_INCREMENT PRIMARY KEY, \
             parent_id INT, dsn VARCHAR(255) NOT NULL)",
            "DELETE FROM percona.dsns",
            &format!(
                "INSERT INTO percona.dsns (dsn) VALUES ('h=127.0.0.1,P={}')",
                port(Side::Replica)
            ),
        ],
    );
    sync();
    let recursion = format!("dsn=h=127.0.0.1,P={},D=percona,t=dsns", port(Side::Primary));
    let out = std::process::Command::new("pt-table-checksum")
        .args([&dsn, "--databases", db, "--recursion-method", &recursion])
        .args([
            "--no-check-replication-filters",
            "--no-check-binlog-format",
            "--no-version-check",
        ])
        .output()
        .unwrap_or_else(|e| panic!("pt-table-checksum (tests/servers.sh up installs it): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows = text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let table = f.last()?.strip_prefix(&format!("{db}."))?;
        Some((table.to_string(), f.get(2)?.parse::<u64>().ok()? > 0))
    });
    rows.collect()
}

/// The seeded case side by side with pt-table-checksum (Debian's
/// percona-toolkit) over the same data: the plugin reports every
/// difference; pt-table-checksum misses the same change made to two rows
/// of equal length, which CRC32 under BIT_XOR cancels.
#[test]
fn side_by_side_with_pt_table_checksum() {
    if !require(Feature::PtTableChecksum) {
        return;
    }
    let _g = exclusive();
    let p = fresh("content_pt");
    let db = format!("{p}_a");
    seed_cases(&db);
    drift_cases(&db);
    let run = check(&p).args(&["--checksum", "-vvv"]).run();
    let pt = pt_table_checksum(&db);
    println!("| difference (replica only) | check_mysql_drift --checksum | pt-table-checksum |");
    println!("|---|---|---|");
    let mut missed = Vec::new();
    for (table, found) in &pt {
        let ours = finding(&run, &db, table).is_some_and(|l| l.contains("content differs"));
        let word = |f: bool| match (f, table == "unchanged") {
            (false, true) => "no difference (right)",
            (true, true) => "**false alarm**",
            (true, false) => "found",
            (false, false) => "**missed**",
        };
        println!("| {table} | {} | {} |", word(ours), word(*found));
        if table == "unchanged" {
            assert!(!ours, "a false alarm: {run}");
        } else {
            assert!(ours, "{table} not found: {run}");
            if !found {
                missed.push(table.as_str());
            }
        }
    }
    assert_eq!(pt.len(), 11, "pt-table-checksum's tables: {pt:?}");
    assert_eq!(
        missed,
        ["c2_same_change_two_rows"],
        "pt-table-checksum missed"
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

/// Binary keys are shown in hex, in the text and in the JSON: as bytes
/// they would print as U+FFFD, spaces or a line break. The JSON's finding
/// does not point at `-vvv`: it carries the keys itself.
#[test]
fn binary_keys_are_shown_in_hex() {
    let _g = exclusive();
    let p = fresh("content_binkey");
    let db = format!("{p}_a");
    let mut sql = database(&db);
    sql.push("CREATE TABLE b (k VARBINARY(4) PRIMARY KEY, v INT) ENGINE=InnoDB".into());
    sql.push(
        "INSERT INTO b VALUES (0xFFFFFFFF, 1), (0x00000000, 2), (0x7C0A3B00, 3), (0x41, 4)".into(),
    );
    replicated(&sql);
    on_replica_only(&[&format!(
        "UPDATE `{db}`.b SET v = v + 10 WHERE k IN (0xFFFFFFFF, 0x00000000, 0x7C0A3B00)"
    )]);
    let keys = "k=0x00000000; k=0x7C0A3B00; k=0xFFFFFFFF";
    let run = check(&p).args(&["--checksum", "-vvv"]).run();
    run.assert_state(State::Critical);
    let line = finding(&run, &db, "b").unwrap_or_else(|| panic!("b not named: {run}"));
    assert!(
        line.contains(&format!(
            "; 3 differing key value(s): {keys}, verified at GTID"
        )),
        "{line}"
    );
    let json = check(&p).args(&["--checksum", "--output", "json"]).run();
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let f = &j["findings"][0];
    assert_eq!(
        f["content"]["located"]["keys"],
        serde_json::json!(keys.split("; ").collect::<Vec<_>>())
    );
    let text = f["finding"].as_str().unwrap();
    assert!(
        text.contains("; 3 differing key value(s), verified at"),
        "{text}"
    );
    assert!(!text.contains("-vvv"), "{text}");
}

/// With `--checksum`, a table that snapshots do not cover (MyISAM) is
/// compared by its counts only, and says so: in `-vvv`, and counted in the
/// summary. A change of its content on the replica is not seen.
#[test]
fn tables_snapshots_do_not_cover_say_counts_only() {
    let _g = exclusive();
    let p = fresh("content_myisam");
    let db = format!("{p}_a");
    let mut sql = database(&db);
    sql.push("CREATE TABLE my (id INT PRIMARY KEY, v INT) ENGINE=MyISAM".into());
    sql.push("INSERT INTO my VALUES (1, 1), (2, 2)".into());
    sql.push("CREATE TABLE inno (id INT PRIMARY KEY, v INT) ENGINE=InnoDB".into());
    sql.push("INSERT INTO inno VALUES (1, 1)".into());
    replicated(&sql);
    on_replica_only(&[&format!("UPDATE `{db}`.my SET v = 9 WHERE id = 2")]);
    let run = check(&p).args(&["--checksum", "-vvv"]).run();
    run.assert_state(State::Ok);
    assert!(
        run.first_line()
            .contains("2 of 2 tables match, 1 by counts only (not transactional), "),
        "{run}"
    );
    assert_eq!(run.perf("content_compared"), "1", "{run}");
    let my = finding(&run, &db, "my").unwrap_or_else(|| panic!("my not named: {run}"));
    assert!(
        my.ends_with(", counts only (not transactional: content is not compared)"),
        "{my}"
    );
}
