//! Why the switch refused a message: the OpenFlow error a real switch would answer with, plus
//! a sentence for the test log.

use std::fmt;

use sluice_ofp::msg::error::ErrorMsg;
use sluice_ofp::{Message, OfError};

/// The experimenter id of the Open Networking Foundation, which Open vSwitch uses for the
/// OpenFlow 1.3 "duplicate instruction" error (ONF extension EXT-260).
pub const ONF_EXPERIMENTER: u32 = 0x4f4e_4600;

/// The error Open vSwitch answers in OpenFlow 1.3 to a flow mod with two instructions of the
/// same type (ONF 1.3 experimenter error 2600; OpenFlow 1.4 made it `OFPBIC_DUP_INST`).
pub const DUP_INSTRUCTION: OfError = OfError::Experimenter {
    exp_type: 2600,
    experimenter: ONF_EXPERIMENTER,
};

/// A message the switch refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The error type and code the switch answers with.
    pub error: OfError,
    /// What was wrong, for people: which rule (and specification section) was broken.
    pub reason: String,
}

impl Rejection {
    /// A rejection with `error` and a reason.
    pub fn new(error: OfError, reason: impl Into<String>) -> Self {
        Rejection {
            error,
            reason: reason.into(),
        }
    }

    /// The ERROR message the switch sends back for `request` (sent with `xid`): the error and
    /// the request's first 64 bytes, as OpenFlow 1.3.5 §7.5.4 asks.
    pub fn to_message(&self, request: &Message, xid: u32) -> Message {
        let data = request.to_bytes(xid).unwrap_or_default();
        Message::Error(ErrorMsg::for_request(self.error, &data))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.reason)
    }
}

impl std::error::Error for Rejection {}

/// Shorthand for building a rejection.
pub(crate) fn reject<T>(error: OfError, reason: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(error, reason))
}
