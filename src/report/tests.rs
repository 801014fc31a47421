//! The renderings of a report.

use super::parts::Report;
use super::wording::{finding, signed, KeyWords};
use super::{number, render};
use crate::cli::OutputFormat;
use crate::compare::{Unsettled, Verdict};
use crate::model::{Counts, Key};
use crate::plugin::State;

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
}
