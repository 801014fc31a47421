//! Arguments and option files: bad input is UNKNOWN in one line, shipped examples work.

use support::*;

#[test]
fn bad_arguments_are_unknown_on_stdout() {
    for args in [
        vec!["--bogus"],
        vec!["--master", "a"],
        vec!["--master", "a", "--replica", "b"],
        vec!["--master", "a:notaport", "--replica", "b", "-u", "m"],
        vec!["--master", "a", "--replica", "b", "-u", "m", "-t", "abc"],
        vec![
            "--master",
            "a",
            "--replica",
            "b",
            "-u",
            "m",
            "--include-db",
            "(",
        ],
        vec!["--master", "a", "--replica", "b", "-u", "m", "positional"],
        vec![
            "--master",
            "a",
            "--replica",
            "b",
            "-u",
            "m",
            "--defaults-file",
            "/nonexistent.cnf",
        ],
    ] {
        let run = plugin().args(&args).run();
        run.assert_plugin_output();
        run.assert_state_of(State::Unknown, &format!("{args:?}"));
        assert_eq!(run.stdout.lines().count(), 1, "{args:?}: {run}");
    }
}

/// Port 0 and hosts that cannot be a host are bad arguments (UNKNOWN
/// naming the value), not servers that refuse a connection (CRITICAL).
#[test]
fn impossible_hosts_and_ports_are_bad_arguments() {
    for (args, says) in [
        (
            vec!["-P", "0"],
            "invalid arguments: invalid value '0' for '--port <PORT>'",
        ),
        (
            vec!["--master", "a:0"],
            "--master: '0' is not a port number",
        ),
        (
            vec!["--master", ":::"],
            "--master: ':::' is not a host name or address",
        ),
        (
            vec!["--replica", "[::1"],
            "--replica: unclosed '[' in '[::1'",
        ),
        (
            vec!["--replica", "db 2"],
            "--replica: 'db 2' is not a host name or address",
        ),
    ] {
        assert_bad_input(&args, says);
    }
}

/// The README's Nagios command (`--extra-opts`) and the packaged one
/// (`--defaults-file`), each with the packaged example file exactly as
/// shipped, beside command-line options that the file sets too: the
/// options merge, argv wins, and the run reaches the servers (which refuse
/// the example's placeholder password), instead of "cannot be used
/// multiple times".
#[test]
fn shipped_examples_work_as_shipped() {
    let _g = shared();
    let root = env!("CARGO_MANIFEST_DIR");
    let (m, r) = (primary_addr(), replica_addr());
    let extra = format!("--extra-opts=check_mysql_drift@{root}/packaging/examples/plugins.ini");
    let defaults = format!("{root}/packaging/examples/check_mysql_drift.cnf");
    let readme = ["--master", &m, "--replica", &r, "-u", "monitor", &extra];
    let packaged = [
        "--master",
        &m,
        "--replica",
        &r,
        "--defaults-file",
        &defaults,
        "-t",
        "30",
    ];
    for args in [
        &readme[..],
        &[&readme[..], &["-c", "0"]].concat(),
        &packaged[..],
    ] {
        let run = plugin().args(args).run();
        run.assert_plugin_output();
        run.assert_state_of(State::Critical, &format!("{args:?}"));
        assert!(
            run.first_line().starts_with(&format!(
                "DRIFT CRITICAL - cannot connect to primary {m}: Access denied for user 'monitor'@"
            )),
            "{args:?}: {run}"
        );
    }
}

#[test]
fn invalid_range_is_unknown() {
    for (flag, long, value) in [
        ("-w", "--warning", "5:1"),
        ("-c", "--critical", "abc"),
        ("--critical-rows", "--critical-rows", "@"),
        ("--warning-rows", "--warning-rows", "1:x"),
    ] {
        let says = format!("invalid arguments: invalid value '{value}' for '{long} <RANGE>': invalid range '{value}'");
        assert_bad_input(&[flag, value], &says);
    }
}

#[test]
fn help_and_version_on_stdout() {
    let run = plugin().args(&["--help"]).run();
    run.assert_state(State::Ok);
    assert!(run.stderr.is_empty());
    assert!(
        run.stdout.contains("--master") && run.stdout.contains("VISIBLE TO OTHER USERS"),
        "{run}"
    );
    let run = plugin().args(&["-V"]).run();
    assert_eq!(
        (run.state(), run.stdout.trim()),
        (
            State::Ok,
            concat!("check_mysql_drift ", env!("CARGO_PKG_VERSION"))
        )
    );
}

