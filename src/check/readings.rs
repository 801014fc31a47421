//! What a round read, per replica: counts paired with the primary's,
//! content, and the positions they were compared at.

use crate::consistency::GtidPos;
use crate::model::{
    ContentRead, Counts, Forensic, Key, KeysApart, Look, RangeDiff, RangeSig, RangesRead, Reading,
    ReplicaId, SideError, TableCount,
};
use crate::rowhash::{Bound, ContentReading, KeyRange, Shape};
use std::collections::HashMap;
use std::sync::Arc;

/// What one round read for one replica.
#[derive(Default)]
pub(super) struct ReplicaReads {
    pub(super) readings: HashMap<Key, Reading>,
    /// The positions its counts were compared at.
    pub(super) positions: Vec<GtidPos>,
    /// How far its first snapshot of the round was past the primary's.
    pub(super) first_gap: Option<u64>,
    /// What was kept of its differences at one position.
    pub(super) forensics: Vec<Forensic>,
    /// Tables whose count the servers stopped at its limit.
    pub(super) stopped: Vec<Key>,
}

/// One table's content on one replica, or why it could not be read.
pub(super) struct ReplicaContent {
    pub(super) replica: ReplicaId,
    pub(super) reading: Result<ContentReading, SideError>,
}

/// A table whose counts differ at one position, with both counts.
#[derive(Debug, PartialEq)]
pub(super) struct Differing {
    pub(super) key: Key,
    pub(super) primary: u64,
    pub(super) replica: u64,
}

/// Differing ranges kept per table and replica (the first decides).
const DIFFERING_KEPT: usize = 16;

/// One key range of a table counted on the primary and on one replica.
pub(super) struct RangeReading<'a> {
    pub(super) key: &'a Key,
    pub(super) look: Look,
    pub(super) estimated: u64,
    /// Content hashed too: the columns left out.
    pub(super) content: Option<&'a [String]>,
    pub(super) shape: &'a Shape,
    pub(super) range: &'a KeyRange,
    pub(super) primary: &'a Result<RangeSig, String>,
    pub(super) replica: Result<RangeSig, String>,
    /// The one position both were read at.
    pub(super) at: Option<&'a GtidPos>,
    /// Where a difference was narrowed down to key values.
    pub(super) keys: Option<KeysApart>,
}

/// How a round's ranges of one table ended.
pub(super) struct Closing {
    /// Ranges handed out.
    pub(super) taken: u64,
    /// Every range the round was to read was handed out.
    pub(super) complete: bool,
    /// Where an unfinished pass stopped.
    pub(super) reached: Option<Bound>,
    pub(super) from_start: bool,
}

/// One round's readings, per replica.
pub(super) struct Readings {
    by_replica: Vec<ReplicaReads>,
}

impl Readings {
    pub(super) fn new(replicas: usize) -> Readings {
        Readings::for_tables(replicas, 0)
    }

    /// Room for `tables` readings per replica from the start: a map that
    /// grows holds its old table and its new one at once.
    pub(super) fn for_tables(replicas: usize, tables: usize) -> Readings {
        let reads = || ReplicaReads {
            readings: HashMap::with_capacity(tables),
            ..ReplicaReads::default()
        };
        Readings {
            by_replica: (0..replicas).map(|_| reads()).collect(),
        }
    }

    /// How many replicas it holds readings for.
    pub(super) fn replicas(&self) -> usize {
        self.by_replica.len()
    }

    pub(super) fn take(&mut self, replica: ReplicaId) -> ReplicaReads {
        std::mem::take(&mut self.by_replica[replica.index()])
    }

