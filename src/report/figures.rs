//! The run's figures, as JSON and perfdata carry them.

use super::evaluate::Tally;
use crate::config::Config;
use crate::outcome::{Outcome, ReplicaOutcome};
use crate::plugin::Perfdata;
use serde::Serialize;

/// The run's figures as JSON and perfdata carry them: `None` (null) when
/// the run reached no comparison.
#[derive(Debug, Default, Serialize)]
pub(super) struct Figures {
    pub(super) tables: Option<u64>,
    pub(super) drifted: Option<u64>,
    pub(super) missing_on_replica: Option<u64>,
    pub(super) missing_on_primary: Option<u64>,
    pub(super) max_row_diff: Option<u64>,
    pub(super) rows_primary: Option<u64>,
    pub(super) rows_replica: Option<u64>,
    pub(super) unverified: Option<u64>,
    pub(super) unreadable: Option<u64>,
    pub(super) rechecks: Option<u64>,
    pub(super) replica_ahead: Option<u64>,
    /// Tables defined differently on the replica (two listings agreeing).
    pub(super) definitions_differ: Option<u64>,
    /// `--checksum`: tables whose content was compared at one position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) content_compared: Option<u64>,
    /// `--state-file`: seconds since the least recently verified content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) content_oldest_age: Option<u64>,
    /// `--state-file`: seconds since the oldest complete pass over a big
    /// table (or since it was first listed, when it never had one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) pass_oldest_age: Option<u64>,
    pub(super) time: Option<f64>,
}

pub(super) fn figures(found: &ReplicaOutcome, t: &Tally, o: &Outcome, content: bool) -> Figures {
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
        definitions_differ: Some(t.definitions_differ()),
        content_compared: content.then_some(found.comparison.content_checked.len() as u64),
        content_oldest_age: found.content_age,
        pass_oldest_age: found.pass_age,
        time: Some(round_ms(o.elapsed.as_secs_f64())),
    }
}

/// One replica's perfdata (the run's time is the report's).
pub(super) fn perfdata(found: &ReplicaOutcome, t: &Tally, cfg: &Config) -> Vec<Perfdata> {
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
        Perfdata::count("definitions_differ", t.definitions_differ()),
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
    let ages = [
        ("content_oldest_age", found.content_age),
        ("pass_oldest_age", found.pass_age),
    ];
    for (label, age) in ages.iter().filter_map(|(l, a)| Some((l, (*a)?))) {
        out.push(
            Perfdata::seconds(*label, age as f64)
                .thresholds(th.warning_age.as_ref(), th.critical_age.as_ref()),
        );
    }
    out
}

/// Seconds to the millisecond.
pub(super) fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}
