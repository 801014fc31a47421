//! Counting: exact row counts, many tables per statement, and for tables
//! that snapshots do not cover, between two readings of the position.

use super::errors::{is_table_error, mysql_message, stopped_at_limit};
use super::session::{first_value, Result, Session};
use super::sql::count_sql;
use crate::consistency::GtidPos;
use crate::model::{Key, TableCount};
use mysql::prelude::Queryable;
use std::time::{Duration, Instant};

impl Session {
    /// Counts tables that snapshots do not cover (MyISAM, Aria...) between
    /// two readings of the server's position, in one round trip; on the
    /// replica after waiting for `wait_for` (`Ok(None)` when the wait timed
    /// out). The counts are at one position when both readings agree.
    /// Falls back to a plain count (which names unreadable tables) when the
    /// statement fails.
    pub(crate) fn count_between_positions(
        &mut self,
        tables: &[&Key],
        wait_for: Option<&GtidPos>,
        timeout: Duration,
    ) -> Result<Option<Positioned>> {
        let pos = self.flavor.position_sql(self.server.role());
        let sql = format!(
            "{}; {pos}; {}; {pos}",
            self.wait_sql(wait_for, timeout),
            count_sql(tables)
        );
        let Ok(sets) = self.batch(&sql) else {
            let counts = self.count(tables)?;
            return Ok(Some(Positioned { counts, at: None }));
        };
        if first_value::<i64>(&sets, 0) != Some(0) {
            return Ok(None);
        }
        let before = self.position_in(&sets, 1)?;
        let after = self.position_in(&sets, 3)?;
        let counts = counts_from(tables, sets.into_iter().nth(2).unwrap_or_default());
        let at = before.filter(|b| after.as_ref() == Some(b));
        Ok(Some(Positioned { counts, at }))
    }

    /// `count_within` with no limit of its own (the session's, `-t`).
    pub(crate) fn count(&mut self, tables: &[&Key]) -> Result<Vec<TableCount>> {
        Ok(self.count_within(tables, None)?.unwrap_or_default())
    }

    /// Exact `COUNT(*)` of each table, many per statement
    /// (`SELECT i, COUNT(*) FROM a UNION ALL ...`), stopped by the server
    /// once it has run for `limit`: `Ok(None)` when it was. A batch that
    /// fails is retried table by table so that an unreadable table is
    /// named alone.
    pub(crate) fn count_within(
        &mut self,
        tables: &[&Key],
        limit: Option<Duration>,
    ) -> Result<Option<Vec<TableCount>>> {
        if tables.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let sql = match limit {
            Some(limit) => self.flavor.limited(&count_sql(tables), limit),
            None => count_sql(tables),
        };
        let started = Instant::now();
        let counts = match self.conn.query::<mysql::Row, _>(sql) {
            Ok(rows) => counts_from(tables, rows),
            Err(e) if limit.is_some_and(|l| stopped_at_limit(&e, started.elapsed(), l)) => {
                return Ok(None)
            }
            Err(e) if tables.len() > 1 && is_table_error(&e) => {
                let mut out = Vec::with_capacity(tables.len());
                for k in tables {
                    let Some(mut one) = self.count_within(&[k], limit)? else {
                        return Ok(None);
                    };
                    out.append(&mut one);
                }
                out
            }
            Err(e) if is_table_error(&e) => vec![TableCount {
                key: tables[0].clone(),
                rows: Err(mysql_message(&e)),
            }],
            Err(e) => return Err(self.err(&format!("counting rows of {}", tables[0]), e)),
        };
        Ok(Some(counts))
    }
}

/// Counts read between two equal readings of the server's position: `at`.
pub(crate) struct Positioned {
    pub(crate) counts: Vec<TableCount>,
    pub(crate) at: Option<GtidPos>,
}

/// The rows of a `count_sql` statement, matched back to its tables.
fn counts_from(tables: &[&Key], rows: Vec<mysql::Row>) -> Vec<TableCount> {
    let mut counts = vec![None; tables.len()];
    for row in rows {
        if let Ok((i, n)) = mysql::from_row_opt::<(usize, u64)>(row) {
            if let Some(slot) = counts.get_mut(i) {
                *slot = Some(n);
            }
        }
    }
    tables
        .iter()
        .zip(counts)
        .map(|(k, n)| TableCount {
            key: (*k).clone(),
            rows: n.ok_or_else(|| "no count returned".to_string()),
        })
        .collect()
}
