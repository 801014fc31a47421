//! SQL text the server module sends, built without I/O.

use crate::model::Key;
use crate::rowhash::table_name;

/// A string literal whatever the sql_mode (no reliance on backslash
/// escapes): `CONVERT(X'..' USING utf8mb4)`.
pub(super) fn string_literal(s: &str) -> String {
    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
    format!("CONVERT(X'{hex}' USING utf8mb4)")
}

/// Opens a snapshot; it also ends the transaction before (read-only:
/// nothing to commit).
pub(super) const START_SNAPSHOT: &str = "START TRANSACTION WITH CONSISTENT SNAPSHOT";

/// The replica's applied position, one row per domain: inside a snapshot,
/// the position of that snapshot, since the table is written in the same
/// transaction as the replicated changes.
pub(super) const APPLIED_POSITION: &str =
    "SELECT g.domain_id, g.server_id, g.seq_no FROM mysql.gtid_slave_pos g \
     JOIN (SELECT domain_id, MAX(sub_id) AS sub_id FROM mysql.gtid_slave_pos GROUP BY domain_id) m \
     USING (domain_id, sub_id)";

/// MySQL's executed GTID set.
pub(super) const EXECUTED: &str = "SELECT @@GLOBAL.gtid_executed";

/// `db`.`table`, quoted.
pub(super) fn qualified(key: &Key) -> String {
    table_name(key.db(), key.table_name().unwrap_or_default())
}

pub(super) fn count_sql(tables: &[&Key]) -> String {
    let mut sql = String::with_capacity(tables.len() * 64);
    for (i, k) in tables.iter().enumerate() {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(&format!("SELECT {i}, COUNT(*) FROM {}", qualified(k)));
    }
    sql
}

/// ` WHERE col IN (...)` (or ` AND ...` after a WHERE), or nothing.
pub(super) fn within(only: Option<&str>, joiner: &str, col: &str) -> String {
    only.map_or(String::new(), |n| format!(" {joiner} {col} IN ({n})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rowhash::quote;

    #[test]
    fn quoting_doubles_backticks() {
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(quote("sp ace-ü"), "`sp ace-ü`");
    }

    #[test]
    fn literals_are_hex() {
        assert_eq!(string_literal("a'b"), "CONVERT(X'612762' USING utf8mb4)");
    }

    #[test]
    fn batched_sql() {
        let a = Key::table("d".into(), "t`1");
        let b = Key::table("e f".into(), "g");
        assert_eq!(
            count_sql(&[&a, &b]),
            "SELECT 0, COUNT(*) FROM `d`.`t``1` UNION ALL SELECT 1, COUNT(*) FROM `e f`.`g`"
        );
    }
}
