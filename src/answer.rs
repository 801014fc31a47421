//! Who answers, and how the process ends. The run, the timeout watchdog
//! and a panic may each want to answer; exactly one does, once: one
//! status line (and long output) on stdout, then the exit code. Everything
//! that ends the process goes through `deliver`.
//!
//! What the watchdog does when `-t` runs out (kill the plugin's queries,
//! name what each connection was doing) is given to it by the caller, so
//! that this module knows nothing of servers.

use crate::plugin::State;
use std::cell::Cell;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// What to print, and the state whose exit code ends the process.
pub struct Answer {
    pub state: State,
    pub text: String,
}

/// Only one of the run, the watchdog and a panic may answer.
static ANSWERED: Mutex<()> = Mutex::new(());

thread_local! {
    /// Set while a panic of this thread is caught by its caller.
    static PANIC_EXPECTED: Cell<bool> = const { Cell::new(false) };
}

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

/// A panic is a bug: it answers with `failure("internal error: ...")`,
/// never a Rust message on stderr and exit code 101. Panics caught by
/// `catch_expected_panic` are left to their caller.
pub(crate) fn on_panic(failure: impl Fn(&str) -> Answer + Send + Sync + 'static) {
    std::panic::set_hook(Box::new(move |info| {
        if PANIC_EXPECTED.with(Cell::get) {
            return;
        }
        let message = format!("internal error: {}", info.to_string().replace('\n', " "));
        deliver(failure(&message))
    }));
}

/// Runs `work`, a panic in it caught as `Err` with its message (for a
/// library known to panic where it should fail).
pub(crate) fn catch_expected_panic<T>(
    work: impl FnOnce() -> T + std::panic::UnwindSafe,
) -> Result<T, String> {
    PANIC_EXPECTED.with(|e| e.set(true));
    let caught = std::panic::catch_unwind(work);
    PANIC_EXPECTED.with(|e| e.set(false));
    caught.map_err(|panic| {
        let text = panic.downcast_ref::<&str>().map(|s| s.to_string());
        text.or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// Starts the watchdog for `-t`: when `timeout` has passed, `timed_out`
/// makes the answer, whatever the reading threads are doing.
pub(crate) fn start_watchdog(
    timeout: Duration,
    timed_out: impl FnOnce() -> Answer + Send + 'static,
) {
    std::thread::spawn(move || {
        std::thread::sleep(timeout);
        answer_once(timed_out)
    });
}
