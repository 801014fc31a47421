//! Pure comparison: one round's listings and readings from both sides in,
//! per-table verdicts out. Tables without a verdict yet stay pending for
//! the next round.

use crate::consistency::{judge, Evidence, GtidPos, How, Judgement};
use crate::model::{ContentRead, Counts, Coverage, Difference, Key, Look, Role, Round};
use crate::rowhash::ContentReading;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Why a table is unverified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsettled {
    /// No pair of readings at one replication position.
    NoPosition,
    /// Counts equal at one position, but the content asked for was not
    /// compared.
    ContentLeftOut,
    /// A difference at one position that no second snapshot set confirmed
    /// or cleared in time.
    DifferedOnce,
}

/// Whether the run may look at pending tables again after this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Left,
    /// What is still pending after this round is unverified.
    Spent,
}

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
    /// No verdict in time; the last counts seen, if the table was counted
    /// on both sides at all.
    Unverified {
        last: Option<Counts>,
        why: Unsettled,
    },
    Unreadable {
        side: Role,
        error: String,
    },
}

/// What one round saw of a table on both sides.
#[derive(Clone, Copy)]
struct Seen<'a> {
    counts: Counts,
    /// The one position both were read at.
    at: Option<&'a GtidPos>,
    /// Its content, compared in the same snapshots.
    content: Option<&'a ContentReading>,
    /// The content was asked for and not compared: equal counts are no
    /// verdict then.
    content_wanted: bool,
    /// The content was asked for, and snapshots do not cover the table.
    counts_only: bool,
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
    /// Tables whose counts matched while their content, asked for, was
    /// left out: unverified if nothing better comes.
    content_not_compared: HashSet<Key>,
    /// Definitions that differed in one listing, waiting for the next
    /// (the replica may not have applied a schema change yet).
    definitions_seen: HashMap<Key, Vec<Difference>>,
    /// Definitions that differed alike in two listings, the replica's
    /// second read after it had reached a position past the primary's
    /// first.
    pub definitions: BTreeMap<Key, Vec<Difference>>,
    /// Definitions seen differing once, with no second listing in time.
    pub definitions_unconfirmed: BTreeMap<Key, Vec<Difference>>,
    /// Tables whose content was asked for and whose verdict rests on
    /// counts alone: snapshots do not cover them.
    pub counts_only: BTreeSet<Key>,
    /// Tables whose content was compared over the columns on both sides
    /// only: the columns left out.
    pub content_columns_left_out: BTreeMap<Key, Vec<String>>,
    /// Tables whose verdict rests on content compared at one position.
    pub content_checked: BTreeSet<Key>,
    /// Tables looked at again after the first round.
    pub rechecks: u64,
    /// Rows of the tables with a verdict, as counted for it.
    pub rows_primary: u64,
    pub rows_replica: u64,
}

impl Comparison {
    /// Definitions seen differing once wait for a second listing.
    pub fn definitions_pending(&self) -> bool {
        !self.definitions_seen.is_empty()
    }

    /// One listing's differences: those seen alike in the listing before
    /// are confirmed; the others wait for the next.
    fn take_definitions(&mut self, now: &BTreeMap<Key, Vec<Difference>>) {
        let before = std::mem::take(&mut self.definitions_seen);
        for (key, diffs) in now {
            if self.definitions.contains_key(key) {
                continue;
            }
            match before.get(key) {
                Some(seen) if seen == diffs => {
                    self.definitions.insert(key.clone(), diffs.clone());
                }
                _ => {
                    self.definitions_seen.insert(key.clone(), diffs.clone());
                }
            }
        }
    }

    /// The table differed at one position and waits for a second look.
    pub fn is_suspected(&self, key: &Key) -> bool {
        self.suspected.contains(key)
    }

