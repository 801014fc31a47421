//! A big table's key ranges, handed to the lanes one at a time: walked
//! along the key on the primary (a pass over the table), or listed (a
//! look again at the ranges that differed). The lanes of a round share one
//! job per table, so that one big table keeps every connection busy.

use crate::model::Look;
use crate::rowhash::{Bound, KeyRange, Shape};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Where the ranges come from.
enum Cursor {
    /// Along the key, from `after`: each range ends at the key `rows`
    /// rows further, found on the primary of the lane that takes it.
    Walk {
        after: Option<Bound>,
        finished: bool,
    },
    /// Ranges to look at again, the next one last.
    Listed(Vec<KeyRange>),
}

/// One range for a lane to count.
pub(super) struct Taken {
    pub(super) range: KeyRange,
    /// The primary's rows in it, when the walk told them (the range ends
    /// at the key `rows` rows past its start: it holds exactly that many).
    pub(super) primary: Option<u64>,
}

/// What a lane gets when it asks for a range.
pub(super) enum Take {
    Range(Taken),
    /// Every range is taken, or the job was closed.
    Done,
    /// The walk failed for the table alone (dropped, no privilege...).
    Failed(String),
}

/// The ranges of one table in one round.
pub(super) struct RangeJob {
    pub(super) shape: Arc<Shape>,
    pub(super) look: Look,
    /// A pass from the table's first key (not resumed where an earlier
    /// run stopped).
    pub(super) from_start: bool,
    /// With `--checksum`: each range's content is hashed too (`shape` is
    /// then the columns on both sides); the columns left out.
    pub(super) content: Option<Vec<String>>,
    rows: u64,
    cursor: Mutex<Cursor>,
    /// Ranges handed out so far.
    taken: AtomicU64,
    /// No more ranges are handed out (time is up).
    closed: AtomicBool,
}

/// A walk's answer: the bound `rows` rows past `after`, `None` when fewer
/// are left, or why the table cannot be read.
pub(super) type Walked = std::result::Result<Option<Bound>, String>;

impl RangeJob {
    /// A pass in ranges of `rows` rows, from the key past `after` (the
    /// first key when `None`) to the last.
    pub(super) fn pass(shape: Arc<Shape>, rows: u64, after: Option<Bound>) -> RangeJob {
        let from_start = after.is_none();
        let mut job = RangeJob::new(
            shape,
            Look::First,
            rows,
            Cursor::Walk {
                after,
                finished: false,
            },
        );
        job.from_start = from_start;
        job
    }

    /// A look again at `ranges`.
    pub(super) fn again(shape: Arc<Shape>, mut ranges: Vec<KeyRange>) -> RangeJob {
        ranges.reverse();
        RangeJob::new(shape, Look::Again, 0, Cursor::Listed(ranges))
    }

    fn new(shape: Arc<Shape>, look: Look, rows: u64, cursor: Cursor) -> RangeJob {
        RangeJob {
            shape,
            look,
            from_start: false,
            content: None,
            rows,
            cursor: Mutex::new(cursor),
            taken: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// The ranges' content is hashed too, leaving out `left_out` columns.
    pub(super) fn with_content(mut self, left_out: Option<Vec<String>>) -> RangeJob {
        self.content = left_out;
        self
    }

    /// Ranges are left to hand out.
    pub(super) fn open(&self) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return false;
        }
        match &*self.cursor.lock().unwrap_or_else(PoisonError::into_inner) {
            Cursor::Walk { finished, .. } => !finished,
            Cursor::Listed(left) => !left.is_empty(),
        }
    }

    /// Hands out no more ranges: what is left is not covered this round.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    /// Every range of the job was handed out: a pass covers the table.
    pub(super) fn complete(&self) -> bool {
        match &*self.cursor.lock().unwrap_or_else(PoisonError::into_inner) {
            Cursor::Walk { finished, .. } => *finished,
            Cursor::Listed(left) => left.is_empty(),
        }
    }

    /// Where an unfinished pass stands: the key past which it goes on.
    pub(super) fn reached(&self) -> Option<Bound> {
        match &*self.cursor.lock().unwrap_or_else(PoisonError::into_inner) {
            Cursor::Walk {
                after,
                finished: false,
            } => after.clone(),
            _ => None,
        }
    }

