//! Verdicts under a write load, and the faults a run can meet: replication
//! stopped or lagging, the replica killed, the primary hanging. Real
//! servers (`tests/servers.sh up`); each test has the pair to itself.

mod big_tables;
mod busy;
mod faults;
mod fixtures;
mod load;
mod snapshots;
