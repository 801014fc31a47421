//! Pure comparison: one round's listings and readings from both sides in,
//! per-table verdicts out. Tables without a verdict yet stay pending for
//! the next round.

use crate::consistency::{judge, Evidence, How, Judgement};
use crate::model::{
    ContentRead, Counts, Coverage, Difference, Forensic, Key, Look, RangesRead, Role, Round,
};
use crate::rowhash::{Bound, KeyRange};
use crate::verdict::{Budget, Drifted, Pass, PassEnd, Seen, Unsettled, Verdict};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
    /// Tables counted in key ranges: how far their last pass went.
    passes: HashMap<Key, Pass>,
    /// The ranges that differed at one position, to look at again.
    suspect_ranges: HashMap<Key, Vec<KeyRange>>,
    /// Tables whose verdict rests on key ranges, each compared at one
    /// position: how many ranges.
    pub ranged: BTreeMap<Key, u64>,
    /// How this run's passes over big tables ended.
    pub pass_ends: BTreeMap<Key, PassEnd>,
    /// What was kept of each difference at one position, in the order seen.
    pub forensics: Vec<Forensic>,
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

    /// The key ranges of a table counted in ranges that differed at one
    /// position: what a second look reads.
    pub fn recheck_ranges(&self, key: &Key) -> Option<&[KeyRange]> {
        self.suspect_ranges
            .get(key)
            .filter(|_| self.suspected.contains(key))
            .map(Vec::as_slice)
    }

    /// Takes in one round's readings of `keys`; returns the keys still
    /// pending (none once the budget is spent: they are unverified).
    pub fn round(&mut self, keys: &[Key], round: &Round, look: Look, budget: Budget) -> Vec<Key> {
        if let Some(now) = &round.definitions {
            self.take_definitions(now);
        }
        self.forensics.extend(round.forensics.iter().cloned());
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
            // Too big to count whole within its limit, and no key to cut
            // it by: a later round would not fare better.
            let why = Unsettled::Uncut;
            let stopped = Verdict::Unverified { last: None, why };
            return round.stopped.contains(key) && self.settled(key, stopped);
        };
        let counts = match (&reading.primary, &reading.replica) {
            (Err(e), _) => return self.unreadable(key, Role::Primary, e),
            (_, Err(e)) => return self.unreadable(key, Role::Replica, e),
            (Ok(primary), Ok(replica)) => Counts {
                primary: *primary,
                replica: *replica,
            },
        };
        if let Some(ranges) = &reading.ranges {
            return self.settle_ranges(key, ranges, round);
        }
        let read = match &reading.content {
            ContentRead::Read(read) => Some(read.as_ref()),
            _ => None,
        };
        let content = match read {
            Some(Err(e)) => {
                return self.unreadable(key, e.side, &format!("checksum: {}", e.message));
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
        let wanted =
            reading.content == ContentRead::LeftOut && round.coverage == Coverage::EveryRun;
        if content.is_some() {
            self.had_content.insert(key.clone());
        }
        let seen = Seen {
            counts,
            at: reading.at.as_deref(),
            content,
            content_wanted: wanted,
            counts_only: reading.content == ContentRead::NotCovered,
            content_stopped: reading.content == ContentRead::Stopped,
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
            whole: true,
        });
        let verdict = match judgement {
            // No key to hash it in ranges, and hashed whole it outlasts
            // its limit: a later round would not fare better.
            Judgement::Match(_) if seen.content_stopped => {
                let why = Unsettled::UncutContent;
                return self.settled(
                    key,
                    Verdict::Unverified {
                        last: Some(counts),
                        why,
                    },
                );
            }
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
            Judgement::Drift(how) => Verdict::Drift(Box::new(Drifted {
                counts,
                how,
                at: at.cloned(),
                content: content.filter(|c| !c.same).cloned().map(Box::new),
                ranges: Vec::new(),
            })),
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

    /// A table counted in key ranges: judged on the first range that
    /// differed at its position, else on all of them, which are a verdict
    /// only when they cover the table in this run (a look again covers
    /// what the pass before it did when it read every range it was to).
    /// With `--state-file`, a pass with no difference in what it covered
    /// matches while it is under way: the age of the last complete pass
    /// says how far behind the rotation is.
    fn settle_ranges(&mut self, key: &Key, r: &RangesRead, round: &Round) -> bool {
        let pass = self.pass_for(key, r);
        let judgement = judge(&self.range_evidence(key, r, &pass, round.positioned));
        let under_way = round.coverage == Coverage::Rotation
            && round.positioned
            && r.look == Look::First
            && r.all_placed;
        let verdict = match judgement {
            Judgement::Match(how) => {
                self.complete_pass(key, r);
                Verdict::Match(how)
            }
            Judgement::Drift(how) => self.range_drift(key, r, &pass, how),
            Judgement::Pending if under_way => {
                match r.whole {
                    true => self.complete_pass(key, r),
                    false => {
                        let end = PassEnd::UnderWay(r.reached.clone());
                        self.pass_ends.insert(key.clone(), end);
                    }
                }
                Verdict::Match(How::SamePoint)
            }
            Judgement::Suspect | Judgement::Pending => {
                self.hold_ranges(key, r, &pass, judgement);
                return false;
            }
        };
        self.suspected.remove(key);
        self.suspect_ranges.remove(key);
        self.ranged.insert(key.clone(), pass.ranges);
        let seen = Seen {
            counts: pass.compared,
            ..Seen::default()
        };
        self.record(key, verdict, &seen);
        true
    }

    /// The evidence of ranges: the first range that differed at its
    /// position, else all of them, whole when they cover the table in
    /// this run.
    fn range_evidence(&self, key: &Key, r: &RangesRead, pass: &Pass, positioned: bool) -> Evidence {
        let first = r.differing.first();
        Evidence {
            primary: first.map_or(pass.compared.primary, |d| d.primary),
            replica: first.map_or(pass.compared.replica, |d| d.replica),
            same_point: first.is_some() || r.all_placed,
            positioned,
            content_differs: first.is_some_and(|d| d.content_differs),
            differed_before: self.suspected.contains(key),
            whole: pass.whole && pass.from_start && r.whole,
        }
    }

    /// Drift in the ranges that differed again.
    fn range_drift(&mut self, key: &Key, r: &RangesRead, pass: &Pass, how: How) -> Verdict {
        if r.content.is_some() {
            self.content_checked.insert(key.clone());
        }
        Verdict::Drift(Box::new(Drifted {
            counts: pass.compared,
            how,
            at: None,
            content: None,
            ranges: r.differing.clone(),
        }))
    }

    /// No verdict yet: the ranges that differed wait for a look again;
    /// when every range is equal again, the next look is a new pass.
    fn hold_ranges(&mut self, key: &Key, r: &RangesRead, pass: &Pass, judgement: Judgement) {
        if judgement == Judgement::Suspect {
            self.suspected.insert(key.clone());
            let ranges = r.differing.iter().map(|d| d.bounds.clone()).collect();
            self.suspect_ranges.insert(key.clone(), ranges);
        } else if r.whole && r.differing.is_empty() {
            self.suspected.remove(key);
            self.suspect_ranges.remove(key);
        }
        self.last.insert(key.clone(), pass.compared);
    }

    /// A pass covered the table: with content, its content was compared.
    fn complete_pass(&mut self, key: &Key, r: &RangesRead) {
        self.pass_ends.insert(key.clone(), PassEnd::Complete);
        if let Some(left_out) = &r.content {
            self.content_compared(key, left_out);
        }
    }

    /// `key`'s content was compared, over the columns on both sides.
    fn content_compared(&mut self, key: &Key, left_out: &[String]) {
        self.content_checked.insert(key.clone());
        if !left_out.is_empty() {
            self.content_columns_left_out
                .insert(key.clone(), left_out.to_vec());
        }
    }

    /// The pass a reading of ranges belongs to: a pass is its own, or the
    /// rest of this run's unfinished pass (each range at a position of its
    /// own, whichever round read it); a look again belongs to this run's
    /// pass before it, or, when the ranges differed in an earlier run, to
    /// no pass at all (it covers only them).
    fn pass_for(&mut self, key: &Key, r: &RangesRead) -> Pass {
        let own = Pass {
            whole: r.whole,
            from_start: r.from_start,
            compared: r.compared,
            estimated: r.estimated,
            ranges: r.ranges,
            reached: r.reached.clone(),
        };
        let before = self.passes.get(key).filter(|p| !p.whole).cloned();
        match (r.look, before) {
            (Look::First, Some(before)) if !r.from_start => {
                let pass = Pass {
                    from_start: before.from_start,
                    compared: Counts {
                        primary: before.compared.primary + r.compared.primary,
                        replica: before.compared.replica + r.compared.replica,
                    },
                    ranges: before.ranges + r.ranges,
                    ..own
                };
                self.passes.insert(key.clone(), pass.clone());
                pass
            }
            (Look::First, _) => {
                self.passes.insert(key.clone(), own.clone());
                own
            }
            (Look::Again, _) => self.passes.get(key).cloned().unwrap_or(Pass {
                whole: false,
                ..own
            }),
        }
    }

    /// Where this run's unfinished pass over `key` stopped: the next
    /// round goes on from there.
    pub fn pass_reached(&self, key: &Key) -> Option<&Bound> {
        self.passes
            .get(key)
            .filter(|p| !p.whole)
            .and_then(|p| p.reached.as_ref())
    }

    /// A table whose ranges differed at one position in an earlier run:
    /// its next difference at one position is drift.
    pub fn carry_suspicion(&mut self, key: Key) {
        self.suspected.insert(key);
    }

    /// The key ranges of `key` that differed at one position and have not
    /// matched since, for the next run to look at first.
    pub fn differing_ranges(&self, key: &Key) -> Vec<KeyRange> {
        match self.verdicts.get(key) {
            Some(Verdict::Drift(d)) => d.ranges.iter().map(|r| r.bounds.clone()).collect(),
            _ if self.suspected.contains(key) => {
                self.suspect_ranges.get(key).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// `key`'s verdict, with what it rests on.
    fn record(&mut self, key: &Key, verdict: Verdict, seen: &Seen) {
        if let (Some(c), Some(_)) = (seen.content, seen.at) {
            self.content_compared(key, &c.left_out);
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

    /// `key`'s verdict, final for the run.
    fn settled(&mut self, key: &Key, verdict: Verdict) -> bool {
        self.verdicts.insert(key.clone(), verdict);
        true
    }

    fn unreadable(&mut self, key: &Key, side: Role, error: &str) -> bool {
        let error = error.to_string();
        self.settled(key, Verdict::Unreadable { side, error })
    }

    /// The budget is spent: what is still pending is unverified.
    fn finish(&mut self, pending: &[Key]) {
        for key in pending {
            // A table seen missing only once lands here too, with no counts:
            // unconfirmed, so not drift.
            let last = self.last.get(key).copied();
            let partial = self.passes.get(key).filter(|p| !(p.whole && p.from_start));
            let why = if self.suspected.contains(key) {
                Unsettled::DifferedOnce
            } else if self.content_not_compared.contains(key) {
                Unsettled::ContentLeftOut
            } else if let Some(p) = partial {
                Unsettled::Partial {
                    compared: p.compared.primary,
                    estimated: p.estimated,
                }
            } else {
                Unsettled::NoPosition
            };
            self.verdicts
                .insert(key.clone(), Verdict::Unverified { last, why });
        }
    }
}

#[cfg(test)]
mod range_tests;
#[cfg(test)]
mod stopped_tests;
#[cfg(test)]
mod tests;
