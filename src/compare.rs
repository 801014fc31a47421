//! Pure comparison: one round's listings and readings from both sides in,
//! per-table verdicts out. Tables without a verdict yet stay pending for
//! the next round.

use crate::consistency::{judge, Evidence, GtidPos, How, Judgement, Placement};
use crate::content::ContentReading;
use crate::model::{Counts, Key, Role, Round};
use crate::plugin::Failure;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Match(How),
    Drift {
        counts: Counts,
        how: How,
        /// The replication position both counts were read at.
        at: Option<GtidPos>,
        /// The content compared there, when it differs (`--checksum`).
        content: Option<ContentReading>,
    },
    /// Present on one side only (seen so in two listings).
    Missing {
        on: Role,
    },
    /// No pair of readings at one replication position in time; the last
    /// counts seen, if the table was counted on both sides at all.
    Unverified {
        last: Option<Counts>,
    },
    Unreadable {
        side: Role,
        error: String,
    },
}

#[derive(Debug, Default)]
pub struct Comparison {
    pub verdicts: BTreeMap<Key, Verdict>,
    missing_seen: HashMap<Key, Role>,
    last: HashMap<Key, Counts>,
    /// Tables that differed at one position, waiting for a second
    /// snapshot set to show a difference too.
    suspected: HashSet<Key>,
    /// Tables whose content was compared in an earlier round: a verdict
    /// needs their content again (counts alone would hide content drift).
    had_content: HashSet<Key>,
    /// Tables whose verdict rests on content compared at one position.
    pub content_checked: BTreeSet<Key>,
    /// Tables looked at again after the first round.
    pub rechecks: u64,
    /// Rows of the tables with a verdict, as counted for it.
    pub rows_primary: u64,
    pub rows_replica: u64,
}

impl Comparison {
    /// The table differed at one position and waits for a second look.
    pub fn is_suspected(&self, key: &Key) -> bool {
        self.suspected.contains(key)
    }

    /// Takes in one round's readings of `keys`; returns the keys still
    /// pending.
    pub fn round(&mut self, keys: &[Key], round: &Round, first: bool) -> Vec<Key> {
        if !first {
            self.rechecks += keys.iter().filter(|k| !k.is_database()).count() as u64;
        }
        keys.iter()
            .filter(|key| !self.settle(key, round))
            .cloned()
            .collect()
    }

    /// Gives `key` its verdict if this round's evidence allows one; true
    /// when the key needs no further look.
    fn settle(&mut self, key: &Key, round: &Round) -> bool {
        let on_p = round.primary.contains_key(key);
        let on_r = round.replica.contains_key(key);
        if on_p != on_r {
            return self.one_sided(key, if on_p { Role::Replica } else { Role::Primary });
        }
        self.missing_seen.remove(key);
        if !on_p || key.is_database() {
            return true;
        }
        let Some(reading) = round.readings.get(key) else {
            return false;
        };
        let counts = match (&reading.primary, &reading.replica) {
            (Err(e), _) => return self.unreadable(key, Role::Primary, e),
            (_, Err(e)) => return self.unreadable(key, Role::Replica, e),
            (Ok(primary), Ok(replica)) => Counts {
                primary: *primary,
                replica: *replica,
            },
        };
        let content = match &reading.content {
            Some(Err((side, e))) => {
                return self.unreadable(key, *side, &format!("checksum: {e}"));
            }
            Some(Ok(c)) => Some(c),
            // Content seen before and not read now: counts alone decide
            // nothing.
            None if self.had_content.contains(key) => {
                self.last.insert(key.clone(), counts);
                return false;
            }
            None => None,
        };
        if content.is_some() {
            self.had_content.insert(key.clone());
        }
        let evidence = Evidence {
            primary: counts.primary,
            replica: counts.replica,
            same_point: reading.at.is_some(),
            positioned: round.positioned,
            content_differs: content.is_some_and(|c| !c.same),
        };
        let judgement = match judge(&evidence) {
            Judgement::Suspect if !self.suspected.insert(key.clone()) => {
                Judgement::Drift(How::SamePoint)
            }
            Judgement::Match(how) => {
                // Equal at a later set: what looked like drift was not.
                self.suspected.remove(key);
                Judgement::Match(how)
            }
            j => j,
        };
        let verdict = match judgement {
            Judgement::Match(how) => Verdict::Match(how),
            Judgement::Drift(how) => Verdict::Drift {
                counts,
                how,
                at: reading.at.clone(),
                content: content.filter(|c| !c.same).cloned(),
            },
            Judgement::Pending | Judgement::Suspect => {
                self.last.insert(key.clone(), counts);
                return false;
            }
        };
        if content.is_some() && reading.at.is_some() {
            self.content_checked.insert(key.clone());
        }
        self.rows_primary += counts.primary;
        self.rows_replica += counts.replica;
        self.last.remove(key);
        self.verdicts.insert(key.clone(), verdict);
        true
    }

