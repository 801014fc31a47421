//! The words of a report: findings, summaries, how verdicts were reached.

use super::evaluate::{nothing_compared, Tally};
use crate::config::{Config, Verbosity};
use crate::consistency::How;
use crate::model::{Counts, Difference, Forensic, Key, RangeDiff};
use crate::outcome::{Outcome, ReplicaOutcome};
use crate::rowhash::ContentReading;
use crate::verdict::{Drifted, PassEnd, Unsettled, Verdict};

/// How a finding names the differing key values it located.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyWords {
    /// Their number, and that `-vvv` lists them (the text output).
    Hint,
    /// Their number and the values (`-vvv`).
    Listed,
    /// Their number alone (JSON, which carries the values itself).
    Counted,
}

impl KeyWords {
    /// The text output's, at `verbosity`.
    pub(super) fn of(verbosity: Verbosity) -> KeyWords {
        match verbosity >= Verbosity::Matches {
            true => KeyWords::Listed,
            false => KeyWords::Hint,
        }
    }
}

/// What a content difference adds to a finding: how it was seen, and
/// where.
pub(super) fn content_words(c: &ContentReading, keys: KeyWords) -> String {
    let mut line = format!("content differs ({})", c.method);
    if !c.left_out.is_empty() {
        line.push_str(&format!(
            "; columns not on both sides left out: {}",
            c.left_out.join(", ")
        ));
    }
    let Some(l) = &c.located else {
        return line;
    };
    if l.no_key {
        line.push_str("; no primary or NOT NULL unique key: compared whole, not located");
        return line;
    }
    if !l.ranges.is_empty() {
        let shown: Vec<&str> = l.ranges.iter().take(3).map(String::as_str).collect();
        let more = if l.ranges.len() > 3 { ", ..." } else { "" };
        line.push_str(&format!(
            "; {} key range(s): {}{more}",
            l.ranges.len(),
            shown.join("; ")
        ));
    }
    match (l.keys_found, keys) {
        (0, _) => {}
        (n, KeyWords::Hint) => {
            line.push_str(&format!("; {n} differing key value(s) (-vvv lists them)"))
        }
        (n, KeyWords::Counted) => line.push_str(&format!("; {n} differing key value(s)")),
        (n, KeyWords::Listed) => {
            let more = if n > l.keys.len() { ", ..." } else { "" };
            line.push_str(&format!(
                "; {n} differing key value(s): {}{more}",
                l.keys.join("; ")
            ));
        }
    }
    line
}

