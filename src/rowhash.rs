//! Content comparison (`--checksum`): what a table's rows hash to, how
//! the rows are cut into key ranges, and where two sides' hashes differ.
//! Pure: the SQL text is built here and run by `snapshot::content`.
//!
//! The hash of a row is SHA1 (SHA-256 on MySQL) over an unambiguous encoding of its stored
//! columns: each value as `LENGTH:bytes` (NULL as `N`, which no length
//! starts with), large values (BLOB, TEXT, JSON, spatial) as their own
//! hash. A range of rows hashes to its row count and the exact sum of the
//! first 64 bits of its rows' hashes: a sum of a non-linear hash, so that
//! the same change made to two rows does not cancel as CRC32 under XOR
//! does, and ranges add up to the table.

use std::collections::HashMap;
use std::fmt;

/// Rows per key range: a range hashes in about 0.05 s (SHA1 at about
/// 2.6 µs a row on the test machine).
pub(crate) const CHUNK_ROWS: u64 = 20_000;
/// Differing key ranges narrowed down to rows, per table.
pub(crate) const NARROWED_RANGES: usize = 4;
/// Differing key values kept per table.
pub(crate) const KEYS_KEPT: usize = 100;

/// A stored column, as the hash reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    /// `information_schema.COLUMNS.DATA_TYPE`, lower case.
    pub(crate) data_type: String,
    /// Its collation, for string columns (key ranges compare in it).
    pub(crate) collation: Option<String>,
}

/// How a value is encoded for the row hash, and written as a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Numbers with an exact decimal text (integers, DECIMAL, DOUBLE's
    /// shortest round-trip text).
    Number,
    /// FLOAT: widened to DOUBLE first, so that its text is exact too.
    Float,
    /// Character strings: compared in their collation.
    Text,
    /// Bytes (BINARY, VARBINARY, BIT).
    Bytes,
    /// Hashed on their own: BLOB, TEXT, JSON, spatial.
    Large,
    /// Dates and times, ENUM, SET...: their text.
    Other,
}

fn class(data_type: &str) -> Class {
    match data_type {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal"
        | "numeric" | "double" | "real" | "year" => Class::Number,
        "float" => Class::Float,
        "char" | "varchar" => Class::Text,
        "binary" | "varbinary" | "bit" => Class::Bytes,
        t if t.ends_with("blob") || t.ends_with("text") => Class::Large,
        "json" | "geometry" | "point" | "linestring" | "polygon" | "multipoint"
        | "multilinestring" | "multipolygon" | "geometrycollection" | "geomcollection"
        | "vector" => Class::Large,
        _ => Class::Other,
    }
}

/// What the plugin knows of a table's definition on one side.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Shape {
    /// Stored columns (generated virtual ones left out), in order.
    pub(crate) columns: Vec<Column>,
    /// The primary key, or a unique key of NOT NULL columns: indexes into
    /// `columns`. `None`: the table is hashed whole only.
    pub(crate) key: Option<Vec<usize>>,
    /// Everything `CHECKSUM TABLE`'s value depends on besides the data:
    /// engine, row format, every column's full type. Equal on both sides
    /// (and equal server versions) before that fast path is used.
    pub(crate) signature: String,
}

pub(crate) fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A column's value as bytes that do not depend on the session's
/// character set (the time zone is set to UTC by the session).
fn value_expr(c: &Column) -> String {
    let q = quote(&c.name);
    match class(&c.data_type) {
        Class::Float => format!("CAST(({q} + 0e0) AS BINARY)"),
        _ => format!("CAST({q} AS BINARY)"),
    }
}

/// The hash function: SHA1 where the server has it (MariaDB), SHA-256
/// where it does not (MySQL 9 has no SHA1 nor MD5 any more). Both sides
/// of a comparison are of one flavor, so they use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashFn {
    Sha1,
    Sha256,
}

impl HashFn {
    fn of(self, expr: &str) -> String {
        match self {
            HashFn::Sha1 => format!("SHA1({expr})"),
            HashFn::Sha256 => format!("SHA2({expr},256)"),
        }
    }
}

