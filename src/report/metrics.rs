//! The report in the Prometheus text exposition format (also valid
//! OpenMetrics, `# EOF` and all), for node_exporter's textfile collector:
//! every metric a gauge with `# HELP` and `# TYPE`, one series per
//! replica, per-table series only for tables whose counts differ (bounded
//! cardinality), and `check_mysql_drift_up` 0 whenever the run could not
//! tell, so that a failed check is never a healthy-looking 0.

use super::figures::Figures;
use super::parts::{Part, Report};
use std::fmt::Write;

const PREFIX: &str = "check_mysql_drift_";

/// One metric family: its name (without the prefix), help, and samples.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<Sample>,
}

struct Sample {
    labels: Vec<(&'static str, String)>,
    value: f64,
}

/// A label value as the exposition format escapes it.
fn escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn write_family(out: &mut String, f: &Family) {
    if f.samples.is_empty() {
        return;
    }
    let _ = writeln!(out, "# HELP {PREFIX}{} {}", f.name, f.help);
    let _ = writeln!(out, "# TYPE {PREFIX}{} gauge", f.name);
    for s in &f.samples {
        let labels: Vec<String> = s
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escaped(v)))
            .collect();
        let labels = match labels.is_empty() {
            true => String::new(),
            false => format!("{{{}}}", labels.join(",")),
        };
        let _ = writeln!(out, "{PREFIX}{}{labels} {}", f.name, s.value);
    }
}

/// A sample of `part`'s replica, when the figure is known.
fn of(part: &Part, value: Option<f64>) -> Option<Sample> {
    Some(Sample {
        labels: vec![("replica", part.replica.clone())],
        value: value?,
    })
}

/// A family with one sample per replica, from its figures.
fn per_replica(
    parts: &[Part],
    name: &'static str,
    help: &'static str,
    value: impl Fn(&Figures) -> Option<u64>,
) -> Family {
    Family {
        name,
        help,
        samples: parts
            .iter()
            .filter_map(|p| of(p, value(&p.figures).map(|v| v as f64)))
            .collect(),
    }
}

/// Some replica was compared: its figures are there.
fn compared_any(r: &Report) -> bool {
    r.parts.iter().any(|p| p.figures.tables.is_some())
}

fn run_families(r: &Report, now: f64) -> Vec<Family> {
    let single = |name, help, value: f64| Family {
        name,
        help,
        samples: vec![Sample {
            labels: Vec::new(),
            value,
        }],
    };
    let mut out = vec![
        single(
            "up",
            "1 when the run compared the servers, 0 when it could not tell (bad arguments, no server, a timeout)",
            if compared_any(r) { 1.0 } else { 0.0 },
        ),
        single(
            "state",
            "The run's plugin state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
            f64::from(r.state.code()),
        ),
        single(
            "last_run_timestamp_seconds",
            "When the run ended, in seconds since the epoch",
            now,
        ),
    ];
    if let Some(t) = r.time {
        out.push(single("run_duration_seconds", "How long the run took", t));
    }
    out
}

fn replica_families(parts: &[Part]) -> Vec<Family> {
    let f = |name, help, value: fn(&Figures) -> Option<u64>| per_replica(parts, name, help, value);
    vec![
        replica_states(parts),
        f("tables", "Tables compared with the primary", |f| f.tables),
        f(
            "drifted_tables",
            "Tables that differ (counts, content, or on one side only)",
            |f| f.drifted,
        ),
        f(
            "missing_on_replica_tables",
            "Tables on the primary only",
            |f| f.missing_on_replica,
        ),
        f(
            "missing_on_primary_tables",
            "Tables on the replica only",
            |f| f.missing_on_primary,
        ),
        f(
            "unverified_tables",
            "Tables without a verdict in time",
            |f| f.unverified,
        ),
        f("unreadable_tables", "Tables that could not be read", |f| {
            f.unreadable
        }),
        f(
            "max_row_difference",
            "The largest row-count difference of one table",
            |f| f.max_row_diff,
        ),
        f(
            "definitions_differ_tables",
            "Tables defined differently on the replica",
            |f| f.definitions_differ,
        ),
        f(
            "content_compared_tables",
            "Tables whose content was compared at one position (--checksum)",
            |f| f.content_compared,
        ),
        content_coverage(parts),
        f(
            "content_oldest_age_seconds",
            "Seconds since the least recently verified content (--state-file)",
            |f| f.content_oldest_age,
        ),
        f(
            "pass_oldest_age_seconds",
            "Seconds since the oldest complete pass over a big table (--state-file)",
            |f| f.pass_oldest_age,
        ),
    ]
}

fn replica_states(parts: &[Part]) -> Family {
    Family {
        name: "replica_state",
        help: "Each replica's plugin state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        samples: parts
            .iter()
            .filter_map(|p| of(p, Some(f64::from(p.state.code()))))
            .collect(),
    }
}

fn content_coverage(parts: &[Part]) -> Family {
    Family {
        name: "content_coverage_ratio",
        help: "Share of the tables whose content was compared in this run (--checksum)",
        samples: parts
            .iter()
            .filter_map(|p| {
                let (c, t) = (p.figures.content_compared?, p.figures.tables?);
                of(p, Some(if t == 0 { 0.0 } else { c as f64 / t as f64 }))
            })
            .collect(),
    }
}

/// Per table, only those whose counts differ: replica minus primary.
fn table_families(parts: &[Part]) -> Family {
    let samples = parts
        .iter()
        .flat_map(|p| {
            p.row_differences.iter().map(|d| Sample {
                labels: vec![
                    ("replica", p.replica.clone()),
                    ("database", d.database.clone()),
                    ("table", d.table.clone()),
                ],
                value: d.difference as f64,
            })
        })
        .collect();
    Family {
        name: "table_row_difference",
        help: "Rows on the replica minus rows on the primary, for tables whose counts differ",
        samples,
    }
}

impl Report {
    /// The exposition text, `now` the run's end in seconds since the epoch.
    pub(super) fn metrics(&self, now: f64) -> String {
        let mut out = String::new();
        let families = run_families(self, now)
            .into_iter()
            .chain(replica_families(&self.parts))
            .chain([table_families(&self.parts)]);
        for f in families {
            write_family(&mut out, &f);
        }
        out.push_str("# EOF\n");
        out
    }
}
