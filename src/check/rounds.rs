//! One round: the listings when needed, then every table some replica
//! still needs, read on the primary once and on those replicas.

use super::context::{both, staged, Ctx, Result, RunState};
use super::definitions::compare_definitions;
use super::lanes::read_in_lanes;
use super::plan::{to_count, Table, Tracked};
use super::range_plan::RangePlan;
use super::readings::{Readings, ReplicaReads};
use super::servers::{each_replica, Dropouts, Lane};
use super::unsnapshotted::read_unsnapshotted;
use crate::consistency::GtidPos;
use crate::model::{Coverage, Listing, ReplicaId, Round};
use crate::server::{Session, Shapes};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What one round gave one replica: its round, to be judged, and where
/// its counts were compared.
pub(super) struct ReplicaRound {
    pub(super) replica: ReplicaId,
    pub(super) round: Round,
    /// The positions its counts were compared at.
    pub(super) positions: Vec<GtidPos>,
    /// How far its first snapshot of the round was past the primary's.
    pub(super) first_gap: Option<u64>,
}

/// One round: the listings (again only when a pending table is not listed
/// on both sides: a table missing on one side needs two listings), then
/// the tables each active replica still needs, read on the primary once
/// and on those replicas; per replica, its round.
pub(super) fn read_round(
    ctx: &Ctx,
    lanes: &mut [Lane],
    tracked: &[Tracked],
    active: &[ReplicaId],
    run: &mut RunState,
    dropouts: &Dropouts,
) -> Result<Vec<ReplicaRound>> {
    let relist = active
        .iter()
        .any(|j| tracked[j.index()].needs_listing(&run.primary));
    let mut listings: BTreeMap<ReplicaId, Arc<Listing>> = active
        .iter()
        .map(|&j| (j, tracked[j.index()].listing.clone()))
        .collect();
    let mut definitions = None;
    if relist {
        run.primary = relist_all(ctx, &mut lanes[0], active, &mut listings, dropouts)?;
        let primary = run.primary.clone();
        definitions = Some(compare_definitions(
            ctx,
            &mut lanes[0],
            &primary,
            &listings,
            dropouts,
        )?);
    }
    let content = ctx.cfg.checksum.is_some().then_some(&run.same_version[..]);
    let ranges = RangePlan {
        rows: ctx.cfg.chunk_rows,
        carried: &run.carried,
    };
    let mut tables = to_count(&run.primary, &listings, tracked, dropouts, content);
    for table in &mut tables {
        table.ranges = ranges.plan(table, tracked).map(Box::new);
    }
    if !run.rotation.is_empty() {
        // Stable: among tables verified at the same time, biggest first.
        tables.sort_by_key(|t| run.rotation.get(&t.key).copied().unwrap_or(0));
    }
    // The transactional tables stay where they are (no second vector of
    // them all); the few others are taken out.
    let non_tx: Vec<Table> = tables.extract_if(.., |t| !t.transactional).collect();
    let tx = tables;
    let mut readings = Readings::for_tables(ctx.cfg.replicas.len(), tx.len() + non_tx.len());
    read_unsnapshotted(ctx, &mut lanes[0], &non_tx, run, &mut readings, dropouts)?;
    read_in_lanes(ctx, lanes, &tx, run, &mut readings, dropouts)?;
    let mut rounds = per_replica(ctx, run, listings, readings, dropouts);
    for r in &mut rounds {
        r.round.definitions = definitions
            .as_mut()
            .map(|d| d.remove(&r.replica).unwrap_or_default());
    }
    Ok(rounds)
}

/// Each replica's round, of the readings taken and its listing.
fn per_replica(
    ctx: &Ctx,
    run: &RunState,
    listings: BTreeMap<ReplicaId, Arc<Listing>>,
    mut readings: Readings,
    dropouts: &Dropouts,
) -> Vec<ReplicaRound> {
    let coverage = match ctx.cfg.state_file.is_some() {
        true => Coverage::Rotation,
        false => Coverage::EveryRun,
    };
    listings
        .into_iter()
        .filter(|(j, _)| !dropouts.is_out(*j))
        .map(|(replica, listing)| {
            let ReplicaReads {
                readings,
                positions,
                first_gap,
                forensics,
                stopped,
            } = readings.take(replica);
            let round = Round {
                primary: run.primary.clone(),
                replica: listing,
                readings,
                positioned: run.placement.positioned(),
                coverage,
                definitions: None,
                forensics,
                stopped,
            };
            ReplicaRound {
                replica,
                round,
                positions,
                first_gap,
            }
        })
        .collect()
}

/// The primary's listing and each active replica's, all at once on the
/// first lane; a replica that cannot list leaves the run.
fn relist_all(
    ctx: &Ctx,
    lane: &mut Lane,
    active: &[ReplicaId],
    listings: &mut BTreeMap<ReplicaId, Arc<Listing>>,
    dropouts: &Dropouts,
) -> Result<Arc<Listing>> {
    let shapes = match ctx.cfg.checksum {
        Some(_) => Shapes::All,
        None => Shapes::Above(ctx.cfg.chunk_rows),
    };
    let list = |s: &mut Session| {
        staged(ctx, s, "listing tables", |s| {
            s.list(&ctx.cfg.filter, shapes)
        })
    };
    let (primary, replicas) = both(
        || list(&mut lane.primary),
        || each_replica(&mut lane.replicas, active, dropouts, |_, s| list(s)),
    );
    for d in replicas {
        listings.insert(d.replica, Arc::new(d.value));
    }
    primary.map(Arc::new)
}
