//! One run: connect to both servers at once, make sure the replica is one
//! of the primary, then compare in rounds until every table has a verdict
//! or the budget for re-checks is spent.
//!
//! The work is done in lanes: a lane is one primary and one replica
//! connection. A lane opens a snapshot on the primary (exact GTID position
//! P), and the replica waits for P and opens its own in the same round trip
//! (exact position R). Only when R = P does the lane count, and then it
//! counts the same tables on both sides at once; otherwise it tries again
//! with fresh snapshots. Counts from one position are the only evidence
//! that concurrent writes cannot fake (see `consistency`).

use crate::answer::{Registry, Stage};
use crate::compare::{Comparison, Outcome};
use crate::config::{Config, Server};
use crate::consistency::{lineage, GtidPos, Lineage};
use crate::model::{Key, Listing, Reading, Round, TableCount};
use crate::plugin::{Failure, State};
use crate::snapshot::{PrimarySnapshot, Session};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Failure>;

/// Re-check rounds, and tries to align a lane, stop starting once this
/// share of `-t` is spent, leaving the rest for the counting under way.
const RECHECK_SHARE: f64 = 0.5;
const MAX_ROUNDS: usize = 10;
/// Snapshot pairs one lane may open in one round to find a pair at one
/// position (under 400 writes/s about half of them are).
const MAX_ALIGN_TRIES: u64 = 100;
/// Tables per counting statement, and the estimated rows past which a table
/// gets a statement of its own.
const BATCH_TABLES: usize = 200;
const BATCH_ROWS: u64 = 200_000;

struct Ctx<'a> {
    cfg: &'a Config,
    deadline: Instant,
    /// No new round or alignment try starts after this.
    recheck_deadline: Instant,
    started: Instant,
    stage: &'a Stage,
    registry: &'a Registry,
}

/// One primary and one replica connection, working on the same tables.
struct Lane {
    primary: Session,
    replica: Session,
}

/// A table to count, with what decides how and in which order.
struct Table {
    key: Key,
    /// Snapshots cover it on both sides.
    transactional: bool,
    estimated_rows: u64,
}

