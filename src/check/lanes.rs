//! Counting: every table once on the primary and on each replica that
//! needs it, at one replication position where positions are to be had.

use super::content::{compare_content, ContentJob, ContentReadings};
use super::servers::{each_replica, lagging, Dropouts, Lane};
use super::{join, staged, Ctx, Result, RunState};
use crate::consistency::GtidPos;
use crate::model::{Key, Reading, TableCount};
use crate::plugin::Failure;
use crate::snapshot::{PrimarySnapshot, Session};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Snapshot sets one lane may open in one round to find one at one
/// position (under 400 writes/s about half of the replicas' snapshots are).
const MAX_ALIGN_TRIES: u64 = 100;
/// Tries after which a lane counts with the replicas that are aligned,
/// leaving the others' tables to the next round, rather than wait for a
/// try that aligns them all.
const PARTIAL_AFTER: u64 = 10;
/// Tables per counting statement, and the estimated rows past which a table
/// gets a statement of its own.
const BATCH_TABLES: usize = 200;
const BATCH_ROWS: u64 = 200_000;

/// A table to count, with what decides how and in which order.
pub(super) struct Table {
    pub(super) key: Key,
    /// Snapshots cover it on every side.
    pub(super) transactional: bool,
    pub(super) estimated_rows: u64,
    /// The replicas (by index) that need its counts.
    pub(super) wanted_by: Vec<usize>,
    /// Its content is compared too (`--checksum`, transactional tables).
    pub(super) content: Option<ContentJob>,
}

/// What one round read for one replica.
#[derive(Default)]
pub(super) struct ReplicaReads {
    pub(super) readings: HashMap<Key, Reading>,
    /// The positions its counts were compared at.
    pub(super) positions: Vec<GtidPos>,
    /// How far its first snapshot of the round was past the primary's.
    pub(super) first_gap: Option<u64>,
}

/// One round's readings, per replica.
pub(super) struct Readings {
    by_replica: Vec<ReplicaReads>,
}

impl Readings {
    pub(super) fn new(replicas: usize) -> Readings {
        Readings {
            by_replica: (0..replicas).map(|_| ReplicaReads::default()).collect(),
        }
    }

    pub(super) fn take(&mut self, replica: usize) -> ReplicaReads {
        std::mem::take(&mut self.by_replica[replica])
    }

    /// The counts of one batch: the primary's, and `replica`'s of the
    /// tables it wanted, at `at` when both were at that one position.
    fn add(
        &mut self,
        replica: usize,
        primary: &[TableCount],
        counts: Vec<TableCount>,
        at: Option<&GtidPos>,
    ) {
        let on_primary: HashMap<&Key, &std::result::Result<u64, String>> =
            primary.iter().map(|c| (&c.key, &c.rows)).collect();
        let mine = &mut self.by_replica[replica];
        for c in counts {
            let Some(rows) = on_primary.get(&c.key) else {
                continue;
            };
            let reading = Reading {
                primary: (*rows).clone(),
                replica: c.rows,
                at: at.cloned(),
                content: None,
            };
            mine.readings.insert(c.key, reading);
        }
        if let Some(at) = at.filter(|at| !mine.positions.contains(at)) {
            mine.positions.push(at.clone());
        }
    }

    /// The content of `key`, read in the snapshots its counts were.
    fn add_content(&mut self, key: &Key, found: ContentReadings) {
        for (j, content) in found {
            if let Some(r) = self.by_replica[j].readings.get_mut(key) {
                r.content = Some(content);
            }
        }
    }

    fn gap(&mut self, replica: usize, gap: u64) {
        self.by_replica[replica].first_gap.get_or_insert(gap);
    }

    /// Takes in what another lane read.
    fn merge(&mut self, other: Readings) {
        for (mine, theirs) in self.by_replica.iter_mut().zip(other.by_replica) {
            mine.readings.extend(theirs.readings);
            for at in theirs.positions {
                if !mine.positions.contains(&at) {
                    mine.positions.push(at);
                }
            }
            mine.first_gap = mine.first_gap.or(theirs.first_gap);
        }
    }
}

/// Splits tables, biggest first, into counting statements: a big table
/// alone, small ones many to a statement.
fn batches(tables: &[Table]) -> Vec<Vec<&Table>> {
    let mut out: Vec<Vec<&Table>> = Vec::new();
    let mut cur: Vec<&Table> = Vec::new();
    let mut rows = 0u64;
    for t in tables {
        if !cur.is_empty() && (cur.len() >= BATCH_TABLES || rows + t.estimated_rows > BATCH_ROWS) {
            out.push(std::mem::take(&mut cur));
            rows = 0;
        }
        cur.push(t);
        rows += t.estimated_rows;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn keys<'a>(batch: &[&'a Table]) -> Vec<&'a Key> {
    batch.iter().map(|t| &t.key).collect()
}

