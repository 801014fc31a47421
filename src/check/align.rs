//! Aligning a lane: snapshot sets opened until the replicas' snapshots
//! sit at the primary's exact position.

use super::context::{staged, Ctx, Result};
use super::queue::{LaneWork, RoundShared};
use super::servers::{each_replica, lagging, Done, Lane};
use crate::consistency::GtidPos;
use crate::model::ReplicaId;
use crate::plugin::Failure;
use crate::server::{PrimarySnapshot, Session};
use std::time::Instant;

/// Snapshot sets one lane may open in one round to find one at one
/// position (under 400 writes/s about half of the replicas' snapshots are).
const MAX_ALIGN_TRIES: u64 = 100;
/// Tries after which a lane counts with the replicas that are aligned,
/// leaving the others' tables to the next round, rather than wait for a
/// try that aligns them all.
const PARTIAL_AFTER: u64 = 10;

/// Where a lane counts: at one position (`None` without positions), on
/// these replicas.
pub(super) struct Aligned {
    pub(super) at: Option<GtidPos>,
    /// The primary snapshot's binary log coordinates, in words (MariaDB).
    pub(super) coordinates: Option<String>,
    pub(super) replicas: Vec<ReplicaId>,
    /// When the snapshots were opened (a moment before, at most).
    pub(super) since: Instant,
}

/// Snapshots without positions (MySQL): every replica counts, no
/// difference is drift.
pub(super) fn plain_snapshots(on: &RoundShared, lane: &mut Lane) -> Result<Option<Aligned>> {
    let since = Instant::now();
    lane.primary.open_plain_snapshot()?;
    let opened = each_replica(&mut lane.replicas, on.needed, on.dropouts, |_, s| {
        s.open_plain_snapshot()
    });
    let replicas: Vec<ReplicaId> = opened.into_iter().map(|d| d.replica).collect();
    Ok((!replicas.is_empty()).then_some(Aligned {
        at: None,
        coordinates: None,
        replicas,
        since,
    }))
}

/// Opens snapshot sets on the lane until the replicas' land on the
/// primary's position: all of them, or after `PARTIAL_AFTER` tries at
/// least one. `None` when no try did within the tries allowed (or when
/// other lanes already took all the work, or no replica is left). Tries
/// stop starting after `until`, but the first is always made: a lane that
/// starts must be able to count.
pub(super) fn align(
    on: &RoundShared,
    lane: &mut Lane,
    work: &mut LaneWork,
    until: Instant,
) -> Result<Option<Aligned>> {
    let mut tries = 0;
    let may_try = |tries| tries == 0 || Instant::now() < until;
    while tries < MAX_ALIGN_TRIES && !on.queue.exhausted() && may_try(tries) {
        tries += 1;
        work.tries += 1;
        match try_align(on, lane, work, tries)? {
            Try::Aligned(aligned) => return Ok(Some(aligned)),
            Try::NoReplica => return Ok(None),
            Try::Again => {}
        }
    }
    Ok(None)
}

/// What one try at aligning a lane gave.
enum Try {
    Aligned(Aligned),
    Again,
    /// Every replica the lane works for has left the run.
    NoReplica,
}

/// One snapshot set: the primary's at P, then every replica's after
/// waiting for P.
fn try_align(on: &RoundShared, lane: &mut Lane, work: &mut LaneWork, tries: u64) -> Result<Try> {
    let (ctx, since) = (on.ctx, Instant::now());
    let snapshot = staged(
        ctx,
        &mut lane.primary,
        "opening a consistent snapshot",
        Session::open_primary_snapshot,
    )?;
    let Some(snapshot) = snapshot else {
        return Err(Failure::unknown(format!(
            "{}: the snapshot has no binlog position",
            ctx.cfg.primary
        )));
    };
    if !snapshot.may_be_placed() {
        return Ok(Try::Again);
    }
    let p = &snapshot.candidate;
    let waiting = format!("waiting to reach the primary's position {p}");
    let reached = each_replica(&mut lane.replicas, on.needed, on.dropouts, |_, s| {
        let r = staged(ctx, s, &waiting, |s| {
            s.open_replica_snapshot(Some(p), ctx.wait_budget())
        })?;
        r.ok_or_else(|| lagging(ctx, s, p))
    });
    if reached.is_empty() {
        return Ok(Try::NoReplica);
    }
    for d in &reached {
        work.readings.gap(d.replica, d.value.ahead_of(p));
    }
    let Some(aligned) = aligned_at(p, &reached, tries) else {
        return Ok(Try::Again);
    };
    // The candidate set is one only if the candidate is the snapshot's
    // exact position.
    if !confirmed(ctx, &mut lane.primary, &snapshot)? {
        return Ok(Try::Again);
    }
    Ok(Try::Aligned(Aligned {
        coordinates: snapshot.coordinates(),
        at: Some(snapshot.candidate),
        replicas: aligned,
        since,
    }))
}

/// The replicas whose snapshots sit exactly at the primary's `p`, when
/// they are enough to count with: every replica that `reached` p, or
/// after `PARTIAL_AFTER` tries at least one. `None`: try again.
fn aligned_at(p: &GtidPos, reached: &[Done<GtidPos>], tries: u64) -> Option<Vec<ReplicaId>> {
    let aligned: Vec<ReplicaId> = reached
        .iter()
        .filter(|d| d.value.at_primary_point(p))
        .map(|d| d.replica)
        .collect();
    let enough = aligned.len() == reached.len() || tries >= PARTIAL_AFTER;
    (!aligned.is_empty() && enough).then_some(aligned)
}

/// The candidate position of a primary snapshot is its exact one.
fn confirmed(ctx: &Ctx, primary: &mut Session, snapshot: &PrimarySnapshot) -> Result<bool> {
    staged(ctx, primary, "reading the snapshot's GTID position", |s| {
        s.confirm(snapshot)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lane of three replicas at the primary's snapshot P = 0-1-10: one
    /// applied a transaction more between its wait and its snapshot, one
    /// holds a transaction of another server under the same sequence
    /// number. Neither is ever counted at P; the one at P alone only once
    /// the lane has tried long enough for all of them.
    #[test]
    fn only_replicas_exactly_at_the_primary_position_count() {
        let r: Vec<ReplicaId> = ReplicaId::all(3).collect();
        let at = |j: usize, s: &str| Done {
            replica: r[j],
            value: GtidPos::parse(s).unwrap(),
        };
        let p = GtidPos::parse("0-1-10").unwrap();
        let reached = vec![at(0, "0-1-10"), at(1, "0-1-11"), at(2, "0-2-10")];
        assert_eq!(aligned_at(&p, &reached, 1), None);
        assert_eq!(aligned_at(&p, &reached, PARTIAL_AFTER - 1), None);
        assert_eq!(aligned_at(&p, &reached, PARTIAL_AFTER), Some(vec![r[0]]));
        let behind = vec![at(1, "0-1-9"), at(2, "0-1-11")];
        assert_eq!(aligned_at(&p, &behind, MAX_ALIGN_TRIES), None);
        let all = vec![at(0, "0-1-10"), at(2, "0-1-10,5-3-7")];
        assert_eq!(aligned_at(&p, &all, 1), Some(vec![r[0], r[2]]));
    }
}
