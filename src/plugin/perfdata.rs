//! Performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`.

use super::range::Range;
use std::fmt;

#[derive(Debug, Clone)]
pub struct Perfdata {
    pub label: String,
    /// `None` is written `U` (a value that could not be measured).
    pub value: Option<f64>,
    pub uom: &'static str,
    pub warn: Option<Range>,
    pub crit: Option<Range>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Perfdata {
    pub fn count(label: impl Into<String>, value: u64) -> Perfdata {
        Perfdata {
            label: label.into(),
            value: Some(value as f64),
            uom: "",
            warn: None,
            crit: None,
            min: Some(0.0),
            max: None,
        }
    }

    pub fn seconds(label: impl Into<String>, value: f64) -> Perfdata {
        Perfdata {
            uom: "s",
            value: Some(value),
            ..Perfdata::count(label, 0)
        }
    }

    /// A share, 0 to 100.
    pub fn percent(label: impl Into<String>, value: f64) -> Perfdata {
        Perfdata {
            uom: "%",
            value: Some(value),
            max: Some(100.0),
            ..Perfdata::count(label, 0)
        }
    }

    pub fn thresholds(mut self, warn: Option<&Range>, crit: Option<&Range>) -> Perfdata {
        self.warn = warn.cloned();
        self.crit = crit.cloned();
        self
    }

    pub fn unknown(mut self) -> Perfdata {
        self.value = None;
        self
    }

    /// The same figure of one of several things: `prefix.label`.
    pub fn of(mut self, prefix: &str) -> Perfdata {
        self.label = format!("{prefix}.{}", self.label);
        self
    }
}

/// C-locale decimal without exponent: `12`, `0.417`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl fmt::Display for Perfdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Labels are ours, made of [a-z0-9_.]: no quoting needed.
        let value = self.value.map_or_else(|| "U".to_string(), number);
        let opt = |r: &Option<Range>| r.as_ref().map(|r| r.to_string()).unwrap_or_default();
        let num = |n: Option<f64>| n.map(number).unwrap_or_default();
        let mut s = format!(
            "{}={}{};{};{};{};{}",
            self.label,
            value,
            self.uom,
            opt(&self.warn),
            opt(&self.crit),
            num(self.min),
            num(self.max)
        );
        while s.ends_with(';') {
            s.pop();
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_thresholds() {
        let w = Range::parse("5").unwrap();
        let c = Range::parse("10").unwrap();
        let p = Perfdata::count("drifted", 2).thresholds(Some(&w), Some(&c));
        assert_eq!(p.to_string(), "drifted=2;5;10;0");
        assert_eq!(Perfdata::count("tables", 66).to_string(), "tables=66;;;0");
    }

    #[test]
    fn renders_seconds_without_exponent() {
        assert_eq!(
            Perfdata::seconds("time", 0.41).to_string(),
            "time=0.41s;;;0"
        );
        assert_eq!(
            Perfdata::seconds("time", 0.0000001).to_string(),
            "time=0s;;;0"
        );
        assert_eq!(
            Perfdata::seconds("time", 12345678.5).to_string(),
            "time=12345678.5s;;;0"
        );
    }

    #[test]
    fn labels_of_one_of_several() {
        assert_eq!(
            Perfdata::count("drifted", 1).of("db3_3307").to_string(),
            "db3_3307.drifted=1;;;0"
        );
    }

    #[test]
    fn renders_unknown_value() {
        assert_eq!(
            Perfdata::count("behind", 0).unknown().to_string(),
            "behind=U;;;0"
        );
    }

    #[test]
    fn big_counts_stay_integers() {
        assert_eq!(
            Perfdata::count("rows", 10_100_000_123).to_string(),
            "rows=10100000123;;;0"
        );
    }
}
