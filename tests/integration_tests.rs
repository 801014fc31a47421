//! The built plugin against a real MariaDB primary and replica
//! (`tests/servers.sh up`; `tests/run.sh` does it and runs this suite).

mod common;

use common::*;
use std::time::{Duration, Instant};

#[test]
fn matching_pair_is_ok() {
    let _g = shared();
    let (p, _) = seeded("match");
    seed(&format!("{p}_b"));
    let run = check(&p, &[]);
    assert_eq!(run.code, 0, "{run}");
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
    let run = check(&p, &[]);
    assert_eq!(run.code, 2, "{run}");
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

#[test]
fn rows_deleted_on_the_replica_only() {
    let _g = shared();
    let (p, db) = seeded("del");
    on_replica_only(&[&format!("DELETE FROM `{db}`.t1 WHERE v > 1")]);
    let run = check(&p, &[]);
    assert_eq!(run.code, 2, "{run}");
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
    let run = check(&p, &[]);
    assert_eq!(run.code, 2, "{run}");
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
    let run = check(&p, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.perf("tables"), "4");
    let (db, t) = &names[3];
    on_replica_only(&[&format!("INSERT INTO `{db}`.`{t}` VALUES (3)")]);
    let (db1, t1) = &names[1];
    on_replica_only(&[&format!(
        "DELETE FROM `{}`.`{}`",
        db1.replace('`', "``"),
        t1.replace('`', "``")
    )]);
    let run = check(&p, &[]);
    assert_eq!(run.code, 2, "{run}");
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

#[test]
fn table_kinds() {
    let _g = shared();
    let p = fresh("kinds");
    let db = format!("{p}_a");
    let mariadb = flavor() != Flavor::MySql;
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
    exec(
        Side::Primary,
        &statements.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    sync();
    let run = check(&p, &[]);
    assert_eq!(run.code, 0, "{run}");
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
    let run = check(&p, &[]);
    assert_eq!(run.code, 2, "{run}");
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
    let run = check(&p, &[]);
    assert_eq!(run.code, 3, "{run}");
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
fn wrong_password_is_critical() {
    let _g = shared();
    let (m, r) = (primary_addr(), replica_addr());
    let run = plugin(&[
        "--master",
        &m,
        "--replica",
        &r,
        "-u",
        "monitor",
        "-p",
        "wrong",
    ]);
    run.assert_plugin_output();
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.first_line()
            .contains("cannot connect to primary 127.0.0.1:"),
        "{run}"
    );
    assert!(
        run.first_line()
            .contains("Access denied for user 'monitor'"),
        "{run}"
    );
    assert_eq!(run.stdout.lines().count(), 1);
}

#[test]
fn unreachable_port_is_critical() {
    let _g = shared();
    // Port 1 on loopback: nothing listens there.
    let m = primary_addr();
    let run = plugin_env(
        &["--master", &m, "--replica", "127.0.0.1:1", "-u", "monitor"],
        &[("MYSQL_PWD", &monitor_password())],
    );
    run.assert_plugin_output();
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.first_line()
            .contains("cannot connect to replica 127.0.0.1:1"),
        "{run}"
    );
}

#[test]
fn bad_arguments_are_unknown_on_stdout() {
    for args in [
        vec!["--bogus"],
        vec!["--master", "a"],
        vec!["--master", "a", "--replica", "b"],
        vec!["--master", "a:notaport", "--replica", "b", "-u", "m"],
        vec!["--master", "a", "--replica", "b", "-u", "m", "-t", "abc"],
        vec![
            "--master",
            "a",
            "--replica",
            "b",
            "-u",
            "m",
            "--include-db",
            "(",
        ],
        vec!["--master", "a", "--replica", "b", "-u", "m", "positional"],
        vec![
            "--master",
            "a",
            "--replica",
            "b",
            "-u",
            "m",
            "--defaults-file",
            "/nonexistent.cnf",
        ],
    ] {
        let run = plugin(&args);
        run.assert_plugin_output();
        assert_eq!(run.code, 3, "{args:?}: {run}");
        assert_eq!(run.stdout.lines().count(), 1, "{args:?}: {run}");
    }
}

/// Port 0 and hosts that cannot be a host are bad arguments (UNKNOWN
/// naming the value), not servers that refuse a connection (CRITICAL).
#[test]
fn impossible_hosts_and_ports_are_bad_arguments() {
    for (args, says) in [
        (
            vec!["-P", "0"],
            "invalid arguments: invalid value '0' for '--port <PORT>'",
        ),
        (
            vec!["--master", "a:0"],
            "--master: '0' is not a port number",
        ),
        (
            vec!["--master", ":::"],
            "--master: ':::' is not a host name or address",
        ),
        (
            vec!["--replica", "[::1"],
            "--replica: unclosed '[' in '[::1'",
        ),
        (
            vec!["--replica", "db 2"],
            "--replica: 'db 2' is not a host name or address",
        ),
    ] {
        assert_bad_input(&args, says);
    }
}

/// With placeholder servers and `extra`, a bad input: UNKNOWN, one line
/// that starts with `says`, before any connection.
fn assert_bad_input(extra: &[&str], says: &str) {
    let base = ["--master", "a", "--replica", "b", "-u", "m"];
    let run = plugin(&[&base[..], extra].concat());
    run.assert_plugin_output();
    assert_eq!(run.code, 3, "{extra:?}: {run}");
    assert_eq!(run.stdout.lines().count(), 1, "{extra:?}: {run}");
    assert!(
        run.first_line()
            .starts_with(&format!("DRIFT UNKNOWN - {says}")),
        "{extra:?}: {run}"
    );
}

/// The README's Nagios command (`--extra-opts`) and the packaged one
/// (`--defaults-file`), each with the packaged example file exactly as
/// shipped, beside command-line options that the file sets too: the
/// options merge, argv wins, and the run reaches the servers (which refuse
/// the example's placeholder password), instead of "cannot be used
/// multiple times".
#[test]
fn shipped_examples_work_as_shipped() {
    let _g = shared();
    let root = env!("CARGO_MANIFEST_DIR");
    let (m, r) = (primary_addr(), replica_addr());
    let extra = format!("--extra-opts=check_mysql_drift@{root}/packaging/examples/plugins.ini");
    let defaults = format!("{root}/packaging/examples/check_mysql_drift.cnf");
    let readme = ["--master", &m, "--replica", &r, "-u", "monitor", &extra];
    let packaged = [
        "--master",
        &m,
        "--replica",
        &r,
        "--defaults-file",
        &defaults,
        "-t",
        "30",
    ];
    for args in [
        &readme[..],
        &[&readme[..], &["-c", "0"]].concat(),
        &packaged[..],
    ] {
        let run = plugin(args);
        run.assert_plugin_output();
        assert_eq!(run.code, 2, "{args:?}: {run}");
        assert!(
            run.first_line().starts_with(&format!(
                "DRIFT CRITICAL - cannot connect to primary {m}: Access denied for user 'monitor'@"
            )),
            "{args:?}: {run}"
        );
    }
}

#[test]
fn invalid_range_is_unknown() {
    for (flag, long, value) in [
        ("-w", "--warning", "5:1"),
        ("-c", "--critical", "abc"),
        ("--critical-rows", "--critical-rows", "@"),
        ("--warning-rows", "--warning-rows", "1:x"),
    ] {
        let says = format!("invalid arguments: invalid value '{value}' for '{long} <RANGE>': invalid range '{value}'");
        assert_bad_input(&[flag, value], &says);
    }
}

#[test]
fn help_and_version_on_stdout() {
    let run = plugin(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.is_empty());
    assert!(
        run.stdout.contains("--master") && run.stdout.contains("VISIBLE TO OTHER USERS"),
        "{run}"
    );
    let run = plugin(&["-V"]);
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, concat!("check_mysql_drift ", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn thresholds_on_tables_and_rows() {
    let _g = shared();
    let (p, db) = seeded("thresh");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")]);
    // One differing table: within -c 1, beyond -w 0.
    let run = check(&p, &["-w", "0", "-c", "1"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.first_line().contains("drifted=1;0;1;0"), "{run}");
    let run = check(&p, &["-w", "5", "-c", "5"]);
    assert_eq!(run.code, 0, "{run}");
    let run = check(&p, &["-c", "5", "--critical-rows", "0"]);
    assert_eq!(run.code, 2, "{run}");
    let run = check(&p, &["-c", "5", "--warning-rows", "~:0"]);
    assert_eq!(run.code, 1, "{run}");
}

#[test]
fn option_file_and_mysql_pwd() {
    let _g = shared();
    let (p, _) = seeded("optfile");
    let cnf = pair_option_file(&format!("\"{}\"", monitor_password()));
    let include = format!("^{p}");
    let cnf_s = cnf.path_str();
    let run = plugin(&["--defaults-file", cnf_s, "--include-db", &include]);
    run.assert_plugin_output();
    assert_eq!(run.code, 0, "{run}");

    // MYSQL_PWD alone, no password anywhere else.
    let (m, r) = (primary_addr(), replica_addr());
    let args = [
        "--master",
        &m,
        "--replica",
        &r,
        "-u",
        "monitor",
        "--include-db",
        &include,
    ];
    let run = plugin_env(&args, &[("MYSQL_PWD", &monitor_password())]);
    assert_eq!(run.code, 0, "{run}");
    // And without it: access denied, so the password really came from there.
    let run = plugin(&args);
    assert_eq!(run.code, 2, "{run}");

    // --extra-opts: an ini section of long options.
    let ini = Scratch::new(
        "plugins.ini",
        &format!(
            "[drift]\nmaster={m}\nreplica={r}\nuser=monitor\npassword={}\n",
            monitor_password()
        ),
    );
    let spec = format!("--extra-opts=drift@{}", ini.path_str());
    let run = plugin(&[&spec, "--include-db", &include]);
    run.assert_plugin_output();
    assert_eq!(run.code, 0, "{run}");
}

/// An option file for the pair as `monitor`, whose password line says
/// `password=` then `value` (written as the test needs it).
fn pair_option_file(value: &str) -> Scratch {
    let text = format!(
        "[client]\nuser = monitor\npassword={value}\n[check_mysql_drift]\nmaster = {}\nreplica = {}\n",
        primary_addr(),
        replica_addr()
    );
    Scratch::new("drift.cnf", &text)
}

/// Option files as MariaDB reads them, through the binary: a `#` ends an
/// unquoted value; a world-writable file is refused by name and mode; a
/// password in a file every user may read is pointed out.
#[test]
fn option_file_rules_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let _g = shared();
    let (p, _) = seeded("optrules");
    let scratch = pair_option_file(&format!("{}#old one", monitor_password()));
    let cnf = &scratch.path;
    let include = format!("^{p}");
    let args = [
        "--defaults-file",
        scratch.path_str(),
        "--include-db",
        &include,
    ];
    let with_mode = |mode: u32| {
        std::fs::set_permissions(cnf, std::fs::Permissions::from_mode(mode)).unwrap();
        let run = plugin(&args);
        run.assert_plugin_output();
        run
    };
    let run = with_mode(0o600);
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stdout.contains("note:"), "{run}");
    let run = with_mode(0o644);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(&format!(
            "\nnote: the password comes from {}, which every local user may read (chmod o-r)\n",
            cnf.display()
        )),
        "{run}"
    );
    let run = with_mode(0o666);
    assert_eq!(run.code, 3, "{run}");
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT UNKNOWN - option file {} is world-writable (mode 0666), so any local user \
             could change what the plugin connects to: MariaDB ignores such a file, and so does \
             the plugin (chmod o-w)",
            cnf.display()
        )
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
    assert_eq!(check(&p, &[]).code, 2);
    let run = check(&p, &["--exclude-db", "_b$"]);
    assert_eq!((run.code, run.perf("tables")), (0, "3".into()), "{run}");
    let run = check(&p, &["--exclude-table", r"_b\.t1$"]);
    assert_eq!((run.code, run.perf("tables")), (0, "5".into()), "{run}");
    let run = check(&p, &["--include-table", r"\.t1$"]);
    assert_eq!((run.code, run.perf("tables")), (2, "2".into()), "{run}");
    let run = check(&p, &["--include-table", r"\.t2$"]);
    assert_eq!((run.code, run.perf("tables")), (0, "2".into()), "{run}");
    // System schemas only when named in full.
    let run = check(
        &p,
        &["--include-db", "^mysql$", "--include-table", r"^mysql\.db$"],
    );
    assert_eq!(run.perf("tables"), "1", "{run}");
    // The mysql schema alone: the tables that differ between servers by
    // nature (positions, statistics, logs) are left out, so a healthy
    // pair is OK; named in full, such a table is compared.
    let (m, r) = (primary_addr(), replica_addr());
    let mysql_only = |extra: &[&str]| {
        let args = [
            &["--master", &m, "--replica", &r, "-u", "monitor"][..],
            extra,
        ]
        .concat();
        let run = plugin_env(&args, &[("MYSQL_PWD", &monitor_password())]);
        run.assert_plugin_output();
        run
    };
    let run = mysql_only(&["--include-db", "^mysql$", "-vvv"]);
    assert_eq!(run.code, 0, "{run}");
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
    // Filters that match nothing (a typo) check nothing: never OK.
    let run = check(&p, &["--include-table", r"^no_such\."]);
    assert_eq!(run.code, 3, "{run}");
    assert!(
        run.first_line()
            .starts_with("DRIFT UNKNOWN - no table matched the filters, "),
        "{run}"
    );
    assert_eq!(run.perf("tables"), "0", "{run}");
}

/// The two servers must be a primary and a replica of it: the same server
/// given twice, or the pair given the wrong way round, is CRITICAL "not a
/// replica", not "OK, both at GTID ...".
#[test]
fn the_pair_must_be_the_pair() {
    let _g = shared();
    let (p, _) = seeded("pairing");
    let include = format!("^{p}");
    let run_with = |primary: &str, replica: &str| {
        let args = [
            "--master",
            primary,
            "--replica",
            replica,
            "-u",
            "monitor",
            "--include-db",
            &include,
        ];
        let run = plugin_env(&args, &[("MYSQL_PWD", &monitor_password())]);
        run.assert_plugin_output();
        run
    };
    let (m, r) = (primary_addr(), replica_addr());
    let run = run_with(&m, &m);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.stdout,
        format!(
            "DRIFT CRITICAL - replica {m} is not a replica of primary {m}: both have server_id 1 \
             (the same server given twice?)\n"
        )
    );
    // The replica given as primary: it logs what it replicates, but the
    // primary has applied nothing of it.
    let run = run_with(&r, &m);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.stdout,
        format!(
            "DRIFT CRITICAL - replica {m} is not a replica of primary {r}: it has applied none of \
             the primary's transactions\n"
        )
    );
    assert_eq!(run_with(&m, &r).code, 0);
}

