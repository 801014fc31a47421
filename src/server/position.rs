//! Positions: consistent snapshots placed in the replication stream, on
//! the primary and on a replica waiting for the primary's position.

use super::session::{first_value, Result, Session};
use super::sql::{string_literal, EXECUTED, START_SNAPSHOT};
use crate::consistency::GtidPos;
use crate::model::Role;
use mysql::prelude::Queryable;
use std::time::Duration;

impl Session {
    /// Opens a consistent snapshot without placing it in the stream (for
    /// servers that give no positions).
    pub(crate) fn open_plain_snapshot(&mut self) -> Result<()> {
        self.conn
            .query_drop(START_SNAPSHOT)
            .map_err(|e| self.err("starting a consistent snapshot", e))
    }

    /// Opens a consistent snapshot on the primary, in one round trip with
    /// what places it in the stream. MariaDB: the snapshot's binlog
    /// coordinates (status variables that belong to the snapshot) and
    /// `@@gtid_binlog_pos` read just after, a candidate for its GTID
    /// position. MySQL: `@@gtid_executed` read just before and just after.
    /// `None` without a binary log.
    pub(crate) fn open_primary_snapshot(&mut self) -> Result<Option<PrimarySnapshot>> {
        if self.flavor.brackets_positions() {
            return self.open_bracketed_snapshot().map(Some);
        }
        let sql = format!(
            "{START_SNAPSHOT}; SELECT @@GLOBAL.gtid_binlog_pos, \
               (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS \
                 WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_FILE'), \
               (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS \
                 WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_POSITION')"
        );
        let sets = self
            .batch(&sql)
            .map_err(|e| self.err("starting a consistent snapshot", e))?;
        let row = sets.get(1).and_then(|rows| rows.first()).cloned();
        let Some((gtids, file, offset)) = row.and_then(|r| {
            mysql::from_row_opt::<(Option<String>, Option<String>, Option<u64>)>(r).ok()
        }) else {
            return Ok(None);
        };
        let (Some(file), Some(offset)) = (file.filter(|f| !f.is_empty()), offset) else {
            return Ok(None);
        };
        let candidate = GtidPos::parse(&gtids.unwrap_or_default()).map_err(|e| self.invalid(e))?;
        Ok(Some(PrimarySnapshot {
            candidate,
            proof: Proof::Binlog { file, offset },
        }))
    }

    /// MySQL: the snapshot between two readings of `@@gtid_executed`. What
    /// the first holds was committed before the snapshot; what the second
    /// lacks was not (barring a commit in flight, see `consistency`).
    pub(super) fn open_bracketed_snapshot(&mut self) -> Result<PrimarySnapshot> {
        let sql = format!("{EXECUTED}; {START_SNAPSHOT}; {EXECUTED}");
        let sets = self
            .batch(&sql)
            .map_err(|e| self.err("starting a consistent snapshot", e))?;
        let before = self.position_in(&sets, 0)?.unwrap_or_default();
        let after = self.position_in(&sets, 2)?.unwrap_or_default();
        Ok(PrimarySnapshot {
            proof: Proof::Bracket {
                agreed: before == after,
            },
            candidate: after,
        })
    }

    /// Whether the candidate position of an open primary snapshot is its
    /// position. MariaDB: `BINLOG_GTID_POS()` of its binlog coordinates
    /// equals it. The server reads the binlog file from its start up to
    /// them (MariaDB before 11.4 keeps no index for it: 16 ms at 12 MB
    /// here), so this is asked only to confirm a candidate.
    pub(crate) fn confirm(&mut self, snapshot: &PrimarySnapshot) -> Result<bool> {
        let (file, offset) = match &snapshot.proof {
            Proof::Bracket { agreed } => return Ok(*agreed),
            Proof::Binlog { file, offset } => (file, offset),
        };
        let sql = format!("SELECT BINLOG_GTID_POS({}, {offset})", string_literal(file));
        let gtid: Option<Option<String>> = self
            .conn
            .query_first(sql)
            .map_err(|e| self.err("reading the snapshot's GTID position", e))?;
        let exact = gtid
            .flatten()
            .map(|g| GtidPos::parse(&g).map_err(|e| self.invalid(e)))
            .transpose()?;
        Ok(exact.as_ref() == Some(&snapshot.candidate))
    }

