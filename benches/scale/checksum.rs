//! `--checksum` against pt-table-checksum over the same data.

use crate::servers::{rows_read, seed, Pair, Shape};
use crate::timing::{median, plugin_with, time, PLUGIN, REPEAT};
use mysql::prelude::Queryable;
use std::process::Command;

/// `--checksum` against pt-table-checksum over the same data: the 1,000
/// tables of 10,000 rows of the 11k shape (its first two databases, 10 M
/// rows per server). Full coverage each: the plugin's answer must say
/// every table's content was compared. Rows read per second on each
/// server from its `Handler_read_*` counters over the plugin's run. The
/// same `--checksum` against the second replica, which keeps no binary
/// log ("unlogged": its version lacks the primary's "-log").
pub(crate) fn checksum_bench(pair: &Pair) {
    let shape = Shape::parse("11k");
    // The second replica keeps no binary log (tests/servers.sh): the
    // fast path between a primary that logs and a replica that does not.
    let unlogged = pair.more[0];
    seed(pair, &[pair.primary, pair.replica, unlogged], &shape);
    let dbs = format!("{0}_000,{0}_001", shape.name);
    let only = format!("^{}_00[01]$", shape.name);
    let pt = || pt_table_checksum(pair, &dbs);
    let ours_on = |replica: u16, method: &str| {
        let args = [method, "--include-db", &only];
        let before = [rows_read(pair, pair.primary), rows_read(pair, replica)];
        let (t, (line, rss)) = time(|| plugin_with(PLUGIN, pair, &[replica], &args));
        assert!(
            line.contains("content_coverage=100%"),
            "not full coverage: {line}"
        );
        let after = [rows_read(pair, pair.primary), rows_read(pair, replica)];
        let rate = |i: usize| (after[i] - before[i]) as f64 / t.as_secs_f64();
        (t, rss, [rate(0), rate(1)])
    };
    let ours = |method: &str| ours_on(pair.replica, method);
    // Warm both servers' caches once, as a nightly check finds them.
    pt();
    ours("--checksum");
    let variants = [
        ("--checksum", pair.replica, "--checksum"),
        ("--checksum=strong", pair.replica, "--checksum=strong"),
        ("--checksum, unlogged", unlogged, "--checksum"),
    ];
    let (mut pts, mut rss) = (vec![], 0);
    let mut times: Vec<Vec<std::time::Duration>> = vec![vec![]; variants.len()];
    let mut rates = vec![[0.0; 2]; variants.len()];
    for _ in 0..REPEAT {
        pts.push(time(pt).0);
        for (i, (_, replica, method)) in variants.iter().enumerate() {
            let (t, r, rate) = ours_on(*replica, method);
            times[i].push(t);
            rss = rss.max(r);
            rates[i] = rate;
        }
    }
    let pts = median(pts);
    println!("1,000 tables, 10,000,000 rows per server (medians of {REPEAT}, interleaved):");
    println!(
        "  pt-table-checksum:            {:>8.3}s",
        pts.as_secs_f64()
    );
    for ((name, _, _), (t, rate)) in variants.iter().zip(times.into_iter().zip(rates)) {
        let t = median(t);
        println!(
            "  check_mysql_drift {name:<22} {:>8.3}s  {:.2} of pt-table-checksum's time; \
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
pub(crate) fn pt_table_checksum(pair: &Pair, dbs: &str) {
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
