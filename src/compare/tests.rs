use super::*;
use crate::consistency::GtidPos;
use crate::model::{ContentRead, Coverage, Listing, Reading, SideError, TableInfo};
use crate::rowhash::ContentReading;
use std::sync::Arc;

pub(super) fn key(db: &str, t: &str) -> Key {
    Key::table(db.into(), t)
}

fn list(tables: &[(&str, &str)]) -> Listing {
    let info = TableInfo::default();
    let mut l = Listing::new();
    for (db, t) in tables {
        l.insert(Key::Database((*db).into()), info.clone());
        l.insert(key(db, t), info.clone());
    }
    l
}

/// A round where every table is on both sides, read at `at` (None:
/// different positions): (db, table, primary count, replica count).
pub(super) fn round(tables: &[(&str, &str, u64, u64)], at: Option<&str>) -> Round {
    let names: Vec<(&str, &str)> = tables.iter().map(|(d, t, _, _)| (*d, *t)).collect();
    let readings = tables
        .iter()
        .map(|(d, t, p, r)| {
            let reading = Reading {
                primary: Ok(*p),
                replica: Ok(*r),
                at: at.map(|a| Arc::new(GtidPos::parse(a).unwrap())),
                content: ContentRead::NotAsked,
                ranges: None,
            };
            (key(d, t), reading)
        })
        .collect();
    Round {
        primary: Arc::new(list(&names)),
        replica: Arc::new(list(&names)),
        readings,
        positioned: true,
        coverage: Coverage::EveryRun,
        definitions: None,
        forensics: Vec::new(),
        stopped: Vec::new(),
    }
}

/// A later round with the listings of `earlier` (tables pending then
/// are still listed), reading only `tables`.
fn later(earlier: &Round, tables: &[(&str, &str, u64, u64)], at: Option<&str>) -> Round {
    Round {
        primary: earlier.primary.clone(),
        replica: earlier.replica.clone(),
        ..round(tables, at)
    }
}

pub(super) fn keys(r: &Round) -> Vec<Key> {
    let mut k: Vec<Key> = r.primary.keys().chain(r.replica.keys()).cloned().collect();
    k.sort();
    k.dedup();
    k
}

/// Equal at one position: a match, final. Different at one position:
/// drift once a second snapshot set at one position differs too.
#[test]
fn one_position_matches_and_two_make_drift() {
    let r = round(
        &[("a", "t1", 10, 10), ("a", "t2", 5, 7), ("b", "t", 1, 1)],
        Some("0-1-100"),
    );
    let mut c = Comparison::default();
    let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "t2")]);
    assert_eq!(c.verdicts[&key("a", "t1")], Verdict::Match(How::SamePoint));
    let again = later(&r, &[("a", "t2", 6, 8)], Some("0-1-105"));
    assert!(c
        .round(&pending, &again, Look::Again, Budget::Left)
        .is_empty());
    assert_eq!(
        c.verdicts[&key("a", "t2")],
        Verdict::Drift(Box::new(Drifted {
            counts: Counts {
                primary: 6,
                replica: 8
            },
            how: How::SamePoint,
            at: Some(GtidPos::parse("0-1-105").unwrap()),
            content: None,
            ranges: Vec::new(),
        }))
    );
    assert_eq!((c.rows_primary, c.rows_replica), (17, 19));
}

#[test]
fn different_positions_stay_pending_then_unverified() {
    // Equal counts at different positions: a +2 drift could hide
    // behind a -2 change in between.
    let r = round(&[("a", "t", 10, 10), ("a", "u", 10, 12)], None);
    let mut c = Comparison::default();
    let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "t"), key("a", "u")]);
    let r2 = later(&r, &[("a", "u", 11, 11)], Some("0-1-9"));
    let pending = c.round(&pending, &r2, Look::Again, Budget::Left);
    assert_eq!(pending, vec![key("a", "t")]);
    assert_eq!(c.rechecks, 2);
    c.finish(&pending);
    assert_eq!(
        c.verdicts[&key("a", "t")],
        Verdict::Unverified {
            last: Some(Counts {
                primary: 10,
                replica: 10
            }),
            why: Unsettled::NoPosition
        }
    );
    assert_eq!(c.verdicts[&key("a", "u")], Verdict::Match(How::SamePoint));
    assert_eq!((c.rows_primary, c.rows_replica), (11, 11));
}

