//! What a round is to read: the tables each replica still needs, and how
//! each is to be read (counted, and with `--checksum` hashed).

use super::cursor::RangeJob;
use super::servers::Dropouts;
use crate::model::{Key, Listing, Look, ReplicaId, TableInfo};
use crate::outcome::ReplicaOutcome;
use crate::rowhash::Shape;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// A table to count, with what decides how and in which order.
pub(super) struct Table {
    pub(super) key: Key,
    /// Snapshots cover it on every side.
    pub(super) transactional: bool,
    pub(super) estimated_rows: u64,
    /// The primary's definition of it, when read.
    pub(super) shape: Option<Arc<Shape>>,
    /// The replicas that need its counts.
    pub(super) wanted_by: Vec<ReplicaId>,
    /// Its content is compared too (`--checksum`, transactional tables).
    /// Boxed, as the range job: a run counting only pays for a pointer.
    pub(super) content: Option<Box<ContentJob>>,
    /// Counted in key ranges (a big table with a key). Boxed: the
    /// many tables counted whole pay only for a pointer.
    pub(super) ranges: Option<Box<RangeJob>>,
}

/// What a table's content comparison needs.
#[derive(Debug, Clone)]
pub(super) struct ContentJob {
    /// The primary's definition of the table.
    pub(super) shape: Arc<Shape>,
    /// The replicas where `CHECKSUM TABLE` is trusted: the primary's
    /// version, and the table's definition the primary's to the byte.
    pub(super) trusted: Vec<ReplicaId>,
    /// `Again` after a difference: by key ranges, narrowed down.
    pub(super) look: Look,
    /// Columns not on both sides (of some replica that wants the table),
    /// left out of `shape`.
    pub(super) left_out: Vec<String>,
}

impl Table {
    /// `key` as the primary lists it, its content compared when `content`.
    fn new(key: &Key, p: &TableInfo, content: bool) -> Table {
        let job = |shape| {
            Box::new(ContentJob {
                shape,
                trusted: Vec::new(),
                look: Look::First,
                left_out: Vec::new(),
            })
        };
        Table {
            key: key.clone(),
            transactional: p.transactional,
            estimated_rows: p.estimated_rows,
            shape: p.shape.clone(),
            wanted_by: Vec::new(),
            content: p.shape.clone().filter(|_| content).map(job),
            ranges: None,
        }
    }

    /// A big transactional table that cannot be cut into key ranges: no
    /// primary key, nor a unique key of NOT NULL columns. It is counted
    /// whole, within a limit.
    pub(super) fn uncut(&self, chunk_rows: u64) -> bool {
        let keyless = self.shape.as_ref().is_some_and(|s| s.key.is_none());
        self.transactional && keyless && self.ranges.is_none() && self.estimated_rows > chunk_rows
    }

    /// The replicas of `aligned` that want the table.
    pub(super) fn wanted_among(&self, aligned: &[ReplicaId]) -> Vec<ReplicaId> {
        let wanted = |j: &ReplicaId| self.wanted_by.contains(j);
        aligned.iter().copied().filter(wanted).collect()
    }
}

impl ContentJob {
    /// Replica `j` wants the table too: `CHECKSUM TABLE` is trusted there
    /// when it runs the primary's version and the definition is the
    /// primary's to the byte; only the columns on both sides are hashed.
    fn wanted_by(&mut self, j: ReplicaId, shape: Option<&Shape>, same_version: bool) {
        let Some(shape) = shape else { return };
        if same_version && shape.signature == self.shape.signature {
            self.trusted.push(j);
        }
        self.narrow_to(shape);
    }

    /// Hashes only the columns `replica`'s definition has too.
    fn narrow_to(&mut self, replica: &Shape) {
        // Defined alike to the byte (the common case): nothing to narrow.
        if replica.signature == self.shape.signature {
            return;
        }
        let (common, left_out) = self.shape.common(replica);
        if left_out.is_empty() {
            return;
        }
        self.shape = Arc::new(common);
        for c in left_out {
            if !self.left_out.contains(&c) {
                self.left_out.push(c);
            }
        }
    }
}

