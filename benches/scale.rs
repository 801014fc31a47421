//! Scale benchmark (not a test): seeds a pair with many tables, then times,
//! in one run, the seed's sequential logic, the "floor" (both servers at
//! once, one information_schema listing and one UNION ALL statement that
//! counts every table) and check_mysql_drift itself, and reads the plugin's
//! peak RSS from /usr/bin/time -v.
//!
//!   tests/bench.sh [SHAPE...]      SHAPE: 1k, 10k, 11k (default), 50k
//!   tests/bench.sh replicas [SHAPE] several replicas (default 11k)
//!   tests/bench.sh checksum         --checksum against pt-table-checksum
//!
//! `replicas`: the three replicas of the test set (one chained through
//! another) checked by one run, against a single-replica run and against
//! three separate runs, with the rows the primary read in each (from its
//! `Handler_read_*` counters: nothing else reads it meanwhile) and the CPU
//! seconds the four servers used (from `/proc/PID/stat`).
//!
//! With `DRIFT_BENCH_BASELINE=/path/to/check_mysql_drift` (another build,
//! e.g. of an earlier commit) that binary is timed too, interleaved with
//! this one, and the ratio plugin / baseline is printed.
//!
//! A shape of T tables holds T/11 tables of 10,000 rows and the rest of 10
//! rows (11k: 1,000 x 10,000 + 10,000 x 10 = 10.1 M rows per server). Both
//! servers are seeded directly and identically (unlogged, in parallel):
//! replication has nothing to apply, and both stay at the same position.

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use std::process::Command;
use std::time::{Duration, Instant};

const TABLES_PER_DB: usize = 500;
const REPEAT: usize = 3;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn conn(port: u16, user: &str, password: &str) -> Conn {
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .prefer_socket(false);
    Conn::new(opts)
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e} (tests/servers.sh up)"))
}

struct Pair {
    primary: u16,
    replica: u16,
    /// The other replicas of the test set: a second one and a chained one.
    more: [u16; 2],
    admin_pw: String,
    monitor_pw: String,
}

impl Pair {
    fn admin(&self, port: u16) -> Conn {
        conn(port, "admin", &self.admin_pw)
    }
    fn monitor(&self, port: u16) -> Conn {
        conn(port, "monitor", &self.monitor_pw)
    }
}

struct Shape {
    name: String,
    big: usize,
    small: usize,
}

impl Shape {
    fn parse(s: &str) -> Shape {
        let total: usize = match s {
            "1k" => 1_000,
            "10k" => 10_000,
            "11k" => 11_000,
            "50k" => 50_000,
            other => other
                .parse()
                .unwrap_or_else(|_| panic!("unknown shape {other}")),
        };
        let big = total / 11;
        Shape {
            name: format!("bench{s}"),
            big,
            small: total - big,
        }
    }
    fn total(&self) -> usize {
        self.big + self.small
    }
    fn rows(&self) -> u64 {
        self.big as u64 * 10_000 + self.small as u64 * 10
    }
    /// (database, table, rows) of every table.
    fn tables(&self) -> Vec<(String, String, u32)> {
        (0..self.total())
            .map(|i| {
                let rows = if i < self.big { 10_000 } else { 10 };
                (
                    format!("{}_{:03}", self.name, i / TABLES_PER_DB),
                    format!("t{i:05}"),
                    rows,
                )
            })
            .collect()
    }
}