    /// The counts of one batch: the primary's, and `replica`'s of the
    /// tables it wanted, at `at` when both were at that one position.
    /// Returns the tables whose counts differ at `at`, for the record.
    pub(super) fn add(
        &mut self,
        replica: ReplicaId,
        primary: &[TableCount],
        counts: Vec<TableCount>,
        at: Option<&GtidPos>,
    ) -> Vec<Differing> {
        let on_primary: HashMap<&Key, &std::result::Result<u64, String>> =
            primary.iter().map(|c| (&c.key, &c.rows)).collect();
        let mine = &mut self.by_replica[replica.index()];
        // One position for the whole batch, shared by its readings.
        let shared = at.map(|a| Arc::new(a.clone()));
        let mut differing = Vec::new();
        for c in counts {
            let Some(rows) = on_primary.get(&c.key) else {
                continue;
            };
            if let (Ok(p), Ok(r), Some(_)) = (rows, &c.rows, at) {
                if p != r {
                    differing.push(Differing {
                        key: c.key.clone(),
                        primary: *p,
                        replica: *r,
                    });
                }
            }
            let reading = Reading {
                primary: (*rows).clone(),
                replica: c.rows,
                at: shared.clone(),
                content: ContentRead::NotAsked,
                ranges: None,
            };
            mine.readings.insert(c.key, reading);
        }
        if let Some(at) = at.filter(|at| !mine.positions.contains(at)) {
            mine.positions.push(at.clone());
        }
        differing
    }