    /// How many ranges were handed out.
    pub(super) fn taken(&self) -> u64 {
        self.taken.load(Ordering::Relaxed)
    }

    /// The next range. A pass finds its end with `walk` (on the taking
    /// lane's primary snapshot) while it holds the cursor, so that ranges
    /// follow each other without gap or overlap whichever lane walks them.
    pub(super) fn take<E>(
        &self,
        walk: impl FnOnce(Option<&Bound>, u64) -> std::result::Result<Walked, E>,
    ) -> std::result::Result<Take, E> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(Take::Done);
        }
        let mut cursor = self.cursor.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = match &mut *cursor {
            Cursor::Listed(left) => match left.pop() {
                Some(range) => Taken {
                    range,
                    primary: None,
                },
                None => return Ok(Take::Done),
            },
            Cursor::Walk { finished: true, .. } => return Ok(Take::Done),
            Cursor::Walk { after, finished } => match walk(after.as_ref(), self.rows)? {
                Err(why) => {
                    *finished = true;
                    return Ok(Take::Failed(why));
                }
                Ok(Some(upto)) => Taken {
                    range: KeyRange {
                        after: after.replace(upto.clone()),
                        upto: Some(upto),
                    },
                    primary: Some(self.rows),
                },
                Ok(None) => {
                    *finished = true;
                    Taken {
                        range: KeyRange {
                            after: after.take(),
                            upto: None,
                        },
                        primary: None,
                    }
                }
            },
        };
        self.taken.fetch_add(1, Ordering::Relaxed);
        Ok(Take::Range(taken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rowhash::Column;
    use std::convert::Infallible;

    fn shape() -> Arc<Shape> {
        Arc::new(Shape {
            columns: vec![Column {
                name: "id".into(),
                data_type: "int".into(),
                collation: None,
            }],
            key: Some(vec![0]),
            signature: String::new(),
        })
    }

    /// A table of keys 1..=25 walked in ranges of 10: the walk is what a
    /// primary's `ORDER BY id LIMIT 1 OFFSET 9` answers.
    fn walk_keys(after: Option<&Bound>, rows: u64) -> Result<Walked, Infallible> {
        let start = after.map_or(0, |b| b.shown[0].parse::<u64>().unwrap());
        let end = start + rows;
        Ok(Ok((end <= 25).then(|| {
            Bound::new(&shape(), &[end.to_string().into_bytes()])
        })))
    }

    fn described(t: &Take) -> String {
        match t {
            Take::Range(t) => format!("{} {:?}", t.range.describe(&shape()), t.primary),
            Take::Done => "done".into(),
            Take::Failed(why) => why.clone(),
        }
    }

    /// Ranges follow each other without gap or overlap, the last one open
    /// and counted on the primary, and then the job is done.
    #[test]
    fn a_pass_walks_the_key_to_its_end() {
        let job = RangeJob::pass(shape(), 10, None);
        let mut seen = Vec::new();
        while job.open() {
            seen.push(described(&job.take(walk_keys).unwrap()));
        }
        assert_eq!(
            seen,
            [
                "id (.., 10] Some(10)",
                "id (10, 20] Some(10)",
                "id (20, ..) None"
            ]
        );
        assert!(job.complete());
        assert_eq!(job.taken(), 3);
        assert_eq!(described(&job.take(walk_keys).unwrap()), "done");
    }

    /// A closed pass hands out nothing more and is not complete; a look
    /// again hands out its ranges in order.
    #[test]
    fn closed_passes_and_looks_again() {
        let job = RangeJob::pass(shape(), 10, None);
        job.take(walk_keys).unwrap();
        job.close();
        assert!(!job.open() && !job.complete());
        assert_eq!(described(&job.take(walk_keys).unwrap()), "done");
        let b = |k: &str| Bound::new(&shape(), &[k.as_bytes().to_vec()]);
        let ranges = vec![
            KeyRange {
                after: Some(b("10")),
                upto: Some(b("20")),
            },
            KeyRange {
                after: Some(b("40")),
                upto: None,
            },
        ];
        let again = RangeJob::again(shape(), ranges);
        let first = described(&again.take(walk_keys).unwrap());
        let second = described(&again.take(walk_keys).unwrap());
        assert_eq!([first, second], ["id (10, 20] None", "id (40, ..) None"]);
        assert!(again.complete() && !again.open());
    }
}
