use super::*;

fn col(name: &str, data_type: &str, collation: Option<&str>) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        collation: collation.map(str::to_string),
    }
}

fn shape(key: Option<Vec<usize>>) -> Shape {
    Shape {
        columns: vec![
            col("a", "int", None),
            col("b`x", "varchar", Some("utf8mb4_general_ci")),
            col("f", "float", None),
            col("doc", "longblob", None),
        ],
        key,
        signature: String::new(),
    }
}

fn bound(s: &Shape, values: &[&str]) -> Bound {
    let v: Vec<Vec<u8>> = values.iter().map(|v| v.as_bytes().to_vec()).collect();
    Bound::new(s, &v)
}

/// Every value is `LENGTH:bytes` or `N` (no length starts with N), large
/// ones their own SHA1: `('a','bc')` and `('ab','c')`, NULL and '' all
/// encode differently. FLOAT is widened to DOUBLE (exact text).
#[test]
fn the_row_encoding_is_unambiguous() {
    let sql = row_hash(&shape(None), HashFn::Sha1);
    assert_eq!(
        sql,
        "SHA1(CONCAT(\
         IFNULL(CONCAT(LENGTH(CAST(`a` AS BINARY)),':',CAST(`a` AS BINARY)),'N'),\
         IFNULL(CONCAT(LENGTH(CAST(`b``x` AS BINARY)),':',CAST(`b``x` AS BINARY)),'N'),\
         IFNULL(CONCAT(LENGTH(CAST((`f` + 0e0) AS BINARY)),':',CAST((`f` + 0e0) AS BINARY)),'N'),\
         IFNULL(SHA1(CAST(`doc` AS BINARY)),'N')))"
    );
    let mysql = row_hash(&shape(None), HashFn::Sha256);
    assert!(
        mysql.starts_with("SHA2(CONCAT(") && mysql.ends_with(",'N')),256)"),
        "{mysql}"
    );
    assert!(
        mysql.contains("IFNULL(SHA2(CAST(`doc` AS BINARY),256),'N')"),
        "{mysql}"
    );
}

/// Key values become literals that compare as the column does; text that
/// is not a plain number never goes into the SQL as it is.
#[test]
fn literals_compare_as_their_column() {
    let s = shape(Some(vec![0, 1]));
    let b = bound(&s, &["42", "x'y"]);
    assert_eq!(b.literals[0], "42");
    assert_eq!(
        b.literals[1],
        "CONVERT(X'782779' USING utf8mb4) COLLATE utf8mb4_general_ci"
    );
    let sneaky = bound(&s, &["1 OR 1=1", "z"]);
    assert_eq!(
        sneaky.literals[0],
        "CONVERT(X'31204f5220313d31' USING ascii)"
    );
    let bytes = Shape {
        columns: vec![col("k", "varbinary", None)],
        key: Some(vec![0]),
        signature: String::new(),
    };
    assert_eq!(bound(&bytes, &["\u{1}"]).literals, ["X'01'"]);
}

/// A composite key: `(a, b) > (x, y)` spelled out; ranges cut at two
/// bounds are three, the first and last open.
#[test]
fn key_ranges_of_a_composite_key() {
    let s = Shape {
        columns: vec![col("a", "int", None), col("b", "int", None)],
        key: Some(vec![0, 1]),
        signature: String::new(),
    };
    let ranges = KeyRange::cut(vec![bound(&s, &["1", "5"]), bound(&s, &["2", "0"])]);
    assert_eq!(ranges.len(), 3);
    assert_eq!(
        ranges[0].filter(&s),
        " WHERE NOT ((`a` > 1 OR (`a` = 1 AND (`b` > 5))))"
    );
    assert_eq!(
        ranges[1].filter(&s),
        " WHERE (`a` > 1 OR (`a` = 1 AND (`b` > 5))) AND NOT ((`a` > 2 OR (`a` = 2 AND (`b` > 0))))"
    );
    assert_eq!(
        ranges[2].filter(&s),
        " WHERE (`a` > 2 OR (`a` = 2 AND (`b` > 0)))"
    );
    assert_eq!(ranges[1].describe(&s), "(a, b) ((1, 5), (2, 0)]");
    assert_eq!(ranges[2].describe(&s), "(a, b) ((2, 0), ..)");
    assert_eq!(KeyRange::WHOLE.filter(&s), "");
}