pub fn run(cfg: &Config, stage: &Stage, registry: &Registry) -> Result<Outcome> {
    let started = Instant::now();
    let ctx = Ctx {
        cfg,
        deadline: started + cfg.timeout,
        recheck_deadline: started + cfg.timeout.mul_f64(RECHECK_SHARE),
        started,
        stage,
        registry,
    };
    let mut lanes = connect(&ctx)?;
    // Who the servers are first: a server that is no replica of this
    // primary is that, whether or not it replicates from elsewhere.
    let positioned = same_stream(&ctx, &mut lanes[0])?;
    replication_running(cfg, &mut lanes[0].replica)?;
    let mut outcome = Outcome {
        comparison: Comparison::default(),
        positions: Vec::new(),
        positioned,
        replica_ahead: None,
        align_tries: 0,
        rounds: 0,
        elapsed: Duration::ZERO,
    };
    let mut pending: Option<Vec<Key>> = None;
    let mut listings = (Listing::new(), Listing::new());
    loop {
        let relist = pending
            .as_ref()
            .is_none_or(|p| p.iter().any(|k| !both_listed(&listings, k)));
        let round = read_round(
            &ctx,
            &mut lanes,
            pending.as_deref(),
            &listings,
            relist,
            &mut outcome,
        )?;
        outcome.rounds += 1;
        let keys = pending.unwrap_or_else(|| union_keys(&round.primary, &round.replica));
        let still = outcome.comparison.round(&keys, &round, outcome.rounds == 1);
        listings = (round.primary, round.replica);
        if still.is_empty() || outcome.rounds >= MAX_ROUNDS || Instant::now() > ctx.recheck_deadline
        {
            outcome.comparison.finish(&still);
            break;
        }
        pending = Some(still);
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

/// What `session` is doing now, for the timeout message.
fn note(ctx: &Ctx, session: &Session, what: impl Into<String>) {
    ctx.stage.set(session.server.role, session.index, what);
}

/// Runs `work` on `session` under the stage `what`, and marks the session
/// idle when it returns (a failure ends the run, stage and all).
fn staged<T>(
    ctx: &Ctx,
    session: &mut Session,
    what: impl Into<String>,
    work: impl FnOnce(&mut Session) -> Result<T>,
) -> Result<T> {
    note(ctx, session, what);
    let done = work(session)?;
    note(ctx, session, "");
    Ok(done)
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
    .unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"))
}

fn join<T>(h: crossbeam::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join()
        .unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"))
}

/// Both servers' sessions, connected at the same time, paired into lanes.
/// A server that cannot be reached is the news, whichever it is.
fn connect(ctx: &Ctx) -> Result<Vec<Lane>> {
    let cfg = ctx.cfg;
    let (primary, replica) = both(
        || connect_all(ctx, &cfg.primary),
        || connect_all(ctx, &cfg.replica),
    );
    let (primary, replica) = match (primary, replica) {
        (Ok(p), Ok(r)) => (p, r),
        (Err(p), Err(r)) => return Err(both_failed(p, r)),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    Ok(primary
        .into_iter()
        .zip(replica)
        .map(|(primary, replica)| Lane { primary, replica })
        .collect())
}

/// Neither server could be reached: both are named, the worse state wins.
fn both_failed(primary: Failure, replica: Failure) -> Failure {
    Failure::new(
        primary.state.merge(replica.state),
        format!("{}; {}", primary.message, replica.message),
    )
}

/// The sessions of one server, connected at the same time.
fn connect_all(ctx: &Ctx, server: &Server) -> Result<Vec<Session>> {
    crossbeam::scope(|s| {
        let handles: Vec<_> = (0..ctx.cfg.connections)
            .map(|i| {
                s.spawn(move |_| {
                    ctx.stage
                        .set(server.role, i, format!("connecting to {server}"));
                    let register = |role, id| ctx.registry.add(role, id);
                    let session = Session::connect(ctx.cfg, server, i, ctx.deadline, &register)?;
                    note(ctx, &session, "connected");
                    Ok(session)
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    })
    .unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"))
}

/// Replication not running ends the run: the counts of a stopped replica
/// say nothing about drift.
fn replication_running(cfg: &Config, replica: &mut Session) -> Result<()> {
    let health = replica.replication_state()?;
    if health.running {
        return Ok(());
    }
    let detail = health.detail.map(|d| format!(" ({d})")).unwrap_or_default();
    Err(Failure::critical(format!(
        "replication is not running on {} ({}){detail}: no comparison made",
        cfg.replica, health.seen
    )))
}

/// Makes sure the two servers are a primary and a replica of it, as far as
/// the account can tell; returns whether replication positions are to be
/// had (MariaDB with a binary log on the primary).
fn same_stream(ctx: &Ctx, lane: &mut Lane) -> Result<bool> {
    let (primary, replica) = (&ctx.cfg.primary, &ctx.cfg.replica);
    // The replica first: whatever it has applied by then, its primary had
    // logged before it is asked (in parallel, a transaction logged between
    // the two readings would look foreign).
    let r = staged(
        ctx,
        &mut lane.replica,
        "reading its server id and GTID position",
        Session::identity,
    )?;
    let p = staged(
        ctx,
        &mut lane.primary,
        "reading its server id and GTID state",
        Session::identity,
    )?;
    let fail = |state, text: String| Err(Failure::new(state, text));
    if p.server_id == r.server_id {
        return fail(
            State::Critical,
            format!(
                "{replica} is not a replica of {primary}: both have server_id {} (the same server given twice?)",
                p.server_id
            ),
        );
    }
    let Some(state) = p.gtids else {
        // MySQL: no GTID state the account can compare.
        return Ok(false);
    };
    let Some(applied) = r.gtids else {
        return fail(
            State::Unknown,
            format!(
                "cannot read mysql.gtid_slave_pos on {replica}: without the replica's position no \
                 verdict can be reached (GRANT SELECT ON mysql.gtid_slave_pos)"
            ),
        );
    };
    match lineage(&state, &applied) {
        Lineage::Replica => Ok(true),
        Lineage::NotReplica(why) => fail(
            State::Critical,
            format!("{replica} is not a replica of {primary}: {why}"),
        ),
        Lineage::Unknown(why) => fail(
            State::Unknown,
            format!("cannot tell whether {replica} replicates from {primary}: {why}"),
        ),
    }
}

/// One round: both listings, then the tables of `want` (all when `None`)
/// read on both sides.
fn read_round(
    ctx: &Ctx,
    lanes: &mut [Lane],
    want: Option<&[Key]>,
    old: &(Listing, Listing),
    relist: bool,
    outcome: &mut Outcome,
) -> Result<Round> {
    let lane = &mut lanes[0];
    let (primary, replica) = both(
        || listing(ctx, &mut lane.primary, &old.0, relist),
        || listing(ctx, &mut lane.replica, &old.1, relist),
    );
    let (primary, replica) = (primary?, replica?);
    let (tx, non_tx): (Vec<Table>, Vec<Table>) = to_count(&primary, &replica, want)
        .into_iter()
        .partition(|t| t.transactional);
    let mut readings = HashMap::new();
    read_unsnapshotted(ctx, &mut lanes[0], &non_tx, outcome, &mut readings)?;
    read_in_lanes(ctx, lanes, &tx, outcome, &mut readings)?;
    Ok(Round {
        primary,
        replica,
        readings,
        positioned: outcome.positioned,
    })
}

fn listing(ctx: &Ctx, session: &mut Session, old: &Listing, relist: bool) -> Result<Listing> {
    if !relist {
        return Ok(old.clone());
    }
    staged(ctx, session, "listing tables", |s| s.list(&ctx.cfg.filter))
}

/// The tables of `want` (all when `None`) listed on both sides, biggest
/// first, so that one huge table does not leave the other lanes idle at
/// the end; then by name, for a stable order.
fn to_count(primary: &Listing, replica: &Listing, want: Option<&[Key]>) -> Vec<Table> {
    let keys: Box<dyn Iterator<Item = &Key>> = match want {
        None => Box::new(primary.keys()),
        Some(keys) => Box::new(keys.iter()),
    };
    let mut out: Vec<Table> = keys
        .filter(|k| !k.is_database())
        .filter_map(|k| {
            let (p, r) = (primary.get(k)?, replica.get(k)?);
            Some(Table {
                key: k.clone(),
                transactional: p.transactional && r.transactional,
                estimated_rows: p.estimated_rows,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.estimated_rows
            .cmp(&a.estimated_rows)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// Splits tables, biggest first, into counting statements: a big table
/// alone, small ones many to a statement.
fn batches(tables: &[Table]) -> Vec<Vec<&Key>> {
    let mut out: Vec<Vec<&Key>> = Vec::new();
    let mut cur: Vec<&Key> = Vec::new();
    let mut rows = 0u64;
    for t in tables {
        if !cur.is_empty() && (cur.len() >= BATCH_TABLES || rows + t.estimated_rows > BATCH_ROWS) {
            out.push(std::mem::take(&mut cur));
            rows = 0;
        }
        cur.push(&t.key);
        rows += t.estimated_rows;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Readings of one batch counted on both sides, at `at` when both sides
/// were at that one position.
fn pair_up(
    primary: Vec<TableCount>,
    replica: Vec<TableCount>,
    at: Option<&GtidPos>,
) -> impl Iterator<Item = (Key, Reading)> + '_ {
    // Both come in the batch's order.
    primary.into_iter().zip(replica).map(move |(p, r)| {
        let reading = Reading {
            primary: p.rows,
            replica: r.rows,
            at: at.cloned(),
        };
        (p.key, reading)
    })
}

/// How long a replica may wait for a position: what is left of `-t`, less
/// a margin for the answer.
fn wait_budget(ctx: &Ctx) -> Duration {
    ctx.deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(Duration::from_millis(500))
        .max(Duration::from_millis(100))
}

/// Tables that snapshots do not cover (MyISAM, Aria, MEMORY...), on the
/// first lane: each batch is counted on the primary between two equal
/// readings of its binlog position P, then on the replica, after waiting
/// for P, between two readings of its applied position. Only when all four
/// agree were both counts taken at one position.
fn read_unsnapshotted(
    ctx: &Ctx,
    lane: &mut Lane,
    tables: &[Table],
    outcome: &mut Outcome,
    readings: &mut HashMap<Key, Reading>,
) -> Result<()> {
    let positioned = outcome.positioned;
    for batch in batches(tables) {
        let what = format!("counting {} non-transactional tables", batch.len());
        let p = staged(ctx, &mut lane.primary, &what, |s| {
            s.count_between_positions(&batch, None, wait_budget(ctx))
        })?
        .ok_or_else(|| Failure::unknown(format!("{}: no count", ctx.cfg.primary)))?;
        let wait = p.at.as_ref().filter(|_| positioned);
        let r = staged(ctx, &mut lane.replica, what, |s| {
            s.count_between_positions(&batch, wait, wait_budget(ctx))
        })?;
        let Some(r) = r else {
            let pos = wait.cloned().unwrap_or_default();
            return Err(lagging(ctx, &mut lane.replica, &pos));
        };
        let at =
            p.at.filter(|a| positioned && r.at.as_ref().is_some_and(|b| b.at_primary_point(a)));
        readings.extend(pair_up(p.counts, r.counts, at.as_ref()));
        outcome.compared_at(at);
    }
    Ok(())
}

/// The shared queue of counting statements the lanes pull from.
struct Queue<'a> {
    batches: Vec<Vec<&'a Key>>,
    next: AtomicUsize,
    done: AtomicUsize,
    total: usize,
    /// Set by a lane that failed: the others stop.
    failed: AtomicBool,
}

impl<'a> Queue<'a> {
    fn take(&self) -> Option<&[&'a Key]> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        self.batches
            .get(self.next.fetch_add(1, Ordering::Relaxed))
            .map(Vec::as_slice)
    }

    fn exhausted(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
            || self.next.load(Ordering::Relaxed) >= self.batches.len()
    }

    fn counted(&self, n: usize) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// What one lane did in one round.
#[derive(Default)]
struct LaneWork {
    readings: Vec<(Key, Reading)>,
    /// The position the lane counted at, when it was aligned.
    at: Option<GtidPos>,
    first_gap: Option<u64>,
    tries: u64,
}

/// Transactional tables, on every lane at once.
fn read_in_lanes(
    ctx: &Ctx,
    lanes: &mut [Lane],
    tables: &[Table],
    outcome: &mut Outcome,
    readings: &mut HashMap<Key, Reading>,
) -> Result<()> {
    if tables.is_empty() {
        return Ok(());
    }
    let queue = Queue {
        batches: batches(tables),
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        total: tables.len(),
        failed: AtomicBool::new(false),
    };
    let positioned = outcome.positioned;
    let results: Vec<Result<LaneWork>> = crossbeam::scope(|s| {
        let handles: Vec<_> = lanes
            .iter_mut()
            .map(|lane| {
                let queue = &queue;
                s.spawn(move |_| {
                    lane_work(ctx, lane, queue, positioned)
                        .inspect_err(|_| queue.failed.store(true, Ordering::Relaxed))
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    })
    .unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"));
    for work in results {
        let work = work?;
        outcome.align_tries += work.tries;
        outcome.replica_ahead = outcome.replica_ahead.or(work.first_gap);
        outcome.compared_at(work.at);
        readings.extend(work.readings);
    }
    Ok(())
}

/// One lane's round: align its snapshots (when positions are to be had),
/// count batches from the queue on both sides at once, close the snapshots.
fn lane_work(ctx: &Ctx, lane: &mut Lane, queue: &Queue, positioned: bool) -> Result<LaneWork> {
    let mut work = LaneWork::default();
    let ready = if positioned {
        work.at = align(ctx, lane, queue, &mut work)?;
        work.at.is_some()
    } else {
        lane.primary.open_plain_snapshot()?;
        lane.replica.open_plain_snapshot()?;
        true
    };
    while let Some(batch) = queue.take().filter(|_| ready) {
        let what = format!(
            "counting rows ({} of {} tables done, at {})",
            queue.done.load(Ordering::Relaxed),
            queue.total,
            batch[0]
        );
        let (p, r) = both(
            || staged(ctx, &mut lane.primary, &what, |s| s.count(batch)),
            || staged(ctx, &mut lane.replica, &what, |s| s.count(batch)),
        );
        queue.counted(batch.len());
        work.readings.extend(pair_up(p?, r?, work.at.as_ref()));
    }
    for session in [&mut lane.primary, &mut lane.replica] {
        staged(ctx, session, "closing its snapshot", Session::end_snapshot)?;
    }
    Ok(work)
}

/// Opens snapshot pairs on the lane until the replica's lands on the
/// primary's position; that position, or `None` when no try did within
/// the tries allowed (or when other lanes already took all the work).
fn align(
    ctx: &Ctx,
    lane: &mut Lane,
    queue: &Queue,
    work: &mut LaneWork,
) -> Result<Option<GtidPos>> {
    // The first try always: a round that starts must be able to count.
    let may_try = |tries| tries == 0 || Instant::now() < ctx.recheck_deadline;
    while work.tries < MAX_ALIGN_TRIES && !queue.exhausted() && may_try(work.tries) {
        work.tries += 1;
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
        let p = &snapshot.candidate;
        let waiting = format!("waiting to reach the primary's position {p}");
        let r = staged(ctx, &mut lane.replica, waiting, |s| {
            s.open_replica_snapshot(Some(p), wait_budget(ctx))
        })?;
        let Some(r) = r else {
            return Err(lagging(ctx, &mut lane.replica, p));
        };
        work.first_gap.get_or_insert(r.ahead_of(p));
        // The candidate pair is a pair only if the candidate is the
        // snapshot's exact position.
        if r.at_primary_point(p) && confirmed(ctx, &mut lane.primary, &snapshot)? {
            return Ok(Some(snapshot.candidate));
        }
    }
    Ok(None)
}

/// The candidate position of a primary snapshot is its exact one.
fn confirmed(ctx: &Ctx, primary: &mut Session, snapshot: &PrimarySnapshot) -> Result<bool> {
    let exact = staged(ctx, primary, "reading the snapshot's GTID position", |s| {
        s.snapshot_gtid(snapshot)
    })?;
    Ok(exact.as_ref() == Some(&snapshot.candidate))
}

fn lagging(ctx: &Ctx, replica: &mut Session, pos: &GtidPos) -> Failure {
    let at = replica
        .replica_applied()
        .map_or_else(|| "unknown".into(), |p| p.to_string());
    Failure::new(
        State::Unknown,
        format!(
            "{} did not reach the primary's position {pos} within {:.1}s (it is at {at}): \
             replica lagging, no comparison made",
            ctx.cfg.replica,
            ctx.started.elapsed().as_secs_f64()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, rows: u64) -> Table {
        Table {
            key: Key::table("d".into(), name),
            transactional: true,
            estimated_rows: rows,
        }
    }

    #[test]
    fn big_tables_alone_small_ones_together() {
        let tables = vec![
            t("huge", 5_000_000),
            t("big", 150_000),
            t("s1", 10),
            t("s2", 10),
        ];
        let names: Vec<Vec<&str>> = batches(&tables)
            .iter()
            .map(|b| b.iter().map(|k| k.table_name().unwrap()).collect())
            .collect();
        assert_eq!(names, vec![vec!["huge"], vec!["big", "s1", "s2"]]);
        let many: Vec<Table> = (0..450).map(|i| t(&i.to_string(), 1)).collect();
        let sizes: Vec<usize> = batches(&many).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
    }
}
