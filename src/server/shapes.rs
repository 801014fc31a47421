//! Table definitions (`--checksum`): columns, engine and row format, and
//! the key a table is cut along, each `information_schema` table read on
//! its own.

use super::session::{Result, Session};
use super::sql::within;
use crate::model::{Key, Listing};
use crate::rowhash::{Column, Shape};
use mysql::prelude::Queryable;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Columns, in order. Each `information_schema` table is read on its own,
/// limited to the included schemas: joined, the server may fill one of
/// them for every schema (opening every table of the server).
const COLUMNS: &str = "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, LOWER(DATA_TYPE), \
     COLLATION_NAME, COLUMN_TYPE, EXTRA, IS_NULLABLE FROM information_schema.COLUMNS";

/// Engines and row formats.
const FORMATS: &str = "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(ENGINE, ''), \
     COALESCE(ROW_FORMAT, '') FROM information_schema.TABLES \
     WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')";

/// Unique keys, the primary key first.
const UNIQUE_KEYS: &str = "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME \
     FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0";

/// One table's definition as read, before its key is chosen.
#[derive(Default)]
struct Draft {
    shape: Shape,
    /// Engine and row format, then every column's full type.
    format: String,
    columns_signature: String,
    not_null: Vec<bool>,
    /// Unique keys in the order read: name, columns.
    keys: Vec<(String, Vec<String>)>,
}

impl Draft {
    /// The primary key, else the first unique key of NOT NULL stored
    /// columns.
    fn finish(mut self) -> Shape {
        self.shape.signature = format!("{}{}", self.format, self.columns_signature);
        let index_of = |name: &str| self.shape.columns.iter().position(|c| c.name == name);
        self.keys.sort_by_key(|(name, _)| name != "PRIMARY");
        self.shape.key = self.keys.iter().find_map(|(_, cols)| {
            let idx: Option<Vec<usize>> = cols.iter().map(|c| index_of(c)).collect();
            idx.filter(|idx| idx.iter().all(|&i| self.not_null[i]))
        });
        self.shape
    }
}

type ColumnRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

/// Drafts by (database, table).
type Drafts = BTreeMap<(String, String), Draft>;

impl Session {
    /// Reads the definition of every table of `out` (of the schemas of
    /// `only`, when given): columns, engine and row format, unique keys.
    pub(super) fn shapes(&mut self, only: Option<&str>, out: &mut Listing) -> Result<()> {
        let mut drafts = self.columns(only)?;
        self.formats(only, &mut drafts)?;
        self.unique_keys(only, &mut drafts)?;
        for ((db, table), draft) in drafts {
            let key = Key::table(Arc::from(db.as_str()), table);
            if let Some(info) = out.get_mut(&key) {
                info.shape = Some(Arc::new(draft.finish()));
            }
        }
        Ok(())
    }

    fn columns(&mut self, only: Option<&str>) -> Result<Drafts> {
        let sql = format!(
            "{COLUMNS}{} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            within(only, "WHERE", "TABLE_SCHEMA")
        );
        let rows: Vec<ColumnRow> = self
            .conn
            .query(sql)
            .map_err(|e| self.err("reading table definitions", e))?;
        let mut drafts = Drafts::new();
        for (db, table, name, data_type, collation, column_type, extra, nullable) in rows {
            let d = drafts.entry((db, table)).or_default();
            let coll = collation.as_deref().unwrap_or("");
            d.columns_signature
                .push_str(&format!(";{name}:{column_type}:{extra}:{coll}"));
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
        Ok(drafts)
    }

    fn formats(&mut self, only: Option<&str>, drafts: &mut Drafts) -> Result<()> {
        let sql = format!("{FORMATS}{}", within(only, "AND", "TABLE_SCHEMA"));
        let rows: Vec<(String, String, String, String)> = self
            .conn
            .query(sql)
            .map_err(|e| self.err("reading table formats", e))?;
        for (db, table, engine, format) in rows {
            if let Some(d) = drafts.get_mut(&(db, table)) {
                d.format = format!("{engine}/{format}");
            }
        }
        Ok(())
    }

    fn unique_keys(&mut self, only: Option<&str>, drafts: &mut Drafts) -> Result<()> {
        let sql = format!(
            "{UNIQUE_KEYS}{} ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            within(only, "AND", "TABLE_SCHEMA")
        );
        let rows: Vec<(String, String, String, String)> = self
            .conn
            .query(sql)
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
        Ok(())
    }
}
