//! What is kept of a difference at one position (a table's counts, or one
//! key range's): the same rows counted again in the same two snapshots, at
//! once, with the replica's own record of its position read in its
//! snapshot. A recount that differs from the first count blames the
//! server's read; one that agrees leaves the positions (or real drift).

use super::align::Aligned;
use super::context::{both, staged, Result};
use super::queue::RoundShared;
use super::readings::Differing;
use super::servers::Lane;
use crate::model::{Forensic, Key, RangeSig, ReplicaId, TableCount};
use crate::rowhash::{KeyRange, Shape};
use crate::server::Session;

/// One difference to keep: what differed, and its counts on each side.
struct Suspect {
    what: String,
    primary: u64,
    replica: u64,
}

/// Counts the `differing` tables again on the primary and on `replica` in
/// the lane's snapshots, at once, and reads the replica's
/// `mysql.gtid_slave_pos` there. Nothing when the replica left the run.
pub(super) fn record(
    on: &RoundShared,
    lane: &mut Lane,
    replica: ReplicaId,
    differing: &[Differing],
    aligned: &Aligned,
) -> Result<Vec<Forensic>> {
    let keys: Vec<&Key> = differing.iter().map(|d| &d.key).collect();
    let suspects: Vec<Suspect> = differing
        .iter()
        .map(|d| Suspect {
            what: d.key.to_string(),
            primary: d.primary,
            replica: d.replica,
        })
        .collect();
    let recount = |s: &mut Session| -> Result<Vec<Option<u64>>> {
        let counts = s.count(&keys)?;
        let again = |key: &Key| -> Option<u64> {
            let found = counts.iter().find(|c: &&TableCount| &c.key == key);
            found.and_then(|c| c.rows.clone().ok())
        };
        Ok(keys.iter().map(|k| again(k)).collect())
    };
    keep(on, lane, replica, aligned, &suspects, recount)
}

/// The rows of one key range of `key` whose counts differed at one
/// position, counted again on both sides in the same snapshots.
pub(super) struct RangeSuspect<'a> {
    pub(super) key: &'a Key,
    pub(super) shape: &'a Shape,
    pub(super) range: &'a KeyRange,
    pub(super) sigs: [&'a RangeSig; 2],
}

/// `record` for one key range.
pub(super) fn record_range(
    on: &RoundShared,
    lane: &mut Lane,
    replica: ReplicaId,
    suspect: &RangeSuspect,
    aligned: &Aligned,
) -> Result<Vec<Forensic>> {
    let RangeSuspect {
        key,
        shape,
        range,
        sigs: [p, q],
    } = *suspect;
    let one = Suspect {
        what: format!("{key} in {}", range.describe(shape)),
        primary: p.rows,
        replica: q.rows,
    };
    let recount = |s: &mut Session| -> Result<Vec<Option<u64>>> {
        let sig = s.probe_range(key, shape, range, false)?;
        Ok(vec![sig.ok().map(|sig| sig.rows)])
    };
    keep(on, lane, replica, aligned, &[one], recount)
}

/// Reads the suspects again on the primary and on `replica` at once with
/// `recount` (one count per suspect, in order), and keeps each with both
/// readings and where each snapshot sat.
fn keep(
    on: &RoundShared,
    lane: &mut Lane,
    replica: ReplicaId,
    aligned: &Aligned,
    suspects: &[Suspect],
    recount: impl Fn(&mut Session) -> Result<Vec<Option<u64>>> + Sync,
) -> Result<Vec<Forensic>> {
    let (ctx, Some(at)) = (on.ctx, aligned.at.as_ref()) else {
        return Ok(Vec::new());
    };
    let Lane { primary, replicas } = lane;
    let Some(mine) = replicas[replica.index()].as_mut() else {
        return Ok(Vec::new());
    };
    let what = "counting a difference again";
    let (p, r) = both(
        || staged(ctx, primary, what, &recount),
        || staged(ctx, mine, what, |s| Ok((recount(s)?, s.slave_pos_rows()?))),
    );
    let p = p?;
    let (r, slave_pos) = match r {
        Ok(r) => r,
        Err(why) => {
            on.dropouts.leave(replica, why);
            return Ok(Vec::new());
        }
    };
    let records = suspects.iter().enumerate().map(|(i, d)| {
        let (recount_primary, recount_replica) =
            (p.get(i).copied().flatten(), r.get(i).copied().flatten());
        Forensic {
            table: d.what.clone(),
            at: at.to_string(),
            primary: d.primary,
            replica: d.replica,
            recount_primary,
            recount_replica,
            recount_agrees: recount_primary == Some(d.primary)
                && recount_replica == Some(d.replica),
            primary_snapshot: aligned.coordinates.clone(),
            replica_slave_pos: slave_pos.clone(),
        }
    });
    Ok(records.collect())
}
