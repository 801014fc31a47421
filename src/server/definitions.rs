//! Table definitions, compared on every run: a digest of each table's
//! columns in the listing, and the columns themselves of the tables whose
//! digests differ.

use super::session::{Result, Session};
use super::sql::{string_literal, within};
use crate::model::{ColumnDef, Definition, Key, Listing};
use mysql::prelude::Queryable;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Every column of the tables read, in order.
const COLUMNS: &str = "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, \
     CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY FROM information_schema.COLUMNS";

type ColumnRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

fn column_of(row: &ColumnRow) -> ColumnDef {
    let (_, _, name, column_type, nullable, charset, collation, key) = row;
    ColumnDef {
        name: name.clone(),
        column_type: column_type.to_ascii_lowercase(),
        nullable: nullable == "YES",
        charset: charset.clone(),
        collation: collation.clone(),
        primary: key == "PRI",
    }
}

/// The digest of a column list, from the row as read: both sides are
/// digested by this one process, so one hasher with fixed keys compares
/// them.
fn digest_step(hasher: &mut DefaultHasher, row: &ColumnRow) {
    let (_, _, name, column_type, nullable, charset, collation, key) = row;
    (
        name,
        column_type,
        nullable,
        charset,
        collation,
        key == "PRI",
    )
        .hash(hasher);
}

impl Session {
    /// Each table of `out` (of the schemas of `only`, when given) gets the
    /// digest of its columns; one query, streamed, no columns kept.
    pub(super) fn definition_digests(
        &mut self,
        dbs: &BTreeMap<String, Arc<str>>,
        only: Option<&str>,
        out: &mut Listing,
    ) -> Result<()> {
        let sql = format!(
            "{COLUMNS}{} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            within(only, "WHERE", "TABLE_SCHEMA")
        );
        let conn = &mut self.conn;
        let finish =
            |table: Option<(Arc<str>, String)>, hasher: DefaultHasher, out: &mut Listing| {
                let key = table.map(|(db, t)| Key::table(db, t));
                let Some(info) = key.and_then(|k| out.get_mut(&k)) else {
                    return;
                };
                // Never 0: that is "not read".
                info.definition = hasher.finish().max(1);
            };
        let streamed = (|| -> std::result::Result<(), mysql::Error> {
            let mut current: Option<(Arc<str>, String)> = None;
            let mut hasher = DefaultHasher::new();
            for row in conn.query_iter(sql)? {
                let row: ColumnRow = mysql::from_row_opt(row?)?;
                let Some(db) = dbs.get(&row.0) else { continue };
                let same = current
                    .as_ref()
                    .is_some_and(|(d, t)| **d == *row.0 && *t == row.1);
                if !same {
                    let done = std::mem::replace(&mut hasher, DefaultHasher::new());
                    finish(current.replace((db.clone(), row.1.clone())), done, out);
                }
                digest_step(&mut hasher, &row);
            }
            finish(current, hasher, out);
            Ok(())
        })();
        streamed.map_err(|e| self.err("reading table definitions", e))
    }

    /// The columns of `tables`, by table.
    pub(crate) fn definitions(&mut self, tables: &[&Key]) -> Result<HashMap<Key, Definition>> {
        let mut out: HashMap<Key, Definition> = HashMap::new();
        if tables.is_empty() {
            return Ok(out);
        }
        let wanted: Vec<String> = tables
            .iter()
            .map(|k| {
                let table = k.table_name().unwrap_or_default();
                format!("({}, {})", string_literal(k.db()), string_literal(table))
            })
            .collect();
        let sql = format!(
            "{COLUMNS} WHERE (TABLE_SCHEMA, TABLE_NAME) IN ({}) \
             ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            wanted.join(", ")
        );
        let rows: Vec<ColumnRow> = self
            .conn
            .query(sql)
            .map_err(|e| self.err("reading table definitions", e))?;
        for row in &rows {
            let Some(key) = tables
                .iter()
                .find(|k| k.db() == row.0 && k.table_name() == Some(row.1.as_str()))
            else {
                continue;
            };
            let def = out.entry((*key).clone()).or_default();
            def.columns.push(column_of(row));
        }
        Ok(out)
    }
}
