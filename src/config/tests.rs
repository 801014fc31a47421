use super::*;
use crate::model::Slot;
use clap::Parser;
use std::time::Duration;

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("check_mysql_drift").chain(args.iter().copied())).unwrap()
}

#[test]
fn servers_and_ports() {
    let s = |x: &str| parse_server(Slot::Primary, x, 3306).map(|s| (s.host, s.port));
    assert_eq!(s("db1").unwrap(), ("db1".into(), 3306));
    assert_eq!(s("db1:3307").unwrap(), ("db1".into(), 3307));
    assert_eq!(s("[::1]:3308").unwrap(), ("::1".into(), 3308));
    assert_eq!(s("::1").unwrap(), ("::1".into(), 3306));
    for bad in ["db1:x", "db1:0", "db1:70000", ":3306", "[::1", "[::1]x"] {
        assert!(s(bad).is_err(), "{bad}");
    }
}

#[test]
fn defaults() {
    let c = Config::resolve(cli(&["--master", "a", "--replica", "b:1", "-u", "m"]), None).unwrap();
    assert_eq!(c.primary.port, 3306);
    assert_eq!(c.replicas[0].port, 1);
    assert_eq!(c.timeout, Duration::from_secs(30));
    assert!(c.thresholds.critical.as_ref().unwrap().alerts(1.0));
    assert!(c.thresholds.warning.is_none());
    assert_eq!(c.unverified, State::Unknown);
    assert!(c.tls.is_none());
}

/// 0 the primary, 1.. the replicas in the order given.
fn slot_number(slot: Slot) -> usize {
    match slot {
        Slot::Primary => 0,
        Slot::Replica(id) => id.index() + 1,
    }
}

#[test]
fn several_replicas() {
    let given = |c: &Config| -> Vec<(String, usize, String)> {
        c.replicas
            .iter()
            .map(|r| (r.address(), slot_number(r.slot), r.label()))
            .collect()
    };
    let c = Config::resolve(
        cli(&[
            "--master",
            "p",
            "--replica",
            "Db2",
            "--replica",
            "db3:3307,[::1]:3308",
            "-u",
            "m",
        ]),
        None,
    )
    .unwrap();
    assert_eq!(
        given(&c),
        [
            ("Db2:3306".into(), 1, "db2".into()),
            ("db3:3307".into(), 2, "db3_3307".into()),
            ("[::1]:3308".into(), 3, "__1_3308".into()),
        ]
    );
    let dir = std::env::temp_dir().join(format!("cmd-replicas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("my.cnf");
    std::fs::write(&f, "[check_mysql_drift]\nreplica=r1, r2:1\n").unwrap();
    let file = [
        "--master",
        "p",
        "-u",
        "m",
        "--defaults-file",
        f.to_str().unwrap(),
    ];
    let c = Config::resolve(cli(&file), None).unwrap();
    assert_eq!(given(&c)[1], ("r2:1".into(), 2, "r2_1".into()));
    // The command line's replicas replace the file's.
    let c = Config::resolve(cli(&[&file[..], &["--replica", "r9"]].concat()), None).unwrap();
    assert_eq!(given(&c), [("r9:3306".into(), 1, "r9".into())]);
    std::fs::remove_dir_all(&dir).unwrap();
    let e = Config::resolve(
        cli(&["--master", "p", "--replica", "a,a:3306", "-u", "m"]),
        None,
    );
    assert_eq!(
        format!("{:#}", e.unwrap_err()),
        "--replica: a:3306 is given twice"
    );
}

#[test]
fn option_file_then_env_password() {
    let dir = std::env::temp_dir().join(format!("cmd-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("my.cnf");
    std::fs::write(
        &f,
        "[client]\nuser=fileuser\npassword=filepw\nport=3310\n[check_mysql_drift]\nreplica=r1\n",
    )
    .unwrap();
    let path = f.to_str().unwrap();
    let c = Config::resolve(
        cli(&["--master", "p", "--defaults-file", path]),
        Some("envpw".into()),
    )
    .unwrap();
    assert_eq!(
        (c.user.as_str(), c.password.as_deref()),
        ("fileuser", Some("filepw"))
    );
    assert_eq!(
        (c.replicas[0].host.as_str(), c.replicas[0].port),
        ("r1", 3310)
    );
    // argv wins over the file; the file over MYSQL_PWD.
    let c = Config::resolve(
        cli(&[
            "--master",
            "p",
            "--defaults-file",
            path,
            "-u",
            "x",
            "-p",
            "argpw",
        ]),
        None,
    )
    .unwrap();
    assert_eq!(
        (c.user.as_str(), c.password.as_deref()),
        ("x", Some("argpw"))
    );
    std::fs::write(&f, "[client]\nuser=fileuser\n").unwrap();
    let c = Config::resolve(
        cli(&["--master", "p", "--replica", "r", "--defaults-file", path]),
        Some("envpw".into()),
    )
    .unwrap();
    assert_eq!(c.password.as_deref(), Some("envpw"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn clear_errors() {
    let e = |args: &[&str]| format!("{:#}", Config::resolve(cli(args), None).unwrap_err());
    assert!(e(&["--replica", "r", "-u", "m"]).contains("no primary"));
    assert!(e(&["--master", "p", "-u", "m"]).contains("no replica"));
    assert!(e(&["--master", "p", "--replica", "r"]).contains("no user"));
    // Ranges, the timeout and the connections are refused where they
    // are parsed, naming the option.
    for (args, says) in [
        (["-w", "5:1"], "invalid value '5:1' for '--warning <RANGE>'"),
        (["-t", "0"], "invalid value '0' for '--timeout <SECONDS>'"),
        (
            ["--connections", "0"],
            "invalid value '0' for '--connections <N>'",
        ),
    ] {
        let e = Cli::try_parse_from([&["p", "--master", "p"][..], &args].concat())
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
    }
    assert!(e(&[
        "--master",
        "p",
        "--replica",
        "r",
        "-u",
        "m",
        "--defaults-file",
        "/nope"
    ])
    .contains("cannot read option file /nope"));
}
