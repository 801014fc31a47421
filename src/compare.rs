//! Pure comparison: one round's listings and counts from both sides in,
//! per-table verdicts out. Tables without a verdict yet stay pending for
//! the next round.

use crate::config::Role;
use crate::consistency::{Evidence, GtidPos, How, Judgement, Tracker};
use crate::snapshot::{Key, Listing};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Match(How),
    Drift {
        primary: u64,
        replica: u64,
        how: How,
    },
    /// Present on one side only (seen so in two listings).
    Missing {
        on: Role,
    },
    /// Counts kept moving, or no comparable positions, until the budget ran out.
    Unverified {
        primary: u64,
        replica: u64,
    },
    Unreadable {
        side: Role,
        error: String,
    },
}

/// One side's reading in one round.
#[derive(Debug, Default)]
pub struct SideRound {
    pub listing: Listing,
    /// Count and the index of the snapshot (`positions`) it was read in.
    pub counts: HashMap<Key, (Result<u64, String>, usize)>,
    pub positions: Vec<Option<GtidPos>>,
    /// Primary only: counts at P2 of the tables that differed.
    pub after: HashMap<Key, u64>,
}

#[derive(Debug, Default)]
pub struct Comparison {
    pub verdicts: BTreeMap<Key, Verdict>,
    trackers: HashMap<Key, Tracker>,
    missing_seen: HashMap<Key, Role>,
    last: HashMap<Key, (u64, u64)>,
    /// Tables looked at again after the first round.
    pub rechecks: u64,
    pub rows_primary: u64,
    pub rows_replica: u64,
}

impl Comparison {
    /// Takes in one round. `ordered`: the replica read after reaching the
    /// primary's snapshot position (a GTID wait), so P1 <= R <= P2.
    /// Returns the keys still pending.
    pub fn round(
        &mut self,
        keys: &[Key],
        p: &SideRound,
        r: &SideRound,
        ordered: bool,
        first: bool,
    ) -> Vec<Key> {
        let mut pending = Vec::new();
        if !first {
            self.rechecks += keys.iter().filter(|k| !k.is_database()).count() as u64;
        }
        for key in keys {
            let on_p = p.listing.contains_key(key);
            let on_r = r.listing.contains_key(key);
            if !on_p && !on_r {
                self.missing_seen.remove(key);
                continue;
            }
            if on_p != on_r {
                let missing_on = if on_p { Role::Replica } else { Role::Primary };
                if self.missing_seen.insert(key.clone(), missing_on) == Some(missing_on) {
                    self.verdicts
                        .insert(key.clone(), Verdict::Missing { on: missing_on });
                } else {
                    pending.push(key.clone());
                }
                continue;
            }
            self.missing_seen.remove(key);
            if key.is_database() {
                continue;
            }
            let (Some((pc, pi)), Some((rc, ri))) = (p.counts.get(key), r.counts.get(key)) else {
                pending.push(key.clone());
                continue;
            };
            let (pc, rc) = match (pc, rc) {
                (Err(e), _) => {
                    self.verdicts.insert(
                        key.clone(),
                        Verdict::Unreadable {
                            side: Role::Primary,
                            error: e.clone(),
                        },
                    );
                    continue;
                }
                (_, Err(e)) => {
                    self.verdicts.insert(
                        key.clone(),
                        Verdict::Unreadable {
                            side: Role::Replica,
                            error: e.clone(),
                        },
                    );
                    continue;
                }
                (Ok(a), Ok(b)) => (*a, *b),
            };
            if first {
                self.rows_primary += pc;
                self.rows_replica += rc;
            }
            let transactional = p.listing[key].transactional && r.listing[key].transactional;
            let same_point = transactional
                && match (p.positions.get(*pi), r.positions.get(*ri)) {
                    (Some(Some(a)), Some(Some(b))) => a.same_point(b),
                    _ => false,
                };
            let evidence = Evidence {
                primary: pc,
                replica: rc,
                primary_after: p.after.get(key).copied(),
                same_point,
                ordered,
            };
            // Trackers and last counts only for the tables still pending:
            // thousands of settled tables need none.
            let mut tracker = self.trackers.remove(key).unwrap_or_default();
            match tracker.observe(&evidence) {
                Some(Judgement::Match(how)) => {
                    self.verdicts.insert(key.clone(), Verdict::Match(how));
                }
                Some(Judgement::Drift(how)) => {
                    let drift = Verdict::Drift {
                        primary: pc,
                        replica: rc,
                        how,
                    };
                    self.verdicts.insert(key.clone(), drift);
                }
                _ => {
                    self.trackers.insert(key.clone(), tracker);
                    self.last.insert(key.clone(), (pc, rc));
                    pending.push(key.clone());
                }
            }
        }
        pending
    }