    /// Missing on `on`: a verdict once two listings agree on it.
    fn one_sided(&mut self, key: &Key, on: Role) -> bool {
        if self.missing_seen.insert(key.clone(), on) != Some(on) {
            return false;
        }
        self.verdicts.insert(key.clone(), Verdict::Missing { on });
        true
    }

    fn unreadable(&mut self, key: &Key, side: Role, error: &str) -> bool {
        let error = error.to_string();
        self.verdicts
            .insert(key.clone(), Verdict::Unreadable { side, error });
        true
    }

    /// The budget is spent: what is still pending is unverified.
    pub fn finish(&mut self, pending: &[Key]) {
        for key in pending {
            // A table seen missing only once lands here too, with no counts:
            // unconfirmed, so not drift.
            let last = self.last.get(key).copied();
            self.verdicts
                .insert(key.clone(), Verdict::Unverified { last });
        }
    }
}

/// What one run found for one replica: the verdicts, and the positions
/// they were reached at.
#[derive(Debug, Default)]
pub struct ReplicaOutcome {
    pub comparison: Comparison,
    /// The replication positions at which counts were compared, in order.
    pub positions: Vec<GtidPos>,
    /// Transactions the replica's first snapshot was past the primary's.
    pub replica_ahead: Option<u64>,
    /// `--state-file`: seconds since the least recently verified table's
    /// content was verified.
    pub content_age: Option<u64>,
}

impl ReplicaOutcome {
    /// Counts were compared at `at` (when it is a position).
    pub fn compared_at(&mut self, at: Option<&GtidPos>) {
        if let Some(at) = at.filter(|at| !self.positions.contains(at)) {
            self.positions.push(at.clone());
            self.positions.sort_by_key(GtidPos::order);
        }
    }
}

