//! One run: connect to both servers at once, then compare in rounds until
//! every table has a verdict or the budget for re-checks is spent.

use crate::compare::{Comparison, SideRound};
use crate::config::{Config, Role, Server};
use crate::consistency::GtidPos;
use crate::plugin::{Failure, State};
use crate::snapshot::{Key, Listing, Registry, Session};
use anyhow::{anyhow, Result};
use crossbeam::channel::{bounded, Receiver, Sender};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Re-check rounds stop starting once this share of `-t` is spent, leaving
/// the rest for the round under way.
const RECHECK_SHARE: f64 = 0.5;
const MAX_ROUNDS: usize = 10;
/// Tables per counting statement, and the estimated rows past which a table
/// gets a statement of its own.
const BATCH_TABLES: usize = 200;
const BATCH_ROWS: u64 = 200_000;

/// What each side is doing, for the timeout message.
#[derive(Default)]
pub struct Stage {
    primary: Mutex<String>,
    replica: Mutex<String>,
}

impl Stage {
    pub fn set(&self, role: Role, what: impl Into<String>) {
        let slot = match role {
            Role::Primary => &self.primary,
            Role::Replica => &self.replica,
        };
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = what.into();
    }

    pub fn describe(&self) -> String {
        let get = |m: &Mutex<String>| m.lock().unwrap_or_else(|e| e.into_inner()).clone();
        format!(
            "primary: {}; replica: {}",
            get(&self.primary),
            get(&self.replica)
        )
    }
}

pub struct Outcome {
    pub comparison: Comparison,
    pub primary_position: Option<GtidPos>,
    pub replica_position: Option<GtidPos>,
    /// False when no GTID wait was possible: no difference is then drift.
    pub ordered: bool,
    pub rounds: usize,
    pub elapsed: Duration,
}

struct Ctx<'a> {
    cfg: &'a Config,
    deadline: Instant,
    started: Instant,
    stage: &'a Stage,
    registry: &'a Registry,
}

pub fn run(cfg: &Config, stage: &Stage, registry: &Registry) -> Result<Outcome> {
    let started = Instant::now();
    let ctx = Ctx {
        cfg,
        deadline: started + cfg.timeout,
        started,
        stage,
        registry,
    };
    let (primary, replica) = both(
        || connect_all(&ctx, &cfg.primary),
        || {
            connect_all(&ctx, &cfg.replica).and_then(|mut sessions| {
                replication_running(cfg, &mut sessions[0])?;
                Ok(sessions)
            })
        },
    );
    // A server that cannot be reached is the news, whichever it is.
    let (mut primary, mut replica) = match (primary, replica) {
        (Ok(p), Ok(r)) => (p, r),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };

    let mut comparison = Comparison::default();
    let mut pending: Option<Vec<Key>> = None;
    let mut listings: (Listing, Listing) = Default::default();
    let mut first_positions = (None, None);
    let mut ordered = true;
    let mut rounds = 0;
    loop {
        let relist = pending
            .as_ref()
            .is_none_or(|p| p.iter().any(|k| !both_listed(&listings, k)));
        let (p, r, was_ordered) = round(
            &ctx,
            &mut primary,
            &mut replica,
            pending.as_deref(),
            &listings,
            relist,
        )?;
        rounds += 1;
        ordered &= was_ordered;
        if rounds == 1 {
            first_positions = (
                p.positions.first().cloned().flatten(),
                r.positions.first().cloned().flatten(),
            );
        }
        let keys = pending.unwrap_or_else(|| union_keys(&p.listing, &r.listing));
        let still = comparison.round(&keys, &p, &r, was_ordered, rounds == 1);
        listings = (p.listing, r.listing);
        let spent = started.elapsed().as_secs_f64() / cfg.timeout.as_secs_f64();
        if still.is_empty() || rounds >= MAX_ROUNDS || spent > RECHECK_SHARE {
            comparison.finish(&still);
            break;
        }
        pending = Some(still);
    }
    Ok(Outcome {
        comparison,
        primary_position: first_positions.0,
        replica_position: first_positions.1,
        ordered,
        rounds,
        elapsed: started.elapsed(),
    })
}

