//! Connecting: refusals, the wrong server, grants, authentication methods, TLS, servers that misbehave, and the timeout.

use std::time::{Duration, Instant};
use support::*;

#[test]
fn wrong_password_is_critical() {
    let _g = shared();
    let (m, r) = (primary_addr(), replica_addr());
    let run = plugin()
        .args(&[
            "--master",
            &m,
            "--replica",
            &r,
            "-u",
            "monitor",
            "-p",
            "wrong",
        ])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains("cannot connect to primary 127.0.0.1:"),
        "{run}"
    );
    assert!(
        run.first_line()
            .contains("Access denied for user 'monitor'"),
        "{run}"
    );
    assert_eq!(run.stdout.lines().count(), 1);
}

#[test]
fn unreachable_port_is_critical() {
    let _g = shared();
    // Port 1 on loopback: nothing listens there.
    let m = primary_addr();
    let run = plugin()
        .args(&["--master", &m, "--replica", "127.0.0.1:1", "-u", "monitor"])
        .envs(&[("MYSQL_PWD", &monitor_password())])
        .run();
    run.assert_plugin_output();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains("cannot connect to replica 127.0.0.1:1"),
        "{run}"
    );
}

/// `-t` runs out while a count waits on a table lock: UNKNOWN naming the
/// stage within `-t` plus a second, and no query of ours left running.
#[test]
fn timeout_during_a_long_count() {
    let _g = shared();
    let (p, db) = seeded("timeout");
    own_monitor("monitor_t");
    let locker = write_lock(Side::Replica, &format!("`{db}`.t2"));
    let run = check(&p).user("monitor_t").args(&["-t", "2"]).run();
    run.assert_state(State::Unknown);
    assert!(run.first_line().contains("timeout after 2s while"), "{run}");
    assert!(run.first_line().contains("replica: counting rows"), "{run}");
    assert!(run.elapsed < Duration::from_secs(3), "{run}");
    assert_no_queries_left("monitor_t", Duration::from_secs(2));
    locker.unlock();
}

/// The tighter grant of the README: SELECT on the application schema and on
/// mysql.gtid_slave_pos only. Verdicts keep their replication positions;
/// without the gtid_slave_pos grant there is no replica position to compare
/// at, and the answer says which grant is missing.
#[test]
fn tighter_grant() {
    if !require(Feature::GtidSlavePosGrant) {
        return;
    }
    let _g = shared();
    let (p, db) = seeded("tight");
    let schema = format!("SELECT ON `{db}`.*");
    account(
        "monitor_tight",
        "",
        &[&schema, "SELECT ON mysql.gtid_slave_pos"],
    );
    let run = check(&p).user("monitor_tight").run();
    run.assert_state(State::Ok);
    assert_eq!(run.perf("tables"), "3", "{run}");
    assert!(run.first_line().contains("GTID 0-1-"), "{run}");
    // A replica position was read (other tests write meanwhile, so the
    // first try may be some transactions past the primary's).
    assert_ne!(run.perf("replica_ahead"), "U", "{run}");
    on_replica_only(&[&format!("INSERT INTO `{db}`.t3 (v) VALUES (1)")]);
    let run = check(&p).user("monitor_tight").run();
    run.assert_state(State::Critical);
    assert!(
        run.stdout.contains(&format!(
            "{db}.t3: primary 0, replica 1 (+1), verified at GTID 0-1-"
        )),
        "{run}"
    );

    exec(
        Side::Primary,
        &["REVOKE SELECT ON mysql.gtid_slave_pos FROM 'monitor_tight'@'%'"],
    );
    sync();
    let run = check(&p).user("monitor_tight").run();
    run.assert_state(State::Unknown);
    assert_eq!(
        run.stdout,
        format!(
            "DRIFT UNKNOWN - cannot read mysql.gtid_slave_pos on replica {}: without the replica's \
             position no verdict can be reached (GRANT SELECT ON mysql.gtid_slave_pos)\n",
            replica_addr()
        ),
        "{run}"
    );
}