/// The keys of a replica still without a verdict.
#[derive(Debug, Default)]
pub(super) enum Pending {
    /// Before the first round: every key listed.
    #[default]
    All,
    Only(Vec<Key>),
}

/// What the run knows of one replica between rounds.
#[derive(Default)]
pub(super) struct Tracked {
    pub(super) found: ReplicaOutcome,
    pub(super) pending: Pending,
    pub(super) listing: Arc<Listing>,
}

impl Tracked {
    pub(super) fn done(&self) -> bool {
        let settled = matches!(&self.pending, Pending::Only(keys) if keys.is_empty());
        settled && !self.found.comparison.definitions_pending()
    }

    /// Whether a pending key is not listed on both sides (before the
    /// first round, always: nothing is listed yet), or a definition waits
    /// for a second listing.
    pub(super) fn needs_listing(&self, primary: &Listing) -> bool {
        if self.found.comparison.definitions_pending() {
            return true;
        }
        match &self.pending {
            Pending::All => true,
            Pending::Only(keys) => keys
                .iter()
                .any(|k| !primary.contains_key(k) || !self.listing.contains_key(k)),
        }
    }

    /// The keys to take this round's readings in for.
    pub(super) fn take_pending(&mut self, primary: &Listing, replica: &Listing) -> Vec<Key> {
        match std::mem::take(&mut self.pending) {
            Pending::All => union_keys(primary, replica),
            Pending::Only(keys) => keys,
        }
    }
}

fn union_keys(a: &Listing, b: &Listing) -> Vec<Key> {
    let set: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    set.into_iter().cloned().collect()
}

/// The tables to count this round: each one any replica still needs
/// (listed on the primary and on that replica), with the replicas that
/// need it; biggest first, so that one huge table does not leave the
/// other lanes idle at the end, then by name, for a stable order.
pub(super) fn to_count(
    primary: &Listing,
    listings: &BTreeMap<ReplicaId, Arc<Listing>>,
    tracked: &[Tracked],
    dropouts: &Dropouts,
    // With content: the replicas of the primary's version.
    content: Option<&[ReplicaId]>,
) -> Vec<Table> {
    // The tables in a vector from the start, found by key through an
    // index: a map of tables collected into a vector held them twice.
    let mut tables: Vec<Table> = Vec::with_capacity(primary.len());
    let mut index: HashMap<&Key, usize> = HashMap::with_capacity(primary.len());
    for (&j, replica) in listings.iter().filter(|(j, _)| !dropouts.is_out(**j)) {
        let t = &tracked[j.index()];
        let want: Box<dyn Iterator<Item = &Key>> = match &t.pending {
            Pending::All => Box::new(primary.keys()),
            Pending::Only(keys) => Box::new(keys.iter()),
        };
        for key in want.filter(|k| !k.is_database()) {
            let (Some(p), Some(r)) = (primary.get(key), replica.get(key)) else {
                continue;
            };
            let i = *index.entry(key).or_insert_with(|| {
                tables.push(Table::new(key, p, content.is_some()));
                tables.len() - 1
            });
            let table = &mut tables[i];
            // Snapshots cover a table only where every side has it so.
            table.transactional &= r.transactional;
            table.wanted_by.push(j);
            if let Some(job) = &mut table.content {
                let same_version = content.is_some_and(|same| same.contains(&j));
                job.wanted_by(j, r.shape.as_deref(), same_version);
                if t.found.comparison.is_suspected(key) {
                    job.look = Look::Again;
                }
            }
        }
    }
    tables.sort_by(|a, b| {
        b.estimated_rows
            .cmp(&a.estimated_rows)
            .then_with(|| a.key.cmp(&b.key))
    });
    tables
}
