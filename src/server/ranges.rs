//! Counting in key ranges: a big table read a range at a time, each range
//! in the session's open snapshot. Only SELECT.

use super::hashes::{bytes_of, TableResult};
use super::session::{Result, Session};
use crate::model::Key;
use crate::rowhash::{count_range_sql, next_bound_sql, range_keys_sql, Bound, KeyRange, Shape};
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
    pub(crate) fn count_range(
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

    /// The key values of one key range of `key`, in key order.
    pub(crate) fn range_keys(
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