#[test]
fn missing_needs_two_listings() {
    let mut r = round(&[("a", "t1", 1, 1)], Some("0-1-1"));
    let info = r.primary[&key("a", "t1")].clone();
    Arc::make_mut(&mut r.primary).insert(key("a", "t2"), info);
    let mut c = Comparison::default();
    let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "t2")]);
    let pending = c.round(&pending, &r, Look::Again, Budget::Left);
    assert!(pending.is_empty());
    assert_eq!(
        c.verdicts[&key("a", "t2")],
        Verdict::Missing { on: Role::Replica }
    );
    // Seen missing once, then the budget ran out: no counts to show.
    let mut c = Comparison::default();
    let pending = c.round(&keys(&r), &r, Look::First, Budget::Left);
    c.finish(&pending);
    assert_eq!(
        c.verdicts[&key("a", "t2")],
        Verdict::Unverified {
            last: None,
            why: Unsettled::NoPosition,
        }
    );
}

#[test]
fn unreadable_is_named() {
    let mut r = round(&[("a", "t", 1, 1)], Some("0-1-1"));
    r.readings.get_mut(&key("a", "t")).unwrap().replica =
        Err("Tablespace has been discarded".into());
    let mut c = Comparison::default();
    c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert!(
        matches!(&c.verdicts[&key("a", "t")], Verdict::Unreadable { side: Role::Replica, error } if error.contains("discarded"))
    );
}

const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

/// A misplaced snapshot: on MySQL a commit in flight across the
/// primary's readings puts a row in its snapshot that the replica,
/// stopped at the agreed position, does not have yet. The next snapshot
/// set, a moment later, sees the table equal: a match, never drift.
#[test]
fn a_misplaced_snapshot_is_no_drift() {
    let first = round(&[("a", "jobs", 11, 10)], Some(&format!("{A}:1-100")));
    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "jobs")]);
    let again = round(&[("a", "jobs", 12, 12)], Some(&format!("{A}:1-102")));
    assert!(c
        .round(&pending, &again, Look::Again, Budget::Left)
        .is_empty());
    assert_eq!(
        c.verdicts[&key("a", "jobs")],
        Verdict::Match(How::SamePoint)
    );
}

/// Real drift shows at every snapshot set: drift at the second, with
/// the second's counts and position (counts at two positions in
/// between settle nothing); a suspicion the budget cuts short is
/// unverified.
#[test]
fn drift_is_seen_twice() {
    let first = round(
        &[("a", "t", 10, 11), ("a", "u", 5, 4)],
        Some(&format!("{A}:1-100")),
    );
    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "t"), key("a", "u")]);
    let apart = round(&[("a", "t", 12, 12), ("a", "u", 5, 4)], None);
    let pending = c.round(&pending, &apart, Look::Again, Budget::Left);
    assert_eq!(pending.len(), 2, "counts at two positions settle nothing");
    let second = later(&first, &[("a", "t", 13, 14)], Some(&format!("{A}:1-103")));
    let pending = c.round(&pending, &second, Look::Again, Budget::Left);
    assert_eq!(pending, vec![key("a", "u")]);
    assert_eq!(
        c.verdicts[&key("a", "t")],
        Verdict::Drift(Box::new(Drifted {
            counts: Counts {
                primary: 13,
                replica: 14
            },
            how: How::SamePoint,
            at: Some(GtidPos::parse(&format!("{A}:1-103")).unwrap()),
            content: None,
            ranges: Vec::new(),
        }))
    );
    c.finish(&pending);
    assert_eq!(
        c.verdicts[&key("a", "u")],
        Verdict::Unverified {
            last: Some(Counts {
                primary: 5,
                replica: 4
            }),
            why: Unsettled::DifferedOnce
        }
    );
}

/// `round`, with the content of every table read as `same`, located
/// to `keys` when it differs.
fn with_content(mut r: Round, same: bool, keys: &[&str]) -> Round {
    for reading in r.readings.values_mut() {
        reading.content = ContentRead::Read(Box::new(Ok(ContentReading {
            method: crate::rowhash::Method::KeyRanges,
            same,
            located: (!same).then(|| crate::rowhash::Located {
                keys: keys.iter().map(|k| k.to_string()).collect(),
                keys_found: keys.len(),
                ..Default::default()
            }),
            left_out: Vec::new(),
        })));
    }
    r
}

