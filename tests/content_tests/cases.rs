//! The seeded content differences, each in a table of its own, and the
//! helpers that make and read them.

use support::*;

/// One case of the seeded comparison: a table, what is done to it on the
/// replica alone, and the key values that must be named.
pub(crate) struct Case {
    pub(crate) table: &'static str,
    pub(crate) drift: &'static str,
    pub(crate) keys: &'static str,
}

/// The seeded content differences, a column boundary and a table without
/// a key among them, each in a table of its own. The rows of c2 and of
/// c3 are of equal length (their DOUBLEs are 2 and 4, 5 and 6): the same
/// change to both is what CRC32 under XOR cancels.
pub(crate) const CASES: &[Case] = &[
    Case {
        table: "c1_value_changed",
        drift: "UPDATE {t} SET s = 'value-x0010' WHERE id = 10",
        keys: "id=10",
    },
    Case {
        table: "c2_same_change_two_rows",
        drift: "UPDATE {t} SET s = CONCAT('W', SUBSTR(s, 2)) WHERE id IN (14, 28)",
        keys: "id=14; id=28",
    },
    Case {
        table: "c3_values_swapped",
        drift: "UPDATE {t} SET s = CASE id WHEN 35 THEN 'value-00042' ELSE 'value-00035' END \
                WHERE id IN (35, 42)",
        keys: "id=35; id=42",
    },
    Case {
        table: "c4_null_to_empty",
        drift: "UPDATE {t} SET n = '' WHERE id = 40",
        keys: "id=40",
    },
    Case {
        table: "c5_double_last_digit",
        drift: "UPDATE {t} SET d = 0.3e0 WHERE id = 50",
        keys: "id=50",
    },
    Case {
        table: "c6_deleted_and_inserted",
        drift: "DELETE FROM {t} WHERE id = 60; \
                INSERT INTO {t} (id, s, n, d, ts, dt, b) SELECT 1000, s, n, d, ts, dt, b FROM {t} WHERE id = 61",
        keys: "id=1000; id=60",
    },
    Case {
        table: "c7_timestamp_changed",
        drift: "UPDATE {t} SET ts = ts + INTERVAL 1 SECOND WHERE id = 70",
        keys: "id=70",
    },
    Case {
        table: "c8_blob_middle_changed",
        drift: "UPDATE {t} SET b = INSERT(b, 500, 1, 'X') WHERE id = 80",
        keys: "id=80",
    },
    Case {
        table: "c9_column_boundaries",
        drift: "UPDATE {t} SET s = 'value-0000', n = '9' WHERE id = 9",
        keys: "id=9",
    },
];

/// 200 rows of every kind the cases change. Row 50's DOUBLE is
/// 0.30000000000000004; row 9's (s, n) is ('value-00009', NULL), which c9
/// makes ('value-0000', '9'): the same characters, one moved across the
/// column boundary (and NULL, which a plain CONCAT_WS skips, filled).
pub(crate) fn kinds(t: &str, key: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {t} (id INT NOT NULL{key}, s VARCHAR(40), n VARCHAR(20) NULL, d DOUBLE, \
             ts TIMESTAMP(6) NULL DEFAULT NULL, dt DATETIME(6), b BLOB, \
             twice INT AS (id * 2) VIRTUAL) ENGINE=InnoDB"
        ),
        format!(
            "INSERT INTO {t} (id, s, n, d, ts, dt, b) SELECT seq, CONCAT('value-', LPAD(seq, 5, '0')), \
             NULL, seq / 7e0, TIMESTAMP('2026-03-29 00:30:00') + INTERVAL seq MINUTE, \
             TIMESTAMP('2026-10-25 01:30:00.123456') + INTERVAL seq SECOND, \
             REPEAT(CHAR(65 + seq % 26), 1000) FROM {}",
            numbers(200)
        ),
        format!("UPDATE {t} SET d = 0.1e0 + 0.2e0 WHERE id = 50"),
    ]
}

/// Creates `db` and makes it the current one (with room for the MySQL
/// numbers table's recursion).
pub(crate) fn database(db: &str) -> Vec<String> {
    let mut sql = vec![format!("CREATE DATABASE `{db}`"), format!("USE `{db}`")];
    if flavor() == Flavor::MySql {
        sql.push("SET SESSION cte_max_recursion_depth = 100000".into());
    }
    sql
}

/// The seeded tables in `db` (with `unchanged` and `no_key`), replicated.
pub(crate) fn seed_cases(db: &str) {
    let mut sql = database(db);
    for c in CASES.iter().map(|c| c.table).chain(["unchanged"]) {
        sql.extend(kinds(&format!("`{db}`.{c}"), " PRIMARY KEY"));
    }
    sql.extend(kinds(&format!("`{db}`.no_key"), ""));
    replicated(&sql);
}

pub(crate) fn drift_cases(db: &str) {
    let mut sql: Vec<String> = Vec::new();
    for c in CASES {
        let t = format!("`{db}`.{}", c.table);
        sql.extend(c.drift.replace("{t}", &t).split("; ").map(str::to_string));
    }
    sql.push(format!(
        "UPDATE `{db}`.no_key SET s = 'changed' WHERE id = 5"
    ));
    let refs: Vec<&str> = sql.iter().map(String::as_str).collect();
    on_replica_only(&refs);
}

/// The finding line of `table`, if any.
pub(crate) fn finding<'a>(run: &'a Run, db: &str, table: &str) -> Option<&'a str> {
    let head = format!("{db}.{table}: ");
    run.stdout.lines().find(|l| l.starts_with(&head))
}
