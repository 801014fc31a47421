//! Turns an `Outcome` into what the monitoring system reads: the plugin
//! output, JSON, or one number.

use crate::check::Outcome;
use crate::compare::Verdict;
use crate::config::Config;
use crate::consistency::How;
use crate::model::Key;
use crate::model::{Counts, Role};
use crate::plugin::{Output, Perfdata, State};

/// Figures of one run, shared by every output format.
#[derive(Debug, Default)]
pub struct Figures {
    pub tables: u64,
    pub drifted: u64,
    pub missing_on_replica: u64,
    pub missing_on_primary: u64,
    /// Databases present on one side only (also in `drifted`).
    pub databases_one_sided: u64,
    pub max_row_diff: u64,
    pub unverified: u64,
    pub unreadable: u64,
}

pub fn figures(o: &Outcome) -> Figures {
    let mut f = Figures::default();
    for (key, v) in &o.comparison.verdicts {
        if !key.is_database() {
            f.tables += 1;
        }
        match v {
            Verdict::Match(_) => {}
            Verdict::Drift { counts, .. } => {
                f.drifted += 1;
                f.max_row_diff = f.max_row_diff.max(counts.primary.abs_diff(counts.replica));
            }
            Verdict::Missing { on } => {
                f.drifted += 1;
                f.databases_one_sided += u64::from(key.is_database());
                match on {
                    Role::Replica => f.missing_on_replica += 1,
                    Role::Primary => f.missing_on_primary += 1,
                }
            }
            Verdict::Unverified { .. } => f.unverified += 1,
            Verdict::Unreadable { .. } => f.unreadable += 1,
        }
    }
    f
}

