//! One report value per run, built from the outcome or from a failure,
//! and rendered from that one value: the plugin text, JSON, or a number.

mod evaluate;
mod figures;
mod json;
mod metrics;
mod parts;
#[cfg(test)]
mod tests;
mod text;
mod wording;

pub(crate) use parts::Report;

use crate::answer::Answer;
use crate::cli::OutputFormat;
use crate::plugin::{State, LABEL};

/// `report` in the format asked for, with its state.
pub(crate) fn render(report: &Report, format: OutputFormat) -> Answer {
    let text = match format {
        OutputFormat::Nagios => report.text(),
        OutputFormat::Json => report.json(),
        OutputFormat::Number => number(report),
        OutputFormat::Openmetrics => report.metrics(now()),
    };
    Answer {
        state: report.state,
        text,
    }
}

/// A verdict-less answer (bad arguments, a failure, a timeout) in the
/// requested format.
pub(crate) fn failure(format: OutputFormat, state: State, message: &str) -> Answer {
    render(&Report::failure(state, message), format)
}

/// Seconds since the epoch.
fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64().floor())
}

/// The number of differing tables (of all replicas), for a numeric
/// Zabbix item; without a verdict on every table, the status line
/// instead: the item then becomes unsupported and shows why, rather
/// than a healthy-looking 0.
fn number(report: &Report) -> String {
    match report.drifted() {
        Some(n) => format!("{n}\n"),
        None => format!("{LABEL} {} - {}\n", report.state, report.summary),
    }
}
