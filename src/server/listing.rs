//! Listing: the databases and data tables that pass the filter, with
//! what decides how each is read.

use super::session::{Result, Session};
use super::sql::string_literal;
use crate::config::Filter;
use crate::model::{Key, Listing, TableInfo};
use mysql::prelude::Queryable;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Which tables' definitions a listing reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shapes {
    /// Every table's (content is compared).
    All,
    /// Those of tables of more estimated rows than this: they are counted
    /// in key ranges, along their key.
    Above(u64),
}

impl Session {
    /// All databases and data tables that pass the filter: one
    /// `information_schema` query for the tables of the included schemas
    /// (ENGINE needs only the table definitions, not opening the tables),
    /// and the row estimates of InnoDB's persistent statistics, where the
    /// account may read them, to count big tables first.
    pub(crate) fn list(&mut self, filter: &Filter, shapes: Shapes) -> Result<Listing> {
        let (dbs, all_included) = self.databases(filter)?;
        let mut out: Listing = dbs
            .values()
            .map(|db| (Key::Database(db.clone()), TableInfo::default()))
            .collect();
        if dbs.is_empty() {
            return Ok(out);
        }
        // Only the included schemas, when some are left out: the server
        // then reads only their tables' definitions.
        let only = (!all_included).then(|| {
            let names: Vec<String> = dbs.keys().map(|d| string_literal(d)).collect();
            names.join(",")
        });
        self.tables(filter, &dbs, only.as_deref(), &mut out)?;
        self.estimates(&dbs, only.as_deref(), &mut out);
        self.definition_digests(&dbs, only.as_deref(), &mut out)?;
        match shapes {
            Shapes::All => self.shapes(only.as_deref(), &mut out)?,
            Shapes::Above(rows) => {
                // Only the schemas holding a table big enough to be cut:
                // most runs read no definitions at all.
                let big: BTreeSet<String> = out
                    .iter()
                    .filter(|(_, info)| info.transactional && info.estimated_rows > rows)
                    .map(|(k, _)| string_literal(k.db()))
                    .collect();
                if !big.is_empty() {
                    let names: Vec<String> = big.into_iter().collect();
                    self.shapes(Some(&names.join(",")), &mut out)?;
                }
            }
        }
        Ok(out)
    }

    /// The databases that pass the filter (shared names), and whether
    /// that is all of them.
    fn databases(&mut self, filter: &Filter) -> Result<(BTreeMap<String, Arc<str>>, bool)> {
        let all: Vec<String> = self
            .conn
            .query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
            .map_err(|e| self.err("listing databases", e))?;
        let total = all.len();
        let dbs: BTreeMap<String, Arc<str>> = all
            .into_iter()
            .filter(|d| filter.database(d))
            .map(|d| {
                let shared: Arc<str> = Arc::from(d.as_str());
                (d, shared)
            })
            .collect();
        let everything = dbs.len() == total;
        Ok((dbs, everything))
    }

    /// The data tables of `dbs` that pass the filter, streamed.
    fn tables(
        &mut self,
        filter: &Filter,
        dbs: &BTreeMap<String, Arc<str>>,
        only: Option<&str>,
        out: &mut Listing,
    ) -> Result<()> {
        let mut sql = String::from(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(ENGINE, '') FROM information_schema.TABLES \
             WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
        );
        if let Some(names) = only {
            sql.push_str(&format!(" AND TABLE_SCHEMA IN ({names})"));
        }
        let conn = &mut self.conn;
        let streamed = (|| -> std::result::Result<(), mysql::Error> {
            for row in conn.query_iter(sql)? {
                let (db, table, engine): (String, String, String) = mysql::from_row_opt(row?)?;
                let Some(shared_db) = dbs.get(&db).filter(|_| filter.table(&db, &table)) else {
                    continue;
                };
                let transactional = matches!(
                    engine.to_ascii_lowercase().as_str(),
                    "innodb" | "rocksdb" | "tokudb"
                );
                let info = TableInfo {
                    transactional,
                    ..TableInfo::default()
                };
                out.insert(Key::table(shared_db.clone(), table), info);
            }
            Ok(())
        })();
        streamed.map_err(|e| self.err("listing tables", e))
    }

    /// Row estimates from `mysql.innodb_table_stats`, for tables big enough
    /// for the order to matter. Optional: without SELECT on it the order is
    /// just less good.
    fn estimates(
        &mut self,
        dbs: &BTreeMap<String, Arc<str>>,
        only: Option<&str>,
        out: &mut Listing,
    ) {
        let mut sql = String::from(
            "SELECT database_name, table_name, n_rows FROM mysql.innodb_table_stats WHERE n_rows >= 10000",
        );
        if let Some(names) = only {
            sql.push_str(&format!(" AND database_name IN ({names})"));
        }
        let Ok(stats) = self.conn.query::<(String, String, u64), _>(sql) else {
            return;
        };
        for (db, table, rows) in stats {
            // Partitions are listed as `t#P#p0`: their rows add up.
            let name = table
                .find("#P#")
                .or_else(|| table.find("#p#"))
                .map_or(&table[..], |i| &table[..i]);
            let Some(db) = dbs.get(&db) else { continue };
            if let Some(info) = out.get_mut(&Key::table(db.clone(), name)) {
                info.estimated_rows += rows;
            }
        }
    }
}
