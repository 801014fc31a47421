//! Resolved settings: the command line, the option file, `MYSQL_PWD` and
//! `--extra-opts` merged and validated into one `Config`.

mod extra_opts;
mod filter;
mod optfile;
mod pem;

pub use extra_opts::expand as expand_extra_opts;
pub use filter::Filter;
pub use optfile::OptionFile;

use crate::cli::{ChecksumMethod, Cli, OutputFormat, UnverifiedState};
use crate::model::Role;
use crate::plugin::{Range, State};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// The option file groups read, later ones overriding.
pub const OPTION_GROUPS: [&str; 2] = ["client", "check_mysql_drift"];
pub const DEFAULT_PORT: u16 = 3306;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONNECTIONS: usize = 3;

#[derive(Debug, Clone)]
pub struct Server {
    pub role: Role,
    pub host: String,
    pub port: u16,
    /// Its place in the run: 0 the primary, 1.. the replicas in the order
    /// given (keys the connections' stages and ids).
    pub slot: usize,
}

impl Server {
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
        write!(f, "{} {}", self.role.name(), self.address())
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
    /// `CHECKSUM TABLE` where it is trusted (else the row hash only).
    pub fast: bool,
    pub state_file: Option<PathBuf>,
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
    pub connections: usize,
    pub timeout: Duration,
    pub checksum: Option<Checksum>,
    pub output: OutputFormat,
    pub verbosity: u8,
    /// What the operator should know about the settings (long output).
    pub notes: Vec<String>,
}

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
            checksum: cli.checksum.map(|m| Checksum {
                fast: m == ChecksumMethod::Fast,
                state_file: cli.state_file.clone(),
            }),
            unverified: match cli.unverified.unwrap_or(UnverifiedState::Unknown) {
                UnverifiedState::Warning => State::Warning,
                UnverifiedState::Unknown => State::Unknown,
            },
            connections: cli.connections.map_or(DEFAULT_CONNECTIONS, usize::from),
            timeout: cli.timeout.unwrap_or(DEFAULT_TIMEOUT),
            output: cli.output.unwrap_or_default(),
            verbosity: cli.verbose,
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
    let primary = parse_server(Role::Primary, &master, port, 0)?;
    let mut replicas: Vec<Server> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let replica = parse_server(Role::Replica, spec, port, i + 1)?;
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
fn parse_server(role: Role, spec: &str, default_port: u16, slot: usize) -> Result<Server> {
    let what = || {
        format!(
            "--{}",
            if role == Role::Primary {
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
        role,
        host: host.to_string(),
        port,
        slot,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("check_mysql_drift").chain(args.iter().copied()))
            .unwrap()
    }

    #[test]
    fn servers_and_ports() {
        let s = |x: &str| parse_server(Role::Primary, x, 3306, 0).map(|s| (s.host, s.port));
        assert_eq!(s("db1").unwrap(), ("db1".into(), 3306));
        assert_eq!(s("db1:3307").unwrap(), ("db1".into(), 3307));
        assert_eq!(s("[::1]:3308").unwrap(), ("::1".into(), 3308));
        assert_eq!(s("::1").unwrap(), ("::1".into(), 3306));
        for bad in ["db1:x", "db1:0", "db1:70000", ":3306", "[::1", "[::1]x"] {
            assert!(s(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let c =
            Config::resolve(cli(&["--master", "a", "--replica", "b:1", "-u", "m"]), None).unwrap();
        assert_eq!(c.primary.port, 3306);
        assert_eq!(c.replicas[0].port, 1);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert!(c.thresholds.critical.as_ref().unwrap().alerts(1.0));
        assert!(c.thresholds.warning.is_none());
        assert_eq!(c.unverified, State::Unknown);
        assert!(c.tls.is_none());
    }

    #[test]
    fn several_replicas() {
        let given = |c: &Config| -> Vec<(String, usize, String)> {
            c.replicas
                .iter()
                .map(|r| (r.address(), r.slot, r.label()))
                .collect()
        };
        let c = Config::resolve(
            cli(&[
                "--master",
                "p",
                "--replica",
                "Db2",
                "--replica",
                "db3:3307,[::1]:3308",
                "-u",
                "m",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            given(&c),
            [
                ("Db2:3306".into(), 1, "db2".into()),
                ("db3:3307".into(), 2, "db3_3307".into()),
                ("[::1]:3308".into(), 3, "__1_3308".into()),
            ]
        );
        let dir = std::env::temp_dir().join(format!("cmd-replicas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("my.cnf");
        std::fs::write(&f, "[check_mysql_drift]\nreplica=r1, r2:1\n").unwrap();
        let file = [
            "--master",
            "p",
            "-u",
            "m",
            "--defaults-file",
            f.to_str().unwrap(),
        ];
        let c = Config::resolve(cli(&file), None).unwrap();
        assert_eq!(given(&c)[1], ("r2:1".into(), 2, "r2_1".into()));
        // The command line's replicas replace the file's.
        let c = Config::resolve(cli(&[&file[..], &["--replica", "r9"]].concat()), None).unwrap();
        assert_eq!(given(&c), [("r9:3306".into(), 1, "r9".into())]);
        std::fs::remove_dir_all(&dir).unwrap();
        let e = Config::resolve(
            cli(&["--master", "p", "--replica", "a,a:3306", "-u", "m"]),
            None,
        );
        assert_eq!(
            format!("{:#}", e.unwrap_err()),
            "--replica: a:3306 is given twice"
        );
    }

    #[test]
    fn option_file_then_env_password() {
        let dir = std::env::temp_dir().join(format!("cmd-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("my.cnf");
        std::fs::write(&f, "[client]\nuser=fileuser\npassword=filepw\nport=3310\n[check_mysql_drift]\nreplica=r1\n").unwrap();
        let path = f.to_str().unwrap();
        let c = Config::resolve(
            cli(&["--master", "p", "--defaults-file", path]),
            Some("envpw".into()),
        )
        .unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("fileuser", Some("filepw"))
        );
        assert_eq!(
            (c.replicas[0].host.as_str(), c.replicas[0].port),
            ("r1", 3310)
        );
        // argv wins over the file; the file over MYSQL_PWD.
        let c = Config::resolve(
            cli(&[
                "--master",
                "p",
                "--defaults-file",
                path,
                "-u",
                "x",
                "-p",
                "argpw",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("x", Some("argpw"))
        );
        std::fs::write(&f, "[client]\nuser=fileuser\n").unwrap();
        let c = Config::resolve(
            cli(&["--master", "p", "--replica", "r", "--defaults-file", path]),
            Some("envpw".into()),
        )
        .unwrap();
        assert_eq!(c.password.as_deref(), Some("envpw"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clear_errors() {
        let e = |args: &[&str]| format!("{:#}", Config::resolve(cli(args), None).unwrap_err());
        assert!(e(&["--replica", "r", "-u", "m"]).contains("no primary"));
        assert!(e(&["--master", "p", "-u", "m"]).contains("no replica"));
        assert!(e(&["--master", "p", "--replica", "r"]).contains("no user"));
        // Ranges, the timeout and the connections are refused where they
        // are parsed, naming the option.
        for (args, says) in [
            (["-w", "5:1"], "invalid value '5:1' for '--warning <RANGE>'"),
            (["-t", "0"], "invalid value '0' for '--timeout <SECONDS>'"),
            (
                ["--connections", "0"],
                "invalid value '0' for '--connections <N>'",
            ),
        ] {
            let e = Cli::try_parse_from([&["p", "--master", "p"][..], &args].concat())
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{e}");
        }
        assert!(e(&[
            "--master",
            "p",
            "--replica",
            "r",
            "-u",
            "m",
            "--defaults-file",
            "/nope"
        ])
        .contains("cannot read option file /nope"));
    }
}
