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

mod align;
mod batches;
mod context;
mod cursor;
mod definitions;
mod forensics;
mod hashing;
mod lanes;
mod passes;
mod plan;
mod queue;
mod range_plan;
mod ranged;
mod readings;
mod rounds;
mod servers;
mod state_file;
mod unsnapshotted;

use crate::activity::{Registry, Stage};
use crate::compare::Comparison;
use crate::config::Config;
use crate::model::{Key, Look, ReplicaId};
use crate::outcome::Outcome;
use crate::verdict::{Budget, PassEnd};
use context::{Ctx, Result, RunState};
use passes::{store_key, PassEntry, StoredRange};
use plan::{Pending, Tracked};
use rounds::{read_round, ReplicaRound};
use servers::{connect, vet, Dropouts, Lane, Vetted};
use state_file::StateFile;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

const MAX_ROUNDS: usize = 10;

pub(crate) fn run(cfg: &Config, stage: &Stage, registry: &Registry) -> Result<Outcome> {
    let ctx = Ctx::new(cfg, stage, registry);
    let state_path = cfg.state_file.as_deref();
    let mut state = state_path.map(StateFile::load).transpose()?;
    let dropouts = Dropouts::new(cfg.replicas.len());
    let mut lanes = connect(&ctx, &dropouts)?;
    let Vetted {
        placement,
        versions,
        same_version,
    } = vet(&ctx, &mut lanes[0], &dropouts)?;
    let carried: Vec<BTreeMap<Key, PassEntry>> = cfg
        .replicas
        .iter()
        .map(|r| {
            state
                .as_ref()
                .map(|s| s.passes(&r.address()))
                .unwrap_or_default()
        })
        .collect();
    let mut tracked: Vec<Tracked> = carried.iter().map(carrying).collect();
    let content_state = state.as_ref().filter(|_| cfg.checksum.is_some());
    let mut run = RunState {
        primary: Arc::default(),
        placement,
        align_tries: 0,
        rounds: 0,
        rotation: content_state.map(|s| rotation(s, cfg)).unwrap_or_default(),
        same_version,
        carried,
    };
    until_settled(&ctx, &mut lanes, &mut run, &mut tracked, &dropouts)?;
    if let (Some(state), Some(path)) = (&mut state, state_path) {
        if cfg.checksum.is_some() {
            remember(state, cfg, &mut tracked, &dropouts);
        }
        remember_passes(state, cfg, &run.carried, &mut tracked, &dropouts);
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
        elapsed: ctx.started.elapsed(),
    })
}

