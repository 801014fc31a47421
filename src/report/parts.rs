//! The report value: per replica its state, figures, wording and
//! findings, from which every rendering is made.

use super::evaluate::{age_alerts, definition_state, nothing_compared, state, tally};
use super::figures::{figures, perfdata, round_ms, Figures};
use super::wording::{
    configuration, core_summary, definition_words, finding, how_reached, matches, positions,
    progress, rotation_words, Confirmed, KeyWords,
};
use crate::config::{Config, Server, Verbosity};
use crate::consistency::Placement;
use crate::model::{Forensic, RangeDiff};
use crate::outcome::{Outcome, ReplicaOutcome};
use crate::plugin::{Failure, Perfdata, State};
use crate::rowhash::ContentReading;
use crate::verdict::Verdict;
use serde::Serialize;

/// One finding: a table (or a database) that does not match.
#[derive(Debug, Serialize)]
pub(super) struct Finding {
    database: String,
    table: Option<String>,
    pub(super) finding: String,
    /// Where the content differs (`--checksum`): every differing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<ContentReading>,
    /// How the table's definition differs, one difference each.
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<Vec<String>>,
    /// Counted in key ranges: the ranges whose counts differ, and the key
    /// values on one side only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<RangeDiff>,
}

/// One replica's part of the report: its verdicts and figures, or why it
/// has none.
#[derive(Debug)]
pub(super) struct Part {
    pub(super) replica: String,
    pub(super) state: State,
    pub(super) summary: String,
    pub(super) figures: Figures,
    pub(super) positions: Vec<String>,
    /// In JSON: with the differing key values as data.
    pub(super) findings: Vec<Finding>,
    /// The findings as the long output words them.
    pub(super) finding_lines: Vec<String>,
    /// The summary without the positions (the status line of several
    /// replicas names each one's findings only).
    pub(super) core: String,
    pub(super) label: String,
    pub(super) perfdata: Vec<Perfdata>,
    /// How the verdicts were reached: the honesty line of every answer.
    pub(super) how: Option<String>,
    /// `-v`: rounds, re-checks and positions.
    pub(super) verbose: Option<String>,
    /// `-vvv`: every match.
    pub(super) matches: Vec<String>,
    /// A verdict on every table asked about.
    pub(super) complete: bool,
    /// The tables whose counts differ, for per-table metrics.
    pub(super) row_differences: Vec<RowDifference>,
    /// What was kept of each difference at one position.
    pub(super) forensics: Vec<Forensic>,
}

/// A table whose counts differ on one replica.
#[derive(Debug)]
pub(super) struct RowDifference {
    pub(super) database: String,
    pub(super) table: String,
    /// Rows on the replica minus rows on the primary.
    pub(super) difference: i128,
}

impl Part {
    fn compared(found: &ReplicaOutcome, server: &Server, o: &Outcome, cfg: &Config) -> Part {
        let t = tally(found);
        let oldest = found.content_age.max(found.pass_age);
        let state = state(&t, &cfg.thresholds, cfg.unverified, oldest)
            .merge(definition_state(&t, cfg.definition_drift));
        let mut core = core_summary(found, &t);
        core.push_str(&rotation_words(found));
        if let Some(age) = found
            .content_age
            .filter(|&a| age_alerts(&cfg.thresholds, a))
        {
            core.push_str(&format!(", the oldest content verification is {age}s old"));
        }
        if let Some(age) = found.pass_age.filter(|&a| age_alerts(&cfg.thresholds, a)) {
            core.push_str(&format!(
                ", the oldest complete pass over a big table is {age}s old"
            ));
        }
        Part {
            replica: server.address(),
            state,
            summary: format!("{core}, {}", positions(found, o.placement.positioned())),
            figures: figures(found, &t, o, cfg.checksum.is_some()),
            positions: found.positions.iter().map(|p| p.list()).collect(),
            findings: findings(found, o.placement.positioned(), KeyWords::Counted),
            finding_lines: findings(found, o.placement.positioned(), KeyWords::of(cfg.verbosity))
                .into_iter()
                .map(|f| f.finding)
                .collect(),
            core,
            label: server.label(),
            perfdata: perfdata(found, &t, cfg),
            how: Some(how_reached(found, o.placement == Placement::Bracketed)),
            verbose: (cfg.verbosity >= Verbosity::Progress).then(|| progress(found, o)),
            matches: matches(found, cfg),
            complete: t.unverified == 0 && t.unreadable == 0 && !nothing_compared(&t),
            row_differences: row_differences(found),
            forensics: found.comparison.forensics.clone(),
        }
    }

