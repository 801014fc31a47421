//! Who answers, and how the process ends. The run, the timeout watchdog
//! and a panic may each want to answer; exactly one does, once: one
//! status line (and long output) on stdout, then the exit code. Everything
//! that ends the process goes through `deliver`.
//!
//! The watchdog: when `-t` runs out it kills the plugin's own queries on
//! every server (the `Registry` of connections), answers UNKNOWN naming
//! what each connection was doing (the `Stage`), and exits, whatever the
//! reading threads are doing.

use crate::cli::OutputFormat;
use crate::config::{Config, Server};
use crate::plugin::State;
use crate::report::Answer;
use crate::snapshot;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Only one of the run, the watchdog and a panic may answer.
static ANSWERED: Mutex<()> = Mutex::new(());

/// The one exit path: prints the answer and ends the process with its exit
/// code.
pub fn deliver(answer: Answer) -> ! {
    answer_once(|| answer)
}

/// Takes the right to answer, then makes the answer and gives it. The lock
/// is held to the exit: whoever comes second waits for the end instead of
/// printing (the watchdog holds it while it kills the run's queries, which
/// then fail, so that those failures are never the answer).
fn answer_once(make: impl FnOnce() -> Answer) -> ! {
    let _answering = ANSWERED.lock().unwrap_or_else(|e| e.into_inner());
    let answer = make();
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(answer.text.as_bytes());
    let _ = out.flush();
    std::process::exit(answer.state.code())
}

/// A panic is a bug: it answers UNKNOWN "internal error" in the requested
/// format, never a Rust message on stderr and exit code 101.
pub(crate) fn on_panic_answer_in(format: OutputFormat) {
    std::panic::set_hook(Box::new(move |info| {
        // The driver's handshake catches its own (see `snapshot`).
        if std::thread::current().name() == Some(crate::snapshot::HANDSHAKE_THREAD) {
            return;
        }
        let message = format!("internal error: {}", info.to_string().replace('\n', " "));
        deliver(Answer::failure(format, State::Unknown, &message))
    }));
}

/// The connections the plugin has open, so that a timeout can kill
/// whatever they are running.
#[derive(Default)]
pub(crate) struct Registry {
    connections: Mutex<Vec<Connection>>,
}

struct Connection {
    /// The server's `slot` (0 the primary, 1.. the replicas).
    slot: usize,
    id: u32,
}

impl Registry {
    pub(crate) fn add(&self, slot: usize, id: u32) {
        let mut all = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        all.push(Connection { slot, id });
    }

    fn ids(&self, slot: usize) -> Vec<u32> {
        let all = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .filter(|c| c.slot == slot)
            .map(|c| c.id)
            .collect()
    }
}

/// What each connection is doing, for the timeout message: it names the
/// server and the step that hang, not a step another connection finished.
#[derive(Default)]
pub(crate) struct Stage {
    slots: Mutex<Vec<Slot>>,
}

struct Slot {
    server: usize,
    index: usize,
    what: String,
}

impl Stage {
    /// Connection `index` of `server` is now doing `what` (empty: done).
    pub(crate) fn set(&self, server: &Server, index: usize, what: impl Into<String>) {
        let (server, what) = (server.slot, what.into());
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots
            .iter_mut()
            .find(|s| s.server == server && s.index == index)
        {
            Some(slot) => slot.what = what,
            None => slots.push(Slot {
                server,
                index,
                what,
            }),
        }
    }

    /// `primary: ...; replica: ...` (with several replicas, each named),
    /// each server's distinct steps under way.
    pub(crate) fn describe(&self, cfg: &Config) -> String {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let steps_of = |server: &Server| {
            let mut steps: Vec<&str> = Vec::new();
            for s in slots
                .iter()
                .filter(|s| s.server == server.slot && !s.what.is_empty())
            {
                if !steps.contains(&s.what.as_str()) {
                    steps.push(&s.what);
                }
            }
            if steps.is_empty() {
                "idle".to_string()
            } else {
                steps.join(" / ")
            }
        };
        let mut parts = vec![format!("primary: {}", steps_of(&cfg.primary))];
        for r in &cfg.replicas {
            let name = match cfg.replicas.len() {
                1 => "replica".to_string(),
                _ => r.to_string(),
            };
            parts.push(format!("{name}: {}", steps_of(r)));
        }
        parts.join("; ")
    }
}

/// Starts the watchdog for `-t` (see the module's comment).
pub(crate) fn start_watchdog(cfg: Arc<Config>, stage: Arc<Stage>, registry: Arc<Registry>) {
    std::thread::spawn(move || {
        std::thread::sleep(cfg.timeout);
        answer_once(|| {
            // What each connection was doing when time ran out: the kills
            // move the threads on (a replica's failure does not stop the
            // others), so the stages are read first.
            let message = format!(
                "timeout after {}s while {}",
                cfg.timeout.as_secs_f64(),
                stage.describe(&cfg)
            );
            kill_ours(&cfg, &registry);
            Answer::failure(cfg.output, State::Unknown, &message)
        })
    });
}

/// Kills the plugin's queries on every server at once, waiting no longer
/// than about a second: a hung server must not hold the answer back.
fn kill_ours(cfg: &Arc<Config>, registry: &Registry) {
    let servers: Vec<&Server> = std::iter::once(&cfg.primary).chain(&cfg.replicas).collect();
    let (tx, rx) = crossbeam::channel::bounded::<()>(servers.len());
    for server in &servers {
        let (tx, cfg, server) = (tx.clone(), cfg.clone(), (*server).clone());
        let ids = registry.ids(server.slot);
        std::thread::spawn(move || {
            let _ = snapshot::kill_connections(&cfg, &server, &ids);
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
