use super::*;

fn col(name: &str, column_type: &str) -> ColumnDef {
    ColumnDef {
        name: name.into(),
        column_type: column_type.into(),
        nullable: true,
        charset: None,
        collation: None,
        primary: false,
    }
}

fn def(columns: &[ColumnDef]) -> Definition {
    Definition {
        columns: columns.to_vec(),
    }
}

fn text(name: &str, charset: &str, collation: &str) -> ColumnDef {
    ColumnDef {
        charset: Some(charset.into()),
        collation: Some(collation.into()),
        ..col(name, "varchar(20)")
    }
}

fn words(d: &[Difference]) -> Vec<String> {
    d.iter().map(|d| d.to_string()).collect()
}

#[test]
fn the_same_definition_differs_in_nothing() {
    let d = def(&[
        col("id", "int(11)"),
        text("v", "utf8mb4", "utf8mb4_general_ci"),
    ]);
    assert!(compare(&d, &d).is_empty());
}

/// Extra columns at the end of either side: replication copes.
#[test]
fn a_column_at_the_end_of_one_side_copes() {
    let p = def(&[col("id", "int(11)"), col("v", "int(11)")]);
    let r = def(&[
        col("id", "int(11)"),
        col("v", "int(11)"),
        col("extra", "int(11)"),
    ]);
    let d = compare(&p, &r);
    assert_eq!(words(&d), ["column extra (int(11)) on the replica only"]);
    assert_eq!(d[0].severity(), Severity::Copes);
    let d = compare(&r, &p);
    assert_eq!(words(&d), ["column extra (int(11)) on the primary only"]);
    assert_eq!(d[0].severity(), Severity::Copes);
}

/// A column on one side in the middle shifts the positions after it: the
/// replica applies values to the wrong columns.
#[test]
fn a_column_in_the_middle_of_one_side_breaks() {
    let p = def(&[col("id", "int(11)"), col("v", "int(11)")]);
    let r = def(&[
        col("id", "int(11)"),
        col("extra", "int(11)"),
        col("v", "int(11)"),
    ]);
    let d = compare(&p, &r);
    assert_eq!(
        words(&d),
        [
            "column extra (int(11)) on the replica only",
            "column v at position 2 on the primary, 3 on the replica"
        ]
    );
    assert!(d.iter().all(|d| d.severity() == Severity::Breaks));
}

/// Common columns in another order: rows land in the wrong columns.
#[test]
fn common_columns_in_another_order_break() {
    let p = def(&[
        col("id", "int(11)"),
        col("a", "int(11)"),
        col("b", "int(11)"),
    ]);
    let r = def(&[
        col("id", "int(11)"),
        col("b", "int(11)"),
        col("a", "int(11)"),
    ]);
    let d = compare(&p, &r);
    assert_eq!(
        words(&d),
        [
            "column a at position 2 on the primary, 3 on the replica",
            "column b at position 3 on the primary, 2 on the replica"
        ]
    );
    assert!(d.iter().all(|d| d.severity() == Severity::Breaks));
}

#[test]
fn types_and_character_sets_break_collations_and_nulls_cope() {
    let p = def(&[
        col("id", "int(11)"),
        text("v", "utf8mb4", "utf8mb4_general_ci"),
        text("w", "utf8mb4", "utf8mb4_general_ci"),
        col("n", "int(11)"),
    ]);
    let r = def(&[
        col("id", "bigint(20)"),
        text("v", "latin1", "latin1_swedish_ci"),
        text("w", "utf8mb4", "utf8mb4_bin"),
        ColumnDef {
            nullable: false,
            ..col("n", "int(11)")
        },
    ]);
    let d = compare(&p, &r);
    assert_eq!(
        words(&d),
        [
            "column id is int(11) on the primary, bigint(20) on the replica",
            "column v in utf8mb4 on the primary, latin1 on the replica",
            "column w collates utf8mb4_general_ci on the primary, utf8mb4_bin on the replica",
            "column n is NULL on the primary, NOT NULL on the replica"
        ]
    );
    let severities: Vec<Severity> = d.iter().map(Difference::severity).collect();
    use Severity::*;
    assert_eq!(severities, [Breaks, Breaks, Copes, Copes]);
}

#[test]
fn another_primary_key_copes() {
    let key = |c: ColumnDef| ColumnDef { primary: true, ..c };
    let p = def(&[key(col("id", "int(11)")), col("k", "int(11)")]);
    let r = def(&[key(col("id", "int(11)")), key(col("k", "int(11)"))]);
    let d = compare(&p, &r);
    assert_eq!(
        words(&d),
        ["primary key (id) on the primary, (id, k) on the replica"]
    );
    assert_eq!(d[0].severity(), Severity::Copes);
}
