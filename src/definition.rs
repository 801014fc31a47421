//! Table definitions on both sides, and what their differences mean for
//! replication. Row-based replication maps columns by position: a common
//! column at another position, or of another type or character set, makes
//! the replica misapply rows or stop (CRITICAL); extra columns at the end of
//! either side's table are supported, but the data differs there, and so do
//! nullability, collation and the primary key (WARNING). Extra secondary
//! indexes on a replica are a normal thing (reporting replicas): they are
//! not read at all. Pure: no I/O.

use crate::model::{ColumnAttribute, ColumnDef, Definition, Difference, Role, Severity};
use std::fmt;

impl Difference {
    pub fn severity(&self) -> Severity {
        match self {
            Difference::OnlyOn { at_end: false, .. }
            | Difference::Position { .. }
            | Difference::Value {
                what: ColumnAttribute::Type | ColumnAttribute::Charset,
                ..
            } => Severity::Breaks,
            Difference::OnlyOn { at_end: true, .. }
            | Difference::Value {
                what: ColumnAttribute::Collation,
                ..
            }
            | Difference::Nullability { .. }
            | Difference::PrimaryKey { .. } => Severity::Copes,
        }
    }
}

fn null_words(nullable: bool) -> &'static str {
    match nullable {
        true => "NULL",
        false => "NOT NULL",
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::OnlyOn {
                side,
                column,
                column_type,
                ..
            } => write!(
                f,
                "column {column} ({column_type}) on the {} only",
                side.name()
            ),
            Difference::Position {
                column,
                primary,
                replica,
            } => write!(
                f,
                "column {column} at position {primary} on the primary, {replica} on the replica"
            ),
            Difference::Nullability {
                column,
                primary_nullable,
            } => write!(
                f,
                "column {column} is {} on the primary, {} on the replica",
                null_words(*primary_nullable),
                null_words(!primary_nullable)
            ),
            Difference::PrimaryKey { primary, replica } => write!(
                f,
                "primary key ({}) on the primary, ({}) on the replica",
                primary.join(", "),
                replica.join(", ")
            ),
            Difference::Value {
                column,
                what,
                primary,
                replica,
            } => {
                let how = match what {
                    ColumnAttribute::Type => "is",
                    ColumnAttribute::Charset => "in",
                    ColumnAttribute::Collation => "collates",
                };
                write!(
                    f,
                    "column {column} {how} {primary} on the primary, {replica} on the replica"
                )
            }
        }
    }
}

/// The differences between the primary's definition and a replica's.
pub fn compare(primary: &Definition, replica: &Definition) -> Vec<Difference> {
    let (p, r) = (&primary.columns, &replica.columns);
    let n = p.len().min(r.len());
    let same_prefix = (0..n).all(|i| p[i].name == r[i].name);
    let mut out = one_sided(p, r, Role::Primary, same_prefix);
    out.extend(one_sided(r, p, Role::Replica, same_prefix));
    for (i, pc) in p.iter().enumerate() {
        let Some((j, rc)) = r.iter().enumerate().find(|(_, c)| c.name == pc.name) else {
            continue;
        };
        if !same_prefix && i != j {
            out.push(Difference::Position {
                column: pc.name.clone(),
                primary: i + 1,
                replica: j + 1,
            });
        }
        out.extend(column_differences(pc, rc));
    }
    let key = |cols: &[ColumnDef]| -> Vec<String> {
        cols.iter()
            .filter(|c| c.primary)
            .map(|c| c.name.clone())
            .collect()
    };
    let (pk, rk) = (key(p), key(r));
    if pk != rk {
        out.push(Difference::PrimaryKey {
            primary: pk,
            replica: rk,
        });
    }
    out
}

/// The columns of `these` that `others` lack, as on `side` only.
fn one_sided(
    these: &[ColumnDef],
    others: &[ColumnDef],
    side: Role,
    same_prefix: bool,
) -> Vec<Difference> {
    these
        .iter()
        .enumerate()
        .filter(|(_, c)| !others.iter().any(|o| o.name == c.name))
        .map(|(i, c)| Difference::OnlyOn {
            side,
            column: c.name.clone(),
            column_type: c.column_type.clone(),
            at_end: same_prefix && i >= others.len(),
        })
        .collect()
}

/// What differs between two columns of one name.
fn column_differences(p: &ColumnDef, r: &ColumnDef) -> Vec<Difference> {
    let column = || p.name.clone();
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let mut out = Vec::new();
    if p.column_type != r.column_type {
        out.push(Difference::Value {
            column: column(),
            what: ColumnAttribute::Type,
            primary: p.column_type.clone(),
            replica: r.column_type.clone(),
        });
    }
    if p.charset != r.charset {
        out.push(Difference::Value {
            column: column(),
            what: ColumnAttribute::Charset,
            primary: text(&p.charset),
            replica: text(&r.charset),
        });
    } else if p.collation != r.collation {
        out.push(Difference::Value {
            column: column(),
            what: ColumnAttribute::Collation,
            primary: text(&p.collation),
            replica: text(&r.collation),
        });
    }
    if p.nullable != r.nullable {
        out.push(Difference::Nullability {
            column: column(),
            primary_nullable: p.nullable,
        });
    }
    out
}

#[cfg(test)]
mod tests;
