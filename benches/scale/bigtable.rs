//! One big table: a complete pass in key ranges (counts, and content with
//! `--checksum=strong`) against one plain statement over the whole table,
//! run on both servers at once, in one run of the benchmark.

use crate::servers::{numbers, Pair};
use crate::timing::{median, plugin_with, time, PLUGIN, REPEAT};
use mysql::prelude::Queryable;
use std::time::Duration;

const DB: &str = "benchbig";

/// `rows` rows in `benchbig.big` on both servers (seeded directly and
/// identically, unlogged, at once), then the timings.
pub(crate) fn bigtable_bench(pair: &Pair, rows: u32) {
    std::thread::scope(|s| {
        for port in [pair.primary, pair.replica] {
            s.spawn(move || seed_big(pair, port, rows));
        }
    });
    let count = || both(pair, "SELECT COUNT(*) FROM big");
    // The same rows through the index the ranges are read along.
    let count_pk = || both(pair, "SELECT COUNT(*) FROM big FORCE INDEX (PRIMARY)");
    let hash = || both(pair, &whole_hash(pair));
    let args = ["--include-db", "^benchbig$", "-vvv"];
    let ours = |extra: &[&str]| {
        let all = [&args[..], extra].concat();
        let (line, rss) = plugin_with(PLUGIN, pair, &[pair.replica], &all);
        assert!(line.contains("1 of 1 tables match"), "{line}");
        rss
    };
    // Warm both servers' caches once, as a monitor running every few
    // minutes finds them.
    count();
    ours(&[]);
    let mut t = Times::default();
    for _ in 0..REPEAT {
        t.count.push(time(count).0);
        t.count_pk.push(time(count_pk).0);
        let (d, r) = time(|| ours(&[]));
        t.pass.push(d);
        t.rss = t.rss.max(r);
        t.hash.push(time(hash).0);
        let (d, r) = time(|| ours(&["--checksum=strong"]));
        t.strong.push(d);
        t.rss = t.rss.max(r);
    }
    println!("one table of {rows} rows, ranges of 1,000,000 (medians of {REPEAT}, interleaved):");
    let pass = median(t.pass);
    line("counts", median(t.count), pass, rows);
    line("counts (PRIMARY)", median(t.count_pk), pass, rows);
    line("content", median(t.hash), median(t.strong), rows);
    let rss = t.rss;
    println!("  plugin peak RSS: {:.1} MB", rss as f64 / 1024.0);
}

/// Each timing of the runs, and the plugin's peak RSS (KiB).
#[derive(Default)]
struct Times {
    count: Vec<Duration>,
    count_pk: Vec<Duration>,
    pass: Vec<Duration>,
    hash: Vec<Duration>,
    strong: Vec<Duration>,
    rss: u64,
}

fn line(what: &str, statement: Duration, pass: Duration, rows: u32) {
    println!(
        "  {what:<16} one statement on both servers {:>7.3}s, a pass in ranges {:>7.3}s: \
         {:.2}x; {:.0} rows verified/s per server",
        statement.as_secs_f64(),
        pass.as_secs_f64(),
        pass.as_secs_f64() / statement.as_secs_f64(),
        f64::from(rows) / pass.as_secs_f64()
    );
}

/// `sql` on the primary and on the replica at once, as the monitor.
fn both(pair: &Pair, sql: &str) {
    std::thread::scope(|s| {
        for port in [pair.primary, pair.replica] {
            s.spawn(move || {
                let mut c = pair.monitor(port);
                c.query_drop(format!("USE {DB}")).unwrap();
                c.query_drop(sql).unwrap();
            });
        }
    });
}

/// One statement hashing every row as the plugin's row hash does (each
/// column as `LENGTH:bytes`), summed.
fn whole_hash(pair: &Pair) -> String {
    let version: String = pair
        .monitor(pair.primary)
        .query_first("SELECT VERSION()")
        .unwrap()
        .unwrap_or_default();
    let f = match version.contains("MariaDB") {
        true => "SHA1",
        false => "SHA2",
    };
    let arg = if f == "SHA2" { ", 256" } else { "" };
    let col = |c: &str| format!("COALESCE(CONCAT(LENGTH({c}), ':', {c}), 'N')");
    format!(
        "SELECT COUNT(*), SUM(CAST(CONV(LEFT({f}(CONCAT({}, {}, {}, {}){arg}), 16), 16, 10) \
         AS UNSIGNED)) FROM big",
        col("id"),
        col("k"),
        col("v"),
        col("ts")
    )
}

/// Seeds one server (unlogged) unless it holds the table already.
fn seed_big(pair: &Pair, port: u16, rows: u32) {
    let mut c = pair.admin(port);
    let have: Option<u64> = c
        .query_first(format!("SELECT COUNT(*) FROM {DB}.big"))
        .unwrap_or(None);
    if have == Some(u64::from(rows)) {
        return;
    }
    c.query_drop("SET SESSION sql_log_bin = 0").unwrap();
    let version: String = c.query_first("SELECT VERSION()").unwrap().unwrap();
    let mariadb = version.contains("MariaDB");
    if !mariadb {
        c.query_drop(format!("SET SESSION cte_max_recursion_depth = {rows}"))
            .unwrap();
    }
    for stmt in [
        format!("DROP DATABASE IF EXISTS {DB}"),
        format!("CREATE DATABASE {DB}"),
        format!("USE {DB}"),
        "CREATE TABLE big (id INT UNSIGNED PRIMARY KEY, k INT, v VARCHAR(64), \
         ts TIMESTAMP NOT NULL DEFAULT '2026-01-01 00:00:00', KEY (k)) ENGINE=InnoDB"
            .to_string(),
        format!(
            "INSERT INTO big (id, k, v) SELECT seq, seq % 100000, MD5(seq) FROM {}",
            numbers(mariadb, rows)
        ),
        "ANALYZE TABLE big".to_string(),
    ] {
        c.query_drop(&stmt)
            .unwrap_or_else(|e| panic!("port {port}: {stmt}: {e}"));
    }
}
