//! Content in a lane (`--checksum`): each table hashed on the primary and
//! on its aligned replicas, in the very snapshots its counts were read in,
//! so that content verdicts rest on the same positions as counts.

use super::context::{both, staged, Ctx, Result};
use super::plan::{ContentJob, Table};
use super::queue::RoundShared;
use super::readings::ReplicaContent;
use super::servers::{each_replica, Done, Dropouts, Lane};
use crate::cli::ChecksumMethod;
use crate::model::{ContentRead, Key, Look, ReplicaId, Role, SideError};
use crate::rowhash::{
    differing, differing_keys, show_key, ContentReading, KeyRange, Located, Method, Shape,
    SideContent, CHUNK_ROWS, KEYS_KEPT, NARROWED_RANGES,
};
use crate::server::{Session, TableResult};
use std::time::{Duration, Instant};

/// `CHECKSUM TABLE` reads a table in one statement: only up to this many
/// estimated rows (about a second), bigger tables go by key ranges.
const FAST_MAX_ROWS: u64 = 1_000_000;

/// How one table is hashed in this lane.
fn method(ctx: &Ctx, table: &Table, job: &ContentJob, replicas: &[ReplicaId]) -> Method {
    let fast_allowed = ctx
        .cfg
        .checksum
        .as_ref()
        .is_some_and(|c| c.method == ChecksumMethod::Fast);
    let trusted = replicas.iter().all(|j| job.trusted.contains(j));
    let keyed = job.shape.key.is_some();
    let again = job.look == Look::Again;
    if fast_allowed && trusted && !again && table.estimated_rows <= FAST_MAX_ROWS {
        Method::ChecksumTable
    } else if keyed && (again || table.estimated_rows > CHUNK_ROWS) {
        Method::KeyRanges
    } else {
        Method::Whole
    }
}

/// Key ranges hashed per statement: about 0.2 s of work.
const RANGES_PER_STATEMENT: usize = 4;

/// One side's hashes so far, or why they cannot be had.
type Side = TableResult<SideContent>;

/// A table's digests on the primary and on each replica.
struct Sides {
    primary: Side,
    replicas: Vec<Done<Side>>,
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
    replicas: &'a [ReplicaId],
    method: Method,
    what: String,
    /// Columns not on both sides, not hashed.
    left_out: Vec<String>,
    /// A big table without a key to cut it by is hashed whole within a
    /// limit.
    limit: Option<WholeLimit>,
}

/// How long a statement hashing a whole table may run, and what its stop
/// means: `Stopped` at the table's own limit, `LeftOut` when the time for
/// looks ran out first (a later run may fit it in).
struct WholeLimit {
    after: Duration,
    stop: ContentRead,
}

impl WholeLimit {
    /// The table's own limit, or what is left until `until` if less.
    fn until(ctx: &Ctx, until: Instant) -> WholeLimit {
        let (own, left) = (
            ctx.whole_limit(),
            until.saturating_duration_since(Instant::now()),
        );
        match left < own {
            true => WholeLimit {
                after: left,
                stop: ContentRead::LeftOut,
            },
            false => WholeLimit {
                after: own,
                stop: ContentRead::Stopped,
            },
        }
    }
}

/// The content of a table on each replica, or why it was not read:
/// `LeftOut` when `until` passed first (it is left for later), `Stopped`
/// when the servers stopped hashing it whole at its limit.
pub(super) type Compared = std::result::Result<Vec<ReplicaContent>, ContentRead>;

/// Hashes `table` on the primary and on `replicas` at once, and compares;
/// on a second look, narrows differing ranges down to key values.
pub(super) fn compare_content(
    on: &RoundShared,
    lane: &mut Lane,
    table: &Table,
    replicas: &[ReplicaId],
    until: Instant,
) -> Result<Compared> {
    let (ctx, key) = (on.ctx, &table.key);
    let Some(job) = &table.content else {
        return Ok(Err(ContentRead::LeftOut));
    };
    let method = method(ctx, table, job, replicas);
    let limit = (method == Method::Whole && table.uncut(ctx.cfg.chunk_rows))
        .then(|| WholeLimit::until(ctx, until));
    let h = Hashing {
        ctx,
        dropouts: on.dropouts,
        replicas,
        method,
        what: format!("hashing the content of {key}"),
        left_out: job.left_out.clone(),
        limit,
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
            let failed = |&replica| ReplicaContent {
                replica,
                reading: Err(side_error(Role::Primary, &e)),
            };
            return Ok(Ok(replicas.iter().map(failed).collect()));
        }
    };
    let plan = Plan {
        key,
        shape: &job.shape,
        ranges: &ranges,
    };
    match hash_sides(&h, lane, &plan, until)? {
        Ok(sides) => judge_all(&h, lane, &plan, sides, job.look).map(Ok),
        Err(why) => Ok(Err(why)),
    }
}

