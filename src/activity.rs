//! What the run's connections are: their ids on each server (so that a
//! timeout can kill what they run) and the step each is at (so that the
//! timeout message names what hung).

use crate::config::{Config, Server};
use crate::model::Slot;
use std::sync::Mutex;

/// The connections the plugin has open, so that a timeout can kill
/// whatever they are running.
#[derive(Default)]
pub(crate) struct Registry {
    connections: Mutex<Vec<Connection>>,
}

struct Connection {
    slot: Slot,
    id: u32,
}

impl Registry {
    pub(crate) fn add(&self, slot: Slot, id: u32) {
        let mut all = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        all.push(Connection { slot, id });
    }

    /// The connections of ours on `slot`.
    pub(crate) fn ids(&self, slot: Slot) -> Vec<u32> {
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
    steps: Mutex<Vec<Step>>,
}

struct Step {
    server: Slot,
    index: usize,
    what: String,
}

impl Stage {
    /// Connection `index` of `server` is now doing `what` (empty: done).
    pub(crate) fn set(&self, server: &Server, index: usize, what: impl Into<String>) {
        let (server, what) = (server.slot, what.into());
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        match steps
            .iter_mut()
            .find(|s| s.server == server && s.index == index)
        {
            Some(slot) => slot.what = what,
            None => steps.push(Step {
                server,
                index,
                what,
            }),
        }
    }

    /// `primary: ...; replica: ...` (with several replicas, each named),
    /// each server's distinct steps under way.
    pub(crate) fn describe(&self, cfg: &Config) -> String {
        let steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let steps_of = |server: &Server| {
            let mut doing: Vec<&str> = Vec::new();
            for s in steps
                .iter()
                .filter(|s| s.server == server.slot && !s.what.is_empty())
            {
                if !doing.contains(&s.what.as_str()) {
                    doing.push(&s.what);
                }
            }
            if doing.is_empty() {
                "idle".to_string()
            } else {
                doing.join(" / ")
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