    /// A replica that left the run: its state and why.
    fn failed(failure: &Failure, server: &Server) -> Part {
        Part {
            replica: server.address(),
            state: failure.state,
            summary: failure.message.clone(),
            figures: Figures::default(),
            positions: Vec::new(),
            findings: Vec::new(),
            finding_lines: Vec::new(),
            core: failure.message.clone(),
            label: server.label(),
            perfdata: Vec::new(),
            how: None,
            verbose: None,
            matches: Vec::new(),
            complete: false,
            row_differences: Vec::new(),
            forensics: Vec::new(),
        }
    }

    /// Its long output before the findings.
    pub(super) fn details(&self) -> impl Iterator<Item = &String> {
        self.how.iter().chain(&self.verbose)
    }
}

#[derive(Debug)]
pub(crate) struct Report {
    pub(super) state: State,
    pub(super) summary: String,
    /// Per replica, in the order given (none: no comparison at all).
    pub(super) parts: Vec<Part>,
    pub(super) time: Option<f64>,
    /// What the operator should know about the settings.
    pub(super) notes: Vec<String>,
    /// `-vv`: the configuration.
    pub(super) configuration: Option<String>,
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
            configuration: (cfg.verbosity >= Verbosity::Configuration)
                .then(|| configuration(cfg, o)),
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

    /// The differing tables of every replica; `None` unless every replica
    /// has a verdict on every table.
    pub(super) fn drifted(&self) -> Option<u64> {
        let complete = !self.parts.is_empty() && self.parts.iter().all(|p| p.complete);
        complete.then(|| self.parts.iter().filter_map(|p| p.figures.drifted).sum())
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
pub(super) fn worst_first(parts: &[Part]) -> Vec<&Part> {
    let mut ordered: Vec<&Part> = parts.iter().collect();
    ordered.sort_by_key(|p| std::cmp::Reverse(p.state.severity()));
    ordered
}

fn findings(found: &ReplicaOutcome, positioned: bool, keys: KeyWords) -> Vec<Finding> {
    let c = &found.comparison;
    let verdicts = c.verdicts.iter().filter_map(|(k, v)| {
        let (content, ranges) = match v {
            Verdict::Drift(d) => (d.content.as_deref().cloned(), d.ranges.clone()),
            _ => (None, Vec::new()),
        };
        Some(Finding {
            database: k.db().to_string(),
            table: k.table_name().map(str::to_string),
            finding: finding(k, v, positioned, keys)?,
            content,
            definition: None,
            ranges,
        })
    });
    let confirmed = c.definitions.iter().map(|(k, d)| (k, d, Confirmed::Twice));
    let once = c
        .definitions_unconfirmed
        .iter()
        .map(|(k, d)| (k, d, Confirmed::Once));
    let definitions = confirmed.chain(once).map(|(k, diffs, seen)| Finding {
        database: k.db().to_string(),
        table: k.table_name().map(str::to_string),
        finding: definition_words(k, diffs, seen),
        content: None,
        definition: Some(diffs.iter().map(ToString::to_string).collect()),
        ranges: Vec::new(),
    });
    verdicts.chain(definitions).collect()
}

/// The tables of `found` whose counts differ at one position.
fn row_differences(found: &ReplicaOutcome) -> Vec<RowDifference> {
    found
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Drift(d) if d.counts.primary != d.counts.replica => Some(RowDifference {
                database: k.db().to_string(),
                table: k.table_name()?.to_string(),
                difference: i128::from(d.counts.replica) - i128::from(d.counts.primary),
            }),
            _ => None,
        })
        .collect()
}
