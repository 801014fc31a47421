//! What differs between MariaDB and MySQL, in one place: each method
//! answers with the SQL (or the fact) of the flavor.

use super::sql::{APPLIED_POSITION, EXECUTED};
use crate::model::Role;
use crate::rowhash::HashFn;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    MariaDb,
    MySql,
}

impl Flavor {
    /// The handshake tells, without a round trip: MariaDB announces itself
    /// as "5.5.5-10.11.x-MariaDB" (which the driver reads as 5.5.5, a MySQL
    /// version gone since 2010) or with a major of 10 and up; MySQL reports
    /// 5.x, 8.x, 9.x.
    pub(super) fn of_handshake(version: (u16, u16, u16)) -> Flavor {
        if version == (5, 5, 5) || version.0 >= 10 {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        }
    }

    /// The product's name, as `-vv` shows it before the version.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Flavor::MariaDb => "MariaDB",
            Flavor::MySql => "MySQL",
        }
    }

    /// Read-only, and every statement bounded on the server side by the
    /// whole budget (`limit` seconds): nothing of ours outlives the plugin.
    pub(super) fn session_setup(self, limit: f64) -> String {
        match self {
            Flavor::MariaDb => {
                format!("SET NAMES utf8mb4, SESSION tx_read_only = 1, SESSION max_statement_time = {limit:.3}, \
                 SESSION time_zone = '+00:00'")
            }
            // MySQL reads one COUNT(*) with 4 threads by default: 18 times
            // slower over 50 small tables here, and more load on the
            // server. The lanes are the plugin's parallelism.
            Flavor::MySql => format!(
                "SET NAMES utf8mb4, SESSION transaction_read_only = 1, SESSION max_execution_time = {}, \
                 SESSION innodb_parallel_read_threads = 1, SESSION time_zone = '+00:00'",
                (limit * 1000.0) as u64
            ),
        }
    }

    /// `select` stopped by the server once it has run for `limit` (at
    /// least a millisecond: a limit of 0 means none). MySQL's hint covers
    /// a whole UNION.
    pub(super) fn limited(self, select: &str, limit: Duration) -> String {
        let ms = limit.as_millis().max(1);
        match self {
            Flavor::MariaDb => format!(
                "SET STATEMENT max_statement_time = {}.{:03} FOR {select}",
                ms / 1000,
                ms % 1000
            ),
            Flavor::MySql => select.replacen(
                "SELECT",
                &format!("SELECT /*+ MAX_EXECUTION_TIME({ms}) */"),
                1,
            ),
        }
    }

    /// MySQL keeps no position inside a snapshot: its positions are read
    /// around the snapshots (see `consistency`).
    pub(super) fn brackets_positions(self) -> bool {
        self == Flavor::MySql
    }

    /// The replica's position read in its snapshot: MariaDB's applied
    /// position rows, MySQL's executed set.
    pub(super) fn snapshot_position_sql(self) -> &'static str {
        match self {
            Flavor::MariaDb => APPLIED_POSITION,
            Flavor::MySql => EXECUTED,
        }
    }

    /// The function that waits until a GTID position is applied.
    pub(super) fn wait_function(self) -> &'static str {
        match self {
            Flavor::MariaDb => "MASTER_GTID_WAIT",
            Flavor::MySql => "WAIT_FOR_EXECUTED_GTID_SET",
        }
    }

    /// Server id, version and (MySQL) the executed set and server UUID, in
    /// one row.
    pub(super) fn identity_sql(self) -> &'static str {
        match self {
            Flavor::MariaDb => "SELECT @@server_id, @@version, '', ''",
            Flavor::MySql => "SELECT @@server_id, @@version, @@GLOBAL.gtid_executed, @@server_uuid",
        }
    }

    /// The server's current position in one value, as `role`.
    pub(super) fn position_sql(self, role: Role) -> &'static str {
        match (self, role) {
            (Flavor::MySql, _) => EXECUTED,
            (Flavor::MariaDb, Role::Primary) => "SELECT @@GLOBAL.gtid_binlog_pos",
            (Flavor::MariaDb, Role::Replica) => "SELECT @@GLOBAL.gtid_slave_pos",
        }
    }

    /// MySQL 9.7 has neither SHA1 nor MD5.
    pub(super) fn hash_fn(self) -> HashFn {
        match self {
            Flavor::MariaDb => HashFn::Sha1,
            Flavor::MySql => HashFn::Sha256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_limited_in_each_flavor() {
        let select = "SELECT 0, COUNT(*) FROM `d`.`t` UNION ALL SELECT 1, COUNT(*) FROM `d`.`u`";
        assert_eq!(
            Flavor::MariaDb.limited(select, Duration::from_millis(2500)),
            format!("SET STATEMENT max_statement_time = 2.500 FOR {select}")
        );
        assert_eq!(
            Flavor::MySql.limited(select, Duration::from_millis(2500)),
            "SELECT /*+ MAX_EXECUTION_TIME(2500) */ 0, COUNT(*) FROM `d`.`t` UNION ALL SELECT 1, \
             COUNT(*) FROM `d`.`u`"
        );
        // 0 would mean no limit at all.
        assert_eq!(
            Flavor::MariaDb.limited("SELECT 1", Duration::ZERO),
            "SET STATEMENT max_statement_time = 0.001 FOR SELECT 1"
        );
        assert_eq!(
            Flavor::MySql.limited("SELECT 1", Duration::ZERO),
            "SELECT /*+ MAX_EXECUTION_TIME(1) */ 1"
        );
    }
}
