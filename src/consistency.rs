//! Replication positions, and how one table's counts become a verdict.
//!
//! The model: a verdict needs evidence that concurrent writes cannot fake.
//! For row counts that is one thing only: both counts read at the same
//! point of the replication stream. The primary's consistent snapshot has
//! an exact GTID position P; the replica's snapshot has an exact position R
//! (its `mysql.gtid_slave_pos` read inside the snapshot). When R = P, both
//! snapshots hold the result of the same transactions, so equal counts are
//! a match and different counts are drift, whatever was written before,
//! during or after. When R != P, any count can be faked by writes between P
//! and R (a +k drift hidden by a -k change, or a -k change faking one), so
//! the table stays pending and is counted again at a pair of snapshots
//! that do sit at one position; when the budget runs out it is unverified.
//! A difference at one position is drift once a second snapshot set shows
//! one too: a single misplaced snapshot (a position read wrong, for
//! whatever reason) then cannot raise an alarm on its own.
//!
//! A big table is counted in key ranges, each on both sides in one
//! snapshot set at a position of its own. A range's counts at its P are
//! a verdict on that range at P, by the rule above. A table whose every
//! range matched at its own position has no drift that persisted through
//! the pass: such a difference lies in some range, and that range's look
//! at one position shows it. A row that moves between ranges during the
//! pass (its key changed, or deleted here and inserted there) moves on
//! both sides alike at every position, so it is counted twice or not at
//! all on both sides, never on one: it cannot fake a difference. What a
//! pass cannot see is a difference that came and went between the looks
//! at its range; a later pass sees it if it stays. A match of some of a
//! table's ranges is no verdict on the table.
//!
//! MySQL keeps no position inside a snapshot that a SELECT-only account
//! can read, and adds a transaction to `@@gtid_executed` just after its
//! engine commit. So its positions are bracketed: the primary's P is
//! `@@gtid_executed` read before and after opening the snapshot, and
//! equal; the replica's is `@@gtid_executed` read after its snapshot, once
//! it has executed P. A commit whose engine part lands before the snapshot
//! and whose GTID is added only after the reading slips through unseen.
//! It is gone a moment later, which the second snapshot set a difference
//! needs (above) takes care of.

use std::collections::BTreeMap;
use std::fmt;

/// One GTID: `domain-server-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gtid {
    pub domain: u32,
    pub server: u32,
    pub seq: u64,
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

/// Parses a GTID list such as `0-1-100,1-2-5` (spaces and newlines
/// allowed, empty = none), keeping every entry: `@@gtid_binlog_state` has
/// one per domain and server.
pub fn parse_gtids(text: &str) -> Result<Vec<Gtid>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let nums: Vec<&str> = part.split('-').collect();
            let parsed = match nums.as_slice() {
                [d, s, n] => d.parse().ok().zip(s.parse().ok()).zip(n.parse().ok()),
                _ => None,
            };
            let ((domain, server), seq) = parsed.ok_or_else(|| format!("invalid GTID '{part}'"))?;
            Ok(Gtid {
                domain,
                server,
                seq,
            })
        })
        .collect()
}

/// A GTID position. MariaDB: per replication domain, the last GTID
/// applied. MySQL: per source (`uuid`, or `uuid:tag`), the intervals of
/// transaction numbers executed (`@@gtid_executed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidPos {
    domains: BTreeMap<u32, Gtid>,
    sources: BTreeMap<String, Vec<Interval>>,
}

/// Transaction numbers `first..=last` of one MySQL source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    first: u64,
    last: u64,
}

impl GtidPos {
    /// Parses MariaDB's `0-1-100,1-2-5` (a later entry of a domain replaces
    /// an earlier) or MySQL's `3e11fa47-...:1-5:7,0f3c...:1-9`.
    pub fn parse(text: &str) -> Result<GtidPos, String> {
        if text.contains(':') {
            return parse_mysql_set(text);
        }
        let domains = parse_gtids(text)?
            .into_iter()
            .map(|g| (g.domain, g))
            .collect();
        Ok(GtidPos {
            domains,
            sources: BTreeMap::new(),
        })
    }

    pub fn gtids(&self) -> impl Iterator<Item = &Gtid> {
        self.domains.values()
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.sources.is_empty()
    }

    fn seq(&self, domain: u32) -> u64 {
        self.domains.get(&domain).map_or(0, |g| g.seq)
    }

