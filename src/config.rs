//! Resolved settings: the command line, the option file, `MYSQL_PWD` and
//! `--extra-opts` merged and validated into one `Config`.

mod extra_opts;
mod filter;
mod optfile;
mod pem;
mod settings;
#[cfg(test)]
mod tests;

pub use extra_opts::expand as expand_extra_opts;
pub use filter::Filter;
pub use optfile::OptionFile;
pub use settings::*;

use crate::cli::{Cli, UnverifiedState};
use crate::model::{ReplicaId, Slot};
use crate::plugin::{Range, State};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;

impl Config {
    /// `env_password` is `MYSQL_PWD`, passed in so tests need not touch the
    /// process environment.
    pub fn resolve(cli: Cli, env_password: Option<String>) -> Result<Config> {
        let file = FileOptions::read(cli.defaults_file.as_deref())?;
        let (primary, replicas) = servers(&cli, &file)?;
        let user = cli
            .user
            .clone()
            .or_else(|| file.get("user"))
            .filter(|u| !u.is_empty())
            .ok_or_else(|| anyhow!("no user given: use -u USER or user= in the option file"))?;
        let mut notes = Vec::new();
        let password = match (&cli.password, file.options.get("password")) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(setting)) => {
                notes.extend(readable_password(setting));
                setting.value.clone()
            }
            (None, None) => env_password,
        };
        Ok(Config {
            primary,
            replicas,
            user,
            password,
            tls: tls(&cli, &file)?,
            filter: Filter::new(
                &cli.include_db,
                &cli.exclude_db,
                &cli.include_table,
                &cli.exclude_table,
            )?,
            thresholds: Thresholds {
                warning: cli.warning,
                critical: cli.critical.or_else(|| Some(Range::at_most(0))),
                warning_rows: cli.warning_rows,
                critical_rows: cli.critical_rows,
                warning_age: cli.warning_age,
                critical_age: cli.critical_age,
            },
            checksum: cli.checksum.map(|m| Checksum { method: m }),
            state_file: cli.state_file.clone(),
            unverified: match cli.unverified.unwrap_or(UnverifiedState::Unknown) {
                UnverifiedState::Warning => State::Warning,
                UnverifiedState::Unknown => State::Unknown,
            },
            definition_drift: cli.definition_drift.unwrap_or_default(),
            connections: cli.connections.map_or(DEFAULT_CONNECTIONS, usize::from),
            timeout: cli.timeout.unwrap_or(DEFAULT_TIMEOUT),
            max_snapshot_age: cli.max_snapshot_age.unwrap_or(DEFAULT_MAX_SNAPSHOT_AGE),
            chunk_rows: cli.chunk_rows.unwrap_or(DEFAULT_CHUNK_ROWS),
            output: cli.output.unwrap_or_default(),
            verbosity: Verbosity::of_count(cli.verbose),
            notes,
        })
    }
}

/// The options of `--defaults-file` (none without one).
struct FileOptions {
    options: HashMap<String, optfile::Setting>,
}

impl FileOptions {
    fn read(path: Option<&std::path::Path>) -> Result<FileOptions> {
        let options = match path {
            Some(path) => OptionFile::read(path)?.merged(&OPTION_GROUPS),
            None => HashMap::new(),
        };
        Ok(FileOptions { options })
    }

    fn get(&self, key: &str) -> Option<String> {
        self.options.get(key).and_then(|s| s.value.clone())
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.get(key).map(PathBuf::from)
    }

    /// A boolean option: present without a value, or `1`/`on`/`true`/`yes`.
    fn flag(&self, key: &str) -> Result<bool> {
        match self.options.get(key).map(|s| &s.value) {
            None => Ok(false),
            Some(None) => Ok(true),
            Some(Some(v)) => match v.to_ascii_lowercase().as_str() {
                "1" | "on" | "true" | "yes" => Ok(true),
                "0" | "off" | "false" | "no" => Ok(false),
                _ => Err(anyhow!("option file: {key}={v} is not a boolean")),
            },
        }
    }
}

