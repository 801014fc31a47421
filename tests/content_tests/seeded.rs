//! The seeded differences found and located by both methods, no false
//! alarm on identical data, and pt-table-checksum side by side.

use crate::cases::*;
use support::*;

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

/// Content is compared over the columns on both sides, and the finding says
/// which it left out: a column added on the replica alone, and one dropped
/// there (whose rows' other values changed too). The definitions differ
/// at the end of the tables: WARNING for that, CRITICAL for the content.
#[test]
fn content_is_compared_over_the_common_columns() {
    let _g = exclusive();
    let p = fresh("content_common");
    let db = format!("{p}_a");
    let mut sql = database(&db);
    for t in ["added", "dropped"] {
        sql.push(format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY, v INT, gone INT) ENGINE=InnoDB"
        ));
        sql.push(format!(
            "INSERT INTO {t} VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3)"
        ));
    }
    replicated(&sql);
    on_replica_only(&[
        &format!("ALTER TABLE `{db}`.added ADD COLUMN extra INT DEFAULT 7"),
        &format!("ALTER TABLE `{db}`.dropped DROP COLUMN gone"),
        &format!("UPDATE `{db}`.dropped SET v = 9 WHERE id = 2"),
    ]);
    let run = check(&p).args(&["--checksum=strong", "-vvv"]).run();
    run.assert_state(State::Critical);
    let added = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{db}.added: match, ")))
        .unwrap_or_else(|| panic!("added: {run}"));
    assert!(
        added.ends_with(", content included (columns not on both sides left out: extra)"),
        "{added}"
    );
    let dropped = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{db}.dropped: 3 rows on both")))
        .unwrap_or_else(|| panic!("dropped: {run}"));
    assert!(
        dropped.contains("; columns not on both sides left out: gone; ")
            && dropped.contains("differing key value(s): id=2,"),
        "{dropped}"
    );
    assert_eq!(run.perf("definitions_differ"), "2", "{run}");
    assert_eq!(run.perf("unreadable"), "0", "{run}");
}

/// A primary with a binary log and a replica without one, the most common
/// topology: MariaDB's versions then differ by "-log" alone, and the
/// `CHECKSUM TABLE` fast path is still taken (counted by the replica's
/// `Com_checksum`: once per table) and agrees on identical data (OK).
#[test]
fn a_replica_without_a_binary_log_takes_the_fast_path() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let (p, _) = seeded("fastpath");
    let version = |side| query_one::<String>(side, "SELECT @@version");
    let (logs, plain) = (version(Side::Primary), version(Side::Replica2));
    assert_eq!(logs, format!("{plain}-log"), "the test set has changed");
    let checksums =
        || query_one::<(String, u64)>(Side::Replica2, "SHOW GLOBAL STATUS LIKE 'Com_checksum'").1;
    let before = checksums();
    let run = check(&p)
        .replicas(&[Side::Replica2])
        .args(&["--checksum", "-vvv"])
        .run();
    run.assert_state(State::Ok);
    assert_eq!(run.perf("content_coverage"), "100%", "{run}");
    assert_eq!(checksums() - before, 3, "{run}");
}