/// What logs in: MariaDB's ed25519 (and PARSEC on 11) work; a method the
/// plugin cannot use (PAM's dialog) is one CRITICAL line naming it. On
/// MySQL, caching_sha2_password's first login after a server restart
/// (full authentication, no cached entry) over plain TCP and over TLS.
#[test]
fn authentication_methods() {
    let _g = exclusive();
    let (p, _) = seeded("auth");
    if flavor() == Flavor::MySql {
        own_monitor("monitor_sha");
        let ca = format!("{}/ca.pem", tls_dir());
        for tls in [&[][..], &["--ssl-ca", &ca, "--ssl-verify-server-cert"]] {
            restart(Side::Replica);
            let run = check(&p).user("monitor_sha").args(tls).run();
            run.assert_state_of(State::Ok, &format!("{tls:?}"));
        }
        return;
    }
    let mut methods = vec![("ed25519", "auth_ed25519"), ("pam", "auth_pam")];
    if flavor() == Flavor::MariaDb11 {
        methods.push(("parsec", "auth_parsec"));
    }
    for (method, library) in &methods {
        for &side in [Side::Primary].iter().chain(replicas()) {
            let sql = format!(
                "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = '{method}'"
            );
            if query_one::<i64>(side, &sql) == 0 {
                on_only(side, &[&format!("INSTALL SONAME '{library}'")]);
            }
        }
        let user = format!("monitor_{method}");
        // PAM checks the system's passwords: it keeps none of its own.
        let using = match *method {
            "pam" => String::new(),
            _ => format!(" USING PASSWORD('pw-{user}')"),
        };
        exec(
            Side::Primary,
            &[
                &format!("DROP USER IF EXISTS '{user}'@'%'"),
                &format!("CREATE USER '{user}'@'%' IDENTIFIED VIA {method}{using}"),
                &format!("GRANT SELECT, SHOW DATABASES ON *.* TO '{user}'@'%'"),
            ],
        );
    }
    sync();
    for (method, _) in &methods {
        let run = check(&p).user(&format!("monitor_{method}")).run();
        if *method != "pam" {
            run.assert_state_of(State::Ok, method);
            continue;
        }
        run.assert_state(State::Critical);
        assert_eq!(run.stdout.lines().count(), 1, "{run}");
        assert!(
            run.first_line().starts_with(&format!(
                "DRIFT CRITICAL - cannot connect to primary {}: it asks for the authentication \
                 method dialog, which the plugin cannot use",
                primary_addr()
            )),
            "{run}"
        );
    }
}

fn tls_dir() -> String {
    format!(
        "{}/tls",
        std::env::var("DRIFT_TEST_DIR").unwrap_or("/tmp/check_mysql_drift-servers".into())
    )
}