/// The primary and the replicas, from the command line, else the file
/// (where several replicas are a comma-separated list).
fn servers(cli: &Cli, file: &FileOptions) -> Result<(Server, Vec<Server>)> {
    let port = match (cli.port, file.get("port")) {
        (Some(p), _) => p,
        (None, Some(p)) => p
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| anyhow!("option file: port={p} is not a port number"))?,
        (None, None) => DEFAULT_PORT,
    };
    let master = cli
        .master
        .clone()
        .or_else(|| file.get("master"))
        .or_else(|| file.get("primary"))
        .or_else(|| file.get("host"))
        .ok_or_else(|| anyhow!("no primary given: use --master HOST[:PORT]"))?;
    let listed = file.get("replica").or_else(|| file.get("slave"));
    let specs: Vec<String> = match (&cli.replica[..], listed) {
        ([], Some(list)) => list.split(',').map(str::to_string).collect(),
        (given, _) => given.to_vec(),
    };
    if specs.is_empty() {
        bail!("no replica given: use --replica HOST[:PORT]");
    }
    let primary = parse_server(Slot::Primary, &master, port)?;
    let mut replicas: Vec<Server> = Vec::new();
    for (id, spec) in ReplicaId::all(specs.len()).zip(&specs) {
        let replica = parse_server(Slot::Replica(id), spec, port)?;
        if let Some(twice) = replicas.iter().find(|r| r.address() == replica.address()) {
            bail!("--replica: {} is given twice", twice.address());
        }
        replicas.push(replica);
    }
    Ok((primary, replicas))
}

/// TLS settings, when any is asked for, with their files checked.
fn tls(cli: &Cli, file: &FileOptions) -> Result<Option<Tls>> {
    let path = |given: &Option<PathBuf>, key: &str| given.clone().or_else(|| file.path(key));
    let ca = path(&cli.ssl_ca, "ssl-ca");
    let client = match (
        path(&cli.ssl_cert, "ssl-cert"),
        path(&cli.ssl_key, "ssl-key"),
    ) {
        (Some(cert), Some(key)) => Some(ClientCert { cert, key }),
        (None, None) => None,
        _ => bail!("--ssl-cert and --ssl-key go together: give both or neither"),
    };
    let verify = cli.ssl_verify_server_cert || file.flag("ssl-verify-server-cert")?;
    let wanted = cli.ssl || file.flag("ssl")? || ca.is_some() || client.is_some() || verify;
    let tls = wanted.then_some(Tls { ca, verify, client });
    if let Some(tls) = &tls {
        pem::check(tls)?;
    }
    Ok(tls)
}

/// A password in a file every local user may read deserves a word.
fn readable_password(setting: &optfile::Setting) -> Option<String> {
    setting.world_readable.then(|| {
        format!(
            "note: the password comes from {}, which every local user may read (chmod o-r)",
            setting.file.display()
        )
    })
}

/// A host name (letters, digits, `.`, `-`, `_`), an IPv4 address, or an
/// IPv6 address (the only kind with colons).
fn plausible_host(host: &str) -> bool {
    if host.contains(':') {
        return host.parse::<std::net::Ipv6Addr>().is_ok();
    }
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
fn parse_server(slot: Slot, spec: &str, default_port: u16) -> Result<Server> {
    let what = || {
        format!(
            "--{}",
            if slot == Slot::Primary {
                "master"
            } else {
                "replica"
            }
        )
    };
    let spec = spec.trim();
    let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| anyhow!("{}: unclosed '[' in '{spec}'", what()))?;
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => bail!("{}: unexpected '{after}' after ']' in '{spec}'", what()),
        }
    } else if spec.matches(':').count() == 1 {
        let (h, p) = spec.split_once(':').expect("one colon");
        (h, Some(p))
    } else {
        (spec, None)
    };
    if host.is_empty() {
        bail!("{}: no host in '{spec}'", what());
    }
    if !plausible_host(host) {
        bail!("{}: '{host}' is not a host name or address", what());
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .with_context(|| format!("{}: '{p}' is not a port number", what()))?,
        None => default_port,
    };
    Ok(Server {
        slot,
        host: host.to_string(),
        port,
    })
}
