//! Verdicts on the pair: matches, rows and tables on one side, names and table kinds.

use support::*;

#[test]
fn matching_pair_is_ok() {
    let _g = shared();
    let (p, _) = seeded("match");
    seed(&format!("{p}_b"));
    let run = check(&p).run();
    run.assert_state(State::Ok);
    assert!(run.first_line().contains("6 of 6 tables match"), "{run}");
    assert_eq!(run.perf("tables"), "6");
    assert_eq!(run.perf("drifted"), "0");
    assert_eq!(run.perf("rows_primary"), "16");
    assert_eq!(run.perf("rows_replica"), "16");
    // The verdict names the replication positions it was reached at (other
    // tests write to the pair meanwhile, so they need not be equal), and
    // says how each table's was reached.
    let at = format!("at GTID {}", gtid_prefix());
    assert!(run.first_line().contains(&at), "{run}");
    let how = verdicts_line(&run);
    let how = how.strip_prefix("verdicts: ").expect("a verdicts line");
    let total: u64 = how
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 6, "{run}");
}

#[test]
fn rows_inserted_on_the_replica_only() {
    let _g = shared();
    let (p, db) = seeded("ins");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t2 (v) VALUES (6),(7)")]);
    let run = check(&p).run();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains(&format!("1 of 3 tables differ ({db}.t2 +2)")),
        "{run}"
    );
    assert!(
        run.stdout
            .contains(&format!("{db}.t2: primary 5, replica 7 (+2)")),
        "{run}"
    );
    assert_eq!(run.perf("max_row_diff"), "2");
    assert_eq!(run.perf("rows_replica"), "10");
}

/// Each difference at one position is kept for the record: the table
/// counted again in the same two snapshots (the same counts: the read is
/// not at fault), and on MariaDB the primary snapshot's binlog
/// coordinates and the replica's `mysql.gtid_slave_pos` in its snapshot;
/// in `-vvv` and in the JSON, once per look (two looks make drift).
#[test]
fn a_difference_at_one_position_is_recorded() {
    let _g = shared();
    let (p, db) = seeded("forensics");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t2 (v) VALUES (6),(7)")]);
    let run = check(&p).args(&["-vvv"]).run();
    run.assert_state(State::Critical);
    let kept: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(&format!("forensics: {db}.t2 at GTID ")))
        .collect();
    assert_eq!(kept.len(), 2, "{run}");
    let again = "primary 5, replica 7; counted again in the same snapshots: primary 5, \
                 replica 7 (the same: the read is not at fault)";
    assert!(kept.iter().all(|l| l.contains(again)), "{run}");
    let mariadb = flavor() != Flavor::MySql;
    let placed = |l: &&str| {
        l.contains("; primary snapshot at binlog ")
            && l.contains("; replica's mysql.gtid_slave_pos in its snapshot: ")
    };
    assert_eq!(kept.iter().all(placed), mariadb, "{run}");
    let json = check(&p).args(&["--output", "json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let records = doc["replicas"][0]["forensics"]
        .as_array()
        .expect("forensics");
    assert_eq!(records.len(), 2, "{json}");
    assert_eq!(records[0]["recount_agrees"], true, "{json}");
    assert_eq!(records[0]["replica"], 7, "{json}");
}

#[test]
fn rows_deleted_on_the_replica_only() {
    let _g = shared();
    let (p, db) = seeded("del");
    on_replica_only(&[&format!("DELETE FROM `{db}`.t1 WHERE v > 1")]);
    let run = check(&p).run();
    run.assert_state(State::Critical);
    assert!(
        run.stdout
            .contains(&format!("{db}.t1: primary 3, replica 1 (-2)")),
        "{run}"
    );
}

#[test]
fn tables_and_databases_on_one_side_only() {
    let _g = shared();
    let (p, db) = seeded("onesided");
    on_replica_only(&[
        &format!("CREATE TABLE `{db}`.extra (id INT) ENGINE=InnoDB"),
        &format!("DROP TABLE `{db}`.t3"),
        &format!("CREATE DATABASE `{p}_replica_only`"),
        &format!("CREATE TABLE `{p}_replica_only`.x (id INT)"),
    ]);
    exec(
        Side::Primary,
        &[
            "SET SESSION sql_log_bin = 0",
            &format!("CREATE DATABASE `{p}_primary_only`"),
        ],
    );
    let run = check(&p).run();
    run.assert_state(State::Critical);
    for line in [
        format!("{db}.extra: missing on the primary"),
        format!("{db}.t3: missing on the replica"),
        format!("database {p}_replica_only: missing on the primary"),
        format!("{p}_replica_only.x: missing on the primary"),
        format!("database {p}_primary_only: missing on the replica"),
    ] {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "no line {line:?} in\n{run}"
        );
    }
    assert_eq!(run.perf("missing_on_primary"), "3");
    assert_eq!(run.perf("missing_on_replica"), "2");
    assert_eq!(run.perf("drifted"), "5");
    assert!(
        run.first_line()
            .contains("3 of 5 tables differ and 2 databases are on one side only"),
        "{run}"
    );
}