    /// The budget is spent: what is still pending is unverified.
    pub fn finish(&mut self, pending: &[Key]) {
        for key in pending {
            let (primary, replica) = self.last.get(key).copied().unwrap_or((0, 0));
            // A table seen missing only once lands here too: unconfirmed, so not drift.
            self.verdicts
                .insert(key.clone(), Verdict::Unverified { primary, replica });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::TableInfo;

    fn key(db: &str, t: &str) -> Key {
        Key {
            db: db.into(),
            table: t.into(),
        }
    }

    fn side(tables: &[(&str, &str, u64)], pos: &str) -> SideRound {
        let mut s = SideRound {
            positions: vec![Some(GtidPos::parse(pos).unwrap())],
            ..Default::default()
        };
        for (db, t, n) in tables {
            s.listing.insert(
                key(db, ""),
                TableInfo {
                    transactional: true,
                    estimated_rows: 0,
                },
            );
            s.listing.insert(
                key(db, t),
                TableInfo {
                    transactional: true,
                    estimated_rows: *n,
                },
            );
            s.counts.insert(key(db, t), (Ok(*n), 0));
        }
        s
    }

    fn keys(p: &SideRound, r: &SideRound) -> Vec<Key> {
        let mut k: Vec<Key> = p.listing.keys().chain(r.listing.keys()).cloned().collect();
        k.sort();
        k.dedup();
        k
    }

    #[test]
    fn same_position_gives_final_verdicts() {
        let p = side(&[("a", "t1", 10), ("a", "t2", 5), ("b", "t", 1)], "0-1-100");
        let r = side(&[("a", "t1", 10), ("a", "t2", 7), ("b", "t", 1)], "0-1-100");
        let mut c = Comparison::default();
        let pending = c.round(&keys(&p, &r), &p, &r, true, true);
        assert!(pending.is_empty());
        assert_eq!(c.verdicts[&key("a", "t1")], Verdict::Match(How::SamePoint));
        assert_eq!(
            c.verdicts[&key("a", "t2")],
            Verdict::Drift {
                primary: 5,
                replica: 7,
                how: How::SamePoint
            }
        );
        assert_eq!((c.rows_primary, c.rows_replica), (16, 18));
    }

    #[test]
    fn missing_needs_two_listings() {
        let p = side(&[("a", "t1", 1), ("a", "t2", 1)], "0-1-1");
        let r = side(&[("a", "t1", 1)], "0-1-1");
        let mut c = Comparison::default();
        let pending = c.round(&keys(&p, &r), &p, &r, true, true);
        assert_eq!(pending, vec![key("a", "t2")]);
        let pending = c.round(&pending, &p, &r, true, false);
        assert!(pending.is_empty());
        assert_eq!(
            c.verdicts[&key("a", "t2")],
            Verdict::Missing { on: Role::Replica }
        );
        assert_eq!(c.rechecks, 1);
    }

    #[test]
    fn moving_table_ends_unverified_not_drift() {
        let mut p = side(&[("a", "t", 10)], "0-1-100");
        let r = side(&[("a", "t", 12)], "0-1-105");
        p.after.insert(key("a", "t"), 14);
        let mut c = Comparison::default();
        let pending = c.round(&keys(&p, &r), &p, &r, true, true);
        assert_eq!(pending, vec![key("a", "t")]);
        c.finish(&pending);
        assert_eq!(
            c.verdicts[&key("a", "t")],
            Verdict::Unverified {
                primary: 10,
                replica: 12
            }
        );
    }

    #[test]
    fn unreadable_is_named() {
        let p = side(&[("a", "t", 1)], "0-1-1");
        let mut r = side(&[("a", "t", 1)], "0-1-1");
        r.counts.insert(
            key("a", "t"),
            (Err("Tablespace has been discarded".into()), 0),
        );
        let mut c = Comparison::default();
        c.round(&keys(&p, &r), &p, &r, true, true);
        assert!(
            matches!(&c.verdicts[&key("a", "t")], Verdict::Unreadable { side: Role::Replica, error } if error.contains("discarded"))
        );
    }
}
