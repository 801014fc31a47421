//! One report value per run, built from the outcome or from a failure,
//! and rendered from that one value: the plugin text, JSON, or a number.

use crate::cli::OutputFormat;
use crate::compare::{Outcome, Verdict};
use crate::config::Config;
use crate::consistency::How;
use crate::model::{Counts, Key, Role};
use crate::plugin::{Output, Perfdata, State, LABEL};
use serde::Serialize;

/// The run's figures as JSON and perfdata carry them: `None` (null) when
/// the run reached no comparison.
#[derive(Debug, Default, Serialize)]
struct Figures {
    tables: Option<u64>,
    drifted: Option<u64>,
    missing_on_replica: Option<u64>,
    missing_on_primary: Option<u64>,
    max_row_diff: Option<u64>,
    rows_primary: Option<u64>,
    rows_replica: Option<u64>,
    unverified: Option<u64>,
    unreadable: Option<u64>,
    rechecks: Option<u64>,
    replica_ahead: Option<u64>,
    time: Option<f64>,
}

/// One finding: a table (or a database) that does not match.
#[derive(Debug, Serialize)]
struct Finding {
    database: String,
    table: Option<String>,
    finding: String,
}

/// What to print, and the state whose exit code ends the process.
pub struct Answer {
    pub state: State,
    pub text: String,
}

impl Answer {
    /// A verdict-less answer (bad arguments, a failure, a timeout) in the
    /// requested format.
    pub(crate) fn failure(format: OutputFormat, state: State, message: &str) -> Answer {
        Report::failure(state, message).answer(format)
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    state: State,
    code: i32,
    summary: String,
    #[serde(flatten)]
    figures: Figures,
    positions: Vec<String>,
    findings: Vec<Finding>,
    #[serde(skip)]
    perfdata: Vec<Perfdata>,
    /// Long output before the findings: how the verdicts were reached,
    /// notes, and the `-v`/`-vv` lines, so that the cap never drops them.
    #[serde(skip)]
    details: Vec<String>,
    /// `-vvv`: every match, after the findings.
    #[serde(skip)]
    matches: Vec<String>,
    /// A verdict on every table asked about: only then is there a number.
    #[serde(skip)]
    complete: bool,
}

impl Report {
    pub(crate) fn from_outcome(o: &Outcome, cfg: &Config) -> Report {
        let t = tally(o);
        let state = state(&t, cfg);
        let findings = o
            .comparison
            .verdicts
            .iter()
            .filter_map(|(k, v)| {
                Some(Finding {
                    database: k.db().to_string(),
                    table: k.table_name().map(str::to_string),
                    finding: finding(k, v, o)?,
                })
            })
            .collect();
        Report {
            state,
            code: state.code(),
            summary: summary(o, &t),
            figures: figures(o, &t),
            positions: o.positions.iter().map(|p| p.list()).collect(),
            findings,
            perfdata: perfdata(o, &t, cfg),
            details: details(o, cfg),
            matches: matches(o, cfg),
            complete: t.unverified == 0 && t.unreadable == 0 && !nothing_compared(&t),
        }
    }

    /// No comparison: the state and why, every figure null.
    pub(crate) fn failure(state: State, message: &str) -> Report {
        Report {
            state,
            code: state.code(),
            summary: message.to_string(),
            figures: Figures::default(),
            positions: Vec::new(),
            findings: Vec::new(),
            perfdata: Vec::new(),
            details: Vec::new(),
            matches: Vec::new(),
            complete: false,
        }
    }

    pub(crate) fn answer(&self, format: OutputFormat) -> Answer {
        let text = match format {
            OutputFormat::Nagios => self.text(),
            OutputFormat::Json => self.json(),
            OutputFormat::Number => self.number(),
        };
        Answer {
            state: self.state,
            text,
        }
    }

    /// The plugin output: status line with perfdata, then the details, the
    /// findings and the matches, capped (the last ones cut first).
    fn text(&self) -> String {
        let findings = self.findings.iter().map(|f| f.finding.clone());
        let long = self.details.iter().cloned().chain(findings);
        Output {
            state: self.state,
            summary: self.summary.clone(),
            perfdata: self.perfdata.clone(),
            long: long.chain(self.matches.iter().cloned()).collect(),
        }
        .render()
    }

    fn json(&self) -> String {
        // Strings, integers and a rounded time: nothing that JSON cannot hold.
        let mut text = serde_json::to_string(self).expect("a report is always JSON");
        text.push('\n');
        text
    }