#[test]
fn awkward_identifiers() {
    let _g = shared();
    let p = fresh("ident");
    let names = [
        (format!("{p} space"), "tab le"),
        (format!("{p}`tick"), "t`ick``"),
        (format!("{p}-dash"), "da-sh"),
        (format!("{p}_ünïcødé_数据"), "表_Ω€ ✓"),
    ];
    for (db, t) in &names {
        let (qd, qt) = (db.replace('`', "``"), t.replace('`', "``"));
        exec(
            Side::Primary,
            &[
                &format!("CREATE DATABASE `{qd}` CHARACTER SET utf8mb4"),
                &format!("CREATE TABLE `{qd}`.`{qt}` (id INT) ENGINE=InnoDB"),
                &format!("INSERT INTO `{qd}`.`{qt}` VALUES (1),(2)"),
            ],
        );
    }
    sync();
    let run = check(&p).run();
    run.assert_state(State::Ok);
    assert_eq!(run.perf("tables"), "4");
    let (db, t) = &names[3];
    on_replica_only(&[&format!("INSERT INTO `{db}`.`{t}` VALUES (3)")]);
    let (db1, t1) = &names[1];
    on_replica_only(&[&format!(
        "DELETE FROM `{}`.`{}`",
        db1.replace('`', "``"),
        t1.replace('`', "``")
    )]);
    let run = check(&p).run();
    run.assert_state(State::Critical);
    assert!(
        run.stdout
            .contains(&format!("{db}.{t}: primary 2, replica 3 (+1)")),
        "{run}"
    );
    assert!(
        run.stdout
            .contains(&format!("{db1}.{t1}: primary 2, replica 0 (-2)")),
        "{run}"
    );
}

/// A table of each kind in `db`: partitioned, MyISAM, empty, a view, and
/// on MariaDB a system-versioned table, an Aria one and a sequence.
fn table_kinds_schema(db: &str, mariadb: bool) -> Vec<String> {
    let mut statements = vec![
        format!("CREATE DATABASE `{db}`"),
        format!("USE `{db}`"),
        "CREATE TABLE parted (id INT) ENGINE=InnoDB PARTITION BY HASH(id) PARTITIONS 4".into(),
        "INSERT INTO parted VALUES (1),(2),(3),(4),(5)".into(),
        "CREATE TABLE mine (id INT) ENGINE=MyISAM".into(),
        "INSERT INTO mine VALUES (1),(2),(3)".into(),
        "CREATE TABLE nothing (id INT) ENGINE=InnoDB".into(),
        "CREATE VIEW a_view AS SELECT * FROM parted".into(),
    ];
    if mariadb {
        statements.extend(
            [
                "CREATE TABLE versioned (id INT, v INT) WITH SYSTEM VERSIONING",
                "INSERT INTO versioned VALUES (1,1),(2,2)",
                "UPDATE versioned SET v = 3",
                "CREATE TABLE aria (id INT) ENGINE=Aria",
                "INSERT INTO aria VALUES (1)",
                "CREATE SEQUENCE a_seq",
            ]
            .map(String::from),
        );
    }
    statements
}

