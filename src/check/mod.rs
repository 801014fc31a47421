//! One run: connect to every server at once, make sure each replica is one
//! of the primary and replicates, then compare in rounds until every table
//! of every replica has a verdict or the budget for re-checks is spent.
//!
//! The work is done in lanes: a lane is one primary connection and one
//! connection to each replica. A lane opens a snapshot on the primary
//! (exact GTID position P), and each replica waits for P and opens its own
//! (exact position R). A replica whose R = P is aligned; the lane then
//! counts each table once on the primary and on every aligned replica, all
//! at once. Counts from one position are the only evidence that concurrent
//! writes cannot fake (see `consistency`).
//!
//! A replica that cannot be reached, does not replicate, lags or is lost
//! mid-run leaves the run with its own failure; the others go on. Only a
//! failure of the primary ends the run.

mod content;
mod lanes;
mod servers;
mod state_file;

use crate::answer::{Registry, Stage};
use crate::compare::{Outcome, ReplicaOutcome};
use crate::config::Config;
use crate::consistency::Placement;
use crate::model::{Key, Listing, Round};
use crate::plugin::Failure;
use crate::snapshot::Session;
use content::ContentJob;
use lanes::{read_in_lanes, read_unsnapshotted, Readings, ReplicaReads, Table};
use servers::{connect, each_replica, vet, Dropouts, Lane, Vetted};
use state_file::StateFile;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Failure>;

/// Re-check rounds, and tries to align a lane, stop starting once this
/// share of `-t` is spent, leaving the rest for the counting under way.
const RECHECK_SHARE: f64 = 0.5;
const MAX_ROUNDS: usize = 10;
/// First looks at content stop starting once this share of `-t` is spent:
/// the rest is for second looks at what differed, and the answer.
const CONTENT_SHARE: f64 = 0.4;
/// With several replicas, the share of `-t` a replica may take to connect
/// or to reach a position before it is reported lagging (or unreachable),
/// so that one slow replica does not hold the others back.
const PATIENCE_SHARE: f64 = 0.25;

struct Ctx<'a> {
    cfg: &'a Config,
    deadline: Instant,
    /// No new round or alignment try starts after this.
    recheck_deadline: Instant,
    /// No first look at a table's content starts after this.
    content_deadline: Instant,
    /// How long a replica may take to connect or to reach a position.
    patience: Duration,
    started: Instant,
    stage: &'a Stage,
    registry: &'a Registry,
}

/// What the run knows of one replica between rounds.
#[derive(Default)]
struct Tracked {
    found: ReplicaOutcome,
    /// Keys still without a verdict; `None` before the first round: all.
    pending: Option<Vec<Key>>,
    listing: Arc<Listing>,
}

impl Tracked {
    fn done(&self) -> bool {
        self.pending.as_ref().is_some_and(Vec::is_empty)
    }
}

pub fn run(cfg: &Config, stage: &Stage, registry: &Registry) -> Result<Outcome> {
    let started = Instant::now();
    let patience = match cfg.replicas.len() {
        1 => cfg.timeout,
        _ => cfg.timeout.mul_f64(PATIENCE_SHARE),
    };
    let ctx = Ctx {
        cfg,
        deadline: started + cfg.timeout,
        recheck_deadline: started + cfg.timeout.mul_f64(RECHECK_SHARE),
        content_deadline: started + cfg.timeout.mul_f64(CONTENT_SHARE),
        patience,
        started,
        stage,
        registry,
    };
    let state_path = cfg.checksum.as_ref().and_then(|c| c.state_file.as_deref());
    let mut state = state_path.map(StateFile::load).transpose()?;
    let dropouts = Dropouts::new(cfg.replicas.len());
    let mut lanes = connect(&ctx, &dropouts)?;
    let Vetted {
        placement,
        versions,
        same_version,
    } = vet(&ctx, &mut lanes[0], &dropouts)?;
    let mut tracked: Vec<Tracked> = cfg.replicas.iter().map(|_| Tracked::default()).collect();
    let mut run = RunState {
        primary: Arc::default(),
        placement,
        align_tries: 0,
        rounds: 0,
        rotation: state.as_ref().map(|s| rotation(s, cfg)).unwrap_or_default(),
        same_version,
    };
    loop {
        let active: Vec<usize> = (0..tracked.len())
            .filter(|&j| !dropouts.is_out(j) && !tracked[j].done())
            .collect();
        if active.is_empty() {
            break;
        }
        let rounds = read_round(&ctx, &mut lanes, &tracked, &active, &mut run, &dropouts)?;
        run.rounds += 1;
        let last = run.rounds >= MAX_ROUNDS || Instant::now() > ctx.recheck_deadline;
        for (j, round, reads) in rounds {
            settle(&mut tracked[j], round, reads, run.rounds == 1, last);
        }
        if last {
            break;
        }
    }
    if let (Some(state), Some(path)) = (&mut state, state_path) {
        remember(state, cfg, &mut tracked, &dropouts);
        state.save(path)?;
    }
    let failures = dropouts.into_failures();
    Ok(Outcome {
        replicas: tracked
            .into_iter()
            .zip(failures)
            .map(|(t, failure)| failure.map_or(Ok(t.found), Err))
            .collect(),
        placement: run.placement,
        versions,
        align_tries: run.align_tries,
        rounds: run.rounds,
        elapsed: started.elapsed(),
    })
}

