//! From configuration to flows: the table layout ([`tables`]), flows and flow sets
//! ([`flow`]), the compiler ([`compile`]) with its ACLs ([`acl`], [`acl_match`],
//! [`nicira`]), egress pipeline ([`egress`]), coprocessor ports ([`copro`]), tunnels
//! ([`tunnel`]) and remote mirrors ([`remote_mirror`]), and
//! programming by difference ([`diff`], [`meters`]).

pub mod acl;
pub mod acl_match;
pub mod compile;
mod copro;
pub mod diff;
pub mod egress;
pub mod flow;
pub mod meters;
pub mod nicira;
pub mod remote_mirror;
pub mod tables;
pub mod tunnel;

pub use compile::{Compiled, compile, compile_stacked, port_counts_as_up, priority};
pub use diff::diff;
pub use flow::{Flow, FlowBody, FlowKey, FlowSet};
pub use tables::{Layout, Table};
