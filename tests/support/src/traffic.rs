//! Write traffic on the primary, bounded in time: the one generator of the
//! load and consistency tests.

use crate::servers::{admin, Side};
use mysql::prelude::Queryable;
use mysql::Conn;
use std::time::{Duration, Instant};

/// The busy-table behaviours of production, each a bounded writer on the
/// primary with a connection of its own (autocommit):
/// - `Mixed`: INSERT, UPDATE or DELETE of a random id in 1..=400 of a
///   random one of `tables`, `per_sec` statements a second (`seed` makes
///   each writer's sequence its own);
/// - `Hot`: INSERT, DELETE of the newest row and UPDATE of the newest row,
///   in turn, at `per_sec` statements a second;
/// - `Queue`: a job inserted, then deleted 5-25 ms later, without pause;
/// - `Mover`: a row moved from one table to the other in two separate
///   transactions (INSERT ... SELECT, then DELETE), and back, `per_sec`
///   moves a second.
///
/// Ids stay positive (auto-increment, or 1..=200 for the mover): drift made
/// on the replica uses negative ones, which the traffic never touches.
#[derive(Clone)]
pub enum Traffic {
    Mixed {
        tables: Vec<String>,
        per_sec: u32,
        seed: u64,
    },
    Hot {
        table: String,
        per_sec: u32,
    },
    Queue {
        table: String,
    },
    Mover {
        a: String,
        b: String,
        per_sec: u32,
    },
}

/// Writers running until stopped or `max` has passed.
pub struct Writers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
    started: Instant,
}

/// Lock conflicts between the writers themselves are retried next time.
fn write(c: &mut Conn, sql: &str) -> u64 {
    match c.query_drop(sql) {
        Ok(()) => 1,
        Err(mysql::Error::MySqlError(e)) if matches!(e.code, 1205 | 1213) => 0,
        Err(e) => panic!("traffic: {sql}: {e}"),
    }
}

impl Traffic {
    /// One step of this traffic: the statements it ran.
    fn step(&self, c: &mut Conn, i: u64) -> u64 {
        match self {
            Traffic::Mixed { tables, seed, .. } => {
                let mut rng = Xorshift::new(seed.wrapping_add(i));
                let t = &tables[(rng.next() % tables.len() as u64) as usize];
                // Ids of the traffic stay positive; drift rows use negative ones.
                let id = 1 + rng.next() % 400;
                write(
                    c,
                    &match rng.next() % 3 {
                        0 => format!(
                            "INSERT INTO {t} (id, v) VALUES ({id}, 1) ON DUPLICATE KEY UPDATE v = v + 1"
                        ),
                        1 => format!("UPDATE {t} SET v = v + 1 WHERE id = {id}"),
                        _ => format!("DELETE FROM {t} WHERE id = {id}"),
                    },
                )
            }
            Traffic::Hot { table, .. } => write(
                c,
                &match i % 3 {
                    0 => format!("INSERT INTO {table} (v) VALUES ({i})"),
                    1 => format!("DELETE FROM {table} WHERE id > 0 ORDER BY id DESC LIMIT 1"),
                    _ => format!(
                        "UPDATE {table} SET v = v + 1 WHERE id > 0 ORDER BY id DESC LIMIT 1"
                    ),
                },
            ),
            Traffic::Queue { table } => {
                let n = write(c, &format!("INSERT INTO {table} (v) VALUES ({i})"));
                let id = c.last_insert_id();
                std::thread::sleep(Duration::from_millis(5 + i * 7 % 21));
                n + write(c, &format!("DELETE FROM {table} WHERE id = {id}"))
            }
            Traffic::Mover { a, b, .. } => {
                let (from, to) = if i.is_multiple_of(2) { (a, b) } else { (b, a) };
                let id = 1 + (i / 2 * 37) % 200;
                write(
                    c,
                    &format!("INSERT IGNORE INTO {to} SELECT * FROM {from} WHERE id = {id}"),
                ) + write(c, &format!("DELETE FROM {from} WHERE id = {id}"))
            }
        }
    }

    fn pause(&self) -> Duration {
        match self {
            Traffic::Mixed { per_sec, .. }
            | Traffic::Hot { per_sec, .. }
            | Traffic::Mover { per_sec, .. } => Duration::from_secs_f64(1.0 / *per_sec as f64),
            Traffic::Queue { .. } => Duration::ZERO,
        }
    }
}

impl Writers {
    pub fn start(traffic: Vec<Traffic>, max: Duration) -> Writers {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let threads = traffic
            .into_iter()
            .map(|t| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut c = admin(Side::Primary);
                    let (mut done, pause) = (0, t.pause());
                    let mut next = Instant::now();
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) || started.elapsed() > max {
                            break;
                        }
                        done += t.step(&mut c, i);
                        // Paced on a schedule, so that round trips do not
                        // slow the rate down.
                        next += pause;
                        std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    }
                    done
                })
            })
            .collect();
        Writers {
            stop,
            threads,
            started,
        }
    }

    /// `writers` writers of `Mixed` traffic over `tables`, at about
    /// `per_sec` statements a second in all.
    pub fn mixed(tables: &[String], writers: u32, per_sec: u32, max: Duration) -> Writers {
        let traffic = (0..writers)
            .map(|i| Traffic::Mixed {
                tables: tables.to_vec(),
                per_sec: (per_sec / writers).max(1),
                seed: (u64::from(i) + 1) * 0x2545_F491_4F6C_DD1D,
            })
            .collect();
        Writers::start(traffic, max)
    }

    /// Stops the writers; the statements each ran, and the seconds they ran.
    pub fn stop(self) -> (Vec<u64>, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64();
        let counts = self
            .threads
            .into_iter()
            .map(|t| t.join().expect("traffic thread"))
            .collect();
        (counts, secs)
    }
}

/// A small fast generator: random enough to spread writes.
struct Xorshift(u64);

impl Xorshift {
    fn new(seed: u64) -> Xorshift {
        // Mixed first: consecutive seeds must not give close sequences.
        let mut x = Xorshift(seed ^ 0x9E37_79B9_7F4A_7C15);
        for _ in 0..4 {
            x.next();
        }
        x
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