/// Each replica still in the run against the primary.
fn judge_all(
    h: &Hashing,
    lane: &mut Lane,
    plan: &Plan,
    sides: Sides,
    look: Look,
) -> Result<Vec<ReplicaContent>> {
    let mut out = Vec::with_capacity(sides.replicas.len());
    for Done { replica, value } in sides.replicas {
        if h.dropouts.is_out(replica) {
            continue;
        }
        let reading = match (&sides.primary, value) {
            (Err(e), _) => Err(side_error(Role::Primary, e)),
            (_, Err(e)) => Err(side_error(Role::Replica, &e)),
            (Ok(p), Ok(mine)) => {
                let pair = Pair {
                    replica,
                    primary: p,
                    mine: &mine,
                };
                Ok(judge_sides(h, lane, plan, look, &pair)?)
            }
        };
        out.push(ReplicaContent { replica, reading });
    }
    Ok(out)
}

fn side_error(side: Role, message: &str) -> SideError {
    SideError {
        side,
        message: message.to_string(),
    }
}

/// Every range's digests on the primary and on each replica, a few ranges
/// per statement, all servers at once; or why not (`until` passed first,
/// or the servers stopped a statement at its limit).
fn hash_sides(
    h: &Hashing,
    lane: &mut Lane,
    plan: &Plan,
    until: Instant,
) -> Result<std::result::Result<Sides, ContentRead>> {
    let empty = || -> Side {
        Ok(SideContent {
            digests: Vec::new(),
        })
    };
    let mut p = empty();
    let mut r: Vec<Done<Side>> = h
        .replicas
        .iter()
        .map(|&replica| Done {
            replica,
            value: empty(),
        })
        .collect();
    for group in plan.ranges.chunks(RANGES_PER_STATEMENT) {
        if Instant::now() > until {
            return Ok(Err(ContentRead::LeftOut));
        }
        // `None`: the server stopped the statement at its limit.
        let digest = |s: &mut Session| -> Result<Option<Side>> {
            staged(h.ctx, s, &h.what, |s| match h.method {
                Method::ChecksumTable => Ok(Some(
                    s.checksum_table(plan.key)?
                        .map(|d| SideContent { digests: vec![d] }),
                )),
                _ => s.hash_ranges_within(
                    plan.key,
                    plan.shape,
                    group,
                    h.limit.as_ref().map(|l| l.after),
                ),
            })
        };
        let (got_p, got_r) = both(
            || digest(&mut lane.primary),
            || each_replica(&mut lane.replicas, h.replicas, h.dropouts, |_, s| digest(s)),
        );
        let stop = h
            .limit
            .as_ref()
            .map_or(ContentRead::LeftOut, |l| l.stop.clone());
        let stopped = || Ok(Err(stop.clone()));
        let Some(got_p) = got_p? else {
            return stopped();
        };
        extend(&mut p, got_p);
        for got in got_r {
            let Some(value) = got.value else {
                return stopped();
            };
            if let Some(side) = r.iter_mut().find(|d| d.replica == got.replica) {
                extend(&mut side.value, value);
            }
        }
    }
    Ok(Ok(Sides {
        primary: p,
        replicas: r,
    }))
}

/// One replica's hashes beside the primary's.
struct Pair<'a> {
    replica: ReplicaId,
    primary: &'a SideContent,
    mine: &'a SideContent,
}

/// One replica's content against the primary's, located on a second look.
fn judge_sides(
    h: &Hashing,
    lane: &mut Lane,
    plan: &Plan,
    look: Look,
    pair: &Pair,
) -> Result<ContentReading> {
    let diff = differing(pair.primary, pair.mine);
    let located = match (diff.is_empty(), look) {
        (true, _) => None,
        (false, Look::First) => Some(Located::default()),
        (false, Look::Again) => Some(locate(h, lane, pair.replica, plan, &diff)?),
    };
    Ok(ContentReading {
        left_out: h.left_out.clone(),
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
    h: &Hashing,
    lane: &mut Lane,
    replica: ReplicaId,
    plan: &Plan,
    diff: &[usize],
) -> Result<Located> {
    let (ctx, dropouts) = (h.ctx, h.dropouts);
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
        let Some(mine) = replicas[replica.index()].as_mut() else {
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
