//! From configuration to flows: the table layout ([`tables`]), flows and flow sets
//! ([`flow`]), the compiler ([`compile`]) and programming by difference ([`diff`]).

pub mod compile;
pub mod diff;
pub mod flow;
pub mod tables;

pub use compile::{Compiled, compile, port_counts_as_up, priority};
pub use diff::diff;
pub use flow::{Flow, FlowBody, FlowKey, FlowSet};
pub use tables::{Layout, Table};
