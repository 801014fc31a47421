//! The test servers: the five of `tests/servers.sh` (MariaDB 10.11) or a
//! pair of `tests/flavors.sh`, how to reach them as admin, and how to stop
//! and start them.

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub(crate) fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

pub fn monitor_password() -> String {
    env_or("DRIFT_MONITOR_PASSWORD", "monitor-pw")
}

pub fn port(side: Side) -> u16 {
    let (var, default) = match side {
        Side::Primary => ("DRIFT_PRIMARY_PORT", "13306"),
        Side::Replica => ("DRIFT_REPLICA_PORT", "13307"),
        Side::Replica2 => ("DRIFT_REPLICA2_PORT", "13308"),
        Side::Chained => ("DRIFT_CHAINED_PORT", "13309"),
        Side::Other => ("DRIFT_OTHER_PORT", "13310"),
    };
    env_or(var, default).parse().unwrap()
}
pub fn addr(side: Side) -> String {
    format!("127.0.0.1:{}", port(side))
}
pub fn primary_addr() -> String {
    addr(Side::Primary)
}
pub fn replica_addr() -> String {
    addr(Side::Replica)
}

/// The servers of `tests/servers.sh`: the pair, a second replica of the
/// primary, a replica of the replica, and a primary of its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Side {
    Primary,
    Replica,
    Replica2,
    Chained,
    Other,
}

/// Every replica of the primary (the chained one through `Replica`).
pub const REPLICAS: [Side; 3] = [Side::Replica, Side::Replica2, Side::Chained];

/// The servers the tests run against: MariaDB 10.11 (`tests/servers.sh`,
/// five servers) unless `DRIFT_FLAVOR` names a pair of `tests/flavors.sh`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Flavor {
    MariaDb10,
    MariaDb11,
    MySql,
}

pub fn flavor() -> Flavor {
    match env_or("DRIFT_FLAVOR", "mariadb10").as_str() {
        "mariadb10" => Flavor::MariaDb10,
        "mariadb11" => Flavor::MariaDb11,
        "mysql" => Flavor::MySql,
        other => panic!("DRIFT_FLAVOR={other}: expected mariadb10, mariadb11 or mysql"),
    }
}

/// How the primary's GTIDs begin: `0-1-` on MariaDB (domain 0, server 1),
/// `<server_uuid>:` on MySQL.
pub fn gtid_prefix() -> String {
    match flavor() {
        Flavor::MySql => format!(
            "{}:",
            query_one::<String>(Side::Primary, "SELECT @@server_uuid")
        ),
        _ => "0-1-".to_string(),
    }
}

/// The replicas there are: the three of `tests/servers.sh`, or the one of
/// a flavor's pair.
pub fn replicas() -> &'static [Side] {
    match flavor() {
        Flavor::MariaDb10 => &REPLICAS,
        _ => &[Side::Replica],
    }
}

impl Side {
    /// Its folder under the test directory.
    fn name(self) -> &'static str {
        match self {
            Side::Primary => "primary",
            Side::Replica => "replica",
            Side::Replica2 => "replica2",
            Side::Chained => "chained",
            Side::Other => "other",
        }
    }
}

/// Tests that stop replication or servers take this for writing; the
/// others for reading, so that they never see a disrupted pair.
static PAIR: RwLock<()> = RwLock::new(());

pub fn shared() -> RwLockReadGuard<'static, ()> {
    PAIR.read().unwrap_or_else(|e| e.into_inner())
}

pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PAIR.write().unwrap_or_else(|e| e.into_inner())
}

pub fn admin(side: Side) -> Conn {
    let port = port(side);
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .user(Some("admin"))
        .pass(Some(env_or("DRIFT_ADMIN_PASSWORD", "admin-pw")))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(5)));
    Conn::new(opts).unwrap_or_else(|e| {
        panic!(
            "the test servers are not reachable on 127.0.0.1:{port} ({e}): \
             start them with tests/servers.sh up, or run the whole suite with tests/run.sh"
        )
    })
}

pub fn exec(side: Side, statements: &[&str]) {
    let mut c = admin(side);
    for s in statements {
        c.query_drop(s)
            .unwrap_or_else(|e| panic!("{side:?}: {s}: {e}"));
    }
}

/// A write lock on `table` (`db`.`t`, quoted) of `side`, held by an admin
/// connection of its own until `unlock` (or until the connection goes):
/// the plugin's count of that table waits on it.
pub struct WriteLock(Conn);

pub fn write_lock(side: Side, table: &str) -> WriteLock {
    let mut c = admin(side);
    c.query_drop(format!("LOCK TABLES {table} WRITE"))
        .unwrap_or_else(|e| panic!("{side:?}: LOCK TABLES {table}: {e}"));
    WriteLock(c)
}

