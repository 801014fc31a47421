//! Counting in lanes: every transactional table once on the primary and
//! on each replica that needs it, at one replication position where
//! positions are to be had, all lanes at once.

use super::align::{align, plain_snapshots, Aligned};
use super::batches::{batches, keys, wanted, wanting};
use super::context::{all_at_once, both, staged, Ctx, Result, RunState};
use super::forensics;
use super::hashing::compare_content;
use super::plan::Table;
use super::queue::{Held, LaneWork, Queue, RoundShared, Work};
use super::ranged::count_ranges;
use super::readings::{Closing, Readings};
use super::servers::{each_replica, Done, Dropouts, Lane};
use crate::consistency::Placement;
use crate::model::{ContentRead, ReplicaId};
use crate::server::Session;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Transactional tables, on every lane at once.
pub(super) fn read_in_lanes(
    ctx: &Ctx,
    lanes: &mut [Lane],
    tables: &[Table],
    run: &mut RunState,
    readings: &mut Readings,
    dropouts: &Dropouts,
) -> Result<()> {
    if tables.is_empty() {
        return Ok(());
    }
    let (ranged, whole): (Vec<&Table>, Vec<&Table>) =
        tables.iter().partition(|t| t.ranges.is_some());
    let queue = Queue::new(batches(&whole), ranged, tables.len());
    let needed = wanting(&tables.iter().collect::<Vec<_>>());
    let gathered = Mutex::new(std::mem::replace(readings, Readings::new(0)));
    let on = RoundShared {
        ctx,
        queue: &queue,
        needed: &needed,
        dropouts,
        gathered: &gathered,
    };
    let placement = run.placement;
    let results = all_at_once(lanes.iter_mut(), |lane| {
        lane_work(&on, lane, placement).inspect_err(|_| queue.fail())
    });
    *readings = gathered
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    for work in results {
        let work = work?;
        run.align_tries += work.tries;
        readings.merge(work.readings);
    }
    for (table, job) in tables.iter().filter_map(|t| Some((t, t.ranges.as_ref()?))) {
        let closing = Closing {
            taken: job.taken(),
            complete: job.complete(),
            reached: job.reached(),
            from_start: job.from_start,
        };
        readings.close_ranges(&table.key, &table.wanted_by, &closing);
    }
    Ok(())
}

/// One lane's round: align its snapshots (when positions are to be had),
/// count batches from the queue on the primary and the aligned replicas at
/// once, close the snapshots.
fn lane_work(on: &RoundShared, lane: &mut Lane, placement: Placement) -> Result<LaneWork> {
    let ctx = on.ctx;
    let mut work = LaneWork {
        readings: Readings::new(ctx.cfg.replicas.len()),
        tries: 0,
    };
    let mut until = ctx.recheck_deadline;
    loop {
        let aligned = match placement {
            Placement::Exact | Placement::Bracketed => align(on, lane, &mut work, until)?,
            Placement::Unplaced => plain_snapshots(on, lane)?,
        };
        let Some(aligned) = aligned else { break };
        if count_batches(on, lane, &aligned, &mut work.readings)? == Held::Done {
            break;
        }
        // The snapshots got old: a new pair for the rest of the queue,
        // aligned while there is time to count with it.
        end_snapshots(on, lane)?;
        until = ctx.near_end();
    }
    end_snapshots(on, lane)?;
    Ok(work)
}

/// Ends the lane's snapshots (read-only: nothing to commit).
fn end_snapshots(on: &RoundShared, lane: &mut Lane) -> Result<()> {
    let ctx = on.ctx;
    let everyone: Vec<ReplicaId> = ReplicaId::all(lane.replicas.len()).collect();
    staged(
        ctx,
        &mut lane.primary,
        "closing its snapshot",
        Session::end_snapshot,
    )?;
    each_replica(&mut lane.replicas, &everyone, on.dropouts, |_, s| {
        staged(ctx, s, "closing its snapshot", Session::end_snapshot)
    });
    Ok(())
}

