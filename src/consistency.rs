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

/// A GTID position: per replication domain, the last GTID applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidPos {
    domains: BTreeMap<u32, Gtid>,
}

impl GtidPos {
    /// Parses `0-1-100,1-2-5`; a later entry of a domain replaces an earlier.
    pub fn parse(text: &str) -> Result<GtidPos, String> {
        let domains = parse_gtids(text)?
            .into_iter()
            .map(|g| (g.domain, g))
            .collect();
        Ok(GtidPos { domains })
    }

    pub fn gtids(&self) -> impl Iterator<Item = &Gtid> {
        self.domains.values()
    }

    fn seq(&self, domain: u32) -> u64 {
        self.domains.get(&domain).map_or(0, |g| g.seq)
    }

    /// `self`, a replica's position, is exactly the primary's position
    /// `primary`: the same last GTID (server id included) in every domain
    /// of the primary's stream. Domains only the replica has come from
    /// other sources and do not change what the primary's stream put there.
    pub fn at_primary_point(&self, primary: &GtidPos) -> bool {
        primary
            .domains
            .iter()
            .all(|(d, g)| self.domains.get(d) == Some(g))
    }

    /// For listing positions in stream order: sequence numbers by domain.
    pub fn order(&self) -> Vec<(u32, u64)> {
        self.domains.values().map(|g| (g.domain, g.seq)).collect()
    }

    /// Transactions `self` is ahead of `earlier`, summed over domains.
    pub fn ahead_of(&self, earlier: &GtidPos) -> u64 {
        let domains: std::collections::BTreeSet<u32> = self
            .domains
            .keys()
            .chain(earlier.domains.keys())
            .copied()
            .collect();
        domains
            .into_iter()
            .map(|d| self.seq(d).saturating_sub(earlier.seq(d)))
            .sum()
    }

    /// As the server writes it: `0-1-100,1-2-5`, empty for no transaction.
    pub fn list(&self) -> String {
        let parts: Vec<String> = self.domains.values().map(Gtid::to_string).collect();
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

/// One table's counts from one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub primary: u64,
    pub replica: u64,
    /// Both counts read at one replication position (R = P).
    pub same_point: bool,
    /// Positions were available at all. False on servers that give none
    /// (MySQL, a primary without a binary log): a difference is then never
    /// called drift.
    pub positioned: bool,
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
    /// No evidence that writes cannot fake: count again.
    Pending,
}

pub fn judge(e: &Evidence) -> Judgement {
    let equal = e.primary == e.replica;
    match (e.same_point, e.positioned, equal) {
        (true, _, true) => Judgement::Match(How::SamePoint),
        (true, _, false) => Judgement::Drift(How::SamePoint),
        (false, false, true) => Judgement::Match(How::Unpositioned),
        _ => Judgement::Pending,
    }
}

#[cfg(test)]
mod tests;
