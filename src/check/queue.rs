//! What the lanes of one round share: the queue of counting statements
//! they pull from, and what each lane gives back.

use super::context::Ctx;
use super::plan::Table;
use super::readings::Readings;
use super::servers::Dropouts;
use crate::model::ReplicaId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// What a lane takes from the queue.
pub(super) enum Work<'a> {
    /// Tables counted whole, many to a statement.
    Batch(&'a [&'a Table]),
    /// A big table counted a key range at a time, by every lane at once.
    Ranges(&'a Table),
}

/// The shared queue of counting statements the lanes pull from: the
/// tables counted whole first (each gets its verdict soon), then the big
/// tables' key ranges until they are all taken or time is up.
pub(super) struct Queue<'a> {
    batches: Vec<Vec<&'a Table>>,
    ranged: Vec<&'a Table>,
    next: AtomicUsize,
    done: AtomicUsize,
    total: usize,
    /// Set by a lane that failed: the others stop.
    failed: AtomicBool,
}

impl<'a> Queue<'a> {
    /// `batches` and `ranged` tables, `total` tables in all.
    pub(super) fn new(
        batches: Vec<Vec<&'a Table>>,
        ranged: Vec<&'a Table>,
        total: usize,
    ) -> Queue<'a> {
        Queue {
            batches,
            ranged,
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            total,
            failed: AtomicBool::new(false),
        }
    }

    pub(super) fn take(&self) -> Option<Work<'_>> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        let batch = self
            .batches
            .get(self.next.fetch_add(1, Ordering::Relaxed))
            .map(|b| Work::Batch(b.as_slice()));
        batch.or_else(|| self.open_ranged().map(Work::Ranges))
    }

    /// The first big table with key ranges left to hand out.
    fn open_ranged(&self) -> Option<&'a Table> {
        self.ranged
            .iter()
            .copied()
            .find(|t| t.ranges.as_ref().is_some_and(|r| r.open()))
    }

    pub(super) fn exhausted(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
            || (self.next.load(Ordering::Relaxed) >= self.batches.len()
                && self.open_ranged().is_none())
    }

    pub(super) fn counted(&self, n: usize) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// `N of M tables done`, for the stage.
    pub(super) fn progress(&self) -> String {
        format!(
            "{} of {} tables done",
            self.done.load(Ordering::Relaxed),
            self.total
        )
    }

    /// A lane failed: the others take no more work.
    pub(super) fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }
}

/// What ended a lane's counting in one pair of snapshots, or in one big
/// table's key ranges.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Held {
    /// Nothing left to take (of the table, or at all).
    Done,
    /// The snapshots reached `--max-snapshot-age`.
    Aged,
    /// None of the lane's aligned replicas wants the table: the lane has
    /// nothing left to do in these snapshots.
    Idle,
}

/// What every lane of a round shares.
pub(super) struct RoundShared<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) queue: &'a Queue<'a>,
    /// The replicas that need some table of the round.
    pub(super) needed: &'a [ReplicaId],
    pub(super) dropouts: &'a Dropouts,
    /// What the lanes read, gathered after each statement's tables.
    pub(super) gathered: &'a Mutex<Readings>,
}

impl RoundShared<'_> {
    /// Moves what a lane read into the round's readings: one map for all
    /// lanes, rather than one per lane merged at the end, which held
    /// every reading twice.
    pub(super) fn gather(&self, lane: &mut Readings) {
        let read = std::mem::replace(lane, Readings::new(lane.replicas()));
        self.gathered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge(read);
    }
}

/// What one lane did in one round.
pub(super) struct LaneWork {
    pub(super) readings: Readings,
    pub(super) tries: u64,
}
