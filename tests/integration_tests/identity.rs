//! Which servers are given: the replica must replicate from the primary,
//! and one server under two names is told by its identity.

use support::*;

/// The two servers must be a primary and a replica of it: the same server
/// given twice, or the pair given the wrong way round, is CRITICAL "not a
/// replica", not "OK, both at GTID ...".
#[test]
fn the_pair_must_be_the_pair() {
    if !require(Feature::MariaDbLineage) {
        return;
    }
    let _g = shared();
    let (p, _) = seeded("pairing");
    let run_with = |primary: &str, replica: &str| check(&p).servers(primary, &[replica]).run();
    let (m, r) = (primary_addr(), replica_addr());
    let run = run_with(&m, &m);
    run.assert_state(State::Critical);
    assert_eq!(
        run.stdout,
        format!(
            "DRIFT CRITICAL - replica {m} is not a replica of primary {m}: both have server_id 1 \
             (the same server given twice?)\n"
        )
    );
    // The replica given as primary: it logs what it replicates, but the
    // primary has applied nothing of it.
    let run = run_with(&r, &m);
    run.assert_state(State::Critical);
    assert_eq!(
        run.stdout,
        format!(
            "DRIFT CRITICAL - replica {m} is not a replica of primary {r}: it has applied none of \
             the primary's transactions\n"
        )
    );
    run_with(&m, &r).assert_state(State::Ok);
}

/// The same replica under two names (its address and `localhost`) is told
/// by the server's identity: UNKNOWN, "the same server given twice", with
/// no doubled figures; the first name is compared.
#[test]
fn one_replica_under_two_names() {
    let _g = shared();
    let (p, _) = seeded("twice");
    let (m, r) = (primary_addr(), replica_addr());
    let local = format!("localhost:{}", port(Side::Replica));
    let run = check(&p).servers(&m, &[&r, &local]).run();
    run.assert_state(State::Unknown);
    let twice = format!("{local}: UNKNOWN - replica {local} is replica {r} again (server_id ");
    let line = run.stdout.lines().find(|l| l.starts_with(&twice));
    assert!(
        line.is_some_and(|l| l.ends_with("): the same server given twice")),
        "{run}"
    );
    let compared = format!("{r}: OK - 3 of 3 tables match, ");
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&compared)),
        "{run}"
    );
    let label = format!("localhost_{}.tables", port(Side::Replica));
    assert!(!run.first_line().contains(&label), "{run}");
}
