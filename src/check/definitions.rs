//! Definitions on both sides: the tables whose digests differ between the
//! primary's listing and a replica's are read whole, and compared.

use super::context::{both, staged, Ctx, Result};
use super::servers::{each_replica, Done, Dropouts, Lane};
use crate::definition::compare;
use crate::model::{Difference, Key, Listing, ReplicaId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tables read whole per look, at most: beyond that, the others wait for
/// the next run (a schema change on a replica touches few tables).
const TABLES_READ: usize = 100;

/// The tables whose definitions differ, with how.
pub(crate) type Differences = BTreeMap<Key, Vec<Difference>>;

/// The tables whose digests differ between `primary` and `replica`
/// (both read, on servers of one flavor: their type names agree).
fn differing<'a>(primary: &'a Listing, replica: &Listing) -> Vec<&'a Key> {
    primary
        .iter()
        .filter(|(k, p)| {
            let r = replica.get(*k).map_or(0, |r| r.definition);
            !k.is_database() && p.definition != 0 && r != 0 && r != p.definition
        })
        .map(|(k, _)| k)
        .take(TABLES_READ)
        .collect()
}

/// Per replica, the tables whose definitions differ from the primary's in
/// these listings, and how; on the first lane.
pub(super) fn compare_definitions(
    ctx: &Ctx,
    lane: &mut Lane,
    primary: &Listing,
    listings: &BTreeMap<ReplicaId, Arc<Listing>>,
    dropouts: &Dropouts,
) -> Result<BTreeMap<ReplicaId, Differences>> {
    let flavor = lane.primary.flavor;
    let same_flavor = |j: &ReplicaId| {
        lane.replicas[j.index()]
            .as_ref()
            .is_some_and(|s| s.flavor == flavor)
    };
    let wanted: BTreeMap<ReplicaId, Vec<&Key>> = listings
        .iter()
        .filter(|(j, _)| same_flavor(j) && !dropouts.is_out(**j))
        .map(|(&j, l)| (j, differing(primary, l)))
        .filter(|(_, keys)| !keys.is_empty())
        .collect();
    let mut all: Vec<&Key> = wanted.values().flatten().copied().collect();
    all.sort();
    all.dedup();
    let mut out: BTreeMap<ReplicaId, Differences> = BTreeMap::new();
    if all.is_empty() {
        return Ok(out);
    }
    let what = "reading the definitions of tables that differ";
    let replicas: Vec<ReplicaId> = wanted.keys().copied().collect();
    let (p, r) = both(
        || staged(ctx, &mut lane.primary, what, |s| s.definitions(&all)),
        || {
            each_replica(&mut lane.replicas, &replicas, dropouts, |j, s| {
                staged(ctx, s, what, |s| s.definitions(&wanted[&j]))
            })
        },
    );
    let p = p?;
    for Done { replica, value } in r {
        let mine = out.entry(replica).or_default();
        for (key, theirs) in value {
            let Some(ours) = p.get(&key) else { continue };
            let diffs = compare(ours, &theirs);
            if !diffs.is_empty() {
                mine.insert(key, diffs);
            }
        }
    }
    Ok(out)
}
