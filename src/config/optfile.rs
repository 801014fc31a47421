//! MySQL option files (`my.cnf` syntax): `[group]`, `key = value`,
//! `#`/`;` comments, quoted values with escapes, `!include` and
//! `!includedir`. Also reads the Monitoring Plugins `--extra-opts` ini files,
//! whose syntax is the same subset.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The options of an option file, group by group, in file order.
#[derive(Debug, Default)]
pub struct OptionFile {
    groups: HashMap<String, Vec<(String, Option<String>)>>,
}

impl OptionFile {
    pub fn read(path: &Path) -> Result<OptionFile> {
        let mut file = OptionFile::default();
        file.read_into(path, 0)?;
        Ok(file)
    }

    pub fn parse(text: &str) -> Result<OptionFile> {
        let mut file = OptionFile::default();
        file.parse_into(text, Path::new("."), Path::new("<text>"), 0)?;
        Ok(file)
    }

    fn read_into(&mut self, path: &Path, depth: usize) -> Result<()> {
        if depth > 10 {
            bail!("{}: !include nested too deeply", path.display());
        }
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read option file {}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        self.parse_into(&text, dir, path, depth)
    }

    fn parse_into(&mut self, text: &str, dir: &Path, path: &Path, depth: usize) -> Result<()> {
        let mut group: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let at = || format!("{} line {}", path.display(), n + 1);
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("!includedir") {
                let sub = dir.join(rest.trim());
                let mut names: Vec<PathBuf> = fs::read_dir(&sub)
                    .with_context(|| format!("{}: cannot read {}", at(), sub.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "cnf"))
                    .collect();
                names.sort();
                for p in names {
                    self.read_into(&p, depth + 1)?;
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("!include") {
                self.read_into(&dir.join(rest.trim()), depth + 1)?;
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.split(']').next().filter(|_| rest.contains(']')) else {
                    bail!("{}: unclosed group header", at());
                };
                group = Some(name.trim().to_ascii_lowercase());
                continue;
            }
            let Some(g) = &group else {
                bail!("{}: option outside of a [group]", at());
            };
            let (key, value) = match line.split_once('=') {
                Some((k, v)) => (
                    k.trim(),
                    Some(unquote(v.trim()).map_err(|e| anyhow::anyhow!("{}: {e}", at()))?),
                ),
                None => (line, None),
            };
            // MySQL treats `-` and `_` in option names alike.
            let key = key.replace('_', "-").to_ascii_lowercase();
            self.groups.entry(g.clone()).or_default().push((key, value));
        }
        Ok(())
    }

    /// The options of `groups`, later groups and later lines overriding.
    pub fn merged(&self, groups: &[&str]) -> HashMap<String, Option<String>> {
        let mut out = HashMap::new();
        for g in groups {
            for (k, v) in self.groups.get(*g).into_iter().flatten() {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// The options of one group in file order (repeated keys kept).
    pub fn group(&self, group: &str) -> Option<&[(String, Option<String>)]> {
        self.groups
            .get(&group.to_ascii_lowercase())
            .map(|v| v.as_slice())
    }
}

/// Strips quotes and trailing comments, and resolves escapes.
fn unquote(v: &str) -> Result<String, String> {
    let mut chars = v.chars();
    let Some(q @ ('"' | '\'')) = v.chars().next() else {
        // Unquoted: a ` #` starts a comment.
        let end = v.find(" #").or_else(|| v.find("\t#")).unwrap_or(v.len());
        return Ok(unescape(v[..end].trim_end()));
    };
    chars.next();
    let mut out = String::new();
    let mut escaped = false;
    for c in chars.by_ref() {
        if escaped {
            out.push('\\');
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == q {
            let rest: String = chars.collect();
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(format!("unexpected text after the closing quote: {rest}"));
            }
            return Ok(unescape(&out));
        } else {
            out.push(c);
        }
    }
    Err("unclosed quote".to_string())
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('s') => out.push(' '),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keys_and_override() {
        let f = OptionFile::parse(
            "# comment\n[client]\nuser = monitor\npassword=one\n\n; other\n\
             [check_mysql_drift]\npassword = \"two # not a comment\"\nssl\nssl_ca=/etc/ca.pem\n\
             [mysqld]\nport=1\n",
        )
        .unwrap();
        let m = f.merged(&["client", "check_mysql_drift"]);
        assert_eq!(m["user"].as_deref(), Some("monitor"));
        assert_eq!(m["password"].as_deref(), Some("two # not a comment"));
        assert_eq!(m["ssl"], None);
        assert_eq!(m["ssl-ca"].as_deref(), Some("/etc/ca.pem"));
        assert!(!m.contains_key("port"));
    }

    #[test]
    fn quotes_escapes_comments() {
        let f = OptionFile::parse(
            "[client]\na='it''s'\nb=\"x\\\"y\\\\z\"\nc=plain # trailing\nd='sp ace'\ne=x\\ty\n",
        );
        // 'it''s' is not MySQL syntax: a quote then text.
        assert!(f.is_err());
        let f = OptionFile::parse(
            "[client]\nb=\"x\\\"y\\\\z\"\nc=plain # trailing\nd='sp ace'\ne=x\\ty\n",
        )
        .unwrap();
        let m = f.merged(&["client"]);
        assert_eq!(m["b"].as_deref(), Some("x\\\"y\\z"));
        assert_eq!(m["c"].as_deref(), Some("plain"));
        assert_eq!(m["d"].as_deref(), Some("sp ace"));
        assert_eq!(m["e"].as_deref(), Some("x\ty"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = OptionFile::parse("user=x\n").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("outside"), "{e}");
        let e = OptionFile::parse("[client\n").unwrap_err().to_string();
        assert!(e.contains("unclosed"), "{e}");
        let e = OptionFile::parse("[client]\npassword=\"abc\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("unclosed quote"), "{e}");
    }

    #[test]
    fn include_and_includedir() {
        let dir = std::env::temp_dir().join(format!("cmd-optfile-{}", std::process::id()));
        fs::create_dir_all(dir.join("conf.d")).unwrap();
        fs::write(
            dir.join("main.cnf"),
            "[client]\nuser=a\n!include extra.cnf\n!includedir conf.d\n",
        )
        .unwrap();
        fs::write(dir.join("extra.cnf"), "[client]\npassword=p\n").unwrap();
        fs::write(dir.join("conf.d/z.cnf"), "[client]\nuser=z\n").unwrap();
        fs::write(dir.join("conf.d/ignored.txt"), "[client]\nuser=ignored\n").unwrap();
        let m = OptionFile::read(&dir.join("main.cnf"))
            .unwrap()
            .merged(&["client"]);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(m["user"].as_deref(), Some("z"));
        assert_eq!(m["password"].as_deref(), Some("p"));
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let e = OptionFile::read(Path::new("/nonexistent/my.cnf")).unwrap_err();
        assert!(format!("{e:#}").starts_with("cannot read option file /nonexistent/my.cnf"));
    }
}