pub(super) fn signed(c: &Counts) -> String {
    let d = c.replica as i128 - c.primary as i128;
    if d >= 0 {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// One finding, in words; `None` for a match.
pub(super) fn finding(key: &Key, v: &Verdict, positioned: bool, keys: KeyWords) -> Option<String> {
    Some(match v {
        Verdict::Match(_) => return None,
        Verdict::Drift(d) => {
            let Drifted {
                counts,
                at,
                content,
                ranges,
                ..
            } = &**d;
            let at = at.as_ref().map_or_else(
                || "read at one replication position".to_string(),
                |p| format!("verified at GTID {p}"),
            );
            let rows = match counts.primary == counts.replica {
                true => format!("{} rows on both", counts.primary),
                false => format!(
                    "primary {}, replica {} ({})",
                    counts.primary,
                    counts.replica,
                    signed(counts)
                ),
            };
            let content = content
                .as_ref()
                .map_or_else(String::new, |c| format!(", {}", content_words(c, keys)));
            format!("{key}: {rows}{}{content}, {at}", ranges_words(ranges))
        }
        Verdict::Missing { on } => format!("{key}: missing on the {}", on.name()),
        Verdict::Unverified { last, why } => unverified_words(key, *last, *why, positioned),
        Verdict::Unreadable { side, error } => {
            format!("{key}: cannot count on the {}: {error}", side.name())
        }
    })
}

/// An unverified table, and why.
fn unverified_words(key: &Key, last: Option<Counts>, why: Unsettled, positioned: bool) -> String {
    let why = match (why, positioned) {
        (
            Unsettled::Partial {
                compared,
                estimated,
            },
            _,
        ) => {
            return format!(
                "{key}: unverified: {} of about {} rows compared at one replication position in \
                 time, no drift in them",
                rows_words(compared),
                rows_words(estimated)
            )
        }
        (Unsettled::ContentLeftOut, true) => {
            "counts equal at one replication position, content not compared in time"
        }
        (Unsettled::ContentLeftOut, false) => {
            "content not compared: no comparable replication positions"
        }
        (Unsettled::Uncut, _) => {
            "no primary key or unique key of NOT NULL columns to count it in key ranges, and \
             counting it whole did not end within --max-snapshot-age or the time left of -t"
        }
        (Unsettled::UncutContent, _) => {
            "counts equal at one replication position; no primary key or unique key of NOT NULL \
             columns to hash its content in key ranges, and hashing it whole did not end within \
             --max-snapshot-age or the time left of -t"
        }
        (Unsettled::DifferedOnce, _) => {
            "differed at one replication position, not seen again in time"
        }
        (Unsettled::NoPosition, true) => "not counted at one replication position in time",
        (Unsettled::NoPosition, false) => "read without comparable replication positions",
    };
    let last = last.map_or_else(String::new, |c| {
        format!(
            " (last counts: primary {}, replica {})",
            c.primary, c.replica
        )
    });
    format!("{key}: unverified: {why}{last}")
}

pub(super) fn positions(found: &ReplicaOutcome, positioned: bool) -> String {
    match found.positions.as_slice() {
        _ if !positioned => {
            "counts read without comparable replication positions (no GTID wait possible)".into()
        }
        [] => "no pair of snapshots at one replication position".into(),
        [p] => format!("both at GTID {p}"),
        [first, .., last] => format!(
            "both at {} replication positions, GTID {first} to {last}",
            found.positions.len()
        ),
    }
}

/// How each verdict was reached, in words.
pub(super) fn how_words(how: How) -> &'static str {
    match how {
        How::SamePoint => "compared at one replication position",
        How::Unpositioned => "equal without replication positions",
    }
}

/// How the verdicts were reached: the honesty line of every answer.
pub(super) fn how_reached(found: &ReplicaOutcome, bracketed: bool) -> String {
    let mut n = [0u64; 2];
    for v in found.comparison.verdicts.values() {
        let how = match v {
            Verdict::Match(h) => Some(h),
            Verdict::Drift(d) => Some(&d.how),
            _ => None,
        };
        if let Some(h) = how {
            n[*h as usize] += 1;
        }
    }
    let parts: Vec<String> = [How::SamePoint, How::Unpositioned]
        .into_iter()
        .filter(|h| n[*h as usize] > 0)
        .map(|h| format!("{} {}", n[h as usize], how_words(h)))
        .collect();
    let mut line = match parts.is_empty() {
        true => "verdicts: none reached".to_string(),
        false => format!("verdicts: {}", parts.join(", ")),
    };
    if bracketed {
        line.push_str("; MySQL: positions read around the snapshots, not inside them");
    }
    line
}

/// What differs (the first three), or how many tables match; then what
/// has no verdict.
pub(super) fn core_summary(found: &ReplicaOutcome, t: &Tally) -> String {
    let mut summary = if t.drifted > 0 {
        differing(found, t)
    } else if nothing_compared(t) {
        "no table matched the filters".to_string()
    } else {
        let matched = t.tables.saturating_sub(t.unverified + t.unreadable);
        format!("{matched} of {} tables match", t.tables)
    };
    if t.counts_only > 0 {
        summary.push_str(&format!(
            ", {} by counts only (not transactional)",
            t.counts_only
        ));
    }
    summary.push_str(&definitions_summary(found));
    if t.unverified > 0 {
        summary.push_str(&format!(", {} unverified", t.unverified));
    }
    if t.unreadable > 0 {
        summary.push_str(&format!(", {} unreadable", t.unreadable));
    }
    summary
}

pub(super) fn differing(found: &ReplicaOutcome, t: &Tally) -> String {
    let names: Vec<String> = found
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Drift(d) if d.counts.primary == d.counts.replica => {
                Some(format!("{k} content"))
            }
            Verdict::Drift(d) => Some(format!("{k} {}", signed(&d.counts))),
            Verdict::Missing { on } => Some(format!("{k} missing on {}", on.name())),
            _ => None,
        })
        .take(3)
        .collect();
    let more = if t.drifted > 3 { ", ..." } else { "" };
    let dbs = match t.databases_one_sided {
        0 => String::new(),
        1 => " and 1 database is on one side only".into(),
        n => format!(" and {n} databases are on one side only"),
    };
    format!(
        "{} of {} tables differ{dbs} ({}{more})",
        t.drifted - t.databases_one_sided,
        t.tables,
        names.join(", ")
    )
}

