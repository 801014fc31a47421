//! `--extra-opts=[section][@file]`, the Monitoring Plugins way of keeping
//! options in an ini file: each `key=value` of the section becomes
//! `--key=value`, placed before the real arguments so that argv wins.

use super::OptionFile;
use anyhow::{anyhow, bail, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

const PLUGIN: &str = "check_mysql_drift";

/// Where the Monitoring Plugins look when `@file` is not given.
const DEFAULT_FILES: [&str; 7] = [
    "/etc/nagios/plugins.ini",
    "/usr/local/nagios/etc/plugins.ini",
    "/usr/local/etc/nagios/plugins.ini",
    "/etc/opt/nagios/plugins.ini",
    "/etc/nagios-plugins.ini",
    "/usr/local/etc/nagios-plugins.ini",
    "/etc/opt/nagios-plugins.ini",
];

/// Returns argv with the options of every `--extra-opts` expanded in front.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>> {
    let mut specs = Vec::new();
    for a in args.iter().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if a == "--" {
            break;
        }
        if a == "--extra-opts" {
            specs.push(String::new());
        } else if let Some(v) = a.strip_prefix("--extra-opts=") {
            specs.push(v.to_string());
        }
    }
    if specs.is_empty() {
        return Ok(args);
    }
    let mut out: Vec<OsString> = args.iter().take(1).cloned().collect();
    for spec in specs {
        out.extend(options_of(&spec)?.into_iter().map(OsString::from));
    }
    out.extend(args.into_iter().skip(1));
    Ok(out)
}

fn options_of(spec: &str) -> Result<Vec<String>> {
    let (section, file) = match spec.split_once('@') {
        Some((s, f)) => (s, Some(f)),
        None => (spec, None),
    };
    let section = if section.is_empty() { PLUGIN } else { section };
    let path = match file {
        Some(f) if !f.is_empty() => PathBuf::from(f),
        _ => default_file()?,
    };
    let ini = OptionFile::read(&path)?;
    let Some(opts) = ini.group(section) else {
        bail!("--extra-opts: no section [{section}] in {}", path.display());
    };
    let mut out = Vec::new();
    for (key, value) in opts {
        if key == "extra-opts" {
            bail!(
                "--extra-opts: {} [{section}] may not hold extra-opts itself",
                path.display()
            );
        }
        out.push(match value {
            Some(v) => format!("--{key}={v}"),
            None => format!("--{key}"),
        });
    }
    Ok(out)
}

fn default_file() -> Result<PathBuf> {
    // NAGIOS_CONFIG_PATH: colon-separated folders holding plugins.ini.
    let from_env = std::env::var("NAGIOS_CONFIG_PATH")
        .ok()
        .into_iter()
        .flat_map(|p| {
            p.split(':')
                .filter(|d| !d.is_empty())
                .map(|d| Path::new(d).join("plugins.ini"))
                .collect::<Vec<_>>()
        });
    from_env
        .chain(DEFAULT_FILES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!("--extra-opts: no @file given and no plugins.ini found in the default places")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn expands_before_argv() {
        let dir = std::env::temp_dir().join(format!("cmd-extra-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ini = dir.join("plugins.ini");
        std::fs::write(
            &ini,
            "[check_mysql_drift]\nuser=monitor\npassword=s3cret\nssl\n[other]\nuser=o\n",
        )
        .unwrap();
        let spec = format!("--extra-opts=@{}", ini.display());
        let out = expand(os(&["plugin", &spec, "-u", "x"])).unwrap();
        assert_eq!(
            out,
            os(&[
                "plugin",
                "--user=monitor",
                "--password=s3cret",
                "--ssl",
                &spec,
                "-u",
                "x"
            ])
        );
        let spec = format!("--extra-opts=other@{}", ini.display());
        let out = expand(os(&["plugin", &spec])).unwrap();
        assert_eq!(out, os(&["plugin", "--user=o", &spec]));
        let e = expand(os(&[
            "plugin",
            &format!("--extra-opts=nope@{}", ini.display()),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("no section [nope]"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn untouched_without_extra_opts() {
        assert_eq!(
            expand(os(&["p", "-u", "x"])).unwrap(),
            os(&["p", "-u", "x"])
        );
    }
}
