//! One read-only session on one server, and what every reading shares:
//! its errors, several statements in one round trip.

use super::errors::mysql_message;
use super::flavor::Flavor;
use crate::config::Server;
use crate::plugin::Failure;
use mysql::prelude::Queryable;
use mysql::Conn;

pub(super) type Result<T> = std::result::Result<T, Failure>;

pub(crate) struct Session {
    pub(super) conn: Conn,
    pub(crate) server: Server,
    /// Which of its server's connections this is.
    pub(crate) index: usize,
    pub(crate) flavor: Flavor,
}

impl Session {
    /// A server that goes away mid-run is CRITICAL like one that cannot be
    /// reached; other errors leave no verdict (UNKNOWN).
    pub(super) fn err(&self, what: &str, e: mysql::Error) -> Failure {
        let lost = matches!(e, mysql::Error::IoError(_) | mysql::Error::DriverError(_))
            || matches!(&e, mysql::Error::MySqlError(m) if matches!(m.code, 1927 | 2006 | 2013));
        if lost {
            return Failure::critical(format!(
                "lost the connection to {} while {what}: {}",
                self.server,
                mysql_message(&e)
            ));
        }
        Failure::unknown(format!("{}: {what}: {}", self.server, mysql_message(&e)))
    }

    /// An answer of the server that makes no sense (a GTID that does not
    /// parse): no verdict.
    pub(super) fn invalid(&self, why: String) -> Failure {
        Failure::unknown(format!("{}: {why}", self.server))
    }

    /// Ends the open snapshot (read-only: nothing to commit).
    pub(crate) fn end_snapshot(&mut self) -> Result<()> {
        self.conn
            .query_drop("ROLLBACK")
            .map_err(|e| self.err("ROLLBACK", e))
    }

    /// Runs several statements in one round trip; the rows of each.
    pub(super) fn batch(
        &mut self,
        sql: &str,
    ) -> std::result::Result<Vec<Vec<mysql::Row>>, mysql::Error> {
        let mut result = self.conn.query_iter(sql)?;
        let mut sets = Vec::new();
        while let Some(set) = result.iter() {
            sets.push(set.collect::<std::result::Result<Vec<_>, _>>()?);
        }
        Ok(sets)
    }
}

/// The first column of the first row of result set `i`.
pub(super) fn first_value<T: mysql::prelude::FromValue>(
    sets: &[Vec<mysql::Row>],
    i: usize,
) -> Option<T> {
    let value = sets.get(i)?.first()?.as_ref(0)?.clone();
    mysql::from_value_opt::<Option<T>>(value).ok().flatten()
}
