//! Several replicas in one run, against the test set of `tests/servers.sh`:
//! the primary, two replicas of it, one replica chained through the first
//! (primary -> replica -> chained), and a primary of its own.

use support::*;

/// `127_0_0_1_13308`: the perfdata label of a replica of the test set.
fn label(side: Side) -> String {
    addr(side).replace(['.', ':'], "_")
}

/// The part of the status line about `side` (parts are split at "; ").
fn part_of(run: &Run, side: Side) -> String {
    let (summary, _) = run.first_line().split_once(" | ").expect("perfdata");
    let name = addr(side);
    summary
        .split_once(" - ")
        .expect("a state")
        .1
        .split("; ")
        .find(|p| p.contains(&name))
        .unwrap_or_else(|| panic!("nothing about {name} in {}", run.first_line()))
        .to_string()
}

/// The part about a replica that was compared, without its name.
fn compared(run: &Run, side: Side) -> String {
    let part = part_of(run, side);
    let name = format!("{}: ", addr(side));
    part.strip_prefix(&name)
        .unwrap_or_else(|| panic!("{part:?} does not start with {name:?}"))
        .to_string()
}

/// The perfdata `figure` of `side`.
fn perf_of(run: &Run, side: Side, figure: &str) -> String {
    run.perf(&format!("{}.{figure}", label(side)))
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run}"))
}

#[test]
fn a_healthy_set_is_ok() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = shared();
    let (p, _) = seeded("set_ok");
    let run = check(&p).replicas(&REPLICAS).run();
    run.assert_state(State::Ok);
    for side in REPLICAS {
        assert_eq!(compared(&run, side), "3 of 3 tables match");
        assert_eq!(perf_of(&run, side, "tables"), "3");
        assert_eq!(perf_of(&run, side, "drifted"), "0");
        assert_eq!(perf_of(&run, side, "rows_replica"), "8");
        // Each replica's state and positions have a line of their own.
        let head = format!(
            "{}: OK - 3 of 3 tables match, both at GTID 0-1-",
            addr(side)
        );
        assert!(run.stdout.lines().any(|l| l.starts_with(&head)), "{run}");
    }
    run.perf("time");
    let j = json(
        &check(&p)
            .replicas(&REPLICAS)
            .args(&["--output", "json"])
            .run(),
    );
    assert_eq!(j["state"], "OK");
    assert_eq!(j["drifted"], 0);
    let replicas = j["replicas"].as_array().expect("replicas");
    let named: Vec<&str> = replicas
        .iter()
        .map(|r| r["replica"].as_str().unwrap())
        .collect();
    let given: Vec<String> = REPLICAS.iter().map(|s| addr(*s)).collect();
    assert_eq!(named, given);
    for r in replicas {
        assert_eq!(
            (r["state"].as_str(), r["tables"].as_u64()),
            (Some("OK"), Some(3))
        );
    }
}

/// JSON and number of the set where replica2 and chained drift: two
/// differing tables in all, one on each.
fn drifted_set_outputs(p: &str) {
    let j = json(
        &check(p)
            .replicas(&REPLICAS)
            .args(&["--output", "json"])
            .run(),
    );
    assert_eq!(j["drifted"], 2);
    let drifted: Vec<u64> = j["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["drifted"].as_u64().unwrap())
        .collect();
    assert_eq!(drifted, [0, 1, 1]);
    assert_eq!(j["replicas"][1]["findings"][0]["table"], "t2");
    let number = check(p)
        .replicas(&REPLICAS)
        .args(&["--output", "number"])
        .run();
    assert_eq!(
        (number.state(), number.stdout.as_str()),
        (State::Critical, "2\n")
    );
}

#[test]
fn drift_is_named_for_its_replica_only() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = shared();
    let (p, db) = seeded("set_drift");
    on_only(
        Side::Replica2,
        &[&format!("INSERT INTO `{db}`.t2 (v) VALUES (6),(7)")],
    );
    on_only(
        Side::Chained,
        &[&format!("DELETE FROM `{db}`.t1 WHERE v = 1")],
    );
    let run = check(&p).replicas(&REPLICAS).run();
    run.assert_state(State::Critical);
    assert_eq!(
        compared(&run, Side::Replica2),
        format!("1 of 3 tables differ ({db}.t2 +2)")
    );
    assert_eq!(
        compared(&run, Side::Chained),
        format!("1 of 3 tables differ ({db}.t1 -1)")
    );
    assert_eq!(compared(&run, Side::Replica), "3 of 3 tables match");
    // The worst first, then in the order given.
    assert!(run
        .first_line()
        .starts_with(&format!("DRIFT CRITICAL - {}", addr(Side::Replica2))));
    let finding = format!(
        "{}: {db}.t2: primary 5, replica 7 (+2), verified at GTID 0-1-",
        addr(Side::Replica2)
    );
    assert!(run.stdout.lines().any(|l| l.starts_with(&finding)), "{run}");
    let findings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(": primary "))
        .collect();
    assert_eq!(findings.len(), 2, "{run}");
    assert_eq!(perf_of(&run, Side::Replica, "drifted"), "0");
    assert_eq!(perf_of(&run, Side::Replica2, "drifted"), "1");
    assert_eq!(perf_of(&run, Side::Chained, "max_row_diff"), "1");
    drifted_set_outputs(&p);
}

