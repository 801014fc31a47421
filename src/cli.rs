//! The raw command line, as clap sees it. Validation and defaults from
//! option files happen in `config`.

use crate::plugin::Range;
use clap::{ArgAction, Parser, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug, Default)]
#[command(
    name = "check_mysql_drift",
    version,
    about = "Compares the row counts of every table between a MariaDB/MySQL primary and its \
             replica, at comparable replication positions, and reports in the Nagios/Icinga \
             plugin format.",
    after_help = "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL (drift, cannot connect, access denied), \
                  3 UNKNOWN (bad arguments, timeout, no verdict).\n\
                  Ranges: [@]start:end (Monitoring Plugins syntax); `-c 0` = any difference is critical.\n\
                  Options may also come from --extra-opts=[section][@file] (ini; argv wins).",
    disable_help_subcommand = true,
    // A later value replaces an earlier one (NRPE and Nagios commands
    // often repeat an option): the command line wins over --extra-opts.
    args_override_self = true
)]
pub struct Cli {
    /// Primary ("master") server, HOST[:PORT] (port 3306 by default)
    #[arg(long, visible_alias = "primary", value_name = "HOST[:PORT]")]
    pub master: Option<String>,

    /// Replica ("slave") server, HOST[:PORT]; repeatable, or a comma-separated list, for
    /// several replicas of the primary checked in one run
    #[arg(
        long,
        visible_alias = "slave",
        value_name = "HOST[:PORT]",
        value_delimiter = ','
    )]
    pub replica: Vec<String>,

    /// Default port for servers given without one
    #[arg(short = 'P', long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// User name (also from the option file or --extra-opts)
    #[arg(short, long)]
    pub user: Option<String>,

    /// Password. VISIBLE TO OTHER USERS in `ps`: prefer --defaults-file or MYSQL_PWD
    #[arg(short, long, value_name = "PASSWORD", allow_hyphen_values = true)]
    pub password: Option<String>,

    /// MySQL option file; groups [client] and [check_mysql_drift] (user, password, port, ssl-ca, master, replica, ...)
    #[arg(long, value_name = "FILE")]
    pub defaults_file: Option<PathBuf>,

    /// Read options from an ini file: [section][@file] (Monitoring Plugins extra-opts)
    #[arg(long, value_name = "[section][@file]", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub extra_opts: Option<String>,

    /// Connect with TLS
    #[arg(long)]
    pub ssl: bool,

    /// CA certificate to verify the servers with (implies --ssl)
    #[arg(long, value_name = "FILE")]
    pub ssl_ca: Option<PathBuf>,

    /// Client certificate (PEM), for accounts that REQUIRE X509; with --ssl-key
    #[arg(long, value_name = "FILE")]
    pub ssl_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM)
    #[arg(long, value_name = "FILE")]
    pub ssl_key: Option<PathBuf>,

    /// Verify the servers' certificate and host name (implies --ssl)
    #[arg(long)]
    pub ssl_verify_server_cert: bool,

    /// Only databases matching this regular expression (repeatable)
    #[arg(long, value_name = "REGEX")]
    pub include_db: Vec<String>,

    /// Leave out databases matching this regular expression (repeatable)
    #[arg(long, value_name = "REGEX")]
    pub exclude_db: Vec<String>,

    /// Only tables whose `db.table` matches this regular expression (repeatable)
    #[arg(long, value_name = "REGEX")]
    pub include_table: Vec<String>,

    /// Leave out tables whose `db.table` matches this regular expression (repeatable)
    #[arg(long, value_name = "REGEX")]
    pub exclude_table: Vec<String>,

    /// WARNING range on the number of differing tables (missing tables included)
    #[arg(short, long, value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse)]
    pub warning: Option<Range>,

    /// CRITICAL range on the number of differing tables [default: 0, any difference]
    #[arg(short, long, value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse)]
    pub critical: Option<Range>,

    /// WARNING range on the largest row-count difference of one table
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse)]
    pub warning_rows: Option<Range>,

    /// CRITICAL range on the largest row-count difference of one table
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse)]
    pub critical_rows: Option<Range>,

    /// State for tables that could not be verified within the time budget
    #[arg(long, value_enum, value_name = "STATE")]
    pub unverified: Option<UnverifiedState>,

    /// State for tables defined differently on a replica: `replication` (the default)
    /// CRITICAL where row-based replication misapplies rows or stops (columns in another
    /// order, another type or character set), WARNING where it copes (columns added at the
    /// end, another collation, nullability or primary key); `warning` or `critical` for all
    #[arg(long, value_enum, value_name = "MAP")]
    pub definition_drift: Option<DefinitionDrift>,

    /// Also compare table content, read-only: `fast` uses CHECKSUM TABLE where both sides
    /// run the same version and table definition, `strong` the plugin's row hash everywhere
    #[arg(long, value_enum, value_name = "METHOD", num_args = 0..=1, require_equals = true, default_missing_value = "fast")]
    pub checksum: Option<ChecksumMethod>,

    /// Remember across runs how far the passes over big tables stand (and, with --checksum,
    /// when each table's content was last verified), so that runs that cannot cover
    /// everything within -t go on where the last stopped, least recently verified first
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,

    /// WARNING range on the seconds since the least recently verified table's content was
    /// verified, or a big table's last complete pass ended (with --state-file)
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse, requires = "state_file")]
    pub warning_age: Option<Range>,

    /// CRITICAL range on the seconds since the least recently verified table's content was
    /// verified, or a big table's last complete pass ended (with --state-file)
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true, value_parser = Range::parse, requires = "state_file")]
    pub critical_age: Option<Range>,

    /// Connections per server used for counting, 1 to 16 [default: 3]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=16))]
    pub connections: Option<u8>,

    /// Seconds a lane may hold one pair of snapshots before it closes them and aligns a new
    /// pair for the tables left (an open snapshot keeps the servers' undo history) [default: 5]
    #[arg(long, value_name = "SECONDS", value_parser = timeout)]
    pub max_snapshot_age: Option<Duration>,

    /// Rows per key range: a table of more (estimated) rows with a primary key, or a unique key
    /// of NOT NULL columns, is counted a range at a time, each at one replication position,
    /// 1000 to 1000000000 [default: 1000000]
    #[arg(long, value_name = "ROWS", value_parser = clap::value_parser!(u64).range(1000..=1_000_000_000))]
    pub chunk_rows: Option<u64>,

    /// Seconds before the plugin gives up with UNKNOWN, up to 86400 [default: 30]
    #[arg(short, long, value_name = "SECONDS", value_parser = timeout)]
    pub timeout: Option<Duration>,

    /// Output format: the plugin format, JSON, one number (differing tables) for Zabbix, or
    /// Prometheus metrics (text exposition, for node_exporter's textfile collector)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// More detail (repeatable: -v findings and positions, -vv configuration, -vvv diagnostics)
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ChecksumMethod {
    Fast,
    Strong,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UnverifiedState {
    Warning,
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum DefinitionDrift {
    #[default]
    Replication,
    Warning,
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Nagios,
    Json,
    Number,
    /// The Prometheus text exposition format, for node_exporter's textfile
    /// collector.
    Openmetrics,
}

/// The output format argv asks for (the last `--output`), read before
/// parsing: an answer to arguments that do not parse comes in it too.
pub fn requested_format(args: &[std::ffi::OsString]) -> OutputFormat {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    let mut format = OutputFormat::default();
    for (i, a) in args.iter().enumerate() {
        let value = match a.strip_prefix("--output") {
            Some("") => args.get(i + 1).copied(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(f) = value.and_then(|v| OutputFormat::from_str(v, true).ok()) {
            format = f;
        }
    }
    format
}

/// More than nothing, at most a day.
fn timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= 86_400.0 => Ok(Duration::from_secs_f64(t)),
        _ => Err("a number of seconds above 0 and up to 86400".into()),
    }
}
