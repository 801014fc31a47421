//! Which databases and tables are compared.

use anyhow::{Context, Result};
use regex::Regex;

/// Schemas of the server itself: left out unless an `--include-db` pattern
/// names them in full.
pub const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

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
            let named = self.include_db.iter().any(|r| {
                r.find(db)
                    .is_some_and(|m| m.start() == 0 && m.end() == db.len())
            });
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
