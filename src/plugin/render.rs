//! The plugin output: one status line with all perfdata, then long output.

use super::perfdata::Perfdata;
use super::state::State;

/// The service label at the start of every status line.
pub const LABEL: &str = "DRIFT";

/// Nagios Core keeps 8192 bytes of plugin output; stay well under it so the
/// status line and its perfdata always survive.
pub const MAX_OUTPUT: usize = 8000;

#[derive(Debug, Clone)]
pub struct Output {
    pub state: State,
    pub summary: String,
    pub perfdata: Vec<Perfdata>,
    pub long: Vec<String>,
}

impl Output {
    /// The whole text, ending in a newline, capped at `MAX_OUTPUT` bytes.
    pub fn render(&self) -> String {
        let mut out = format!("{LABEL} {} - {}", self.state, one_line(&self.summary, 1000));
        if !self.perfdata.is_empty() {
            out.push_str(" |");
            for p in &self.perfdata {
                out.push(' ');
                out.push_str(&p.to_string());
            }
        }
        out.push('\n');
        for (i, line) in self.long.iter().enumerate() {
            let line = one_line(line, 500);
            let rest = self.long.len() - i;
            // Room for this line and for the "... and K more" line after it.
            if out.len() + line.len() + 1 + 40 > MAX_OUTPUT && rest > 1 {
                out.push_str(&format!("... and {rest} more\n"));
                break;
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// Makes text safe for plugin output: no line breaks or control characters
/// (one finding per line) and no `|` (Icinga 2 would read perfdata after it).
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn one_line(text: &str, max: usize) -> String {
    let mut s = sanitize(text);
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_then_long_output() {
        let out = Output {
            state: State::Critical,
            summary: "1 of 2 tables differ".into(),
            perfdata: vec![Perfdata::count("tables", 2), Perfdata::count("drifted", 1)],
            long: vec!["db.t: primary 1, replica 2 (+1)".into()],
        };
        assert_eq!(
            out.render(),
            "DRIFT CRITICAL - 1 of 2 tables differ | tables=2;;;0 drifted=1;;;0\n\
             db.t: primary 1, replica 2 (+1)\n"
        );
    }

    #[test]
    fn no_pipe_or_newline_from_names() {
        let out = Output {
            state: State::Ok,
            summary: "a|b\nc".into(),
            perfdata: vec![],
            long: vec!["x|y=1\nz".into()],
        };
        let text = out.render();
        assert_eq!(text, "DRIFT OK - a/b c\nx/y=1 z\n");
    }

    #[test]
    fn long_output_is_capped() {
        let out = Output {
            state: State::Critical,
            summary: "many".into(),
            perfdata: vec![Perfdata::count("drifted", 5000)],
            long: (0..5000)
                .map(|i| format!("db.table_{i:05}: primary 1, replica 2 (+1)"))
                .collect(),
        };
        let text = out.render();
        assert!(text.len() <= MAX_OUTPUT, "{} bytes", text.len());
        assert!(text.starts_with("DRIFT CRITICAL - many | drifted=5000;;;0\n"));
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with("... and ") && last.ends_with(" more"),
            "{last}"
        );
        let shown = text.lines().count() - 2;
        assert_eq!(last, format!("... and {} more", 5000 - shown));
    }

    #[test]
    fn utf8_is_cut_on_a_boundary() {
        let s = one_line(&"é".repeat(600), 501);
        assert!(s.ends_with("..."));
    }
}
