//! The real primary + replica pair that `tests/servers.sh up` starts, and
//! the built plugin run against it with a scrubbed environment.
#![allow(dead_code)]

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use std::process::{Command, Stdio};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

pub fn primary_port() -> u16 {
    env_or("DRIFT_PRIMARY_PORT", "13306").parse().unwrap()
}
pub fn replica_port() -> u16 {
    env_or("DRIFT_REPLICA_PORT", "13307").parse().unwrap()
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
    format!("127.0.0.1:{}", primary_port())
}
pub fn replica_addr() -> String {
    format!("127.0.0.1:{}", replica_port())
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

/// What the plugin adds to the verdicts line on MySQL.
pub const BRACKETED: &str = "; MySQL: positions read around the snapshots, not inside them";

/// The verdicts line (the second) of a run, without the MySQL note, which
/// must be there on MySQL and only there.
pub fn verdicts_line(run: &Run) -> String {
    let line = run.stdout.lines().nth(1).unwrap_or_default();
    let plain = line.strip_suffix(BRACKETED);
    assert_eq!(plain.is_some(), flavor() == Flavor::MySql, "{run}");
    plain.unwrap_or(line).to_string()
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

/// Statements made on the primary, then replicated everywhere.
pub fn replicated(statements: &[String]) {
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    exec(Side::Primary, &refs);
    sync();
}

/// Statements on the replica alone: not written to its binary log, which
/// is how drift happens (a write on the replica, a skipped event).
pub fn on_replica_only(statements: &[&str]) {
    on_only(Side::Replica, statements);
}

/// Statements on one server alone, unlogged (drift on that server only).
pub fn on_only(side: Side, statements: &[&str]) {
    let mut all = vec!["SET SESSION sql_log_bin = 0"];
    all.extend_from_slice(statements);
    exec(side, &all);
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

/// A derived table of the numbers 1 to `n` in column `seq`.
pub fn numbers(n: u32) -> String {
    match flavor() {
        Flavor::MySql => format!(
            "(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < {n}) \
             SELECT seq FROM s) AS numbers"
        ),
        _ => format!("seq_1_to_{n}"),
    }
}

/// A fresh set of databases for one test, named `it_<name>...`: whatever an
/// earlier run left is dropped on both sides (unlogged, so that the drop
/// itself cannot fail on the replica).
pub fn fresh(name: &str) -> String {
    let prefix = format!("it_{name}");
    for &side in [Side::Primary].iter().chain(replicas()) {
        let mut c = admin(side);
        let dbs: Vec<String> = c
            .exec(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
                (format!("{prefix}%"),),
            )
            .unwrap();
        c.query_drop("SET SESSION sql_log_bin = 0").unwrap();
        for db in dbs {
            c.query_drop(format!("DROP DATABASE `{}`", db.replace('`', "``")))
                .unwrap();
        }
    }
    prefix
}

/// Three tables of a few rows in `db`, made on the primary and replicated.
pub fn seed(db: &str) {
    exec(
        Side::Primary,
        &[
            &format!("CREATE DATABASE `{db}`"),
            &format!(
                "CREATE TABLE `{db}`.t1 (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB"
            ),
            &format!(
                "CREATE TABLE `{db}`.t2 (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB"
            ),
            &format!(
                "CREATE TABLE `{db}`.t3 (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB"
            ),
            &format!("INSERT INTO `{db}`.t1 (v) VALUES (1),(2),(3)"),
            &format!("INSERT INTO `{db}`.t2 (v) VALUES (1),(2),(3),(4),(5)"),
        ],
    );
    sync();
}

/// A fresh prefix for one test and its first database, seeded.
pub fn seeded(name: &str) -> (String, String) {
    let p = fresh(name);
    let db = format!("{p}_a");
    seed(&db);
    (p, db)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    /// What every answer must be: a status line on stdout, nothing on
    /// stderr, an exit code from 0 to 3 that matches the state word.
    pub fn assert_plugin_output(&self) -> &Self {
        assert!(
            self.stderr.is_empty(),
            "stderr must stay empty: {:?}\nstdout: {}",
            self.stderr,
            self.stdout
        );
        let word = match self.code {
            0 => "OK",
            1 => "WARNING",
            2 => "CRITICAL",
            3 => "UNKNOWN",
            c => panic!("exit code {c} is not a plugin state\n{}", self.stdout),
        };
        assert!(
            self.first_line().starts_with(&format!("DRIFT {word} - ")),
            "status line {:?} does not match exit code {}",
            self.first_line(),
            self.code
        );
        assert!(self.stdout.len() < 8192);
        for line in self.stdout.lines().skip(1) {
            assert!(!line.contains('|'), "a | in long output: {line}");
        }
        self
    }

    pub fn perf(&self, label: &str) -> String {
        let (_, perf) = self.first_line().split_once(" | ").expect("perfdata");
        perf.split(' ')
            .find_map(|p| p.strip_prefix(&format!("{label}=")))
            .unwrap_or_else(|| panic!("no perfdata {label} in {}", self.first_line()))
            .split(';')
            .next()
            .unwrap()
            .trim_end_matches('s')
            .to_string()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:?}\n{}{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs the plugin with exactly `args` and `env`, nothing inherited.
pub fn plugin_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_check_mysql_drift"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the plugin");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

pub fn plugin(args: &[&str]) -> Run {
    plugin_env(args, &[])
}

/// The plugin against the pair as `monitor`, limited to databases that
/// start with `prefix`, password through MYSQL_PWD.
pub fn check(prefix: &str, extra: &[&str]) -> Run {
    check_with(
        "monitor",
        &monitor_password(),
        prefix,
        &[Side::Replica],
        extra,
    )
}

/// The same against the primary and the `replicas` given, in that order.
pub fn check_replicas(prefix: &str, replicas: &[Side], extra: &[&str]) -> Run {
    check_with("monitor", &monitor_password(), prefix, replicas, extra)
}

fn check_with(user: &str, password: &str, prefix: &str, replicas: &[Side], extra: &[&str]) -> Run {
    let include = format!("^{}", regex_escape(prefix));
    let p = primary_addr();
    let replicas: Vec<String> = replicas.iter().map(|r| addr(*r)).collect();
    let mut args = vec!["--master", &p];
    for r in &replicas {
        args.extend(["--replica", r.as_str()]);
    }
    args.extend(["-u", user, "--include-db", &include]);
    args.extend_from_slice(extra);
    let run = plugin_env(&args, &[("MYSQL_PWD", password)]);
    // The status line is the plugin format's; JSON and number are checked
    // by the tests that ask for them.
    if !extra.contains(&"--output") {
        run.assert_plugin_output();
    }
    run
}

pub fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

/// A bounded write load on the primary: `sessions` connections running
/// INSERT, UPDATE and DELETE (autocommit) over `tables` at about `per_sec`
/// statements a second in all, until stopped or `max` has passed.
pub struct Load {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
}

impl Load {
    pub fn start(tables: &[String], sessions: usize, per_sec: u32, max: Duration) -> Load {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let pause = Duration::from_secs_f64(sessions as f64 / per_sec as f64);
        let threads = (0..sessions)
            .map(|i| {
                let (stop, tables) = (stop.clone(), tables.to_vec());
                std::thread::spawn(move || {
                    let mut c = admin(Side::Primary);
                    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ ((i as u64 + 1) * 0x2545_F491_4F6C_DD1D);
                    let mut next = || {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        rng
                    };
                    let (started, mut done) = (Instant::now(), 0u64);
                    while !stop.load(Ordering::Relaxed) && started.elapsed() < max {
                        let t = &tables[(next() % tables.len() as u64) as usize];
                        // Ids of the load stay positive; drift rows use negative ones.
                        let id = 1 + next() % 400;
                        let sql = match next() % 3 {
                            0 => format!("INSERT INTO {t} (id, v) VALUES ({id}, 1) ON DUPLICATE KEY UPDATE v = v + 1"),
                            1 => format!("UPDATE {t} SET v = v + 1 WHERE id = {id}"),
                            _ => format!("DELETE FROM {t} WHERE id = {id}"),
                        };
                        c.query_drop(&sql).unwrap_or_else(|e| panic!("load: {sql}: {e}"));
                        done += 1;
                        std::thread::sleep(pause);
                    }
                    done
                })
            })
            .collect();
        Load { stop, threads }
    }

    /// Stops the load; returns the statements it ran.
    pub fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.threads
            .into_iter()
            .map(|t| t.join().expect("load thread"))
            .sum()
    }
}

/// Starts a stopped server of the pair again (idempotent) and waits until
/// replication runs.
pub fn servers_up() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
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

/// An account of the mission's grant for one test, so that its sessions
/// can be told apart from other tests'.
pub fn own_monitor(user: &str) {
    account(user, "", &["SELECT, SHOW DATABASES ON *.*"]);
}

/// An account for one test, password `pw-<user>`, made on the primary (it
/// replicates); `require` is e.g. `REQUIRE SSL`.
pub fn account(user: &str, require: &str, grants: &[&str]) {
    let mut statements = vec![
        format!("CREATE USER IF NOT EXISTS '{user}'@'%'"),
        format!("ALTER USER '{user}'@'%' IDENTIFIED BY 'pw-{user}' {require}"),
    ];
    statements.extend(grants.iter().map(|g| format!("GRANT {g} TO '{user}'@'%'")));
    replicated(&statements);
}

/// As an account made by `account` or `own_monitor`.
pub fn check_as(user: &str, prefix: &str, extra: &[&str]) -> Run {
    check_replicas_as(user, prefix, &[Side::Replica], extra)
}

/// The same against the `replicas` given.
pub fn check_replicas_as(user: &str, prefix: &str, replicas: &[Side], extra: &[&str]) -> Run {
    check_with(user, &format!("pw-{user}"), prefix, replicas, extra)
}

/// The busy-table behaviours of production, each a bounded writer on the
/// primary with a connection of its own (autocommit):
/// - `Hot`: INSERT, DELETE of the newest row and UPDATE of the newest row,
///   in turn, at `per_sec` statements a second;
/// - `Queue`: a job inserted, then deleted 5-25 ms later, without pause;
/// - `Mover`: a row moved from one table to the other in two separate
///   transactions (INSERT ... SELECT, then DELETE), and back, `per_sec`
///   moves a second.
///
/// Ids stay positive (auto-increment, or 1..=200 for the mover): drift made
/// on the replica uses negative ones, which the traffic never touches.
pub enum Traffic {
    Hot { table: String, per_sec: u32 },
    Queue { table: String },
    Mover { a: String, b: String, per_sec: u32 },
}

/// Writers running until stopped or `max` has passed.
pub struct Writers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
    started: Instant,
}

/// Lock conflicts between the writers themselves are retried next time.
fn write(c: &mut Conn, sql: &str) -> u64 {
    match c.query_drop(sql) {
        Ok(()) => 1,
        Err(mysql::Error::MySqlError(e)) if matches!(e.code, 1205 | 1213) => 0,
        Err(e) => panic!("traffic: {sql}: {e}"),
    }
}

impl Traffic {
    /// One step of this traffic: the statements it ran.
    fn step(&self, c: &mut Conn, i: u64) -> u64 {
        match self {
            Traffic::Hot { table, .. } => write(
                c,
                &match i % 3 {
                    0 => format!("INSERT INTO {table} (v) VALUES ({i})"),
                    1 => format!("DELETE FROM {table} WHERE id > 0 ORDER BY id DESC LIMIT 1"),
                    _ => format!(
                        "UPDATE {table} SET v = v + 1 WHERE id > 0 ORDER BY id DESC LIMIT 1"
                    ),
                },
            ),
            Traffic::Queue { table } => {
                let n = write(c, &format!("INSERT INTO {table} (v) VALUES ({i})"));
                let id = c.last_insert_id();
                std::thread::sleep(Duration::from_millis(5 + i * 7 % 21));
                n + write(c, &format!("DELETE FROM {table} WHERE id = {id}"))
            }
            Traffic::Mover { a, b, .. } => {
                let (from, to) = if i.is_multiple_of(2) { (a, b) } else { (b, a) };
                let id = 1 + (i / 2 * 37) % 200;
                write(
                    c,
                    &format!("INSERT IGNORE INTO {to} SELECT * FROM {from} WHERE id = {id}"),
                ) + write(c, &format!("DELETE FROM {from} WHERE id = {id}"))
            }
        }
    }

    fn pause(&self) -> Duration {
        match self {
            Traffic::Hot { per_sec, .. } | Traffic::Mover { per_sec, .. } => {
                Duration::from_secs_f64(1.0 / *per_sec as f64)
            }
            Traffic::Queue { .. } => Duration::ZERO,
        }
    }
}

impl Writers {
    pub fn start(traffic: Vec<Traffic>, max: Duration) -> Writers {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let threads = traffic
            .into_iter()
            .map(|t| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut c = admin(Side::Primary);
                    let (mut done, pause) = (0, t.pause());
                    let mut next = Instant::now();
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) || started.elapsed() > max {
                            break;
                        }
                        done += t.step(&mut c, i);
                        // Paced on a schedule, so that round trips do not
                        // slow the rate down.
                        next += pause;
                        std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    }
                    done
                })
            })
            .collect();
        Writers {
            stop,
            threads,
            started,
        }
    }

    /// Stops the writers; the statements each ran, and the seconds they ran.
    pub fn stop(self) -> (Vec<u64>, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64();
        let counts = self
            .threads
            .into_iter()
            .map(|t| t.join().expect("traffic thread"))
            .collect();
        (counts, secs)
    }
}

/// A file of a test's own in a folder of its own under the temp folder,
/// removed with the folder when dropped (also when the test fails).
pub struct Scratch {
    dir: std::path::PathBuf,
    pub path: std::path::PathBuf,
}

impl Scratch {
    pub fn new(name: &str, contents: &str) -> Scratch {
        // Tests run at the same time: a folder of its own for each file.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cmd-it-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        Scratch { dir, path }
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