/// Rounds until every replica still in the run has a verdict on every
/// table, or the budget for re-checks is spent.
fn until_settled(
    ctx: &Ctx,
    lanes: &mut [Lane],
    run: &mut RunState,
    tracked: &mut [Tracked],
    dropouts: &Dropouts,
) -> Result<()> {
    loop {
        let active: Vec<ReplicaId> = ReplicaId::all(tracked.len())
            .filter(|&j| !dropouts.is_out(j) && !tracked[j.index()].done())
            .collect();
        if active.is_empty() {
            return Ok(());
        }
        let rounds = read_round(ctx, lanes, tracked, &active, run, dropouts)?;
        run.rounds += 1;
        let look = match run.rounds {
            1 => Look::First,
            _ => Look::Again,
        };
        let budget = match run.rounds >= MAX_ROUNDS || Instant::now() > ctx.recheck_deadline {
            true => Budget::Spent,
            false => Budget::Left,
        };
        for r in rounds {
            let t = &mut tracked[r.replica.index()];
            settle(t, r, look, budget);
        }
        if budget == Budget::Spent {
            return Ok(());
        }
    }
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

/// What a replica's run starts from: the suspicions its state carries
/// (ranges that differed at one position in an earlier run).
fn carrying(passes: &BTreeMap<Key, PassEntry>) -> Tracked {
    let mut t = Tracked::default();
    for key in passes
        .iter()
        .filter(|(_, e)| !e.differing.is_empty())
        .map(|(k, _)| k)
    {
        t.found.comparison.carry_suspicion(key.clone());
    }
    t
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Takes each compared replica's passes over big tables into the state:
/// tables still listed keep their entry, updated by this run.
fn remember_passes(
    state: &mut StateFile,
    cfg: &Config,
    carried: &[BTreeMap<Key, PassEntry>],
    tracked: &mut [Tracked],
    dropouts: &Dropouts,
) {
    let now = now_secs();
    for (j, t) in ReplicaId::all(tracked.len())
        .zip(tracked.iter_mut())
        .filter(|(j, _)| !dropouts.is_out(*j))
    {
        let address = cfg.replicas[j.index()].address();
        let c = &t.found.comparison;
        let keys: BTreeSet<&Key> = carried[j.index()]
            .keys()
            .chain(c.pass_ends.keys())
            .collect();
        let entries: Vec<PassEntry> = keys
            .into_iter()
            .filter(|k| t.listing.contains_key(k))
            .map(|k| next_entry(k, carried[j.index()].get(k), c, now))
            .collect();
        t.found.pass_age = entries.iter().map(|e| e.age(now)).max();
        t.found.passes_under_way = c
            .pass_ends
            .values()
            .filter(|e| matches!(e, PassEnd::UnderWay(_)))
            .count() as u64;
        state.set_passes(&address, entries);
    }
}

/// A big table's entry after this run.
fn next_entry(key: &Key, before: Option<&PassEntry>, c: &Comparison, now: u64) -> PassEntry {
    let mut e = before.cloned().unwrap_or_else(|| PassEntry {
        db: key.db().to_string(),
        table: key.table_name().unwrap_or_default().to_string(),
        after: None,
        seen: now,
        complete: None,
        differing: Vec::new(),
    });
    match c.pass_ends.get(key) {
        Some(PassEnd::Complete) => {
            e.complete = Some(now);
            e.after = None;
        }
        Some(PassEnd::UnderWay(Some(at))) => e.after = Some(store_key(at)),
        Some(PassEnd::UnderWay(None)) | None => {}
    }
    let looked_at = c.verdicts.contains_key(key) || c.is_suspected(key);
    if looked_at {
        e.differing = c
            .differing_ranges(key)
            .iter()
            .map(StoredRange::of)
            .collect();
    }
    e
}

/// Takes each compared replica's content verifications into the state.
fn remember(state: &mut StateFile, cfg: &Config, tracked: &mut [Tracked], dropouts: &Dropouts) {
    let now = now_secs();
    for (j, t) in ReplicaId::all(tracked.len())
        .zip(tracked.iter_mut())
        .filter(|(j, _)| !dropouts.is_out(*j))
    {
        let c = &t.found.comparison;
        // The tables whose content is compared at all (snapshots cover
        // them): a MyISAM table must not age forever.
        let tables: BTreeSet<Key> = t
            .listing
            .iter()
            .filter(|(k, info)| !k.is_database() && info.transactional && info.shape.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        t.found.content_eligible = Some(tables.len() as u64);
        let address = cfg.replicas[j.index()].address();
        let age = state.update(&address, &tables, &c.content_checked, now);
        t.found.content_age = age;
    }
}

/// Takes one round's readings of a replica in; once the budget is spent
/// what is still pending is unverified.
fn settle(t: &mut Tracked, r: ReplicaRound, look: Look, budget: Budget) {
    for at in &r.positions {
        t.found.compared_at(Some(at));
    }
    t.found.replica_ahead = t.found.replica_ahead.or(r.first_gap);
    let keys = t.take_pending(&r.round.primary, &r.round.replica);
    let still = t.found.comparison.round(&keys, &r.round, look, budget);
    t.listing = r.round.replica;
    t.pending = Pending::Only(still);
}
