//! What is kept of a table whose counts differed at one position: the
//! same tables counted again in the same two snapshots, at once, with the
//! replica's own record of its position read in its snapshot. A recount
//! that differs from the first count blames the server's read; one that
//! agrees leaves the positions (or real drift).

use super::align::Aligned;
use super::context::{both, staged, Result};
use super::queue::RoundShared;
use super::servers::Lane;
use crate::model::{Forensic, Key, ReplicaId, TableCount};
use std::collections::HashMap;

/// The tables of one batch whose counts differ between the primary and
/// one replica: each with both counts.
pub(super) fn differing(primary: &[TableCount], replica: &[TableCount]) -> Vec<(Key, u64, u64)> {
    let on_primary: HashMap<&Key, u64> = primary
        .iter()
        .filter_map(|c| Some((&c.key, *c.rows.as_ref().ok()?)))
        .collect();
    replica
        .iter()
        .filter_map(|c| {
            let p = *on_primary.get(&c.key)?;
            let r = *c.rows.as_ref().ok()?;
            (p != r).then(|| (c.key.clone(), p, r))
        })
        .collect()
}

/// Counts the `differing` tables again on the primary and on `replica` in
/// the lane's snapshots, at once, and reads the replica's
/// `mysql.gtid_slave_pos` there. Nothing when the replica left the run.
pub(super) fn record(
    on: &RoundShared,
    lane: &mut Lane,
    replica: ReplicaId,
    differing: &[(Key, u64, u64)],
    aligned: &Aligned,
) -> Result<Vec<Forensic>> {
    let (ctx, Some(at)) = (on.ctx, aligned.at.as_ref()) else {
        return Ok(Vec::new());
    };
    let keys: Vec<&Key> = differing.iter().map(|(k, _, _)| k).collect();
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
    let records = differing.iter().map(|(key, primary, replica)| {
        let (recount_primary, recount_replica) = (again(&p, key), again(&r, key));
        Forensic {
            table: key.to_string(),
            at: at.to_string(),
            primary: *primary,
            replica: *replica,
            recount_primary,
            recount_replica,
            recount_agrees: recount_primary == Some(*primary) && recount_replica == Some(*replica),
            primary_snapshot: aligned.coordinates.clone(),
            replica_slave_pos: slave_pos.clone(),
        }
    });
    Ok(records.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tables_read_on_both_sides_and_different_are_recounted() {
        let key = |n: &str| Key::table("d".into(), n);
        let count =
            |n: &str, rows: std::result::Result<u64, String>| TableCount { key: key(n), rows };
        let primary = [
            count("a", Ok(10)),
            count("b", Ok(5)),
            count("c", Err("x".into())),
        ];
        let replica = [count("a", Ok(11)), count("b", Ok(5)), count("c", Ok(3))];
        assert_eq!(differing(&primary, &replica), [(key("a"), 10, 11)]);
    }
}
