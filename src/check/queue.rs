//! What the lanes of one round share: the queue of counting statements
//! they pull from, and what each lane gives back.

use super::context::Ctx;
use super::plan::Table;
use super::readings::Readings;
use super::servers::Dropouts;
use crate::model::ReplicaId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The shared queue of counting statements the lanes pull from.
pub(super) struct Queue<'a> {
    batches: Vec<Vec<&'a Table>>,
    next: AtomicUsize,
    done: AtomicUsize,
    total: usize,
    /// Set by a lane that failed: the others stop.
    failed: AtomicBool,
}

impl<'a> Queue<'a> {
    /// `batches` of `total` tables.
    pub(super) fn new(batches: Vec<Vec<&'a Table>>, total: usize) -> Queue<'a> {
        Queue {
            batches,
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            total,
            failed: AtomicBool::new(false),
        }
    }

    pub(super) fn take(&self) -> Option<&[&'a Table]> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        self.batches
            .get(self.next.fetch_add(1, Ordering::Relaxed))
            .map(Vec::as_slice)
    }

    pub(super) fn exhausted(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
            || self.next.load(Ordering::Relaxed) >= self.batches.len()
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

/// What every lane of a round shares.
pub(super) struct RoundShared<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) queue: &'a Queue<'a>,
    /// The replicas that need some table of the round.
    pub(super) needed: &'a [ReplicaId],
    pub(super) dropouts: &'a Dropouts,
}

/// What one lane did in one round.
pub(super) struct LaneWork {
    pub(super) readings: Readings,
    pub(super) tries: u64,
}