/// The tables of `batch` that `replica` needs.
fn wanted<'a>(batch: &[&'a Table], replica: usize) -> Vec<&'a Key> {
    batch
        .iter()
        .filter(|t| t.wanted_by.contains(&replica))
        .map(|t| &t.key)
        .collect()
}

/// The replicas that need some table of `batch`.
fn wanting(batch: &[&Table]) -> Vec<usize> {
    let mut all: Vec<usize> = batch
        .iter()
        .flat_map(|t| t.wanted_by.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// How long a replica may wait for a position: what is left of `-t`, less
/// a margin for the answer, and no more than its patience.
fn wait_budget(ctx: &Ctx) -> Duration {
    ctx.deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(Duration::from_millis(500))
        .min(ctx.patience)
        .max(Duration::from_millis(100))
}

/// Tables that snapshots do not cover (MyISAM, Aria, MEMORY...), on the
/// first lane: each batch is counted on the primary between two equal
/// readings of its binlog position P, then on each replica that needs it,
/// after waiting for P, between two readings of its applied position. Only
/// when all four agree were both counts taken at one position.
pub(super) fn read_unsnapshotted(
    ctx: &Ctx,
    lane: &mut Lane,
    tables: &[Table],
    run: &RunState,
    readings: &mut Readings,
    dropouts: &Dropouts,
) -> Result<()> {
    let positioned = run.placement.positioned();
    for batch in batches(tables) {
        let what = format!("counting {} non-transactional tables", batch.len());
        let all = keys(&batch);
        let p = staged(ctx, &mut lane.primary, &what, |s| {
            s.count_between_positions(&all, None, wait_budget(ctx))
        })?
        .ok_or_else(|| Failure::unknown(format!("{}: no count", ctx.cfg.primary)))?;
        let wait = p.at.as_ref().filter(|_| positioned);
        let counted = each_replica(&mut lane.replicas, &wanting(&batch), dropouts, |j, s| {
            let mine = wanted(&batch, j);
            let r = staged(ctx, s, &what, |s| {
                s.count_between_positions(&mine, wait, wait_budget(ctx))
            })?;
            r.ok_or_else(|| lagging(ctx, s, wait.unwrap_or(&GtidPos::default())))
        });
        for (j, r) in counted {
            let at =
                p.at.as_ref()
                    .filter(|a| positioned && r.at.as_ref().is_some_and(|b| b.at_primary_point(a)));
            readings.add(j, &p.counts, r.counts, at);
        }
    }
    Ok(())
}

/// The shared queue of counting statements the lanes pull from.
struct Queue<'a> {
    batches: Vec<Vec<&'a Table>>,
    next: AtomicUsize,
    done: AtomicUsize,
    total: usize,
    /// Set by a lane that failed: the others stop.
    failed: AtomicBool,
}

impl<'a> Queue<'a> {
    fn take(&self) -> Option<&[&'a Table]> {
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
struct LaneWork {
    readings: Readings,
    tries: u64,
}

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
    let queue = Queue {
        batches: batches(tables),
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        total: tables.len(),
        failed: AtomicBool::new(false),
    };
    let needed = wanting(&tables.iter().collect::<Vec<_>>());
    let positioned = run.placement.positioned();
    let results: Vec<Result<LaneWork>> = crossbeam::scope(|s| {
        let handles: Vec<_> = lanes
            .iter_mut()
            .map(|lane| {
                let (queue, needed) = (&queue, &needed);
                s.spawn(move |_| {
                    let on = RoundShared {
                        ctx,
                        queue,
                        needed,
                        dropouts,
                    };
                    lane_work(&on, lane, positioned)
                        .inspect_err(|_| queue.failed.store(true, Ordering::Relaxed))
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    })
    .unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"));
    for work in results {
        let work = work?;
        run.align_tries += work.tries;
        readings.merge(work.readings);
    }
    Ok(())
}

/// What every lane of a round shares.
struct RoundShared<'a> {
    ctx: &'a Ctx<'a>,
    queue: &'a Queue<'a>,
    /// The replicas that need some table of the round.
    needed: &'a [usize],
    dropouts: &'a Dropouts,
}

/// One lane's round: align its snapshots (when positions are to be had),
/// count batches from the queue on the primary and the aligned replicas at
/// once, close the snapshots.
fn lane_work(on: &RoundShared, lane: &mut Lane, positioned: bool) -> Result<LaneWork> {
    let ctx = on.ctx;
    let mut work = LaneWork {
        readings: Readings::new(ctx.cfg.replicas.len()),
        tries: 0,
    };
    let aligned = if positioned {
        align(on, lane, &mut work)?
    } else {
        plain_snapshots(on, lane)?
    };
    if let Some(aligned) = aligned {
        count_batches(on, lane, &aligned, &mut work.readings)?;
    }
    let everyone: Vec<usize> = (0..lane.replicas.len()).collect();
    staged(
        ctx,
        &mut lane.primary,
        "closing its snapshot",
        Session::end_snapshot,
    )?;
    each_replica(&mut lane.replicas, &everyone, on.dropouts, |_, s| {
        staged(ctx, s, "closing its snapshot", Session::end_snapshot)
    });
    Ok(work)
}

/// Where a lane counts: at one position (`None` without positions), on
/// these replicas.
struct Aligned {
    at: Option<GtidPos>,
    replicas: Vec<usize>,
}

/// Snapshots without positions (MySQL): every replica counts, no
/// difference is drift.
fn plain_snapshots(on: &RoundShared, lane: &mut Lane) -> Result<Option<Aligned>> {
    lane.primary.open_plain_snapshot()?;
    let opened = each_replica(&mut lane.replicas, on.needed, on.dropouts, |_, s| {
        s.open_plain_snapshot()
    });
    let replicas: Vec<usize> = opened.into_iter().map(|(j, ())| j).collect();
    Ok((!replicas.is_empty()).then_some(Aligned { at: None, replicas }))
}

/// Counts batches from the queue: each table once on the primary and on
/// every aligned replica that needs it, all at once.
fn count_batches(
    on: &RoundShared,
    lane: &mut Lane,
    aligned: &Aligned,
    readings: &mut Readings,
) -> Result<()> {
    let ctx = on.ctx;
    while let Some(batch) = on.queue.take() {
        let what = format!(
            "counting rows ({} of {} tables done, at {})",
            on.queue.done.load(Ordering::Relaxed),
            on.queue.total,
            batch[0].key
        );
        let all = keys(batch);
        let (p, counted) = super::both(
            || staged(ctx, &mut lane.primary, &what, |s| s.count(&all)),
            || {
                each_replica(
                    &mut lane.replicas,
                    &aligned.replicas,
                    on.dropouts,
                    |j, s| {
                        let mine = wanted(batch, j);
                        staged(ctx, s, &what, |s| s.count(&mine))
                    },
                )
            },
        );
        let p = p?;
        on.queue.counted(batch.len());
        for (j, counts) in counted {
            readings.add(j, &p, counts, aligned.at.as_ref());
        }
        if aligned.at.is_some() {
            contents(on, lane, batch, &aligned.replicas, readings)?;
        }
    }
    Ok(())
}

/// The content of each table of `batch` that has a content job, in the
/// lane's snapshots, while time allows: a first look until the content
/// share of `-t`, a second look (a difference seen before) until shortly
/// before the end.
fn contents(
    on: &RoundShared,
    lane: &mut Lane,
    batch: &[&Table],
    aligned: &[usize],
    readings: &mut Readings,
) -> Result<()> {
    let ctx = on.ctx;
    for table in batch {
        let Some(job) = &table.content else { continue };
        let replicas: Vec<usize> = aligned
            .iter()
            .copied()
            .filter(|j| table.wanted_by.contains(j))
            .collect();
        let until = match job.locate {
            true => ctx.deadline - Duration::from_millis(500).min(ctx.cfg.timeout / 4),
            false => ctx.content_deadline,
        };
        if let Some(found) = compare_content(ctx, lane, table, job, &replicas, on.dropouts, until)?
        {
            readings.add_content(&table.key, found);
        }
    }
    Ok(())
}

/// Opens snapshot sets on the lane until the replicas' land on the
/// primary's position: all of them, or after `PARTIAL_AFTER` tries at
/// least one. `None` when no try did within the tries allowed (or when
/// other lanes already took all the work, or no replica is left).
fn align(on: &RoundShared, lane: &mut Lane, work: &mut LaneWork) -> Result<Option<Aligned>> {
    // The first try always: a round that starts must be able to count.
    let may_try = |tries| tries == 0 || Instant::now() < on.ctx.recheck_deadline;
    while work.tries < MAX_ALIGN_TRIES && !on.queue.exhausted() && may_try(work.tries) {
        work.tries += 1;
        match try_align(on, lane, work)? {
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
fn try_align(on: &RoundShared, lane: &mut Lane, work: &mut LaneWork) -> Result<Try> {
    let ctx = on.ctx;
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
            s.open_replica_snapshot(Some(p), wait_budget(ctx))
        })?;
        r.ok_or_else(|| lagging(ctx, s, p))
    });
    if reached.is_empty() {
        return Ok(Try::NoReplica);
    }
    for (j, r) in &reached {
        work.readings.gap(*j, r.ahead_of(p));
    }
    let Some(aligned) = aligned_at(p, &reached, work.tries) else {
        return Ok(Try::Again);
    };
    // The candidate set is one only if the candidate is the snapshot's
    // exact position.
    if !confirmed(ctx, &mut lane.primary, &snapshot)? {
        return Ok(Try::Again);
    }
    Ok(Try::Aligned(Aligned {
        at: Some(snapshot.candidate),
        replicas: aligned,
    }))
}

/// The replicas whose snapshots sit exactly at the primary's `p`, when
/// they are enough to count with: every replica that `reached` p, or
/// after `PARTIAL_AFTER` tries at least one. `None`: try again.
fn aligned_at(p: &GtidPos, reached: &[(usize, GtidPos)], tries: u64) -> Option<Vec<usize>> {
    let aligned: Vec<usize> = reached
        .iter()
        .filter(|(_, r)| r.at_primary_point(p))
        .map(|(j, _)| *j)
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

    fn t(name: &str, rows: u64) -> Table {
        Table {
            key: Key::table("d".into(), name),
            transactional: true,
            estimated_rows: rows,
            wanted_by: vec![0],
            content: None,
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
            .map(|b| b.iter().map(|t| t.key.table_name().unwrap()).collect())
            .collect();
        assert_eq!(names, vec![vec!["huge"], vec!["big", "s1", "s2"]]);
        let many: Vec<Table> = (0..450).map(|i| t(&i.to_string(), 1)).collect();
        let sizes: Vec<usize> = batches(&many).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
    }

    #[test]
    fn each_replica_counts_what_it_needs() {
        let mut a = t("a", 1);
        a.wanted_by = vec![0, 2];
        let mut b = t("b", 1);
        b.wanted_by = vec![1];
        let batch = vec![&a, &b];
        let names =
            |keys: Vec<&Key>| -> Vec<String> { keys.iter().map(|k| k.to_string()).collect() };
        assert_eq!(names(wanted(&batch, 0)), ["d.a"]);
        assert_eq!(names(wanted(&batch, 1)), ["d.b"]);
        assert_eq!(names(wanted(&batch, 3)), Vec::<String>::new());
        assert_eq!(wanting(&batch), [0, 1, 2]);
    }

    /// A lane of three replicas at the primary's snapshot P = 0-1-10: one
    /// applied a transaction more between its wait and its snapshot, one
    /// holds a transaction of another server under the same sequence
    /// number. Neither is ever counted at P; the one at P alone only once
    /// the lane has tried long enough for all of them.
    #[test]
    fn only_replicas_exactly_at_the_primary_position_count() {
        let pos = |s: &str| GtidPos::parse(s).unwrap();
        let p = pos("0-1-10");
        let reached = vec![(0, pos("0-1-10")), (1, pos("0-1-11")), (2, pos("0-2-10"))];
        assert_eq!(aligned_at(&p, &reached, 1), None);
        assert_eq!(aligned_at(&p, &reached, PARTIAL_AFTER - 1), None);
        assert_eq!(aligned_at(&p, &reached, PARTIAL_AFTER), Some(vec![0]));
        let behind = vec![(1, pos("0-1-9")), (2, pos("0-1-11"))];
        assert_eq!(aligned_at(&p, &behind, MAX_ALIGN_TRIES), None);
        let all = vec![(0, pos("0-1-10")), (2, pos("0-1-10,5-3-7"))];
        assert_eq!(aligned_at(&p, &all, 1), Some(vec![0, 2]));
    }

    #[test]
    fn readings_pair_each_replica_with_the_primary() {
        let key = |n: &str| Key::table("d".into(), n);
        let count = |n: &str, rows| TableCount {
            key: key(n),
            rows: Ok(rows),
        };
        let at = GtidPos::parse("0-1-5").unwrap();
        let mut r = Readings::new(2);
        let primary = [count("a", 10), count("b", 20)];
        r.add(0, &primary, vec![count("a", 11)], Some(&at));
        r.add(1, &primary, vec![count("a", 10), count("b", 20)], None);
        r.gap(0, 3);
        r.gap(0, 7);
        let zero = r.take(0);
        assert_eq!(zero.readings.len(), 1);
        assert_eq!(zero.readings[&key("a")].primary, Ok(10));
        assert_eq!(zero.readings[&key("a")].replica, Ok(11));
        assert_eq!(zero.positions, [at]);
        assert_eq!(zero.first_gap, Some(3));
        let one = r.take(1);
        assert_eq!(one.readings[&key("b")].replica, Ok(20));
        assert!(one.positions.is_empty() && one.first_gap.is_none());
    }
}