fn signed(c: &Counts) -> String {
    let d = c.replica as i128 - c.primary as i128;
    if d >= 0 {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// One finding, as a long-output line; `None` for a match.
pub fn finding(key: &Key, v: &Verdict, o: &Outcome) -> Option<String> {
    Some(match v {
        Verdict::Match(_) => return None,
        Verdict::Drift { counts, at, .. } => {
            let at = at.as_ref().map_or_else(
                || "read at one replication position".to_string(),
                |p| format!("verified at GTID {p}"),
            );
            format!(
                "{key}: primary {}, replica {} ({}), {at}",
                counts.primary,
                counts.replica,
                signed(counts)
            )
        }
        Verdict::Missing { on } => format!("{key}: missing on the {}", on.name()),
        Verdict::Unverified { last } => {
            let why = if o.positioned {
                "not counted at one replication position in time"
            } else {
                "read without comparable replication positions"
            };
            let last = last.map_or_else(String::new, |c| {
                format!(
                    " (last counts: primary {}, replica {})",
                    c.primary, c.replica
                )
            });
            format!("{key}: unverified: {why}{last}")
        }
        Verdict::Unreadable { side, error } => {
            format!("{key}: cannot count on the {}: {error}", side.name())
        }
    })
}

fn positions(o: &Outcome) -> String {
    match o.positions.as_slice() {
        _ if !o.positioned => {
            "counts read without comparable replication positions (no GTID wait possible)".into()
        }
        [] => "no pair of snapshots at one replication position".into(),
        [p] => format!("both at GTID {p}"),
        [first, .., last] => format!(
            "both at {} replication positions, GTID {first} to {last}",
            o.positions.len()
        ),
    }
}

/// How each verdict was reached, in words.
fn how_words(how: How) -> &'static str {
    match how {
        How::SamePoint => "compared at one replication position",
        How::Unpositioned => "equal without replication positions",
    }
}

/// How the verdicts were reached: the honesty line of every answer.
fn how_reached(o: &Outcome) -> String {
    let mut n = [0u64; 2];
    for v in o.comparison.verdicts.values() {
        if let Verdict::Match(h) | Verdict::Drift { how: h, .. } = v {
            n[*h as usize] += 1;
        }
    }
    let parts: Vec<String> = [How::SamePoint, How::Unpositioned]
        .into_iter()
        .filter(|h| n[*h as usize] > 0)
        .map(|h| format!("{} {}", n[h as usize], how_words(h)))
        .collect();
    if parts.is_empty() {
        return "verdicts: none reached".into();
    }
    format!("verdicts: {}", parts.join(", "))
}

pub fn state(f: &Figures, cfg: &Config) -> State {
    let t = &cfg.thresholds;
    let check = |range: &Option<crate::plugin::Range>, v: u64, s: State| {
        if range.as_ref().is_some_and(|r| r.alerts(v as f64)) {
            s
        } else {
            State::Ok
        }
    };
    let mut state = State::Ok
        .merge(check(&t.warning, f.drifted, State::Warning))
        .merge(check(&t.critical, f.drifted, State::Critical))
        .merge(check(&t.warning_rows, f.max_row_diff, State::Warning))
        .merge(check(&t.critical_rows, f.max_row_diff, State::Critical));
    if f.unverified > 0 {
        state = state.merge(cfg.unverified);
    }
    if f.unreadable > 0 || nothing_compared(f) {
        state = state.merge(State::Unknown);
    }
    state
}

/// A check that checked nothing (filters with a typo) must not say OK.
fn nothing_compared(f: &Figures) -> bool {
    f.tables == 0 && f.drifted == 0
}

pub fn nagios(o: &Outcome, cfg: &Config) -> Output {
    let f = figures(o);
    let state = state(&f, cfg);
    let findings: Vec<String> = o
        .comparison
        .verdicts
        .iter()
        .filter_map(|(k, v)| finding(k, v, o))
        .collect();
    let mut summary = if f.drifted > 0 {
        let names: Vec<String> = o
            .comparison
            .verdicts
            .iter()
            .filter_map(|(k, v)| match v {
                Verdict::Drift { counts, .. } => Some(format!("{k} {}", signed(counts))),
                Verdict::Missing { on } => Some(format!("{k} missing on {}", on.name())),
                _ => None,
            })
            .take(3)
            .collect();
        let more = if f.drifted > 3 { ", ..." } else { "" };
        let dbs = match f.databases_one_sided {
            0 => String::new(),
            1 => " and 1 database is on one side only".into(),
            n => format!(" and {n} databases are on one side only"),
        };
        format!(
            "{} of {} tables differ{dbs} ({}{more})",
            f.drifted - f.databases_one_sided,
            f.tables,
            names.join(", ")
        )
    } else if nothing_compared(&f) {
        "no table matched the filters".to_string()
    } else {
        let matched = f.tables.saturating_sub(f.unverified + f.unreadable);
        format!("{matched} of {} tables match", f.tables)
    };
    if f.unverified > 0 {
        summary.push_str(&format!(", {} unverified", f.unverified));
    }
    if f.unreadable > 0 {
        summary.push_str(&format!(", {} unreadable", f.unreadable));
    }
    summary.push_str(&format!(", {}", positions(o)));

    let t = &cfg.thresholds;
    let ahead = match o.replica_ahead {
        Some(n) => Perfdata::count("replica_ahead", n),
        None => Perfdata::count("replica_ahead", 0).unknown(),
    };
    let perfdata = vec![
        Perfdata::count("tables", f.tables),
        Perfdata::count("drifted", f.drifted).thresholds(t.warning.as_ref(), t.critical.as_ref()),
        Perfdata::count("missing_on_replica", f.missing_on_replica),
        Perfdata::count("missing_on_primary", f.missing_on_primary),
        Perfdata::count("max_row_diff", f.max_row_diff)
            .thresholds(t.warning_rows.as_ref(), t.critical_rows.as_ref()),
        Perfdata::count("rows_primary", o.comparison.rows_primary),
        Perfdata::count("rows_replica", o.comparison.rows_replica),
        Perfdata::count("unverified", f.unverified),
        Perfdata::count("unreadable", f.unreadable),
        Perfdata::count("rechecks", o.comparison.rechecks),
        ahead,
        Perfdata::seconds("time", o.elapsed.as_secs_f64()),
    ];
    let mut long = vec![how_reached(o)];
    long.extend(cfg.notes.iter().cloned());
    long.extend(findings);
    if cfg.verbosity >= 1 {
        long.push(format!(
            "{} round(s), {} table re-check(s), {} snapshot pair(s) opened to find ones at one position; {}",
            o.rounds,
            o.comparison.rechecks,
            o.align_tries,
            positions(o)
        ));
    }
    if cfg.verbosity >= 2 {
        long.push(format!(
            "primary {}, replica {}, user {}, {} connection(s) per server, timeout {}s, tls {}",
            cfg.primary,
            cfg.replica,
            cfg.user,
            cfg.connections,
            cfg.timeout.as_secs_f64(),
            if cfg.tls.is_some() { "on" } else { "off" }
        ));
    }
    if cfg.verbosity >= 3 {
        for (k, v) in &o.comparison.verdicts {
            if let Verdict::Match(how) = v {
                long.push(format!("{k}: match, {}", how_words(*how)));
            }
        }
    }
    Output {
        state,
        summary,
        perfdata,
        long,
    }
}

/// JSON for Zabbix's JSONPath preprocessing and other scripts.
pub fn json(o: &Outcome, cfg: &Config) -> (State, String) {
    let out = nagios(o, cfg);
    let f = figures(o);
    let findings: Vec<String> = o
        .comparison
        .verdicts
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Match(_)))
        .map(|(k, v)| {
            format!(
                "{{\"database\":{},\"table\":{},\"finding\":{}}}",
                json_str(k.db()),
                k.table_name().map_or("null".into(), json_str),
                json_str(&finding(k, v, o).unwrap_or_default())
            )
        })
        .collect();
    let positions: Vec<String> = o.positions.iter().map(|p| json_str(&p.list())).collect();
    let ahead = o.replica_ahead.map_or("null".into(), |n| n.to_string());
    let text = format!(
        "{{\"state\":\"{}\",\"code\":{},\"summary\":{},\"tables\":{},\"drifted\":{},\"missing_on_replica\":{},\
         \"missing_on_primary\":{},\"max_row_diff\":{},\"rows_primary\":{},\"rows_replica\":{},\"unverified\":{},\
         \"unreadable\":{},\"rechecks\":{},\"positions\":[{}],\"replica_ahead\":{},\"time\":{:.3},\"findings\":[{}]}}\n",
        out.state,
        out.state.code(),
        json_str(&out.summary),
        f.tables,
        f.drifted,
        f.missing_on_replica,
        f.missing_on_primary,
        f.max_row_diff,
        o.comparison.rows_primary,
        o.comparison.rows_replica,
        f.unverified,
        f.unreadable,
        o.comparison.rechecks,
        positions.join(","),
        ahead,
        o.elapsed.as_secs_f64(),
        findings.join(",")
    );
    (out.state, text)
}

/// A verdict-less answer in JSON.
pub fn json_error(state: State, message: &str) -> String {
    format!(
        "{{\"state\":\"{state}\",\"code\":{},\"summary\":{}}}\n",
        state.code(),
        json_str(message)
    )
}

pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn signed_differences() {
        let c = |primary, replica| Counts { primary, replica };
        assert_eq!(signed(&c(1007, 1014)), "+7");
        assert_eq!(signed(&c(10, 3)), "-7");
        assert_eq!(signed(&c(0, 0)), "+0");
    }
}