    /// The number of differing tables, for a numeric Zabbix item; without
    /// a verdict on every table, the status line instead: the item then
    /// becomes unsupported and shows why, rather than a healthy-looking 0.
    fn number(&self) -> String {
        match (self.complete, self.figures.drifted) {
            (true, Some(n)) => format!("{n}\n"),
            _ => format!("{LABEL} {} - {}\n", self.state, self.summary),
        }
    }
}

/// Counts of verdicts, from which the state and the figures come.
#[derive(Debug, Default)]
struct Tally {
    tables: u64,
    drifted: u64,
    missing_on_replica: u64,
    missing_on_primary: u64,
    /// Databases present on one side only (also in `drifted`).
    databases_one_sided: u64,
    max_row_diff: u64,
    unverified: u64,
    unreadable: u64,
}

fn tally(o: &Outcome) -> Tally {
    let mut t = Tally::default();
    for (key, v) in &o.comparison.verdicts {
        t.tables += u64::from(!key.is_database());
        match v {
            Verdict::Match(_) => {}
            Verdict::Drift { counts, .. } => {
                t.drifted += 1;
                t.max_row_diff = t.max_row_diff.max(counts.primary.abs_diff(counts.replica));
            }
            Verdict::Missing { on } => {
                t.drifted += 1;
                t.databases_one_sided += u64::from(key.is_database());
                match on {
                    Role::Replica => t.missing_on_replica += 1,
                    Role::Primary => t.missing_on_primary += 1,
                }
            }
            Verdict::Unverified { .. } => t.unverified += 1,
            Verdict::Unreadable { .. } => t.unreadable += 1,
        }
    }
    t
}

fn figures(o: &Outcome, t: &Tally) -> Figures {
    Figures {
        tables: Some(t.tables),
        drifted: Some(t.drifted),
        missing_on_replica: Some(t.missing_on_replica),
        missing_on_primary: Some(t.missing_on_primary),
        max_row_diff: Some(t.max_row_diff),
        rows_primary: Some(o.comparison.rows_primary),
        rows_replica: Some(o.comparison.rows_replica),
        unverified: Some(t.unverified),
        unreadable: Some(t.unreadable),
        rechecks: Some(o.comparison.rechecks),
        replica_ahead: o.replica_ahead,
        time: Some((o.elapsed.as_secs_f64() * 1000.0).round() / 1000.0),
    }
}

fn signed(c: &Counts) -> String {
    let d = c.replica as i128 - c.primary as i128;
    if d >= 0 {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// One finding, as a long-output line; `None` for a match.
fn finding(key: &Key, v: &Verdict, o: &Outcome) -> Option<String> {
    Some(match v {
        Verdict::Match(_) => return None,
        Verdict::Drift { counts, at, .. } => {
            let at = at.as_ref().map_or_else(
                || "read at one replication position".to_string(),
                |p| format!("verified at GTID {p}"),
            );
            format!(
                "{key}: primary {}, replica {} ({}), {at}",
                counts.primary,
                counts.replica,
                signed(counts)
            )
        }
        Verdict::Missing { on } => format!("{key}: missing on the {}", on.name()),
        Verdict::Unverified { last } => {
            let why = if o.positioned {
                "not counted at one replication position in time"
            } else {
                "read without comparable replication positions"
            };
            let last = last.map_or_else(String::new, |c| {
                format!(
                    " (last counts: primary {}, replica {})",
                    c.primary, c.replica
                )
            });
            format!("{key}: unverified: {why}{last}")
        }
        Verdict::Unreadable { side, error } => {
            format!("{key}: cannot count on the {}: {error}", side.name())
        }
    })
}

fn positions(o: &Outcome) -> String {
    match o.positions.as_slice() {
        _ if !o.positioned => {
            "counts read without comparable replication positions (no GTID wait possible)".into()
        }
        [] => "no pair of snapshots at one replication position".into(),
        [p] => format!("both at GTID {p}"),
        [first, .., last] => format!(
            "both at {} replication positions, GTID {first} to {last}",
            o.positions.len()
        ),
    }
}

/// How each verdict was reached, in words.
fn how_words(how: How) -> &'static str {
    match how {
        How::SamePoint => "compared at one replication position",
        How::Unpositioned => "equal without replication positions",
    }
}

/// How the verdicts were reached: the honesty line of every answer.
fn how_reached(o: &Outcome) -> String {
    let mut n = [0u64; 2];
    for v in o.comparison.verdicts.values() {
        if let Verdict::Match(h) | Verdict::Drift { how: h, .. } = v {
            n[*h as usize] += 1;
        }
    }
    let parts: Vec<String> = [How::SamePoint, How::Unpositioned]
        .into_iter()
        .filter(|h| n[*h as usize] > 0)
        .map(|h| format!("{} {}", n[h as usize], how_words(h)))
        .collect();
    if parts.is_empty() {
        return "verdicts: none reached".into();
    }
    format!("verdicts: {}", parts.join(", "))
}

fn state(f: &Tally, cfg: &Config) -> State {
    let t = &cfg.thresholds;
    let check = |range: &Option<crate::plugin::Range>, v: u64, s: State| {
        if range.as_ref().is_some_and(|r| r.alerts(v as f64)) {
            s
        } else {
            State::Ok
        }
    };
    let mut state = State::Ok
        .merge(check(&t.warning, f.drifted, State::Warning))
        .merge(check(&t.critical, f.drifted, State::Critical))
        .merge(check(&t.warning_rows, f.max_row_diff, State::Warning))
        .merge(check(&t.critical_rows, f.max_row_diff, State::Critical));
    if f.unverified > 0 {
        state = state.merge(cfg.unverified);
    }
    if f.unreadable > 0 || nothing_compared(f) {
        state = state.merge(State::Unknown);
    }
    state
}

/// A check that checked nothing (filters with a typo) must not say OK.
fn nothing_compared(f: &Tally) -> bool {
    f.tables == 0 && f.drifted == 0
}

/// The status line's summary: what differs (the first three), or how
/// many tables match; then what has no verdict, and the positions.
fn summary(o: &Outcome, t: &Tally) -> String {
    let mut summary = if t.drifted > 0 {
        differing(o, t)
    } else if nothing_compared(t) {
        "no table matched the filters".to_string()
    } else {
        let matched = t.tables.saturating_sub(t.unverified + t.unreadable);
        format!("{matched} of {} tables match", t.tables)
    };
    if t.unverified > 0 {
        summary.push_str(&format!(", {} unverified", t.unverified));
    }
    if t.unreadable > 0 {
        summary.push_str(&format!(", {} unreadable", t.unreadable));
    }
    summary.push_str(&format!(", {}", positions(o)));
    summary
}

fn differing(o: &Outcome, t: &Tally) -> String {
    let names: Vec<String> = o
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Drift { counts, .. } => Some(format!("{k} {}", signed(counts))),
            Verdict::Missing { on } => Some(format!("{k} missing on {}", on.name())),
            _ => None,
        })
        .take(3)
        .collect();
    let more = if t.drifted > 3 { ", ..." } else { "" };
    let dbs = match t.databases_one_sided {
        0 => String::new(),
        1 => " and 1 database is on one side only".into(),
        n => format!(" and {n} databases are on one side only"),
    };
    format!(
        "{} of {} tables differ{dbs} ({}{more})",
        t.drifted - t.databases_one_sided,
        t.tables,
        names.join(", ")
    )
}