/// Equal counts, different content at one position: drift only at a
/// second snapshot set that differs too, with where (its location).
/// In between, a look at the counts alone (content left for later by
/// the budget) must not clear the suspicion: equal counts are what an
/// UPDATE on the replica leaves.
#[test]
fn content_drift_needs_a_second_look_at_the_content() {
    let at = |n| Some(format!("{A}:1-{n}"));
    let first = with_content(round(&[("a", "t", 10, 10)], at(100).as_deref()), false, &[]);
    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "t")]);
    assert!(c.is_suspected(&key("a", "t")));
    let counts_only = later(&first, &[("a", "t", 11, 11)], at(101).as_deref());
    let pending = c.round(&pending, &counts_only, Look::Again, Budget::Left);
    assert_eq!(pending, vec![key("a", "t")], "counts alone settle nothing");
    let second = later(&first, &[("a", "t", 12, 12)], at(104).as_deref());
    let second = with_content(second, false, &["id=7"]);
    assert!(c
        .round(&pending, &second, Look::Again, Budget::Left)
        .is_empty());
    let Verdict::Drift(d) = &c.verdicts[&key("a", "t")] else {
        panic!("not drift: {:?}", c.verdicts[&key("a", "t")]);
    };
    let (counts, Some(content)) = (&d.counts, &d.content) else {
        panic!("not content drift: {d:?}");
    };
    assert_eq!((counts.primary, counts.replica), (12, 12));
    assert_eq!(content.located.as_ref().unwrap().keys, ["id=7"]);
    assert!(c.content_checked.contains(&key("a", "t")));
}

/// One look at a snapshot set that was misplaced (content differs),
/// then an equal one: a match, content verified.
#[test]
fn one_differing_content_look_is_no_drift() {
    let first = with_content(round(&[("a", "t", 3, 3)], Some("0-1-5")), false, &[]);
    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    let again = with_content(later(&first, &[("a", "t", 3, 3)], Some("0-1-6")), true, &[]);
    assert!(c
        .round(&pending, &again, Look::Again, Budget::Left)
        .is_empty());
    assert_eq!(c.verdicts[&key("a", "t")], Verdict::Match(How::SamePoint));
    assert!(c.content_checked.contains(&key("a", "t")));
    // Content read at two positions proves nothing either way.
    let apart = with_content(round(&[("a", "u", 3, 3)], None), true, &[]);
    let mut c = Comparison::default();
    assert_eq!(
        c.round(&keys(&apart), &apart, Look::First, Budget::Left)
            .len(),
        1
    );
    assert!(c.content_checked.is_empty());
}

/// A content that cannot be read on one side is that side's error.
#[test]
fn unreadable_content_names_the_side() {
    let mut r = round(&[("a", "t", 1, 1)], Some("0-1-1"));
    r.readings.get_mut(&key("a", "t")).unwrap().content =
        ContentRead::Read(Box::new(Err(SideError {
            side: Role::Replica,
            message: "Lock wait timeout".into(),
        })));
    let mut c = Comparison::default();
    c.round(&keys(&r), &r, Look::First, Budget::Left);
    assert!(matches!(&c.verdicts[&key("a", "t")],
        Verdict::Unreadable { side: Role::Replica, error } if error == "checksum: Lock wait timeout"));
}

/// `round` with the content of every table asked for and left out.
fn left_out(mut r: Round, coverage: Coverage) -> Round {
    for reading in r.readings.values_mut() {
        reading.content = ContentRead::LeftOut;
    }
    Round { coverage, ..r }
}

