//! Replication positions, and how one table's counts taken at known
//! positions become a verdict.
//!
//! The model: the primary's counts come from a consistent snapshot at GTID
//! position P1; the replica, after `MASTER_GTID_WAIT(P1)`, counts in its own
//! snapshot at R >= P1; a second primary snapshot P2, opened after the
//! replica's, brackets it: P1 <= R <= P2. A table is then
//! - verified when P1 = R (same point of the stream) and the counts agree;
//! - drifted when P1 = R and they differ, or when the primary count did not
//!   move from P1 to P2 while the replica's differs from it, seen in two
//!   rounds with the same difference (a table changed and changed back
//!   between P1 and P2 cannot fake that twice);
//! - matching when the replica's count equals the primary's at P1 or at P2
//!   (the replica is somewhere between them);
//! - otherwise pending: re-checked in the next round, and unverified when
//!   the time budget runs out.

use std::collections::BTreeMap;
use std::fmt;

/// A GTID position: per replication domain, the last `server_id-seq_no`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidPos {
    domains: BTreeMap<u32, (u32, u64)>,
}

impl GtidPos {
    /// Parses `0-1-100,1-2-5` (spaces and newlines allowed, empty = nothing yet).
    pub fn parse(text: &str) -> Result<GtidPos, String> {
        let mut domains = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let nums: Vec<&str> = part.split('-').collect();
            let parsed = match nums.as_slice() {
                [d, s, n] => d.parse().ok().zip(s.parse().ok()).zip(n.parse().ok()),
                _ => None,
            };
            let ((d, s), n) = parsed.ok_or_else(|| format!("invalid GTID '{part}'"))?;
            domains.insert(d, (s, n));
        }
        Ok(GtidPos { domains })
    }

    fn seq(&self, domain: u32) -> u64 {
        self.domains.get(&domain).map_or(0, |(_, n)| *n)
    }

    fn all_domains<'a>(&'a self, other: &'a GtidPos) -> impl Iterator<Item = u32> + 'a {
        self.domains.keys().chain(other.domains.keys()).copied()
    }

    /// Same point of the stream: equal sequence numbers in every domain.
    pub fn same_point(&self, other: &GtidPos) -> bool {
        self.all_domains(other).all(|d| self.seq(d) == other.seq(d))
    }

    /// `self` is at or past `other` in every domain.
    pub fn reached(&self, other: &GtidPos) -> bool {
        self.all_domains(other).all(|d| self.seq(d) >= other.seq(d))
    }

    /// Transactions `self` is ahead of `earlier`, summed over domains.
    pub fn ahead_of(&self, earlier: &GtidPos) -> u64 {
        let mut seen = std::collections::BTreeSet::new();
        self.all_domains(earlier)
            .filter(|d| seen.insert(*d))
            .map(|d| self.seq(d).saturating_sub(earlier.seq(d)))
            .sum()
    }
}

impl GtidPos {
    /// As the server writes it: `0-1-100,1-2-5`, empty for no transaction.
    pub fn list(&self) -> String {
        let parts: Vec<String> = self
            .domains
            .iter()
            .map(|(d, (s, n))| format!("{d}-{s}-{n}"))
            .collect();
        parts.join(",")
    }
}

impl fmt::Display for GtidPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.domains.is_empty() {
            return f.write_str("(empty)");
        }
        f.write_str(&self.list())
    }
}

/// One round's counts of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub primary: u64,
    pub replica: u64,
    /// The primary's count at P2, taken only when the first two differ.
    pub primary_after: Option<u64>,
    /// Both counts read at the same replication position (P1 = R), from
    /// snapshots of a transactional table.
    pub same_point: bool,
    /// The replica read after reaching the primary's position, so that
    /// P1 <= R <= P2 holds. False without GTID waits (e.g. MySQL): then a
    /// difference is never called drift.
    pub ordered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Counted at one replication position.
    SamePoint,
    /// The replica's count equals the primary's at one end of the bracket.
    Bracketed,
    /// Counted without known positions (no GTID wait possible).
    Unpositioned,
    /// The same difference with a still primary, in two rounds.
    Confirmed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    Match(How),
    Drift(How),
    /// Differs with the primary still: drift if the next round agrees.
    Suspect(i128),
    /// The table moved on the primary during the bracket.
    Pending,
}

