//! The built plugin, run with exactly the arguments and environment a test
//! gives (nothing inherited), and what every answer must look like.

use crate::servers::{addr, monitor_password, Flavor, Side};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A plugin state, as its exit code says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

    /// The word of the status line.
    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    fn of_code(code: i32) -> Option<State> {
        [State::Ok, State::Warning, State::Critical, State::Unknown]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// One run of the plugin.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    /// Its state; a run whose exit code is none fails the test.
    pub fn state(&self) -> State {
        State::of_code(self.code)
            .unwrap_or_else(|| panic!("exit code {} is not a plugin state: {self}", self.code))
    }

    /// Whether it ended in `state`.
    pub fn is(&self, state: State) -> bool {
        self.code == state.code()
    }

    /// The run ended in `state` (the whole run is shown when not).
    pub fn assert_state(&self, state: State) -> &Self {
        assert_eq!(self.code, state.code(), "expected {}: {self}", state.word());
        self
    }

    /// The same, naming what the run was of.
    pub fn assert_state_of(&self, state: State, what: &str) -> &Self {
        assert_eq!(
            self.code,
            state.code(),
            "{what}: expected {}: {self}",
            state.word()
        );
        self
    }

    /// What every answer must be: a status line on stdout, nothing on
    /// stderr, an exit code from 0 to 3 that matches the state word.
    pub fn assert_plugin_output(&self) -> &Self {
        assert!(
            self.stderr.is_empty(),
            "stderr must stay empty: {:?}\nstdout: {}",
            self.stderr,
            self.stdout
        );
        let Some(state) = State::of_code(self.code) else {
            panic!(
                "exit code {} is not a plugin state\n{}",
                self.code, self.stdout
            );
        };
        assert!(
            self.first_line()
                .starts_with(&format!("DRIFT {} - ", state.word())),
            "status line {:?} does not match exit code {}",
            self.first_line(),
            self.code
        );
        assert!(self.stdout.len() < 8192);
        for line in self.stdout.lines().skip(1) {
            assert!(!line.contains('|'), "a | in long output: {line}");
        }
        self
    }

    /// The value of perfdata `label`, without its unit and thresholds.
    pub fn perf(&self, label: &str) -> String {
        let (_, perf) = self.first_line().split_once(" | ").expect("perfdata");
        perf.split(' ')
            .find_map(|p| p.strip_prefix(&format!("{label}=")))
            .unwrap_or_else(|| panic!("no perfdata {label} in {}", self.first_line()))
            .split(';')
            .next()
            .unwrap()
            .trim_end_matches('s')
            .to_string()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:?}\n{}{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// How many `runs` ended OK, WARNING, CRITICAL and UNKNOWN.
pub fn tally(runs: &[Run]) -> [usize; 4] {
    let mut t = [0; 4];
    for r in runs {
        t[r.state().code() as usize] += 1;
    }
    t
}

/// With placeholder servers and `extra`, a bad input: UNKNOWN, one line
/// that starts with `says`, before any connection.
pub fn assert_bad_input(extra: &[&str], says: &str) {
    let base = ["--master", "a", "--replica", "b", "-u", "m"];
    let run = plugin().args(&[&base[..], extra].concat()).run();
    run.assert_plugin_output();
    run.assert_state_of(State::Unknown, &format!("{extra:?}"));
    assert_eq!(run.stdout.lines().count(), 1, "{extra:?}: {run}");
    assert!(
        run.first_line()
            .starts_with(&format!("DRIFT UNKNOWN - {says}")),
        "{extra:?}: {run}"
    );
}

/// What the plugin adds to the verdicts line on MySQL.
pub const BRACKETED: &str = "; MySQL: positions read around the snapshots, not inside them";

/// The verdicts line (the second) of a run, without the MySQL note, which
/// must be there on MySQL and only there.
pub fn verdicts_line(run: &Run) -> String {
    let line = run.stdout.lines().nth(1).unwrap_or_default();
    let plain = line.strip_suffix(BRACKETED);
    let mysql = crate::servers::flavor() == Flavor::MySql;
    assert_eq!(plain.is_some(), mysql, "{run}");
    plain.unwrap_or(line).to_string()
}

/// `-v`: the pairs of snapshots a run opened to read both servers at one
/// position ("N tries to read both servers ..." on its third line).
pub fn align_tries(run: &Run) -> u64 {
    let progress = run.stdout.lines().nth(2).unwrap_or_default();
    progress
        .split(", ")
        .find(|part| part.contains(" tries to read both servers"))
        .and_then(|part| part.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no tries in {progress:?}"))
}

/// Who a run is against the test servers as.
struct Against {
    prefix: String,
    primary: String,
    replicas: Vec<String>,
    user: String,
    password: String,
}

/// A run of the plugin to be made: `plugin()` with the arguments given
/// alone, or `check(prefix)` against the test servers.
pub struct Plugin {
    against: Option<Against>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// The plugin with exactly the arguments and environment given.
pub fn plugin() -> Plugin {
    Plugin {
        against: None,
        args: Vec::new(),
        env: Vec::new(),
    }
}

/// The plugin against the primary and the replica as `monitor`, limited
/// to databases that start with `prefix`, password through MYSQL_PWD.
/// Its answer is checked to be plugin output unless `--output` is given.
pub fn check(prefix: &str) -> Plugin {
    Plugin {
        against: Some(Against {
            prefix: prefix.to_string(),
            primary: addr(Side::Primary),
            replicas: vec![addr(Side::Replica)],
            user: "monitor".into(),
            password: monitor_password(),
        }),
        ..plugin()
    }
}

impl Plugin {
    /// Arguments after those of `check` (or all of them, for `plugin`).
    pub fn args(mut self, args: &[&str]) -> Plugin {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub fn envs(mut self, env: &[(&str, &str)]) -> Plugin {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        self.env.extend(env);
        self
    }

    /// Against these replicas, in this order, instead of the replica.
    pub fn replicas(mut self, replicas: &[Side]) -> Plugin {
        self.against_mut().replicas = replicas.iter().map(|s| addr(*s)).collect();
        self
    }

    /// Against these addresses instead of the test servers' own names
    /// (another name of a server, a port where nothing listens).
    pub fn servers(mut self, primary: &str, replicas: &[&str]) -> Plugin {
        let against = self.against_mut();
        against.primary = primary.to_string();
        against.replicas = replicas.iter().map(|r| r.to_string()).collect();
        self
    }

    /// As an account made by `account` or `own_monitor` (password
    /// `pw-<user>`).
    pub fn user(mut self, user: &str) -> Plugin {
        let against = self.against_mut();
        against.user = user.to_string();
        against.password = format!("pw-{user}");
        self
    }

    fn against_mut(&mut self) -> &mut Against {
        self.against
            .as_mut()
            .expect("replicas and users are for check(), not plugin()")
    }

    pub fn run(self) -> Run {
        let Some(a) = &self.against else {
            return run(&self.args, &self.env);
        };
        let mut args = vec!["--master".to_string(), a.primary.clone()];
        for r in &a.replicas {
            args.extend(["--replica".to_string(), r.clone()]);
        }
        let include = format!("^{}", regex::escape(&a.prefix));
        args.extend(["-u".into(), a.user.clone(), "--include-db".into(), include]);
        args.extend(self.args.iter().cloned());
        let mut env = vec![("MYSQL_PWD".to_string(), a.password.clone())];
        env.extend(self.env.iter().cloned());
        let run = run(&args, &env);
        // The status line is the plugin format's; JSON and number are
        // checked by the tests that ask for them.
        if !self.args.iter().any(|a| a == "--output") {
            run.assert_plugin_output();
        }
        run
    }
}

/// The plugin binary cargo built beside the test binaries.
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let bin = dir.join(format!("check_mysql_drift{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is not built", bin.display());
    bin
}

fn run(args: &[String], env: &[(String, String)]) -> Run {
    let started = Instant::now();
    let out = Command::new(binary())
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run the plugin");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}