#[test]
fn table_kinds() {
    let _g = shared();
    let p = fresh("kinds");
    let db = format!("{p}_a");
    let mariadb = flavor() != Flavor::MySql;
    replicated(&table_kinds_schema(&db, mariadb));
    let run = check(&p).run();
    run.assert_state(State::Ok);
    // parted, mine, nothing (MariaDB: versioned, aria): not the view, not
    // the sequence. COUNT(*) of a system-versioned table counts current
    // rows only.
    let (tables, rows) = if mariadb { ("5", "11") } else { ("3", "8") };
    assert_eq!(run.perf("tables"), tables, "{run}");
    assert_eq!(run.perf("rows_primary"), rows, "{run}");
    let mut drift = vec![
        format!("INSERT INTO `{db}`.mine VALUES (4)"),
        format!("DELETE FROM `{db}`.parted WHERE id = 1"),
    ];
    let mut differ = vec!["mine: primary 3, replica 4", "parted: primary 5, replica 4"];
    if mariadb {
        drift.push(format!("INSERT INTO `{db}`.versioned VALUES (9,9)"));
        differ.push("versioned: primary 2, replica 3");
    }
    on_replica_only(&drift.iter().map(String::as_str).collect::<Vec<_>>());
    let run = check(&p).run();
    run.assert_state(State::Critical);
    assert_eq!(run.perf("drifted"), differ.len().to_string(), "{run}");
    for t in differ {
        assert!(
            run.stdout.contains(&format!("{db}.{t}")),
            "no {t} in\n{run}"
        );
    }
}

#[test]
fn unreadable_table_is_named() {
    let _g = shared();
    let (p, db) = seeded("unread");
    on_replica_only(&[&format!("ALTER TABLE `{db}`.t3 DISCARD TABLESPACE")]);
    let run = check(&p).run();
    run.assert_state(State::Unknown);
    assert!(
        run.first_line()
            .contains("2 of 3 tables match, 1 unreadable"),
        "{run}"
    );
    assert!(
        run.stdout.lines().any(|l| l
            .starts_with(&format!("{db}.t3: cannot count on the replica: "))
            && l.contains("discarded")),
        "{run}"
    );
}

#[test]
fn thresholds_on_tables_and_rows() {
    let _g = shared();
    let (p, db) = seeded("thresh");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")]);
    // One differing table: within -c 1, beyond -w 0.
    let run = check(&p).args(&["-w", "0", "-c", "1"]).run();
    run.assert_state(State::Warning);
    assert!(run.first_line().contains("drifted=1;0;1;0"), "{run}");
    let run = check(&p).args(&["-w", "5", "-c", "5"]).run();
    run.assert_state(State::Ok);
    let run = check(&p).args(&["-c", "5", "--critical-rows", "0"]).run();
    run.assert_state(State::Critical);
    let run = check(&p).args(&["-c", "5", "--warning-rows", "~:0"]).run();
    run.assert_state(State::Warning);
}

/// `run` ended in `state`, with `tables` tables compared.
fn assert_tables(run: &Run, state: State, tables: &str) {
    assert_eq!(
        (run.state(), run.perf("tables")),
        (state, tables.into()),
        "{run}"
    );
}

#[test]
fn include_and_exclude_filters() {
    let _g = shared();
    let p = fresh("filter");
    let (a, b) = (format!("{p}_a"), format!("{p}_b"));
    seed(&a);
    seed(&b);
    on_replica_only(&[&format!("INSERT INTO `{b}`.t1 (v) VALUES (9)")]);
    check(&p).run().assert_state(State::Critical);
    let run = check(&p).args(&["--exclude-db", "_b$"]).run();
    assert_tables(&run, State::Ok, "3");
    let run = check(&p).args(&["--exclude-table", r"_b\.t1$"]).run();
    assert_tables(&run, State::Ok, "5");
    let run = check(&p).args(&["--include-table", r"\.t1$"]).run();
    assert_tables(&run, State::Critical, "2");
    let run = check(&p).args(&["--include-table", r"\.t2$"]).run();
    assert_tables(&run, State::Ok, "2");
    // System schemas only when named in full.
    let run = check(&p)
        .args(&["--include-db", "^mysql$", "--include-table", r"^mysql\.db$"])
        .run();
    assert_eq!(run.perf("tables"), "1", "{run}");
    // Filters that match nothing (a typo) check nothing: never OK.
    let run = check(&p).args(&["--include-table", r"^no_such\."]).run();
    run.assert_state(State::Unknown);
    assert!(
        run.first_line()
            .starts_with("DRIFT UNKNOWN - no table matched the filters, "),
        "{run}"
    );
    assert_eq!(run.perf("tables"), "0", "{run}");
}

