//! Reading one server: a read-only session, the table listing, consistent
//! snapshots with their replication position, and batched row counts.

use crate::config::{Config, Filter, Server};
use crate::consistency::{parse_gtids, Gtid, GtidPos};
use crate::content::table_name;
use crate::model::{Key, Listing, Role, TableCount, TableInfo};
use crate::plugin::Failure;
use mysql::prelude::Queryable;
use mysql::{ClientIdentity, Conn, OptsBuilder, SslOpts};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod content;

pub(crate) use content::TableResult;

type Result<T> = std::result::Result<T, Failure>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MariaDb,
    MySql,
}

pub struct Session {
    conn: Conn,
    pub server: Server,
    /// Which of its server's connections this is.
    pub index: usize,
    pub flavor: Flavor,
}

/// A string literal whatever the sql_mode (no reliance on backslash
/// escapes): `CONVERT(X'..' USING utf8mb4)`.
fn string_literal(s: &str) -> String {
    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
    format!("CONVERT(X'{hex}' USING utf8mb4)")
}

fn opts(cfg: &Config, server: &Server, connect_timeout: Duration) -> OptsBuilder {
    let mut b = OptsBuilder::new()
        .ip_or_hostname(Some(server.host.clone()))
        .tcp_port(server.port)
        .user(Some(cfg.user.clone()))
        .pass(cfg.password.clone())
        .prefer_socket(false)
        .tcp_connect_timeout(Some(connect_timeout))
        // A backstop behind the server-side limits and the watchdog.
        .read_timeout(Some(cfg.timeout + Duration::from_secs(5)))
        .write_timeout(Some(cfg.timeout + Duration::from_secs(5)))
        .stmt_cache_size(0)
        // Known, so the driver need not ask the server at connect.
        .max_allowed_packet(Some(64 << 20));
    if let Some(tls) = &cfg.tls {
        let mut ssl = SslOpts::default();
        if let Some(ca) = &tls.ca {
            ssl = ssl.with_root_cert_path(Some(ca.clone()));
        }
        if let Some(client) = &tls.client {
            ssl = ssl.with_client_identity(Some(ClientIdentity::new(
                client.cert.clone(),
                client.key.clone(),
            )));
        }
        if !tls.verify {
            ssl = ssl
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true);
        }
        b = b.ssl_opts(ssl);
    }
    b
}

/// Connection failures are CRITICAL: the guidelines treat a server that
/// cannot be reached as a problem, not as a missing verdict.
fn connect_failure(server: &Server, e: mysql::Error) -> Failure {
    use mysql::DriverError as D;
    let why = match &e {
        mysql::Error::MySqlError(m) => m.message.clone(),
        // A refused certificate, not a stranger to MySQL.
        _ if let Some(tls) = rustls_error(&e) => tls_message(tls),
        // A service of another kind (an SSH banner, say): its first bytes
        // do not make a MySQL handshake.
        mysql::Error::CodecError(_)
        | mysql::Error::DriverError(
            D::UnsupportedProtocol(_)
            | D::PacketOutOfSync
            | D::PacketTooLarge
            | D::Protocol41NotSet
            | D::UnexpectedPacket
            | D::CouldNotParseVersion,
        ) => "it did not answer as a MySQL/MariaDB server".to_string(),
        mysql::Error::DriverError(D::UnknownAuthPlugin(name)) => {
            format!("it asks for the authentication method {name}, which the plugin cannot use")
        }
        other => mysql_message(other),
    };
    Failure::critical(format!("cannot connect to {server}: {why}"))
}

/// The name of the threads that run the driver's handshake: a panic there
/// is caught, not answered as an internal error (see `answer`).
pub(crate) const HANDSHAKE_THREAD: &str = "handshake";

/// Handshakes tried when the driver panics in one: mysql 28 does on 1 in
/// about 250 MariaDB PARSEC logins (its `unwrap` of a response it cannot
/// build from some server nonces); a new handshake has a new nonce.
const HANDSHAKE_TRIES: usize = 3;

