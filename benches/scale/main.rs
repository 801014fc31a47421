//! Scale benchmark (not a test): seeds a pair with many tables, then times,
//! in one run, a naive sequential check, the "floor" (both servers at
//! once, one information_schema listing and one UNION ALL statement that
//! counts every table) and check_mysql_drift itself, and reads the plugin's
//! peak RSS from /usr/bin/time -v.
//!
//!   tests/bench.sh [SHAPE...]      SHAPE: 1k, 10k, 11k (default), 50k
//!   tests/bench.sh replicas [SHAPE] several replicas (default 11k)
//!   tests/bench.sh checksum         --checksum against pt-table-checksum
//!   tests/bench.sh bigtable [ROWS]  one table (default 10,000,000 rows) in
//!                                   key ranges against one statement
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

mod bigtable;
mod checksum;
mod replicas;
mod servers;
mod timing;

use bigtable::bigtable_bench;
use checksum::checksum_bench;
use replicas::replicas_bench;
use servers::{env_or, seed, Pair, Shape};
use std::time::Duration;
use timing::{floor, median, plugin, sequential, time, PLUGIN, REPEAT};

/// What the arguments ask for.
enum Bench {
    Scale(Vec<String>),
    Replicas(Vec<String>),
    Checksum,
    /// One table of this many rows, in key ranges.
    BigTable(u32),
}

fn bench_asked() -> Bench {
    let mut shapes: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let first = shapes.first().cloned();
    if matches!(first.as_deref(), Some("replicas" | "checksum" | "bigtable")) {
        shapes.remove(0);
    }
    if first.as_deref() == Some("bigtable") {
        let rows = shapes.first().and_then(|n| n.parse().ok());
        return Bench::BigTable(rows.unwrap_or(10_000_000));
    }
    if shapes.is_empty() {
        shapes.push("11k".to_string());
    }
    match first.as_deref() {
        Some("replicas") => Bench::Replicas(shapes),
        Some("checksum") => Bench::Checksum,
        _ => Bench::Scale(shapes),
    }
}

/// The test set of `tests/servers.sh` (or a pair of `tests/flavors.sh`).
fn pair_from_env() -> Pair {
    let port = |name: &str, default: &str| env_or(name, default).parse().unwrap();
    Pair {
        primary: port("DRIFT_PRIMARY_PORT", "13306"),
        replica: port("DRIFT_REPLICA_PORT", "13307"),
        more: [
            port("DRIFT_REPLICA2_PORT", "13308"),
            port("DRIFT_CHAINED_PORT", "13309"),
        ],
        admin_pw: env_or("DRIFT_ADMIN_PASSWORD", "admin-pw"),
        monitor_pw: env_or("DRIFT_MONITOR_PASSWORD", "monitor-pw"),
    }
}

fn print_machine() {
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
}

fn main() {
    let pair = pair_from_env();
    print_machine();
    match bench_asked() {
        Bench::Checksum => checksum_bench(&pair),
        Bench::BigTable(rows) => bigtable_bench(&pair, rows),
        Bench::Replicas(shapes) => {
            for name in shapes {
                replicas_bench(&pair, &Shape::parse(&name));
            }
        }
        Bench::Scale(shapes) => {
            let baseline = std::env::var("DRIFT_BENCH_BASELINE").ok();
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
                scale_row(&pair, &Shape::parse(&name), baseline.as_deref());
            }
        }
    }
}

/// The timings of one run of each, `REPEAT` times interleaved.
#[derive(Default)]
struct Timings {
    sequential: Vec<Duration>,
    floor: Vec<Duration>,
    plugin: Vec<Duration>,
    plugin_c1: Vec<Duration>,
    baseline: Vec<Duration>,
    /// The plugin's peak RSS (KiB) and its last status line.
    rss: u64,
    line: String,
}

fn timings(pair: &Pair, shape: &Shape, baseline: Option<&str>) -> Timings {
    let expected = 2 * shape.rows();
    let mut t = Timings::default();
    for _ in 0..REPEAT {
        let (d, n) = time(|| sequential(pair, shape));
        assert_eq!(n, expected);
        t.sequential.push(d);
        let (d, n) = time(|| floor(pair, shape));
        assert_eq!(n, expected);
        t.floor.push(d);
        let (d, (l, r)) = time(|| plugin(PLUGIN, pair, shape, &[]));
        t.plugin.push(d);
        t.rss = t.rss.max(r);
        t.line = l;
        let (d, _) = time(|| plugin(PLUGIN, pair, shape, &["--connections", "1"]));
        t.plugin_c1.push(d);
        if let Some(b) = baseline {
            t.baseline.push(time(|| plugin(b, pair, shape, &[])).0);
        }
    }
    t
}

/// One shape: seeded, caches warmed, then its line of timings.
fn scale_row(pair: &Pair, shape: &Shape, baseline: Option<&str>) {
    seed(pair, &[pair.primary, pair.replica], shape);
    // Warm both servers' caches once, as a monitor running every few
    // minutes finds them.
    assert_eq!(floor(pair, shape), 2 * shape.rows());
    let t = timings(pair, shape, baseline);
    let (seq, flo) = (median(t.sequential), median(t.floor));
    let (plug, plug1) = (median(t.plugin), median(t.plugin_c1));
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
        t.rss as f64 / 1024.0
    );
    println!(
        "        plugin said: {}",
        t.line.split(" | ").next().unwrap_or("")
    );
    if !t.baseline.is_empty() {
        let base = median(t.baseline);
        println!(
            "        baseline {:.3}s: plugin / baseline {:.2}x",
            base.as_secs_f64(),
            plug.as_secs_f64() / base.as_secs_f64()
        );
    }
}
