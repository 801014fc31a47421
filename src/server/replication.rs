//! Replication: who a server is in the stream, and whether its
//! replication runs.

use super::errors::is_table_error;
use super::flavor::Flavor;
use super::session::{Result, Session};
use super::sql::APPLIED_POSITION;
use crate::consistency::{parse_gtids, Gtid, GtidPos};
use crate::model::Role;
use mysql::prelude::Queryable;

impl Session {
    /// Who this server is: its server id and version, and its place in the
    /// replication stream (MariaDB: see `mariadb_gtids`; MySQL:
    /// `@@gtid_executed`).
    pub(crate) fn identity(&mut self) -> Result<Identity> {
        // One round trip; MySQL's executed set with it (empty on MariaDB).
        let sql = self.flavor.identity_sql();
        let row: Option<(u32, String, String, String)> = self
            .conn
            .query_first(sql)
            .map_err(|e| self.err("reading @@server_id", e))?;
        let (server_id, version, executed, uuid) = row.unwrap_or_default();
        let (gtids, executed) = match self.flavor {
            Flavor::MySql => {
                let executed = GtidPos::parse(&executed).map_err(|e| self.invalid(e))?;
                (None, Some(executed))
            }
            Flavor::MariaDb => (self.mariadb_gtids()?, None),
        };
        Ok(Identity {
            server_id,
            uuid,
            flavor: self.flavor,
            version,
            gtids,
            executed,
        })
    }

    /// MariaDB: the primary's binary log state, or the replica's applied
    /// position (`None`: the account cannot read `mysql.gtid_slave_pos`).
    pub(super) fn mariadb_gtids(&mut self) -> Result<Option<Vec<Gtid>>> {
        match self.server.role() {
            Role::Primary => {
                let state: Option<String> = self
                    .conn
                    .query_first("SELECT @@GLOBAL.gtid_binlog_state")
                    .map_err(|e| self.err("reading @@gtid_binlog_state", e))?;
                let state = parse_gtids(&state.unwrap_or_default()).map_err(|e| self.invalid(e))?;
                Ok(Some(state))
            }
            Role::Replica => match self.batch(APPLIED_POSITION) {
                Ok(sets) => Ok(Some(self.applied_in(&sets, 0)?.gtids().copied().collect())),
                Err(e) if is_table_error(&e) => Ok(None),
                Err(e) => Err(self.err("reading mysql.gtid_slave_pos", e)),
            },
        }
    }

    /// Whether replication runs on this replica, as far as the account can
    /// see: on MariaDB `Slave_running` (needs no privilege) and what
    /// `SHOW SLAVE STATUS` adds with SLAVE MONITOR; on MySQL, which has no
    /// `Slave_running`, the receiver and applier states of every channel
    /// in `performance_schema` (readable with SELECT).
    pub(crate) fn replication_state(&mut self) -> Result<ReplicaHealth> {
        match self.flavor {
            Flavor::MariaDb => self.mariadb_replication(),
            Flavor::MySql => self.mysql_replication(),
        }
    }

    pub(super) fn mariadb_replication(&mut self) -> Result<ReplicaHealth> {
        let running: Option<(String, String)> = self
            .conn
            .query_first("SHOW GLOBAL STATUS LIKE 'Slave_running'")
            .map_err(|e| self.err("reading Slave_running", e))?;
        let running = running.is_some_and(|(_, v)| v.eq_ignore_ascii_case("ON"));
        Ok(ReplicaHealth {
            running,
            seen: "Slave_running=OFF".to_string(),
            detail: if running { None } else { self.replica_status() },
        })
    }