    /// The content of `key`, read in the snapshots its counts were.
    pub(super) fn add_content(&mut self, key: &Key, found: Vec<ReplicaContent>) {
        for ReplicaContent { replica, reading } in found {
            if let Some(r) = self.by_replica[replica.index()].readings.get_mut(key) {
                r.content = ContentRead::Read(Box::new(reading));
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

    /// One key range of a table counted in ranges, on `replica`.
    pub(super) fn add_range(&mut self, replica: ReplicaId, r: RangeReading) {
        let mine = &mut self.by_replica[replica.index()];
        let content = r.content.map(<[String]>::to_vec);
        let reading = mine
            .readings
            .entry(r.key.clone())
            .or_insert_with(|| ranged_reading(r.look, r.estimated, content));
        match (r.primary, r.replica) {
            (Err(e), _) => reading.primary = Err(e.clone()),
            (_, Err(e)) => reading.replica = Err(e),
            (Ok(p), Ok(q)) => {
                let counts = Counts {
                    primary: p.rows,
                    replica: q.rows,
                };
                let diff = (p != &q && r.at.is_some()).then(|| RangeDiff {
                    range: r.range.describe(r.shape),
                    primary: p.rows,
                    replica: q.rows,
                    content_differs: p.sum != q.sum,
                    bounds: r.range.clone(),
                    keys: r.keys,
                });
                add_counts(reading, counts, r.at.is_some(), diff);
            }
        }
        if let Some(at) = r.at.filter(|at| !mine.positions.contains(at)) {
            mine.positions.push(at.clone());
        }
    }

    /// A table counted in ranges could not be walked on the primary.
    pub(super) fn ranges_failed(&mut self, key: &Key, replicas: &[ReplicaId], why: &str) {
        for j in replicas {
            let reading = self.by_replica[j.index()]
                .readings
                .entry(key.clone())
                .or_insert_with(|| ranged_reading(Look::First, 0, None));
            reading.primary = Err(why.to_string());
        }
    }

    /// The round's ranges of `key` are in. For each of `replicas` that
    /// counted every range taken: whether they cover what the round was
    /// to read, and where an unfinished pass stopped (a replica that
    /// missed a range goes on from where it was).
    pub(super) fn close_ranges(&mut self, key: &Key, replicas: &[ReplicaId], closing: &Closing) {
        for j in replicas {
            let reading = self.by_replica[j.index()].readings.get_mut(key);
            let Some(r) = reading.and_then(|r| r.ranges.as_mut()) else {
                continue;
            };
            r.from_start = closing.from_start;
            if r.ranges == closing.taken {
                r.whole = closing.complete;
                r.reached = closing.reached.clone();
            }
        }
    }

    /// The servers stopped the count of `key` for `replicas` at its limit.
    pub(super) fn stopped(&mut self, key: &Key, replicas: &[ReplicaId]) {
        for j in replicas {
            self.by_replica[j.index()].stopped.push(key.clone());
        }
    }

    pub(super) fn add_forensics(&mut self, replica: ReplicaId, kept: Vec<Forensic>) {
        self.by_replica[replica.index()].forensics.extend(kept);
    }

    pub(super) fn gap(&mut self, replica: ReplicaId, gap: u64) {
        self.by_replica[replica.index()]
            .first_gap
            .get_or_insert(gap);
    }

    /// Takes in what another lane read.
    pub(super) fn merge(&mut self, other: Readings) {
        for (mine, theirs) in self.by_replica.iter_mut().zip(other.by_replica) {
            for (key, reading) in theirs.readings {
                match mine.readings.get_mut(&key) {
                    Some(have) if have.ranges.is_some() => combine(have, reading),
                    _ => {
                        mine.readings.insert(key, reading);
                    }
                }
            }
            for at in theirs.positions {
                if !mine.positions.contains(&at) {
                    mine.positions.push(at);
                }
            }
            mine.first_gap = mine.first_gap.or(theirs.first_gap);
            mine.forensics.extend(theirs.forensics);
            mine.stopped.extend(theirs.stopped);
        }
    }
}

/// A table counted in ranges before its first range is in.
fn ranged_reading(look: Look, estimated: u64, content: Option<Vec<String>>) -> Reading {
    Reading {
        primary: Ok(0),
        replica: Ok(0),
        at: None,
        content: ContentRead::NotAsked,
        ranges: Some(Box::new(RangesRead {
            look,
            compared: Counts::default(),
            ranges: 0,
            all_placed: true,
            whole: false,
            from_start: false,
            reached: None,
            differing: Vec::new(),
            estimated,
            content,
        })),
    }
}

/// Adds one range's counts (`placed`: read at one position) to a table's:
/// a reading of that one range, taken in as another lane's would be.
fn add_counts(reading: &mut Reading, counts: Counts, placed: bool, diff: Option<RangeDiff>) {
    let mut one = ranged_reading(Look::First, 0, None);
    if let Some(r) = one.ranges.as_mut() {
        r.compared = counts;
        r.ranges = 1;
        r.all_placed = placed;
        r.differing.extend(diff);
    }
    combine(reading, one);
}

/// Takes in another lane's ranges of the same table.
fn combine(have: &mut Reading, theirs: Reading) {
    if let Err(e) = theirs.primary {
        have.primary = Err(e);
    }
    if let Err(e) = theirs.replica {
        have.replica = Err(e);
    }
    let (Some(mine), Some(other)) = (have.ranges.as_mut(), theirs.ranges) else {
        return;
    };
    if let (Ok(p), Ok(q)) = (&mut have.primary, &mut have.replica) {
        *p += other.compared.primary;
        *q += other.compared.replica;
    }
    mine.compared.primary += other.compared.primary;
    mine.compared.replica += other.compared.replica;
    mine.ranges += other.ranges;
    mine.all_placed &= other.all_placed;
    let room = DIFFERING_KEPT.saturating_sub(mine.differing.len());
    mine.differing
        .extend(other.differing.into_iter().take(room));
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

    /// Only tables read on both sides, at one position, and different are
    /// handed back for the record.
    #[test]
    fn only_tables_read_on_both_sides_and_different_are_recounted() {
        let key = |n: &str| Key::table("d".into(), n);
        let count =
            |n: &str, rows: std::result::Result<u64, String>| TableCount { key: key(n), rows };
        let at = GtidPos::parse("0-1-5").unwrap();
        let [r0]: [ReplicaId; 1] = ReplicaId::all(1).collect::<Vec<_>>().try_into().unwrap();
        let primary = [
            count("a", Ok(10)),
            count("b", Ok(5)),
            count("c", Err("x".into())),
        ];
        let replica = || vec![count("a", Ok(11)), count("b", Ok(5)), count("c", Ok(3))];
        let mut r = Readings::new(1);
        let expected = Differing {
            key: key("a"),
            primary: 10,
            replica: 11,
        };
        assert_eq!(r.add(r0, &primary, replica(), Some(&at)), [expected]);
        assert_eq!(r.add(r0, &primary, replica(), None), []);
    }
}
