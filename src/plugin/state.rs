//! The four plugin states and their exit codes.

use std::fmt;

/// A plugin state. `merge` keeps the worse of two, in the Monitoring Plugins
/// order (`max_state`): a known problem outranks an unknown one, so
/// CRITICAL > WARNING > UNKNOWN > OK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl State {
    pub fn code(self) -> i32 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    pub(crate) fn severity(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Unknown => 1,
            State::Warning => 2,
            State::Critical => 3,
        }
    }

    /// Worst wins.
    pub fn merge(self, other: State) -> State {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// In JSON as in the status line: `"OK"`, `"CRITICAL"`...
impl serde::Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// An error that carries the state it must end in, decided where the
/// failure is understood.
#[derive(Debug)]
pub struct Failure {
    pub state: State,
    pub message: String,
}

impl Failure {
    pub fn new(state: State, message: impl Into<String>) -> Self {
        Failure {
            state,
            message: message.into(),
        }
    }

    /// A problem the monitoring system must see (a server down or lost).
    pub fn critical(message: impl Into<String>) -> Self {
        Failure::new(State::Critical, message)
    }

    /// No verdict could be reached (bad input, an unexpected answer).
    pub fn unknown(message: impl Into<String>) -> Self {
        Failure::new(State::Unknown, message)
    }
}

/// Everything the settings can get wrong is the operator's input, bad or
/// unreadable: UNKNOWN, with the whole chain of context in one line.
impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::unknown(format!("{e:#}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::State::*;

    #[test]
    fn worst_wins() {
        assert_eq!(Ok.merge(Warning), Warning);
        assert_eq!(Warning.merge(Ok), Warning);
        assert_eq!(Unknown.merge(Critical), Critical);
        assert_eq!(Critical.merge(Unknown), Critical);
        assert_eq!(Ok.merge(Unknown), Unknown);
        assert_eq!(Unknown.merge(Warning), Warning);
    }

    #[test]
    fn codes() {
        assert_eq!(
            [Ok.code(), Warning.code(), Critical.code(), Unknown.code()],
            [0, 1, 2, 3]
        );
    }
}
