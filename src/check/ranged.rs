//! A big table counted in key ranges in a lane: each range on the primary
//! and on the lane's aligned replicas that want the table, in the lane's
//! snapshots (one position), until the ranges are all taken, time is up,
//! or the snapshots got old. On a look again, a range that still differs
//! is narrowed down, in the same snapshots, to the key values on one side
//! only.

use super::align::Aligned;
use super::context::{both, staged, Ctx, Result};
use super::cursor::{RangeJob, Take, Taken};
use super::forensics::{self, RangeSuspect};
use super::plan::Table;
use super::queue::{Held, RoundShared};
use super::readings::{RangeReading, Readings};
use super::servers::{each_replica, Done, Dropouts, Lane};
use crate::model::{Key, KeysApart, Look, RangeSig, ReplicaId};
use crate::rowhash::{differing_keys, show_key, KeyRange, RowHashes, Shape, KEYS_KEPT};
use crate::server::{Session, TableResult};
use std::time::Instant;

/// A differing range of at most this many rows (on either side) has its
/// key values read on both sides and compared; a bigger one is halved.
const KEYS_LISTED_UP_TO: u64 = 10_000;
/// Halvings and listings per differing range, at most.
const LOCATE_STEPS: usize = 64;

/// Counts ranges of `table` until none is left (`Done`), the snapshots
/// got old (`Aged`), or the lane serves no replica that wants it (`Idle`).
/// A first pass stops taking ranges at the content share of `-t`, so
/// that a range that differed can be looked at again in time; a look
/// again goes on until shortly before the end. A lane that starts on a
/// table counts one range of it at least, so that a short `-t`, or a
/// `--max-snapshot-age` shorter than aligning a pair, still makes
/// progress.
pub(super) fn count_ranges(
    on: &RoundShared,
    lane: &mut Lane,
    table: &Table,
    aligned: &Aligned,
    readings: &mut Readings,
) -> Result<Held> {
    let ctx = on.ctx;
    let Some(job) = &table.ranges else {
        return Ok(Held::Done);
    };
    let replicas = table.wanted_among(&aligned.replicas);
    if replicas.is_empty() {
        return Ok(Held::Idle);
    }
    let until = ctx.looks_until(job.look);
    let what = format!("counting rows of {} by key ranges", table.key);
    for counted in 0u64.. {
        if counted > 0 && aligned.since.elapsed() >= ctx.cfg.max_snapshot_age {
            return Ok(Held::Aged);
        }
        if counted > 0 && Instant::now() >= until {
            job.close();
            return Ok(Held::Done);
        }
        let taken = job.take(|after, rows| {
            staged(ctx, &mut lane.primary, &what, |s| {
                s.next_bound(&table.key, &job.shape, after, rows)
            })
        })?;
        let taken = match taken {
            Take::Range(taken) => taken,
            Take::Done => return Ok(Held::Done),
            Take::Failed(why) => {
                readings.ranges_failed(&table.key, &table.wanted_by, &why);
                return Ok(Held::Done);
            }
        };
        let one = OneRange {
            table,
            job,
            replicas: &replicas,
            aligned,
            what: &what,
            until,
        };
        count_range(on, lane, &one, &taken, readings)?;
    }
    Ok(Held::Done)
}

/// What counting one range of a table in a lane works with.
struct OneRange<'a> {
    table: &'a Table,
    job: &'a RangeJob,
    /// The lane's aligned replicas that want the table.
    replicas: &'a [ReplicaId],
    aligned: &'a Aligned,
    what: &'a str,
    until: Instant,
}