#[test]
fn the_next_bound_is_chunk_rows_along_the_key() {
    let s = shape(Some(vec![0]));
    let after = bound(&s, &["7"]);
    assert_eq!(
        next_bound_sql("d", "t", &s, Some(&after), CHUNK_ROWS),
        format!(
            "SELECT `a` FROM `d`.`t` WHERE `a` > 7 ORDER BY `a` LIMIT 1 OFFSET {}",
            CHUNK_ROWS - 1
        )
    );
}

/// Changed rows, and rows on one side only, are the differing keys.
#[test]
fn differing_keys_are_changed_or_one_sided() {
    let rows = |r: &[(&str, &str)]| -> RowHashes {
        r.iter()
            .map(|(k, h)| (vec![k.as_bytes().to_vec()], h.to_string()))
            .collect()
    };
    let p = rows(&[("1", "aa"), ("2", "bb"), ("3", "cc")]);
    let r = rows(&[("1", "aa"), ("2", "bX"), ("4", "dd")]);
    let keys = differing_keys(&p, &r);
    let one = |k: &str| vec![k.as_bytes().to_vec()];
    assert_eq!(keys, vec![one("2"), one("3"), one("4")]);
    assert!(differing_keys(&p, &p).is_empty());
    let s = shape(Some(vec![0]));
    assert_eq!(show_key(&s, &keys[0]), "a=2");
}

#[test]
fn ranges_that_differ_are_named_by_index() {
    let d = |n: u64| Digest::Strong {
        rows: n,
        sum: n.to_string(),
    };
    let p = SideContent {
        digests: vec![d(1), d(2), d(3)],
    };
    let r = SideContent {
        digests: vec![d(1), d(5), d(3)],
    };
    assert_eq!(differing(&p, &r), [1]);
    assert!(differing(&p, &p).is_empty());
    assert_ne!(
        Digest::Fast(7),
        Digest::Strong {
            rows: 7,
            sum: "7".into()
        }
    );
}

/// Binary keys, and values that are not printable text, are shown in hex:
/// as bytes they would print as U+FFFD, spaces or line breaks.
#[test]
fn keys_that_are_not_text_are_shown_in_hex() {
    let column = |name: &str, data_type: &str| Column {
        name: name.into(),
        data_type: data_type.into(),
        collation: None,
    };
    let s = Shape {
        columns: vec![column("k", "varbinary"), column("t", "varchar")],
        key: Some(vec![0, 1]),
        signature: String::new(),
    };
    let key = |k: &[u8], t: &[u8]| show_key(&s, &[k.to_vec(), t.to_vec()]);
    assert_eq!(key(&[0xFF; 4], b"a"), "k=0xFFFFFFFF, t=a");
    assert_eq!(key(&[0; 4], b"b"), "k=0x00000000, t=b");
    assert_eq!(key(b"|\n;\0", b"c"), "k=0x7C0A3B00, t=c");
    // Binary even when it reads as text: the bytes are what a DBA types.
    assert_eq!(key(b"AB", b"d"), "k=0x4142, t=d");
    assert_eq!(key(b"x", &[0xC3, 0x28]), "k=0x78, t=0xC328");
    assert_eq!(key(b"x", b"tab\there"), "k=0x78, t=0x7461620968657265");
    assert_eq!(key(b"x", "ü ok".as_bytes()), "k=0x78, t=ü ok");
}

/// A column on one side only is left out of the hash, and named; the key
/// survives when its columns are on both sides.
#[test]
fn the_common_columns_of_two_definitions() {
    let primary = shape(Some(vec![0]));
    let mut replica = shape(Some(vec![0]));
    replica.columns.remove(2);
    replica.columns.push(col("extra", "int", None));
    let (common, left_out) = primary.common(&replica);
    let names: Vec<&str> = common.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b`x", "doc"]);
    assert_eq!(common.key, Some(vec![0]));
    assert_eq!(left_out, ["f", "extra"]);
    let (same, none) = primary.common(&primary);
    assert_eq!(same, primary);
    assert!(none.is_empty());
    // The key's column on one side only: no key, hashed whole.
    let mut keyless = shape(Some(vec![0]));
    keyless.columns.remove(0);
    assert_eq!(primary.common(&keyless).0.key, None);
}
