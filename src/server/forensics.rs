//! What is kept of a difference at one position: the replica's own record
//! of its position, read in its snapshot. Only SELECT.

use super::errors::is_table_error;
use super::flavor::Flavor;
use super::session::{Result, Session};
use mysql::prelude::Queryable;

/// Rows of `mysql.gtid_slave_pos` kept per domain, newest first.
const SLAVE_POS_ROWS: usize = 3;

impl Session {
    /// MariaDB: the newest rows of each domain in the replica's
    /// `mysql.gtid_slave_pos`, read in the open snapshot, as
    /// `domain-server-seq (sub_id N)`. Empty on MySQL (no such table) or
    /// when the account cannot read it.
    pub(crate) fn slave_pos_rows(&mut self) -> Result<Vec<String>> {
        if self.flavor == Flavor::MySql {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT domain_id, server_id, seq_no, sub_id FROM (SELECT g.*, ROW_NUMBER() OVER \
             (PARTITION BY domain_id ORDER BY sub_id DESC) AS n FROM mysql.gtid_slave_pos g) r \
             WHERE n <= {SLAVE_POS_ROWS} ORDER BY domain_id, sub_id DESC"
        );
        match self.conn.query::<(u32, u32, u64, u64), _>(sql) {
            Ok(rows) => Ok(rows
                .into_iter()
                .map(|(d, s, n, sub)| format!("{d}-{s}-{n} (sub_id {sub})"))
                .collect()),
            Err(e) if is_table_error(&e) => Ok(Vec::new()),
            Err(e) => Err(self.err("reading mysql.gtid_slave_pos", e)),
        }
    }
}