#[test]
fn json_and_number_outputs() {
    let _g = shared();
    let (p, db) = seeded("outputs");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")]);
    let (m, r) = (primary_addr(), replica_addr());
    let include = format!("^{p}");
    let base = [
        "--master",
        &m,
        "--replica",
        &r,
        "-u",
        "monitor",
        "--include-db",
        &include,
    ];
    let pw = [("MYSQL_PWD", monitor_password())];
    let pw: Vec<(&str, &str)> = pw.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = plugin_env(&[&base[..], &["--output", "number"]].concat(), &pw);
    assert_eq!((run.code, run.stdout.as_str()), (2, "1\n"), "{run}");
    let run = plugin_env(&[&base[..], &["--output", "json"]].concat(), &pw);
    assert_eq!(run.code, 2, "{run}");
    let j = parsed_json(&run);
    assert_eq!(
        (j["drifted"].as_u64(), j["findings"][0]["table"].as_str()),
        (Some(1), Some("t1"))
    );
}

/// The figure fields every JSON answer carries (null when unknown).
const JSON_FIGURES: [&str; 12] = [
    "tables",
    "drifted",
    "missing_on_replica",
    "missing_on_primary",
    "max_row_diff",
    "rows_primary",
    "rows_replica",
    "unverified",
    "unreadable",
    "rechecks",
    "replica_ahead",
    "time",
];