/// TLS files that hold no certificate (or no key) are the operator's to
/// fix: UNKNOWN naming the option and the file, before any connection,
/// with or without --ssl-verify-server-cert.
#[test]
fn bad_tls_files_are_named() {
    let tls = tls_dir();
    let dir = std::env::temp_dir().join(format!("cmd-it-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let key = format!("{tls}/client-key.pem");
    let cert = format!("{tls}/client-cert.pem");
    let (g, e) = (garbage.display().to_string(), empty.display().to_string());
    for (args, says) in [
        (
            vec!["--ssl-ca", &g],
            format!("--ssl-ca {g}: no PEM certificate in it"),
        ),
        (
            vec!["--ssl-ca", &e, "--ssl-verify-server-cert"],
            format!("--ssl-ca {e}: no PEM certificate in it"),
        ),
        (
            vec!["--ssl-ca", &key],
            format!("--ssl-ca {key}: no PEM certificate in it"),
        ),
        (
            vec!["--ssl-cert", &cert, "--ssl-key", &cert],
            format!("--ssl-key {cert}: no PEM private key in it"),
        ),
        (
            vec!["--ssl-cert", &cert],
            "--ssl-cert and --ssl-key go together: give both or neither".into(),
        ),
    ] {
        assert_bad_input(&args, &says);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An account that REQUIRE X509: refused without a client certificate,
/// OK with the test CA's one, from the command line or an option file.
#[test]
fn client_certificates() {
    let _g = shared();
    let (p, _) = seeded("x509");
    account(
        "monitor_x509",
        "REQUIRE X509",
        &["SELECT, SHOW DATABASES ON *.*"],
    );
    let tls = tls_dir();
    let (cert, key) = (
        format!("{tls}/client-cert.pem"),
        format!("{tls}/client-key.pem"),
    );
    let run = check(&p).user("monitor_x509").args(&["--ssl"]).run();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains("Access denied for user 'monitor_x509'"),
        "{run}"
    );
    let run = check(&p)
        .user("monitor_x509")
        .args(&["--ssl-cert", &cert, "--ssl-key", &key])
        .run();
    run.assert_state(State::Ok);
    let cnf = Scratch::new(
        "x509.cnf",
        &format!("[client]\nssl-cert = {cert}\nssl_key = {key}\n"),
    );
    let run = check(&p)
        .user("monitor_x509")
        .args(&["--defaults-file", cnf.path_str()])
        .run();
    run.assert_state(State::Ok);
}

/// A stand-in server on loopback: accepts, says `greeting` (nothing when
/// empty), then holds the connection for `hold`.
fn stand_in(greeting: &'static [u8], hold: Duration) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut held = Vec::new();
        for mut conn in listener.incoming().flatten() {
            let _ = conn.write_all(greeting);
            held.push(conn);
            if started.elapsed() > hold {
                break;
            }
        }
    });
    addr
}

/// Servers that do not answer as they should: each named for what it did.
#[test]
fn servers_that_misbehave_are_named() {
    let _g = shared();
    let m = primary_addr();
    let pw = [("MYSQL_PWD", monitor_password())];
    let pw: Vec<(&str, &str)> = pw.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run_against = |replica: &str, extra: &[&str]| {
        let args = [
            &["--master", &m, "--replica", replica, "-u", "monitor"][..],
            extra,
        ]
        .concat();
        let run = plugin().args(&args).envs(&pw).run();
        run.assert_plugin_output();
        run
    };
    // Not a MySQL server: an SSH banner.
    let ssh = stand_in(
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        Duration::from_secs(10),
    );
    let run = run_against(&ssh, &["-t", "5"]);
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT CRITICAL - cannot connect to replica {ssh}: it did not answer as a MySQL/MariaDB server"
        )
    );
    // A replica that accepts and never answers: the timeout names it, and
    // not the primary, which connected at once.
    let silent = stand_in(b"", Duration::from_secs(10));
    let run = run_against(&silent, &["-t", "2"]);
    run.assert_state(State::Unknown);
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT UNKNOWN - timeout after 2s while primary: connected; replica: connecting to \
             replica {silent}"
        )
    );
    // Both down: both named.
    let run = plugin()
        .args(&[
            "--master",
            "127.0.0.1:1",
            "--replica",
            "127.0.0.1:2",
            "-u",
            "monitor",
        ])
        .envs(&pw)
        .run();
    run.assert_state(State::Critical);
    assert_eq!(
        run.first_line(),
        "DRIFT CRITICAL - cannot connect to primary 127.0.0.1:1: Connection refused (os error 111); \
         cannot connect to replica 127.0.0.1:2: Connection refused (os error 111)"
    );
}

/// TLS through rustls, against servers started with the test CA's
/// certificate (`tests/servers.sh`), as an account that requires TLS.
#[test]
fn tls_connections() {
    let _g = shared();
    let (p, _) = seeded("tls");
    account(
        "monitor_tls",
        "REQUIRE SSL",
        &["SELECT, SHOW DATABASES ON *.*"],
    );
    let tls = tls_dir();
    let ca = format!("{tls}/ca.pem");
    let other = format!("{tls}/other-ca.pem");

    let run = check(&p)
        .user("monitor_tls")
        .args(&["--ssl-ca", &ca, "--ssl-verify-server-cert"])
        .run();
    run.assert_state(State::Ok);
    let run = check(&p).user("monitor_tls").args(&["--ssl"]).run();
    run.assert_state(State::Ok);
    // Without TLS the account is refused: the runs above did use it.
    let run = check(&p).user("monitor_tls").run();
    run.assert_state(State::Critical);
    assert!(
        run.first_line()
            .contains("Access denied for user 'monitor_tls'"),
        "{run}"
    );
    // A certificate from another CA fails verification, as CRITICAL.
    let run = check(&p)
        .user("monitor_tls")
        .args(&["--ssl-ca", &other, "--ssl-verify-server-cert"])
        .run();
    run.assert_state(State::Critical);
    assert_eq!(
        run.first_line(),
        format!(
            "DRIFT CRITICAL - cannot connect to primary {}: TLS: the server's certificate was \
             refused: it is not signed by a CA of --ssl-ca; cannot connect to replica {}: TLS: \
             the server's certificate was refused: it is not signed by a CA of --ssl-ca",
            primary_addr(),
            replica_addr()
        )
    );
    // The same settings from an option file.
    let cnf = Scratch::new(
        "tls.cnf",
        &format!("[client]\nssl-ca = {ca}\nssl-verify-server-cert\n"),
    );
    let run = check(&p)
        .user("monitor_tls")
        .args(&["--defaults-file", cnf.path_str()])
        .run();
    run.assert_state(State::Ok);
}