/// Reads one range on the primary (unless the walk told its rows and no
/// content is asked) and on the replicas at once; on a look again,
/// narrows a difference down.
fn count_range(
    on: &RoundShared,
    lane: &mut Lane,
    one: &OneRange,
    taken: &Taken,
    readings: &mut Readings,
) -> Result<()> {
    let (ctx, key, shape) = (on.ctx, &one.table.key, &*one.job.shape);
    let (range, content) = (&taken.range, one.job.content.is_some());
    let probe = |s: &mut Session| {
        staged(ctx, s, one.what, |s| {
            s.probe_range(key, shape, range, content)
        })
    };
    let walked = taken.primary.filter(|_| !content);
    let (p, probed) = both(
        || match walked {
            Some(rows) => Ok(Ok(RangeSig { rows, sum: None })),
            None => probe(&mut lane.primary),
        },
        || {
            each_replica(
                &mut lane.replicas,
                one.replicas,
                on.dropouts,
                |_, s| match walked {
                    Some(rows) => staged(ctx, s, one.what, |s| {
                        s.count_walked(key, shape, range, rows)
                    }),
                    None => probe(s),
                },
            )
        },
    );
    let p = p?;
    for Done { replica, value } in probed {
        let read = RangeRead {
            range,
            primary: &p,
            replica: value,
        };
        take_range(on, lane, one, replica, read, readings)?;
    }
    Ok(())
}

/// One range as read on the primary and on one replica.
struct RangeRead<'a> {
    range: &'a KeyRange,
    primary: &'a std::result::Result<RangeSig, String>,
    replica: std::result::Result<RangeSig, String>,
}

/// Takes one replica's reading of a range in: a difference at one
/// position is recounted for the record, and on a look again narrowed
/// down to key values.
fn take_range(
    on: &RoundShared,
    lane: &mut Lane,
    one: &OneRange,
    replica: ReplicaId,
    read: RangeRead,
    readings: &mut Readings,
) -> Result<()> {
    let (key, shape) = (&one.table.key, &*one.job.shape);
    let content = one.job.content.is_some();
    let at = one.aligned.at.as_ref();
    let mut keys = None;
    if let (Some(_), Ok(a), Ok(b)) = (at, read.primary, &read.replica) {
        if a.rows != b.rows {
            let suspect = RangeSuspect {
                key,
                shape,
                range: read.range,
                sigs: [a, b],
            };
            let kept = forensics::record_range(on, lane, replica, &suspect, one.aligned)?;
            readings.add_forensics(replica, kept);
        }
        if one.job.look == Look::Again && a != b {
            let locating = Locating {
                ctx: on.ctx,
                dropouts: on.dropouts,
                replica,
                key,
                shape,
                content,
                until: one.until,
            };
            let sigs = [a.clone(), b.clone()];
            keys = Some(locate(&locating, lane, read.range, sigs)?);
        }
    }
    let reading = RangeReading {
        key,
        look: one.job.look,
        estimated: one.table.estimated_rows,
        content: one.job.content.as_deref(),
        shape,
        range: read.range,
        primary: read.primary,
        replica: read.replica,
        at,
        keys,
    };
    readings.add_range(replica, reading);
    Ok(())
}

/// What narrowing a differing range down works with.
struct Locating<'a> {
    ctx: &'a Ctx<'a>,
    dropouts: &'a Dropouts,
    replica: ReplicaId,
    key: &'a Key,
    shape: &'a Shape,
    /// Rows are told apart by their hashes too, not by their keys alone.
    content: bool,
    until: Instant,
}

/// A range and what it holds on each side.
type Probed = (KeyRange, [RangeSig; 2]);

