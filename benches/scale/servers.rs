//! The benchmark's servers and the shapes it seeds on them.

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use std::time::Instant;

pub(crate) const TABLES_PER_DB: usize = 500;

pub(crate) fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

pub(crate) fn conn(port: u16, user: &str, password: &str) -> Conn {
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .prefer_socket(false);
    Conn::new(opts)
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e} (tests/servers.sh up)"))
}

pub(crate) struct Pair {
    pub(crate) primary: u16,
    pub(crate) replica: u16,
    /// The other replicas of the test set: a second one and a chained one.
    pub(crate) more: [u16; 2],
    pub(crate) admin_pw: String,
    pub(crate) monitor_pw: String,
}

impl Pair {
    pub(crate) fn admin(&self, port: u16) -> Conn {
        conn(port, "admin", &self.admin_pw)
    }
    pub(crate) fn monitor(&self, port: u16) -> Conn {
        conn(port, "monitor", &self.monitor_pw)
    }
}

pub(crate) struct Shape {
    pub(crate) name: String,
    pub(crate) big: usize,
    pub(crate) small: usize,
}

impl Shape {
    pub(crate) fn parse(s: &str) -> Shape {
        let total: usize = match s {
            "1k" => 1_000,
            "10k" => 10_000,
            "11k" => 11_000,
            "50k" => 50_000,
            other => other
                .parse()
                .unwrap_or_else(|_| panic!("unknown shape {other}")),
        };
        let big = total / 11;
        Shape {
            name: format!("bench{s}"),
            big,
            small: total - big,
        }
    }
    pub(crate) fn total(&self) -> usize {
        self.big + self.small
    }
    pub(crate) fn rows(&self) -> u64 {
        self.big as u64 * 10_000 + self.small as u64 * 10
    }
    /// (database, table, rows) of every table.
    pub(crate) fn tables(&self) -> Vec<(String, String, u32)> {
        (0..self.total())
            .map(|i| {
                let rows = if i < self.big { 10_000 } else { 10 };
                (
                    format!("{}_{:03}", self.name, i / TABLES_PER_DB),
                    format!("t{i:05}"),
                    rows,
                )
            })
            .collect()
    }
}

/// Drops whatever databases of the shape's name a server holds.
fn drop_shape(c: &mut Conn, shape: &Shape) {
    let dbs: Vec<String> = c
        .exec(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
            (format!("{}\\_%", shape.name),),
        )
        .unwrap();
    for db in dbs {
        c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
    }
}

/// Seeds one server (unlogged) unless a marker says it holds the shape.
pub(crate) fn seed_server(pair: &Pair, port: u16, shape: &Shape) {
    let mut c = pair.admin(port);
    let marker = format!("{}_meta", shape.name);
    let done: Option<u64> = c
        .query_first(format!("SELECT n FROM `{marker}`.done"))
        .unwrap_or(None);
    if done == Some(shape.total() as u64) {
        return;
    }
    c.query_drop("SET SESSION sql_log_bin = 0").unwrap();
    let version: String = c.query_first("SELECT VERSION()").unwrap().unwrap();
    let mariadb = version.contains("MariaDB");
    if !mariadb {
        c.query_drop("SET SESSION cte_max_recursion_depth = 100000")
            .unwrap();
    }
    drop_shape(&mut c, shape);
    let tables = shape.tables();
    let mut last_db = String::new();
    let started = Instant::now();
    for (i, (db, t, rows)) in tables.iter().enumerate() {
        if *db != last_db {
            c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
            c.query_drop(format!("USE `{db}`")).unwrap();
            last_db = db.clone();
        }
        c.query_drop(format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"
        ))
        .unwrap();
        c.query_drop(format!(
            "INSERT INTO {t} SELECT seq, seq FROM {}",
            numbers(mariadb, *rows)
        ))
        .unwrap();
        if i % 2000 == 1999 {
            eprintln!(
                "  port {port}: {} of {} tables seeded ({:.0}s)",
                i + 1,
                tables.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    for stmt in [
        format!("CREATE DATABASE IF NOT EXISTS `{marker}`"),
        format!("DROP TABLE IF EXISTS `{marker}`.done"),
        format!("CREATE TABLE `{marker}`.done (n BIGINT)"),
        format!("INSERT INTO `{marker}`.done VALUES ({})", shape.total()),
    ] {
        c.query_drop(stmt).unwrap();
    }
}

/// A derived table of the numbers 1 to `n` in column `seq`: MariaDB's
/// sequence engine, or a recursive CTE on MySQL.
pub(crate) fn numbers(mariadb: bool, n: u32) -> String {
    if mariadb {
        return format!("seq_1_to_{n}");
    }
    format!(
        "(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < {n}) \
         SELECT seq FROM s) AS numbers"
    )
}

pub(crate) fn seed(pair: &Pair, ports: &[u16], shape: &Shape) {
    let started = Instant::now();
    std::thread::scope(|s| {
        for port in ports {
            s.spawn(|| seed_server(pair, *port, shape));
        }
    });
    eprintln!(
        "{}: seeded in {:.0}s",
        shape.name,
        started.elapsed().as_secs_f64()
    );
}

/// Rows the server has read so far, by all sessions: index and table scans.
pub(crate) fn rows_read(pair: &Pair, port: u16) -> u64 {
    let status: Vec<(String, u64)> = pair
        .monitor(port)
        .query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_rnd_next')")
        .unwrap();
    status.iter().map(|(_, n)| n).sum()
}