    /// Waits until the replica has applied `wait_for` (when given), then
    /// opens a consistent snapshot and reads the replica's position: on
    /// MariaDB its exact one inside the snapshot, on MySQL
    /// `@@gtid_executed` just after it. All in one round trip so that as
    /// few transactions as possible land between the wait and the
    /// snapshot. `Ok(None)` when the wait timed out.
    pub(crate) fn open_replica_snapshot(
        &mut self,
        wait_for: Option<&GtidPos>,
        timeout: Duration,
    ) -> Result<Option<GtidPos>> {
        let position = self.flavor.snapshot_position_sql();
        let sql = format!(
            "{}; {START_SNAPSHOT}; {position}",
            self.wait_sql(wait_for, timeout)
        );
        let sets = self.batch(&sql).map_err(|e| {
            self.err(
                "waiting for the primary's position and starting a snapshot",
                e,
            )
        })?;
        if first_value::<i64>(&sets, 0) != Some(0) {
            return Ok(None);
        }
        match self.flavor.brackets_positions() {
            false => Ok(Some(self.applied_in(&sets, 2)?)),
            true => Ok(Some(self.position_in(&sets, 2)?.unwrap_or_default())),
        }
    }

    /// Waiting for `pos` (0 when reached, else a timeout), or a plain 0
    /// when there is nothing to wait for.
    pub(super) fn wait_sql(&self, pos: Option<&GtidPos>, timeout: Duration) -> String {
        let Some(pos) = pos else {
            return "SELECT 0".to_string();
        };
        let wait = self.flavor.wait_function();
        let (pos, secs) = (string_literal(&pos.list()), timeout.as_secs_f64());
        format!("SELECT {wait}({pos}, {secs:.3})")
    }

    /// The GTID position in the first column of result set `i`.
    pub(super) fn position_in(
        &self,
        sets: &[Vec<mysql::Row>],
        i: usize,
    ) -> Result<Option<GtidPos>> {
        first_value::<String>(sets, i)
            .map(|g| GtidPos::parse(&g).map_err(|e| self.invalid(e)))
            .transpose()
    }

    /// The replica's applied position from the rows of `APPLIED_POSITION`
    /// in result set `i`.
    pub(super) fn applied_in(&self, sets: &[Vec<mysql::Row>], i: usize) -> Result<GtidPos> {
        let rows = sets.get(i).map_or(&[][..], Vec::as_slice);
        let text: Vec<String> = rows
            .iter()
            .filter_map(|row| mysql::from_row_opt::<(u32, u32, u64)>(row.clone()).ok())
            .map(|(d, s, n)| format!("{d}-{s}-{n}"))
            .collect();
        GtidPos::parse(&text.join(",")).map_err(|e| self.invalid(e))
    }

    pub(crate) fn replica_applied(&mut self) -> Option<GtidPos> {
        let sql = self.flavor.position_sql(Role::Replica);
        let g: Option<Option<String>> = self.conn.query_first(sql).ok()?;
        GtidPos::parse(&g.flatten()?).ok()
    }
}

/// A primary snapshot just opened (see `Session::open_primary_snapshot`).
pub(crate) struct PrimarySnapshot {
    /// MariaDB: `@@gtid_binlog_pos` just after the snapshot, its position
    /// unless a transaction was between its binlog write and its commit
    /// then (the snapshot does not see it, the variable already counts it).
    /// MySQL: `@@gtid_executed` just after it.
    pub(crate) candidate: GtidPos,
    proof: Proof,
}

/// What shows that the candidate is the snapshot's position.
enum Proof {
    /// MariaDB: the snapshot's binlog coordinates, to ask for the GTID
    /// position there.
    Binlog { file: String, offset: u64 },
    /// MySQL: whether `@@gtid_executed` was the same before the snapshot.
    Bracket { agreed: bool },
}

impl PrimarySnapshot {
    /// Where the snapshot sits in the primary's binary log (MariaDB:
    /// `FILE:OFFSET`), for the record of a difference.
    pub(crate) fn coordinates(&self) -> Option<String> {
        match &self.proof {
            Proof::Binlog { file, offset } => Some(format!("{file}:{offset}")),
            Proof::Bracket { .. } => None,
        }
    }

    /// False when it is known already that the candidate is not the
    /// position: no use waiting for it.
    pub(crate) fn may_be_placed(&self) -> bool {
        !matches!(self.proof, Proof::Bracket { agreed: false })
    }
}
