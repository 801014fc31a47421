//! One report value per run, built from the outcome or from a failure,
//! and rendered from that one value: the plugin text, JSON, or a number.

use crate::cli::OutputFormat;
use crate::compare::{Outcome, ReplicaOutcome, Verdict};
use crate::config::{Config, Server};
use crate::consistency::{How, Placement};
use crate::content::ContentReading;
use crate::model::{Counts, Key, Role};
use crate::plugin::{Failure, Output, Perfdata, State, LABEL};
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
    /// `--checksum`: tables whose content was compared at one position.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_compared: Option<u64>,
    /// `--state-file`: seconds since the least recently verified content.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_oldest_age: Option<u64>,
    time: Option<f64>,
}

/// One finding: a table (or a database) that does not match.
#[derive(Debug, Serialize)]
struct Finding {
    database: String,
    table: Option<String>,
    finding: String,
    /// Where the content differs (`--checksum`): every differing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<ContentReading>,
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

/// One replica's part of the report: its verdicts and figures, or why it
/// has none.
#[derive(Debug, Serialize)]
struct Part {
    replica: String,
    state: State,
    code: i32,
    summary: String,
    #[serde(flatten)]
    figures: Figures,
    positions: Vec<String>,
    findings: Vec<Finding>,
    /// The summary without the positions (the status line of several
    /// replicas names each one's findings only).
    #[serde(skip)]
    core: String,
    #[serde(skip)]
    label: String,
    #[serde(skip)]
    perfdata: Vec<Perfdata>,
    /// How the verdicts were reached: the honesty line of every answer.
    #[serde(skip)]
    how: Option<String>,
    /// `-v`: rounds, re-checks and positions.
    #[serde(skip)]
    verbose: Option<String>,
    /// `-vvv`: every match.
    #[serde(skip)]
    matches: Vec<String>,
    /// A verdict on every table asked about.
    #[serde(skip)]
    complete: bool,
}

impl Part {
    fn compared(found: &ReplicaOutcome, server: &Server, o: &Outcome, cfg: &Config) -> Part {
        let t = tally(found);
        let state = state(&t, cfg, found.content_age);
        let mut core = core_summary(found, &t);
        if let Some(age) = found.content_age.filter(|&a| age_alerts(cfg, a)) {
            core.push_str(&format!(", the oldest content verification is {age}s old"));
        }
        Part {
            replica: server.address(),
            state,
            code: state.code(),
            summary: format!("{core}, {}", positions(found, o.placement.positioned())),
            figures: figures(found, &t, o, cfg.checksum.is_some()),
            positions: found.positions.iter().map(|p| p.list()).collect(),
            findings: findings(found, o.placement.positioned(), cfg.verbosity),
            core,
            label: server.label(),
            perfdata: perfdata(found, &t, cfg),
            how: Some(how_reached(found, o.placement == Placement::Bracketed)),
            verbose: (cfg.verbosity >= 1).then(|| progress(found, o)),
            matches: matches(found, cfg),
            complete: t.unverified == 0 && t.unreadable == 0 && !nothing_compared(&t),
        }
    }

    /// A replica that left the run: its state and why.
    fn failed(failure: &Failure, server: &Server) -> Part {
        Part {
            replica: server.address(),
            state: failure.state,
            code: failure.state.code(),
            summary: failure.message.clone(),
            figures: Figures::default(),
            positions: Vec::new(),
            findings: Vec::new(),
            core: failure.message.clone(),
            label: server.label(),
            perfdata: Vec::new(),
            how: None,
            verbose: None,
            matches: Vec::new(),
            complete: false,
        }
    }