/// When each table's content was last verified on any replica (never: 0),
/// to look at the least recently verified first.
fn rotation(state: &StateFile, cfg: &Config) -> BTreeMap<Key, u64> {
    let mut oldest: BTreeMap<Key, u64> = BTreeMap::new();
    for r in &cfg.replicas {
        for (key, at) in state.verified(&r.address()) {
            let e = oldest.entry(key).or_insert(at);
            *e = (*e).min(at);
        }
    }
    oldest
}

/// Takes each compared replica's content verifications into the state.
fn remember(state: &mut StateFile, cfg: &Config, tracked: &mut [Tracked], dropouts: &Dropouts) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (j, t) in tracked
        .iter_mut()
        .enumerate()
        .filter(|(j, _)| !dropouts.is_out(*j))
    {
        let c = &t.found.comparison;
        // The tables whose content is compared at all (snapshots cover
        // them): a MyISAM table must not age forever.
        let tables = t
            .listing
            .iter()
            .filter(|(k, info)| !k.is_database() && info.transactional && info.shape.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        let age = state.update(&cfg.replicas[j].address(), &tables, &c.content_checked, now);
        t.found.content_age = age;
    }
}

/// Where one replica's counts of a round were compared.
struct Positions {
    positions: Vec<crate::consistency::GtidPos>,
    first_gap: Option<u64>,
}

/// What the rounds share across replicas.
struct RunState {
    /// The primary's last listing.
    primary: Arc<Listing>,
    placement: Placement,
    align_tries: u64,
    rounds: usize,
    /// `--state-file`: when each table's content was last verified.
    rotation: BTreeMap<Key, u64>,
    /// The replicas of the primary's very version.
    same_version: Vec<usize>,
}

/// Takes one round's readings of a replica in; on the last round what is
/// still pending is unverified.
fn settle(t: &mut Tracked, round: Round, reads: Positions, first: bool, last: bool) {
    for at in &reads.positions {
        t.found.compared_at(Some(at));
    }
    t.found.replica_ahead = t.found.replica_ahead.or(reads.first_gap);
    let keys = t
        .pending
        .take()
        .unwrap_or_else(|| union_keys(&round.primary, &round.replica));
    let mut still = t.found.comparison.round(&keys, &round, first);
    if last {
        t.found.comparison.finish(&still);
        still.clear();
    }
    t.listing = round.replica;
    t.pending = Some(still);
}

