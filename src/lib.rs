//! check_mysql_drift: compares the row counts of every table between a
//! MariaDB/MySQL primary and its replica, at comparable replication
//! positions, as a Nagios/Icinga/NRPE/Zabbix plugin.

pub mod check;
pub mod cli;
pub mod compare;
pub mod config;
pub mod consistency;
pub mod model;
pub mod plugin;
pub mod report;
pub mod snapshot;

use crate::check::Stage;
use crate::cli::{Cli, OutputFormat};
use crate::config::Config;
use crate::plugin::{Failure, Output, State};
use crate::snapshot::Registry;
use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to print and the exit code.
pub struct Answer {
    pub state: State,
    pub text: String,
}

/// Only one of the main thread and the timeout watchdog may answer.
static ANSWERED: Mutex<bool> = Mutex::new(false);

/// Prints the answer on stdout (everything on stdout: monitors drop
/// stderr) unless one was already given, and returns the exit code.
pub fn emit(answer: &Answer) -> i32 {
    let mut done = ANSWERED.lock().unwrap_or_else(|e| e.into_inner());
    if !*done {
        *done = true;
        print(answer);
    }
    answer.state.code()
}

fn print(answer: &Answer) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(answer.text.as_bytes());
    let _ = out.flush();
}

fn message(format: OutputFormat, state: State, text: &str) -> Answer {
    let text = match format {
        OutputFormat::Json => report::json_error(state, text),
        _ => Output::message(state, text).render(),
    };
    Answer { state, text }
}

/// The command-line definition, for the man page (`examples/man.rs`).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The whole plugin, from argv to the answer.
pub fn run(args: Vec<OsString>, env_password: Option<String>) -> Answer {
    let args = match config::expand_extra_opts(args) {
        Ok(a) => a,
        Err(e) => return message(OutputFormat::Nagios, State::Unknown, &format!("{e:#}")),
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            // --help and --version are answers, not errors.
            if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                return Answer {
                    state: State::Ok,
                    text: e.render().to_string(),
                };
            }
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let first = first.trim_start_matches("error: ");
            return message(
                OutputFormat::Nagios,
                State::Unknown,
                &format!("invalid arguments: {first} (see --help)"),
            );
        }
    };
    let format = cli.output.unwrap_or_default();
    let cfg = match Config::resolve(cli, env_password) {
        Ok(c) => c,
        Err(e) => return message(format, State::Unknown, &format!("{e:#}")),
    };
    let cfg = Arc::new(cfg);
    let stage = Arc::new(Stage::default());
    let registry = Arc::new(Registry::default());
    start_watchdog(cfg.clone(), stage.clone(), registry.clone());

    match check::run(&cfg, &stage, &registry) {
        Ok(outcome) => match cfg.output {
            OutputFormat::Nagios => {
                let out = report::nagios(&outcome, &cfg);
                Answer {
                    state: out.state,
                    text: out.render(),
                }
            }
            OutputFormat::Json => {
                let (state, text) = report::json(&outcome, &cfg);
                Answer { state, text }
            }
            OutputFormat::Number => {
                let figures = report::figures(&outcome);
                Answer {
                    state: report::state(&figures, &cfg),
                    text: format!("{}\n", figures.drifted),
                }
            }
        },
        Err(e) => {
            let state = e
                .downcast_ref::<Failure>()
                .map_or(State::Unknown, |f| f.state);
            message(cfg.output, state, &format!("{e:#}"))
        }
    }
}

/// When `-t` runs out: kill our queries on both servers, answer UNKNOWN
/// naming the stage, and exit, whatever the reading threads are doing.
fn start_watchdog(cfg: Arc<Config>, stage: Arc<Stage>, registry: Arc<Registry>) {
    std::thread::spawn(move || {
        std::thread::sleep(cfg.timeout);
        // Hold the answer from here on: the reading threads will see their
        // connections killed and must not answer with that.
        let mut answered = ANSWERED.lock().unwrap_or_else(|e| e.into_inner());
        if *answered {
            return;
        }
        let ids = registry
            .ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        // Both servers at once, and no longer than about a second: a hung
        // server must not hold the answer back.
        let (tx, rx) = crossbeam::channel::bounded::<()>(2);
        for server in [cfg.primary.clone(), cfg.replica.clone()] {
            let (tx, cfg) = (tx.clone(), cfg.clone());
            let mine: Vec<u32> = ids
                .iter()
                .filter(|(r, _)| *r == server.role)
                .map(|(_, id)| *id)
                .collect();
            std::thread::spawn(move || {
                let _ = snapshot::kill_connections(&cfg, &server, &mine);
                let _ = tx.send(());
            });
        }
        let until = Instant::now() + Duration::from_millis(800);
        for _ in 0..2 {
            if rx.recv_deadline(until).is_err() {
                break;
            }
        }
        let text = format!(
            "timeout after {}s while {}",
            cfg.timeout.as_secs_f64(),
            stage.describe()
        );
        let answer = message(cfg.output, State::Unknown, &text);
        print(&answer);
        *answered = true;
        std::process::exit(answer.state.code());
    });
}
