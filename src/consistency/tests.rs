use super::*;

fn pos(s: &str) -> GtidPos {
    GtidPos::parse(s).unwrap()
}

fn gtids(s: &str) -> Vec<Gtid> {
    parse_gtids(s).unwrap()
}

#[test]
fn gtid_parse_and_compare() {
    let a = pos("0-1-100");
    let b = pos("0-1-103,1-2-5");
    assert_eq!(b.ahead_of(&a), 8);
    assert_eq!(a.ahead_of(&b), 0);
    assert_eq!(b.to_string(), "0-1-103,1-2-5");
    assert_eq!(pos("0-1-5,\n1-1-2").to_string(), "0-1-5,1-1-2");
    assert_eq!(pos("").to_string(), "(empty)");
    assert!(GtidPos::parse("0-1").is_err() && GtidPos::parse("a-b-c").is_err());
    assert_eq!(gtids("0-1-5,0-2-9").len(), 2);
}

#[test]
fn one_point_needs_every_primary_domain_server_and_seq() {
    assert!(pos("0-1-100").at_primary_point(&pos("0-1-100")));
    assert!(!pos("0-1-101").at_primary_point(&pos("0-1-100")));
    assert!(!pos("0-1-99").at_primary_point(&pos("0-1-100")));
    // Another stream that happens to have the same sequence number.
    assert!(!pos("0-3-100").at_primary_point(&pos("0-1-100")));
    // A domain of the primary the replica has not applied at all.
    assert!(!pos("0-1-100").at_primary_point(&pos("0-1-100,7-1-2")));
    // A domain only the replica has (another source) does not matter.
    assert!(pos("0-1-100,9-5-4").at_primary_point(&pos("0-1-100")));
    assert!(pos("").at_primary_point(&pos("")));
}

#[test]
fn lineage_tells_a_replica_from_a_stranger() {
    let primary = gtids("0-1-500,0-2-120,7-1-3");
    assert_eq!(lineage(&primary, &gtids("0-1-480")), Lineage::Replica);
    // Behind, on a GTID an earlier primary of the stream logged.
    assert_eq!(lineage(&primary, &gtids("0-2-110")), Lineage::Replica);
    // Multi-source: domain 9 comes from elsewhere.
    assert_eq!(lineage(&primary, &gtids("0-1-480,9-5-4")), Lineage::Replica);
    // Replicates from another primary writing domain 0.
    assert!(matches!(
        lineage(&primary, &gtids("0-3-480")),
        Lineage::NotReplica(why) if why.contains("0-3-480")
    ));
    // Ahead of everything the primary logged.
    assert!(matches!(
        lineage(&primary, &gtids("0-1-501")),
        Lineage::NotReplica(_)
    ));
    // Nothing of the primary's applied (e.g. the primary given twice).
    assert!(matches!(lineage(&primary, &[]), Lineage::NotReplica(_)));
    assert!(matches!(lineage(&[], &[]), Lineage::Unknown(_)));
}

fn at(primary: u64, replica: u64, same_point: bool) -> Evidence {
    Evidence {
        primary,
        replica,
        same_point,
        positioned: true,
        content_differs: false,
        differed_before: false,
        whole: true,
    }
}

/// A match at one position is final; a difference there is a suspicion
/// that a second snapshot set turns into drift.
#[test]
fn one_position_matches_or_suspects() {
    assert_eq!(judge(&at(5, 5, true)), Judgement::Match(How::SamePoint));
    assert_eq!(judge(&at(5, 7, true)), Judgement::Suspect);
}

/// After a difference at one position, another difference at one position
/// is drift; an equal reading there is a match (the first was misplaced);
/// readings at two positions still prove nothing, either way.
#[test]
fn a_second_difference_at_one_position_is_drift() {
    let again = |e: Evidence| Evidence {
        differed_before: true,
        ..e
    };
    assert_eq!(
        judge(&again(at(5, 7, true))),
        Judgement::Drift(How::SamePoint)
    );
    assert_eq!(
        judge(&again(at(6, 6, true))),
        Judgement::Match(How::SamePoint)
    );
    assert_eq!(judge(&again(at(5, 7, false))), Judgement::Pending);
    let content = Evidence {
        content_differs: true,
        ..again(at(3, 3, true))
    };
    assert_eq!(judge(&content), Judgement::Drift(How::SamePoint));
}

#[test]
fn different_positions_prove_nothing() {
    assert_eq!(judge(&at(5, 5, false)), Judgement::Pending);
    assert_eq!(judge(&at(5, 7, false)), Judgement::Pending);
}