#[test]
fn a_stopped_replica_does_not_hide_drift_on_another() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let (p, db) = seeded("set_stopped");
    on_only(
        Side::Chained,
        &[&format!("INSERT INTO `{db}`.t3 (v) VALUES (9)")],
    );
    exec(Side::Replica2, &["STOP SLAVE"]);
    let run = check(&p).replicas(&REPLICAS).args(&["-t", "20"]).run();
    exec(Side::Replica2, &["START SLAVE"]);
    run.assert_state(State::Critical);
    assert_eq!(
        part_of(&run, Side::Replica2),
        format!(
            "replication is not running on replica {} (Slave_running=OFF): no comparison made",
            addr(Side::Replica2)
        )
    );
    assert_eq!(
        compared(&run, Side::Chained),
        format!("1 of 3 tables differ ({db}.t3 +1)")
    );
    assert!(
        part_of(&run, Side::Replica).ends_with("3 of 3 tables match"),
        "{run}"
    );
    // The stopped replica has no figures; the others have theirs.
    assert!(!run
        .first_line()
        .contains(&format!("{}.tables", label(Side::Replica2))));
    assert_eq!(perf_of(&run, Side::Chained, "drifted"), "1");
}

/// Replication on `side` applies every event `secs` late (0: as it comes).
fn delay(side: Side, secs: u32) {
    let change = format!("CHANGE MASTER TO MASTER_DELAY = {secs}");
    exec(side, &["STOP SLAVE", &change, "START SLAVE"]);
}

#[test]
fn a_replica_that_is_down_or_lagging_leaves_the_others_compared() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let (p, db) = seeded("set_lag");
    on_only(Side::Replica, &[&format!("DELETE FROM `{db}`.t2")]);
    // Replication runs, but applies every event 60 s late.
    delay(Side::Replica2, 60);
    exec(
        Side::Primary,
        &[&format!("INSERT INTO `{db}`.t1 (v) VALUES (4)")],
    );
    let nobody = "127.0.0.1:1";
    let (primary, r1, r2) = (primary_addr(), addr(Side::Replica), addr(Side::Replica2));
    let include = format!("^{p}");
    let args = [
        "--master",
        &primary,
        "--replica",
        &r1,
        "--replica",
        &r2,
        "--replica",
        nobody,
        "-u",
        "monitor",
        "--include-db",
        &include,
        "-t",
        "12",
    ];
    let run = plugin()
        .args(&args)
        .envs(&[("MYSQL_PWD", &monitor_password())])
        .run();
    delay(Side::Replica2, 0);
    run.assert_plugin_output();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains(&format!("{r1}: 1 of 3 tables differ ({db}.t2 -5)")),
        "{run}"
    );
    assert!(
        run.first_line()
            .contains(&format!("cannot connect to replica {nobody}: ")),
        "{run}"
    );
    let lag = format!("{r2}: UNKNOWN - replica {r2} did not reach the primary's position ");
    let line = run.stdout.lines().find(|l| l.starts_with(&lag));
    assert!(
        line.is_some_and(|l| l.ends_with("replica lagging, no comparison made")),
        "{run}"
    );
    // A quarter of -t for the lagging replica, not the whole budget.
    assert!(run.elapsed.as_secs_f64() < 8.0, "{run}");
}

#[test]
fn a_replica_of_another_primary_is_named() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = shared();
    let (p, _) = seeded("set_other");
    // 13310 replicates from nothing: it applied none of the primary's GTIDs.
    let run = check(&p).replicas(&[Side::Replica, Side::Other]).run();
    run.assert_state(State::Critical);
    assert!(
        part_of(&run, Side::Other).starts_with(&format!(
            "replica {} is not a replica of primary {}: ",
            addr(Side::Other),
            primary_addr()
        )),
        "{run}"
    );
    assert_eq!(compared(&run, Side::Replica), "3 of 3 tables match");
    // The chained replica and the others, against a primary of its own.
    let other = addr(Side::Other);
    let (r, c) = (addr(Side::Replica), addr(Side::Chained));
    let args = [
        "--master",
        &other,
        "--replica",
        &r,
        "--replica",
        &c,
        "-u",
        "monitor",
    ];
    let run = plugin()
        .args(&args)
        .envs(&[("MYSQL_PWD", &monitor_password())])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Critical);
    for side in [Side::Replica, Side::Chained] {
        assert!(
            part_of(&run, side).starts_with(&format!(
                "replica {} is not a replica of primary {other}: ",
                addr(side)
            )),
            "{run}"
        );
    }
}

