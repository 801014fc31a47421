//! The renderings of a report.

use super::parts::Report;
use super::wording::{finding, signed, KeyWords};
use super::{number, render};
use crate::cli::OutputFormat;
use crate::model::{Counts, Key};
use crate::plugin::State;
use crate::verdict::{Drifted, Unsettled, Verdict};

#[test]
fn signed_differences() {
    let c = |primary, replica| Counts { primary, replica };
    assert_eq!(signed(&c(1007, 1014)), "+7");
    assert_eq!(signed(&c(10, 3)), "-7");
    assert_eq!(signed(&c(0, 0)), "+0");
}

#[test]
fn a_failure_carries_every_figure_as_null() {
    let r = Report::failure(State::Critical, "cannot connect to primary a:1: refused");
    let answer = render(&r, OutputFormat::Json);
    assert_eq!(answer.state, State::Critical);
    let json: serde_json::Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(json["state"], "CRITICAL");
    assert_eq!(json["code"], 2);
    for field in ["tables", "drifted", "unverified", "replica_ahead", "time"] {
        assert!(json[field].is_null(), "{field}: {json}");
    }
    assert_eq!(json["findings"], serde_json::json!([]));
    assert_eq!(
        number(&r),
        "DRIFT CRITICAL - cannot connect to primary a:1: refused\n"
    );
}

/// Each reason a table is unverified, in words, with its last counts.
#[test]
fn unverified_says_why() {
    let key = Key::table("shop".into(), "orders");
    let last = Some(Counts {
        primary: 7,
        replica: 7,
    });
    let words = |why, positioned| {
        let v = Verdict::Unverified { last, why };
        finding(&key, &v, positioned, KeyWords::Hint).unwrap()
    };
    let tail = " (last counts: primary 7, replica 7)";
    assert_eq!(
        words(Unsettled::ContentLeftOut, true),
        format!(
            "shop.orders: unverified: counts equal at one replication position, content not \
             compared in time{tail}"
        )
    );
    assert_eq!(
        words(Unsettled::ContentLeftOut, false),
        format!("shop.orders: unverified: content not compared: no comparable replication positions{tail}")
    );
    assert_eq!(
        words(Unsettled::DifferedOnce, true),
        format!(
            "shop.orders: unverified: differed at one replication position, not seen again in \
             time{tail}"
        )
    );
    assert_eq!(
        words(Unsettled::NoPosition, true),
        format!("shop.orders: unverified: not counted at one replication position in time{tail}")
    );
    assert_eq!(
        words(Unsettled::UncutContent, true),
        format!(
            "shop.orders: unverified: counts equal at one replication position; no primary key \
             or unique key of NOT NULL columns to hash its content in key ranges, and hashing it \
             whole did not end within --max-snapshot-age or the time left of -t{tail}"
        )
    );
    assert_eq!(
        words(Unsettled::Uncut, true),
        format!(
            "shop.orders: unverified: no primary key or unique key of NOT NULL columns to count \
             it in key ranges, and counting it whole did not end within --max-snapshot-age or \
             the time left of -t{tail}"
        )
    );
}

/// A run that could not tell: `up` 0 and its state, never a healthy 0.
#[test]
fn metrics_of_a_failure_say_the_check_failed() {
    let r = Report::failure(State::Unknown, "invalid arguments: ...");
    let text = render(&r, OutputFormat::Openmetrics).text;
    assert!(text.contains("\ncheck_mysql_drift_up 0\n"), "{text}");
    assert!(text.contains("\ncheck_mysql_drift_state 3\n"), "{text}");
    assert!(!text.contains("replica="), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

/// A run against replica `r:3307`: `shop.or"ders` differs by -3 rows,
/// `shop.items` matches.
fn one_drifted_table() -> Report {
    use crate::compare::Comparison;
    use crate::consistency::{How, Placement};
    use crate::outcome::{Outcome, ReplicaOutcome};
    use clap::Parser;
    let args = [
        "check_mysql_drift",
        "--master",
        "p",
        "--replica",
        "r:3307",
        "-u",
        "m",
    ];
    let cli = crate::cli::Cli::try_parse_from(args).unwrap();
    let cfg = crate::config::Config::resolve(cli, None).unwrap();
    let mut comparison = Comparison::default();
    let drift = Verdict::Drift(Box::new(Drifted {
        counts: Counts {
            primary: 10,
            replica: 7,
        },
        how: How::SamePoint,
        at: None,
        content: None,
        ranges: Vec::new(),
    }));
    comparison
        .verdicts
        .insert(Key::table("shop".into(), "or\"ders"), drift);
    comparison.verdicts.insert(
        Key::table("shop".into(), "items"),
        Verdict::Match(How::SamePoint),
    );
    let outcome = Outcome {
        replicas: vec![Ok(ReplicaOutcome {
            comparison,
            ..ReplicaOutcome::default()
        })],
        placement: Placement::Exact,
        versions: Vec::new(),
        align_tries: 1,
        rounds: 1,
        elapsed: std::time::Duration::from_millis(250),
    };
    Report::from_outcome(&outcome, &cfg)
}

/// One replica with a drifted table: its series by replica, the table's
/// difference per table, each family with its HELP and TYPE.
#[test]
fn metrics_of_a_drifted_replica() {
    let r = one_drifted_table();
    let text = render(&r, OutputFormat::Openmetrics).text;
    for line in [
        "check_mysql_drift_up 1",
        "check_mysql_drift_state 2",
        "check_mysql_drift_run_duration_seconds 0.25",
        "check_mysql_drift_replica_state{replica=\"r:3307\"} 2",
        "check_mysql_drift_tables{replica=\"r:3307\"} 2",
        "check_mysql_drift_drifted_tables{replica=\"r:3307\"} 1",
        "check_mysql_drift_max_row_difference{replica=\"r:3307\"} 3",
        "check_mysql_drift_table_row_difference{replica=\"r:3307\",database=\"shop\",table=\"or\\\"ders\"} -3",
        "# TYPE check_mysql_drift_table_row_difference gauge",
        "# EOF",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    // Every family has its HELP and TYPE, before its samples.
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .collect();
    let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
    assert_eq!(families.len(), helps);
    assert!(
        !text.contains("content_"),
        "no content figures without --checksum"
    );
}