/// Counts batches from the queue: each table once on the primary and on
/// every aligned replica that needs it, all at once.
fn count_batches(
    on: &RoundShared,
    lane: &mut Lane,
    aligned: &Aligned,
    readings: &mut Readings,
) -> Result<Held> {
    let ctx = on.ctx;
    // A pair counts one statement at least, however long aligning it
    // took: else a bound shorter than an alignment makes no progress.
    let mut counted = false;
    loop {
        if counted && aligned.since.elapsed() >= ctx.cfg.max_snapshot_age {
            return Ok(Held::Aged);
        }
        let batch = match on.queue.take() {
            None => return Ok(Held::Done),
            Some(Work::Ranges(table)) => {
                let held = count_ranges(on, lane, table, aligned, readings)?;
                on.gather(readings);
                match held {
                    Held::Aged => return Ok(Held::Aged),
                    Held::Done => {
                        counted = true;
                        continue;
                    }
                    Held::Idle => return Ok(Held::Done),
                }
            }
            Some(Work::Batch(batch)) => batch,
        };
        counted = true;
        count_batch(on, lane, batch, aligned, readings)?;
        on.gather(readings);
    }
}

/// Counts one batch on the primary and on every aligned replica that
/// needs a table of it, all at once, then hashes the content asked for.
fn count_batch(
    on: &RoundShared,
    lane: &mut Lane,
    batch: &[&Table],
    aligned: &Aligned,
    readings: &mut Readings,
) -> Result<()> {
    let ctx = on.ctx;
    let what = format!(
        "counting rows ({}, at {})",
        on.queue.progress(),
        batch[0].key
    );
    let limit = whole_count_limit(ctx, batch);
    let all = keys(batch);
    let (p, counted) = both(
        || {
            staged(ctx, &mut lane.primary, &what, |s| {
                s.count_within(&all, limit)
            })
        },
        || {
            each_replica(
                &mut lane.replicas,
                &aligned.replicas,
                on.dropouts,
                |j, s| {
                    let mine = wanted(batch, j);
                    staged(ctx, s, &what, |s| s.count_within(&mine, limit))
                },
            )
        },
    );
    on.queue.counted(batch.len());
    let Some(p) = p? else {
        readings.stopped(&batch[0].key, &batch[0].wanted_among(&aligned.replicas));
        return Ok(());
    };
    for Done { replica, value } in counted {
        let Some(value) = value else {
            readings.stopped(&batch[0].key, &[replica]);
            continue;
        };
        let differing = readings.add(replica, &p, value, aligned.at.as_ref());
        if !differing.is_empty() {
            let kept = forensics::record(on, lane, replica, &differing, aligned)?;
            readings.add_forensics(replica, kept);
        }
    }
    match aligned.at {
        Some(_) => contents(on, lane, batch, aligned, readings),
        // Without positions content is never compared.
        None => {
            left_out(batch, &aligned.replicas, readings);
            Ok(())
        }
    }
}

/// A big table that cannot be cut into key ranges, alone in its batch,
/// is counted within a limit.
fn whole_count_limit(ctx: &Ctx, batch: &[&Table]) -> Option<Duration> {
    match batch {
        [table] if table.uncut(ctx.cfg.chunk_rows) => Some(ctx.whole_limit()),
        _ => None,
    }
}

/// Each table of `batch` that has a content job: left out on `aligned`.
fn left_out(batch: &[&Table], aligned: &[ReplicaId], readings: &mut Readings) {
    for table in batch.iter().filter(|t| t.content.is_some()) {
        readings.content_unread(&table.key, aligned, ContentRead::LeftOut);
    }
}

/// The content of each table of `batch` that has a content job, in the
/// lane's snapshots, while time allows: a first look until the content
/// share of `-t`, a second look (a difference seen before) until shortly
/// before the end.
fn contents(
    on: &RoundShared,
    lane: &mut Lane,
    batch: &[&Table],
    aligned: &Aligned,
    readings: &mut Readings,
) -> Result<()> {
    let ctx = on.ctx;
    for table in batch {
        let Some(job) = &table.content else { continue };
        let replicas = table.wanted_among(&aligned.replicas);
        let until = ctx.looks_until(job.look);
        // A pair that got old hashes no more: the table's content waits
        // for a newer pair (and, without a state file, a later round).
        let aged = aligned.since.elapsed() >= ctx.cfg.max_snapshot_age;
        let found = match aged {
            true => Err(ContentRead::LeftOut),
            false => compare_content(on, lane, table, &replicas, until)?,
        };
        match found {
            Ok(found) => readings.add_content(&table.key, found),
            Err(why) => readings.content_unread(&table.key, &replicas, why),
        }
    }
    Ok(())
}