/// The mysql schema alone: the tables that differ between servers by
/// nature (positions, statistics, logs) are left out, so a healthy pair is
/// OK; named in full, such a table is compared.
#[test]
fn the_mysql_schema_alone() {
    let _g = shared();
    let (m, r) = (primary_addr(), replica_addr());
    let mysql_only = |extra: &[&str]| {
        let args = [
            &["--master", &m, "--replica", &r, "-u", "monitor"][..],
            extra,
        ]
        .concat();
        let run = plugin()
            .args(&args)
            .envs(&[("MYSQL_PWD", &monitor_password())])
            .run();
        run.assert_plugin_output();
        run
    };
    let run = mysql_only(&["--include-db", "^mysql$", "-vvv"]);
    run.assert_state(State::Ok);
    let positions = match flavor() {
        Flavor::MySql => "gtid_executed",
        _ => "gtid_slave_pos",
    };
    assert!(!run.stdout.contains(&format!("mysql.{positions}")), "{run}");
    assert!(run.stdout.contains("\nmysql.db: match, "), "{run}");
    let run = mysql_only(&[
        "--include-db",
        "^mysql$",
        "--include-table",
        &format!(r"^mysql\.{positions}$"),
    ]);
    assert_eq!(run.perf("tables"), "1", "{run}");
}

/// Four tables alike on both sides, in a fresh database of prefix `name`.
fn defined_alike(name: &str) -> (String, String) {
    let p = fresh(name);
    let db = format!("{p}_a");
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    for t in ["added", "moved", "latin", "indexed"] {
        sql.push(format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY, v INT, s VARCHAR(8)) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ));
        sql.push(format!("INSERT INTO {t} VALUES (1, 1, 'a'), (2, 2, 'b')"));
    }
    replicated(&sql);
    (p, db)
}

/// Table definitions are compared on every run, and a difference is named
/// in words, its state following what row-based replication supports: a
/// column added at the end of the replica's table copes (WARNING). An
/// extra secondary index on the replica is no finding.
#[test]
fn definition_drift_is_named() {
    let _g = shared();
    let (p, db) = defined_alike("defs");
    let run = check(&p).run();
    run.assert_state(State::Ok);
    assert_eq!(run.perf("definitions_differ"), "0", "{run}");
    on_replica_only(&[
        &format!("ALTER TABLE `{db}`.added ADD COLUMN extra INT DEFAULT 7"),
        &format!("ALTER TABLE `{db}`.indexed ADD INDEX (v)"),
    ]);
    let int = if flavor() == Flavor::MySql {
        "int"
    } else {
        "int(11)"
    };
    let run = check(&p).run();
    run.assert_state(State::Warning);
    assert_eq!(run.perf("definitions_differ"), "1", "{run}");
    assert!(
        run.first_line()
            .contains(&format!(", 1 definition differs ({db}.added), ")),
        "{run}"
    );
    let added = format!("{db}.added: definition differs: column extra ({int}) on the replica only");
    assert!(run.stdout.lines().any(|l| l == added), "{run}");
    assert!(!run.stdout.contains(&format!("{db}.indexed")), "{run}");
}

/// Common columns in another order or of another character set break
/// row-based replication (CRITICAL); `--definition-drift warning` maps
/// them to WARNING; JSON carries each difference.
#[test]
fn definitions_that_break_replication_are_critical() {
    let _g = shared();
    let (p, db) = defined_alike("brkdefs");
    on_replica_only(&[
        &format!("ALTER TABLE `{db}`.moved MODIFY v INT FIRST"),
        &format!("ALTER TABLE `{db}`.latin MODIFY s VARCHAR(8) CHARACTER SET latin1"),
    ]);
    let run = check(&p).run();
    run.assert_state(State::Critical);
    assert_eq!(run.perf("definitions_differ"), "2", "{run}");
    let moved = format!(
        "{db}.moved: definition differs: column id at position 1 on the primary, 2 on the \
         replica; column v at position 2 on the primary, 1 on the replica"
    );
    assert!(run.stdout.lines().any(|l| l == moved), "{run}");
    let latin = format!(
        "{db}.latin: definition differs: column s in utf8mb4 on the primary, latin1 on the replica"
    );
    assert!(run.stdout.lines().any(|l| l == latin), "{run}");
    let mapped = check(&p).args(&["--definition-drift", "warning"]).run();
    mapped.assert_state(State::Warning);
    let json = check(&p).args(&["--output", "json"]).run();
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(j["definitions_differ"], 2, "{json}");
    let latin: Vec<&serde_json::Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["table"] == "latin")
        .collect();
    assert_eq!(
        latin[0]["definition"],
        serde_json::json!(["column s in utf8mb4 on the primary, latin1 on the replica"])
    );
}