/// One column's part of the row encoding.
fn encoded(c: &Column, f: HashFn) -> String {
    let v = value_expr(c);
    match class(&c.data_type) {
        Class::Large => format!("IFNULL({},'N')", f.of(&v)),
        _ => format!("IFNULL(CONCAT(LENGTH({v}),':',{v}),'N')"),
    }
}

/// The row's hash, in hex.
pub(crate) fn row_hash(shape: &Shape, f: HashFn) -> String {
    let parts: Vec<String> = shape.columns.iter().map(|c| encoded(c, f)).collect();
    f.of(&format!("CONCAT({})", parts.join(",")))
}

/// `db`.`table`.
pub(crate) fn table_name(db: &str, table: &str) -> String {
    format!("{}.{}", quote(db), quote(table))
}

/// One boundary of key ranges: a key value, as SQL literals and as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bound {
    literals: Vec<String>,
    pub(crate) shown: Vec<String>,
    /// The key value as read, one entry per key column: what a state file
    /// keeps (never SQL text, which it would have to trust).
    pub(crate) values: Vec<Vec<u8>>,
}

/// A literal for a key value read as text-protocol bytes, compared as the
/// column compares (a string in its collation, a number as a number).
fn literal(c: &Column, bytes: &[u8]) -> String {
    let plain_number = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(b));
    match (class(&c.data_type), &c.collation) {
        (Class::Number | Class::Float, _) if plain_number => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        (Class::Text | Class::Large, Some(coll)) => {
            let charset = coll.split('_').next().unwrap_or("utf8mb4");
            format!("CONVERT(X'{}' USING {charset}) COLLATE {coll}", hex(bytes))
        }
        (Class::Bytes | Class::Large, _) => format!("X'{}'", hex(bytes)),
        _ => format!("CONVERT(X'{}' USING ascii)", hex(bytes)),
    }
}

impl Bound {
    /// The key value of `shape` read as `values` (one per key column).
    pub(crate) fn new(shape: &Shape, values: &[Vec<u8>]) -> Bound {
        let key = shape.key.as_deref().unwrap_or_default();
        let literals = key
            .iter()
            .zip(values)
            .map(|(&i, v)| literal(&shape.columns[i], v))
            .collect();
        let shown = values
            .iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        Bound {
            literals,
            shown,
            values: values.to_vec(),
        }
    }
}

/// Rows whose key is past `b`: `(a > x) OR (a = x AND (b > y))`, spelled
/// out so that every version uses the index.
fn past(shape: &Shape, b: &Bound) -> String {
    let key = shape.key.as_deref().unwrap_or_default();
    let mut expr = String::new();
    for (n, (&i, lit)) in key.iter().zip(&b.literals).enumerate().rev() {
        let col = quote(&shape.columns[i].name);
        expr = if n + 1 == key.len() {
            format!("{col} > {lit}")
        } else {
            format!("({col} > {lit} OR ({col} = {lit} AND ({expr})))")
        };
    }
    expr
}

/// A key range: the rows past `after` up to `upto` (both ends optional).
/// Ranges cut at one list of bounds cover every row, whatever order the
/// comparisons use, and both sides read the same predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub(crate) after: Option<Bound>,
    pub(crate) upto: Option<Bound>,
}

impl KeyRange {
    pub(crate) const WHOLE: KeyRange = KeyRange {
        after: None,
        upto: None,
    };

    /// The ranges between consecutive `bounds`, and before and after them.
    pub(crate) fn cut(bounds: Vec<Bound>) -> Vec<KeyRange> {
        let mut out = Vec::with_capacity(bounds.len() + 1);
        let mut after = None;
        for b in bounds {
            out.push(KeyRange {
                after: after.take(),
                upto: Some(b.clone()),
            });
            after = Some(b);
        }
        out.push(KeyRange { after, upto: None });
        out
    }