/// `-v`: how the run went for one replica.
pub(super) fn progress(found: &ReplicaOutcome, o: &Outcome) -> String {
    format!(
        "{} round(s), {} table re-check(s), {} tries to read both servers at the same \
         replication position; {}",
        o.rounds,
        found.comparison.rechecks,
        o.align_tries,
        positions(found, o.placement.positioned())
    )
}

/// `-vv`: the configuration, and what each server is.
pub(super) fn configuration(cfg: &Config, o: &Outcome) -> String {
    format!(
        "{}; user {}, {} connection(s) per server, timeout {}s, tls {}",
        o.versions.join(", "),
        cfg.user,
        cfg.connections,
        cfg.timeout.as_secs_f64(),
        if cfg.tls.is_some() { "on" } else { "off" }
    )
}

/// `-vvv`: what was kept of each difference at one position, then every
/// match and how it was reached.
pub(super) fn matches(found: &ReplicaOutcome, cfg: &Config) -> Vec<String> {
    if cfg.verbosity < Verbosity::Matches {
        return Vec::new();
    }
    let kept = found.comparison.forensics.iter().map(forensic_words);
    kept.chain(match_lines(found)).collect()
}

/// `forensics: d.t at GTID P: primary 10, replica 11; counted again in the
/// same snapshots: primary 10, replica 11 (the same); ...`.
fn forensic_words(f: &Forensic) -> String {
    let again = match (f.recount_primary, f.recount_replica) {
        (Some(p), Some(r)) => format!("primary {p}, replica {r}"),
        _ => "unreadable".to_string(),
    };
    let verdict = match f.recount_agrees {
        true => "the same: the read is not at fault",
        false => "different: the server's read is at fault",
    };
    let primary = f.primary_snapshot.as_ref().map_or_else(String::new, |c| {
        format!("; primary snapshot at binlog {c} (BINLOG_GTID_POS: that position)")
    });
    let replica = match f.replica_slave_pos.as_slice() {
        [] => String::new(),
        rows => format!(
            "; replica's mysql.gtid_slave_pos in its snapshot: {}",
            rows.join(", ")
        ),
    };
    format!(
        "forensics: {} at GTID {}: primary {}, replica {}; counted again in the same snapshots: \
         {again} ({verdict}){primary}{replica}",
        f.table, f.at, f.primary, f.replica
    )
}

/// Every match and how it was reached.
fn match_lines(found: &ReplicaOutcome) -> Vec<String> {
    found
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| match v {
            Verdict::Match(how) => {
                let c = &found.comparison;
                let content = if let Some(cols) = c.content_columns_left_out.get(k) {
                    format!(
                        ", content included (columns not on both sides left out: {})",
                        cols.join(", ")
                    )
                } else if c.content_checked.contains(k) {
                    ", content included".to_string()
                } else if c.counts_only.contains(k) {
                    ", counts only (not transactional: content is not compared)".to_string()
                } else {
                    String::new()
                };
                let under_way = matches!(c.pass_ends.get(k), Some(PassEnd::UnderWay(_)));
                let how = match c.ranged.get(k) {
                    Some(n) if under_way => format!(
                        "no difference so far: pass under way, {n} key ranges compared this run, \
                         each at one replication position"
                    ),
                    Some(n) => {
                        format!("compared in {n} key ranges, each at one replication position")
                    }
                    None => how_words(*how).to_string(),
                };
                Some(format!("{k}: match, {how}{content}"))
            }
            _ => None,
        })
        .collect()
}

