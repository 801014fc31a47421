//! Counting in key ranges: a big table read a range at a time, each range
//! in the session's open snapshot. Only SELECT.

use super::hashes::{bytes_of, TableResult};
use super::session::{Result, Session};
use crate::model::{Key, RangeSig};
use crate::rowhash::{
    key_columns, next_bound_sql, table_name, Bound, Digest, KeyRange, RowHashes, Shape,
};
use mysql::prelude::Queryable;

impl Session {
    /// The key `rows` rows past `after` along `key`'s key, in the open
    /// snapshot: the range up to it holds exactly `rows` rows. `None`:
    /// fewer rows than that are left.
    pub(crate) fn next_bound(
        &mut self,
        key: &Key,
        shape: &Shape,
        after: Option<&Bound>,
        rows: u64,
    ) -> Result<TableResult<Option<Bound>>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let sql = next_bound_sql(db, table, shape, after, rows);
        let got = self.conn.query_first::<mysql::Row, _>(sql);
        self.table_level(
            key,
            got.map(|row| Ok(row.map(|r| Bound::new(shape, &bytes_of(r))))),
        )
    }

    /// The rows of one key range of `key`, counted in the open snapshot.
    fn count_range(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
    ) -> Result<TableResult<u64>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let got = self
            .conn
            .query_first::<u64, _>(count_range_sql(db, table, shape, range));
        self.table_level(key, got.map(|n| Ok(n.unwrap_or(0))))
    }

    /// What one key range of `key` holds, in the open snapshot: its rows,
    /// and with `content` the sum of their hashes.
    pub(crate) fn probe_range(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
        content: bool,
    ) -> Result<TableResult<RangeSig>> {
        if !content {
            let rows = self.count_range(key, shape, range)?;
            return Ok(rows.map(|rows| RangeSig { rows, sum: None }));
        }
        let hashed = self.hash_ranges(key, shape, std::slice::from_ref(range))?;
        Ok(
            hashed.and_then(|side| match side.digests.into_iter().next() {
                Some(Digest::Strong { rows, sum }) => Ok(RangeSig {
                    rows,
                    sum: Some(sum),
                }),
                _ => Err("a key range returned no hash".to_string()),
            }),
        )
    }

    /// The rows of a range the primary's walk found to hold `rows` rows
    /// (its end is the key `rows` rows past its start there): the same
    /// walk here, which tells whether the range holds exactly as many rows
    /// here too; counted otherwise. The walk costs each server less than
    /// a count of the range.
    pub(crate) fn count_walked(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
        rows: u64,
    ) -> Result<TableResult<RangeSig>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        if let Some(sql) = walk_check_sql(db, table, shape, range, rows) {
            let got = self.conn.query::<i64, _>(sql);
            if self
                .table_level(key, got.map(Ok))?
                .is_ok_and(|f| holds_exactly(&f))
            {
                return Ok(Ok(RangeSig { rows, sum: None }));
            }
        }
        self.probe_range(key, shape, range, false)
    }

    /// Every row of one key range of `key`: its key values, and with
    /// `content` its hash (empty without).
    pub(crate) fn range_rows(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
        content: bool,
    ) -> Result<TableResult<RowHashes>> {
        if content {
            return self.row_hashes(key, shape, range);
        }
        let keys = self.range_keys(key, shape, range)?;
        Ok(keys.map(|keys| keys.into_iter().map(|k| (k, String::new())).collect()))
    }

    /// The key values of one key range of `key`, in key order.
    fn range_keys(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
    ) -> Result<TableResult<Vec<Vec<Vec<u8>>>>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let got = self
            .conn
            .query::<mysql::Row, _>(range_keys_sql(db, table, shape, range));
        self.table_level(
            key,
            got.map(|rows| Ok(rows.into_iter().map(bytes_of).collect())),
        )
    }
}

/// For the `rows`-th row past the range's start, in key order, and the
/// next: whether each lies past the range's end, as this server compares.
fn walk_check_sql(
    db: &str,
    table: &str,
    shape: &Shape,
    range: &KeyRange,
    rows: u64,
) -> Option<String> {
    let past_end = range.past_end(shape)?;
    let start = KeyRange {
        after: range.after.clone(),
        upto: None,
    };
    Some(format!(
        "SELECT ({past_end}) FROM {}{} ORDER BY {} LIMIT 2 OFFSET {}",
        table_name(db, table),
        start.filter(shape),
        key_columns(shape).join(", "),
        rows.max(1) - 1
    ))
}

/// The `rows`-th row is within the range and the next one past it (or
/// there is none): the range holds exactly `rows` rows. Rows in key order
/// within the range come first, so this holds whether or not the key is
/// unique on this server, whatever its collation.
fn holds_exactly(past_end: &[i64]) -> bool {
    matches!(past_end, [0] | [0, 1])
}

/// The rows of one key range, counted.
fn count_range_sql(db: &str, table: &str, shape: &Shape, range: &KeyRange) -> String {
    format!(
        "SELECT COUNT(*) FROM {}{}",
        table_name(db, table),
        range.filter(shape)
    )
}

/// The key values of one key range, in key order.
fn range_keys_sql(db: &str, table: &str, shape: &Shape, range: &KeyRange) -> String {
    let cols = key_columns(shape).join(", ");
    format!(
        "SELECT {cols} FROM {}{} ORDER BY {cols}",
        table_name(db, table),
        range.filter(shape)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rowhash::Column;

    #[test]
    fn a_range_is_counted_and_listed_by_its_predicate() {
        let shape = Shape {
            columns: vec![Column {
                name: "a".into(),
                data_type: "int".into(),
                collation: None,
            }],
            key: Some(vec![0]),
            signature: String::new(),
        };
        let bound = |k: &str| Bound::new(&shape, &[k.as_bytes().to_vec()]);
        let range = KeyRange {
            after: Some(bound("7")),
            upto: Some(bound("9")),
        };
        assert_eq!(
            count_range_sql("d", "t", &shape, &range),
            "SELECT COUNT(*) FROM `d`.`t` WHERE `a` > 7 AND NOT (`a` > 9)"
        );
        assert_eq!(
            range_keys_sql("d", "t", &shape, &range),
            "SELECT `a` FROM `d`.`t` WHERE `a` > 7 AND NOT (`a` > 9) ORDER BY `a`"
        );
        assert_eq!(
            walk_check_sql("d", "t", &shape, &range, 5).as_deref(),
            Some("SELECT (`a` > 9) FROM `d`.`t` WHERE `a` > 7 ORDER BY `a` LIMIT 2 OFFSET 4")
        );
        let last = KeyRange {
            after: Some(bound("9")),
            upto: None,
        };
        assert_eq!(walk_check_sql("d", "t", &shape, &last, 5), None);
    }

    /// Exactly `rows` rows only when the `rows`-th is in the range and the
    /// next past it: a replica with a row more (the next one still in the
    /// range, as a duplicate key where the replica lost its unique key
    /// would be), or fewer (the `rows`-th past the end, or missing), is
    /// counted.
    #[test]
    fn a_walk_tells_exactly_as_many_rows_or_nothing() {
        assert!(holds_exactly(&[0]));
        assert!(holds_exactly(&[0, 1]));
        assert!(!holds_exactly(&[0, 0]));
        assert!(!holds_exactly(&[1]));
        assert!(!holds_exactly(&[1, 1]));
        assert!(!holds_exactly(&[]));
    }
}
