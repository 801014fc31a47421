//! Verdicts on tables counted in key ranges.

use super::tests::{key, keys, round};
use super::*;
use crate::model::RangeDiff;

/// A round reading `d.big` in key ranges: `look`, the rows compared, the
/// ranges counted, whether they covered what the round was to read, and
/// the ranges that differed (primary, replica rows, key range `(lo, hi]`).
fn ranges_round(look: Look, compared: u64, whole: bool, differing: &[(u64, u64, u32)]) -> Round {
    let mut r = round(&[("d", "big", compared, compared)], Some("0-1-9"));
    let bound = |k: u32| {
        let shape = crate::rowhash::Shape {
            columns: vec![crate::rowhash::Column {
                name: "id".into(),
                data_type: "int".into(),
                collation: None,
            }],
            key: Some(vec![0]),
            signature: String::new(),
        };
        crate::rowhash::Bound::new(&shape, &[k.to_string().into_bytes()])
    };
    let differing = differing
        .iter()
        .map(|&(p, q, lo)| RangeDiff {
            range: format!("id ({lo}, {}]", lo + 10),
            primary: p,
            replica: q,
            content_differs: false,
            bounds: KeyRange {
                after: Some(bound(lo)),
                upto: Some(bound(lo + 10)),
            },
            keys: None,
        })
        .collect();
    let ranges = RangesRead {
        look,
        compared: Counts {
            primary: compared,
            replica: compared,
        },
        ranges: 3,
        all_placed: true,
        whole,
        from_start: true,
        reached: (!whole).then(|| bound(20)),
        differing,
        estimated: 100,
        content: None,
    };
    if let Some(reading) = r.readings.get_mut(&key("d", "big")) {
        reading.ranges = Some(Box::new(ranges));
    }
    r
}

/// A table read in ranges: a whole pass with no difference matches; a
/// partial one is no verdict and ends unverified naming what was
/// compared; with a state file it matches while its pass is under way.
#[test]
fn ranges_match_only_when_they_cover_the_table() {
    let whole = ranges_round(Look::First, 30, true, &[]);
    let mut c = Comparison::default();
    assert!(c
        .round(&keys(&whole), &whole, Look::First, Budget::Left)
        .is_empty());
    assert_eq!(c.verdicts[&key("d", "big")], Verdict::Match(How::SamePoint));
    assert_eq!(c.pass_ends[&key("d", "big")], PassEnd::Complete);
    let part = ranges_round(Look::First, 30, false, &[]);
    let mut c = Comparison::default();
    let pending = c.round(&keys(&part), &part, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("d", "big")]);
    c.round(&pending, &part, Look::Again, Budget::Spent);
    let why = Unsettled::Partial {
        compared: 30,
        estimated: 100,
    };
    assert_eq!(
        c.verdicts[&key("d", "big")],
        Verdict::Unverified {
            last: Some(Counts {
                primary: 30,
                replica: 30
            }),
            why
        }
    );
    let rotating = Round {
        coverage: Coverage::Rotation,
        ..ranges_round(Look::First, 30, false, &[])
    };
    let mut c = Comparison::default();
    assert!(c
        .round(&keys(&rotating), &rotating, Look::First, Budget::Left)
        .is_empty());
    assert!(matches!(
        c.pass_ends[&key("d", "big")],
        PassEnd::UnderWay(Some(_))
    ));
}

/// A range that differed at one position is looked at again: a second
/// difference is drift naming the range; the range equal again clears
/// the suspicion and, after a whole pass, matches. A suspicion carried
/// from an earlier run makes the first difference drift.
#[test]
fn a_differing_range_needs_a_second_look() {
    let first = ranges_round(Look::First, 30, true, &[(10, 9, 10)]);
    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("d", "big")]);
    assert_eq!(c.recheck_ranges(&key("d", "big")).map(<[_]>::len), Some(1));
    let again = ranges_round(Look::Again, 10, true, &[(10, 9, 10)]);
    c.round(&pending, &again, Look::Again, Budget::Left);
    let Verdict::Drift(d) = &c.verdicts[&key("d", "big")] else {
        panic!("not drift: {:?}", c.verdicts[&key("d", "big")]);
    };
    assert_eq!(d.ranges[0].range, "id (10, 20]");
    assert_eq!(c.differing_ranges(&key("d", "big")).len(), 1);

    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    let cleared = ranges_round(Look::Again, 10, true, &[]);
    assert!(c
        .round(&pending, &cleared, Look::Again, Budget::Left)
        .is_empty());
    assert_eq!(c.verdicts[&key("d", "big")], Verdict::Match(How::SamePoint));
    assert!(c.differing_ranges(&key("d", "big")).is_empty());

    let mut c = Comparison::default();
    c.carry_suspicion(key("d", "big"));
    let carried = ranges_round(Look::Again, 10, true, &[(10, 9, 10)]);
    assert!(c
        .round(&keys(&carried), &carried, Look::Again, Budget::Left)
        .is_empty());
    assert!(matches!(c.verdicts[&key("d", "big")], Verdict::Drift(_)));
}
