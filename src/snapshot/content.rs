//! Reading content (`--checksum`): table definitions, `CHECKSUM TABLE`,
//! key-range bounds, range hashes and row hashes, inside the session's
//! open snapshot. Only SELECT and CHECKSUM TABLE (which needs SELECT).

use super::{mysql_message, Flavor, Result, Session};
use crate::content::{
    next_bound_sql, ranges_sql, rows_sql, table_name, Bound, Column, Digest, HashFn, KeyRange,
    RowHashes, Shape, SideContent,
};
use crate::model::{Key, Listing};
use mysql::prelude::Queryable;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A table-level failure (the table alone is unreadable), or the session's.
pub(crate) type TableResult<T> = std::result::Result<T, String>;

/// Columns of the tables of `only` (or of every schema), in order.
const COLUMNS: &str = "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, LOWER(c.DATA_TYPE), \
     c.COLLATION_NAME, c.COLUMN_TYPE, c.EXTRA, c.IS_NULLABLE, COALESCE(t.ENGINE, ''), \
     COALESCE(t.ROW_FORMAT, '') \
     FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
     ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME";

/// Unique keys, the primary key first.
const UNIQUE_KEYS: &str = "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME \
     FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0";

/// One table's definition as read, before its key is chosen.
#[derive(Default)]
struct Draft {
    shape: Shape,
    not_null: Vec<bool>,
    /// Unique keys in the order read: name, columns.
    keys: Vec<(String, Vec<String>)>,
}

impl Draft {
    /// The primary key, else the first unique key of NOT NULL stored
    /// columns.
    fn finish(mut self) -> Shape {
        let index_of = |name: &str| self.shape.columns.iter().position(|c| c.name == name);
        self.keys.sort_by_key(|(name, _)| name != "PRIMARY");
        self.shape.key = self.keys.iter().find_map(|(_, cols)| {
            let idx: Option<Vec<usize>> = cols.iter().map(|c| index_of(c)).collect();
            idx.filter(|idx| idx.iter().all(|&i| self.not_null[i]))
        });
        self.shape
    }
}

type Row10 = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
);

impl Session {
    /// Reads the definition of every table of `out` (of the schemas of
    /// `only`, when given).
    pub(super) fn shapes(&mut self, only: Option<&str>, out: &mut Listing) -> Result<()> {
        let schemas = |col: &str| only.map_or(String::new(), |n| format!(" {col} IN ({n})"));
        let columns = format!(
            "{COLUMNS}{} ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION",
            only.map_or(String::new(), |_| format!(
                " WHERE{}",
                schemas("c.TABLE_SCHEMA")
            ))
        );
        let rows: Vec<Row10> = self
            .conn
            .query(columns)
            .map_err(|e| self.err("reading table definitions", e))?;
        let mut drafts: BTreeMap<(String, String), Draft> = BTreeMap::new();
        for (db, table, name, data_type, collation, column_type, extra, nullable, engine, format) in
            rows
        {
            let d = drafts.entry((db, table)).or_default();
            if d.shape.signature.is_empty() {
                d.shape.signature = format!("{engine}/{format}");
            }
            let sig = format!(
                ";{name}:{column_type}:{extra}:{}",
                collation.as_deref().unwrap_or("")
            );
            d.shape.signature.push_str(&sig);
            if extra.to_ascii_uppercase().contains("VIRTUAL") {
                continue;
            }
            d.not_null.push(nullable == "NO");
            d.shape.columns.push(Column {
                name,
                data_type,
                collation,
            });
        }
        let keys = format!(
            "{UNIQUE_KEYS}{} ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            only.map_or(String::new(), |_| format!(
                " AND{}",
                schemas("TABLE_SCHEMA")
            ))
        );
        let rows: Vec<(String, String, String, String)> = self
            .conn
            .query(keys)
            .map_err(|e| self.err("reading table keys", e))?;
        for (db, table, index, column) in rows {
            let Some(d) = drafts.get_mut(&(db, table)) else {
                continue;
            };
            match d.keys.last_mut() {
                Some((name, cols)) if *name == index => cols.push(column),
                _ => d.keys.push((index, vec![column])),
            }
        }
        for ((db, table), draft) in drafts {
            let key = Key::table(Arc::from(db.as_str()), table);
            if let Some(info) = out.get_mut(&key) {
                info.shape = Some(Arc::new(draft.finish()));
            }
        }
        Ok(())
    }

    /// `CHECKSUM TABLE` of `key` in the open snapshot.
    pub(crate) fn checksum_table(&mut self, key: &Key) -> Result<TableResult<Digest>> {
        let sql = format!("CHECKSUM TABLE {}", name(key));
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
            let sql = next_bound_sql(db, table, shape, bounds.last());
            match self.conn.query_first::<mysql::Row, _>(sql) {
                Ok(Some(row)) => bounds.push(Bound::new(shape, &bytes_of(row))),
                Ok(None) => return Ok(Ok(bounds)),
                Err(e) => return self.table_level(key, Err(e)),
            }
        }
    }

    /// The digest of each range of `key`, in one statement.
    pub(crate) fn hash_ranges(
        &mut self,
        key: &Key,
        shape: &Shape,
        ranges: &[KeyRange],
    ) -> Result<TableResult<SideContent>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let got = self.conn.query::<(usize, u64, String), _>(ranges_sql(
            db,
            table,
            shape,
            ranges,
            self.hash_fn(),
        ));
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
    }

    /// Every row of one range of `key`: its key values and hash.
    pub(crate) fn row_hashes(
        &mut self,
        key: &Key,
        shape: &Shape,
        range: &KeyRange,
    ) -> Result<TableResult<RowHashes>> {
        let (db, table) = (key.db(), key.table_name().unwrap_or_default());
        let got =
            self.conn
                .query::<mysql::Row, _>(rows_sql(db, table, shape, range, self.hash_fn()));
        self.table_level(
            key,
            got.map(|rows| {
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let mut values: Vec<String> = bytes_of(row)
                            .iter()
                            .map(|v| String::from_utf8_lossy(v).into_owned())
                            .collect();
                        let hash = values.pop().unwrap_or_default();
                        (values, hash)
                    })
                    .collect())
            }),
        )
    }

    fn hash_fn(&self) -> HashFn {
        match self.flavor {
            Flavor::MariaDb => HashFn::Sha1,
            Flavor::MySql => HashFn::Sha256,
        }
    }

    /// A table's own error (privilege, dropped, corrupt) stays the
    /// table's; a session error ends the lane.
    fn table_level<T>(
        &self,
        key: &Key,
        got: std::result::Result<TableResult<T>, mysql::Error>,
    ) -> Result<TableResult<T>> {
        match got {
            Ok(r) => Ok(r),
            Err(e) if super::is_table_error(&e) => Ok(Err(mysql_message(&e))),
            Err(e) => Err(self.err(&format!("reading the content of {key}"), e)),
        }
    }
}

fn name(key: &Key) -> String {
    table_name(key.db(), key.table_name().unwrap_or_default())
}

/// The columns of a text-protocol row as bytes (NULL as empty: keys are
/// NOT NULL).
fn bytes_of(row: mysql::Row) -> Vec<Vec<u8>> {
    row.unwrap()
        .into_iter()
        .map(|v| match v {
            mysql::Value::Bytes(b) => b,
            mysql::Value::NULL => Vec::new(),
            other => other.as_sql(true).into_bytes(),
        })
        .collect()
}