    /// Its long output before the findings.
    fn details(&self) -> impl Iterator<Item = &String> {
        self.how.iter().chain(&self.verbose)
    }
}

#[derive(Debug)]
pub(crate) struct Report {
    state: State,
    summary: String,
    /// Per replica, in the order given (none: no comparison at all).
    parts: Vec<Part>,
    time: Option<f64>,
    /// What the operator should know about the settings.
    notes: Vec<String>,
    /// `-vv`: the configuration.
    configuration: Option<String>,
}

/// JSON with one replica (or none): its figures, positions and findings
/// at the top, as before several replicas could be given; and `replicas`.
#[derive(Serialize)]
struct Flat<'a> {
    state: State,
    code: i32,
    summary: &'a str,
    #[serde(flatten)]
    figures: &'a Figures,
    positions: &'a [String],
    findings: &'a [Finding],
    replicas: &'a [Part],
}

/// JSON with several replicas: the state of the whole, the differing
/// tables of all (as `--output number`), and one object per replica.
#[derive(Serialize)]
struct Several<'a> {
    state: State,
    code: i32,
    summary: &'a str,
    drifted: Option<u64>,
    time: Option<f64>,
    replicas: &'a [Part],
}

impl Report {
    pub(crate) fn from_outcome(o: &Outcome, cfg: &Config) -> Report {
        let parts: Vec<Part> = o
            .replicas
            .iter()
            .zip(&cfg.replicas)
            .map(|(found, server)| match found {
                Ok(found) => Part::compared(found, server, o, cfg),
                Err(failure) => Part::failed(failure, server),
            })
            .collect();
        let state = parts.iter().fold(State::Ok, |s, p| s.merge(p.state));
        Report {
            state,
            summary: status_summary(&parts),
            parts,
            time: Some(round_ms(o.elapsed.as_secs_f64())),
            notes: cfg.notes.clone(),
            configuration: (cfg.verbosity >= 2).then(|| configuration(cfg, o)),
        }
    }

