//! What is kept of a table whose counts differed at one position: the
//! same tables counted again in the same two snapshots, at once, with the
//! replica's own record of its position read in its snapshot. A recount
//! that differs from the first count blames the server's read; one that
//! agrees leaves the positions (or real drift).

use super::align::Aligned;
use super::context::{both, staged, Result};
use super::queue::RoundShared;
use super::readings::Differing;
use super::servers::Lane;
use crate::model::{Forensic, Key, ReplicaId, TableCount};

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
    let (ctx, Some(at)) = (on.ctx, aligned.at.as_ref()) else {
        return Ok(Vec::new());
    };
    let keys: Vec<&Key> = differing.iter().map(|d| &d.key).collect();
    let Lane { primary, replicas } = lane;
    let Some(mine) = replicas[replica.index()].as_mut() else {
        return Ok(Vec::new());
    };
    let what = "counting a difference again";
    let (p, r) = both(
        || staged(ctx, primary, what, |s| s.count(&keys)),
        || {
            staged(ctx, mine, what, |s| {
                Ok((s.count(&keys)?, s.slave_pos_rows()?))
            })
        },
    );
    let p = p?;
    let (r, slave_pos) = match r {
        Ok(r) => r,
        Err(why) => {
            on.dropouts.leave(replica, why);
            return Ok(Vec::new());
        }
    };
    let again = |counts: &[TableCount], key: &Key| {
        counts
            .iter()
            .find(|c| &c.key == key)
            .and_then(|c| c.rows.clone().ok())
    };
    let records = differing.iter().map(|d| {
        let (recount_primary, recount_replica) = (again(&p, &d.key), again(&r, &d.key));
        Forensic {
            table: d.key.to_string(),
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
