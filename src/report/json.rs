//! The JSON shape of a report.

use super::figures::Figures;
use super::parts::{Finding, Part, Report};
use crate::model::Forensic;
use crate::plugin::State;
use serde::Serialize;

/// One replica's object.
#[derive(Serialize)]
struct PartOut<'a> {
    replica: &'a str,
    state: State,
    code: i32,
    summary: &'a str,
    #[serde(flatten)]
    figures: &'a Figures,
    positions: &'a [String],
    findings: &'a [Finding],
    /// What was kept of each difference at one position.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    forensics: &'a [Forensic],
}

impl<'a> PartOut<'a> {
    fn of(p: &'a Part) -> PartOut<'a> {
        PartOut {
            replica: &p.replica,
            state: p.state,
            code: p.state.code(),
            summary: &p.summary,
            figures: &p.figures,
            positions: &p.positions,
            findings: &p.findings,
            forensics: &p.forensics,
        }
    }
}

/// JSON with one replica (or none): its figures, positions and findings
/// at the top, where single-replica consumers read them; and `replicas`.
#[derive(Serialize)]
struct Flat<'a> {
    state: State,
    code: i32,
    summary: &'a str,
    #[serde(flatten)]
    figures: &'a Figures,
    positions: &'a [String],
    findings: &'a [Finding],
    replicas: &'a [PartOut<'a>],
}

/// JSON with several replicas: the state of the whole, the differing
/// tables of all (as `--output number`), and one object per replica.
#[derive(Serialize)]
struct Several<'a> {
    state: State,
    code: i32,
    summary: &'a str,
    drifted: Option<u64>,
    time: Option<f64>,
    replicas: &'a [PartOut<'a>],
}

impl Report {
    pub(super) fn json(&self) -> String {
        let parts: Vec<PartOut> = self.parts.iter().map(PartOut::of).collect();
        let text = match self.parts.as_slice() {
            [_, _, ..] => serde_json::to_string(&Several {
                state: self.state,
                code: self.state.code(),
                summary: &self.summary,
                drifted: self.drifted(),
                time: self.time,
                replicas: &parts,
            }),
            all => {
                let none = Figures::default();
                let one = all.first();
                serde_json::to_string(&Flat {
                    state: self.state,
                    code: self.state.code(),
                    summary: &self.summary,
                    figures: one.map_or(&none, |p| &p.figures),
                    positions: one.map_or(&[], |p| &p.positions),
                    findings: one.map_or(&[], |p| &p.findings),
                    replicas: &parts,
                })
            }
        };
        // Strings, integers and a rounded time: nothing that JSON cannot hold.
        let mut text = text.expect("a report is always JSON");
        text.push('\n');
        text
    }
}
