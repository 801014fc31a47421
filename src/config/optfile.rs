//! MySQL option files (`my.cnf` syntax), read by the rules of MariaDB's
//! own reader (`mysys/my_default.c`), so that the plugin reads a file as
//! `mariadb` and `my_print_defaults` do: `[group]` headers, `key = value`,
//! a `#` outside quotes ends the line anywhere (`password=pw#old` is `pw`),
//! one pair of matching outer quotes is removed, `\n \t \r \b \s \" \'
//! \\` escapes, `!include FILE` and `!includedir DIR` (a relative path is
//! taken from the working directory, and a file that is missing is
//! skipped, as MariaDB does). A world-writable file is refused: MariaDB
//! ignores one, so that another local user cannot redirect the client.
//! Also reads the Monitoring Plugins `--extra-opts` ini files.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One option as a file gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: Option<String>,
    /// The file it came from, and whether every user may read that file.
    pub file: PathBuf,
    pub world_readable: bool,
}

/// The options of an option file, group by group, in file order.
#[derive(Debug, Default)]
pub struct OptionFile {
    groups: HashMap<String, Vec<Setting>>,
}

/// Where a line is read from, for reading on and for error messages.
struct Source<'a> {
    path: &'a Path,
    world_readable: bool,
    depth: usize,
}

impl OptionFile {
    pub fn read(path: &Path) -> Result<OptionFile> {
        let mut file = OptionFile::default();
        file.read_into(path, 0)?;
        Ok(file)
    }

    fn read_into(&mut self, path: &Path, depth: usize) -> Result<()> {
        if depth > 10 {
            bail!("{}: !include nested too deeply", path.display());
        }
        let meta = fs::metadata(path)
            .with_context(|| format!("cannot read option file {}", path.display()))?;
        let mode = meta.permissions().mode();
        if meta.is_file() && mode & 0o002 != 0 {
            bail!(
                "option file {} is world-writable (mode {:04o}), so any local user could change \
                 what the plugin connects to: MariaDB ignores such a file, and so does the plugin \
                 (chmod o-w)",
                path.display(),
                mode & 0o7777
            );
        }
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read option file {}", path.display()))?;
        let source = Source {
            path,
            world_readable: mode & 0o004 != 0,
            depth,
        };
        self.parse_into(&text, &source)
    }

    fn parse_into(&mut self, text: &str, source: &Source) -> Result<()> {
        let mut group: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_start();
            let at = || format!("{} line {}", source.path.display(), n + 1);
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(directive) = line.strip_prefix('!') {
                self.directive(directive, source).with_context(at)?;
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some((name, _)) = rest.split_once(']') else {
                    bail!("{}: unclosed group header", at());
                };
                group = Some(name.trim().to_ascii_lowercase());
                continue;
            }
            let Some(g) = &group else {
                bail!("{}: option outside of a [group]", at());
            };
            let line = strip_comment(line);
            let (key, value) = match line.split_once('=') {
                Some((k, v)) => (k, Some(value(v))),
                None => (line, None),
            };
            self.groups.entry(g.clone()).or_default().push(Setting {
                key: key.trim_end().to_string(),
                value,
                file: source.path.to_path_buf(),
                world_readable: source.world_readable,
            });
        }
        Ok(())
    }

    /// `!include FILE` and `!includedir DIR` (its `*.cnf` files, in name
    /// order); a missing one is skipped, as MariaDB does.
    fn directive(&mut self, directive: &str, source: &Source) -> Result<()> {
        let depth = source.depth + 1;
        if let Some(dir) = directive.strip_prefix("includedir") {
            let dir = Path::new(dir.trim());
            let Ok(entries) = fs::read_dir(dir) else {
                return Ok(());
            };
            let mut names: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "cnf"))
                .collect();
            names.sort();
            for p in names {
                self.read_into(&p, depth)?;
            }
        } else if let Some(file) = directive.strip_prefix("include") {
            let file = Path::new(file.trim());
            if file.exists() {
                self.read_into(file, depth)?;
            }
        }
        Ok(())
    }

    /// The options of `groups`, later groups and later lines overriding.
    /// Names as the client's option parser takes them: `_` and `-` alike,
    /// and `loose-` (which only means "ignore if unknown") dropped.
    pub fn merged(&self, groups: &[&str]) -> HashMap<String, Setting> {
        let mut out = HashMap::new();
        for g in groups {
            for s in self.groups.get(*g).into_iter().flatten() {
                out.insert(option_name(&s.key), s.clone());
            }
        }
        out
    }

    /// The options of one group in file order (repeated keys kept), with
    /// their names as `merged` gives them.
    pub fn group(&self, group: &str) -> Option<Vec<(String, Option<String>)>> {
        let settings = self.groups.get(&group.to_ascii_lowercase())?;
        Some(
            settings
                .iter()
                .map(|s| (option_name(&s.key), s.value.clone()))
                .collect(),
        )
    }
}