/// Parses a JSON answer and checks what every one must hold.
fn parsed_json(run: &Run) -> serde_json::Value {
    assert!(run.stderr.is_empty(), "{run}");
    let j: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run}"));
    let state = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][run.code as usize];
    assert_eq!(j["state"], state, "{run}");
    assert_eq!(j["code"], run.code, "{run}");
    assert!(j["summary"].is_string(), "{run}");
    assert!(
        j["findings"].is_array() && j["positions"].is_array(),
        "{run}"
    );
    for f in JSON_FIGURES {
        assert!(j.get(f).is_some(), "no {f}: {run}");
    }
    j
}

/// `--output json` is JSON on every path: bad arguments, a missing
/// `--extra-opts` file, a refused connection, a timeout, OK and drift.
#[test]
fn every_answer_is_json() {
    let _g = shared();
    let (p, db) = seeded("jsonpaths");
    let m = primary_addr();
    let json = ["--output", "json"];
    let base = ["--master", "a", "--replica", "b", "-u", "m"];
    for args in [
        vec!["--connections", "abc"],
        vec!["--extra-opts=@/nonexistent.ini"],
        vec!["-w", "5:1"],
        vec!["--bogus"],
    ] {
        let run = plugin(&[&base[..], &args, &json].concat());
        let j = parsed_json(&run);
        assert_eq!(j["state"], "UNKNOWN", "{run}");
        assert!(j["tables"].is_null(), "{run}");
    }
    let refused = plugin_env(
        &[
            "--master",
            &m,
            "--replica",
            "127.0.0.1:1",
            "-u",
            "monitor",
            "--output",
            "json",
        ],
        &[("MYSQL_PWD", &monitor_password())],
    );
    let j = parsed_json(&refused);
    assert_eq!(j["state"], "CRITICAL");
    assert!(JSON_FIGURES.iter().all(|f| j[f].is_null()), "{refused}");
    let ok = check(&p, &json);
    let j = parsed_json(&ok);
    assert_eq!(
        (j["tables"].as_u64(), j["drifted"].as_u64()),
        (Some(3), Some(0))
    );
    // One position or several (other tests write meanwhile), each a GTID.
    let positions = j["positions"].as_array().cloned().unwrap_or_default();
    assert!(!positions.is_empty(), "{ok}");
    assert!(
        positions
            .iter()
            .all(|p| p.as_str().is_some_and(|p| p.starts_with(&gtid_prefix()))),
        "{ok}"
    );
    on_replica_only(&[&format!("INSERT INTO `{db}`.t2 (v) VALUES (9)")]);
    let drift = check(&p, &json);
    let j = parsed_json(&drift);
    assert_eq!(j["findings"][0]["database"], db.as_str());
    assert_eq!(j["findings"][0]["table"], "t2");
    assert_eq!(
        j["findings"][0]["finding"]
            .as_str()
            .map(|f| f.contains("(+1)")),
        Some(true)
    );
    // A count held by a lock until -t runs out.
    let locker = write_lock(Side::Replica, &format!("`{db}`.t1"));
    let timeout = check(&p, &["--output", "json", "-t", "2"]);
    locker.unlock();
    let j = parsed_json(&timeout);
    assert!(
        j["summary"]
            .as_str()
            .unwrap()
            .starts_with("timeout after 2s while"),
        "{timeout}"
    );
}

