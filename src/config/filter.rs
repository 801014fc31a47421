//! Which databases and tables are compared.

use anyhow::{Context, Result};
use regex::Regex;

/// Schemas of the server itself: left out unless an `--include-db` pattern
/// names them in full.
pub const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

/// Tables of the `mysql` schema that differ between servers by nature
/// (replication positions, statistics, logs): left out unless an
/// `--include-table` pattern names them in full. `gtid_slave_pos` also
/// stands for its per-engine copies (`gtid_slave_pos_InnoDB`...).
pub const PER_SERVER_TABLES: [&str; 13] = [
    "gtid_slave_pos",
    "gtid_executed",
    "innodb_table_stats",
    "innodb_index_stats",
    "table_stats",
    "column_stats",
    "index_stats",
    "general_log",
    "slow_log",
    "transaction_registry",
    "slave_master_info",
    "slave_relay_log_info",
    "slave_worker_info",
];

fn per_server(db: &str, table: &str) -> bool {
    db.eq_ignore_ascii_case("mysql")
        && (PER_SERVER_TABLES
            .iter()
            .any(|t| t.eq_ignore_ascii_case(table))
            || table.to_ascii_lowercase().starts_with("gtid_slave_pos_"))
}

/// `pattern` matches the whole of `name`, not just a part.
fn in_full(pattern: &Regex, name: &str) -> bool {
    pattern
        .find(name)
        .is_some_and(|m| m.start() == 0 && m.end() == name.len())
}

#[derive(Debug, Default)]
pub struct Filter {
    include_db: Vec<Regex>,
    exclude_db: Vec<Regex>,
    include_table: Vec<Regex>,
    exclude_table: Vec<Regex>,
}

fn compile(option: &str, patterns: &[String]) -> Result<Vec<Regex>> {
    patterns
        .iter()
        .map(|p| {
            Regex::new(p)
                .with_context(|| format!("invalid regular expression for --{option} '{p}'"))
        })
        .map(|r| r.map_err(|e| anyhow::anyhow!("{}", one_line(&format!("{e:#}")))))
        .collect()
}

/// regex's errors span several lines with a caret diagram; a plugin answers in one.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Filter {
    pub fn new(
        include_db: &[String],
        exclude_db: &[String],
        include_table: &[String],
        exclude_table: &[String],
    ) -> Result<Filter> {
        Ok(Filter {
            include_db: compile("include-db", include_db)?,
            exclude_db: compile("exclude-db", exclude_db)?,
            include_table: compile("include-table", include_table)?,
            exclude_table: compile("exclude-table", exclude_table)?,
        })
    }

    pub fn database(&self, db: &str) -> bool {
        if SYSTEM_SCHEMAS.iter().any(|s| s.eq_ignore_ascii_case(db)) {
            let named = self.include_db.iter().any(|r| in_full(r, db));
            if !named {
                return false;
            }
        } else if !self.include_db.is_empty() && !self.include_db.iter().any(|r| r.is_match(db)) {
            return false;
        }
        !self.exclude_db.iter().any(|r| r.is_match(db))
    }

    pub fn table(&self, db: &str, table: &str) -> bool {
        if !self.database(db) {
            return false;
        }
        let full = format!("{db}.{table}");
        if per_server(db, table) && !self.include_table.iter().any(|r| in_full(r, &full)) {
            return false;
        }
        (self.include_table.is_empty() || self.include_table.iter().any(|r| r.is_match(&full)))
            && !self.exclude_table.iter().any(|r| r.is_match(&full))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(inc_db: &[&str], exc_db: &[&str], inc_t: &[&str], exc_t: &[&str]) -> Filter {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Filter::new(&v(inc_db), &v(exc_db), &v(inc_t), &v(exc_t)).unwrap()
    }

    #[test]
    fn system_schemas_only_by_full_name() {
        let none = f(&[], &[], &[], &[]);
        assert!(!none.database("mysql") && !none.database("sys") && none.database("app"));
        assert!(!f(&["my"], &[], &[], &[]).database("mysql"));
        assert!(f(&["mysql"], &[], &[], &[]).database("mysql"));
        assert!(f(&["^(mysql|app)$"], &[], &[], &[]).database("mysql"));
    }

    #[test]
    fn per_server_tables_only_when_named_in_full() {
        let mysql = f(&["^mysql$"], &[], &[], &[]);
        assert!(mysql.table("mysql", "db") && mysql.table("mysql", "tables_priv"));
        for t in [
            "gtid_slave_pos",
            "gtid_slave_pos_InnoDB",
            "innodb_table_stats",
            "slow_log",
        ] {
            assert!(!mysql.table("mysql", t), "{t}");
        }
        let named = f(&["^mysql$"], &[], &[r"^mysql\.gtid_slave_pos$"], &[]);
        assert!(named.table("mysql", "gtid_slave_pos") && !named.table("mysql", "db"));
        assert!(!f(&["^mysql$"], &[], &["gtid"], &[]).table("mysql", "gtid_slave_pos"));
        // Only in the mysql schema.
        assert!(f(&[], &[], &[], &[]).table("app", "slow_log"));
    }

    #[test]
    fn include_exclude() {
        let x = f(&["^shop"], &["_test$"], &[], &[r"\.tmp_"]);
        assert!(x.database("shop_eu") && !x.database("shop_test") && !x.database("blog"));
        assert!(x.table("shop_eu", "orders") && !x.table("shop_eu", "tmp_x"));
        let t = f(&[], &[], &[r"^app\.(a|b)$"], &[]);
        assert!(t.table("app", "a") && !t.table("app", "c") && !t.table("other", "a"));
    }

    #[test]
    fn unicode_names() {
        let x = f(&["^données"], &[], &["résumé"], &[]);
        assert!(x.table("données 1", "résumé`s"));
    }

    #[test]
    fn bad_regex_is_one_line() {
        let e = Filter::new(&["(".into()], &[], &[], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid regular expression for --include-db '('"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}