fn option_name(key: &str) -> String {
    let key = key.replace('_', "-").to_ascii_lowercase();
    key.strip_prefix("loose-")
        .map_or(key.clone(), str::to_string)
}

/// Cuts a line at the first `#` outside quotes (`remove_end_comment`).
fn strip_comment(line: &str) -> &str {
    let (mut quote, mut escape) = (None, false);
    for (i, c) in line.char_indices() {
        if (c == '\'' || c == '"') && !escape {
            quote = match quote {
                None => Some(c),
                Some(q) if q == c => None,
                q => q,
            };
        }
        if quote.is_none() && c == '#' {
            return &line[..i];
        }
        escape = quote.is_some() && c == '\\' && !escape;
    }
    line
}

/// A value: blanks trimmed, one pair of matching outer quotes removed,
/// escapes resolved (an unknown one, and a final backslash, kept).
fn value(v: &str) -> String {
    let v = v.trim();
    let quoted =
        v.len() >= 2 && (v.starts_with('"') || v.starts_with('\'')) && v.ends_with(&v[..1]);
    let v = if quoted { &v[1..v.len() - 1] } else { v };
    let mut out = String::with_capacity(v.len());
    let mut it = v.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' || it.peek().is_none() {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('s') => out.push(' '),
            Some(c @ ('"' | '\'' | '\\')) => out.push(c),
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
    use std::process::Command;

    /// A scratch folder under target/, reachable by a relative path from
    /// the working directory (the crate root) for `!include`.
    fn scratch(name: &str) -> PathBuf {
        let dir = PathBuf::from(format!("target/optfile-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, text: &str, mode: u32) {
        fs::write(path, text).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// The `[client]` group as `my_print_defaults` prints it.
    fn printed(f: &OptionFile) -> String {
        let mut out = String::new();
        for s in f.groups.get("client").into_iter().flatten() {
            match &s.value {
                Some(v) => out.push_str(&format!("--{}={v}\n", s.key)),
                None => out.push_str(&format!("--{}\n", s.key)),
            }
        }
        out
    }

    /// Tricky files read by the plugin and by MariaDB's own
    /// `my_print_defaults` (from mariadb-client, which tests/run.sh
    /// installs): the same options, the same values.
    #[test]
    fn reads_like_my_print_defaults() {
        let dir = scratch("mpd");
        let inc = dir.join("inc.cnf");
        write(
            &inc,
            "[client]\nincluded = yes # from the relative include\n",
            0o600,
        );
        let cases = [
            "password=monitor-pw#old\n",
            "password = \"pw # not a comment\"  # a comment\n",
            "password = 'it''s'\nuser=it's#x\n",
            "host = a b   \nuser=\"a\"b\"\nq=\\\"q\\\"\nempty=\"\" \nhash=#\n",
            "a=x\\ny\nb=\"x\\ty\"\nc=\\s lead\nd=back\\\ne=\\q\n",
            "user=first\nuser=second\nloose-ssl-ca=/x\nssl_cert=/c\nssl\n",
            "  ; indented comment\n  # another\nunbalanced=\"abc\n",
            &format!(
                "user=u\n!include {}\n!include /nonexistent/x.cnf\n",
                inc.display()
            ),
        ];
        for (i, case) in cases.iter().enumerate() {
            let path = dir.join(format!("case{i}.cnf"));
            write(
                &path,
                &format!("[client]\n{case}[other]\nuser=not-this\n"),
                0o600,
            );
            let theirs = Command::new("my_print_defaults")
                .arg(format!("--defaults-file={}", path.display()))
                .arg("client")
                .output()
                .expect("my_print_defaults (apt-get install mariadb-client; tests/run.sh does)");
            assert!(theirs.status.success(), "{case:?}");
            let ours = printed(&OptionFile::read(&path).unwrap());
            assert_eq!(ours, String::from_utf8_lossy(&theirs.stdout), "{case:?}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_as_the_client_takes_them() {
        let dir = scratch("names");
        let path = dir.join("my.cnf");
        write(
            &path,
            "[client]\nuser = monitor\npassword=one\n[check_mysql_drift]\n\
             loose_password = two#x\nssl\nSSL_CA=/etc/ca.pem\n[mysqld]\nport=1\n",
            0o600,
        );
        let m = OptionFile::read(&path)
            .unwrap()
            .merged(&["client", "check_mysql_drift"]);
        fs::remove_dir_all(&dir).unwrap();
        let v = |k: &str| m[k].value.clone();
        assert_eq!(v("user").as_deref(), Some("monitor"));
        assert_eq!(v("password").as_deref(), Some("two"));
        assert_eq!(v("ssl"), None);
        assert_eq!(v("ssl-ca").as_deref(), Some("/etc/ca.pem"));
        assert!(!m.contains_key("port"));
        assert!(!m["password"].world_readable);
    }

    #[test]
    fn world_writable_is_refused_world_readable_is_told() {
        let dir = scratch("modes");
        let path = dir.join("my.cnf");
        write(&path, "[client]\npassword=x\n", 0o666);
        let e = format!("{:#}", OptionFile::read(&path).unwrap_err());
        assert_eq!(
            e,
            format!(
                "option file {} is world-writable (mode 0666), so any local user could change \
                 what the plugin connects to: MariaDB ignores such a file, and so does the plugin \
                 (chmod o-w)",
                path.display()
            )
        );
        write(&path, "[client]\npassword=x\n", 0o644);
        let m = OptionFile::read(&path).unwrap().merged(&["client"]);
        fs::remove_dir_all(&dir).unwrap();
        assert!(m["password"].world_readable);
    }

    #[test]
    fn errors_name_the_line() {
        let dir = scratch("errors");
        let path = dir.join("my.cnf");
        write(&path, "user=x\n", 0o600);
        let e = OptionFile::read(&path).unwrap_err().to_string();
        assert!(e.ends_with("line 1: option outside of a [group]"), "{e}");
        write(&path, "[client\n", 0o600);
        let e = OptionFile::read(&path).unwrap_err().to_string();
        fs::remove_dir_all(&dir).unwrap();
        assert!(e.ends_with("line 1: unclosed group header"), "{e}");
    }

    #[test]
    fn includedir_reads_cnf_files_in_order() {
        let dir = scratch("includedir");
        fs::create_dir_all(dir.join("conf.d")).unwrap();
        let main = dir.join("main.cnf");
        let text = format!(
            "[client]\nuser=a\n!includedir {}\n",
            dir.join("conf.d").display()
        );
        write(&main, &text, 0o600);
        write(&dir.join("conf.d/a.cnf"), "[client]\nuser=y\n", 0o600);
        write(&dir.join("conf.d/z.cnf"), "[client]\nuser=z\n", 0o600);
        write(
            &dir.join("conf.d/ignored.txt"),
            "[client]\nuser=no\n",
            0o600,
        );
        let m = OptionFile::read(&main).unwrap().merged(&["client"]);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(m["user"].value.as_deref(), Some("z"));
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let e = OptionFile::read(Path::new("/nonexistent/my.cnf")).unwrap_err();
        assert!(format!("{e:#}").starts_with("cannot read option file /nonexistent/my.cnf"));
    }
}