    fn executed(&self, source: &str) -> u64 {
        self.sources
            .get(source)
            .map_or(0, |ivs| ivs.iter().map(|i| i.last - i.first + 1).sum())
    }

    /// `self`, a replica's position, is exactly the primary's position
    /// `primary`: the same last GTID (server id included) in every domain
    /// of the primary's stream, or on MySQL the same transactions of every
    /// source the primary has executed. Domains and sources only the
    /// replica has come from elsewhere (its own writes, other sources) and
    /// do not change what the primary's stream put there.
    pub fn at_primary_point(&self, primary: &GtidPos) -> bool {
        let domains = primary
            .domains
            .iter()
            .all(|(d, g)| self.domains.get(d) == Some(g));
        let sources = primary
            .sources
            .iter()
            .all(|(s, ivs)| self.sources.get(s) == Some(ivs));
        domains && sources
    }

    /// For listing positions in stream order: per domain its sequence
    /// number, per MySQL source the transactions executed.
    pub fn order(&self) -> Vec<u64> {
        let domains = self.domains.values().map(|g| g.seq);
        domains
            .chain(self.sources.keys().map(|s| self.executed(s)))
            .collect()
    }

    /// Transactions `self` is ahead of `earlier`, summed over domains and
    /// sources.
    pub fn ahead_of(&self, earlier: &GtidPos) -> u64 {
        let domains: std::collections::BTreeSet<u32> = self
            .domains
            .keys()
            .chain(earlier.domains.keys())
            .copied()
            .collect();
        let by_domain: u64 = domains
            .into_iter()
            .map(|d| self.seq(d).saturating_sub(earlier.seq(d)))
            .sum();
        let by_source: u64 = self
            .sources
            .keys()
            .map(|s| self.executed(s).saturating_sub(earlier.executed(s)))
            .sum();
        by_domain + by_source
    }

    /// MySQL lineage: `self`, a replica's `@@gtid_executed` read before the
    /// primary's `primary`, holds no transaction of a source the primary
    /// knows that the primary has not executed, and at least one of the
    /// primary's.
    pub fn mysql_lineage(&self, primary: &GtidPos) -> Lineage {
        if self.sources.is_empty() && primary.sources.is_empty() {
            return Lineage::Unknown("neither has executed any GTID yet".into());
        }
        let mut shared = false;
        for (source, ivs) in &self.sources {
            let Some(known) = primary.sources.get(source) else {
                continue;
            };
            let covered =
                |i: &Interval| known.iter().any(|k| k.first <= i.first && i.last <= k.last);
            if let Some(i) = ivs.iter().find(|i| !covered(i)) {
                return Lineage::NotReplica(format!(
                    "it has executed GTIDs {source}:{}-{}, which the primary never executed",
                    i.first, i.last
                ));
            }
            shared = true;
        }
        if !shared {
            return Lineage::NotReplica(
                "it has executed none of the primary's transactions".to_string(),
            );
        }
        Lineage::Replica
    }

    /// As the server writes it: `0-1-100,1-2-5` or `uuid:1-5:7,...`, empty
    /// for no transaction.
    pub fn list(&self) -> String {
        let domains = self.domains.values().map(Gtid::to_string);
        let sources = self.sources.iter().map(|(source, ivs)| {
            let parts: Vec<String> = ivs
                .iter()
                .map(|i| match i.first == i.last {
                    true => i.first.to_string(),
                    false => format!("{}-{}", i.first, i.last),
                })
                .collect();
            format!("{source}:{}", parts.join(":"))
        });
        domains.chain(sources).collect::<Vec<_>>().join(",")
    }
}

/// `uuid[:tag]:1-5:7` entries, comma-separated (the server adds newlines).
fn parse_mysql_set(text: &str) -> Result<GtidPos, String> {
    let mut sources: BTreeMap<String, Vec<Interval>> = BTreeMap::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let bad = || format!("invalid GTID set entry '{entry}'");
        let mut parts = entry.split(':');
        let uuid = parts.next().filter(|u| u.len() == 36).ok_or_else(bad)?;
        let mut source = uuid.to_ascii_lowercase();
        for part in parts {
            if part.starts_with(|c: char| c.is_ascii_digit()) {
                let (a, b) = part.split_once('-').unwrap_or((part, part));
                let (first, last) = a.parse().ok().zip(b.parse().ok()).ok_or_else(bad)?;
                if first > last {
                    return Err(bad());
                }
                sources
                    .entry(source.clone())
                    .or_default()
                    .push(Interval { first, last });
            } else {
                // A tag (MySQL 8.3 and later) names the source that follows.
                let tag = part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !tag {
                    return Err(bad());
                }
                source = format!("{uuid}:{part}").to_ascii_lowercase();
            }
        }
    }
    for ivs in sources.values_mut() {
        ivs.sort_by_key(|i| i.first);
    }
    Ok(GtidPos {
        domains: BTreeMap::new(),
        sources,
    })
}