/// What one run found: per replica (in the order given) its verdicts, or
/// why it has none; and how the run went.
pub struct Outcome {
    pub replicas: Vec<Result<ReplicaOutcome, Failure>>,
    /// How snapshots were placed in the stream (unplaced: no difference
    /// is drift).
    pub placement: Placement,
    /// What each server is: `primary HOST:PORT: MySQL 9.7.4`.
    pub versions: Vec<String>,
    /// Snapshot sets opened to find ones at one position.
    pub align_tries: u64,
    pub rounds: usize,
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Listing, Reading, TableInfo};
    use std::sync::Arc;

    fn key(db: &str, t: &str) -> Key {
        Key::table(db.into(), t)
    }

    fn list(tables: &[(&str, &str)]) -> Listing {
        let info = TableInfo::default();
        let mut l = Listing::new();
        for (db, t) in tables {
            l.insert(Key::Database((*db).into()), info.clone());
            l.insert(key(db, t), info.clone());
        }
        l
    }

    /// A round where every table is on both sides, read at `at` (None:
    /// different positions): (db, table, primary count, replica count).
    fn round(tables: &[(&str, &str, u64, u64)], at: Option<&str>) -> Round {
        let names: Vec<(&str, &str)> = tables.iter().map(|(d, t, _, _)| (*d, *t)).collect();
        let readings = tables
            .iter()
            .map(|(d, t, p, r)| {
                let reading = Reading {
                    primary: Ok(*p),
                    replica: Ok(*r),
                    at: at.map(|a| GtidPos::parse(a).unwrap()),
                    content: None,
                };
                (key(d, t), reading)
            })
            .collect();
        Round {
            primary: Arc::new(list(&names)),
            replica: Arc::new(list(&names)),
            readings,
            positioned: true,
        }
    }

    /// A later round with the listings of `earlier` (tables pending then
    /// are still listed), reading only `tables`.
    fn later(earlier: &Round, tables: &[(&str, &str, u64, u64)], at: Option<&str>) -> Round {
        Round {
            primary: earlier.primary.clone(),
            replica: earlier.replica.clone(),
            ..round(tables, at)
        }
    }

    fn keys(r: &Round) -> Vec<Key> {
        let mut k: Vec<Key> = r.primary.keys().chain(r.replica.keys()).cloned().collect();
        k.sort();
        k.dedup();
        k
    }

    /// Equal at one position: a match, final. Different at one position:
    /// drift once a second snapshot set at one position differs too.
    #[test]
    fn one_position_matches_and_two_make_drift() {
        let r = round(
            &[("a", "t1", 10, 10), ("a", "t2", 5, 7), ("b", "t", 1, 1)],
            Some("0-1-100"),
        );
        let mut c = Comparison::default();
        let pending = c.round(&keys(&r), &r, true);
        assert_eq!(pending, vec![key("a", "t2")]);
        assert_eq!(c.verdicts[&key("a", "t1")], Verdict::Match(How::SamePoint));
        let again = later(&r, &[("a", "t2", 6, 8)], Some("0-1-105"));
        assert!(c.round(&pending, &again, false).is_empty());
        assert_eq!(
            c.verdicts[&key("a", "t2")],
            Verdict::Drift {
                counts: Counts {
                    primary: 6,
                    replica: 8
                },
                how: How::SamePoint,
                at: Some(GtidPos::parse("0-1-105").unwrap()),
                content: None,
            }
        );
        assert_eq!((c.rows_primary, c.rows_replica), (17, 19));
    }

    #[test]
    fn different_positions_stay_pending_then_unverified() {
        // Equal counts at different positions: a +2 drift could hide
        // behind a -2 change in between.
        let r = round(&[("a", "t", 10, 10), ("a", "u", 10, 12)], None);
        let mut c = Comparison::default();
        let pending = c.round(&keys(&r), &r, true);
        assert_eq!(pending, vec![key("a", "t"), key("a", "u")]);
        let r2 = later(&r, &[("a", "u", 11, 11)], Some("0-1-9"));
        let pending = c.round(&pending, &r2, false);
        assert_eq!(pending, vec![key("a", "t")]);
        assert_eq!(c.rechecks, 2);
        c.finish(&pending);
        assert_eq!(
            c.verdicts[&key("a", "t")],
            Verdict::Unverified {
                last: Some(Counts {
                    primary: 10,
                    replica: 10
                })
            }
        );
        assert_eq!(c.verdicts[&key("a", "u")], Verdict::Match(How::SamePoint));
        assert_eq!((c.rows_primary, c.rows_replica), (11, 11));
    }

    #[test]
    fn missing_needs_two_listings() {
        let mut r = round(&[("a", "t1", 1, 1)], Some("0-1-1"));
        let info = r.primary[&key("a", "t1")].clone();
        Arc::make_mut(&mut r.primary).insert(key("a", "t2"), info);
        let mut c = Comparison::default();
        let pending = c.round(&keys(&r), &r, true);
        assert_eq!(pending, vec![key("a", "t2")]);
        let pending = c.round(&pending, &r, false);
        assert!(pending.is_empty());
        assert_eq!(
            c.verdicts[&key("a", "t2")],
            Verdict::Missing { on: Role::Replica }
        );
        // Seen missing once, then the budget ran out: no counts to show.
        let mut c = Comparison::default();
        let pending = c.round(&keys(&r), &r, true);
        c.finish(&pending);
        assert_eq!(
            c.verdicts[&key("a", "t2")],
            Verdict::Unverified { last: None }
        );
    }

    #[test]
    fn unreadable_is_named() {
        let mut r = round(&[("a", "t", 1, 1)], Some("0-1-1"));
        r.readings.get_mut(&key("a", "t")).unwrap().replica =
            Err("Tablespace has been discarded".into());
        let mut c = Comparison::default();
        c.round(&keys(&r), &r, true);
        assert!(
            matches!(&c.verdicts[&key("a", "t")], Verdict::Unreadable { side: Role::Replica, error } if error.contains("discarded"))
        );
    }

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    /// A misplaced snapshot: on MySQL a commit in flight across the
    /// primary's readings puts a row in its snapshot that the replica,
    /// stopped at the agreed position, does not have yet. The next snapshot
    /// set, a moment later, sees the table equal: a match, never drift.
    #[test]
    fn a_misplaced_snapshot_is_no_drift() {
        let first = round(&[("a", "jobs", 11, 10)], Some(&format!("{A}:1-100")));
        let mut c = Comparison::default();
        let pending = c.round(&keys(&first), &first, true);
        assert_eq!(pending, vec![key("a", "jobs")]);
        let again = round(&[("a", "jobs", 12, 12)], Some(&format!("{A}:1-102")));
        assert!(c.round(&pending, &again, false).is_empty());
        assert_eq!(
            c.verdicts[&key("a", "jobs")],
            Verdict::Match(How::SamePoint)
        );
    }

    /// Real drift shows at every snapshot set: drift at the second, with
    /// the second's counts and position (counts at two positions in
    /// between settle nothing); a suspicion the budget cuts short is
    /// unverified.
    #[test]
    fn drift_is_seen_twice() {
        let first = round(
            &[("a", "t", 10, 11), ("a", "u", 5, 4)],
            Some(&format!("{A}:1-100")),
        );
        let mut c = Comparison::default();
        let pending = c.round(&keys(&first), &first, true);
        assert_eq!(pending, vec![key("a", "t"), key("a", "u")]);
        let apart = round(&[("a", "t", 12, 12), ("a", "u", 5, 4)], None);
        let pending = c.round(&pending, &apart, false);
        assert_eq!(pending.len(), 2, "counts at two positions settle nothing");
        let second = later(&first, &[("a", "t", 13, 14)], Some(&format!("{A}:1-103")));
        let pending = c.round(&pending, &second, false);
        assert_eq!(pending, vec![key("a", "u")]);
        assert_eq!(
            c.verdicts[&key("a", "t")],
            Verdict::Drift {
                counts: Counts {
                    primary: 13,
                    replica: 14
                },
                how: How::SamePoint,
                at: Some(GtidPos::parse(&format!("{A}:1-103")).unwrap()),
                content: None,
            }
        );
        c.finish(&pending);
        assert_eq!(
            c.verdicts[&key("a", "u")],
            Verdict::Unverified {
                last: Some(Counts {
                    primary: 5,
                    replica: 4
                })
            }
        );
    }

    /// `round`, with the content of every table read as `same`, located
    /// to `keys` when it differs.
    fn with_content(mut r: Round, same: bool, keys: &[&str]) -> Round {
        for reading in r.readings.values_mut() {
            reading.content = Some(Ok(ContentReading {
                method: crate::content::Method::KeyRanges,
                same,
                located: (!same).then(|| crate::content::Located {
                    keys: keys.iter().map(|k| k.to_string()).collect(),
                    keys_found: keys.len(),
                    ..Default::default()
                }),
            }));
        }
        r
    }

    /// Equal counts, different content at one position: drift only at a
    /// second snapshot set that differs too, with where (its location).
    /// In between, a look at the counts alone (content left for later by
    /// the budget) must not clear the suspicion: equal counts are what an
    /// UPDATE on the replica leaves.
    #[test]
    fn content_drift_needs_a_second_look_at_the_content() {
        let at = |n| Some(format!("{A}:1-{n}"));
        let first = with_content(round(&[("a", "t", 10, 10)], at(100).as_deref()), false, &[]);
        let mut c = Comparison::default();
        let pending = c.round(&keys(&first), &first, true);
        assert_eq!(pending, vec![key("a", "t")]);
        assert!(c.is_suspected(&key("a", "t")));
        let counts_only = later(&first, &[("a", "t", 11, 11)], at(101).as_deref());
        let pending = c.round(&pending, &counts_only, false);
        assert_eq!(pending, vec![key("a", "t")], "counts alone settle nothing");
        let second = later(&first, &[("a", "t", 12, 12)], at(104).as_deref());
        let second = with_content(second, false, &["id=7"]);
        assert!(c.round(&pending, &second, false).is_empty());
        let Verdict::Drift {
            counts,
            content: Some(content),
            ..
        } = &c.verdicts[&key("a", "t")]
        else {
            panic!("not content drift: {:?}", c.verdicts[&key("a", "t")]);
        };
        assert_eq!((counts.primary, counts.replica), (12, 12));
        assert_eq!(content.located.as_ref().unwrap().keys, ["id=7"]);
        assert!(c.content_checked.contains(&key("a", "t")));
    }

    /// One look at a snapshot set that was misplaced (content differs),
    /// then an equal one: a match, content verified.
    #[test]
    fn one_differing_content_look_is_no_drift() {
        let first = with_content(round(&[("a", "t", 3, 3)], Some("0-1-5")), false, &[]);
        let mut c = Comparison::default();
        let pending = c.round(&keys(&first), &first, true);
        let again = with_content(later(&first, &[("a", "t", 3, 3)], Some("0-1-6")), true, &[]);
        assert!(c.round(&pending, &again, false).is_empty());
        assert_eq!(c.verdicts[&key("a", "t")], Verdict::Match(How::SamePoint));
        assert!(c.content_checked.contains(&key("a", "t")));
        // Content read at two positions proves nothing either way.
        let apart = with_content(round(&[("a", "u", 3, 3)], None), true, &[]);
        let mut c = Comparison::default();
        assert_eq!(c.round(&keys(&apart), &apart, true).len(), 1);
        assert!(c.content_checked.is_empty());
    }

    /// A content that cannot be read on one side is that side's error.
    #[test]
    fn unreadable_content_names_the_side() {
        let mut r = round(&[("a", "t", 1, 1)], Some("0-1-1"));
        r.readings.get_mut(&key("a", "t")).unwrap().content =
            Some(Err((Role::Replica, "Lock wait timeout".into())));
        let mut c = Comparison::default();
        c.round(&keys(&r), &r, true);
        assert!(matches!(&c.verdicts[&key("a", "t")],
            Verdict::Unreadable { side: Role::Replica, error } if error == "checksum: Lock wait timeout"));
    }
}