pub fn judge(e: &Evidence) -> Judgement {
    let diff = e.replica as i128 - e.primary as i128;
    if e.same_point {
        return if diff == 0 {
            Judgement::Match(How::SamePoint)
        } else {
            Judgement::Drift(How::SamePoint)
        };
    }
    if !e.ordered {
        return if diff == 0 {
            Judgement::Match(How::Unpositioned)
        } else {
            Judgement::Pending
        };
    }
    if diff == 0 || e.primary_after == Some(e.replica) {
        return Judgement::Match(How::Bracketed);
    }
    match e.primary_after {
        Some(after) if after == e.primary => Judgement::Suspect(diff),
        _ => Judgement::Pending,
    }
}

/// Carries a table's suspicion from round to round.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    suspect: Option<i128>,
}

impl Tracker {
    /// The verdict after one more round, or `None` while still pending.
    pub fn observe(&mut self, e: &Evidence) -> Option<Judgement> {
        match judge(e) {
            Judgement::Suspect(d) if self.suspect == Some(d) => {
                Some(Judgement::Drift(How::Confirmed))
            }
            Judgement::Suspect(d) => {
                self.suspect = Some(d);
                None
            }
            Judgement::Pending => None,
            done => Some(done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(primary: u64, replica: u64, after: Option<u64>, same_point: bool) -> Evidence {
        Evidence {
            primary,
            replica,
            primary_after: after,
            same_point,
            ordered: true,
        }
    }

    #[test]
    fn gtid_parse_and_compare() {
        let a = GtidPos::parse("0-1-100").unwrap();
        let b = GtidPos::parse("0-1-103,1-2-5").unwrap();
        assert!(b.reached(&a) && !a.reached(&b) && !a.same_point(&b));
        assert_eq!(b.ahead_of(&a), 8);
        assert_eq!(a.ahead_of(&b), 0);
        assert!(GtidPos::parse("")
            .unwrap()
            .same_point(&GtidPos::parse(" ").unwrap()));
        // The server id does not make a different point of the stream.
        assert!(GtidPos::parse("0-1-7")
            .unwrap()
            .same_point(&GtidPos::parse("0-2-7").unwrap()));
        assert_eq!(b.to_string(), "0-1-103,1-2-5");
        assert_eq!(
            GtidPos::parse("0-1-5,\n1-1-2").unwrap().to_string(),
            "0-1-5,1-1-2"
        );
        assert!(GtidPos::parse("0-1").is_err() && GtidPos::parse("a-b-c").is_err());
    }

    #[test]
    fn same_point_is_final() {
        assert_eq!(
            judge(&ev(5, 5, None, true)),
            Judgement::Match(How::SamePoint)
        );
        assert_eq!(
            judge(&ev(5, 7, None, true)),
            Judgement::Drift(How::SamePoint)
        );
    }

    #[test]
    fn bracket() {
        assert_eq!(
            judge(&ev(5, 5, None, false)),
            Judgement::Match(How::Bracketed)
        );
        // The replica caught up with a later primary state.
        assert_eq!(
            judge(&ev(5, 6, Some(6), false)),
            Judgement::Match(How::Bracketed)
        );
        // Primary still, replica off by +2.
        assert_eq!(judge(&ev(5, 7, Some(5), false)), Judgement::Suspect(2));
        // Primary moving: no verdict.
        assert_eq!(judge(&ev(5, 7, Some(6), false)), Judgement::Pending);
    }

    #[test]
    fn unordered_never_drifts() {
        let e = Evidence {
            ordered: false,
            ..ev(5, 9, Some(5), false)
        };
        assert_eq!(judge(&e), Judgement::Pending);
        let e = Evidence {
            ordered: false,
            ..ev(5, 5, None, false)
        };
        assert_eq!(judge(&e), Judgement::Match(How::Unpositioned));
    }

    #[test]
    fn suspicion_needs_the_same_difference_twice() {
        let mut t = Tracker::default();
        assert_eq!(t.observe(&ev(5, 7, Some(5), false)), None);
        assert_eq!(t.observe(&ev(8, 9, Some(8), false)), None); // +1 now: new suspicion
        assert_eq!(
            t.observe(&ev(9, 10, Some(9), false)),
            Some(Judgement::Drift(How::Confirmed))
        );
        let mut t = Tracker::default();
        assert_eq!(t.observe(&ev(5, 7, Some(5), false)), None);
        assert_eq!(
            t.observe(&ev(6, 6, None, false)),
            Some(Judgement::Match(How::Bracketed))
        );
    }
}