/// `--output number` prints a number only with a verdict on every table;
/// otherwise the status line, which a numeric Zabbix item shows as the
/// reason it is unsupported (never a healthy-looking 0).
#[test]
fn number_mode_on_every_state() {
    let _g = shared();
    let (p, db) = seeded("number");
    let number = ["--output", "number"];
    let run = check(&p, &number);
    assert_eq!((run.code, run.stdout.as_str()), (0, "0\n"), "{run}");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")]);
    let run = check(&p, &[&number[..], &["-w", "0", "-c", "5"]].concat());
    assert_eq!((run.code, run.stdout.as_str()), (1, "1\n"), "{run}");
    let run = check(&p, &number);
    assert_eq!((run.code, run.stdout.as_str()), (2, "1\n"), "{run}");
    let run = check(
        &p,
        &[&number[..], &["--include-table", r"^nothing\."]].concat(),
    );
    assert_eq!(run.code, 3, "{run}");
    assert!(
        run.stdout
            .starts_with("DRIFT UNKNOWN - no table matched the filters"),
        "{run}"
    );
    on_replica_only(&[&format!("ALTER TABLE `{db}`.t3 DISCARD TABLESPACE")]);
    let run = check(&p, &number);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stdout
            .starts_with("DRIFT CRITICAL - 1 of 3 tables differ"),
        "{run}"
    );
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
    let m = primary_addr();
    let run = plugin_env(
        &[
            "--master",
            &m,
            "--replica",
            "127.0.0.1:1",
            "-u",
            "monitor",
            "--output",
            "number",
        ],
        &[("MYSQL_PWD", &monitor_password())],
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stdout
            .starts_with("DRIFT CRITICAL - cannot connect to replica 127.0.0.1:1"),
        "{run}"
    );
}

