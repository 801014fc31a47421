//! The validated settings of a run: the servers, TLS, thresholds and
//! what to compare, as the rest of the plugin reads them.

use super::filter::Filter;
use crate::cli::{ChecksumMethod, DefinitionDrift, OutputFormat};
use crate::model::{Role, Slot};
use crate::plugin::{Range, State};
use std::path::PathBuf;
use std::time::Duration;

/// The option file groups read, later ones overriding.
pub const OPTION_GROUPS: [&str; 2] = ["client", "check_mysql_drift"];
pub const DEFAULT_PORT: u16 = 3306;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONNECTIONS: usize = 3;
pub const DEFAULT_MAX_SNAPSHOT_AGE: Duration = Duration::from_secs(5);
/// Rows per key range of a big table: about 0.1 to 0.3 s of counting.
pub const DEFAULT_CHUNK_ROWS: u64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct Server {
    /// Its place in the run (keys the connections' stages and ids).
    pub slot: Slot,
    pub host: String,
    pub port: u16,
}

impl Server {
    pub fn role(&self) -> Role {
        self.slot.role()
    }

    /// `host:port` (`[v6]:port`), as the operator names it.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The perfdata label prefix of a replica: `[a-z0-9_]` only (what every
    /// perfdata parser and grapher accepts), the port added unless it is
    /// the default one.
    pub fn label(&self) -> String {
        let name = if self.port == DEFAULT_PORT {
            self.host.clone()
        } else {
            format!("{}_{}", self.host, self.port)
        };
        name.to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    }
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.role().name(), self.address())
    }
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub ca: Option<PathBuf>,
    pub verify: bool,
    pub client: Option<ClientCert>,
}

/// A client certificate and its key, both PEM files.
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Thresholds {
    pub warning: Option<Range>,
    pub critical: Option<Range>,
    pub warning_rows: Option<Range>,
    pub critical_rows: Option<Range>,
    /// On the age of the oldest content verification, in seconds.
    pub warning_age: Option<Range>,
    pub critical_age: Option<Range>,
}

/// Content comparison (`--checksum`).
#[derive(Debug, Clone)]
pub struct Checksum {
    /// `Fast`: `CHECKSUM TABLE` where it is trusted (else the row hash only).
    pub method: ChecksumMethod,
}

#[derive(Debug)]
pub struct Config {
    pub primary: Server,
    /// At least one; several are compared against the primary in one run.
    pub replicas: Vec<Server>,
    pub user: String,
    pub password: Option<String>,
    pub tls: Option<Tls>,
    pub filter: Filter,
    pub thresholds: Thresholds,
    pub unverified: State,
    pub definition_drift: DefinitionDrift,
    pub connections: usize,
    pub timeout: Duration,
    /// How long a lane may hold one pair of snapshots.
    pub max_snapshot_age: Duration,
    /// Rows per key range; tables of more are counted a range at a time.
    pub chunk_rows: u64,
    /// `--state-file`: passes and content verifications across runs.
    pub state_file: Option<PathBuf>,
    pub checksum: Option<Checksum>,
    pub output: OutputFormat,
    pub verbosity: Verbosity,
    /// What the operator should know about the settings (long output).
    pub notes: Vec<String>,
}

/// How much long output `-v` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// The status line, how the verdicts were reached, and the findings.
    Normal,
    /// `-v`: rounds, re-checks and positions.
    Progress,
    /// `-vv`: the configuration and what each server is.
    Configuration,
    /// `-vvv`: every match, and every differing key value.
    Matches,
}

impl Verbosity {
    pub fn of_count(v: u8) -> Verbosity {
        match v {
            0 => Verbosity::Normal,
            1 => Verbosity::Progress,
            2 => Verbosity::Configuration,
            _ => Verbosity::Matches,
        }
    }
}