#[test]
fn option_file_and_mysql_pwd() {
    let _g = shared();
    let (p, _) = seeded("optfile");
    let cnf = pair_option_file(&format!("\"{}\"", monitor_password()));
    let include = format!("^{p}");
    let cnf_s = cnf.path_str();
    let run = plugin()
        .args(&["--defaults-file", cnf_s, "--include-db", &include])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Ok);

    // MYSQL_PWD alone, no password anywhere else.
    let (m, r) = (primary_addr(), replica_addr());
    let args = [
        "--master",
        &m,
        "--replica",
        &r,
        "-u",
        "monitor",
        "--include-db",
        &include,
    ];
    let run = plugin()
        .args(&args)
        .envs(&[("MYSQL_PWD", &monitor_password())])
        .run();
    run.assert_state(State::Ok);
    // And without it: access denied, so the password really came from there.
    let run = plugin().args(&args).run();
    run.assert_state(State::Critical);

    // --extra-opts: an ini section of long options.
    let ini = Scratch::new(
        "plugins.ini",
        &format!(
            "[drift]\nmaster={m}\nreplica={r}\nuser=monitor\npassword={}\n",
            monitor_password()
        ),
    );
    let spec = format!("--extra-opts=drift@{}", ini.path_str());
    let run = plugin().args(&[&spec, "--include-db", &include]).run();
    run.assert_plugin_output();
    run.assert_state(State::Ok);
}

/// An option file for the pair as `monitor`, whose password line says
/// `password=` then `value` (written as the test needs it).
fn pair_option_file(value: &str) -> Scratch {
    let text = format!(
        "[client]\nuser = monitor\npassword={value}\n[check_mysql_drift]\nmaster = {}\nreplica = {}\n",
        primary_addr(),
        replica_addr()
    );
    Scratch::new("drift.cnf", &text)
}

/// Option files as MariaDB reads them, through the binary: a `#` ends an
/// unquoted value; a world-writable file is refused by name and mode; a
/// password in a file every user may read is pointed out.
#[test]
fn option_file_rules_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let _g = shared();
    let (p, _) = seeded("optrules");
    let scratch = pair_option_file(&format!("{}#old one", monitor_password()));
    let cnf = &scratch.path;
    let include = format!("^{p}");
    let args = [
        "--defaults-file",
        scratch.path_str(),
        "--include-db",
        &include,
    ];
    let with_mode = |mode: u32| {
        std::fs::set_permissions(cnf, std::fs::Permissions::from_mode(mode)).unwrap();
        let run = plugin().args(&args).run();
        run.assert_plugin_output();
        run
    };
    let run = with_mode(0o600);
    run.assert_state(State::Ok);
    assert!(!run.stdout.contains("note:"), "{run}");
    let run = with_mode(0o644);
    run.assert_state(State::Ok);
    assert!(
        run.stdout.contains(&format!(
            "\nnote: the password comes from {}, which every local user may read (chmod o-r)\n",
            cnf.display()
        )),
        "{run}"
    );
    let run = with_mode(0o666);
    run.assert_state(State::Unknown);
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT UNKNOWN - option file {} is world-writable (mode 0666), so any local user \
             could change what the plugin connects to: MariaDB ignores such a file, and so does \
             the plugin (chmod o-w)",
            cnf.display()
        )
    );
}

/// Rows per key range out of their range, or not a number: one line,
/// UNKNOWN, naming the range.
#[test]
fn chunk_rows_out_of_range_is_unknown() {
    for value in ["5", "1000000001", "many"] {
        let run = plugin()
            .args(&[
                "--master",
                "a",
                "--replica",
                "b",
                "-u",
                "x",
                "--chunk-rows",
                value,
            ])
            .run();
        run.assert_plugin_output();
        run.assert_state(State::Unknown);
        let says = format!("invalid arguments: invalid value '{value}' for '--chunk-rows <ROWS>'");
        assert!(
            run.first_line()
                .starts_with(&format!("DRIFT UNKNOWN - {says}")),
            "{run}"
        );
    }
}
