//! Several replicas in one run, against one replica and against separate
//! runs: time, rows the primary read, and the servers' CPU seconds.

use crate::servers::{env_or, rows_read, seed, Pair, Shape};
use crate::timing::{plugin_on, time, PLUGIN, REPEAT};
use std::process::Command;
use std::time::Duration;

/// CPU seconds (user + system) the four servers of the test set have used
/// so far, from `/proc/PID/stat`.
pub(crate) fn servers_cpu() -> f64 {
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
pub(crate) struct Cost {
    pub(crate) time: Duration,
    /// Rows the primary read meanwhile.
    pub(crate) rows: u64,
    /// CPU seconds the four servers used meanwhile.
    pub(crate) servers_cpu: f64,
}

pub(crate) fn measured(pair: &Pair, runs: &[&[u16]], shape: &Shape) -> Cost {
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
pub(crate) fn replicas_bench(pair: &Pair, shape: &Shape) {
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
