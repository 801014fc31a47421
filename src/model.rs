//! The domain: what is compared and what was read. No I/O here, so that
//! the pure parts (`compare`, `consistency`, `report`) depend on nothing
//! that talks to a server.

use crate::consistency::GtidPos;
use crate::rowhash::{Bound, ContentReading, KeyRange, Shape};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// Which server of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Replica => "replica",
        }
    }
}

/// One replica of the run, by its place in the order given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaId(usize);

impl ReplicaId {
    /// The replicas of a run of `count`, in the order given.
    pub fn all(count: usize) -> impl Iterator<Item = ReplicaId> {
        (0..count).map(ReplicaId)
    }

    /// Its place in the order given, from 0: for the run's per-replica
    /// vectors.
    pub fn index(self) -> usize {
        self.0
    }
}

/// A server of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Primary,
    Replica(ReplicaId),
}

impl Slot {
    pub fn role(self) -> Role {
        match self {
            Slot::Primary => Role::Primary,
            Slot::Replica(_) => Role::Replica,
        }
    }
}

/// Why one side could not be read: which side, and the server's words.
#[derive(Debug, Clone, PartialEq)]
pub struct SideError {
    pub side: Role,
    pub message: String,
}

/// A first look at something, or a look again after an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    First,
    Again,
}

/// One column of a table definition, as `information_schema.COLUMNS` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// `COLUMN_TYPE`: `int(11)`, `varchar(64)`, `enum('a','b')`.
    pub column_type: String,
    pub nullable: bool,
    pub charset: Option<String>,
    pub collation: Option<String>,
    /// Part of the primary key.
    pub primary: bool,
}

/// A table's columns, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Definition {
    pub columns: Vec<ColumnDef>,
}

/// How much a difference matters to replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Replication copes; the data differs there.
    Copes,
    /// Replication misapplies rows, or stops.
    Breaks,
}

/// What of a common column differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnAttribute {
    Type,
    Charset,
    Collation,
}

/// One difference between the primary's definition and a replica's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A column on one side only; `at_end` when the columns before it are
    /// the same on both.
    OnlyOn {
        side: Role,
        column: String,
        column_type: String,
        at_end: bool,
    },
    /// A common column at another position (positions from 1).
    Position {
        column: String,
        primary: usize,
        replica: usize,
    },
    /// A common column of another type, character set or collation.
    Value {
        column: String,
        what: ColumnAttribute,
        primary: String,
        replica: String,
    },
    Nullability {
        column: String,
        primary_nullable: bool,
    },
    PrimaryKey {
        primary: Vec<String>,
        replica: Vec<String>,
    },
}

/// A database, or a table of one. Shared strings: a key is held by
/// several maps, thousands of times.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Database(Arc<str>),
    Table { db: Arc<str>, table: Arc<str> },
}

impl Key {
    pub fn table(db: Arc<str>, table: impl Into<Arc<str>>) -> Key {
        Key::Table {
            db,
            table: table.into(),
        }
    }

    pub fn db(&self) -> &str {
        match self {
            Key::Database(db) | Key::Table { db, .. } => db,
        }
    }

    /// The table's name; `None` for a database.
    pub fn table_name(&self) -> Option<&str> {
        match self {
            Key::Database(_) => None,
            Key::Table { table, .. } => Some(table),
        }
    }

    pub fn is_database(&self) -> bool {
        matches!(self, Key::Database(_))
    }
}

/// By database, the database itself before its tables, then by table: a
/// listing reads like the server's catalogue.
impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        (self.db(), self.table_name()).cmp(&(other.db(), other.table_name()))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Database(db) => write!(f, "database {db}"),
            Key::Table { db, table } => write!(f, "{db}.{table}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TableInfo {
    /// Snapshots cover it (InnoDB and friends); MyISAM, Aria, MEMORY... do not.
    pub transactional: bool,
    /// `information_schema` estimate: only to count big tables first.
    pub estimated_rows: u64,
    /// Its definition, when content is compared.
    pub shape: Option<Arc<Shape>>,
    /// A digest of its columns (names, order, types, nullability,
    /// character sets, collations, primary key), to tell in one number
    /// whether both sides define it alike; 0: not read.
    pub definition: u64,
}

/// A database's entry: nothing to count, nothing to order by.
impl Default for TableInfo {
    fn default() -> Self {
        TableInfo {
            transactional: true,
            estimated_rows: 0,
            shape: None,
            definition: 0,
        }
    }
}

/// Databases and data tables of one server, after the filter.
pub type Listing = BTreeMap<Key, TableInfo>;

/// A table's row count on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub primary: u64,
    pub replica: u64,
}

/// One table's exact row count on one server, or why it could not be read.
#[derive(Debug, Clone)]
pub struct TableCount {
    pub key: Key,
    pub rows: Result<u64, String>,
}

/// One table read on both sides in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub primary: Result<u64, String>,
    pub replica: Result<u64, String>,
    /// The replication position both sides were read at, when it was one
    /// and the same (`None`: different or unknown positions); shared by
    /// the readings of one pair of snapshots.
    pub at: Option<Arc<GtidPos>>,
    /// The content compared in the same snapshots (`--checksum`).
    pub content: ContentRead,
    /// A big table counted in key ranges, each range at a position of its
    /// own: what they showed (`primary` and `replica` are their sums).
    /// Boxed: most tables are counted whole, and every reading pays for
    /// the field's size.
    pub ranges: Option<Box<RangesRead>>,
}

