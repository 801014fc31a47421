//! What a run found, as `check` builds it and `report` reads it: per
//! replica its verdicts and positions, or why it has none.

use crate::compare::Comparison;
use crate::consistency::{GtidPos, Placement};
use crate::plugin::Failure;
use std::time::Duration;

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
    /// `--state-file`: the tables whose content is compared at all (in
    /// rotation).
    pub content_eligible: Option<u64>,
    /// `--state-file`: seconds since the big table whose last complete
    /// pass is the oldest had it (or was first listed).
    pub pass_age: Option<u64>,
    /// `--state-file`: big tables whose pass goes on in a later run.
    pub passes_under_way: u64,
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