/// The key values of `range` on one side only (or, with content, whose
/// rows differ), found by halving it at the lane's one position (each
/// half read on both sides) down to ranges small enough to list.
fn locate(
    l: &Locating,
    lane: &mut Lane,
    range: &KeyRange,
    sigs: [RangeSig; 2],
) -> Result<KeysApart> {
    let mut found = KeysApart::default();
    let mut stack: Vec<Probed> = vec![(range.clone(), sigs)];
    let what = format!("locating differing rows of {}", l.key);
    for _ in 0..LOCATE_STEPS {
        let Some((r, [p, q])) = stack.pop() else {
            break;
        };
        if p == q || Instant::now() > l.until {
            continue;
        }
        let Lane { primary, replicas } = &mut *lane;
        let Some(mine) = replicas[l.replica.index()].as_mut() else {
            break;
        };
        if p.rows.max(q.rows) > KEYS_LISTED_UP_TO {
            stack.extend(halve(l, primary, mine, &r, [p, q])?.into_iter().flatten());
            continue;
        }
        let rows = |s: &mut Session| -> Result<TableResult<RowHashes>> {
            staged(l.ctx, s, &what, |s| {
                s.range_rows(l.key, l.shape, &r, l.content)
            })
        };
        let (a, b) = both(|| rows(primary), || rows(mine));
        let b = match b {
            Ok(b) => b,
            Err(why) => {
                l.dropouts.leave(l.replica, why);
                break;
            }
        };
        if let (Ok(a), Ok(b)) = (a?, b) {
            apart(&mut found, l.shape, &a, &b);
        }
    }
    Ok(found)
}

/// Cuts `r` at the middle key of the side with more rows, and reads the
/// first half on both sides; with counts alone, the second half holds the
/// rest, with content it is read too.
fn halve(
    l: &Locating,
    primary: &mut Session,
    mine: &mut Session,
    r: &KeyRange,
    [p, q]: [RangeSig; 2],
) -> Result<Option<[Probed; 2]>> {
    let what = format!("locating differing rows of {}", l.key);
    let walker = if p.rows >= q.rows {
        &mut *primary
    } else {
        &mut *mine
    };
    let half = p.rows.max(q.rows) / 2;
    let mid = staged(l.ctx, walker, &what, |s| {
        s.next_bound(l.key, l.shape, r.after.as_ref(), half)
    })?;
    let Ok(Some(mid)) = mid else {
        return Ok(None);
    };
    let low = KeyRange {
        after: r.after.clone(),
        upto: Some(mid.clone()),
    };
    let high = KeyRange {
        after: Some(mid),
        upto: r.upto.clone(),
    };
    let Some(low_sigs) = probe_both(l, primary, mine, &low)? else {
        return Ok(None);
    };
    let high_sigs = match l.content {
        true => match probe_both(l, primary, mine, &high)? {
            Some(sigs) => sigs,
            None => return Ok(None),
        },
        false => [rest(&p, &low_sigs[0]), rest(&q, &low_sigs[1])],
    };
    Ok(Some([(high, high_sigs), (low, low_sigs)]))
}

/// The rows of a range less those of its first half.
fn rest(whole: &RangeSig, first: &RangeSig) -> RangeSig {
    RangeSig {
        rows: whole.rows.saturating_sub(first.rows),
        sum: None,
    }
}

/// `r` read on the primary and on the replica at once; `None` when either
/// cannot be read (a replica lost leaves the run).
fn probe_both(
    l: &Locating,
    primary: &mut Session,
    mine: &mut Session,
    r: &KeyRange,
) -> Result<Option<[RangeSig; 2]>> {
    let what = format!("locating differing rows of {}", l.key);
    let probe = |s: &mut Session| {
        staged(l.ctx, s, &what, |s| {
            s.probe_range(l.key, l.shape, r, l.content)
        })
    };
    let (a, b) = both(|| probe(primary), || probe(mine));
    let b = match b {
        Ok(b) => b,
        Err(why) => {
            l.dropouts.leave(l.replica, why);
            return Ok(None);
        }
    };
    match (a?, b) {
        (Ok(a), Ok(b)) => Ok(Some([a, b])),
        _ => Ok(None),
    }
}

/// Adds the key values of one range's rows on the primary and on the
/// replica that are on one side only, or whose rows differ.
fn apart(found: &mut KeysApart, shape: &Shape, primary: &RowHashes, replica: &RowHashes) {
    for k in differing_keys(primary, replica) {
        found.found += 1;
        let list = match (primary.contains_key(&k), replica.contains_key(&k)) {
            (true, false) => &mut found.primary_only,
            (false, true) => &mut found.replica_only,
            _ => &mut found.changed,
        };
        if list.len() < KEYS_KEPT {
            list.push(show_key(shape, &k));
        }
    }
}