impl WriteLock {
    pub fn unlock(mut self) {
        self.0.query_drop("UNLOCK TABLES").unwrap();
    }
}

pub fn query_one<T: mysql::prelude::FromRow>(side: Side, sql: &str) -> T {
    admin(side)
        .query_first::<T, _>(sql)
        .unwrap_or_else(|e| panic!("{side:?}: {sql}: {e}"))
        .unwrap_or_else(|| panic!("{side:?}: {sql}: no row"))
}

/// Waits until every replica has applied everything the primary has logged.
pub fn sync() {
    let (pos, wait) = match flavor() {
        Flavor::MySql => (
            "SELECT @@GLOBAL.gtid_executed",
            "WAIT_FOR_EXECUTED_GTID_SET",
        ),
        _ => ("SELECT @@GLOBAL.gtid_binlog_pos", "MASTER_GTID_WAIT"),
    };
    let pos: String = query_one(Side::Primary, pos);
    for &side in replicas() {
        let r: i64 = query_one(side, &format!("SELECT {wait}('{pos}', 60)"));
        assert_eq!(r, 0, "{side:?} did not reach {pos} within 60 s");
    }
}

/// Starts a stopped server of the pair again (idempotent) and waits until
/// replication runs.
pub fn servers_up() {
    // This crate lives in tests/support.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut up = Command::new("bash");
    match flavor() {
        Flavor::MariaDb10 => up.arg(format!("{dir}/servers.sh")).arg("up"),
        _ => up
            .arg(format!("{dir}/flavors.sh"))
            .arg("up")
            .arg(env_or("DRIFT_FLAVOR", "")),
    };
    let out = up.output().expect("run the server script");
    assert!(
        out.status.success(),
        "servers.sh up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stops `side` (SIGTERM, waiting until its process is gone) and starts it
/// again with the server script; replication running again.
pub fn restart(side: Side) {
    let pid = server_pid(side);
    signal(side, "-TERM");
    let started = Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{side:?} did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    servers_up();
    wait_replication_running();
}

/// Waits (up to 30 s) until replication runs on the replica.
pub fn wait_replication_running() {
    let sql = match flavor() {
        Flavor::MySql => {
            "SELECT IF(COUNT(*) = 1, 'ON', 'OFF') FROM performance_schema.replication_connection_status c \
             JOIN performance_schema.replication_applier_status a USING (CHANNEL_NAME) \
             WHERE c.SERVICE_STATE = 'ON' AND a.SERVICE_STATE = 'ON'"
        }
        _ => "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'Slave_running'",
    };
    let started = Instant::now();
    while query_one::<String>(Side::Replica, sql) != "ON" {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "replication did not restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn server_pid(side: Side) -> i32 {
    let dir = env_or("DRIFT_TEST_DIR", "/tmp/check_mysql_drift-servers");
    std::fs::read_to_string(format!("{dir}/{}/mysqld.pid", side.name()))
        .expect("pid file")
        .trim()
        .parse()
        .unwrap()
}

pub fn signal(side: Side, sig: &str) {
    let pid = server_pid(side).to_string();
    let ok = Command::new("kill")
        .args([sig, &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// Queries of `user` still on the primary or a replica, waiting up to
/// `within` for them to go.
pub fn assert_no_queries_left(user: &str, within: Duration) {
    let sql = format!("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{user}'");
    let started = Instant::now();
    loop {
        let left: Vec<(Side, i64)> = std::iter::once(Side::Primary)
            .chain(replicas().iter().copied())
            .map(|side| (side, query_one(side, &sql)))
            .filter(|(_, n)| *n > 0)
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < within,
            "sessions of {user} still on: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The age in whole seconds of the oldest read-only transaction on `side`
/// (the plugin's: its sessions are read-only, and a test that asks has
/// the servers to itself).
pub fn oldest_read_only(side: Side) -> i64 {
    query_one::<Option<i64>>(
        side,
        "SELECT MAX(TIMESTAMPDIFF(SECOND, trx_started, NOW())) FROM information_schema.INNODB_TRX \
         WHERE trx_is_read_only = 1",
    )
    .unwrap_or(0)
}

/// Runs `work` while polling both servers every `every` for the oldest
/// read-only transaction; what `work` gave, and the oldest age seen.
pub fn polling_snapshots<T: Send>(every: Duration, work: impl FnOnce() -> T + Send) -> (T, i64) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let poll = s.spawn(|| {
            let mut oldest = 0;
            while !stop.load(Ordering::Relaxed) {
                for side in [Side::Primary, Side::Replica] {
                    oldest = oldest.max(oldest_read_only(side));
                }
                std::thread::sleep(every);
            }
            oldest
        });
        let done = work();
        stop.store(true, Ordering::Relaxed);
        (done, poll.join().unwrap())
    })
}