fn both_listed(l: &(Listing, Listing), k: &Key) -> bool {
    l.0.contains_key(k) && l.1.contains_key(k)
}

fn union_keys(a: &Listing, b: &Listing) -> Vec<Key> {
    let set: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    set.into_iter().cloned().collect()
}

/// Runs two closures at the same time on crossbeam scoped threads.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    crossbeam::scope(|s| {
        let ha = s.spawn(|_| a());
        let hb = s.spawn(|_| b());
        (join(ha), join(hb))
    })
    .unwrap_or_else(|_| panic!("a reading thread panicked"))
}

fn join<T>(h: crossbeam::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// The sessions of one server, connected at the same time.
fn connect_all(ctx: &Ctx, server: &Server) -> Result<Vec<Session>> {
    ctx.stage
        .set(server.role, format!("connecting to {server}"));
    crossbeam::scope(|s| {
        let handles: Vec<_> = (0..ctx.cfg.connections)
            .map(|_| s.spawn(|_| Session::connect(ctx.cfg, server, ctx.deadline, ctx.registry)))
            .collect();
        handles.into_iter().map(join).collect()
    })
    .unwrap_or_else(|_| panic!("a connecting thread panicked"))
}

/// `Slave_running=OFF` ends the run: the counts of a stopped replica say
/// nothing about drift.
fn replication_running(cfg: &Config, replica: &mut Session) -> Result<()> {
    let (running, detail) = replica.replication_state()?;
    if running {
        return Ok(());
    }
    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
    Err(anyhow!(Failure::new(
        State::Critical,
        format!(
            "replication is not running on {} (Slave_running=OFF){detail}: no comparison made",
            cfg.replica
        )
    )))
}

/// The primary's word to the replica: the position to wait for.
type Position = Option<GtidPos>;
type Counts = HashMap<Key, (Result<u64, String>, usize)>;
/// Counts of one worker: table, count, index of its snapshot.
type Counted = Vec<(Key, Result<u64, String>, usize)>;

/// One round: both sides read at the same time, the replica after reaching
/// the primary's snapshot position; then, for the tables whose counts
/// differ, a second primary snapshot P2 opened after the replica's.
fn round(
    ctx: &Ctx,
    primary: &mut [Session],
    replica: &mut [Session],
    want: Option<&[Key]>,
    listings: &(Listing, Listing),
    relist: bool,
) -> Result<(SideRound, SideRound, bool)> {
    let (to_replica, wait_pos) = bounded::<Position>(1);
    let (p_sessions, r_sessions) = (&mut *primary, &mut *replica);
    let (p, r) = both(
        move || primary_round(ctx, p_sessions, want, &listings.0, relist, to_replica),
        move || replica_round(ctx, r_sessions, want, &listings.1, relist, wait_pos),
    );
    // The side that failed first tells why; the other only saw its
    // partner disappear.
    let (mut p, (r, ordered)) = match (p, r) {
        (Ok(p), Ok(r)) => (p, r),
        (Err(e), Err(f)) if e.to_string().contains(PARTNER_GONE) => return Err(f),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    // Only the tables counted on both sides with different results: a
    // handful, not the whole listing again.
    let mut differ: Vec<(Key, bool, u64)> = p
        .counts
        .iter()
        .filter(|(k, (mine, _))| match (mine, r.counts.get(*k)) {
            (Ok(a), Some((Ok(b), _))) => a != b,
            _ => false,
        })
        .filter_map(|(k, _)| {
            p.listing
                .get(k)
                .map(|i| (k.clone(), i.transactional, i.estimated_rows))
        })
        .collect();
    biggest_first(&mut differ);
    if !differ.is_empty() {
        ctx.stage.set(
            Role::Primary,
            format!("re-counting {} differing tables", differ.len()),
        );
        primary[0].begin_snapshot()?;
        let mut after = Counts::new();
        count_into(ctx, Role::Primary, &mut primary[..1], &differ, &mut after)?;
        primary[0].end_snapshot()?;
        p.after = after
            .into_iter()
            .filter_map(|(k, (n, _))| n.ok().map(|n| (k, n)))
            .collect();
    }
    Ok((p, r, ordered))
}

const PARTNER_GONE: &str = "the other server's reading stopped";

fn gone<T>(_: T) -> anyhow::Error {
    anyhow!(PARTNER_GONE)
}

/// The tables of `want` (all when `None`) that `listing` holds, biggest first.
fn to_count(listing: &Listing, want: Option<&[Key]>) -> Vec<(Key, bool, u64)> {
    let mut out: Vec<(Key, bool, u64)> = match want {
        None => listing
            .iter()
            .filter(|(k, _)| !k.is_database())
            .map(|(k, i)| (k.clone(), i.transactional, i.estimated_rows))
            .collect(),
        Some(keys) => keys
            .iter()
            .filter(|k| !k.is_database())
            .filter_map(|k| {
                listing
                    .get(k)
                    .map(|i| (k.clone(), i.transactional, i.estimated_rows))
            })
            .collect(),
    };
    biggest_first(&mut out);
    out
}

/// Largest estimate first, so that one huge table does not leave the other
/// connections idle at the end; then by name, for a stable order.
fn biggest_first(tables: &mut [(Key, bool, u64)]) {
    tables.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
}

fn primary_round(
    ctx: &Ctx,
    sessions: &mut [Session],
    want: Option<&[Key]>,
    old_listing: &Listing,
    relist: bool,
    to_replica: Sender<Position>,
) -> Result<SideRound> {
    let role = Role::Primary;
    let mut side = SideRound {
        listing: listing(ctx, role, &mut sessions[0], old_listing, relist)?,
        ..Default::default()
    };
    ctx.stage.set(role, "opening consistent snapshots");
    for s in sessions.iter_mut() {
        s.begin_snapshot()?;
        side.positions.push(s.primary_snapshot_position()?);
    }
    let (tx, non_tx): (Vec<_>, Vec<_>) =
        to_count(&side.listing, want).into_iter().partition(|t| t.1);
    // Non-transactional tables ignore snapshots: read them now, before
    // naming the position the replica must reach, so that it covers them.
    count_into(ctx, role, &mut sessions[..1], &non_tx, &mut side.counts)?;
    let wait_for = if side.positions.iter().all(Option::is_some) {
        sessions[0].binlog_position()?
    } else {
        None
    };
    to_replica.send(wait_for).map_err(gone)?;
    count_into(ctx, role, sessions, &tx, &mut side.counts)?;
    for s in sessions.iter_mut() {
        s.end_snapshot()?;
    }
    Ok(side)
}

fn replica_round(
    ctx: &Ctx,
    sessions: &mut [Session],
    want: Option<&[Key]>,
    old_listing: &Listing,
    relist: bool,
    wait_pos: Receiver<Position>,
) -> Result<(SideRound, bool)> {
    let role = Role::Replica;
    // Listed while the primary lists too: a table that one listing misses
    // by a race is only "missing" once confirmed by the next round's.
    let mut side = SideRound {
        listing: listing(ctx, role, &mut sessions[0], old_listing, relist)?,
        ..Default::default()
    };
    ctx.stage
        .set(role, "waiting for the primary's snapshot position");
    let target = wait_pos.recv().map_err(gone)?;
    let ordered = match &target {
        Some(pos) => {
            ctx.stage.set(
                role,
                format!("waiting to reach the primary's position {pos}"),
            );
            let left = ctx.deadline.saturating_duration_since(Instant::now());
            let budget = left
                .saturating_sub(Duration::from_millis(500))
                .max(Duration::from_millis(100));
            if !sessions[0].wait_for(pos, budget)? {
                let at = sessions[0]
                    .replica_applied()
                    .map_or_else(|| "unknown".into(), |p| p.to_string());
                return Err(anyhow!(Failure::new(
                    State::Unknown,
                    format!(
                        "{} did not reach the primary's position {pos} within {:.1}s (it is at {at}): \
                         replica lagging, no comparison made",
                        ctx.cfg.replica,
                        ctx.started.elapsed().as_secs_f64()
                    )
                )));
            }
            true
        }
        None => false,
    };
    ctx.stage.set(role, "opening consistent snapshots");
    for s in sessions.iter_mut() {
        s.begin_snapshot()?;
        side.positions.push(s.replica_snapshot_position());
    }
    let (tx, non_tx): (Vec<_>, Vec<_>) =
        to_count(&side.listing, want).into_iter().partition(|t| t.1);
    count_into(ctx, role, &mut sessions[..1], &non_tx, &mut side.counts)?;
    count_into(ctx, role, sessions, &tx, &mut side.counts)?;
    for s in sessions.iter_mut() {
        s.end_snapshot()?;
    }
    Ok((side, ordered))
}

fn listing(
    ctx: &Ctx,
    role: Role,
    session: &mut Session,
    old: &Listing,
    relist: bool,
) -> Result<Listing> {
    if !relist {
        return Ok(old.clone());
    }
    ctx.stage.set(role, "listing tables");
    session.list(&ctx.cfg.filter)
}

/// Splits tables, biggest first, into counting statements: a big table
/// alone, small ones many to a statement.
fn batches(tables: &[(Key, bool, u64)]) -> Vec<Vec<&Key>> {
    let mut out: Vec<Vec<&Key>> = Vec::new();
    let mut cur: Vec<&Key> = Vec::new();
    let mut rows = 0u64;
    for (k, _, est) in tables {
        if !cur.is_empty() && (cur.len() >= BATCH_TABLES || rows + est > BATCH_ROWS) {
            out.push(std::mem::take(&mut cur));
            rows = 0;
        }
        cur.push(k);
        rows += est;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Counts `tables` with every session in `sessions` pulling batches from one
/// queue; each count records the index of the snapshot it was read in.
fn count_into(
    ctx: &Ctx,
    role: Role,
    sessions: &mut [Session],
    tables: &[(Key, bool, u64)],
    out: &mut Counts,
) -> Result<()> {
    if tables.is_empty() {
        return Ok(());
    }
    let batches = batches(tables);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let total = tables.len();
    ctx.stage
        .set(role, format!("counting rows (0 of {total} tables)"));
    let results: Vec<Result<Counted>> = crossbeam::scope(|s| {
        let handles: Vec<_> = sessions
            .iter_mut()
            .enumerate()
            .map(|(i, session)| {
                let (next, done, failed, batches) = (&next, &done, &failed, &batches);
                s.spawn(move |_| {
                    let mut mine = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        let counted = session
                            .count(batch)
                            .inspect_err(|_| failed.store(true, Ordering::Relaxed))?;
                        let n = done.fetch_add(batch.len(), Ordering::Relaxed) + batch.len();
                        ctx.stage.set(
                            role,
                            format!("counting rows ({n} of {total} tables, at {})", batch[0]),
                        );
                        mine.extend(counted.into_iter().map(|(k, c)| (k, c, i)));
                    }
                    Ok(mine)
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    })
    .unwrap_or_else(|_| panic!("a counting thread panicked"));
    for r in results {
        for (k, c, i) in r? {
            out.insert(k, (c, i));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(t: &str) -> Key {
        Key {
            db: "d".into(),
            table: t.into(),
        }
    }

    #[test]
    fn big_tables_alone_small_ones_together() {
        let tables: Vec<(Key, bool, u64)> = vec![
            (k("huge"), true, 5_000_000),
            (k("big"), true, 150_000),
            (k("s1"), true, 10),
            (k("s2"), true, 10),
        ];
        let b = batches(&tables);
        let names: Vec<Vec<&str>> = b
            .iter()
            .map(|b| b.iter().map(|k| &*k.table).collect())
            .collect();
        assert_eq!(names, vec![vec!["huge"], vec!["big", "s1", "s2"]]);
        let many: Vec<(Key, bool, u64)> = (0..450).map(|i| (k(&i.to_string()), true, 1)).collect();
        let sizes: Vec<usize> = batches(&many).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
    }
}