    /// `SHOW REPLICA STATUS` in a few words; `None` without the privilege
    /// (MariaDB: REPLICA MONITOR, once SLAVE MONITOR; MySQL: REPLICATION
    /// CLIENT). The statement and its columns have two names across
    /// versions (MariaDB before 10.5 and MySQL before 8.0.22 know only
    /// `SHOW SLAVE STATUS`; MySQL 8.4 only the new one), so both are tried.
    pub(super) fn replica_status(&mut self) -> Option<String> {
        let row = ["SHOW REPLICA STATUS", "SHOW SLAVE STATUS"]
            .into_iter()
            .find_map(|sql| self.conn.query_first::<mysql::Row, _>(sql).ok())??;
        let get = |names: [&str; 2]| -> Option<String> {
            let i = row
                .columns_ref()
                .iter()
                .position(|c| names.contains(&c.name_str().as_ref()))?;
            row.as_ref(i)
                .and_then(|v| mysql::from_value_opt::<String>(v.clone()).ok())
        };
        let mut parts = Vec::new();
        for (label, cols) in [
            ("IO thread", ["Slave_IO_Running", "Replica_IO_Running"]),
            ("SQL thread", ["Slave_SQL_Running", "Replica_SQL_Running"]),
        ] {
            if let Some(v) = get(cols) {
                parts.push(format!("{label} {v}"));
            }
        }
        for col in ["Last_IO_Error", "Last_SQL_Error"] {
            if let Some(v) = get([col, col]).filter(|v| !v.is_empty()) {
                parts.push(format!("{col}: {v}"));
            }
        }
        if let Some(v) = get(["Seconds_Behind_Master", "Seconds_Behind_Source"]) {
            parts.push(format!("{v} s behind"));
        }
        Some(parts.join(", "))
    }

    pub(super) fn mysql_replication(&mut self) -> Result<ReplicaHealth> {
        let channels: Vec<(String, String, String, Option<String>)> = self
            .conn
            .query(
                "SELECT c.CHANNEL_NAME, c.SERVICE_STATE, a.SERVICE_STATE, \
                   NULLIF(CONCAT_WS('; ', NULLIF(c.LAST_ERROR_MESSAGE, ''), \
                     (SELECT MAX(w.LAST_ERROR_MESSAGE) FROM performance_schema.replication_applier_status_by_worker w \
                       WHERE w.CHANNEL_NAME = c.CHANNEL_NAME AND w.LAST_ERROR_NUMBER <> 0)), '') \
                 FROM performance_schema.replication_connection_status c \
                 JOIN performance_schema.replication_applier_status a USING (CHANNEL_NAME)",
            )
            .map_err(|e| self.err("reading performance_schema's replication status", e))?;
        if channels.is_empty() {
            return Ok(ReplicaHealth {
                running: false,
                seen: "no replication channel".to_string(),
                detail: None,
            });
        }
        let running = channels.iter().all(|(_, c, a, _)| c == "ON" && a == "ON");
        let states: Vec<String> = channels
            .iter()
            .map(|(name, receiver, applier, error)| {
                let name = if name.is_empty() {
                    String::new()
                } else {
                    format!("channel {name}: ")
                };
                let error = error
                    .as_ref()
                    .map_or(String::new(), |e| format!(", last error: {e}"));
                format!("{name}receiver {receiver}, applier {applier}{error}")
            })
            .collect();
        Ok(ReplicaHealth {
            running,
            seen: states.join("; "),
            detail: if running { None } else { self.replica_status() },
        })
    }
}

/// Whether replication runs on a replica: what was seen, and more where the
/// account may read it.
pub(crate) struct ReplicaHealth {
    pub(crate) running: bool,
    /// What says it is not running (`Slave_running=OFF`, or the MySQL
    /// channels' receiver and applier states).
    pub(crate) seen: String,
    pub(crate) detail: Option<String>,
}

/// A server's place in replication (see `Session::identity`).
pub(crate) struct Identity {
    pub(crate) server_id: u32,
    /// MySQL's `@@server_uuid` (empty on MariaDB, which has none).
    pub(crate) uuid: String,
    pub(crate) flavor: Flavor,
    /// `@@version`.
    pub(crate) version: String,
    /// MariaDB. Primary: `@@gtid_binlog_state`; replica: its applied
    /// position.
    pub(crate) gtids: Option<Vec<Gtid>>,
    /// MySQL: `@@gtid_executed`.
    pub(crate) executed: Option<GtidPos>,
}
