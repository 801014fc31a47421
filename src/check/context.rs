//! What every part of a run shares: its settings and deadlines, the
//! stages its connections are at, and running work at once on scoped
//! threads.

use super::passes::PassEntry;
use crate::activity::{Registry, Stage};
use crate::config::Config;
use crate::consistency::Placement;
use crate::model::{Key, Listing, Look, ReplicaId};
use crate::plugin::Failure;
use crate::server::Session;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) type Result<T> = std::result::Result<T, Failure>;

/// Re-check rounds, and tries to align a lane, stop starting once this
/// share of `-t` is spent, leaving the rest for the counting under way.
const RECHECK_SHARE: f64 = 0.5;
/// First looks at content stop starting once this share of `-t` is spent:
/// the rest is for second looks at what differed, and the answer.
const CONTENT_SHARE: f64 = 0.4;
/// With several replicas, the share of `-t` a replica may take to connect
/// or to reach a position before it is reported lagging (or unreachable),
/// so that one slow replica does not hold the others back.
const PATIENCE_SHARE: f64 = 0.25;

pub(super) struct Ctx<'a> {
    pub(super) cfg: &'a Config,
    pub(super) deadline: Instant,
    /// No new round or alignment try starts after this.
    pub(super) recheck_deadline: Instant,
    /// No first look at a table's content starts after this.
    pub(super) content_deadline: Instant,
    /// How long a replica may take to connect or to reach a position.
    pub(super) patience: Duration,
    pub(super) started: Instant,
    pub(super) stage: &'a Stage,
    pub(super) registry: &'a Registry,
}

impl<'a> Ctx<'a> {
    /// A run starting now.
    pub(super) fn new(cfg: &'a Config, stage: &'a Stage, registry: &'a Registry) -> Ctx<'a> {
        let started = Instant::now();
        let patience = match cfg.replicas.len() {
            1 => cfg.timeout,
            _ => cfg.timeout.mul_f64(PATIENCE_SHARE),
        };
        Ctx {
            cfg,
            deadline: started + cfg.timeout,
            recheck_deadline: started + cfg.timeout.mul_f64(RECHECK_SHARE),
            content_deadline: started + cfg.timeout.mul_f64(CONTENT_SHARE),
            patience,
            started,
            stage,
            registry,
        }
    }

    /// Shortly before the end: the time a run keeps for its answer.
    pub(super) fn near_end(&self) -> Instant {
        self.deadline - Duration::from_millis(500).min(self.cfg.timeout / 4)
    }

    /// How long one statement over a whole big table without a key to cut
    /// it by may run: no longer than `--max-snapshot-age`, and ending
    /// shortly before `-t`. Past that, the table is unverified, naming
    /// why, rather than the whole run UNKNOWN.
    pub(super) fn whole_limit(&self) -> Duration {
        let left = self.near_end().saturating_duration_since(Instant::now());
        left.min(self.cfg.max_snapshot_age)
    }

    /// Until when looks may start: a first look at content or at a big
    /// table's ranges until the content share of `-t`, so that what
    /// differed can be looked at again; a look again until near the end.
    pub(super) fn looks_until(&self, look: Look) -> Instant {
        match look {
            Look::First => self.content_deadline,
            Look::Again => self.near_end(),
        }
    }

    /// How long a replica may wait for a position: what is left of `-t`,
    /// less a margin for the answer, and no more than its patience.
    pub(super) fn wait_budget(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(Duration::from_millis(500))
            .min(self.patience)
            .max(Duration::from_millis(100))
    }
}

/// What the rounds share across replicas.
pub(super) struct RunState {
    /// The primary's last listing.
    pub(super) primary: Arc<Listing>,
    pub(super) placement: Placement,
    pub(super) align_tries: u64,
    pub(super) rounds: usize,
    /// `--state-file`: when each table's content was last verified.
    pub(super) rotation: BTreeMap<Key, u64>,
    /// The replicas of the primary's very version.
    pub(super) same_version: Vec<ReplicaId>,
    /// `--state-file`: per replica, its big tables' passes.
    pub(super) carried: Vec<BTreeMap<Key, PassEntry>>,
}

/// What `session` is doing now, for the timeout message.
pub(super) fn note(ctx: &Ctx, session: &Session, what: impl Into<String>) {
    ctx.stage.set(&session.server, session.index, what);
}

/// Runs `work` on `session` under the stage `what`, and marks the session
/// idle when it returns (a failure ends the run, stage and all).
pub(super) fn staged<T>(
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

/// Runs two closures at the same time on crossbeam scoped threads.
pub(super) fn both<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    scoped(|s| {
        let ha = s.spawn(|_| a());
        let hb = s.spawn(|_| b());
        (join(ha), join(hb))
    })
}

/// Runs `work` on each item at the same time, one scoped thread each; the
/// results in the items' order.
pub(super) fn all_at_once<I: Send, T: Send>(
    items: impl IntoIterator<Item = I>,
    work: impl Fn(I) -> T + Sync,
) -> Vec<T> {
    let work = &work;
    scoped(|s| {
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| s.spawn(move |_| work(item)))
            .collect();
        handles.into_iter().map(join).collect()
    })
}

/// A crossbeam scope. A panic on one of its threads never comes back
/// here: the panic hook answers and ends the process first.
fn scoped<'env, R>(f: impl FnOnce(&crossbeam::thread::Scope<'env>) -> R) -> R {
    crossbeam::scope(f).unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"))
}

fn join<T>(h: crossbeam::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join()
        .unwrap_or_else(|_| unreachable!("a panic ends the process in its hook"))
}