/// `--state-file`: how far the rotation stands, when this run compared
/// the content of only some tables, or left passes over big tables
/// under way.
pub(super) fn rotation_words(found: &ReplicaOutcome) -> String {
    let compared = found.comparison.content_checked.len() as u64;
    let mut words = match found.content_eligible {
        Some(eligible) if compared < eligible => {
            format!(", content of {compared} of {eligible} tables compared this run")
        }
        _ => String::new(),
    };
    if let (n @ 1.., Some(age)) = (found.passes_under_way, found.pass_age) {
        words.push_str(&format!(
            ", {n} big table(s) in passes under way, oldest complete pass {age}s ago"
        ));
    }
    words
}

/// Whether a definition difference was seen in two listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Confirmed {
    Twice,
    Once,
}

/// `shop.orders: definition differs: column extra (int) on the replica only`.
pub(super) fn definition_words(key: &Key, diffs: &[Difference], seen: Confirmed) -> String {
    let all: Vec<String> = diffs.iter().map(ToString::to_string).collect();
    let head = match seen {
        Confirmed::Twice => "definition differs",
        Confirmed::Once => "definition differed in one listing, not seen again in time",
    };
    format!("{key}: {head}: {}", all.join("; "))
}

/// `, 1 definition differs (shop.orders)`, or nothing.
fn definitions_summary(found: &ReplicaOutcome) -> String {
    let defs = &found.comparison.definitions;
    if defs.is_empty() {
        return String::new();
    }
    let names: Vec<String> = defs.keys().take(3).map(ToString::to_string).collect();
    let more = if defs.len() > 3 { ", ..." } else { "" };
    let verb = if defs.len() == 1 {
        "definition differs"
    } else {
        "definitions differ"
    };
    format!(", {} {verb} ({}{more})", defs.len(), names.join(", "))
}

/// Rows in a few words: `950000`, `8.1 M`, `30 M`.
fn rows_words(n: u64) -> String {
    let m = n as f64 / 1e6;
    match n {
        0..=999_999 => n.to_string(),
        10_000_000.. => format!("{m:.0} M"),
        _ => format!("{m:.1} M"),
    }
}

/// Where counts taken in key ranges differ: ` in id (1, 9]: id=5 on the
/// replica only`, the first range, and how many more.
fn ranges_words(ranges: &[RangeDiff]) -> String {
    let Some(first) = ranges.first() else {
        return String::new();
    };
    let mut line = format!(" in {}", first.range);
    if first.content_differs && first.primary == first.replica {
        line.push_str(", content differs");
    }
    if let Some(keys) = &first.keys {
        let on_one_side = |list: &[String], side: &str| -> Vec<String> {
            list.iter()
                .map(|k| format!("{k} on the {side} only"))
                .collect()
        };
        let shown: Vec<String> = on_one_side(&keys.primary_only, "primary")
            .into_iter()
            .chain(on_one_side(&keys.replica_only, "replica"))
            .chain(keys.changed.iter().map(|k| format!("{k} differs")))
            .take(3)
            .collect();
        if !shown.is_empty() {
            let more = if keys.found > shown.len() {
                ", ..."
            } else {
                ""
            };
            line.push_str(&format!(": {}{more}", shown.join("; ")));
        }
    }
    if ranges.len() > 1 {
        line.push_str(&format!(" (and {} more range(s))", ranges.len() - 1));
    }
    line
}
