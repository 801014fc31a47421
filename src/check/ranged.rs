//! A big table counted in key ranges in a lane: each range on the primary
//! and on the lane's aligned replicas that want the table, in the lane's
//! snapshots (one position), until the ranges are all taken, time is up,
//! or the snapshots got old. On a look again, a range that still differs
//! is narrowed down, in the same snapshots, to the key values on one side
//! only.

use super::align::Aligned;
use super::context::{both, staged, Ctx, Result};
use super::cursor::{RangeJob, Take, Taken};
use super::plan::Table;
use super::queue::{Held, RoundShared};
use super::readings::{RangeReading, Readings};
use super::servers::{each_replica, Done, Dropouts, Lane};
use crate::model::{Key, KeysApart, Look, ReplicaId};
use crate::rowhash::{show_key, KeyRange, Shape, KEYS_KEPT};
use crate::server::{Session, TableResult};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

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
/// table counts one range of it at least, so that a short `-t` still
/// makes progress.
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
    let replicas: Vec<ReplicaId> = aligned
        .replicas
        .iter()
        .copied()
        .filter(|j| table.wanted_by.contains(j))
        .collect();
    if replicas.is_empty() {
        return Ok(Held::Idle);
    }
    let until = match job.look {
        Look::First => ctx.content_deadline,
        Look::Again => ctx.deadline - Duration::from_millis(500).min(ctx.cfg.timeout / 4),
    };
    let what = format!("counting rows of {} by key ranges", table.key);
    for counted in 0u64.. {
        if aligned.since.elapsed() >= ctx.cfg.max_snapshot_age {
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

/// Counts one range on the primary (unless the walk told its rows) and
/// on the replicas at once; on a look again, narrows a difference down.
fn count_range(
    on: &RoundShared,
    lane: &mut Lane,
    one: &OneRange,
    taken: &Taken,
    readings: &mut Readings,
) -> Result<()> {
    let (ctx, key, shape) = (on.ctx, &one.table.key, &*one.job.shape);
    let range = &taken.range;
    let count = |s: &mut Session| staged(ctx, s, one.what, |s| s.count_range(key, shape, range));
    let (p, counted) = both(
        || match taken.primary {
            Some(n) => Ok(Ok(n)),
            None => count(&mut lane.primary),
        },
        || {
            each_replica(&mut lane.replicas, one.replicas, on.dropouts, |_, s| {
                count(s)
            })
        },
    );
    let p = p?;
    let at = one.aligned.at.as_ref();
    for Done { replica, value } in counted {
        let differs = matches!((&p, &value), (Ok(a), Ok(b)) if a != b);
        let keys = match (one.job.look, differs, at, &p, &value) {
            (Look::Again, true, Some(_), Ok(a), Ok(b)) => {
                let locating = Locating {
                    ctx,
                    dropouts: on.dropouts,
                    replica,
                    key,
                    shape,
                    until: one.until,
                };
                Some(locate(&locating, lane, range, (*a, *b))?)
            }
            _ => None,
        };
        let reading = RangeReading {
            key,
            look: one.job.look,
            estimated: one.table.estimated_rows,
            shape,
            range,
            primary: &p,
            replica: value,
            at,
            keys,
        };
        readings.add_range(replica, reading);
    }
    Ok(())
}

/// What narrowing a differing range down works with.
struct Locating<'a> {
    ctx: &'a Ctx<'a>,
    dropouts: &'a Dropouts,
    replica: ReplicaId,
    key: &'a Key,
    shape: &'a Shape,
    until: Instant,
}

/// The key values of `range` on one side only, found by halving it at
/// the lane's one position (each half counted on both sides) down to
/// ranges small enough to list.
fn locate(
    l: &Locating,
    lane: &mut Lane,
    range: &KeyRange,
    counts: (u64, u64),
) -> Result<KeysApart> {
    let mut found = KeysApart::default();
    let mut stack = vec![(range.clone(), counts)];
    let what = format!("locating differing rows of {}", l.key);
    for _ in 0..LOCATE_STEPS {
        let Some((r, (p, q))) = stack.pop() else {
            break;
        };
        if p == q || Instant::now() > l.until {
            continue;
        }
        let Lane { primary, replicas } = &mut *lane;
        let Some(mine) = replicas[l.replica.index()].as_mut() else {
            break;
        };
        let on_one_side = |s: &mut Session| -> Result<TableResult<Vec<Vec<Vec<u8>>>>> {
            staged(l.ctx, s, &what, |s| s.range_keys(l.key, l.shape, &r))
        };
        if p.max(q) <= KEYS_LISTED_UP_TO {
            let (a, b) = both(|| on_one_side(primary), || on_one_side(mine));
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
            continue;
        }
        let halves = match halve(l, primary, mine, &r, (p, q))? {
            Some(halves) => halves,
            None => continue,
        };
        stack.extend(halves);
    }
    Ok(found)
}

/// A range and its rows on each side.
type Counted = (KeyRange, (u64, u64));

/// Cuts `r` at the middle key of the side with more rows, and counts the
/// first half on both sides (the second holds the rest).
fn halve(
    l: &Locating,
    primary: &mut Session,
    mine: &mut Session,
    r: &KeyRange,
    (p, q): (u64, u64),
) -> Result<Option<[Counted; 2]>> {
    let what = format!("locating differing rows of {}", l.key);
    let walker = if p >= q { &mut *primary } else { &mut *mine };
    let half = p.max(q) / 2;
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
    let count = |s: &mut Session| staged(l.ctx, s, &what, |s| s.count_range(l.key, l.shape, &low));
    let (a, b) = both(|| count(primary), || count(mine));
    let b = match b {
        Ok(b) => b,
        Err(why) => {
            l.dropouts.leave(l.replica, why);
            return Ok(None);
        }
    };
    let (Ok(pl), Ok(ql)) = (a?, b) else {
        return Ok(None);
    };
    let high = KeyRange {
        after: Some(mid),
        upto: r.upto.clone(),
    };
    let rest = (p.saturating_sub(pl), q.saturating_sub(ql));
    Ok(Some([(high, rest), (low, (pl, ql))]))
}

/// Adds the key values of `primary` and `replica` (one range's) found on
/// one side only.
fn apart(found: &mut KeysApart, shape: &Shape, primary: &[Vec<Vec<u8>>], replica: &[Vec<Vec<u8>>]) {
    let a: BTreeSet<&Vec<Vec<u8>>> = primary.iter().collect();
    let b: BTreeSet<&Vec<Vec<u8>>> = replica.iter().collect();
    for k in a.difference(&b) {
        found.found += 1;
        if found.primary_only.len() < KEYS_KEPT {
            found.primary_only.push(show_key(shape, k));
        }
    }
    for k in b.difference(&a) {
        found.found += 1;
        if found.replica_only.len() < KEYS_KEPT {
            found.replica_only.push(show_key(shape, k));
        }
    }
}