/// With 500 findings the output still fits Nagios' 8 KiB, and what `-v`
/// and `-vv` add stands before the findings, which are the ones cut.
#[test]
fn verbose_lines_survive_500_findings() {
    let _g = shared();
    let p = fresh("many");
    let db = format!("{p}_a");
    let mut create = vec![format!("CREATE DATABASE `{db}`")];
    create.extend(
        (0..500).map(|i| format!("CREATE TABLE `{db}`.t{i} (id INT PRIMARY KEY) ENGINE=InnoDB")),
    );
    exec(
        Side::Primary,
        &create.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    sync();
    let drift: Vec<String> = (0..500)
        .map(|i| format!("INSERT INTO `{db}`.t{i} VALUES (1)"))
        .collect();
    on_replica_only(&drift.iter().map(String::as_str).collect::<Vec<_>>());
    let run = check(&p, &["-vv"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.first_line()
            .starts_with("DRIFT CRITICAL - 500 of 500 tables differ"),
        "{run}"
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        verdicts_line(&run),
        "verdicts: 500 compared at one replication position"
    );
    // Each difference seen again at a second snapshot set.
    assert!(
        lines[2].starts_with("2 round(s), 500 table re-check(s), "),
        "{run}"
    );
    // -vv: the servers, their flavor and version, and the settings.
    let version = match flavor() {
        Flavor::MySql => "MySQL 9.",
        Flavor::MariaDb11 => "MariaDB 11.",
        Flavor::MariaDb10 => "MariaDB 10.",
    };
    let servers = format!(
        "primary {}: {version}.*, replica {}: {version}.*; user monitor, 3 connection\\(s\\)",
        regex_escape(&primary_addr()),
        regex_escape(&replica_addr())
    );
    let servers = regex::Regex::new(&format!("^{servers}")).unwrap();
    assert!(servers.is_match(lines[3]), "{run}");
    assert!(
        lines[4].starts_with(&format!("{db}.t0: primary 0, replica 1 (+1)")),
        "{run}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("... and ") && last.ends_with(" more"),
        "{run}"
    );
    assert!(run.stdout.len() <= 8192, "{} bytes", run.stdout.len());
}

/// `-t` runs out while a count waits on a table lock: UNKNOWN naming the
/// stage within `-t` plus a second, and no query of ours left running.
#[test]
fn timeout_during_a_long_count() {
    let _g = shared();
    let (p, db) = seeded("timeout");
    own_monitor("monitor_t");
    let locker = write_lock(Side::Replica, &format!("`{db}`.t2"));
    let run = check_as("monitor_t", &p, &["-t", "2"]);
    assert_eq!(run.code, 3, "{run}");
    assert!(run.first_line().contains("timeout after 2s while"), "{run}");
    assert!(run.first_line().contains("replica: counting rows"), "{run}");
    assert!(run.elapsed < Duration::from_secs(3), "{run}");
    assert_no_queries_left("monitor_t", Duration::from_secs(2));
    locker.unlock();
}

/// The tighter grant of the README: SELECT on the application schema and on
/// mysql.gtid_slave_pos only. Verdicts keep their replication positions;
/// without the gtid_slave_pos grant there is no replica position to compare
/// at, and the answer says which grant is missing.
#[test]
fn tighter_grant() {
    let _g = shared();
    let (p, db) = seeded("tight");
    let schema = format!("SELECT ON `{db}`.*");
    account(
        "monitor_tight",
        "",
        &[&schema, "SELECT ON mysql.gtid_slave_pos"],
    );
    let run = check_as("monitor_tight", &p, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.perf("tables"), "3", "{run}");
    assert!(run.first_line().contains("GTID 0-1-"), "{run}");
    // A replica position was read (other tests write meanwhile, so the
    // first try may be some transactions past the primary's).
    assert_ne!(run.perf("replica_ahead"), "U", "{run}");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t3 (v) VALUES (1)")]);
    let run = check_as("monitor_tight", &p, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stdout.contains(&format!(
            "{db}.t3: primary 0, replica 1 (+1), verified at GTID 0-1-"
        )),
        "{run}"
    );

    exec(
        Side::Primary,
        &["REVOKE SELECT ON mysql.gtid_slave_pos FROM 'monitor_tight'@'%'"],
    );
    sync();
    let run = check_as("monitor_tight", &p, &[]);
    assert_eq!(run.code, 3, "{run}");
    assert_eq!(
        run.stdout,
        format!(
            "DRIFT UNKNOWN - cannot read mysql.gtid_slave_pos on replica {}: without the replica's \
             position no verdict can be reached (GRANT SELECT ON mysql.gtid_slave_pos)\n",
            replica_addr()
        ),
        "{run}"
    );
}

/// What logs in: MariaDB's ed25519 (and PARSEC on 11) work; a method the
/// plugin cannot use (PAM's dialog) is one CRITICAL line naming it. On
/// MySQL, caching_sha2_password's first login after a server restart
/// (full authentication, no cached entry) over plain TCP and over TLS.
#[test]
fn authentication_methods() {
    let _g = exclusive();
    let (p, _) = seeded("auth");
    if flavor() == Flavor::MySql {
        own_monitor("monitor_sha");
        let ca = format!("{}/ca.pem", tls_dir());
        for tls in [&[][..], &["--ssl-ca", &ca, "--ssl-verify-server-cert"]] {
            restart(Side::Replica);
            let run = check_as("monitor_sha", &p, tls);
            assert_eq!(run.code, 0, "{tls:?}: {run}");
        }
        return;
    }
    let mut methods = vec![("ed25519", "auth_ed25519"), ("pam", "auth_pam")];
    if flavor() == Flavor::MariaDb11 {
        methods.push(("parsec", "auth_parsec"));
    }
    for (method, library) in &methods {
        for &side in [Side::Primary].iter().chain(replicas()) {
            let sql = format!(
                "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = '{method}'"
            );
            if query_one::<i64>(side, &sql) == 0 {
                on_only(side, &[&format!("INSTALL SONAME '{library}'")]);
            }
        }
        let user = format!("monitor_{method}");
        // PAM checks the system's passwords: it keeps none of its own.
        let using = match *method {
            "pam" => String::new(),
            _ => format!(" USING PASSWORD('pw-{user}')"),
        };
        exec(
            Side::Primary,
            &[
                &format!("DROP USER IF EXISTS '{user}'@'%'"),
                &format!("CREATE USER '{user}'@'%' IDENTIFIED VIA {method}{using}"),
                &format!("GRANT SELECT, SHOW DATABASES ON *.* TO '{user}'@'%'"),
            ],
        );
    }
    sync();
    for (method, _) in &methods {
        let run = check_as(&format!("monitor_{method}"), &p, &[]);
        if *method != "pam" {
            assert_eq!(run.code, 0, "{method}: {run}");
            continue;
        }
        assert_eq!(run.code, 2, "{run}");
        assert_eq!(run.stdout.lines().count(), 1, "{run}");
        assert!(
            run.first_line().starts_with(&format!(
                "DRIFT CRITICAL - cannot connect to primary {}: it asks for the authentication \
                 method dialog, which the plugin cannot use",
                primary_addr()
            )),
            "{run}"
        );
    }
}

fn tls_dir() -> String {
    format!(
        "{}/tls",
        std::env::var("DRIFT_TEST_DIR").unwrap_or("/tmp/check_mysql_drift-servers".into())
    )
}

/// TLS files that hold no certificate (or no key) are the operator's to
/// fix: UNKNOWN naming the option and the file, before any connection,
/// with or without --ssl-verify-server-cert.
#[test]
fn bad_tls_files_are_named() {
    let tls = tls_dir();
    let dir = std::env::temp_dir().join(format!("cmd-it-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let key = format!("{tls}/client-key.pem");
    let cert = format!("{tls}/client-cert.pem");
    let (g, e) = (garbage.display().to_string(), empty.display().to_string());
    for (args, says) in [
        (
            vec!["--ssl-ca", &g],
            format!("--ssl-ca {g}: no PEM certificate in it"),
        ),
        (
            vec!["--ssl-ca", &e, "--ssl-verify-server-cert"],
            format!("--ssl-ca {e}: no PEM certificate in it"),
        ),
        (
            vec!["--ssl-ca", &key],
            format!("--ssl-ca {key}: no PEM certificate in it"),
        ),
        (
            vec!["--ssl-cert", &cert, "--ssl-key", &cert],
            format!("--ssl-key {cert}: no PEM private key in it"),
        ),
        (
            vec!["--ssl-cert", &cert],
            "--ssl-cert and --ssl-key go together: give both or neither".into(),
        ),
    ] {
        assert_bad_input(&args, &says);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An account that REQUIRE X509: refused without a client certificate,
/// OK with the test CA's one, from the command line or an option file.
#[test]
fn client_certificates() {
    let _g = shared();
    let (p, _) = seeded("x509");
    account(
        "monitor_x509",
        "REQUIRE X509",
        &["SELECT, SHOW DATABASES ON *.*"],
    );
    let tls = tls_dir();
    let (cert, key) = (
        format!("{tls}/client-cert.pem"),
        format!("{tls}/client-key.pem"),
    );
    let run = check_as("monitor_x509", &p, &["--ssl"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.first_line()
            .contains("Access denied for user 'monitor_x509'"),
        "{run}"
    );
    let run = check_as(
        "monitor_x509",
        &p,
        &["--ssl-cert", &cert, "--ssl-key", &key],
    );
    assert_eq!(run.code, 0, "{run}");
    let cnf = Scratch::new(
        "x509.cnf",
        &format!("[client]\nssl-cert = {cert}\nssl_key = {key}\n"),
    );
    let run = check_as("monitor_x509", &p, &["--defaults-file", cnf.path_str()]);
    assert_eq!(run.code, 0, "{run}");
}

/// A stand-in server on loopback: accepts, says `greeting` (nothing when
/// empty), then holds the connection for `hold`.
fn stand_in(greeting: &'static [u8], hold: Duration) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut held = Vec::new();
        for mut conn in listener.incoming().flatten() {
            let _ = conn.write_all(greeting);
            held.push(conn);
            if started.elapsed() > hold {
                break;
            }
        }
    });
    addr
}

/// Servers that do not answer as they should: each named for what it did.
#[test]
fn servers_that_misbehave_are_named() {
    let _g = shared();
    let m = primary_addr();
    let pw = [("MYSQL_PWD", monitor_password())];
    let pw: Vec<(&str, &str)> = pw.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run_against = |replica: &str, extra: &[&str]| {
        let args = [
            &["--master", &m, "--replica", replica, "-u", "monitor"][..],
            extra,
        ]
        .concat();
        let run = plugin_env(&args, &pw);
        run.assert_plugin_output();
        run
    };
    // Not a MySQL server: an SSH banner.
    let ssh = stand_in(
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        Duration::from_secs(10),
    );
    let run = run_against(&ssh, &["-t", "5"]);
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT CRITICAL - cannot connect to replica {ssh}: it did not answer as a MySQL/MariaDB server"
        )
    );
    // A replica that accepts and never answers: the timeout names it, and
    // not the primary, which connected at once.
    let silent = stand_in(b"", Duration::from_secs(10));
    let run = run_against(&silent, &["-t", "2"]);
    assert_eq!(run.code, 3, "{run}");
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT UNKNOWN - timeout after 2s while primary: connected; replica: connecting to \
             replica {silent}"
        )
    );
    // Both down: both named.
    let run = plugin_env(
        &[
            "--master",
            "127.0.0.1:1",
            "--replica",
            "127.0.0.1:2",
            "-u",
            "monitor",
        ],
        &pw,
    );
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.first_line(),
        "DRIFT CRITICAL - cannot connect to primary 127.0.0.1:1: Connection refused (os error 111); \
         cannot connect to replica 127.0.0.1:2: Connection refused (os error 111)"
    );
}

