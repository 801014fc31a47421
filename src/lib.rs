//! check_mysql_drift: compares the row counts (and, with `--checksum`, the
//! content) of every table between a MariaDB/MySQL primary and its
//! replicas, at comparable replication positions, as a
//! Nagios/Icinga/NRPE/Zabbix plugin.
//!
//! One run: `main` → `config` (argv, option files, validated settings) →
//! `check` (the servers, read by `server`, judged by `compare` and
//! `consistency`) → `report` (one value, rendered as text, JSON or a
//! number) → `answer` (printed once, then the exit code).

mod activity;
mod answer;
mod check;
mod cli;
mod compare;
mod config;
mod consistency;
mod definition;
mod model;
mod outcome;
mod plugin;
mod report;
mod rowhash;
mod server;
mod verdict;

pub use answer::{deliver, Answer};

use crate::activity::{Registry, Stage};
use crate::cli::{Cli, OutputFormat};
use crate::config::Config;
use crate::plugin::{Failure, State};
use crate::report::Report;
use clap::Parser;
use std::ffi::OsString;
use std::sync::Arc;

/// The command-line definition, for the man page (`examples/man.rs`).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The whole plugin, from argv to the answer.
pub fn run(args: Vec<OsString>, env_password: Option<String>) -> Answer {
    // Known before anything can fail, so that every answer, argument
    // errors included, comes in the format asked for.
    let mut format = cli::requested_format(&args);
    answer::on_panic(move |message| report::failure(format, State::Unknown, message));
    let cfg = match settings(args, env_password, &mut format) {
        Ok(cfg) => Arc::new(cfg),
        Err(Settings::Shown(answer)) => return answer,
        Err(Settings::Failed(f)) => return report::failure(format, f.state, &f.message),
    };
    let stage = Arc::new(Stage::default());
    let registry = Arc::new(Registry::default());
    let (c, s, r) = (cfg.clone(), stage.clone(), registry.clone());
    answer::start_watchdog(cfg.timeout, move || timed_out(&c, &s, &r));
    let report = match check::run(&cfg, &stage, &registry) {
        Ok(outcome) => Report::from_outcome(&outcome, &cfg),
        Err(f) => Report::failure(f.state, &f.message),
    };
    report::render(&report, cfg.output)
}

/// `-t` ran out: UNKNOWN naming what each connection was doing, after
/// killing the plugin's queries on every server. The stages are read
/// first: the kills move the threads on (a replica's failure does not stop
/// the others).
fn timed_out(cfg: &Arc<Config>, stage: &Stage, registry: &Registry) -> Answer {
    let message = format!(
        "timeout after {}s while {}",
        cfg.timeout.as_secs_f64(),
        stage.describe(cfg)
    );
    server::kill_ours(cfg, registry);
    report::failure(cfg.output, State::Unknown, &message)
}

/// Clap's error in one line: its first line, with the indented lines that
/// complete it when it ends in a colon ("required arguments were not
/// provided:" and the arguments below it).
fn clap_message(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("invalid arguments");
    let mut message = first.trim_start_matches("error: ").to_string();
    if message.ends_with(':') {
        let more: Vec<&str> = lines
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        message = format!("{message} {}", more.join(", "));
    }
    message
}

/// Why there are no settings to run with.
enum Settings {
    /// `--help` or `--version`: an answer of its own.
    Shown(Answer),
    Failed(Failure),
}

/// The settings; `format` becomes the one the parsed options ask for
/// (`--extra-opts` may set it too).
fn settings(
    args: Vec<OsString>,
    env_password: Option<String>,
    format: &mut OutputFormat,
) -> Result<Config, Settings> {
    let args = config::expand_extra_opts(args).map_err(|e| Settings::Failed(e.into()))?;
    let cli = Cli::try_parse_from(args).map_err(|e| {
        use clap::error::ErrorKind::*;
        if matches!(e.kind(), DisplayHelp | DisplayVersion) {
            return Settings::Shown(Answer {
                state: State::Ok,
                text: e.render().to_string(),
            });
        }
        let rendered = e.render().to_string();
        Settings::Failed(Failure::unknown(format!(
            "invalid arguments: {} (see --help)",
            clap_message(&rendered)
        )))
    })?;
    *format = cli.output.unwrap_or(*format);
    Config::resolve(cli, env_password).map_err(|e| Settings::Failed(e.into()))
}

#[cfg(test)]
mod tests {
    use super::clap_message;

    #[test]
    fn a_clap_error_in_one_line() {
        let missing = "error: the following required arguments were not provided:\n  \
                       --checksum[=<METHOD>]\n\nUsage: check_mysql_drift --checksum[=<METHOD>]\n";
        assert_eq!(
            clap_message(missing),
            "the following required arguments were not provided: --checksum[=<METHOD>]"
        );
        let unexpected = "error: unexpected argument '--bogus' found\n\n  tip: ...\n";
        assert_eq!(
            clap_message(unexpected),
            "unexpected argument '--bogus' found"
        );
    }
}
