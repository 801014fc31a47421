//! Connecting: TLS options, a handshake bounded in time (and tried again
//! when the driver panics in it), the session set up read-only.

use super::errors::connect_failure;
use super::flavor::Flavor;
use super::session::{Result, Session};
use crate::activity::Registry;
use crate::config::{Config, Server};
use crate::model::Slot;
use crate::plugin::Failure;
use mysql::prelude::Queryable;
use mysql::{ClientIdentity, Conn, OptsBuilder, SslOpts};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Handshakes tried when the driver fails in one for its own fault.
/// mysql 28 drops a final zero byte of the nonce the server sends with its
/// authentication method (`AuthSwitchRequest::plugin_data`), so 1 in 256
/// MariaDB PARSEC logins panics (its `unwrap` of a response it cannot
/// build) and 1 in 256 ed25519 logins signs the wrong nonce and is refused
/// as a wrong password (measured: 6 of 200 runs of 6 connections). A new
/// handshake has a new nonce; a password that is really wrong is tried
/// twice.
const HANDSHAKE_TRIES: usize = 3;

/// Whether one more handshake may succeed where `outcome` failed:
/// always after a panic, once after "access denied".
fn worth_another(outcome: &std::result::Result<mysql::Result<Conn>, String>, denied: bool) -> bool {
    match outcome {
        Err(_) => true,
        Ok(Err(e)) if access_denied(e) => !denied,
        Ok(_) => false,
    }
}

fn access_denied(e: &mysql::Error) -> bool {
    matches!(e, mysql::Error::MySqlError(m) if m.code == 1045)
}

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
    crate::answer::catch_expected_panic(move || Conn::new(opts))
}

/// Connects, giving up after `within` even when the server took the TCP
/// connection but never answers the handshake (a frozen server): the
/// connecting thread is left to the driver's own timeouts, and a
/// connection it makes after all is closed.
fn connect_within(opts: OptsBuilder, within: Duration) -> std::result::Result<Conn, NoConnection> {
    let (tx, rx) = crossbeam::channel::bounded(1);
    let spawned = std::thread::Builder::new()
        .name("handshake".into())
        .spawn(move || {
            let mut outcome = handshake(opts.clone());
            let mut denied = false;
            for _ in 1..HANDSHAKE_TRIES {
                if !worth_another(&outcome, denied) {
                    break;
                }
                denied |= matches!(&outcome, Ok(Err(e)) if access_denied(e));
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

/// Why a server gave no session.
pub(crate) enum NoSession {
    /// It refused, failed, or is not a MySQL server: the failure to answer
    /// with.
    Failed(Failure),
    /// No answer within the time the connection was given; whether that
    /// is the server's fault depends on how long that was.
    NoAnswer { within: Duration },
}

impl From<Failure> for NoSession {
    fn from(f: Failure) -> NoSession {
        NoSession::Failed(f)
    }
}

/// The driver gave up waiting: for the TCP connection, or for its answer.
fn timed_out(e: &mysql::Error) -> bool {
    use mysql::DriverError as D;
    match e {
        mysql::Error::DriverError(D::ConnectTimeout) => true,
        mysql::Error::DriverError(D::CouldNotConnect(Some((_, _, kind)))) => {
            *kind == std::io::ErrorKind::TimedOut
        }
        mysql::Error::IoError(io) => io.kind() == std::io::ErrorKind::TimedOut,
        _ => false,
    }
}

/// How long a connection is given.
#[derive(Clone, Copy)]
pub(crate) enum ConnectBy {
    /// The run's own deadline: the watchdog, a moment later, answers and
    /// names the stage.
    RunDeadline(Instant),
    /// A time of its own (a replica's patience): no answer by then is the
    /// answer.
    Own(Instant),
}

impl Session {
    pub(crate) fn connect(
        cfg: &Config,
        server: &Server,
        index: usize,
        by: ConnectBy,
        connected: &dyn Fn(Slot, u32),
    ) -> std::result::Result<Session, NoSession> {
        let (until, grace) = match by {
            ConnectBy::RunDeadline(at) => (at, Duration::from_secs(1)),
            ConnectBy::Own(at) => (at, Duration::ZERO),
        };
        let left = until.saturating_duration_since(Instant::now());
        let opts = opts(cfg, server, left.min(Duration::from_secs(15)));
        let conn = connect_within(opts, left + grace).map_err(|e| match e {
            NoConnection::Refused(e) if timed_out(&e) => NoSession::NoAnswer { within: left },
            NoConnection::Refused(e) => NoSession::Failed(connect_failure(server, e)),
            NoConnection::Silent => NoSession::NoAnswer { within: left },
            NoConnection::DriverBug(why) => NoSession::Failed(Failure::critical(format!(
                "cannot connect to {server}: the MySQL driver failed in the handshake \
                 {HANDSHAKE_TRIES} times ({why})"
            ))),
        })?;
        let flavor = Flavor::of_handshake(conn.server_version());
        let mut s = Session {
            conn,
            server: server.clone(),
            index,
            flavor,
        };
        // Told before the first statement, so that a timeout can kill it.
        connected(server.slot, s.conn.connection_id());
        // One round trip.
        let setup = s.flavor.session_setup(cfg.timeout.as_secs_f64());
        s.conn
            .query_drop(&setup)
            .map_err(|e| s.err("setting up the session", e))?;
        Ok(s)
    }
}

/// Kills the given connections of ours (`KILL` of one's own connections
/// needs no privilege), each server reached through a fresh session.
fn kill_connections(cfg: &Config, server: &Server, ids: &[u32]) -> Result<()> {
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

/// Kills the plugin's queries on every server at once, waiting no longer
/// than about a second: a hung server must not hold the answer back.
pub(crate) fn kill_ours(cfg: &Arc<Config>, registry: &Registry) {
    let servers: Vec<&Server> = std::iter::once(&cfg.primary).chain(&cfg.replicas).collect();
    let (tx, rx) = crossbeam::channel::bounded::<()>(servers.len());
    for server in &servers {
        let (tx, cfg, server) = (tx.clone(), cfg.clone(), (*server).clone());
        let ids = registry.ids(server.slot);
        std::thread::spawn(move || {
            let _ = kill_connections(&cfg, &server, &ids);
            let _ = tx.send(());
        });
    }
    let until = Instant::now() + Duration::from_millis(800);
    for _ in 0..servers.len() {
        if rx.recv_deadline(until).is_err() {
            break;
        }
    }
}