#[test]
fn without_positions_a_difference_is_never_drift() {
    let e = Evidence {
        positioned: false,
        ..at(5, 9, false)
    };
    assert_eq!(judge(&e), Judgement::Pending);
    let e = Evidence {
        positioned: false,
        ..at(5, 5, false)
    };
    assert_eq!(judge(&e), Judgement::Match(How::Unpositioned));
}

/// A table's count on the primary after each transaction of the stream
/// (index = sequence number), and a replica that holds `drift` rows more
/// than the primary at every position: what a snapshot at position `p`
/// on the primary and one at `r` on the replica read.
fn read(history: &[u64], drift: i64, p: usize, r: usize) -> Evidence {
    at(
        history[p],
        (history[r] as i64 + drift) as u64,
        // The positions are exact: equal sequence numbers in one stream.
        p == r,
    )
}

/// An adversarial sequence: the count moves up and back
/// down between P1 and P2. A replica with -1 drift read between them shows
/// the primary's count at P1 and at P2.
#[test]
fn up_and_back_down_hides_drift_from_a_bracket_but_not_from_the_rules() {
    let history = [10, 11, 10];
    let e = read(&history, -1, 0, 1);
    assert_eq!((e.primary, e.replica), (10, 10));
    assert_eq!(judge(&e), Judgement::Pending, "equal counts at P1 and R");
    assert_eq!(judge(&read(&history, -1, 2, 1)), Judgement::Pending);
    // At one position the drift shows, wherever that position is.
    for p in 0..history.len() {
        assert_eq!(judge(&read(&history, -1, p, p)), Judgement::Suspect);
    }
}

/// Another: equal primary counts at P1 and P2 with another
/// count between them; a healthy replica read between them differs, the
/// same way in two rounds.
#[test]
fn still_primary_counts_around_a_change_are_no_evidence_of_drift() {
    let history = [10, 11, 10, 11, 10];
    for (p, r) in [(0, 1), (2, 3)] {
        let e = read(&history, 0, p, r);
        assert_eq!((e.primary, e.replica), (10, 11));
        assert_eq!(judge(&e), Judgement::Pending);
    }
    assert_eq!(
        judge(&read(&history, 0, 3, 3)),
        Judgement::Match(How::SamePoint)
    );
}

/// Every history of up to six transactions that each add, remove or leave
/// a row, every drift from -2 to +2 and every pair of positions: a match
/// only without drift, drift only with it, in whichever order the
/// positions were read.
#[test]
fn no_interleaving_fakes_a_verdict() {
    let mut histories: Vec<Vec<u64>> = vec![vec![10]];
    let mut judged = 0;
    for _ in 0..6 {
        histories = histories
            .iter()
            .flat_map(|h| {
                let last = *h.last().unwrap();
                [last - 1, last, last + 1].map(|n| [h.clone(), vec![n]].concat())
            })
            .collect();
        for h in &histories {
            for drift in -2..=2 {
                for p in 0..h.len() {
                    for r in 0..h.len() {
                        match judge(&read(h, drift, p, r)) {
                            Judgement::Match(_) => assert_eq!(drift, 0, "{h:?} {p} {r}"),
                            Judgement::Suspect => assert_ne!(drift, 0, "{h:?} {p} {r}"),
                            Judgement::Pending => assert_ne!(p, r),
                            Judgement::Drift(_) => unreachable!("drift needs two sets"),
                        }
                        judged += 1;
                    }
                }
            }
        }
    }
    assert_eq!(
        judged,
        5 * (3 * 4 + 9 * 9 + 27 * 16 + 81 * 25 + 243 * 36 + 729 * 49)
    );
}

const UUID_A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UUID_B: &str = "0f3cdc1a-0000-11e1-9e33-c80aa9429562";

