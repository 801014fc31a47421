//! Deciding a replica's state from its verdicts and the thresholds: pure,
//! whatever the rendering.

use crate::cli::DefinitionDrift;
use crate::config::Thresholds;
use crate::model::{Difference, Role, Severity};
use crate::outcome::ReplicaOutcome;
use crate::plugin::{Range, State};
use crate::verdict::Verdict;

/// Counts of verdicts, from which the state and the figures come.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) tables: u64,
    pub(super) drifted: u64,
    pub(super) missing_on_replica: u64,
    pub(super) missing_on_primary: u64,
    /// Databases present on one side only (also in `drifted`).
    pub(super) databases_one_sided: u64,
    pub(super) max_row_diff: u64,
    pub(super) unverified: u64,
    pub(super) unreadable: u64,
    /// Matches whose content was asked for, of tables snapshots do not
    /// cover.
    pub(super) counts_only: u64,
    /// Tables defined differently, by the worst of their differences.
    pub(super) definitions_breaking: u64,
    pub(super) definitions_coping: u64,
    /// Seen differing in one listing, not confirmed in time.
    pub(super) definitions_unconfirmed: u64,
}

impl Tally {
    /// Tables defined differently, confirmed.
    pub(super) fn definitions_differ(&self) -> u64 {
        self.definitions_breaking + self.definitions_coping
    }
}

