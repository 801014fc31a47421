//! The faults a run can meet: replication stopped, broken or lagging, the replica killed, the primary hanging.

use crate::fixtures::{delay_replication, loaded, Restore};
use std::time::Duration;
use support::*;

/// The privilege to read the replica's status, as each flavor names it.
fn monitor_privilege() -> &'static str {
    match flavor() {
        Flavor::MySql => "REPLICATION CLIENT",
        Flavor::MariaDb11 => "REPLICA MONITOR",
        Flavor::MariaDb10 => "SLAVE MONITOR",
    }
}

/// `user`, an account of its own, may also read the replica's status
/// (granted on the replica alone) until `revoke_status` is called.
fn grant_status(user: &str) {
    own_monitor(user);
    let grant = format!("GRANT {} ON *.* TO '{user}'@'%'", monitor_privilege());
    on_only(Side::Replica, &[&grant]);
}

fn revoke_status(user: &str) {
    let revoke = format!("REVOKE {} ON *.* FROM '{user}'@'%'", monitor_privilege());
    on_only(Side::Replica, &[&revoke]);
}

#[test]
fn replication_stopped_is_critical() {
    let _g = exclusive();
    let (p, _) = loaded("stopped");
    grant_status("monitor_sm");
    let (run, detailed) = {
        let _restore = Restore;
        exec(Side::Replica, &["STOP REPLICA SQL_THREAD"]);
        // With the privilege the line also says which thread stopped.
        (check(&p).run(), check(&p).user("monitor_sm").run())
    };
    revoke_status("monitor_sm");
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains("replication is not running on replica 127.0.0.1:"),
        "{run}"
    );
    assert_eq!(run.stdout.lines().count(), 1);
    detailed.assert_state(State::Critical);
    assert!(
        detailed.first_line().contains("SQL thread No"),
        "{detailed}"
    );
}

/// The replica's replication account password, as the server scripts set
/// it (`repl-pw`) or not; replication restarted with it.
fn source_password(password: &str) {
    let change = match flavor() {
        Flavor::MySql => format!("CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD = '{password}'"),
        _ => format!("CHANGE MASTER TO MASTER_PASSWORD = '{password}'"),
    };
    exec(Side::Replica, &["STOP REPLICA", &change, "START REPLICA"]);
}

/// Puts the replication password back when dropped.
struct RestorePassword;

impl Drop for RestorePassword {
    fn drop(&mut self) {
        source_password("repl-pw");
        wait_replication_running();
    }
}

/// A replica whose receiver cannot log in to the primary (a broken
/// connection, not a stopped thread) is CRITICAL naming the thread, and
/// with the privilege to read the replica's status, the error.
#[test]
fn broken_replication_connection_is_critical() {
    let _g = exclusive();
    let (p, _) = seeded("broken");
    grant_status("monitor_bc");
    let run = {
        let _restore = RestorePassword;
        source_password("wrong");
        // The receiver's first attempt fails within a moment.
        let started = std::time::Instant::now();
        loop {
            let run = check(&p).user("monitor_bc").run();
            if run.stdout.contains("Access denied") || started.elapsed() > Duration::from_secs(10) {
                break run;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    revoke_status("monitor_bc");
    run.assert_state(State::Critical);
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
    let line = run.first_line();
    assert!(
        line.contains(&format!(
            "replication is not running on replica {}",
            replica_addr()
        )),
        "{run}"
    );
    let thread = match flavor() {
        Flavor::MySql => "receiver CONNECTING",
        _ => "IO thread Connecting",
    };
    assert!(line.contains(thread), "{run}");
    assert!(
        line.contains("Access denied for user 'repl'@'127.0.0.1'"),
        "{run}"
    );
}

#[test]
fn lagging_replica_is_unknown_within_the_timeout() {
    let _g = exclusive();
    let (p, db) = loaded("lag");
    let run = {
        let _restore = Restore;
        delay_replication(8);
        exec(
            Side::Primary,
            &[&format!("INSERT INTO `{db}`.quiet VALUES (-5, 0)")],
        );
        check(&p).args(&["-t", "2"]).run()
    };
    sync();
    run.assert_state(State::Unknown);
    assert!(
        run.first_line().contains(&format!(
            "did not reach the primary's position {}",
            gtid_prefix()
        )),
        "{run}"
    );
    assert!(run.first_line().contains("replica lagging"), "{run}");
    assert!(run.elapsed < Duration::from_secs(3), "{run}");
}

#[test]
fn replica_killed_mid_run() {
    let _g = exclusive();
    let (p, db) = loaded("killed");
    own_monitor("monitor_k");
    // The run waits on this lock, counting on the replica, when it dies.
    let locker = write_lock(Side::Replica, &format!("`{db}`.inno1"));
    let prefix = p.clone();
    let run =
        std::thread::spawn(move || check(&prefix).user("monitor_k").args(&["-t", "10"]).run());
    std::thread::sleep(Duration::from_millis(1000));
    signal(Side::Replica, "-KILL");
    let run = run.join().unwrap();
    drop(locker);
    servers_up();
    wait_replication_running();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains("lost the connection to replica 127.0.0.1:"),
        "{run}"
    );
    assert!(run.elapsed < Duration::from_secs(3), "{run}");
    assert_no_queries_left("monitor_k", Duration::from_secs(2));
}

#[test]
fn primary_hanging_mid_run() {
    let _g = exclusive();
    let (p, db) = loaded("hang");
    own_monitor("monitor_h");
    let locker = write_lock(Side::Replica, &format!("`{db}`.inno1"));
    let prefix = p.clone();
    let run = std::thread::spawn(move || check(&prefix).user("monitor_h").args(&["-t", "3"]).run());
    std::thread::sleep(Duration::from_millis(800));
    // The primary stops answering (as behind a dead link) after its count;
    // the replica's count then finishes and the lane needs the primary
    // again to close its snapshot.
    signal(Side::Primary, "-STOP");
    locker.unlock();
    let run = run.join().unwrap();
    signal(Side::Primary, "-CONT");
    run.assert_state(State::Unknown);
    assert!(
        run.first_line()
            .contains("timeout after 3s while primary: closing its snapshot; replica: idle"),
        "{run}"
    );
    assert!(run.elapsed < Duration::from_secs(4), "{run}");
    assert_no_queries_left("monitor_h", Duration::from_secs(5));
}
