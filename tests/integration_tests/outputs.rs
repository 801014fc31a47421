//! JSON and number outputs on every path, and long output that survives the cap.

use support::*;

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
    let run = plugin()
        .args(&[&base[..], &["--output", "number"]].concat())
        .envs(&pw)
        .run();
    assert_number(&run, State::Critical, "1");
    let run = plugin()
        .args(&[&base[..], &["--output", "json"]].concat())
        .envs(&pw)
        .run();
    run.assert_state(State::Critical);
    let j = parsed_json(&run);
    assert_eq!(
        (j["drifted"].as_u64(), j["findings"][0]["table"].as_str()),
        (Some(1), Some("t1"))
    );
}

/// The figure fields every JSON answer carries (null when unknown).
const JSON_FIGURES: [&str; 13] = [
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
    "definitions_differ",
    "time",
];

/// Parses a JSON answer and checks what every one must hold.
fn parsed_json(run: &Run) -> serde_json::Value {
    assert!(run.stderr.is_empty(), "{run}");
    let j: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run}"));
    let state = run.state().word();
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

/// `--output json` is JSON where no comparison was made: bad arguments,
/// a missing `--extra-opts` file, a refused connection.
#[test]
fn failures_are_json() {
    let json = ["--output", "json"];
    let base = ["--master", "a", "--replica", "b", "-u", "m"];
    for args in [
        vec!["--connections", "abc"],
        vec!["--extra-opts=@/nonexistent.ini"],
        vec!["-w", "5:1"],
        vec!["--bogus"],
    ] {
        let run = plugin().args(&[&base[..], &args, &json].concat()).run();
        let j = parsed_json(&run);
        assert_eq!(j["state"], "UNKNOWN", "{run}");
        assert!(j["tables"].is_null(), "{run}");
    }
    let refused = refused_replica("json");
    let j = parsed_json(&refused);
    assert_eq!(j["state"], "CRITICAL");
    assert!(JSON_FIGURES.iter().all(|f| j[f].is_null()), "{refused}");
}

/// `--output json` is JSON on the paths of a comparison: OK, drift, and a
/// timeout.
#[test]
fn every_answer_is_json() {
    let _g = shared();
    let (p, db) = seeded("jsonpaths");
    let json = ["--output", "json"];
    let ok = check(&p).args(&json).run();
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
    let drift = check(&p).args(&json).run();
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
    let timeout = check(&p).args(&["--output", "json", "-t", "2"]).run();
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

/// `run` ended in `state`, printing `number` alone.
fn assert_number(run: &Run, state: State, number: &str) {
    let printed = format!("{number}\n");
    assert_eq!(
        (run.state(), run.stdout.as_str()),
        (state, printed.as_str()),
        "{run}"
    );
}

/// The plugin in `--output FORMAT` against the primary and a replica port
/// where nothing listens.
fn refused_replica(format: &str) -> Run {
    let m = primary_addr();
    plugin()
        .args(&["--master", &m, "--replica", "127.0.0.1:1", "-u", "monitor"])
        .args(&["--output", format])
        .envs(&[("MYSQL_PWD", &monitor_password())])
        .run()
}

/// `--output number` prints a number only with a verdict on every table;
/// otherwise the status line, which a numeric Zabbix item shows as the
/// reason it is unsupported (never a healthy-looking 0).
#[test]
fn number_mode_on_every_state() {
    let _g = shared();
    let (p, db) = seeded("number");
    let number = ["--output", "number"];
    let run = check(&p).args(&number).run();
    assert_number(&run, State::Ok, "0");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")]);
    let run = check(&p)
        .args(&[&number[..], &["-w", "0", "-c", "5"]].concat())
        .run();
    assert_number(&run, State::Warning, "1");
    let run = check(&p).args(&number).run();
    assert_number(&run, State::Critical, "1");
    let run = check(&p)
        .args(&[&number[..], &["--include-table", r"^nothing\."]].concat())
        .run();
    run.assert_state(State::Unknown);
    assert!(
        run.stdout
            .starts_with("DRIFT UNKNOWN - no table matched the filters"),
        "{run}"
    );
    on_replica_only(&[&format!("ALTER TABLE `{db}`.t3 DISCARD TABLESPACE")]);
    let run = check(&p).args(&number).run();
    run.assert_state(State::Critical);
    assert!(
        run.stdout
            .starts_with("DRIFT CRITICAL - 1 of 3 tables differ"),
        "{run}"
    );
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
    let run = refused_replica("number");
    run.assert_state(State::Critical);
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
    let run = check(&p).args(&["-vv"]).run();
    run.assert_state(State::Critical);
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
        regex::escape(&primary_addr()),
        regex::escape(&replica_addr())
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