/// What was kept of a table whose counts differed at one position: the
/// same counts read again in the same two snapshots, and where each
/// snapshot sat. A recount that differs blames the server's read; one
/// that agrees, one of the positions (or real drift).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Forensic {
    pub table: String,
    /// The position both snapshots were taken to be at.
    pub at: String,
    pub primary: u64,
    pub replica: u64,
    /// The recount in the same snapshots (`None`: it could not be read).
    pub recount_primary: Option<u64>,
    pub recount_replica: Option<u64>,
    pub recount_agrees: bool,
    /// The primary snapshot's binary log coordinates (MariaDB), whose
    /// `BINLOG_GTID_POS` was checked to be `at` before counting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_snapshot: Option<String>,
    /// The replica's `mysql.gtid_slave_pos` rows in its snapshot, newest
    /// first per domain (MariaDB).
    pub replica_slave_pos: Vec<String>,
}

/// What one key range holds on one side: its rows, and, when content is
/// compared, the sum of their hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSig {
    pub rows: u64,
    pub sum: Option<String>,
}

/// Key values of a range found on one side only, or whose rows differ,
/// as `col=value` lists.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct KeysApart {
    pub primary_only: Vec<String>,
    pub replica_only: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    /// How many were found in all (the lists keep the first few).
    pub found: usize,
}

/// A key range whose counts, or content, differed at one position.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RangeDiff {
    /// The range in words: `id (16800000, 17000000]`.
    pub range: String,
    pub primary: u64,
    pub replica: u64,
    /// The rows' content differs (their counts may not).
    pub content_differs: bool,
    #[serde(skip)]
    pub bounds: KeyRange,
    /// The key values on one side only, when narrowed down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeysApart>,
}

/// What one round read of a table counted in key ranges, for one replica.
#[derive(Debug, Clone, PartialEq)]
pub struct RangesRead {
    /// A pass over the table, or a look again at ranges that differed.
    pub look: Look,
    /// The rows of the ranges compared, on each side.
    pub compared: Counts,
    pub ranges: u64,
    /// Every range was compared at one position (each its own).
    pub all_placed: bool,
    /// Every range the round was to read was compared: the whole table
    /// when `from_start`, else the rest of a pass an earlier run began.
    pub whole: bool,
    /// The pass began at the table's first key.
    pub from_start: bool,
    /// Where an unfinished pass stopped: the key past which it goes on.
    pub reached: Option<Bound>,
    /// The ranges whose counts differed at their position.
    pub differing: Vec<RangeDiff>,
    /// The table's estimated rows, to say how much was covered.
    pub estimated: u64,
    /// The ranges' content was compared too (`--checksum`), over the
    /// columns on both sides: those left out.
    pub content: Option<Vec<String>>,
}

/// What became of one table's content in one round.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentRead {
    /// Not asked for: no `--checksum`, or a table that snapshots do not
    /// cover.
    NotAsked,
    /// Asked for, but not compared in this round: the budget ran out
    /// first, or the servers give no positions to compare it at.
    LeftOut,
    /// Asked for, but snapshots do not cover the table (MyISAM, Aria,
    /// MEMORY): its counts alone are compared.
    NotCovered,
    /// Asked for, but the servers stopped hashing it whole (it has no key
    /// to cut it by) at its limit: no later round fares better.
    Stopped,
    /// Compared, or why it could not be read. Boxed: every reading pays
    /// for the field's size, and most carry no content.
    Read(Box<Result<ContentReading, SideError>>),
}

/// Whether content left out of a run leaves its table without a verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Coverage {
    /// Without `--state-file`: every run must compare the content of every
    /// table it asks about, or call the table unverified.
    #[default]
    EveryRun,
    /// With `--state-file`: runs compare content in rotation, and the age
    /// of the oldest verification says how far behind they are.
    Rotation,
}

/// What one round read: both listings, and the tables read on both sides.
#[derive(Debug, Default)]
pub struct Round {
    /// Shared: one primary listing serves every replica's round.
    pub primary: Arc<Listing>,
    pub replica: Arc<Listing>,
    pub readings: HashMap<Key, Reading>,
    /// Replication positions were available (false: a primary without a
    /// binary log or GTIDs; then no difference is drift).
    pub positioned: bool,
    pub coverage: Coverage,
    /// The tables whose definitions differ in this round's listings, and
    /// how; `None` when the round listed nothing anew.
    pub definitions: Option<BTreeMap<Key, Vec<Difference>>>,
    /// What was kept of the differences at one position this round.
    pub forensics: Vec<Forensic>,
    /// Tables without a key to cut them by whose count in one statement
    /// the servers stopped at its limit: unverified.
    pub stopped: Vec<Key>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_sorts_before_its_tables() {
        let db: Arc<str> = "a".into();
        let mut keys = [
            Key::table("b".into(), "x"),
            Key::table(db.clone(), "z"),
            Key::Database("b".into()),
            Key::table(db.clone(), "a b"),
            Key::Database(db),
        ];
        keys.sort();
        let shown: Vec<String> = keys.iter().map(Key::to_string).collect();
        assert_eq!(shown, ["database a", "a.a b", "a.z", "database b", "b.x"]);
    }
}
