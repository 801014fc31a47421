//! `--extra-opts=[section][@file]`, the Monitoring Plugins way of keeping
//! options in an ini file: each `key=value` of the section becomes
//! `--key=value`, placed before the real arguments; an option that the
//! command line also gives is left out, so that argv wins for every option,
//! repeatable ones included.

use super::optfile::OptionFile;
use crate::cli::Cli;
use anyhow::{anyhow, bail, Result};
use clap::CommandFactory;
use std::collections::{HashMap, HashSet};
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
    let names = option_ids();
    let given = given_ids(&args, &names);
    let mut out: Vec<OsString> = args.iter().take(1).cloned().collect();
    for spec in specs {
        let options = options_of(&spec)?.into_iter().filter(|o| {
            let name = o.split('=').next().unwrap_or(o);
            names.get(name).is_none_or(|id| !given.contains(id))
        });
        out.extend(options.map(OsString::from));
    }
    out.extend(args.into_iter().skip(1));
    Ok(out)
}

/// Every spelling of every option (`--long`, aliases, `-s`) to its id,
/// from clap's own definition.
fn option_ids() -> HashMap<String, String> {
    let mut names = HashMap::new();
    for arg in Cli::command().get_arguments() {
        let id = arg.get_id().to_string();
        let longs = arg
            .get_long()
            .into_iter()
            .chain(arg.get_all_aliases().unwrap_or_default());
        for long in longs {
            names.insert(format!("--{long}"), id.clone());
        }
        if let Some(short) = arg.get_short() {
            names.insert(format!("-{short}"), id.clone());
        }
    }
    names
}

/// The ids of the options the command line gives (up to `--`).
fn given_ids(args: &[OsString], names: &HashMap<String, String>) -> HashSet<String> {
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .take_while(|a| *a != "--")
        .filter_map(|a| {
            let name = if a.starts_with("--") {
                a.split('=').next().unwrap_or(a)
            } else {
                // `-uuser`, `-vvv`, `-t5`: the option is the first letter.
                a.get(..2)?
            };
            names.get(name).cloned()
        })
        .collect()
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
            os(&["plugin", "--password=s3cret", "--ssl", &spec, "-u", "x"])
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

    /// The shipped ini sets master, replica, user, password, include-db,
    /// critical and timeout; the command line gives some of them again,
    /// by long name, alias or short name: its values are the ones kept.
    #[test]
    fn argv_wins_for_every_option() {
        let dir = std::env::temp_dir().join(format!("cmd-extra-wins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ini = dir.join("plugins.ini");
        std::fs::write(
            &ini,
            "[check_mysql_drift]\nmaster=db1\nreplica=db2\nuser=monitor\ninclude-db=^shop$\n\
             critical=0\ntimeout=30\nverbose\n",
        )
        .unwrap();
        let spec = format!("--extra-opts=@{}", ini.display());
        let argv = [
            "plugin",
            &spec,
            "--primary",
            "a",
            "--slave=b",
            "-uother",
            "-c",
            "2",
            "--include-db",
            "^x$",
            "-vv",
        ];
        let out = expand(os(&argv)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            out,
            os(&[&["plugin", "--timeout=30"][..], &argv[1..]].concat())
        );
    }

    #[test]
    fn untouched_without_extra_opts() {
        assert_eq!(
            expand(os(&["p", "-u", "x"])).unwrap(),
            os(&["p", "-u", "x"])
        );
    }
}