impl fmt::Display for GtidPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("(empty)");
        }
        f.write_str(&self.list())
    }
}

/// Whether the server given as replica replicates from the given primary,
/// as far as GTIDs tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lineage {
    Replica,
    /// Not a replica of this primary: why.
    NotReplica(String),
    /// Nothing to tell it by: why.
    Unknown(String),
}

/// Reads the replica's applied position (`mysql.gtid_slave_pos`) against
/// the primary's binary log state (`@@gtid_binlog_state`: the last GTID of
/// every domain and server it ever logged). A replica of this primary has
/// applied at least one GTID the primary logged, and none that the primary
/// never logged in a domain the primary writes (other domains may come from
/// other sources: multi-source replication).
pub fn lineage(primary_state: &[Gtid], replica_pos: &[Gtid]) -> Lineage {
    if primary_state.is_empty() && replica_pos.is_empty() {
        return Lineage::Unknown("neither has any GTID yet".into());
    }
    let logged = |g: &Gtid| {
        primary_state
            .iter()
            .any(|p| p.domain == g.domain && p.server == g.server && p.seq >= g.seq)
    };
    let foreign = replica_pos
        .iter()
        .find(|g| !logged(g) && primary_state.iter().any(|p| p.domain == g.domain));
    if let Some(g) = foreign {
        return Lineage::NotReplica(format!(
            "it has applied GTID {g}, which the primary never logged"
        ));
    }
    if !replica_pos.iter().any(logged) {
        return Lineage::NotReplica(
            "it has applied none of the primary's transactions".to_string(),
        );
    }
    Lineage::Replica
}

/// How a run places its snapshots in the replication stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// No positions (no binary log or GTIDs, or servers of two flavors):
    /// no difference is drift.
    Unplaced,
    /// Read inside the snapshots (MariaDB).
    Exact,
    /// Read around the snapshots (MySQL).
    Bracketed,
}

impl Placement {
    pub fn positioned(self) -> bool {
        self != Placement::Unplaced
    }
}

/// One table's counts from one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub primary: u64,
    pub replica: u64,
    /// Both counts read at one replication position (R = P).
    pub same_point: bool,
    /// Positions were available at all. False on servers that give none
    /// (a primary without a binary log or GTIDs): a difference is then
    /// never called drift.
    pub positioned: bool,
    /// The content was compared in the same snapshots and differs.
    pub content_differs: bool,
    /// An earlier snapshot set at one position showed a difference too,
    /// with nothing equal seen since.
    pub differed_before: bool,
    /// The counts cover the whole table (false: some key ranges of it).
    pub whole: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Counted at one replication position.
    SamePoint,
    /// Counted without known positions (no GTID wait possible).
    Unpositioned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    Match(How),
    Drift(How),
    /// Different at one position: drift once another snapshot set at one
    /// position shows a difference too (count again until then), so that
    /// one misplaced snapshot cannot raise an alarm.
    Suspect,
    /// No evidence that writes cannot fake: count again.
    Pending,
}

/// The whole verdict rule for one table's evidence of one round.
pub fn judge(e: &Evidence) -> Judgement {
    let equal = e.primary == e.replica && !e.content_differs;
    match (e.same_point, e.positioned, equal) {
        // Part of a table matching says nothing of the rest.
        (_, _, true) if !e.whole => Judgement::Pending,
        (true, _, true) => Judgement::Match(How::SamePoint),
        (true, _, false) if e.differed_before => Judgement::Drift(How::SamePoint),
        (true, _, false) => Judgement::Suspect,
        (false, false, true) => Judgement::Match(How::Unpositioned),
        _ => Judgement::Pending,
    }
}

#[cfg(test)]
mod tests;