#[test]
fn mysql_sets_parse_and_compare() {
    let p = pos(&format!("{UUID_A}:1-100:103,\n{UUID_B}:1-5"));
    assert_eq!(p.list(), format!("{UUID_B}:1-5,{UUID_A}:1-100:103"));
    assert_eq!(p.order(), vec![5, 101]);
    let later = pos(&format!("{UUID_A}:1-105,{UUID_B}:1-5"));
    assert_eq!(later.ahead_of(&p), 4);
    assert_eq!(p.ahead_of(&later), 0);
    // A tagged source (MySQL 8.3+) is a source of its own.
    let tagged = pos(&format!("{UUID_A}:1-3:nightly:1-2"));
    assert_eq!(tagged.list(), format!("{UUID_A}:1-3,{UUID_A}:nightly:1-2"));
    for bad in [
        "abc:1-5",
        &format!("{UUID_A}:5-1"),
        &format!("{UUID_A}:x-2"),
    ] {
        assert!(GtidPos::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn mysql_point_needs_the_same_transactions_of_every_primary_source() {
    let p = pos(&format!("{UUID_A}:1-100"));
    assert!(pos(&format!("{UUID_A}:1-100")).at_primary_point(&p));
    assert!(!pos(&format!("{UUID_A}:1-101")).at_primary_point(&p));
    // Past P with a gap (a parallel applier): not at P either.
    assert!(!pos(&format!("{UUID_A}:1-100:102")).at_primary_point(&p));
    assert!(!pos(&format!("{UUID_A}:1-99")).at_primary_point(&p));
    // The replica's own writes (its own UUID) do not move the point.
    assert!(pos(&format!("{UUID_A}:1-100,{UUID_B}:1-3")).at_primary_point(&p));
}

#[test]
fn mysql_lineage_tells_a_replica_from_a_stranger() {
    let primary = pos(&format!("{UUID_A}:1-500"));
    let lineage = |r: &str| pos(r).mysql_lineage(&primary);
    assert_eq!(lineage(&format!("{UUID_A}:1-480")), Lineage::Replica);
    assert_eq!(
        lineage(&format!("{UUID_A}:1-480,{UUID_B}:1-9")),
        Lineage::Replica
    );
    assert!(matches!(
        lineage(&format!("{UUID_A}:1-501")),
        Lineage::NotReplica(why) if why.contains("1-501")
    ));
    assert!(matches!(
        lineage(&format!("{UUID_B}:1-9")),
        Lineage::NotReplica(_)
    ));
    assert!(matches!(
        pos("").mysql_lineage(&pos("")),
        Lineage::Unknown(_)
    ));
}

/// Equal counts with different content at one position are a suspicion,
/// like different counts; content read at two positions is no evidence.
#[test]
fn differing_content_at_equal_counts_is_a_suspicion() {
    let e = Evidence {
        content_differs: true,
        ..at(5, 5, true)
    };
    assert_eq!(judge(&e), Judgement::Suspect);
    let apart = Evidence {
        content_differs: true,
        ..at(5, 5, false)
    };
    assert_eq!(judge(&apart), Judgement::Pending);
}

/// The rows of a table at each position of the stream (index = sequence
/// number), by key.
type Stream = [&'static [u32]];

/// One key range `(lo, hi]` counted on the primary at position `p` and on
/// a replica that holds `extra` keys more at every position, at `p` too.
fn range_at(stream: &Stream, extra: &[u32], (lo, hi): (u32, u32), p: usize) -> Evidence {
    let within = |k: &&u32| **k > lo && **k <= hi;
    let primary = stream[p].iter().filter(within).count() as u64;
    let more = extra.iter().filter(within).count() as u64;
    Evidence {
        whole: false,
        ..at(primary, primary + more, true)
    }
}

/// A pass over ranges, each at a position of its own: a match when every
/// range matched, the first suspicion otherwise.
fn pass(stream: &Stream, extra: &[u32], looks: &[((u32, u32), usize)]) -> Judgement {
    for &(range, p) in looks {
        match judge(&range_at(stream, extra, range, p)) {
            Judgement::Pending => continue,
            other => return other,
        }
    }
    judge(&Evidence {
        whole: true,
        ..at(0, 0, true)
    })
}

/// Key 5 moves to key 15 (an UPDATE of the key) between the looks at
/// (0, 10] and (10, 20]: read in one order it is counted twice, in the
/// other not at all, on both sides alike. No false alarm either way, and
/// a row the replica alone holds is found in whichever range it falls,
/// whatever the positions of the looks.
#[test]
fn a_row_moving_between_ranges_during_a_pass_fakes_nothing() {
    let stream: &Stream = &[&[1, 5, 12], &[1, 12, 15]];
    let low = (0, 10);
    let high = (10, 20);
    for order in [[(low, 0), (high, 1)], [(high, 0), (low, 1)]] {
        assert_eq!(pass(stream, &[], &order), Judgement::Match(How::SamePoint));
        assert_eq!(pass(stream, &[7], &order), Judgement::Suspect);
        assert_eq!(pass(stream, &[20], &order), Judgement::Suspect);
    }
    // A part of the table that matched is no verdict on the table.
    assert_eq!(judge(&range_at(stream, &[], low, 0)), Judgement::Pending);
}