    /// Takes in one round's readings of `keys`; returns the keys still
    /// pending (none once the budget is spent: they are unverified).
    pub fn round(&mut self, keys: &[Key], round: &Round, look: Look, budget: Budget) -> Vec<Key> {
        if let Some(now) = &round.definitions {
            self.take_definitions(now);
        }
        if budget == Budget::Spent {
            self.definitions_unconfirmed = std::mem::take(&mut self.definitions_seen)
                .into_iter()
                .collect();
        }
        if look == Look::Again {
            self.rechecks += keys.iter().filter(|k| !k.is_database()).count() as u64;
        }
        let still: Vec<Key> = keys
            .iter()
            .filter(|key| !self.settle(key, round))
            .cloned()
            .collect();
        match budget {
            Budget::Left => still,
            Budget::Spent => {
                self.finish(&still);
                Vec::new()
            }
        }
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
            ContentRead::Read(Err(e)) => {
                return self.unreadable(key, e.side, &format!("checksum: {}", e.message));
            }
            ContentRead::Read(Ok(c)) => Some(c),
            // Content seen before and not read now: counts alone decide
            // nothing.
            _ if self.had_content.contains(key) => {
                self.last.insert(key.clone(), counts);
                return false;
            }
            ContentRead::LeftOut | ContentRead::NotAsked | ContentRead::NotCovered => None,
        };
        let wanted =
            reading.content == ContentRead::LeftOut && round.coverage == Coverage::EveryRun;
        if content.is_some() {
            self.had_content.insert(key.clone());
        }
        let seen = Seen {
            counts,
            at: reading.at.as_ref(),
            content,
            content_wanted: wanted,
            counts_only: reading.content == ContentRead::NotCovered,
        };
        self.judge_seen(key, &seen, round.positioned)
    }

    /// The verdict on what was seen of `key` in one round, if it allows
    /// one (the rule is `consistency::judge`'s); true when it did.
    fn judge_seen(&mut self, key: &Key, seen: &Seen, positioned: bool) -> bool {
        let Seen {
            counts,
            at,
            content,
            content_wanted,
            ..
        } = *seen;
        if content.is_some() {
            self.content_not_compared.remove(key);
        }
        let judgement = judge(&Evidence {
            primary: counts.primary,
            replica: counts.replica,
            same_point: at.is_some(),
            positioned,
            content_differs: content.is_some_and(|c| !c.same),
            differed_before: self.suspected.contains(key),
        });
        let verdict = match judgement {
            // Equal counts are what an UPDATE on the replica leaves.
            Judgement::Match(_) if content_wanted => {
                self.content_not_compared.insert(key.clone());
                self.last.insert(key.clone(), counts);
                return false;
            }
            Judgement::Match(how) => {
                // Equal at a later set: what looked like drift was not.
                self.suspected.remove(key);
                Verdict::Match(how)
            }
            Judgement::Drift(how) => Verdict::Drift {
                counts,
                how,
                at: at.cloned(),
                content: content.filter(|c| !c.same).cloned(),
            },
            Judgement::Pending | Judgement::Suspect => {
                if judgement == Judgement::Suspect {
                    self.suspected.insert(key.clone());
                }
                self.last.insert(key.clone(), counts);
                return false;
            }
        };
        self.record(key, verdict, seen);
        true
    }

    /// `key`'s verdict, with what it rests on.
    fn record(&mut self, key: &Key, verdict: Verdict, seen: &Seen) {
        if let (Some(c), Some(_)) = (seen.content, seen.at) {
            self.content_checked.insert(key.clone());
            if !c.left_out.is_empty() {
                self.content_columns_left_out
                    .insert(key.clone(), c.left_out.clone());
            }
        }
        if seen.counts_only {
            self.counts_only.insert(key.clone());
        }
        self.rows_primary += seen.counts.primary;
        self.rows_replica += seen.counts.replica;
        self.last.remove(key);
        self.content_not_compared.remove(key);
        self.verdicts.insert(key.clone(), verdict);
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
    fn finish(&mut self, pending: &[Key]) {
        for key in pending {
            // A table seen missing only once lands here too, with no counts:
            // unconfirmed, so not drift.
            let last = self.last.get(key).copied();
            let why = if self.suspected.contains(key) {
                Unsettled::DifferedOnce
            } else if self.content_not_compared.contains(key) {
                Unsettled::ContentLeftOut
            } else {
                Unsettled::NoPosition
            };
            self.verdicts
                .insert(key.clone(), Verdict::Unverified { last, why });
        }
    }
}

#[cfg(test)]
mod tests;