    /// ` WHERE ...`, or nothing for the whole table.
    pub(crate) fn filter(&self, shape: &Shape) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.after {
            parts.push(past(shape, a));
        }
        if let Some(u) = &self.upto {
            parts.push(format!("NOT ({})", past(shape, u)));
        }
        match parts.is_empty() {
            true => String::new(),
            false => format!(" WHERE {}", parts.join(" AND ")),
        }
    }

    /// The predicate of a row past the range's end (`None`: it has none).
    pub(crate) fn past_end(&self, shape: &Shape) -> Option<String> {
        self.upto.as_ref().map(|u| past(shape, u))
    }

    /// `id (100, 200]`, `(a, b) (.., (1, x)]`.
    pub(crate) fn describe(&self, shape: &Shape) -> String {
        let key = shape.key.as_deref().unwrap_or_default();
        let names: Vec<&str> = key
            .iter()
            .map(|&i| shape.columns[i].name.as_str())
            .collect();
        let tuple = |v: &[String]| match v {
            [one] => one.clone(),
            many => format!("({})", many.join(", ")),
        };
        let cols = tuple(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let lo = self.after.as_ref().map_or("..".into(), |b| tuple(&b.shown));
        match &self.upto {
            Some(u) => format!("{cols} ({lo}, {}]", tuple(&u.shown)),
            None => format!("{cols} ({lo}, ..)"),
        }
    }
}

/// The quoted key columns of `shape`.
pub(crate) fn key_columns(shape: &Shape) -> Vec<String> {
    let key = shape.key.as_deref().unwrap_or_default();
    key.iter().map(|&i| quote(&shape.columns[i].name)).collect()
}

/// The next bound on the primary: the key `rows` rows past `after` (the
/// range up to it then holds exactly `rows` rows).
pub(crate) fn next_bound_sql(
    db: &str,
    table: &str,
    shape: &Shape,
    after: Option<&Bound>,
    rows: u64,
) -> String {
    let range = KeyRange {
        after: after.cloned(),
        upto: None,
    };
    format!(
        "SELECT {c} FROM {t}{w} ORDER BY {c} LIMIT 1 OFFSET {o}",
        c = key_columns(shape).join(", "),
        t = table_name(db, table),
        w = range.filter(shape),
        o = rows.max(1) - 1
    )
}

/// One statement hashing every range: `SELECT i, COUNT(*), SUM(..)` per
/// range, `UNION ALL`.
pub(crate) fn ranges_sql(
    db: &str,
    table: &str,
    shape: &Shape,
    ranges: &[KeyRange],
    f: HashFn,
) -> String {
    let name = table_name(db, table);
    let hash = row_hash(shape, f);
    let parts: Vec<String> = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "SELECT {i}, COUNT(*), COALESCE(SUM(CAST(CONV(LEFT({hash},16),16,10) AS UNSIGNED)),0) \
                 FROM {name}{}",
                r.filter(shape)
            )
        })
        .collect();
    parts.join(" UNION ALL ")
}

/// Every row of a range with its hash: the key values, then the hash.
pub(crate) fn rows_sql(
    db: &str,
    table: &str,
    shape: &Shape,
    range: &KeyRange,
    f: HashFn,
) -> String {
    format!(
        "SELECT {}, LEFT({},16) FROM {}{}",
        key_columns(shape).join(", "),
        row_hash(shape, f),
        table_name(db, table),
        range.filter(shape)
    )
}

/// What a range of rows hashes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Digest {
    /// `CHECKSUM TABLE`: the server's own per-row CRC32, summed.
    Fast(u64),
    /// The plugin's hash: rows, and the sum of their hashes' first 64 bits.
    Strong { rows: u64, sum: String },
}

/// How a table's content was hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Method {
    /// `CHECKSUM TABLE` on both sides.
    ChecksumTable,
    /// The plugin's row hash, over the whole table.
    Whole,
    /// The plugin's row hash, by key ranges.
    KeyRanges,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::ChecksumTable => "CHECKSUM TABLE",
            Method::Whole => "row hashes, whole table",
            Method::KeyRanges => "row hashes by key range",
        })
    }
}