/// What `session` is doing now, for the timeout message.
fn note(ctx: &Ctx, session: &Session, what: impl Into<String>) {
    ctx.stage.set(&session.server, session.index, what);
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

/// One round: the listings (again only when a pending table is not listed
/// on both sides: a table missing on one side needs two listings), then
/// the tables each active replica still needs, read on the primary once
/// and on those replicas; per replica, its round.
fn read_round(
    ctx: &Ctx,
    lanes: &mut [Lane],
    tracked: &[Tracked],
    active: &[usize],
    run: &mut RunState,
    dropouts: &Dropouts,
) -> Result<Vec<(usize, Round, Positions)>> {
    let relist = active.iter().any(|&j| {
        let t = &tracked[j];
        t.pending.as_ref().is_none_or(|p| {
            p.iter()
                .any(|k| !run.primary.contains_key(k) || !t.listing.contains_key(k))
        })
    });
    let mut listings: BTreeMap<usize, Arc<Listing>> = active
        .iter()
        .map(|&j| (j, tracked[j].listing.clone()))
        .collect();
    if relist {
        run.primary = relist_all(ctx, &mut lanes[0], active, &mut listings, dropouts)?;
    }
    let content = ctx.cfg.checksum.is_some().then_some(&run.same_version[..]);
    let mut tables = to_count(&run.primary, &listings, tracked, dropouts, content);
    if !run.rotation.is_empty() {
        // Stable: among tables verified at the same time, biggest first.
        tables.sort_by_key(|t| run.rotation.get(&t.key).copied().unwrap_or(0));
    }
    let (tx, non_tx): (Vec<Table>, Vec<Table>) = tables.into_iter().partition(|t| t.transactional);
    let mut readings = Readings::new(ctx.cfg.replicas.len());
    read_unsnapshotted(ctx, &mut lanes[0], &non_tx, run, &mut readings, dropouts)?;
    read_in_lanes(ctx, lanes, &tx, run, &mut readings, dropouts)?;
    Ok(listings
        .into_iter()
        .filter(|(j, _)| !dropouts.is_out(*j))
        .map(|(j, replica)| {
            let ReplicaReads {
                readings,
                positions,
                first_gap,
            } = readings.take(j);
            let round = Round {
                primary: run.primary.clone(),
                replica,
                readings,
                positioned: run.placement.positioned(),
            };
            (
                j,
                round,
                Positions {
                    positions,
                    first_gap,
                },
            )
        })
        .collect())
}

/// The primary's listing and each active replica's, all at once on the
/// first lane; a replica that cannot list leaves the run.
fn relist_all(
    ctx: &Ctx,
    lane: &mut Lane,
    active: &[usize],
    listings: &mut BTreeMap<usize, Arc<Listing>>,
    dropouts: &Dropouts,
) -> Result<Arc<Listing>> {
    let shapes = ctx.cfg.checksum.is_some();
    let list = |s: &mut Session| {
        staged(ctx, s, "listing tables", |s| {
            s.list(&ctx.cfg.filter, shapes)
        })
    };
    let (primary, replicas) = both(
        || list(&mut lane.primary),
        || each_replica(&mut lane.replicas, active, dropouts, |_, s| list(s)),
    );
    for (j, listing) in replicas {
        listings.insert(j, Arc::new(listing));
    }
    primary.map(Arc::new)
}

/// The tables to count this round: each one any replica still needs
/// (listed on the primary and on that replica), with the replicas that
/// need it; biggest first, so that one huge table does not leave the
/// other lanes idle at the end, then by name, for a stable order.
fn to_count(
    primary: &Listing,
    listings: &BTreeMap<usize, Arc<Listing>>,
    tracked: &[Tracked],
    dropouts: &Dropouts,
    // With content: the replicas of the primary's version.
    content: Option<&[usize]>,
) -> Vec<Table> {
    let mut tables: BTreeMap<&Key, Table> = BTreeMap::new();
    for (&j, replica) in listings.iter().filter(|(j, _)| !dropouts.is_out(**j)) {
        let want: Box<dyn Iterator<Item = &Key>> = match &tracked[j].pending {
            None => Box::new(primary.keys()),
            Some(keys) => Box::new(keys.iter()),
        };
        for key in want.filter(|k| !k.is_database()) {
            let (Some(p), Some(r)) = (primary.get(key), replica.get(key)) else {
                continue;
            };
            let table =
                tables.entry(key).or_insert_with(|| Table {
                    key: key.clone(),
                    transactional: p.transactional,
                    estimated_rows: p.estimated_rows,
                    wanted_by: Vec::new(),
                    content: p.shape.clone().filter(|_| content.is_some()).map(|shape| {
                        ContentJob {
                            shape,
                            trusted: Vec::new(),
                            locate: false,
                        }
                    }),
                });
            // Snapshots cover a table only where every side has it so.
            table.transactional &= r.transactional;
            table.wanted_by.push(j);
            if let Some(job) = &mut table.content {
                let same_shape = r
                    .shape
                    .as_ref()
                    .is_some_and(|s| s.signature == job.shape.signature);
                if same_shape && content.is_some_and(|same| same.contains(&j)) {
                    job.trusted.push(j);
                }
                job.locate |= tracked[j].found.comparison.is_suspected(key);
            }
        }
    }
    let mut out: Vec<Table> = tables.into_values().collect();
    out.sort_by(|a, b| {
        b.estimated_rows
            .cmp(&a.estimated_rows)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}
