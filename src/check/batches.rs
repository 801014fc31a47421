//! Counting statements: tables, biggest first, cut into batches, and which
//! replica needs which table of a batch.

use super::plan::Table;
use crate::model::{Key, ReplicaId};

/// Tables per counting statement, and the estimated rows past which a table
/// gets a statement of its own.
const BATCH_TABLES: usize = 200;
const BATCH_ROWS: u64 = 200_000;

/// Splits tables, biggest first, into counting statements: a big table
/// alone, small ones many to a statement.
pub(super) fn batches<'a>(tables: &[&'a Table]) -> Vec<Vec<&'a Table>> {
    let mut out: Vec<Vec<&Table>> = Vec::new();
    let mut cur: Vec<&Table> = Vec::new();
    let mut rows = 0u64;
    for &t in tables {
        if !cur.is_empty() && (cur.len() >= BATCH_TABLES || rows + t.estimated_rows > BATCH_ROWS) {
            out.push(std::mem::take(&mut cur));
            rows = 0;
        }
        cur.push(t);
        rows += t.estimated_rows;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(super) fn keys<'a>(batch: &[&'a Table]) -> Vec<&'a Key> {
    batch.iter().map(|t| &t.key).collect()
}

/// The tables of `batch` that `replica` needs.
pub(super) fn wanted<'a>(batch: &[&'a Table], replica: ReplicaId) -> Vec<&'a Key> {
    batch
        .iter()
        .filter(|t| t.wanted_by.contains(&replica))
        .map(|t| &t.key)
        .collect()
}

/// The replicas that need some table of `batch`.
pub(super) fn wanting(batch: &[&Table]) -> Vec<ReplicaId> {
    let mut all: Vec<ReplicaId> = batch
        .iter()
        .flat_map(|t| t.wanted_by.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(n: usize) -> Vec<ReplicaId> {
        ReplicaId::all(n).collect()
    }

    fn t(name: &str, rows: u64) -> Table {
        Table {
            key: Key::table("d".into(), name),
            transactional: true,
            estimated_rows: rows,
            shape: None,
            wanted_by: replicas(1),
            content: None,
            ranges: None,
        }
    }

    #[test]
    fn big_tables_alone_small_ones_together() {
        let tables = [
            t("huge", 5_000_000),
            t("big", 150_000),
            t("s1", 10),
            t("s2", 10),
        ];
        let names: Vec<Vec<&str>> = batches(&tables.iter().collect::<Vec<_>>())
            .iter()
            .map(|b| b.iter().map(|t| t.key.table_name().unwrap()).collect())
            .collect();
        assert_eq!(names, vec![vec!["huge"], vec!["big", "s1", "s2"]]);
        let many: Vec<Table> = (0..450).map(|i| t(&i.to_string(), 1)).collect();
        let many: Vec<&Table> = many.iter().collect();
        let sizes: Vec<usize> = batches(&many).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
    }

    #[test]
    fn each_replica_counts_what_it_needs() {
        let r = replicas(4);
        let mut a = t("a", 1);
        a.wanted_by = vec![r[0], r[2]];
        let mut b = t("b", 1);
        b.wanted_by = vec![r[1]];
        let batch = vec![&a, &b];
        let names =
            |keys: Vec<&Key>| -> Vec<String> { keys.iter().map(|k| k.to_string()).collect() };
        assert_eq!(names(wanted(&batch, r[0])), ["d.a"]);
        assert_eq!(names(wanted(&batch, r[1])), ["d.b"]);
        assert_eq!(names(wanted(&batch, r[3])), Vec::<String>::new());
        assert_eq!(wanting(&batch), [r[0], r[1], r[2]]);
    }
}
