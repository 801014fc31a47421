//! Reading content (`--checksum`): `CHECKSUM TABLE`, key-range bounds,
//! range hashes and row hashes, inside the session's open snapshot. Only
//! SELECT and CHECKSUM TABLE (which needs SELECT).

use super::errors::{is_table_error, mysql_message, stopped_at_limit};
use super::session::{Result, Session};
use super::sql::qualified;
use crate::model::Key;
use crate::rowhash::{
    next_bound_sql, ranges_sql, rows_sql, Bound, Digest, KeyRange, RowHashes, Shape, SideContent,
    CHUNK_ROWS,
};
use mysql::prelude::Queryable;
use std::time::{Duration, Instant};

/// A table-level failure (the table alone is unreadable), or the session's.
pub(crate) type TableResult<T> = std::result::Result<T, String>;

impl Session {
    /// `CHECKSUM TABLE` of `key` in the open snapshot.
    pub(crate) fn checksum_table(&mut self, key: &Key) -> Result<TableResult<Digest>> {
        let sql = format!("CHECKSUM TABLE {}", qualified(key));
        let got = self.conn.query_first::<(String, Option<u64>), _>(sql);
        self.table_level(
            key,
            got.map(|row| match row {
                Some((_, Some(sum))) => Ok(Digest::Fast(sum)),
                _ => Err("CHECKSUM TABLE returned no checksum".to_string()),
            }),
        )
    }

    /// The bounds cutting `key` into ranges of `CHUNK_ROWS` rows, walked
    /// along its key in the open snapshot (the primary's).
    pub(crate) fn bounds(&mut self, key: &Key, shape: &Shape) -> Result<TableResult<Vec<Bound>>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let mut bounds: Vec<Bound> = Vec::new();
        loop {
            let sql = next_bound_sql(db, table, shape, bounds.last(), CHUNK_ROWS);
            match self.conn.query_first::<mysql::Row, _>(sql) {
                Ok(Some(row)) => bounds.push(Bound::new(shape, &bytes_of(row))),
                Ok(None) => return Ok(Ok(bounds)),
                Err(e) => return self.table_level(key, Err(e)),
            }
        }
    }

    /// `hash_ranges_within` with no limit of its own (the session's, `-t`).
    pub(crate) fn hash_ranges(
        &mut self,
        key: &Key,
        shape: &Shape,
        ranges: &[KeyRange],
    ) -> Result<TableResult<SideContent>> {
        let hashed = self.hash_ranges_within(key, shape, ranges, None)?;
        Ok(hashed.unwrap_or_else(|| Err("stopped at its time limit".to_string())))
    }

    /// The digest of each range of `key`, in one statement, stopped by the
    /// server once it has run for `limit`: `Ok(None)` when it was.
    pub(crate) fn hash_ranges_within(
        &mut self,
        key: &Key,
        shape: &Shape,
        ranges: &[KeyRange],
        limit: Option<Duration>,
    ) -> Result<Option<TableResult<SideContent>>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let sql = ranges_sql(db, table, shape, ranges, self.flavor.hash_fn());
        let sql = match limit {
            Some(limit) => self.flavor.limited(&sql, limit),
            None => sql,
        };
        let started = Instant::now();
        let got = self.conn.query::<(usize, u64, String), _>(sql);
        if let (Err(e), Some(limit)) = (&got, limit) {
            if stopped_at_limit(e, started.elapsed(), limit) {
                return Ok(None);
            }
        }
        self.table_level(
            key,
            got.map(|rows| {
                let mut digests = vec![None; ranges.len()];
                for (i, rows, sum) in rows {
                    if let Some(slot) = digests.get_mut(i) {
                        *slot = Some(Digest::Strong { rows, sum });
                    }
                }
                let digests: Option<Vec<Digest>> = digests.into_iter().collect();
                digests
                    .map(|digests| SideContent { digests })
                    .ok_or_else(|| "a key range returned no hash".to_string())
            }),
        )
        .map(Some)
    }

    /// Every row of one range of `key`: its key values and hash.
    pub(crate) fn row_hashes(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
    ) -> Result<TableResult<RowHashes>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let got = self.conn.query::<mysql::Row, _>(rows_sql(
            db,
            table,
            shape,
            range,
            self.flavor.hash_fn(),
        ));
        self.table_level(
            key,
            got.map(|rows| {
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let mut values = bytes_of(row);
                        let hash = values.pop().unwrap_or_default();
                        (values, String::from_utf8_lossy(&hash).into_owned())
                    })
                    .collect())
            }),
        )
    }

    /// A table's own error (privilege, dropped, corrupt) stays the
    /// table's; a session error ends the lane.
    pub(super) fn table_level<T>(
        &self,
        key: &Key,
        got: std::result::Result<TableResult<T>, mysql::Error>,
    ) -> Result<TableResult<T>> {
        match got {
            Ok(r) => Ok(r),
            Err(e) if is_table_error(&e) => Ok(Err(mysql_message(&e))),
            Err(e) => Err(self.err(&format!("reading the content of {key}"), e)),
        }
    }
}

/// The columns of a text-protocol row as bytes (NULL as empty: keys are
/// NOT NULL).
pub(super) fn bytes_of(row: mysql::Row) -> Vec<Vec<u8>> {
    row.unwrap()
        .into_iter()
        .map(|v| match v {
            mysql::Value::Bytes(b) => b,
            mysql::Value::NULL => Vec::new(),
            other => other.as_sql(true).into_bytes(),
        })
        .collect()
}