pub(super) fn tally(found: &ReplicaOutcome) -> Tally {
    let mut t = Tally::default();
    for (key, v) in &found.comparison.verdicts {
        t.tables += u64::from(!key.is_database());
        match v {
            Verdict::Match(_) => {
                t.counts_only += u64::from(found.comparison.counts_only.contains(key));
            }
            Verdict::Drift(d) => {
                t.drifted += 1;
                let diff = d.counts.primary.abs_diff(d.counts.replica);
                t.max_row_diff = t.max_row_diff.max(diff);
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
    for diffs in found.comparison.definitions.values() {
        match diffs.iter().map(Difference::severity).max() {
            Some(Severity::Breaks) => t.definitions_breaking += 1,
            _ => t.definitions_coping += 1,
        }
    }
    t.definitions_unconfirmed = found.comparison.definitions_unconfirmed.len() as u64;
    t
}

/// The state that tables defined differently call for, by `--definition-drift`.
pub(super) fn definition_state(t: &Tally, map: DefinitionDrift) -> State {
    let (breaking, coping) = match map {
        DefinitionDrift::Replication => (State::Critical, State::Warning),
        DefinitionDrift::Warning => (State::Warning, State::Warning),
        DefinitionDrift::Critical => (State::Critical, State::Critical),
    };
    let mut state = State::Ok;
    if t.definitions_breaking > 0 {
        state = state.merge(breaking);
    }
    if t.definitions_coping > 0 {
        state = state.merge(coping);
    }
    if t.definitions_unconfirmed > 0 {
        state = state.merge(State::Unknown);
    }
    state
}

/// The state of one replica: the worst of what the thresholds, the
/// unverified tables (as `--unverified` maps them) and the unreadable ones
/// call for.
pub(super) fn state(
    f: &Tally,
    t: &Thresholds,
    unverified: State,
    content_age: Option<u64>,
) -> State {
    let check = |range: &Option<Range>, v: u64, s: State| {
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
        state = state.merge(unverified);
    }
    if f.unreadable > 0 || nothing_compared(f) {
        state = state.merge(State::Unknown);
    }
    state
}

/// The age of the oldest content verification passes a threshold.
pub(super) fn age_alerts(t: &Thresholds, age: u64) -> bool {
    [&t.warning_age, &t.critical_age]
        .into_iter()
        .flatten()
        .any(|r| r.alerts(age as f64))
}

/// A check that checked nothing (filters with a typo) must not say OK.
pub(super) fn nothing_compared(f: &Tally) -> bool {
    f.tables == 0 && f.drifted == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Comparison;
    use crate::consistency::How;
    use crate::model::{Counts, Key};
    use crate::plugin::Range;
    use crate::verdict::{Drifted, Unsettled};

    /// A replica's outcome of tables `t0`, `t1`... with these verdicts.
    fn outcome(verdicts: Vec<Verdict>) -> ReplicaOutcome {
        let mut comparison = Comparison::default();
        for (i, v) in verdicts.into_iter().enumerate() {
            comparison
                .verdicts
                .insert(Key::table("d".into(), format!("t{i}")), v);
        }
        ReplicaOutcome {
            comparison,
            ..ReplicaOutcome::default()
        }
    }

    fn drift(primary: u64, replica: u64) -> Verdict {
        Verdict::Drift(Box::new(Drifted {
            counts: Counts { primary, replica },
            how: How::SamePoint,
            at: None,
            content: None,
            ranges: Vec::new(),
        }))
    }

    fn range(text: &str) -> Option<Range> {
        Some(Range::parse(text).unwrap())
    }

    /// `-c 0` and no other threshold, as the plugin's defaults.
    fn defaults() -> Thresholds {
        Thresholds {
            warning: None,
            critical: range("0"),
            warning_rows: None,
            critical_rows: None,
            warning_age: None,
            critical_age: None,
        }
    }

    const MATCH: Verdict = Verdict::Match(How::SamePoint);

    #[test]
    fn the_tally_counts_each_kind_of_verdict() {
        let found = outcome(vec![
            MATCH,
            drift(10, 7),
            drift(5, 6),
            Verdict::Missing { on: Role::Replica },
            Verdict::Unverified {
                last: None,
                why: Unsettled::NoPosition,
            },
        ]);
        let t = tally(&found);
        assert_eq!((t.tables, t.drifted, t.max_row_diff), (5, 3, 3));
        assert_eq!((t.missing_on_replica, t.missing_on_primary), (1, 0));
        assert_eq!((t.unverified, t.unreadable), (1, 0));
    }

    #[test]
    fn drift_past_the_threshold_is_critical_and_within_it_ok() {
        let th = defaults();
        let s = |v| state(&tally(&outcome(v)), &th, State::Unknown, None);
        assert_eq!(s(vec![MATCH, MATCH]), State::Ok);
        assert_eq!(s(vec![MATCH, drift(3, 2)]), State::Critical);
        let lenient = Thresholds {
            critical: range("1"),
            warning: range("0"),
            ..defaults()
        };
        let found = outcome(vec![MATCH, drift(3, 2)]);
        assert_eq!(
            state(&tally(&found), &lenient, State::Unknown, None),
            State::Warning
        );
    }

    /// Unverified tables take the state `--unverified` gives them; an
    /// unreadable one, or nothing compared at all, is never OK.
    #[test]
    fn what_has_no_verdict_is_never_ok() {
        let th = defaults();
        let unverified = tally(&outcome(vec![
            MATCH,
            Verdict::Unverified {
                last: None,
                why: Unsettled::NoPosition,
            },
        ]));
        assert_eq!(
            state(&unverified, &th, State::Unknown, None),
            State::Unknown
        );
        assert_eq!(
            state(&unverified, &th, State::Warning, None),
            State::Warning
        );
        let unreadable = Verdict::Unreadable {
            side: Role::Replica,
            error: "discarded".into(),
        };
        let t = tally(&outcome(vec![MATCH, unreadable]));
        assert_eq!(state(&t, &th, State::Ok, None), State::Unknown);
        let nothing = tally(&outcome(Vec::new()));
        assert!(nothing_compared(&nothing));
        assert_eq!(state(&nothing, &th, State::Ok, None), State::Unknown);
    }

    #[test]
    fn the_content_age_thresholds_apply_only_to_a_known_age() {
        let th = Thresholds {
            warning_age: range("3600"),
            critical_age: range("86400"),
            ..defaults()
        };
        let t = tally(&outcome(vec![MATCH]));
        assert_eq!(state(&t, &th, State::Unknown, None), State::Ok);
        assert_eq!(state(&t, &th, State::Unknown, Some(3600)), State::Ok);
        assert_eq!(state(&t, &th, State::Unknown, Some(3601)), State::Warning);
        assert_eq!(state(&t, &th, State::Unknown, Some(86401)), State::Critical);
        assert!(!age_alerts(&th, 3600) && age_alerts(&th, 3601));
        assert!(!age_alerts(&defaults(), 1_000_000));
    }
}
