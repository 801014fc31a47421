//! What is timed: a naive sequential check, the floor, and a plugin
//! binary under /usr/bin/time.

use crate::servers::{Pair, Shape};
use mysql::prelude::Queryable;
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const REPEAT: usize = 3;

/// A naive check: primary then replica, SHOW DATABASES, SHOW TABLES per
/// database, one COUNT(*) round trip per table.
pub(crate) fn sequential(pair: &Pair, shape: &Shape) -> u64 {
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
pub(crate) fn floor(pair: &Pair, shape: &Shape) -> u64 {
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
pub(crate) const PLUGIN: &str = env!("CARGO_BIN_EXE_check_mysql_drift");

/// A plugin binary under /usr/bin/time -v: (status line, peak RSS in KiB).
pub(crate) fn plugin(
    binary: &str,
    pair: &Pair,
    shape: &Shape,
    connections: &[&str],
) -> (String, u64) {
    plugin_on(binary, pair, &[pair.replica], shape, connections)
}

/// The same against the `replicas` given.
pub(crate) fn plugin_on(
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
pub(crate) fn plugin_with(
    binary: &str,
    pair: &Pair,
    replicas: &[u16],
    args: &[&str],
) -> (String, u64) {
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

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub(crate) fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let out = f();
    (started.elapsed(), out)
}
