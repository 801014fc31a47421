//! What a comparison rests on and concludes of a table: what a round saw,
//! its verdict, why it has none yet, and how a pass over a big table
//! ended. Pure types, shared by `compare`, which reaches them, and
//! `report`, which words them.

use crate::consistency::{GtidPos, How};
use crate::model::{Counts, RangeDiff, Role};
use crate::rowhash::{Bound, ContentReading};

/// Why a table is unverified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsettled {
    /// No pair of readings at one replication position.
    NoPosition,
    /// Counts equal at one position, but the content asked for was not
    /// compared.
    ContentLeftOut,
    /// A difference at one position that no second snapshot set confirmed
    /// or cleared in time.
    DifferedOnce,
    /// Counted in key ranges, no difference in them, but they did not
    /// cover the table in time.
    Partial { compared: u64, estimated: u64 },
    /// A big table with no key to cut it into ranges, whose count in one
    /// statement did not end within its limit.
    Uncut,
    /// The same, counted (equal counts at one position), whose content
    /// hashed in one statement did not end within its limit.
    UncutContent,
}

/// Whether the run may look at pending tables again after this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Left,
    /// What is still pending after this round is unverified.
    Spent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Match(How),
    /// Boxed: every verdict pays for the largest one's size, and drift is
    /// rare.
    Drift(Box<Drifted>),
    /// Present on one side only (seen so in two listings).
    Missing {
        on: Role,
    },
    /// No verdict in time; the last counts seen, if the table was counted
    /// on both sides at all.
    Unverified {
        last: Option<Counts>,
        why: Unsettled,
    },
    Unreadable {
        side: Role,
        error: String,
    },
}

/// What a table's drift rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Drifted {
    pub counts: Counts,
    pub how: How,
    /// The replication position both counts were read at.
    pub at: Option<GtidPos>,
    /// The content compared there, when it differs (`--checksum`).
    pub content: Option<Box<ContentReading>>,
    /// A table counted in key ranges: the ranges that differed.
    pub ranges: Vec<RangeDiff>,
}

/// What one round saw of a table on both sides: what its verdict rests on.
#[derive(Clone, Copy, Default)]
pub(crate) struct Seen<'a> {
    pub(crate) counts: Counts,
    /// The one position both were read at.
    pub(crate) at: Option<&'a GtidPos>,
    /// Its content, compared in the same snapshots.
    pub(crate) content: Option<&'a ContentReading>,
    /// The content was asked for and not compared: equal counts are no
    /// verdict then.
    pub(crate) content_wanted: bool,
    /// The content was asked for, and snapshots do not cover the table.
    pub(crate) counts_only: bool,
    /// The servers stopped hashing it whole at its limit.
    pub(crate) content_stopped: bool,
}

/// How far the last pass over a table counted in key ranges went.
#[derive(Debug, Clone)]
pub(crate) struct Pass {
    pub(crate) whole: bool,
    pub(crate) from_start: bool,
    pub(crate) compared: Counts,
    pub(crate) estimated: u64,
    pub(crate) ranges: u64,
    pub(crate) reached: Option<Bound>,
}

/// How a run's pass over a big table ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PassEnd {
    /// It covered the table (in this run, or the rest of an earlier run's
    /// pass).
    Complete,
    /// It goes on past this key in a later run (`None`: where it was).
    UnderWay(Option<Bound>),
}
