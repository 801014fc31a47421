//! Tests that need what the servers at hand do not have are skipped by
//! name, with their reason: printed, and written to `$DRIFT_SKIP_LOG`
//! (one line each) so that the suite's summary counts them.

use crate::servers::{flavor, replicas, Flavor};
use std::io::Write;

/// What a test may need beyond a primary and one replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// A second replica of the primary and one chained through the first.
    ThreeReplicas,
    /// MariaDB's lineage messages, and a primary of its own (MySQL's
    /// lineage is unit-tested).
    MariaDbLineage,
    /// GTID domains of MariaDB.
    GtidDomains,
    /// MariaDB replication by file and position.
    FilePositionReplication,
    /// A grant on MariaDB's `mysql.gtid_slave_pos`.
    GtidSlavePosGrant,
    /// pt-table-checksum 3.2, which supports MariaDB 10.11 and not the
    /// newer servers.
    PtTableChecksum,
}

impl Feature {
    fn reason(self) -> &'static str {
        match self {
            Feature::ThreeReplicas => "needs three replicas",
            Feature::MariaDbLineage => "MariaDB lineage messages; MySQL lineage is unit-tested",
            Feature::GtidDomains => "MariaDB GTID domains",
            Feature::FilePositionReplication => "MariaDB replication by file and position",
            Feature::GtidSlavePosGrant => "MariaDB's mysql.gtid_slave_pos grant",
            Feature::PtTableChecksum => "pt-table-checksum 3.2 against MariaDB 10.11 only",
        }
    }

    /// Whether the servers at hand have it: all of these are the five
    /// MariaDB 10.11 servers of `tests/servers.sh`.
    fn available(self) -> bool {
        match self {
            Feature::ThreeReplicas => replicas().len() == 3,
            _ => flavor() == Flavor::MariaDb10,
        }
    }
}

/// Whether the test may go on: when `feature` is missing, the test is
/// recorded as skipped with its reason and should return.
#[must_use = "a test whose feature is missing must return"]
pub fn require(feature: Feature) -> bool {
    if feature.available() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let line = format!("{:?}: {test} ({})", flavor(), feature.reason());
    println!("SKIPPED on {line}");
    if let Ok(path) = std::env::var("DRIFT_SKIP_LOG") {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("DRIFT_SKIP_LOG={path}: {e}"));
        // One write of the whole line: tests skip at the same time.
        log.write_all(format!("{line}\n").as_bytes())
            .unwrap_or_else(|e| panic!("DRIFT_SKIP_LOG={path}: {e}"));
    }
    false
}
