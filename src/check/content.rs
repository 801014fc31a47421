//! Content in a lane (`--checksum`): each table hashed on the primary and
//! on its aligned replicas, in the very snapshots its counts were read in,
//! so that content verdicts rest on the same positions as counts.

use super::lanes::Table;
use super::servers::{each_replica, Dropouts, Lane};
use super::{both, staged, Ctx, Result};
use crate::content::{
    differing, differing_keys, show_key, ContentReading, KeyRange, Located, Method, Shape,
    SideContent, CHUNK_ROWS, KEYS_KEPT, NARROWED_RANGES,
};
use crate::model::{Key, Role};
use crate::snapshot::{Session, TableResult};
use std::sync::Arc;
use std::time::Instant;

/// `CHECKSUM TABLE` reads a table in one statement: only up to this many
/// estimated rows (about a second), bigger tables go by key ranges.
const FAST_MAX_ROWS: u64 = 1_000_000;

/// What a table's content comparison needs.
#[derive(Debug, Clone)]
pub(super) struct ContentJob {
    /// The primary's definition of the table.
    pub(super) shape: Arc<Shape>,
    /// The replicas where `CHECKSUM TABLE` is trusted: the primary's
    /// version, and the table's definition the primary's to the byte.
    pub(super) trusted: Vec<usize>,
    /// A second look after a difference: by key ranges, narrowed down.
    pub(super) locate: bool,
}

/// One table's content, per replica of `replicas` (aligned, wanting it).
pub(super) type ContentReadings = Vec<(usize, std::result::Result<ContentReading, (Role, String)>)>;

/// How one table is hashed in this lane.
fn method(ctx: &Ctx, table: &Table, job: &ContentJob, replicas: &[usize]) -> Method {
    let fast_allowed = ctx.cfg.checksum.as_ref().is_some_and(|c| c.fast);
    let trusted = replicas.iter().all(|j| job.trusted.contains(j));
    let keyed = job.shape.key.is_some();
    if fast_allowed && trusted && !job.locate && table.estimated_rows <= FAST_MAX_ROWS {
        Method::ChecksumTable
    } else if keyed && (job.locate || table.estimated_rows > CHUNK_ROWS) {
        Method::KeyRanges
    } else {
        Method::Whole
    }
}

/// Key ranges hashed per statement: about 0.2 s of work.
const RANGES_PER_STATEMENT: usize = 4;

/// One side's hashes so far, or why they cannot be had.
type Side = TableResult<SideContent>;

/// A table's digests on the primary and on each replica (by index).
struct Sides {
    primary: Side,
    replicas: Vec<(usize, Side)>,
}

fn extend(side: &mut Side, more: Side) {
    match (side.as_mut(), more) {
        (Ok(have), Ok(more)) => have.digests.extend(more.digests),
        (Ok(_), Err(e)) => *side = Err(e),
        (Err(_), _) => {}
    }
}

/// What one table's content comparison in a lane works with.
struct Hashing<'a> {
    ctx: &'a Ctx<'a>,
    dropouts: &'a Dropouts,
    /// The aligned replicas that want the table.
    replicas: &'a [usize],
    method: Method,
    what: String,
}

/// Hashes `table` on the primary and on `replicas` at once, and compares;
/// on a second look, narrows differing ranges down to key values. `None`
/// when `until` passed first (the table's content is left for later).
pub(super) fn compare_content(
    ctx: &Ctx,
    lane: &mut Lane,
    table: &Table,
    job: &ContentJob,
    replicas: &[usize],
    dropouts: &Dropouts,
    until: Instant,
) -> Result<Option<ContentReadings>> {
    let key = &table.key;
    let h = Hashing {
        ctx,
        dropouts,
        replicas,
        method: method(ctx, table, job, replicas),
        what: format!("hashing the content of {key}"),
    };
    let ranges = match h.method {
        Method::KeyRanges => staged(ctx, &mut lane.primary, &h.what, |s| {
            s.bounds(key, &job.shape)
        })?
        .map(KeyRange::cut),
        _ => Ok(vec![KeyRange::WHOLE]),
    };
    let ranges = match ranges {
        Ok(ranges) => ranges,
        Err(e) => {
            let failed = |&j| (j, Err((Role::Primary, e.clone())));
            return Ok(Some(replicas.iter().map(failed).collect()));
        }
    };
    let plan = Plan {
        key,
        shape: &job.shape,
        ranges: &ranges,
    };
    let Some(sides) = hash_sides(&h, lane, &plan, until)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(sides.replicas.len());
    for (j, mine) in sides
        .replicas
        .into_iter()
        .filter(|(j, _)| !dropouts.is_out(*j))
    {
        let reading = match (&sides.primary, mine) {
            (Err(e), _) => Err((Role::Primary, e.clone())),
            (_, Err(e)) => Err((Role::Replica, e)),
            (Ok(p), Ok(mine)) => Ok(judge_sides(&h, lane, j, &plan, job.locate, p, &mine)?),
        };
        out.push((j, reading));
    }
    Ok(Some(out))
}

