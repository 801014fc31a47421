//! All server I/O: a read-only session per connection, one file per
//! concern. What differs between MariaDB and MySQL is asked of `Flavor`.

mod connect;
mod count;
mod definitions;
mod errors;
mod flavor;
mod forensics;
mod hashes;
mod listing;
mod position;
mod ranges;
mod replication;
mod session;
mod shapes;
mod sql;

pub(crate) use connect::{kill_ours, ConnectBy, NoSession};
pub(crate) use hashes::TableResult;
pub(crate) use listing::Shapes;
pub(crate) use position::PrimarySnapshot;
pub(crate) use replication::Identity;
pub(crate) use session::Session;
