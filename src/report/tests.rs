//! The renderings of a report.

use super::parts::Report;
use super::wording::signed;
use super::{number, render};
use crate::cli::OutputFormat;
use crate::model::Counts;
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