/// One side's hashes of one table.
impl Shape {
    /// The columns of this shape that `other` has too, in this order, with
    /// the key when all of its columns are among them; and the names of the
    /// columns on one side only (this one's, then `other`'s).
    pub(crate) fn common(&self, other: &Shape) -> (Shape, Vec<String>) {
        let has = |s: &Shape, name: &str| s.columns.iter().any(|c| c.name == name);
        let kept: Vec<usize> = (0..self.columns.len())
            .filter(|&i| has(other, &self.columns[i].name))
            .collect();
        let key = self.key.as_ref().and_then(|key| {
            key.iter()
                .map(|k| kept.iter().position(|i| i == k))
                .collect::<Option<Vec<usize>>>()
        });
        let mut left_out: Vec<String> = self
            .columns
            .iter()
            .filter(|c| !has(other, &c.name))
            .map(|c| c.name.clone())
            .collect();
        left_out.extend(
            other
                .columns
                .iter()
                .filter(|c| !has(self, &c.name))
                .map(|c| c.name.clone()),
        );
        let shape = Shape {
            columns: kept.iter().map(|&i| self.columns[i].clone()).collect(),
            key,
            signature: self.signature.clone(),
        };
        (shape, left_out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SideContent {
    /// One digest per range of the plan (one for a whole table).
    pub(crate) digests: Vec<Digest>,
}

/// Rows of one range, by their key values' bytes, with their hash.
pub(crate) type RowHashes = HashMap<Vec<Vec<u8>>, String>;

/// Where a table's content differs, as far as it was narrowed down.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub(crate) struct Located {
    /// Key ranges whose hashes differ, described.
    pub(crate) ranges: Vec<String>,
    /// Key values whose rows differ or are on one side only (up to
    /// `KEYS_KEPT`), as `col=value` lists.
    pub(crate) keys: Vec<String>,
    /// How many differing key values were found in all.
    pub(crate) keys_found: usize,
    /// The table has no primary or NOT NULL unique key: not located.
    pub(crate) no_key: bool,
}

/// The content of one table on both sides, at one snapshot set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ContentReading {
    pub(crate) method: Method,
    pub(crate) same: bool,
    /// Where it differs, when it does and was located.
    pub(crate) located: Option<Located>,
    /// Columns not on both sides, left out of the comparison.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) left_out: Vec<String>,
}

/// The indexes of the ranges whose digests differ.
pub(crate) fn differing(primary: &SideContent, replica: &SideContent) -> Vec<usize> {
    let n = primary.digests.len().max(replica.digests.len());
    (0..n)
        .filter(|&i| primary.digests.get(i) != replica.digests.get(i))
        .collect()
}

/// The key values whose rows differ between two listings of one range,
/// sorted.
pub(crate) fn differing_keys(primary: &RowHashes, replica: &RowHashes) -> Vec<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<Vec<u8>>> = primary
        .iter()
        .filter(|(k, h)| replica.get(*k) != Some(h))
        .map(|(k, _)| k.clone())
        .chain(
            replica
                .keys()
                .filter(|k| !primary.contains_key(*k))
                .cloned(),
        )
        .collect();
    out.sort();
    out
}

/// `id=5` or `a=1, b=x`; binary values, and values that are not
/// printable text, in hex (`k=0x7C0A3B00`), so that a DBA can find the row.
pub(crate) fn show_key(shape: &Shape, values: &[Vec<u8>]) -> String {
    let key = shape.key.as_deref().unwrap_or_default();
    let parts: Vec<String> = key
        .iter()
        .zip(values)
        .map(|(&i, v)| {
            let c = &shape.columns[i];
            format!("{}={}", c.name, shown_value(c, v))
        })
        .collect();
    parts.join(", ")
}

fn shown_value(column: &Column, bytes: &[u8]) -> String {
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.chars().any(char::is_control));
    match text {
        Some(t) if class(&column.data_type) != Class::Bytes => t.to_string(),
        _ => format!("0x{}", hex(bytes).to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests;