fn perfdata(o: &Outcome, t: &Tally, cfg: &Config) -> Vec<Perfdata> {
    let th = &cfg.thresholds;
    let ahead = match o.replica_ahead {
        Some(n) => Perfdata::count("replica_ahead", n),
        None => Perfdata::count("replica_ahead", 0).unknown(),
    };
    vec![
        Perfdata::count("tables", t.tables),
        Perfdata::count("drifted", t.drifted).thresholds(th.warning.as_ref(), th.critical.as_ref()),
        Perfdata::count("missing_on_replica", t.missing_on_replica),
        Perfdata::count("missing_on_primary", t.missing_on_primary),
        Perfdata::count("max_row_diff", t.max_row_diff)
            .thresholds(th.warning_rows.as_ref(), th.critical_rows.as_ref()),
        Perfdata::count("rows_primary", o.comparison.rows_primary),
        Perfdata::count("rows_replica", o.comparison.rows_replica),
        Perfdata::count("unverified", t.unverified),
        Perfdata::count("unreadable", t.unreadable),
        Perfdata::count("rechecks", o.comparison.rechecks),
        ahead,
        Perfdata::seconds("time", o.elapsed.as_secs_f64()),
    ]
}

/// How the verdicts were reached, notes, and what `-v` and `-vv` add.
fn details(o: &Outcome, cfg: &Config) -> Vec<String> {
    let mut lines = vec![how_reached(o)];
    lines.extend(cfg.notes.iter().cloned());
    if cfg.verbosity >= 1 {
        lines.push(format!(
            "{} round(s), {} table re-check(s), {} snapshot pair(s) opened to find ones at one \
             position; {}",
            o.rounds,
            o.comparison.rechecks,
            o.align_tries,
            positions(o)
        ));
    }
    if cfg.verbosity >= 2 {
        lines.push(format!(
            "{}, {}, user {}, {} connection(s) per server, timeout {}s, tls {}",
            cfg.primary,
            cfg.replica,
            cfg.user,
            cfg.connections,
            cfg.timeout.as_secs_f64(),
            if cfg.tls.is_some() { "on" } else { "off" }
        ));
    }
    lines
}

/// `-vvv`: every match and how it was reached.
fn matches(o: &Outcome, cfg: &Config) -> Vec<String> {
    if cfg.verbosity < 3 {
        return Vec::new();
    }
    o.comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Match(how) => Some(format!("{k}: match, {}", how_words(*how))),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_differences() {
        let c = |primary, replica| Counts { primary, replica };
        assert_eq!(signed(&c(1007, 1014)), "+7");
        assert_eq!(signed(&c(10, 3)), "-7");
        assert_eq!(signed(&c(0, 0)), "+0");
    }

    #[test]
    fn a_failure_carries_every_figure_as_null() {
        let r = Report::failure(State::Critical, "cannot connect to primary a:1: refused");
        let json: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(json["state"], "CRITICAL");
        assert_eq!(json["code"], 2);
        for field in ["tables", "drifted", "unverified", "replica_ahead", "time"] {
            assert!(json[field].is_null(), "{field}: {json}");
        }
        assert_eq!(json["findings"], serde_json::json!([]));
        assert_eq!(
            r.number(),
            "DRIFT CRITICAL - cannot connect to primary a:1: refused\n"
        );
    }
}
