//! The servers of a run: connecting to all of them at once, telling
//! whether each replica is one of the primary and replicates, and keeping
//! the replicas that left the run apart from those still in it.

use super::context::{all_at_once, both, note, staged, Ctx, Result};
use crate::config::Server;
use crate::consistency::{lineage, GtidPos, Lineage, Placement};
use crate::model::ReplicaId;
use crate::plugin::{Failure, State};
use crate::server::{ConnectBy, Identity, NoSession, Session};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One primary connection and one connection to each replica (`None`: the
/// replica could not be reached), working on the same tables.
pub(super) struct Lane {
    pub(super) primary: Session,
    /// By replica, in the order given.
    pub(super) replicas: Vec<Option<Session>>,
}

/// The replicas that left the run, and why: the first failure of each is
/// its answer. Shared by the lanes, so that all of them stop using it.
pub(super) struct Dropouts {
    failures: Mutex<Vec<Option<Failure>>>,
}

impl Dropouts {
    pub(super) fn new(replicas: usize) -> Dropouts {
        Dropouts {
            failures: Mutex::new((0..replicas).map(|_| None).collect()),
        }
    }

    pub(super) fn leave(&self, replica: ReplicaId, why: Failure) {
        let mut all = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        all[replica.index()].get_or_insert(why);
    }

    pub(super) fn is_out(&self, replica: ReplicaId) -> bool {
        let all = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        all[replica.index()].is_some()
    }

    pub(super) fn into_failures(self) -> Vec<Option<Failure>> {
        self.failures
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// What a replica's work gave.
pub(super) struct Done<T> {
    pub(super) replica: ReplicaId,
    pub(super) value: T,
}

/// Runs `work` (given the replica) on the connected replicas of `which`
/// still in the run, all at once; a replica whose work fails leaves the
/// run. The others' results, in the order given.
pub(super) fn each_replica<T: Send>(
    replicas: &mut [Option<Session>],
    which: &[ReplicaId],
    dropouts: &Dropouts,
    work: impl Fn(ReplicaId, &mut Session) -> Result<T> + Sync,
) -> Vec<Done<T>> {
    let sessions: Vec<(ReplicaId, &mut Session)> = ReplicaId::all(replicas.len())
        .zip(replicas.iter_mut())
        .filter(|(j, _)| which.contains(j) && !dropouts.is_out(*j))
        .filter_map(|(j, session)| Some((j, session.as_mut()?)))
        .collect();
    let results = all_at_once(sessions, |(j, session)| (j, work(j, session)));
    results
        .into_iter()
        .filter_map(|(replica, result)| match result {
            Ok(value) => Some(Done { replica, value }),
            Err(why) => {
                dropouts.leave(replica, why);
                None
            }
        })
        .collect()
}

/// Every server's sessions, connected at the same time, paired into lanes.
/// The primary that cannot be reached ends the run (naming the replicas
/// that cannot be reached either, when none can); a replica that cannot
/// leaves it.
pub(super) fn connect(ctx: &Ctx, dropouts: &Dropouts) -> Result<Vec<Lane>> {
    let cfg = ctx.cfg;
    let until = ctx.started + ctx.patience;
    let (primary, replicas) = both(
        || connect_all(ctx, &cfg.primary, ctx.deadline),
        || all_at_once(&cfg.replicas, |r| connect_all(ctx, r, until)),
    );
    let primary = match primary {
        Ok(p) => p,
        Err(p) if replicas.iter().all(Result::is_err) => {
            return Err(all_failed(p, replicas.into_iter().filter_map(Result::err)))
        }
        Err(p) => return Err(p),
    };
    let mut per_replica: Vec<std::vec::IntoIter<Session>> = Vec::new();
    for (j, result) in ReplicaId::all(cfg.replicas.len()).zip(replicas) {
        match result {
            Ok(sessions) => per_replica.push(sessions.into_iter()),
            Err(why) => {
                dropouts.leave(j, why);
                per_replica.push(Vec::new().into_iter());
            }
        }
    }
    Ok(primary
        .into_iter()
        .map(|primary| Lane {
            primary,
            replicas: per_replica.iter_mut().map(Iterator::next).collect(),
        })
        .collect())
}

/// No server could be reached: all are named, the worst state wins.
fn all_failed(primary: Failure, replicas: impl Iterator<Item = Failure>) -> Failure {
    replicas.fold(primary, |all, r| {
        Failure::new(
            all.state.merge(r.state),
            format!("{}; {}", all.message, r.message),
        )
    })
}

/// The sessions of one server, connected at the same time, by `until`.
fn connect_all(ctx: &Ctx, server: &Server, until: Instant) -> Result<Vec<Session>> {
    all_at_once(0..ctx.cfg.connections, |i| {
        ctx.stage.set(server, i, format!("connecting to {server}"));
        let register = |slot, id| ctx.registry.add(slot, id);
        let by = match until < ctx.deadline {
            true => ConnectBy::Own(until),
            false => ConnectBy::RunDeadline(until),
        };
        let session = Session::connect(ctx.cfg, server, i, by, &register)
            .map_err(|why| unreached(ctx, server, why, by))?;
        note(ctx, &session, "connected");
        Ok(session)
    })
    .into_iter()
    .collect()
}

/// A connection must be given this long before a server that does not
/// answer is called unreachable.
const FAIR_CONNECT: Duration = Duration::from_secs(1);

/// Why `server` gave no session. No answer within a fair time of its own
/// (a replica's patience, when others are compared) is the server's
/// fault: CRITICAL. No answer before the run's own deadline, or within
/// less than a fair time, is the plugin's budget running out: UNKNOWN.
fn unreached(ctx: &Ctx, server: &Server, why: NoSession, by: ConnectBy) -> Failure {
    match (why, by) {
        (NoSession::Failed(f), _) => f,
        (NoSession::NoAnswer { within }, ConnectBy::Own(_)) if within >= FAIR_CONNECT => {
            Failure::critical(format!(
                "cannot connect to {server}: it did not answer within {:.1}s",
                within.as_secs_f64()
            ))
        }
        (NoSession::NoAnswer { .. }, _) => Failure::unknown(format!(
            "timeout after {}s while connecting to {server}",
            ctx.cfg.timeout.as_secs_f64()
        )),
    }
}

/// Makes sure each replica is a replica of the primary, as far as the
/// account can tell, and that its replication runs; the others leave the
/// run. Returns how snapshots can be placed in the stream: exactly on
/// MariaDB with a binary log on the primary, bracketed on MySQL with GTIDs,
/// not at all otherwise or when the servers are of two flavors; and what
/// each server is (for `-vv`).
pub(super) fn vet(ctx: &Ctx, lane: &mut Lane, dropouts: &Dropouts) -> Result<Vetted> {
    let all: Vec<ReplicaId> = ReplicaId::all(ctx.cfg.replicas.len()).collect();
    // The replicas first: whatever they have applied by then, the primary
    // had logged before it is asked (in parallel, a transaction logged
    // between the readings would look foreign).
    let replicas = each_replica(&mut lane.replicas, &all, dropouts, |_, s| {
        staged(
            ctx,
            s,
            "reading its server id and GTID position",
            Session::identity,
        )
    });
    let p = staged(
        ctx,
        &mut lane.primary,
        "reading its server id and GTID state",
        Session::identity,
    )?;
    for Done { replica, value: r } in &replicas {
        if let Err(why) = same_stream(ctx, &ctx.cfg.replicas[replica.index()], &p, r) {
            dropouts.leave(*replica, why);
        }
    }
    given_twice(ctx, &replicas, dropouts);
    each_replica(&mut lane.replicas, &all, dropouts, |_, s| {
        staged(ctx, s, "reading its replication state", replication_running)
    });
    let flavor = lane.primary.flavor;
    let mixed = lane.replicas.iter().flatten().any(|s| s.flavor != flavor);
    let placement = match (&p.gtids, &p.executed) {
        _ if mixed => Placement::Unplaced,
        (Some(_), _) => Placement::Exact,
        (_, Some(executed)) if !executed.is_empty() => Placement::Bracketed,
        _ => Placement::Unplaced,
    };
    let mut versions = vec![format!("{}: {}", ctx.cfg.primary, product(&p))];
    versions.extend(all.iter().zip(&ctx.cfg.replicas).map(|(&j, server)| {
        let version = replicas.iter().find(|d| d.replica == j);
        let version = version.map_or("no answer".to_string(), |d| product(&d.value));
        format!("{server}: {version}")
    }));
    let same_version = replicas
        .iter()
        .filter(|d| same_checksums(&d.value, &p))
        .map(|d| d.replica)
        .collect();
    Ok(Vetted {
        placement,
        versions,
        same_version,
    })
}

/// The same server given under two names (`127.0.0.1:3306` and
/// `localhost:3306`), told by its identity: every replica but the first
/// so named leaves the run, UNKNOWN. Two servers of one replication
/// topology never share a server id (and, on MySQL, a UUID).
fn given_twice(ctx: &Ctx, replicas: &[Done<Identity>], dropouts: &Dropouts) {
    for (i, d) in replicas.iter().enumerate() {
        let same = |e: &&Done<Identity>| {
            e.value.server_id == d.value.server_id && e.value.uuid == d.value.uuid
        };
        if let Some(first) = replicas[..i].iter().find(same) {
            let (server, other) = (
                &ctx.cfg.replicas[d.replica.index()],
                &ctx.cfg.replicas[first.replica.index()],
            );
            dropouts.leave(
                d.replica,
                Failure::unknown(format!(
                    "{server} is {other} again (server_id {}): the same server given twice",
                    d.value.server_id
                )),
            );
        }
    }
}

/// Whether `CHECKSUM TABLE` computes alike on both: the same flavor and
/// version number. What follows the number (MariaDB's `-log` when the
/// binary log is on, a distribution's build) does not change it.
fn same_checksums(a: &Identity, b: &Identity) -> bool {
    a.flavor == b.flavor && version_number(&a.version) == version_number(&b.version)
}

/// `10.11.19` of `10.11.19-MariaDB-0+deb12u1-log`.
fn version_number(version: &str) -> &str {
    let end = version
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(version.len());
    &version[..end]
}

/// The flavor and `@@version`, as `-vv` shows them: `MySQL 9.7.4`.
fn product(identity: &Identity) -> String {
    format!("{} {}", identity.flavor.name(), identity.version)
}

/// What `vet` found out.
pub(super) struct Vetted {
    pub(super) placement: Placement,
    /// Each server reached: `primary HOST:PORT: MySQL 9.7.4`.
    pub(super) versions: Vec<String>,
    /// The replicas of the primary's very version (`CHECKSUM TABLE` is
    /// trusted only between them).
    pub(super) same_version: Vec<ReplicaId>,
}

/// Replication not running takes the replica out: the counts of a stopped
/// replica say nothing about drift.
fn replication_running(replica: &mut Session) -> Result<()> {
    let health = replica.replication_state()?;
    if health.running {
        return Ok(());
    }
    let detail = health.detail.map(|d| format!(" ({d})")).unwrap_or_default();
    Err(Failure::critical(format!(
        "replication is not running on {} ({}){detail}: no comparison made",
        replica.server, health.seen
    )))
}

/// Whether `replica` (identity `r`) applies the primary's (`p`) stream.
fn same_stream(ctx: &Ctx, replica: &Server, p: &Identity, r: &Identity) -> Result<()> {
    let primary = &ctx.cfg.primary;
    if p.server_id == r.server_id {
        return Err(Failure::critical(
            format!(
                "{replica} is not a replica of {primary}: both have server_id {} (the same server given twice?)",
                p.server_id
            ),
        ));
    }
    // MySQL with GTIDs (without, there is nothing to compare).
    let executed = p.executed.as_ref().filter(|e| !e.is_empty());
    if let (Some(executed), Some(applied)) = (executed, &r.executed) {
        return judge_lineage(ctx, replica, applied.mysql_lineage(executed));
    }
    let Some(state) = &p.gtids else {
        // No GTID state the account can compare.
        return Ok(());
    };
    let Some(applied) = &r.gtids else {
        return Err(Failure::unknown(format!(
            "cannot read mysql.gtid_slave_pos on {replica}: without the replica's position no \
                 verdict can be reached (GRANT SELECT ON mysql.gtid_slave_pos)"
        )));
    };
    judge_lineage(ctx, replica, lineage(state, applied))
}

fn judge_lineage(ctx: &Ctx, replica: &Server, lineage: Lineage) -> Result<()> {
    let primary = &ctx.cfg.primary;
    let fail = |state, text: String| Err(Failure::new(state, text));
    match lineage {
        Lineage::Replica => Ok(()),
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

/// The replica did not reach `pos` within its patience.
pub(super) fn lagging(ctx: &Ctx, replica: &mut Session, pos: &GtidPos) -> Failure {
    let at = replica
        .replica_applied()
        .map_or_else(|| "unknown".into(), |p| p.to_string());
    Failure::new(
        State::Unknown,
        format!(
            "{} did not reach the primary's position {pos} within {:.1}s (it is at {at}): \
             replica lagging, no comparison made",
            replica.server,
            ctx.started.elapsed().as_secs_f64()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::version_number;

    /// MariaDB appends `-log` when the binary log is on: a primary that
    /// logs and a replica that does not are of one version.
    #[test]
    fn version_numbers_leave_suffixes_out() {
        assert_eq!(version_number("10.11.19-MariaDB-0+deb12u1-log"), "10.11.19");
        assert_eq!(
            version_number("10.11.19-MariaDB-0+deb12u1"),
            version_number("10.11.19-MariaDB-0+deb12u1-log")
        );
        assert_eq!(version_number("9.7.4"), "9.7.4");
        assert_ne!(
            version_number("11.8.2-MariaDB"),
            version_number("11.8.3-MariaDB")
        );
    }
}