/// Seeds one server (unlogged) unless a marker says it holds the shape.
fn seed_server(pair: &Pair, port: u16, shape: &Shape) {
    let mut c = pair.admin(port);
    let marker = format!("{}_meta", shape.name);
    let done: Option<u64> = c
        .query_first(format!("SELECT n FROM `{marker}`.done"))
        .unwrap_or(None);
    if done == Some(shape.total() as u64) {
        return;
    }
    c.query_drop("SET SESSION sql_log_bin = 0").unwrap();
    let version: String = c.query_first("SELECT VERSION()").unwrap().unwrap();
    let mariadb = version.contains("MariaDB");
    if !mariadb {
        c.query_drop("SET SESSION cte_max_recursion_depth = 100000")
            .unwrap();
    }
    let dbs: Vec<String> = c
        .exec(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
            (format!("{}\\_%", shape.name),),
        )
        .unwrap();
    for db in dbs {
        c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
    }
    let tables = shape.tables();
    let mut last_db = String::new();
    let started = Instant::now();
    for (i, (db, t, rows)) in tables.iter().enumerate() {
        if *db != last_db {
            c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
            c.query_drop(format!("USE `{db}`")).unwrap();
            last_db = db.clone();
        }
        c.query_drop(format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"
        ))
        .unwrap();
        c.query_drop(format!(
            "INSERT INTO {t} SELECT seq, seq FROM {}",
            numbers(mariadb, *rows)
        ))
        .unwrap();
        if i % 2000 == 1999 {
            eprintln!(
                "  port {port}: {} of {} tables seeded ({:.0}s)",
                i + 1,
                tables.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    for stmt in [
        format!("CREATE DATABASE IF NOT EXISTS `{marker}`"),
        format!("DROP TABLE IF EXISTS `{marker}`.done"),
        format!("CREATE TABLE `{marker}`.done (n BIGINT)"),
        format!("INSERT INTO `{marker}`.done VALUES ({})", shape.total()),
    ] {
        c.query_drop(stmt).unwrap();
    }
}

/// A derived table of the numbers 1 to `n` in column `seq`: MariaDB's
/// sequence engine, or a recursive CTE on MySQL.
fn numbers(mariadb: bool, n: u32) -> String {
    if mariadb {
        return format!("seq_1_to_{n}");
    }
    format!(
        "(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < {n}) \
         SELECT seq FROM s) AS numbers"
    )
}

fn seed(pair: &Pair, ports: &[u16], shape: &Shape) {
    let started = Instant::now();
    std::thread::scope(|s| {
        for port in ports {
            s.spawn(|| seed_server(pair, *port, shape));
        }
    });
    eprintln!(
        "{}: seeded in {:.0}s",
        shape.name,
        started.elapsed().as_secs_f64()
    );
}

/// The seed's logic: primary then replica, SHOW DATABASES, SHOW TABLES per
/// database, one COUNT(*) round trip per table.
fn sequential(pair: &Pair, shape: &Shape) -> u64 {
    let mut total = 0;
    for port in [pair.primary, pair.replica] {
        let mut c = pair.monitor(port);
        let dbs: Vec<String> = c.query("SHOW DATABASES").unwrap();
        for db in dbs
            .iter()
            .filter(|d| d.starts_with(&format!("{}_", shape.name)) && !d.ends_with("_meta"))
        {
            let tables: Vec<String> = c.query(format!("SHOW TABLES FROM `{db}`")).unwrap();
            for t in tables {
                let n: Option<u64> = c
                    .query_first(format!("SELECT COUNT(*) FROM `{db}`.`{t}`"))
                    .unwrap();
                total += n.unwrap();
            }
        }
    }
    total
}

/// The floor: both servers at once, each one listing and one statement.
fn floor(pair: &Pair, shape: &Shape) -> u64 {
    let one = |port: u16| -> u64 {
        let mut c = pair.monitor(port);
        let tables: Vec<(String, String)> = c
            .exec(
                "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA LIKE ? AND TABLE_SCHEMA NOT LIKE '%\\_meta' AND TABLE_TYPE = 'BASE TABLE'",
                (format!("{}\\_%", shape.name),),
            )
            .unwrap();
        let sql: Vec<String> = tables
            .iter()
            .map(|(d, t)| format!("SELECT COUNT(*) FROM `{d}`.`{t}`"))
            .collect();
        let counts: Vec<u64> = c.query(sql.join(" UNION ALL ")).unwrap();
        counts.iter().sum()
    };
    std::thread::scope(|s| {
        let a = s.spawn(|| one(pair.primary));
        let b = s.spawn(|| one(pair.replica));
        a.join().unwrap() + b.join().unwrap()
    })
}

/// This build of the plugin.
const PLUGIN: &str = env!("CARGO_BIN_EXE_check_mysql_drift");

/// A plugin binary under /usr/bin/time -v: (status line, peak RSS in KiB).
fn plugin(binary: &str, pair: &Pair, shape: &Shape, connections: &[&str]) -> (String, u64) {
    plugin_on(binary, pair, &[pair.replica], shape, connections)
}

/// The same against the `replicas` given.
fn plugin_on(
    binary: &str,
    pair: &Pair,
    replicas: &[u16],
    shape: &Shape,
    connections: &[&str],
) -> (String, u64) {
    let only = format!("^{}_[0-9]+$", shape.name);
    let args = [connections, &["--include-db", &only]].concat();
    plugin_with(binary, pair, replicas, &args)
}

/// A plugin binary against the primary and `replicas` with `args`, under
/// /usr/bin/time -v: (status line, peak RSS in KiB). It must answer OK.
fn plugin_with(binary: &str, pair: &Pair, replicas: &[u16], args: &[&str]) -> (String, u64) {
    let replicas: Vec<String> = replicas.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(binary)
        .args(["--master", &format!("127.0.0.1:{}", pair.primary)])
        .args(["--replica", &replicas.join(",")])
        .args(["-u", "monitor", "-t", "600"])
        .args(args)
        .env_clear()
        .env("MYSQL_PWD", &pair.monitor_pw)
        .output()
        .expect("/usr/bin/time (apt-get install time)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no RSS from /usr/bin/time: {stderr}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "the plugin did not answer OK: {stdout}"
    );
    (stdout.lines().next().unwrap_or("").to_string(), rss)
}

/// `--checksum` against pt-table-checksum over the same data: the 1,000
/// tables of 10,000 rows of the 11k shape (its first two databases, 10 M
/// rows per server). Full coverage each: the plugin's answer must say
/// every table's content was compared. Rows read per second on each
/// server from its `Handler_read_*` counters over the plugin's run.
fn checksum_bench(pair: &Pair) {
    let shape = Shape::parse("11k");
    seed(pair, &[pair.primary, pair.replica], &shape);
    let dbs = format!("{0}_000,{0}_001", shape.name);
    let only = format!("^{}_00[01]$", shape.name);
    let pt = || pt_table_checksum(pair, &dbs);
    let ours = |method: &str| {
        let args = [method, "--include-db", &only];
        let before = [rows_read(pair, pair.primary), rows_read(pair, pair.replica)];
        let (t, (line, rss)) = time(|| plugin_with(PLUGIN, pair, &[pair.replica], &args));
        assert!(
            line.contains("content_coverage=100%"),
            "not full coverage: {line}"
        );
        let after = [rows_read(pair, pair.primary), rows_read(pair, pair.replica)];
        let rate = |i: usize| (after[i] - before[i]) as f64 / t.as_secs_f64();
        (t, rss, [rate(0), rate(1)])
    };
    // Warm both servers' caches once, as a nightly check finds them.
    pt();
    ours("--checksum");
    let (mut pts, mut fast, mut strong, mut rss) = (vec![], vec![], vec![], 0);
    let mut rates = [[0.0; 2]; 2];
    for _ in 0..REPEAT {
        pts.push(time(pt).0);
        let (t, r, rate) = ours("--checksum");
        fast.push(t);
        rss = rss.max(r);
        rates[0] = rate;
        let (t, r, rate) = ours("--checksum=strong");
        strong.push(t);
        rss = rss.max(r);
        rates[1] = rate;
    }
    let (pts, fast, strong) = (median(pts), median(fast), median(strong));
    println!("1,000 tables, 10,000,000 rows per server (medians of {REPEAT}, interleaved):");
    println!(
        "  pt-table-checksum:            {:>8.3}s",
        pts.as_secs_f64()
    );
    for (name, t, rate) in [
        ("--checksum", fast, rates[0]),
        ("--checksum=strong", strong, rates[1]),
    ] {
        println!(
            "  check_mysql_drift {name:<18} {:>8.3}s  {:.2} of pt-table-checksum's time; \
             rows read/s: primary {:.0}, replica {:.0}",
            t.as_secs_f64(),
            t.as_secs_f64() / pts.as_secs_f64(),
            rate[0],
            rate[1]
        );
    }
    println!("  plugin peak RSS: {:.1} MB", rss as f64 / 1024.0);
}

/// pt-table-checksum over `dbs` as the admin account (it writes its
/// results on the primary), the replica found through a DSN table.
fn pt_table_checksum(pair: &Pair, dbs: &str) {
    let mut c = pair.admin(pair.primary);
    for stmt in [
        "CREATE DATABASE IF NOT EXISTS percona".to_string(),
        "CREATE TABLE IF NOT EXISTS percona.dsns (id INT AUTO_INCREMENT PRIMARY KEY, \
         parent_id INT, dsn VARCHAR(255) NOT NULL)"
            .to_string(),
        "DELETE FROM percona.dsns".to_string(),
        format!(
            "INSERT INTO percona.dsns (dsn) VALUES ('h=127.0.0.1,P={}')",
            pair.replica
        ),
    ] {
        c.query_drop(stmt).unwrap();
    }
    let out = Command::new("pt-table-checksum")
        .arg(format!(
            "h=127.0.0.1,P={},u=admin,p={}",
            pair.primary, pair.admin_pw
        ))
        .args(["--databases", dbs])
        .arg(format!(
            "--recursion-method=dsn=h=127.0.0.1,P={},D=percona,t=dsns",
            pair.primary
        ))
        .args([
            "--no-check-replication-filters",
            "--no-check-binlog-format",
            "--no-version-check",
        ])
        .output()
        .expect("pt-table-checksum (apt-get install percona-toolkit)");
    let text = String::from_utf8_lossy(&out.stdout);
    let tables = text.lines().filter(|l| l.contains(" bench11k_00")).count();
    assert_eq!(
        tables, 1000,
        "pt-table-checksum checked {tables} tables: {text}"
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let out = f();
    (started.elapsed(), out)
}

/// Rows the server has read so far, by all sessions: index and table scans.
fn rows_read(pair: &Pair, port: u16) -> u64 {
    let status: Vec<(String, u64)> = pair
        .monitor(port)
        .query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_rnd_next')")
        .unwrap();
    status.iter().map(|(_, n)| n).sum()
}

/// CPU seconds (user + system) the four servers of the test set have used
/// so far, from `/proc/PID/stat`.
fn servers_cpu() -> f64 {
    let dir = env_or("DRIFT_TEST_DIR", "/tmp/check_mysql_drift-servers");
    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    let used = |name: &str| -> f64 {
        let pid = std::fs::read_to_string(format!("{dir}/{name}/mysqld.pid")).expect("pid file");
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).expect("stat");
        // Fields after the command name (which may hold spaces): utime and
        // stime are the 14th and 15th of the whole line.
        let after = stat.rsplit_once(") ").expect("stat line").1;
        let fields: Vec<&str> = after.split(' ').collect();
        (fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap()) / ticks
    };
    ["primary", "replica", "replica2", "chained"]
        .iter()
        .map(|n| used(n))
        .sum()
}

/// What one measured set of plugin runs took.
#[derive(Default, Clone, Copy)]
struct Cost {
    time: Duration,
    /// Rows the primary read meanwhile.
    rows: u64,
    /// CPU seconds the four servers used meanwhile.
    servers_cpu: f64,
}

fn measured(pair: &Pair, runs: &[&[u16]], shape: &Shape) -> Cost {
    let (rows, cpu) = (rows_read(pair, pair.primary), servers_cpu());
    let (time, ()) = time(|| {
        for replicas in runs {
            plugin_on(PLUGIN, pair, replicas, shape, &[]);
        }
    });
    Cost {
        time,
        rows: rows_read(pair, pair.primary) - rows,
        servers_cpu: servers_cpu() - cpu,
    }
}

/// One run over three replicas against one over a single replica and
/// against three separate runs, interleaved; the median by time of each.
fn replicas_bench(pair: &Pair, shape: &Shape) {
    let [r2, chained] = pair.more;
    let all = [pair.replica, r2, chained];
    seed(pair, &[pair.primary, pair.replica, r2, chained], shape);
    for port in all {
        // Warm each replica's cache once, as a monitor running every few
        // minutes finds them.
        plugin_on(PLUGIN, pair, &[port], shape, &[]);
    }
    let runs: [&[&[u16]]; 3] = [&[&all[..1]], &[&all], &[&all[..1], &all[1..2], &all[2..]]];
    let mut costs: [Vec<Cost>; 3] = Default::default();
    for _ in 0..REPEAT {
        for (cost, runs) in costs.iter_mut().zip(runs) {
            cost.push(measured(pair, runs, shape));
        }
    }
    let [single, set, separate] = costs.map(|mut c| {
        c.sort_by_key(|c| c.time);
        c[c.len() / 2]
    });
    println!(
        "{} tables, {} rows per server; primary + 3 replicas (one chained) on this machine; median of {REPEAT}",
        shape.total(),
        shape.rows()
    );
    println!(
        "{:>28} {:>9} {:>18} {:>14}",
        "", "time", "primary rows read", "servers CPU s"
    );
    for (what, c) in [
        ("one replica, one run", single),
        ("three replicas, one run", set),
        ("three replicas, three runs", separate),
    ] {
        println!(
            "{what:>28} {:>8.3}s {:>18} {:>14.2}",
            c.time.as_secs_f64(),
            c.rows,
            c.servers_cpu
        );
    }
    println!(
        "three in one run: {:.2}x one replica, {:.2}x three runs; primary rows read {:.2}x one pass",
        set.time.as_secs_f64() / single.time.as_secs_f64(),
        set.time.as_secs_f64() / separate.time.as_secs_f64(),
        set.rows as f64 / shape.rows() as f64
    );
}

fn main() {
    let mut shapes: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let several = shapes.first().is_some_and(|s| s == "replicas");
    let checksum = shapes.first().is_some_and(|s| s == "checksum");
    if several || checksum {
        shapes.remove(0);
    }
    let shapes = if shapes.is_empty() {
        vec!["11k".to_string()]
    } else {
        shapes
    };
    let baseline = std::env::var("DRIFT_BENCH_BASELINE").ok();
    let pair = Pair {
        primary: env_or("DRIFT_PRIMARY_PORT", "13306").parse().unwrap(),
        replica: env_or("DRIFT_REPLICA_PORT", "13307").parse().unwrap(),
        more: [
            env_or("DRIFT_REPLICA2_PORT", "13308").parse().unwrap(),
            env_or("DRIFT_CHAINED_PORT", "13309").parse().unwrap(),
        ],
        admin_pw: env_or("DRIFT_ADMIN_PASSWORD", "admin-pw"),
        monitor_pw: env_or("DRIFT_MONITOR_PASSWORD", "monitor-pw"),
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name\t: ").map(str::to_string))
        })
        .unwrap_or_default();
    println!(
        "machine: {} cores, {cpu}; the servers on it; median of {REPEAT} runs, interleaved",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if checksum {
        checksum_bench(&pair);
        return;
    }
    if several {
        for name in shapes {
            replicas_bench(&pair, &Shape::parse(&name));
        }
        return;
    }
    println!(
        "{:>6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>8}",
        "tables",
        "rows/server",
        "sequential",
        "floor",
        "plugin",
        "plugin-c1",
        "seq/plug",
        "plug/flr",
        "RSS MB"
    );
    for name in shapes {
        let shape = Shape::parse(&name);
        seed(&pair, &[pair.primary, pair.replica], &shape);
        let expected = 2 * shape.rows();
        // Warm both servers' caches once, as a monitor running every few
        // minutes finds them.
        assert_eq!(floor(&pair, &shape), expected);
        let (mut seq, mut flo, mut plug, mut plug1, mut rss) = (vec![], vec![], vec![], vec![], 0);
        let mut base = vec![];
        let mut line = String::new();
        for _ in 0..REPEAT {
            let (t, n) = time(|| sequential(&pair, &shape));
            assert_eq!(n, expected);
            seq.push(t);
            let (t, n) = time(|| floor(&pair, &shape));
            assert_eq!(n, expected);
            flo.push(t);
            let (t, (l, r)) = time(|| plugin(PLUGIN, &pair, &shape, &[]));
            plug.push(t);
            rss = rss.max(r);
            line = l;
            let (t, _) = time(|| plugin(PLUGIN, &pair, &shape, &["--connections", "1"]));
            plug1.push(t);
            if let Some(b) = &baseline {
                base.push(time(|| plugin(b, &pair, &shape, &[])).0);
            }
        }
        let (seq, flo, plug, plug1) = (median(seq), median(flo), median(plug), median(plug1));
        println!(
            "{:>6} {:>11} {:>9.3}s {:>9.3}s {:>9.3}s {:>9.3}s {:>8.2}x {:>8.2}x {:>8.1}",
            shape.total(),
            shape.rows(),
            seq.as_secs_f64(),
            flo.as_secs_f64(),
            plug.as_secs_f64(),
            plug1.as_secs_f64(),
            seq.as_secs_f64() / plug.as_secs_f64(),
            plug.as_secs_f64() / flo.as_secs_f64(),
            rss as f64 / 1024.0
        );
        println!(
            "        plugin said: {}",
            line.split(" | ").next().unwrap_or("")
        );
        if !base.is_empty() {
            let base = median(base);
            println!(
                "        baseline {:.3}s: plugin / baseline {:.2}x",
                base.as_secs_f64(),
                plug.as_secs_f64() / base.as_secs_f64()
            );
        }
    }
}
