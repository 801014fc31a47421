//! What a round read, per replica: counts paired with the primary's,
//! content, and the positions they were compared at.

use crate::consistency::GtidPos;
use crate::model::{ContentRead, Key, Reading, ReplicaId, SideError, TableCount};
use crate::rowhash::ContentReading;
use std::collections::HashMap;

/// What one round read for one replica.
#[derive(Default)]
pub(super) struct ReplicaReads {
    pub(super) readings: HashMap<Key, Reading>,
    /// The positions its counts were compared at.
    pub(super) positions: Vec<GtidPos>,
    /// How far its first snapshot of the round was past the primary's.
    pub(super) first_gap: Option<u64>,
}

/// One table's content on one replica, or why it could not be read.
pub(super) struct ReplicaContent {
    pub(super) replica: ReplicaId,
    pub(super) reading: Result<ContentReading, SideError>,
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

    pub(super) fn take(&mut self, replica: ReplicaId) -> ReplicaReads {
        std::mem::take(&mut self.by_replica[replica.index()])
    }

    /// The counts of one batch: the primary's, and `replica`'s of the
    /// tables it wanted, at `at` when both were at that one position.
    pub(super) fn add(
        &mut self,
        replica: ReplicaId,
        primary: &[TableCount],
        counts: Vec<TableCount>,
        at: Option<&GtidPos>,
    ) {
        let on_primary: HashMap<&Key, &std::result::Result<u64, String>> =
            primary.iter().map(|c| (&c.key, &c.rows)).collect();
        let mine = &mut self.by_replica[replica.index()];
        for c in counts {
            let Some(rows) = on_primary.get(&c.key) else {
                continue;
            };
            let reading = Reading {
                primary: (*rows).clone(),
                replica: c.rows,
                at: at.cloned(),
                content: ContentRead::NotAsked,
            };
            mine.readings.insert(c.key, reading);
        }
        if let Some(at) = at.filter(|at| !mine.positions.contains(at)) {
            mine.positions.push(at.clone());
        }
    }

    /// The content of `key`, read in the snapshots its counts were.
    pub(super) fn add_content(&mut self, key: &Key, found: Vec<ReplicaContent>) {
        for ReplicaContent { replica, reading } in found {
            if let Some(r) = self.by_replica[replica.index()].readings.get_mut(key) {
                r.content = ContentRead::Read(reading);
            }
        }
    }

    /// What became of the content of `key` on `replicas`, when it was not
    /// read (`LeftOut`, `NotCovered`).
    pub(super) fn content_unread(&mut self, key: &Key, replicas: &[ReplicaId], why: ContentRead) {
        for j in replicas {
            if let Some(r) = self.by_replica[j.index()].readings.get_mut(key) {
                r.content = why.clone();
            }
        }
    }

    pub(super) fn gap(&mut self, replica: ReplicaId, gap: u64) {
        self.by_replica[replica.index()]
            .first_gap
            .get_or_insert(gap);
    }

    /// Takes in what another lane read.
    pub(super) fn merge(&mut self, other: Readings) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_pair_each_replica_with_the_primary() {
        let key = |n: &str| Key::table("d".into(), n);
        let count = |n: &str, rows| TableCount {
            key: key(n),
            rows: Ok(rows),
        };
        let [r0, r1]: [ReplicaId; 2] = ReplicaId::all(2).collect::<Vec<_>>().try_into().unwrap();
        let at = GtidPos::parse("0-1-5").unwrap();
        let mut r = Readings::new(2);
        let primary = [count("a", 10), count("b", 20)];
        r.add(r0, &primary, vec![count("a", 11)], Some(&at));
        r.add(r1, &primary, vec![count("a", 10), count("b", 20)], None);
        r.gap(r0, 3);
        r.gap(r0, 7);
        let zero = r.take(r0);
        assert_eq!(zero.readings.len(), 1);
        assert_eq!(zero.readings[&key("a")].primary, Ok(10));
        assert_eq!(zero.readings[&key("a")].replica, Ok(11));
        assert_eq!(zero.positions, [at]);
        assert_eq!(zero.first_gap, Some(3));
        let one = r.take(r1);
        assert_eq!(one.readings[&key("b")].replica, Ok(20));
        assert!(one.positions.is_empty() && one.first_gap.is_none());
    }
}
