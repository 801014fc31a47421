//! Passes over big tables across runs (`--state-file`): where the pass
//! under way stands, when the last complete pass ended, and the key ranges
//! that differed at one position, which the next run looks at first. Key
//! values are kept as the bytes read (in hex), never as SQL text: a state
//! file is data, and its ranges are rebuilt from the table's definition.

use crate::rowhash::{Bound, KeyRange, Shape};
use serde::{Deserialize, Serialize};

/// One big table of one replica, between runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct PassEntry {
    pub(super) db: String,
    pub(super) table: String,
    /// The key past which the pass under way goes on; none: it starts
    /// from the beginning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) after: Option<StoredKey>,
    /// When the file first listed the table.
    pub(super) seen: u64,
    /// When the last complete pass ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) complete: Option<u64>,
    /// Ranges that differed at one position and have not matched since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) differing: Vec<StoredRange>,
}

impl PassEntry {
    /// Seconds since the last complete pass (or since the table was
    /// first listed, when it never had one).
    pub(super) fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.complete.unwrap_or(self.seen))
    }
}

/// A key value, one hex string per key column.
pub(super) type StoredKey = Vec<String>;

/// A key range as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct StoredRange {
    #[serde(default)]
    after: Option<StoredKey>,
    #[serde(default)]
    upto: Option<StoredKey>,
}

pub(super) fn store_key(b: &Bound) -> StoredKey {
    b.values
        .iter()
        .map(|v| v.iter().map(|b| format!("{b:02x}")).collect())
        .collect()
}

/// The key value again, for `shape`'s key; `None` when it does not fit
/// (another number of key columns, or not hex).
pub(super) fn load_key(shape: &Shape, stored: &StoredKey) -> Option<Bound> {
    let columns = shape.key.as_ref()?.len();
    if stored.len() != columns {
        return None;
    }
    let values: Option<Vec<Vec<u8>>> = stored.iter().map(|h| unhex(h)).collect();
    Some(Bound::new(shape, &values?))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl StoredRange {
    pub(super) fn of(r: &KeyRange) -> StoredRange {
        StoredRange {
            after: r.after.as_ref().map(store_key),
            upto: r.upto.as_ref().map(store_key),
        }
    }

    /// The range again, for `shape`'s key.
    pub(super) fn load(&self, shape: &Shape) -> Option<KeyRange> {
        let end = |k: &Option<StoredKey>| match k {
            None => Some(None),
            Some(k) => load_key(shape, k).map(Some),
        };
        Some(KeyRange {
            after: end(&self.after)?,
            upto: end(&self.upto)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rowhash::Column;

    fn shape(key_columns: usize) -> Shape {
        let columns = ["a", "b"]
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                data_type: "varbinary".into(),
                collation: None,
            })
            .collect();
        Shape {
            columns,
            key: Some((0..key_columns).collect()),
            signature: String::new(),
        }
    }

    /// Binary key values come back byte for byte; a stored range that no
    /// longer fits the key (a column more) or is not hex is dropped, never
    /// turned into SQL.
    #[test]
    fn ranges_survive_the_file_as_bytes() {
        let two = shape(2);
        let low = Bound::new(&two, &[vec![0, 255, b'\''], b"x".to_vec()]);
        let range = KeyRange {
            after: Some(low.clone()),
            upto: None,
        };
        let stored = StoredRange::of(&range);
        let text = serde_json::to_string(&stored).unwrap();
        assert_eq!(text, r#"{"after":["00ff27","78"],"upto":null}"#);
        let back: StoredRange = serde_json::from_str(&text).unwrap();
        assert_eq!(back.load(&two), Some(range));
        assert_eq!(back.load(&shape(1)), None);
        let forged: StoredRange =
            serde_json::from_str(r#"{"after":["1; DROP TABLE t","78"]}"#).unwrap();
        assert_eq!(forged.load(&two), None);
    }
}
