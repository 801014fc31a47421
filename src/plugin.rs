//! What makes this a monitoring plugin: states, threshold ranges,
//! performance data and the output format.

mod perfdata;
mod range;
mod render;
mod state;

pub use perfdata::Perfdata;
pub use range::Range;
pub use render::{Output, LABEL};
pub use state::{Failure, State};
