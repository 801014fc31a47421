//! The plugin text: status line with perfdata, then the long output.

use super::parts::{worst_first, Part, Report};
use crate::plugin::{Output, Perfdata};

impl Report {
    /// The plugin output: status line with perfdata, then the details, the
    /// findings and the matches, capped (the last ones cut first).
    pub(super) fn text(&self) -> String {
        let output = match self.parts.as_slice() {
            [one] => Output {
                state: self.state,
                summary: self.summary.clone(),
                perfdata: self.with_time(one.perfdata.clone()),
                long: self.one_replica_lines(one),
            },
            _ => Output {
                state: self.state,
                summary: self.summary.clone(),
                perfdata: self.several_perfdata(),
                long: self.several_lines(),
            },
        };
        output.render()
    }

    /// One replica's long output, unprefixed: how the verdicts were
    /// reached, notes, `-v`, `-vv`, findings, matches.
    fn one_replica_lines(&self, part: &Part) -> Vec<String> {
        let lines = part.how.iter().chain(&self.notes).chain(&part.verbose);
        let lines = lines.chain(&self.configuration).cloned();
        let findings = part.finding_lines.iter().cloned();
        lines
            .chain(findings)
            .chain(part.matches.iter().cloned())
            .collect()
    }

    /// Each replica's figures under its label, then the run's time.
    fn several_perfdata(&self) -> Vec<Perfdata> {
        let all = self
            .parts
            .iter()
            .flat_map(|p| p.perfdata.iter().map(|d| d.clone().of(&p.label)));
        self.with_time(all.collect())
    }

    /// `figures`, then the run's time (none without figures: one replica
    /// that has none, like a run that reached no comparison).
    fn with_time(&self, mut figures: Vec<Perfdata>) -> Vec<Perfdata> {
        if figures.is_empty() && self.parts.len() == 1 {
            return figures;
        }
        figures.extend(self.time.map(|t| Perfdata::seconds("time", t)));
        figures
    }

    /// A line per replica (its state and summary) first, so that the cap
    /// never drops one; the run's details; then each replica's details,
    /// findings and matches, each line led by the replica's name.
    fn several_lines(&self) -> Vec<String> {
        let ordered = worst_first(&self.parts);
        let mut lines: Vec<String> = ordered
            .iter()
            .map(|p| format!("{}: {} - {}", p.replica, p.state, p.summary))
            .collect();
        lines.extend(self.notes.iter().chain(&self.configuration).cloned());
        let of = |p: &Part, text: &str| format!("{}: {text}", p.replica);
        for p in &ordered {
            lines.extend(p.details().map(|d| of(p, d)));
            lines.extend(p.finding_lines.iter().map(|f| of(p, f)));
        }
        for p in &ordered {
            lines.extend(p.matches.iter().map(|m| of(p, m)));
        }
        lines
    }
}