/// Why no connection was made.
enum NoConnection {
    Refused(mysql::Error),
    /// No answer within the time given.
    Silent,
    /// The driver panicked in every handshake tried: its message.
    DriverBug(String),
}

/// One handshake, a panic of the driver caught as `Err`.
fn handshake(opts: OptsBuilder) -> std::result::Result<mysql::Result<Conn>, String> {
    std::panic::catch_unwind(move || Conn::new(opts)).map_err(|panic| {
        let text = panic.downcast_ref::<&str>().map(|s| s.to_string());
        text.or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// Connects, giving up after `within` even when the server took the TCP
/// connection but never answers the handshake (a frozen server): the
/// connecting thread is left to the driver's own timeouts, and a
/// connection it makes after all is closed.
fn connect_within(opts: OptsBuilder, within: Duration) -> std::result::Result<Conn, NoConnection> {
    let (tx, rx) = crossbeam::channel::bounded(1);
    let spawned = std::thread::Builder::new()
        .name(HANDSHAKE_THREAD.into())
        .spawn(move || {
            let mut outcome = handshake(opts.clone());
            for _ in 1..HANDSHAKE_TRIES {
                if outcome.is_ok() {
                    break;
                }
                outcome = handshake(opts.clone());
            }
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(NoConnection::DriverBug(format!(
            "no thread for the handshake: {e}"
        )));
    }
    match rx.recv_timeout(within) {
        Ok(Ok(connected)) => connected.map_err(NoConnection::Refused),
        Ok(Err(panic)) => Err(NoConnection::DriverBug(panic)),
        Err(_) => Err(NoConnection::Silent),
    }
}

impl Session {
    pub fn connect(
        cfg: &Config,
        server: &Server,
        index: usize,
        deadline: Instant,
        connected: &dyn Fn(usize, u32),
    ) -> Result<Session> {
        let left = deadline.saturating_duration_since(Instant::now());
        let opts = opts(cfg, server, left.min(Duration::from_secs(15)));
        // A second past `deadline`: when that is the run's, the watchdog
        // answers first, naming the stage.
        let conn = connect_within(opts, left + Duration::from_secs(1)).map_err(|e| match e {
            NoConnection::Refused(e) => connect_failure(server, e),
            NoConnection::Silent => Failure::critical(format!(
                "cannot connect to {server}: it did not answer within {:.1}s",
                left.as_secs_f64()
            )),
            NoConnection::DriverBug(why) => Failure::critical(format!(
                "cannot connect to {server}: the MySQL driver failed in the handshake \
                 {HANDSHAKE_TRIES} times ({why})"
            )),
        })?;
        // The handshake tells, without a round trip: MariaDB announces
        // itself as "5.5.5-10.11.x-MariaDB" (which the driver reads as
        // 5.5.5, a MySQL version gone since 2010) or with a major of 10 and
        // up; MySQL reports 5.x, 8.x, 9.x.
        let v = conn.server_version();
        let flavor = if v == (5, 5, 5) || v.0 >= 10 {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        };
        let mut s = Session {
            conn,
            server: server.clone(),
            index,
            flavor,
        };
        // Told before the first statement, so that a timeout can kill it.
        connected(server.slot, s.conn.connection_id());
        // Read-only, and every statement bounded on the server side by the
        // whole budget: nothing of ours outlives the plugin. One round trip.
        let limit = cfg.timeout.as_secs_f64();
        let setup = match s.flavor {
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
        };
        s.conn
            .query_drop(&setup)
            .map_err(|e| s.err("setting up the session", e))?;
        Ok(s)
    }

    /// A server that goes away mid-run is CRITICAL like one that cannot be
    /// reached; other errors leave no verdict (UNKNOWN).
    fn err(&self, what: &str, e: mysql::Error) -> Failure {
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
    fn invalid(&self, why: String) -> Failure {
        Failure::unknown(format!("{}: {why}", self.server))
    }

    /// All databases and data tables that pass the filter: one
    /// `information_schema` query for the tables of the included schemas
    /// (ENGINE needs only the table definitions, not opening the tables),
    /// and the row estimates of InnoDB's persistent statistics, where the
    /// account may read them, to count big tables first.
    pub fn list(&mut self, filter: &Filter, shapes: bool) -> Result<Listing> {
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
        if shapes {
            self.shapes(only.as_deref(), &mut out)?;
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

    /// Ends the open snapshot (read-only: nothing to commit).
    pub fn end_snapshot(&mut self) -> Result<()> {
        self.conn
            .query_drop("ROLLBACK")
            .map_err(|e| self.err("ROLLBACK", e))
    }

    /// Runs several statements in one round trip; the rows of each.
    fn batch(&mut self, sql: &str) -> std::result::Result<Vec<Vec<mysql::Row>>, mysql::Error> {
        let mut result = self.conn.query_iter(sql)?;
        let mut sets = Vec::new();
        while let Some(set) = result.iter() {
            sets.push(set.collect::<std::result::Result<Vec<_>, _>>()?);
        }
        Ok(sets)
    }

    /// Opens a consistent snapshot without placing it in the stream (for
    /// servers that give no positions).
    pub fn open_plain_snapshot(&mut self) -> Result<()> {
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
    pub fn open_primary_snapshot(&mut self) -> Result<Option<PrimarySnapshot>> {
        if self.flavor == Flavor::MySql {
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
    fn open_bracketed_snapshot(&mut self) -> Result<PrimarySnapshot> {
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
    pub fn confirm(&mut self, snapshot: &PrimarySnapshot) -> Result<bool> {
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
    pub fn open_replica_snapshot(
        &mut self,
        wait_for: Option<&GtidPos>,
        timeout: Duration,
    ) -> Result<Option<GtidPos>> {
        let position = match self.flavor {
            Flavor::MariaDb => APPLIED_POSITION,
            Flavor::MySql => EXECUTED,
        };
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
        match self.flavor {
            Flavor::MariaDb => Ok(Some(self.applied_in(&sets, 2)?)),
            Flavor::MySql => Ok(Some(self.position_in(&sets, 2)?.unwrap_or_default())),
        }
    }

    /// Waiting for `pos` (0 when reached, else a timeout), or a plain 0
    /// when there is nothing to wait for.
    fn wait_sql(&self, pos: Option<&GtidPos>, timeout: Duration) -> String {
        let Some(pos) = pos else {
            return "SELECT 0".to_string();
        };
        let wait = match self.flavor {
            Flavor::MariaDb => "MASTER_GTID_WAIT",
            Flavor::MySql => "WAIT_FOR_EXECUTED_GTID_SET",
        };
        let (pos, secs) = (string_literal(&pos.list()), timeout.as_secs_f64());
        format!("SELECT {wait}({pos}, {secs:.3})")
    }

    /// The GTID position in the first column of result set `i`.
    fn position_in(&self, sets: &[Vec<mysql::Row>], i: usize) -> Result<Option<GtidPos>> {
        first_value::<String>(sets, i)
            .map(|g| GtidPos::parse(&g).map_err(|e| self.invalid(e)))
            .transpose()
    }

    /// The replica's applied position from the rows of `APPLIED_POSITION`
    /// in result set `i`.
    fn applied_in(&self, sets: &[Vec<mysql::Row>], i: usize) -> Result<GtidPos> {
        let rows = sets.get(i).map_or(&[][..], Vec::as_slice);
        let text: Vec<String> = rows
            .iter()
            .filter_map(|row| mysql::from_row_opt::<(u32, u32, u64)>(row.clone()).ok())
            .map(|(d, s, n)| format!("{d}-{s}-{n}"))
            .collect();
        GtidPos::parse(&text.join(",")).map_err(|e| self.invalid(e))
    }

    /// Who this server is: its server id and version, and its place in the
    /// replication stream (MariaDB: see `mariadb_gtids`; MySQL:
    /// `@@gtid_executed`).
    pub fn identity(&mut self) -> Result<Identity> {
        // One round trip; MySQL's executed set with it (empty on MariaDB).
        let sql = match self.flavor {
            Flavor::MariaDb => "SELECT @@server_id, @@version, ''",
            Flavor::MySql => "SELECT @@server_id, @@version, @@GLOBAL.gtid_executed",
        };
        let row: Option<(u32, String, String)> = self
            .conn
            .query_first(sql)
            .map_err(|e| self.err("reading @@server_id", e))?;
        let (server_id, version, executed) = row.unwrap_or_default();
        let (version, gtids, executed) = match self.flavor {
            Flavor::MySql => {
                let executed = GtidPos::parse(&executed).map_err(|e| self.invalid(e))?;
                (format!("MySQL {version}"), None, Some(executed))
            }
            Flavor::MariaDb => (format!("MariaDB {version}"), self.mariadb_gtids()?, None),
        };
        Ok(Identity {
            server_id,
            version,
            gtids,
            executed,
        })
    }

    /// MariaDB: the primary's binary log state, or the replica's applied
    /// position (`None`: the account cannot read `mysql.gtid_slave_pos`).
    fn mariadb_gtids(&mut self) -> Result<Option<Vec<Gtid>>> {
        match self.server.role {
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

    /// Counts tables that snapshots do not cover (MyISAM, Aria...) between
    /// two readings of the server's position, in one round trip; on the
    /// replica after waiting for `wait_for` (`Ok(None)` when the wait timed
    /// out). The counts are at one position when both readings agree.
    /// Falls back to a plain count (which names unreadable tables) when the
    /// statement fails.
    pub fn count_between_positions(
        &mut self,
        tables: &[&Key],
        wait_for: Option<&GtidPos>,
        timeout: Duration,
    ) -> Result<Option<Positioned>> {
        let pos = match (self.flavor, self.server.role) {
            (Flavor::MySql, _) => EXECUTED,
            (Flavor::MariaDb, Role::Primary) => "SELECT @@GLOBAL.gtid_binlog_pos",
            (Flavor::MariaDb, Role::Replica) => "SELECT @@GLOBAL.gtid_slave_pos",
        };
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

    pub fn replica_applied(&mut self) -> Option<GtidPos> {
        let sql = match self.flavor {
            Flavor::MariaDb => "SELECT @@GLOBAL.gtid_slave_pos",
            Flavor::MySql => EXECUTED,
        };
        let g: Option<Option<String>> = self.conn.query_first(sql).ok()?;
        GtidPos::parse(&g.flatten()?).ok()
    }

    /// Whether replication runs on this replica, as far as the account can
    /// see: on MariaDB `Slave_running` (needs no privilege) and what
    /// `SHOW SLAVE STATUS` adds with SLAVE MONITOR; on MySQL, which has no
    /// `Slave_running`, the receiver and applier states of every channel
    /// in `performance_schema` (readable with SELECT).
    pub fn replication_state(&mut self) -> Result<ReplicaHealth> {
        match self.flavor {
            Flavor::MariaDb => self.mariadb_replication(),
            Flavor::MySql => self.mysql_replication(),
        }
    }

    fn mariadb_replication(&mut self) -> Result<ReplicaHealth> {
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
    fn replica_status(&mut self) -> Option<String> {
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

    fn mysql_replication(&mut self) -> Result<ReplicaHealth> {
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

    /// Exact `COUNT(*)` of each table, many per statement
    /// (`SELECT i, COUNT(*) FROM a UNION ALL ...`). A batch that fails is
    /// retried table by table so that an unreadable table is named alone.
    pub fn count(&mut self, tables: &[&Key]) -> Result<Vec<TableCount>> {
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        match self.conn.query::<mysql::Row, _>(count_sql(tables)) {
            Ok(rows) => Ok(counts_from(tables, rows)),
            Err(e) if tables.len() > 1 && is_table_error(&e) => {
                let mut out = Vec::with_capacity(tables.len());
                for k in tables {
                    out.append(&mut self.count(&[k])?);
                }
                Ok(out)
            }
            Err(e) if is_table_error(&e) => Ok(vec![TableCount {
                key: tables[0].clone(),
                rows: Err(mysql_message(&e)),
            }]),
            Err(e) => Err(self.err(&format!("counting rows of {}", tables[0]), e)),
        }
    }
}

/// Opens a snapshot; it also ends the transaction before (read-only:
/// nothing to commit).
const START_SNAPSHOT: &str = "START TRANSACTION WITH CONSISTENT SNAPSHOT";

/// The replica's applied position, one row per domain: inside a snapshot,
/// the position of that snapshot, since the table is written in the same
/// transaction as the replicated changes.
const APPLIED_POSITION: &str =
    "SELECT g.domain_id, g.server_id, g.seq_no FROM mysql.gtid_slave_pos g \
     JOIN (SELECT domain_id, MAX(sub_id) AS sub_id FROM mysql.gtid_slave_pos GROUP BY domain_id) m \
     USING (domain_id, sub_id)";

/// MySQL's executed GTID set.
const EXECUTED: &str = "SELECT @@GLOBAL.gtid_executed";

/// The first column of the first row of result set `i`.
fn first_value<T: mysql::prelude::FromValue>(sets: &[Vec<mysql::Row>], i: usize) -> Option<T> {
    let value = sets.get(i)?.first()?.as_ref(0)?.clone();
    mysql::from_value_opt::<Option<T>>(value).ok().flatten()
}

/// Whether replication runs on a replica: what was seen, and more where the
/// account may read it.
pub struct ReplicaHealth {
    pub running: bool,
    /// What says it is not running (`Slave_running=OFF`, or the MySQL
    /// channels' receiver and applier states).
    pub seen: String,
    pub detail: Option<String>,
}

/// A primary snapshot just opened (see `Session::open_primary_snapshot`).
pub struct PrimarySnapshot {
    /// MariaDB: `@@gtid_binlog_pos` just after the snapshot, its position
    /// unless a transaction was between its binlog write and its commit
    /// then (the snapshot does not see it, the variable already counts it).
    /// MySQL: `@@gtid_executed` just after it.
    pub candidate: GtidPos,
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
    /// False when it is known already that the candidate is not the
    /// position: no use waiting for it.
    pub fn may_be_placed(&self) -> bool {
        !matches!(self.proof, Proof::Bracket { agreed: false })
    }
}

/// Counts read between two equal readings of the server's position: `at`.
pub struct Positioned {
    pub counts: Vec<TableCount>,
    pub at: Option<GtidPos>,
}

/// A server's place in replication (see `Session::identity`).
pub struct Identity {
    pub server_id: u32,
    /// The flavor and `@@version`, for `-vv`.
    pub version: String,
    /// MariaDB. Primary: `@@gtid_binlog_state`; replica: its applied
    /// position.
    pub gtids: Option<Vec<Gtid>>,
    /// MySQL: `@@gtid_executed`.
    pub executed: Option<GtidPos>,
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

/// `db`.`table`, quoted.
fn qualified(key: &Key) -> String {
    table_name(key.db(), key.table_name().unwrap_or_default())
}

fn count_sql(tables: &[&Key]) -> String {
    let mut sql = String::with_capacity(tables.len() * 64);
    for (i, k) in tables.iter().enumerate() {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(&format!("SELECT {i}, COUNT(*) FROM {}", qualified(k)));
    }
    sql
}

/// Errors about one table (privilege, missing, crashed or discarded table)
/// rather than about the session: the rest of the run goes on.
fn is_table_error(e: &mysql::Error) -> bool {
    match e {
        // Session-level: interrupted or killed (1317, 1927), statement time
        // limit (1969 MariaDB, 3024 MySQL), server gone (2006, 2013).
        mysql::Error::MySqlError(m) => !matches!(m.code, 1317 | 1927 | 1969 | 3024 | 2006 | 2013),
        _ => false,
    }
}

/// One readable line: the driver's Display of some errors is their Debug
/// form ("CodecError { ... }", "TlsError { ... }").
pub fn mysql_message(e: &mysql::Error) -> String {
    if let Some(tls) = rustls_error(e) {
        return tls_message(tls);
    }
    match e {
        mysql::Error::MySqlError(m) => format!("{} (error {})", m.message, m.code),
        mysql::Error::IoError(io) => io.to_string(),
        mysql::Error::CodecError(c) => c.to_string().replace(['`', '\''], ""),
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((_, why, _)))) => {
            why.clone()
        }
        mysql::Error::DriverError(d) => d.to_string(),
        mysql::Error::TlsError(t) => format!("TLS failed: {t}"),
        mysql::Error::UrlError(u) => u.to_string(),
        mysql::Error::FromValueError(_) | mysql::Error::FromRowError(_) => {
            "an answer of an unexpected type".to_string()
        }
    }
}

/// The rustls error behind a driver error, wherever the driver put it: in
/// its TLS error, or inside the I/O error of a failed handshake. (The
/// driver's error gives no `source()`, so each place is looked at.)
fn rustls_error(e: &mysql::Error) -> Option<&rustls::Error> {
    use std::error::Error;
    fn in_io(io: &std::io::Error) -> Option<&rustls::Error> {
        io.get_ref()?.downcast_ref::<rustls::Error>()
    }
    match e {
        mysql::Error::IoError(io) => in_io(io),
        mysql::Error::CodecError(c) => in_io(c.source()?.downcast_ref::<std::io::Error>()?),
        mysql::Error::TlsError(t) => t.source()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// A TLS failure in words.
fn tls_message(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = e else {
        return format!("TLS failed: {e}");
    };
    let why = match c {
        C::UnknownIssuer => "it is not signed by a CA of --ssl-ca",
        C::BadEncoding => "it cannot be decoded",
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet",
        C::NotValidForName | C::NotValidForNameContext { .. } => "it does not name this host",
        C::Revoked => "it is revoked",
        C::BadSignature => "its signature is wrong",
        _ => "it was not accepted",
    };
    format!("TLS: the server's certificate was refused: {why}")
}

/// Kills the given connections of ours (`KILL` of one's own connections
/// needs no privilege), each server reached through a fresh session.
pub fn kill_connections(cfg: &Config, server: &Server, ids: &[u32]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut conn = Conn::new(
        opts(cfg, server, Duration::from_secs(1)).read_timeout(Some(Duration::from_secs(2))),
    )
    .map_err(|e| connect_failure(server, e))?;
    for id in ids {
        // An id already gone is fine.
        let _ = conn.query_drop(format!("KILL {id}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::quote;

    #[test]
    fn quoting_doubles_backticks() {
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(quote("sp ace-ü"), "`sp ace-ü`");
    }

    #[test]
    fn literals_are_hex() {
        assert_eq!(string_literal("a'b"), "CONVERT(X'612762' USING utf8mb4)");
    }

    #[test]
    fn batched_sql() {
        let a = Key::table("d".into(), "t`1");
        let b = Key::table("e f".into(), "g");
        assert_eq!(
            count_sql(&[&a, &b]),
            "SELECT 0, COUNT(*) FROM `d`.`t``1` UNION ALL SELECT 1, COUNT(*) FROM `e f`.`g`"
        );
    }
}