/// Content asked for and not compared: equal counts at one position are
/// no verdict (an UPDATE on the replica leaves them), so the table ends
/// unverified, saying why; with a state file the rotation covers it
/// later, and the counts' match stands. Counts that differ are drift
/// either way.
#[test]
fn content_left_out_is_no_match_without_a_rotation() {
    let equal = left_out(
        round(&[("a", "t", 7, 7)], Some("0-1-5")),
        Coverage::EveryRun,
    );
    let mut c = Comparison::default();
    let pending = c.round(&keys(&equal), &equal, Look::First, Budget::Left);
    assert_eq!(pending, vec![key("a", "t")]);
    let again = left_out(
        later(&equal, &[("a", "t", 7, 7)], Some("0-1-6")),
        Coverage::EveryRun,
    );
    assert!(c
        .round(&pending, &again, Look::Again, Budget::Spent)
        .is_empty());
    assert_eq!(
        c.verdicts[&key("a", "t")],
        Verdict::Unverified {
            last: Some(Counts {
                primary: 7,
                replica: 7
            }),
            why: Unsettled::ContentLeftOut,
        }
    );
    let rotating = left_out(
        round(&[("a", "t", 7, 7)], Some("0-1-5")),
        Coverage::Rotation,
    );
    let mut c = Comparison::default();
    assert!(c
        .round(&keys(&rotating), &rotating, Look::First, Budget::Left)
        .is_empty());
    assert_eq!(c.verdicts[&key("a", "t")], Verdict::Match(How::SamePoint));
    assert!(c.content_checked.is_empty());
    let differ = left_out(
        round(&[("a", "t", 7, 8)], Some("0-1-5")),
        Coverage::EveryRun,
    );
    let mut c = Comparison::default();
    let pending = c.round(&keys(&differ), &differ, Look::First, Budget::Left);
    let second = left_out(
        later(&differ, &[("a", "t", 7, 8)], Some("0-1-9")),
        Coverage::EveryRun,
    );
    assert!(c
        .round(&pending, &second, Look::Again, Budget::Left)
        .is_empty());
    assert!(matches!(c.verdicts[&key("a", "t")], Verdict::Drift(_)));
}

/// Left out in one round, compared in the next: a match with content.
#[test]
fn content_compared_later_settles_what_was_left_out() {
    let first = left_out(
        round(&[("a", "t", 3, 3)], Some("0-1-5")),
        Coverage::EveryRun,
    );
    let mut c = Comparison::default();
    let pending = c.round(&keys(&first), &first, Look::First, Budget::Left);
    let read = with_content(later(&first, &[("a", "t", 3, 3)], Some("0-1-6")), true, &[]);
    assert!(c
        .round(&pending, &read, Look::Again, Budget::Spent)
        .is_empty());
    assert_eq!(c.verdicts[&key("a", "t")], Verdict::Match(How::SamePoint));
    assert!(c.content_checked.contains(&key("a", "t")));
}

/// A table that snapshots do not cover matches by its counts, and says
/// that its content was not compared.
#[test]
fn a_table_snapshots_do_not_cover_matches_by_counts_only() {
    let mut r = round(&[("a", "my", 4, 4)], Some("0-1-5"));
    for reading in r.readings.values_mut() {
        reading.content = ContentRead::NotCovered;
    }
    let mut c = Comparison::default();
    assert!(c.round(&keys(&r), &r, Look::First, Budget::Left).is_empty());
    assert_eq!(c.verdicts[&key("a", "my")], Verdict::Match(How::SamePoint));
    assert!(c.counts_only.contains(&key("a", "my")));
    assert!(c.content_checked.is_empty());
}

/// A definition that differs in one listing waits for the next: alike
/// there, it is confirmed; gone (a schema change the replica had not
/// applied yet), it is dropped; still waiting when the budget runs out,
/// it is unconfirmed.
#[test]
fn a_definition_differs_when_two_listings_agree() {
    use crate::model::Difference;
    let diff = |column: &str| {
        vec![Difference::OnlyOn {
            side: Role::Replica,
            column: column.into(),
            column_type: "int(11)".into(),
            at_end: true,
        }]
    };
    let listed = |r: &Round, defs: &[(&str, Vec<Difference>)]| Round {
        definitions: Some(defs.iter().map(|(t, d)| (key("a", t), d.clone())).collect()),
        ..later(r, &[], Some("0-1-9"))
    };
    let base = round(&[("a", "t", 1, 1), ("a", "u", 1, 1)], Some("0-1-5"));
    let mut c = Comparison::default();
    let first = listed(&base, &[("t", diff("x")), ("u", diff("y"))]);
    c.round(&[], &first, Look::First, Budget::Left);
    assert!(c.definitions_pending() && c.definitions.is_empty());
    // t alike again; u gone (applied meanwhile).
    let second = listed(&base, &[("t", diff("x"))]);
    c.round(&[], &second, Look::Again, Budget::Left);
    assert_eq!(c.definitions.keys().collect::<Vec<_>>(), [&key("a", "t")]);
    assert!(!c.definitions_pending());
    // A round that lists nothing anew confirms nothing.
    let mut c = Comparison::default();
    c.round(&[], &first, Look::First, Budget::Left);
    c.round(&[], &later(&base, &[], None), Look::Again, Budget::Spent);
    assert!(c.definitions.is_empty());
    assert_eq!(c.definitions_unconfirmed.len(), 2);
}