/// TLS through rustls, against servers started with the test CA's
/// certificate (`tests/servers.sh`), as an account that requires TLS.
#[test]
fn tls_connections() {
    let _g = shared();
    let (p, _) = seeded("tls");
    account(
        "monitor_tls",
        "REQUIRE SSL",
        &["SELECT, SHOW DATABASES ON *.*"],
    );
    let tls = tls_dir();
    let ca = format!("{tls}/ca.pem");
    let other = format!("{tls}/other-ca.pem");

    let run = check_as(
        "monitor_tls",
        &p,
        &["--ssl-ca", &ca, "--ssl-verify-server-cert"],
    );
    assert_eq!(run.code, 0, "{run}");
    let run = check_as("monitor_tls", &p, &["--ssl"]);
    assert_eq!(run.code, 0, "{run}");
    // Without TLS the account is refused: the runs above did use it.
    let run = check_as("monitor_tls", &p, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.first_line()
            .contains("Access denied for user 'monitor_tls'"),
        "{run}"
    );
    // A certificate from another CA fails verification, as CRITICAL.
    let run = check_as(
        "monitor_tls",
        &p,
        &["--ssl-ca", &other, "--ssl-verify-server-cert"],
    );
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT CRITICAL - cannot connect to primary {}: TLS: the server's certificate was \
             refused: it is not signed by a CA of --ssl-ca; cannot connect to replica {}: TLS: \
             the server's certificate was refused: it is not signed by a CA of --ssl-ca",
            primary_addr(),
            replica_addr()
        )
    );
    // The same settings from an option file.
    let cnf = Scratch::new(
        "tls.cnf",
        &format!("[client]\nssl-ca = {ca}\nssl-verify-server-cert\n"),
    );
    let run = check_as("monitor_tls", &p, &["--defaults-file", cnf.path_str()]);
    assert_eq!(run.code, 0, "{run}");
}
