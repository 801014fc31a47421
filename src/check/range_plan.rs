//! Which big tables a round counts in key ranges, and how: a look again at
//! the ranges that differed (in this run, or at one position in an earlier
//! run), or a pass, resumed where an earlier run stopped.

use super::cursor::RangeJob;
use super::passes::{load_key, PassEntry};
use super::plan::{Table, Tracked};
use crate::compare::Comparison;
use crate::model::{Key, ReplicaId};
use crate::rowhash::{Bound, KeyRange, Shape};
use std::collections::BTreeMap;

/// Rows per range whose content is hashed, at most: hashing reads about
/// 2.6 µs a row here, so that one statement stays under a second.
const HASHED_RANGE_ROWS: u64 = 250_000;

/// What the rounds of a run need to plan key ranges.
pub(super) struct RangePlan<'a> {
    /// Rows per range (`--chunk-rows`).
    pub(super) rows: u64,
    /// Per replica, its big tables' passes from the state file.
    pub(super) carried: &'a [BTreeMap<Key, PassEntry>],
}

/// What one replica wants of a table with a key.
#[derive(Debug, PartialEq)]
enum Want {
    /// These ranges looked at again.
    Again(Vec<KeyRange>),
    /// A pass from past this key (from the first key when `None`).
    Pass(Option<Bound>),
}

impl RangePlan<'_> {
    /// How `table` is counted in key ranges this round, if it is, from
    /// what each replica that wants it wants of it.
    pub(super) fn plan(&self, table: &Table, tracked: &[Tracked]) -> Option<RangeJob> {
        let shape = table.shape.as_deref();
        let wants: Vec<Want> = table
            .wanted_by
            .iter()
            .filter_map(|&j| self.want(j, &table.key, shape, &tracked[j.index()].found.comparison))
            .collect();
        self.job(table, wants)
    }

    /// What replica `j` wants of `key` (of definition `shape`): the ranges
    /// that differed, when it suspects some; else a pass, from where the
    /// state file says the last stopped. `None` for a table without a key.
    fn want(
        &self,
        j: ReplicaId,
        key: &Key,
        shape: Option<&Shape>,
        found: &Comparison,
    ) -> Option<Want> {
        let shape = shape.filter(|s| s.key.is_some())?;
        if let Some(ranges) = found.recheck_ranges(key) {
            return Some(Want::Again(ranges.to_vec()));
        }
        let carried = self.carried.get(j.index()).and_then(|c| c.get(key));
        if found.is_suspected(key) {
            let stored = carried.map_or(&[][..], |c| c.differing.as_slice());
            let ranges: Vec<KeyRange> = stored.iter().filter_map(|r| r.load(shape)).collect();
            if !ranges.is_empty() {
                return Some(Want::Again(ranges));
            }
        }
        if let Some(reached) = found.pass_reached(key) {
            return Some(Want::Pass(Some(reached.clone())));
        }
        let after = carried.and_then(|c| c.after.as_ref());
        Some(Want::Pass(after.and_then(|a| load_key(shape, a))))
    }

    /// How `table` is counted in key ranges, if it is (its content hashed
    /// in the same ranges, when compared). The ranges that differed when every
    /// replica that wants the table has some; else a pass of a big
    /// transactional table, resumed where all those replicas' last passes
    /// stopped (from the start when they stopped at different keys).
    fn job(&self, table: &Table, wants: Vec<Want>) -> Option<RangeJob> {
        // With content, the ranges hash the columns on both sides.
        let content = table.content.as_ref();
        let shape = match content {
            Some(job) => job.shape.clone(),
            None => table.shape.clone()?,
        };
        let left_out = content.map(|job| job.left_out.clone());
        if wants.is_empty() || shape.key.is_none() {
            return None;
        }
        let mut again: Vec<KeyRange> = Vec::new();
        let mut resume: Vec<Option<Bound>> = Vec::new();
        for want in wants {
            match want {
                Want::Again(ranges) => again.extend(ranges),
                Want::Pass(after) => resume.push(after),
            }
        }
        if resume.is_empty() {
            let mut unique: Vec<KeyRange> = Vec::with_capacity(again.len());
            for r in again {
                if !unique.contains(&r) {
                    unique.push(r);
                }
            }
            return Some(RangeJob::again(shape, unique).with_content(left_out));
        }
        if !table.transactional || table.estimated_rows <= self.rows {
            return None;
        }
        let first = resume[0].clone();
        let after = first.filter(|_| resume.iter().all(|a| a == &resume[0]));
        let rows = match left_out {
            Some(_) => self.rows.min(HASHED_RANGE_ROWS),
            None => self.rows,
        };
        Some(RangeJob::pass(shape, rows, after).with_content(left_out))
    }
}