/// Every range's digests on the primary and on each replica, a few ranges
/// per statement, all servers at once; `None` when `until` passes first.
fn hash_sides(h: &Hashing, lane: &mut Lane, plan: &Plan, until: Instant) -> Result<Option<Sides>> {
    let empty = || -> Side {
        Ok(SideContent {
            digests: Vec::new(),
        })
    };
    let mut p = empty();
    let mut r: Vec<(usize, Side)> = h.replicas.iter().map(|&j| (j, empty())).collect();
    for group in plan.ranges.chunks(RANGES_PER_STATEMENT) {
        if Instant::now() > until {
            return Ok(None);
        }
        let digest = |s: &mut Session| -> Result<Side> {
            staged(h.ctx, s, &h.what, |s| match h.method {
                Method::ChecksumTable => Ok(s
                    .checksum_table(plan.key)?
                    .map(|d| SideContent { digests: vec![d] })),
                _ => s.hash_ranges(plan.key, plan.shape, group),
            })
        };
        let (got_p, got_r) = both(
            || digest(&mut lane.primary),
            || each_replica(&mut lane.replicas, h.replicas, h.dropouts, |_, s| digest(s)),
        );
        extend(&mut p, got_p?);
        for (j, got) in got_r {
            if let Some((_, side)) = r.iter_mut().find(|(k, _)| *k == j) {
                extend(side, got);
            }
        }
    }
    Ok(Some(Sides {
        primary: p,
        replicas: r,
    }))
}

/// One replica's content against the primary's, located on a second look.
fn judge_sides(
    h: &Hashing,
    lane: &mut Lane,
    replica: usize,
    plan: &Plan,
    second_look: bool,
    primary: &SideContent,
    mine: &SideContent,
) -> Result<ContentReading> {
    let diff = differing(primary, mine);
    let located = match (diff.is_empty(), second_look) {
        (true, _) => None,
        (false, false) => Some(Located::default()),
        (false, true) => Some(locate(h.ctx, lane, replica, plan, &diff, h.dropouts)?),
    };
    Ok(ContentReading {
        method: h.method,
        same: diff.is_empty(),
        located,
    })
}

/// A table cut into key ranges.
#[derive(Clone, Copy)]
struct Plan<'a> {
    key: &'a Key,
    shape: &'a Shape,
    ranges: &'a [KeyRange],
}

/// The differing ranges described, and the first of them narrowed down to
/// the key values whose rows differ.
fn locate(
    ctx: &Ctx,
    lane: &mut Lane,
    replica: usize,
    plan: &Plan,
    diff: &[usize],
    dropouts: &Dropouts,
) -> Result<Located> {
    let Plan { key, shape, ranges } = *plan;
    let mut located = Located {
        no_key: shape.key.is_none(),
        ..Located::default()
    };
    if located.no_key {
        return Ok(located);
    }
    let what = format!("locating differing rows of {key}");
    for &i in diff.iter().take(NARROWED_RANGES) {
        let range = &ranges[i];
        let Lane { primary, replicas } = lane;
        let Some(mine) = replicas[replica].as_mut() else {
            break;
        };
        let (p, r) = both(
            || staged(ctx, primary, &what, |s| s.row_hashes(key, shape, range)),
            || staged(ctx, mine, &what, |s| s.row_hashes(key, shape, range)),
        );
        let r = match r {
            Ok(r) => r,
            Err(why) => {
                dropouts.leave(replica, why);
                break;
            }
        };
        let (Ok(p), Ok(r)) = (p?, r) else {
            continue;
        };
        for k in differing_keys(&p, &r) {
            located.keys_found += 1;
            if located.keys.len() < KEYS_KEPT {
                located.keys.push(show_key(shape, &k));
            }
        }
    }
    located.ranges = diff.iter().map(|&i| ranges[i].describe(shape)).collect();
    Ok(located)
}