#[test]
fn replicas_from_option_files_and_extra_opts() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = shared();
    let (p, _) = seeded("set_files");
    let list = format!("{}, {}", addr(Side::Replica2), addr(Side::Chained));
    let ini = Scratch::new(
        "set.ini",
        &format!(
            "[check_mysql_drift]\nmaster={}\nreplica={list}\nuser=monitor\ninclude-db=^{p}\n",
            primary_addr()
        ),
    );
    let extra = format!("--extra-opts=@{}", ini.path_str());
    let run = plugin()
        .args(&[&extra])
        .envs(&[("MYSQL_PWD", &monitor_password())])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Ok);
    for side in [Side::Replica2, Side::Chained] {
        assert_eq!(compared(&run, side), "3 of 3 tables match");
    }
    let cnf = Scratch::new(
        "set.cnf",
        &format!(
            "[client]\nuser=monitor\npassword={}\n[check_mysql_drift]\nreplica={list}\n",
            monitor_password()
        ),
    );
    let (primary, defaults) = (
        primary_addr(),
        format!("--defaults-file={}", cnf.path_str()),
    );
    let include = format!("^{p}");
    let run = plugin()
        .args(&["--master", &primary, &defaults, "--include-db", &include])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Ok);
    assert_eq!(
        run.first_line().matches("3 of 3 tables match").count(),
        2,
        "{run}"
    );
}

/// The same replica twice is a mistake in the arguments.
#[test]
fn the_same_replica_twice_is_a_bad_argument() {
    let primary = primary_addr();
    let r = addr(Side::Replica);
    let run = plugin()
        .args(&[
            "--master",
            &primary,
            "--replica",
            &r,
            "--replica",
            &r,
            "-u",
            "m",
        ])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Unknown);
    assert_eq!(
        run.first_line(),
        format!("DRIFT UNKNOWN - --replica: {r} is given twice")
    );
}

#[test]
fn a_frozen_replica_is_left_behind() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let (p, db) = seeded("set_frozen");
    on_only(
        Side::Chained,
        &[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")],
    );
    // The kernel still takes its TCP connections; the server never answers.
    signal(Side::Replica2, "-STOP");
    let run = check(&p).replicas(&REPLICAS).args(&["-t", "8"]).run();
    signal(Side::Replica2, "-CONT");
    run.assert_state(State::Critical);
    let frozen = format!(
        "cannot connect to replica {}: it did not answer within ",
        addr(Side::Replica2)
    );
    assert!(part_of(&run, Side::Replica2).starts_with(&frozen), "{run}");
    assert_eq!(
        compared(&run, Side::Chained),
        format!("1 of 3 tables differ ({db}.t1 +1)")
    );
    // A quarter of -t for the frozen replica, then the others' counts.
    assert!(run.elapsed.as_secs_f64() < 5.0, "{run}");
}

/// A frozen replica given less than a fair time to answer (a quarter of
/// `-t 3`: 0.75 s) is not called unreachable: that is the plugin's own
/// budget running out, UNKNOWN, and the others are compared all the same.
#[test]
fn a_replica_given_too_little_time_is_not_called_unreachable() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = exclusive();
    let (p, db) = seeded("set_too_little");
    on_only(
        Side::Chained,
        &[&format!("INSERT INTO `{db}`.t1 (v) VALUES (9)")],
    );
    signal(Side::Replica2, "-STOP");
    let run = check(&p).replicas(&REPLICAS).args(&["-t", "3"]).run();
    signal(Side::Replica2, "-CONT");
    run.assert_state(State::Critical);
    assert_eq!(
        part_of(&run, Side::Replica2),
        format!(
            "timeout after 3s while connecting to replica {}",
            addr(Side::Replica2)
        ),
        "{run}"
    );
    let line = format!(
        "{}: UNKNOWN - timeout after 3s while connecting",
        addr(Side::Replica2)
    );
    assert!(run.stdout.lines().any(|l| l.starts_with(&line)), "{run}");
    assert_eq!(
        compared(&run, Side::Chained),
        format!("1 of 3 tables differ ({db}.t1 +1)")
    );
}

#[test]
fn a_timeout_names_the_replica_that_hangs() {
    if !require(Feature::ThreeReplicas) {
        return;
    }
    let _g = shared();
    let (p, db) = seeded("set_timeout");
    own_monitor("monitor_st");
    let locker = write_lock(Side::Replica2, &format!("`{db}`.t2"));
    let run = check(&p)
        .user("monitor_st")
        .replicas(&REPLICAS)
        .args(&["-t", "2"])
        .run();
    locker.unlock();
    run.assert_state(State::Unknown);
    let hangs = format!(
        "timeout after 2s while primary: idle; replica {}: idle; replica {}: counting rows",
        addr(Side::Replica),
        addr(Side::Replica2)
    );
    assert!(
        run.first_line()
            .starts_with(&format!("DRIFT UNKNOWN - {hangs}")),
        "{run}"
    );
    assert!(run.elapsed < std::time::Duration::from_secs(3), "{run}");
    assert_no_queries_left("monitor_st", std::time::Duration::from_secs(2));
}
