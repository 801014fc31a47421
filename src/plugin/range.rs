//! Threshold ranges, `[@]start:end`, as the Monitoring Plugins guidelines
//! define them.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    start: f64,
    end: f64,
    /// `@`: alert inside the range instead of outside.
    inside: bool,
    /// The text as the user wrote it, for perfdata.
    text: String,
}

impl Range {
    pub fn parse(text: &str) -> Result<Range, String> {
        let bad = |why: &str| Err(format!("invalid range '{text}': {why}"));
        let t = text.trim();
        if t.is_empty() {
            return bad("empty");
        }
        let (inside, body) = match t.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (start, end) = match body.split_once(':') {
            None => (0.0, parse_number(body).ok_or(())),
            Some((s, e)) => {
                let start = if s == "~" {
                    f64::NEG_INFINITY
                } else if s.is_empty() {
                    0.0
                } else {
                    match parse_number(s) {
                        Some(v) => v,
                        None => return bad(&format!("'{s}' is not a number")),
                    }
                };
                let end = if e.is_empty() {
                    Ok(f64::INFINITY)
                } else {
                    parse_number(e).ok_or(())
                };
                (start, end)
            }
        };
        let end = match end {
            Ok(v) => v,
            Err(()) => return bad("the end is not a number"),
        };
        if start > end {
            return bad("start is greater than end");
        }
        Ok(Range {
            start,
            end,
            inside,
            text: t.to_string(),
        })
    }

    /// Whether `value` raises an alert for this range.
    pub fn alerts(&self, value: f64) -> bool {
        let within = value >= self.start && value <= self.end;
        within == self.inside
    }

    /// A range that alerts on anything above `max`, i.e. `max`.
    pub fn at_most(max: u64) -> Range {
        Range::parse(&max.to_string()).expect("a plain number is a valid range")
    }
}

fn parse_number(s: &str) -> Option<f64> {
    // Only plain decimal numbers: no "inf", "nan" or exponents.
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+');
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl fmt::Display for Range {
    /// As written by the user: Icinga 2 keeps plain numbers and drops range
    /// syntax, which is the best a consumer can do with it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::Range;

    fn alerts(r: &str, v: f64) -> bool {
        Range::parse(r).unwrap().alerts(v)
    }

    #[test]
    fn conventions_table() {
        // `10`: x < 0 or x > 10
        assert!(alerts("10", -1.0) && alerts("10", 11.0));
        assert!(!alerts("10", 0.0) && !alerts("10", 10.0));
        // `10:`: x < 10
        assert!(alerts("10:", 9.0) && !alerts("10:", 10.0) && !alerts("10:", 1e12));
        // `~:10`: x > 10
        assert!(alerts("~:10", 10.5) && !alerts("~:10", -1e9) && !alerts("~:10", 10.0));
        // `10:20`: outside
        assert!(alerts("10:20", 9.9) && alerts("10:20", 20.1) && !alerts("10:20", 15.0));
        // `@10:20`: inside, inclusive
        assert!(alerts("@10:20", 10.0) && alerts("@10:20", 20.0) && !alerts("@10:20", 21.0));
    }

    #[test]
    fn zero_alerts_on_any_positive() {
        assert!(!alerts("0", 0.0));
        assert!(alerts("0", 1.0));
    }

    #[test]
    fn negative_and_decimal() {
        assert!(alerts("-5:5", -6.0) && !alerts("-5:5", -5.0));
        assert!(alerts("0.5", 0.6) && !alerts("0.5", 0.5));
    }

    #[test]
    fn invalid() {
        for bad in [
            "", "abc", "5:2", "@", "1:x", "x:1", "1e3", "inf", "10::", "nan",
        ] {
            assert!(Range::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn displays_as_written() {
        assert_eq!(Range::parse("5").unwrap().to_string(), "5");
        assert_eq!(Range::parse("@10:20").unwrap().to_string(), "@10:20");
    }
}
