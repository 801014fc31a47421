//! Verdicts on tables the servers stopped reading at a statement's limit:
//! big tables without a key to cut them by.

use super::tests::{key, keys, round};
use super::*;
use std::sync::Arc;

/// A table whose whole count the servers stopped at its limit has no
/// reading: unverified at once, naming why (a later round would not fare
/// better), while the tables beside it get their verdicts.
#[test]
fn a_table_stopped_at_its_limit_is_unverified_at_once() {
    let mut r = round(&[("a", "t", 5, 5)], Some("0-1-9"));
    let info = r.primary[&key("a", "t")].clone();
    for side in [&mut r.primary, &mut r.replica] {
        Arc::make_mut(side).insert(key("a", "heap"), info.clone());
    }
    r.stopped = vec![key("a", "heap")];
    let mut c = Comparison::default();
    let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert!(pending.is_empty(), "{pending:?}");
    assert_eq!(
        c.verdicts[&key("a", "heap")],
        Verdict::Unverified {
            last: None,
            why: Unsettled::Uncut
        }
    );
    assert_eq!(c.verdicts[&key("a", "t")], Verdict::Match(How::SamePoint));
    // Not stopped, not read: pending, as before.
    r.stopped.clear();
    let mut c = Comparison::default();
    let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "heap")]);
}

/// Content the servers stopped hashing whole at its limit (no key to cut
/// the table by): equal counts at one position are unverified at once,
/// with or without a rotation (no later run fares better); counts that
/// differ are judged as ever.
#[test]
fn content_stopped_at_its_limit_is_unverified_at_once() {
    for coverage in [Coverage::EveryRun, Coverage::Rotation] {
        let mut r = round(&[("a", "t", 7, 7), ("a", "u", 7, 8)], Some("0-1-5"));
        for reading in r.readings.values_mut() {
            reading.content = ContentRead::Stopped;
        }
        let r = Round { coverage, ..r };
        let mut c = Comparison::default();
        let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
        assert_eq!(pending, vec![key("a", "u")], "{coverage:?}");
        let last = Some(Counts {
            primary: 7,
            replica: 7,
        });
        let why = Unsettled::UncutContent;
        assert_eq!(
            c.verdicts[&key("a", "t")],
            Verdict::Unverified { last, why }
        );
    }
}