    /// No comparison: the state and why, every figure null.
    pub(crate) fn failure(state: State, message: &str) -> Report {
        Report {
            state,
            summary: message.to_string(),
            parts: Vec::new(),
            time: None,
            notes: Vec::new(),
            configuration: None,
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
        let output = match self.parts.as_slice() {
            [one] => Output {
                state: self.state,
                summary: self.summary.clone(),
                perfdata: self.with_time(one.perfdata.clone()),
                long: self.one_replica_lines(one),
            },
            _ => Output {
                state: self.state,
                summary: self.summary.clone(),
                perfdata: self.several_perfdata(),
                long: self.several_lines(),
            },
        };
        output.render()
    }

    /// One replica's long output, as before several replicas could be
    /// given: how the verdicts were reached, notes, `-v`, `-vv`, findings,
    /// matches.
    fn one_replica_lines(&self, part: &Part) -> Vec<String> {
        let lines = part.how.iter().chain(&self.notes).chain(&part.verbose);
        let lines = lines.chain(&self.configuration).cloned();
        let findings = part.findings.iter().map(|f| f.finding.clone());
        lines
            .chain(findings)
            .chain(part.matches.iter().cloned())
            .collect()
    }

    /// Each replica's figures under its label, then the run's time.
    fn several_perfdata(&self) -> Vec<Perfdata> {
        let all = self
            .parts
            .iter()
            .flat_map(|p| p.perfdata.iter().map(|d| d.clone().of(&p.label)));
        self.with_time(all.collect())
    }

    /// `figures`, then the run's time (none without figures: one replica
    /// that has none, like a run that reached no comparison).
    fn with_time(&self, mut figures: Vec<Perfdata>) -> Vec<Perfdata> {
        if figures.is_empty() && self.parts.len() == 1 {
            return figures;
        }
        figures.extend(self.time.map(|t| Perfdata::seconds("time", t)));
        figures
    }

    /// A line per replica (its state and summary) first, so that the cap
    /// never drops one; the run's details; then each replica's details,
    /// findings and matches, each line led by the replica's name.
    fn several_lines(&self) -> Vec<String> {
        let ordered = worst_first(&self.parts);
        let mut lines: Vec<String> = ordered
            .iter()
            .map(|p| format!("{}: {} - {}", p.replica, p.state, p.summary))
            .collect();
        lines.extend(self.notes.iter().chain(&self.configuration).cloned());
        let of = |p: &Part, text: &str| format!("{}: {text}", p.replica);
        for p in &ordered {
            lines.extend(p.details().map(|d| of(p, d)));
            lines.extend(p.findings.iter().map(|f| of(p, &f.finding)));
        }
        for p in &ordered {
            lines.extend(p.matches.iter().map(|m| of(p, m)));
        }
        lines
    }

    fn json(&self) -> String {
        let text = match self.parts.as_slice() {
            [_, _, ..] => serde_json::to_string(&Several {
                state: self.state,
                code: self.state.code(),
                summary: &self.summary,
                drifted: self.drifted(),
                time: self.time,
                replicas: &self.parts,
            }),
            parts => {
                let none = Figures::default();
                let one = parts.first();
                serde_json::to_string(&Flat {
                    state: self.state,
                    code: self.state.code(),
                    summary: &self.summary,
                    figures: one.map_or(&none, |p| &p.figures),
                    positions: one.map_or(&[], |p| &p.positions),
                    findings: one.map_or(&[], |p| &p.findings),
                    replicas: parts,
                })
            }
        };
        // Strings, integers and a rounded time: nothing that JSON cannot hold.
        let mut text = text.expect("a report is always JSON");
        text.push('\n');
        text
    }

    /// The differing tables of every replica; `None` unless every replica
    /// has a verdict on every table.
    fn drifted(&self) -> Option<u64> {
        let complete = !self.parts.is_empty() && self.parts.iter().all(|p| p.complete);
        complete.then(|| self.parts.iter().filter_map(|p| p.figures.drifted).sum())
    }

    /// The number of differing tables (of all replicas), for a numeric
    /// Zabbix item; without a verdict on every table, the status line
    /// instead: the item then becomes unsupported and shows why, rather
    /// than a healthy-looking 0.
    fn number(&self) -> String {
        match self.drifted() {
            Some(n) => format!("{n}\n"),
            None => format!("{LABEL} {} - {}\n", self.state, self.summary),
        }
    }
}

/// One replica: its summary with positions; with several, each replica's
/// findings in a few words, worst first (a failed replica's message names
/// it already).
fn status_summary(parts: &[Part]) -> String {
    match parts {
        [one] => one.summary.clone(),
        _ => worst_first(parts)
            .iter()
            .map(|p| match p.figures.tables {
                Some(_) => format!("{}: {}", p.replica, p.core),
                None => p.core.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The worst state first; the order given among equals.
fn worst_first(parts: &[Part]) -> Vec<&Part> {
    let mut ordered: Vec<&Part> = parts.iter().collect();
    ordered.sort_by_key(|p| std::cmp::Reverse(p.state.severity()));
    ordered
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
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

fn tally(found: &ReplicaOutcome) -> Tally {
    let mut t = Tally::default();
    for (key, v) in &found.comparison.verdicts {
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

fn figures(found: &ReplicaOutcome, t: &Tally, o: &Outcome, content: bool) -> Figures {
    Figures {
        tables: Some(t.tables),
        drifted: Some(t.drifted),
        missing_on_replica: Some(t.missing_on_replica),
        missing_on_primary: Some(t.missing_on_primary),
        max_row_diff: Some(t.max_row_diff),
        rows_primary: Some(found.comparison.rows_primary),
        rows_replica: Some(found.comparison.rows_replica),
        unverified: Some(t.unverified),
        unreadable: Some(t.unreadable),
        rechecks: Some(found.comparison.rechecks),
        replica_ahead: found.replica_ahead,
        content_compared: content.then_some(found.comparison.content_checked.len() as u64),
        content_oldest_age: found.content_age,
        time: Some(round_ms(o.elapsed.as_secs_f64())),
    }
}

fn findings(found: &ReplicaOutcome, positioned: bool, verbosity: u8) -> Vec<Finding> {
    found
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| {
            let content = match v {
                Verdict::Drift { content, .. } => content.clone(),
                _ => None,
            };
            Some(Finding {
                database: k.db().to_string(),
                table: k.table_name().map(str::to_string),
                finding: finding(k, v, positioned, verbosity)?,
                content,
            })
        })
        .collect()
}

/// What a content difference adds to a finding: how it was seen, and
/// where (the differing key values themselves with `-vvv`).
fn content_words(c: &ContentReading, verbosity: u8) -> String {
    let mut line = format!("content differs ({})", c.method);
    let Some(l) = &c.located else {
        return line;
    };
    if l.no_key {
        line.push_str("; no primary or NOT NULL unique key: compared whole, not located");
        return line;
    }
    if !l.ranges.is_empty() {
        let shown: Vec<&str> = l.ranges.iter().take(3).map(String::as_str).collect();
        let more = if l.ranges.len() > 3 { ", ..." } else { "" };
        line.push_str(&format!(
            "; {} key range(s): {}{more}",
            l.ranges.len(),
            shown.join("; ")
        ));
    }
    match (l.keys_found, verbosity >= 3) {
        (0, _) => {}
        (n, false) => line.push_str(&format!("; {n} differing key value(s) (-vvv lists them)")),
        (n, true) => {
            let more = if n > l.keys.len() { ", ..." } else { "" };
            line.push_str(&format!(
                "; {n} differing key value(s): {}{more}",
                l.keys.join("; ")
            ));
        }
    }
    line
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
fn finding(key: &Key, v: &Verdict, positioned: bool, verbosity: u8) -> Option<String> {
    Some(match v {
        Verdict::Match(_) => return None,
        Verdict::Drift {
            counts,
            at,
            content,
            ..
        } => {
            let at = at.as_ref().map_or_else(
                || "read at one replication position".to_string(),
                |p| format!("verified at GTID {p}"),
            );
            let rows = match counts.primary == counts.replica {
                true => format!("{} rows on both", counts.primary),
                false => format!(
                    "primary {}, replica {} ({})",
                    counts.primary,
                    counts.replica,
                    signed(counts)
                ),
            };
            let content = content.as_ref().map_or_else(String::new, |c| {
                format!(", {}", content_words(c, verbosity))
            });
            format!("{key}: {rows}{content}, {at}")
        }
        Verdict::Missing { on } => format!("{key}: missing on the {}", on.name()),
        Verdict::Unverified { last } => {
            let why = if positioned {
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

fn positions(found: &ReplicaOutcome, positioned: bool) -> String {
    match found.positions.as_slice() {
        _ if !positioned => {
            "counts read without comparable replication positions (no GTID wait possible)".into()
        }
        [] => "no pair of snapshots at one replication position".into(),
        [p] => format!("both at GTID {p}"),
        [first, .., last] => format!(
            "both at {} replication positions, GTID {first} to {last}",
            found.positions.len()
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
fn how_reached(found: &ReplicaOutcome, bracketed: bool) -> String {
    let mut n = [0u64; 2];
    for v in found.comparison.verdicts.values() {
        if let Verdict::Match(h) | Verdict::Drift { how: h, .. } = v {
            n[*h as usize] += 1;
        }
    }
    let parts: Vec<String> = [How::SamePoint, How::Unpositioned]
        .into_iter()
        .filter(|h| n[*h as usize] > 0)
        .map(|h| format!("{} {}", n[h as usize], how_words(h)))
        .collect();
    let mut line = match parts.is_empty() {
        true => "verdicts: none reached".to_string(),
        false => format!("verdicts: {}", parts.join(", ")),
    };
    if bracketed {
        line.push_str("; MySQL: positions read around the snapshots, not inside them");
    }
    line
}

fn state(f: &Tally, cfg: &Config, content_age: Option<u64>) -> State {
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
    if let Some(age) = content_age {
        state = state
            .merge(check(&t.warning_age, age, State::Warning))
            .merge(check(&t.critical_age, age, State::Critical));
    }
    if f.unverified > 0 {
        state = state.merge(cfg.unverified);
    }
    if f.unreadable > 0 || nothing_compared(f) {
        state = state.merge(State::Unknown);
    }
    state
}

/// The age of the oldest content verification passes a threshold.
fn age_alerts(cfg: &Config, age: u64) -> bool {
    let t = &cfg.thresholds;
    [&t.warning_age, &t.critical_age]
        .into_iter()
        .flatten()
        .any(|r| r.alerts(age as f64))
}

/// A check that checked nothing (filters with a typo) must not say OK.
fn nothing_compared(f: &Tally) -> bool {
    f.tables == 0 && f.drifted == 0
}

/// What differs (the first three), or how many tables match; then what
/// has no verdict.
fn core_summary(found: &ReplicaOutcome, t: &Tally) -> String {
    let mut summary = if t.drifted > 0 {
        differing(found, t)
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
    summary
}

fn differing(found: &ReplicaOutcome, t: &Tally) -> String {
    let names: Vec<String> = found
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Drift { counts, .. } if counts.primary == counts.replica => {
                Some(format!("{k} content"))
            }
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

/// One replica's perfdata (the run's time is the report's).
fn perfdata(found: &ReplicaOutcome, t: &Tally, cfg: &Config) -> Vec<Perfdata> {
    let th = &cfg.thresholds;
    let ahead = match found.replica_ahead {
        Some(n) => Perfdata::count("replica_ahead", n),
        None => Perfdata::count("replica_ahead", 0).unknown(),
    };
    let mut out = vec![
        Perfdata::count("tables", t.tables),
        Perfdata::count("drifted", t.drifted).thresholds(th.warning.as_ref(), th.critical.as_ref()),
        Perfdata::count("missing_on_replica", t.missing_on_replica),
        Perfdata::count("missing_on_primary", t.missing_on_primary),
        Perfdata::count("max_row_diff", t.max_row_diff)
            .thresholds(th.warning_rows.as_ref(), th.critical_rows.as_ref()),
        Perfdata::count("rows_primary", found.comparison.rows_primary),
        Perfdata::count("rows_replica", found.comparison.rows_replica),
        Perfdata::count("unverified", t.unverified),
        Perfdata::count("unreadable", t.unreadable),
        Perfdata::count("rechecks", found.comparison.rechecks),
        ahead,
    ];
    if cfg.checksum.is_some() {
        let compared = found.comparison.content_checked.len() as u64;
        let share = match t.tables {
            0 => 0.0,
            n => (compared as f64 * 1000.0 / n as f64).floor() / 10.0,
        };
        out.push(Perfdata::count("content_compared", compared));
        out.push(Perfdata::percent("content_coverage", share));
    }
    if let Some(age) = found.content_age {
        out.push(
            Perfdata::seconds("content_oldest_age", age as f64)
                .thresholds(th.warning_age.as_ref(), th.critical_age.as_ref()),
        );
    }
    out
}

/// `-v`: how the run went for one replica.
fn progress(found: &ReplicaOutcome, o: &Outcome) -> String {
    format!(
        "{} round(s), {} table re-check(s), {} snapshot set(s) opened to find ones at one \
         position; {}",
        o.rounds,
        found.comparison.rechecks,
        o.align_tries,
        positions(found, o.placement.positioned())
    )
}

/// `-vv`: the configuration, and what each server is.
fn configuration(cfg: &Config, o: &Outcome) -> String {
    format!(
        "{}; user {}, {} connection(s) per server, timeout {}s, tls {}",
        o.versions.join(", "),
        cfg.user,
        cfg.connections,
        cfg.timeout.as_secs_f64(),
        if cfg.tls.is_some() { "on" } else { "off" }
    )
}

/// `-vvv`: every match and how it was reached.
fn matches(found: &ReplicaOutcome, cfg: &Config) -> Vec<String> {
    if cfg.verbosity < 3 {
        return Vec::new();
    }
    found
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Match(how) => {
                let content = match found.comparison.content_checked.contains(k) {
                    true => ", content included",
                    false => "",
                };
                Some(format!("{k}: match, {}{content}", how_words(*how)))
            }
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
