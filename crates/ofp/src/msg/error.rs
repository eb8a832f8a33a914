//! ERROR messages and every OpenFlow 1.3 error type and code (OpenFlow 1.3.5 §7.5.4).
//!
//! ```text
//! struct ofp_error_msg:                    struct ofp_error_experimenter_msg:
//! | header (8) |                           | header (8) |
//! | type (16)  | code (16) |               | type = 0xffff (16) | exp_type (16) |
//! | data: at least 64 bytes of the         | experimenter (32)                  |
//! |       request that failed, or text     | data                               |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{Put, Reader, fmt_hex};
use crate::error::DecodeError;
use crate::macros::open_enum;

open_enum! {
    /// `OFPET_HELLO_FAILED` codes.
    pub enum HelloFailedCode: u16 {
        /// No compatible version.
        Incompatible = 0 => "OFPHFC_INCOMPATIBLE",
        /// Permissions error.
        Eperm = 1 => "OFPHFC_EPERM",
    }
}

open_enum! {
    /// `OFPET_BAD_REQUEST` codes.
    pub enum BadRequestCode: u16 {
        /// Header version not supported.
        BadVersion = 0 => "OFPBRC_BAD_VERSION",
        /// Message type not supported.
        BadType = 1 => "OFPBRC_BAD_TYPE",
        /// Multipart request type not supported.
        BadMultipart = 2 => "OFPBRC_BAD_MULTIPART",
        /// Experimenter id not supported.
        BadExperimenter = 3 => "OFPBRC_BAD_EXPERIMENTER",
        /// Experimenter type not supported.
        BadExpType = 4 => "OFPBRC_BAD_EXP_TYPE",
        /// Permissions error.
        Eperm = 5 => "OFPBRC_EPERM",
        /// Wrong request length for type.
        BadLen = 6 => "OFPBRC_BAD_LEN",
        /// Specified buffer has already been used.
        BufferEmpty = 7 => "OFPBRC_BUFFER_EMPTY",
        /// Specified buffer does not exist.
        BufferUnknown = 8 => "OFPBRC_BUFFER_UNKNOWN",
        /// Specified table id is invalid or does not exist.
        BadTableId = 9 => "OFPBRC_BAD_TABLE_ID",
        /// Denied because controller is slave.
        IsSlave = 10 => "OFPBRC_IS_SLAVE",
        /// Invalid port.
        BadPort = 11 => "OFPBRC_BAD_PORT",
        /// Invalid packet in packet-out.
        BadPacket = 12 => "OFPBRC_BAD_PACKET",
        /// Multipart request overflowed the assigned buffer.
        MultipartBufferOverflow = 13 => "OFPBRC_MULTIPART_BUFFER_OVERFLOW",
    }
}

open_enum! {
    /// `OFPET_BAD_ACTION` codes.
    pub enum BadActionCode: u16 {
        /// Unknown action type.
        BadType = 0 => "OFPBAC_BAD_TYPE",
        /// Length problem in actions.
        BadLen = 1 => "OFPBAC_BAD_LEN",
        /// Unknown experimenter id.
        BadExperimenter = 2 => "OFPBAC_BAD_EXPERIMENTER",
        /// Unknown action for experimenter id.
        BadExpType = 3 => "OFPBAC_BAD_EXP_TYPE",
        /// Problem validating output port.
        BadOutPort = 4 => "OFPBAC_BAD_OUT_PORT",
        /// Bad action argument.
        BadArgument = 5 => "OFPBAC_BAD_ARGUMENT",
        /// Permissions error.
        Eperm = 6 => "OFPBAC_EPERM",
        /// Can't handle this many actions.
        TooMany = 7 => "OFPBAC_TOO_MANY",
        /// Problem validating output queue.
        BadQueue = 8 => "OFPBAC_BAD_QUEUE",
        /// Invalid group id in forward action.
        BadOutGroup = 9 => "OFPBAC_BAD_OUT_GROUP",
        /// Action can't apply for this match, or set-field missing prerequisite.
        MatchInconsistent = 10 => "OFPBAC_MATCH_INCONSISTENT",
        /// Action order is unsupported for the action list in an apply-actions instruction.
        UnsupportedOrder = 11 => "OFPBAC_UNSUPPORTED_ORDER",
        /// Actions uses an unsupported tag/encap.
        BadTag = 12 => "OFPBAC_BAD_TAG",
        /// Unsupported type in set-field action.
        BadSetType = 13 => "OFPBAC_BAD_SET_TYPE",
        /// Length problem in set-field action.
        BadSetLen = 14 => "OFPBAC_BAD_SET_LEN",
        /// Bad argument in set-field action.
        BadSetArgument = 15 => "OFPBAC_BAD_SET_ARGUMENT",
    }
}

open_enum! {
    /// `OFPET_BAD_INSTRUCTION` codes.
    pub enum BadInstructionCode: u16 {
        /// Unknown instruction.
        UnknownInst = 0 => "OFPBIC_UNKNOWN_INST",
        /// Switch or table does not support the instruction.
        UnsupInst = 1 => "OFPBIC_UNSUP_INST",
        /// Invalid table id specified.
        BadTableId = 2 => "OFPBIC_BAD_TABLE_ID",
        /// Metadata value unsupported by datapath.
        UnsupMetadata = 3 => "OFPBIC_UNSUP_METADATA",
        /// Metadata mask value unsupported by datapath.
        UnsupMetadataMask = 4 => "OFPBIC_UNSUP_METADATA_MASK",
        /// Unknown experimenter id specified.
        BadExperimenter = 5 => "OFPBIC_BAD_EXPERIMENTER",
        /// Unknown instruction for experimenter id.
        BadExpType = 6 => "OFPBIC_BAD_EXP_TYPE",
        /// Length problem in instructions.
        BadLen = 7 => "OFPBIC_BAD_LEN",
        /// Permissions error.
        Eperm = 8 => "OFPBIC_EPERM",
    }
}

open_enum! {
    /// `OFPET_BAD_MATCH` codes.
    pub enum BadMatchCode: u16 {
        /// Unsupported match type.
        BadType = 0 => "OFPBMC_BAD_TYPE",
        /// Length problem in match.
        BadLen = 1 => "OFPBMC_BAD_LEN",
        /// Match uses an unsupported tag/encap.
        BadTag = 2 => "OFPBMC_BAD_TAG",
        /// Unsupported datalink address mask.
        BadDlAddrMask = 3 => "OFPBMC_BAD_DL_ADDR_MASK",
        /// Unsupported network address mask.
        BadNwAddrMask = 4 => "OFPBMC_BAD_NW_ADDR_MASK",
        /// Unsupported combination of fields masked or omitted.
        BadWildcards = 5 => "OFPBMC_BAD_WILDCARDS",
        /// Unsupported field type in the match.
        BadField = 6 => "OFPBMC_BAD_FIELD",
        /// Unsupported value in a match field.
        BadValue = 7 => "OFPBMC_BAD_VALUE",
        /// Unsupported mask specified in the match.
        BadMask = 8 => "OFPBMC_BAD_MASK",
        /// A prerequisite was not met.
        BadPrereq = 9 => "OFPBMC_BAD_PREREQ",
        /// A field type was duplicated.
        DupField = 10 => "OFPBMC_DUP_FIELD",
        /// Permissions error.
        Eperm = 11 => "OFPBMC_EPERM",
    }
}

open_enum! {
    /// `OFPET_FLOW_MOD_FAILED` codes.
    pub enum FlowModFailedCode: u16 {
        /// Unspecified error.
        Unspecified = 0 => "OFPFMFC_UNKNOWN",
        /// Flow not added because table was full.
        TableFull = 1 => "OFPFMFC_TABLE_FULL",
        /// Table does not exist.
        BadTableId = 2 => "OFPFMFC_BAD_TABLE_ID",
        /// Attempted to add overlapping flow with CHECK_OVERLAP flag set.
        Overlap = 3 => "OFPFMFC_OVERLAP",
        /// Permissions error.
        Eperm = 4 => "OFPFMFC_EPERM",
        /// Flow not added because of unsupported idle/hard timeout.
        BadTimeout = 5 => "OFPFMFC_BAD_TIMEOUT",
        /// Unsupported or unknown command.
        BadCommand = 6 => "OFPFMFC_BAD_COMMAND",
        /// Unsupported or unknown flags.
        BadFlags = 7 => "OFPFMFC_BAD_FLAGS",
    }
}

open_enum! {
    /// `OFPET_GROUP_MOD_FAILED` codes.
    pub enum GroupModFailedCode: u16 {
        /// Group not added because a group ADD attempted to replace an existing group.
        GroupExists = 0 => "OFPGMFC_GROUP_EXISTS",
        /// Group not added because the group specified is invalid.
        InvalidGroup = 1 => "OFPGMFC_INVALID_GROUP",
        /// Switch does not support unequal load sharing with select groups.
        WeightUnsupported = 2 => "OFPGMFC_WEIGHT_UNSUPPORTED",
        /// The group table is full.
        OutOfGroups = 3 => "OFPGMFC_OUT_OF_GROUPS",
        /// The maximum number of action buckets for a group has been exceeded.
        OutOfBuckets = 4 => "OFPGMFC_OUT_OF_BUCKETS",
        /// Switch does not support groups that forward to groups.
        ChainingUnsupported = 5 => "OFPGMFC_CHAINING_UNSUPPORTED",
        /// This group cannot watch the watch_port or watch_group specified.
        WatchUnsupported = 6 => "OFPGMFC_WATCH_UNSUPPORTED",
        /// Group entry would cause a loop.
        Loop = 7 => "OFPGMFC_LOOP",
        /// Group not modified because a group MODIFY attempted to modify a non-existent group.
        UnknownGroup = 8 => "OFPGMFC_UNKNOWN_GROUP",
        /// Group not deleted because another group is forwarding to it.
        ChainedGroup = 9 => "OFPGMFC_CHAINED_GROUP",
        /// Unsupported or unknown group type.
        BadType = 10 => "OFPGMFC_BAD_TYPE",
        /// Unsupported or unknown command.
        BadCommand = 11 => "OFPGMFC_BAD_COMMAND",
        /// Error in bucket.
        BadBucket = 12 => "OFPGMFC_BAD_BUCKET",
        /// Error in watch port/group.
        BadWatch = 13 => "OFPGMFC_BAD_WATCH",
        /// Permissions error.
        Eperm = 14 => "OFPGMFC_EPERM",
    }
}

open_enum! {
    /// `OFPET_PORT_MOD_FAILED` codes.
    pub enum PortModFailedCode: u16 {
        /// Specified port number does not exist.
        BadPort = 0 => "OFPPMFC_BAD_PORT",
        /// Specified hardware address does not match the port number.
        BadHwAddr = 1 => "OFPPMFC_BAD_HW_ADDR",
        /// Specified config is invalid.
        BadConfig = 2 => "OFPPMFC_BAD_CONFIG",
        /// Specified advertise is invalid.
        BadAdvertise = 3 => "OFPPMFC_BAD_ADVERTISE",
        /// Permissions error.
        Eperm = 4 => "OFPPMFC_EPERM",
    }
}

open_enum! {
    /// `OFPET_TABLE_MOD_FAILED` codes.
    pub enum TableModFailedCode: u16 {
        /// Specified table does not exist.
        BadTable = 0 => "OFPTMFC_BAD_TABLE",
        /// Specified config is invalid.
        BadConfig = 1 => "OFPTMFC_BAD_CONFIG",
        /// Permissions error.
        Eperm = 2 => "OFPTMFC_EPERM",
    }
}

open_enum! {
    /// `OFPET_QUEUE_OP_FAILED` codes.
    pub enum QueueOpFailedCode: u16 {
        /// Invalid port (or port does not exist).
        BadPort = 0 => "OFPQOFC_BAD_PORT",
        /// Queue does not exist.
        BadQueue = 1 => "OFPQOFC_BAD_QUEUE",
        /// Permissions error.
        Eperm = 2 => "OFPQOFC_EPERM",
    }
}

open_enum! {
    /// `OFPET_SWITCH_CONFIG_FAILED` codes.
    pub enum SwitchConfigFailedCode: u16 {
        /// Specified flags is invalid.
        BadFlags = 0 => "OFPSCFC_BAD_FLAGS",
        /// Specified miss send len is invalid.
        BadLen = 1 => "OFPSCFC_BAD_LEN",
        /// Permissions error.
        Eperm = 2 => "OFPSCFC_EPERM",
    }
}

open_enum! {
    /// `OFPET_ROLE_REQUEST_FAILED` codes.
    pub enum RoleRequestFailedCode: u16 {
        /// Stale message: old generation_id.
        Stale = 0 => "OFPRRFC_STALE",
        /// Controller role change unsupported.
        Unsup = 1 => "OFPRRFC_UNSUP",
        /// Invalid role.
        BadRole = 2 => "OFPRRFC_BAD_ROLE",
    }
}

open_enum! {
    /// `OFPET_METER_MOD_FAILED` codes.
    pub enum MeterModFailedCode: u16 {
        /// Unspecified error.
        Unspecified = 0 => "OFPMMFC_UNKNOWN",
        /// Meter not added because a meter ADD attempted to replace an existing meter.
        MeterExists = 1 => "OFPMMFC_METER_EXISTS",
        /// Meter not added because the meter specified is invalid.
        InvalidMeter = 2 => "OFPMMFC_INVALID_METER",
        /// Meter not modified because a meter MODIFY attempted to modify a non-existent meter.
        UnknownMeter = 3 => "OFPMMFC_UNKNOWN_METER",
        /// Unsupported or unknown command.
        BadCommand = 4 => "OFPMMFC_BAD_COMMAND",
        /// Flag configuration unsupported.
        BadFlags = 5 => "OFPMMFC_BAD_FLAGS",
        /// Rate unsupported.
        BadRate = 6 => "OFPMMFC_BAD_RATE",
        /// Burst size unsupported.
        BadBurst = 7 => "OFPMMFC_BAD_BURST",
        /// Band unsupported.
        BadBand = 8 => "OFPMMFC_BAD_BAND",
        /// Band value unsupported.
        BadBandValue = 9 => "OFPMMFC_BAD_BAND_VALUE",
        /// No more meters available.
        OutOfMeters = 10 => "OFPMMFC_OUT_OF_METERS",
        /// The maximum number of properties for a meter has been exceeded.
        OutOfBands = 11 => "OFPMMFC_OUT_OF_BANDS",
    }
}

open_enum! {
    /// `OFPET_TABLE_FEATURES_FAILED` codes.
    pub enum TableFeaturesFailedCode: u16 {
        /// Specified table does not exist.
        BadTable = 0 => "OFPTFFC_BAD_TABLE",
        /// Invalid metadata mask.
        BadMetadata = 1 => "OFPTFFC_BAD_METADATA",
        /// Unknown property type.
        BadType = 2 => "OFPTFFC_BAD_TYPE",
        /// Length problem in properties.
        BadLen = 3 => "OFPTFFC_BAD_LEN",
        /// Unsupported property value.
        BadArgument = 4 => "OFPTFFC_BAD_ARGUMENT",
        /// Permissions error.
        Eperm = 5 => "OFPTFFC_EPERM",
    }
}

/// An OpenFlow error: its type and code, typed where the specification names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfError {
    /// `OFPET_HELLO_FAILED` (0).
    HelloFailed(HelloFailedCode),
    /// `OFPET_BAD_REQUEST` (1).
    BadRequest(BadRequestCode),
    /// `OFPET_BAD_ACTION` (2).
    BadAction(BadActionCode),
    /// `OFPET_BAD_INSTRUCTION` (3).
    BadInstruction(BadInstructionCode),
    /// `OFPET_BAD_MATCH` (4).
    BadMatch(BadMatchCode),
    /// `OFPET_FLOW_MOD_FAILED` (5).
    FlowModFailed(FlowModFailedCode),
    /// `OFPET_GROUP_MOD_FAILED` (6).
    GroupModFailed(GroupModFailedCode),
    /// `OFPET_PORT_MOD_FAILED` (7).
    PortModFailed(PortModFailedCode),
    /// `OFPET_TABLE_MOD_FAILED` (8).
    TableModFailed(TableModFailedCode),
    /// `OFPET_QUEUE_OP_FAILED` (9).
    QueueOpFailed(QueueOpFailedCode),
    /// `OFPET_SWITCH_CONFIG_FAILED` (10).
    SwitchConfigFailed(SwitchConfigFailedCode),
    /// `OFPET_ROLE_REQUEST_FAILED` (11).
    RoleRequestFailed(RoleRequestFailedCode),
    /// `OFPET_METER_MOD_FAILED` (12).
    MeterModFailed(MeterModFailedCode),
    /// `OFPET_TABLE_FEATURES_FAILED` (13).
    TableFeaturesFailed(TableFeaturesFailedCode),
    /// `OFPET_EXPERIMENTER` (0xffff).
    Experimenter {
        /// Experimenter-defined error type.
        exp_type: u16,
        /// Experimenter id.
        experimenter: u32,
    },
    /// An error type this codec does not name.
    Unknown {
        /// The error type.
        error_type: u16,
        /// The code.
        code: u16,
    },
}

/// `OFPET_EXPERIMENTER`.
const OFPET_EXPERIMENTER: u16 = 0xffff;

impl OfError {
    /// The error type number.
    pub fn error_type(&self) -> u16 {
        match self {
            OfError::HelloFailed(_) => 0,
            OfError::BadRequest(_) => 1,
            OfError::BadAction(_) => 2,
            OfError::BadInstruction(_) => 3,
            OfError::BadMatch(_) => 4,
            OfError::FlowModFailed(_) => 5,
            OfError::GroupModFailed(_) => 6,
            OfError::PortModFailed(_) => 7,
            OfError::TableModFailed(_) => 8,
            OfError::QueueOpFailed(_) => 9,
            OfError::SwitchConfigFailed(_) => 10,
            OfError::RoleRequestFailed(_) => 11,
            OfError::MeterModFailed(_) => 12,
            OfError::TableFeaturesFailed(_) => 13,
            OfError::Experimenter { .. } => OFPET_EXPERIMENTER,
            OfError::Unknown { error_type, .. } => *error_type,
        }
    }

    /// The code number (the experimenter type for experimenter errors).
    pub fn code(&self) -> u16 {
        match *self {
            OfError::HelloFailed(c) => c.into(),
            OfError::BadRequest(c) => c.into(),
            OfError::BadAction(c) => c.into(),
            OfError::BadInstruction(c) => c.into(),
            OfError::BadMatch(c) => c.into(),
            OfError::FlowModFailed(c) => c.into(),
            OfError::GroupModFailed(c) => c.into(),
            OfError::PortModFailed(c) => c.into(),
            OfError::TableModFailed(c) => c.into(),
            OfError::QueueOpFailed(c) => c.into(),
            OfError::SwitchConfigFailed(c) => c.into(),
            OfError::RoleRequestFailed(c) => c.into(),
            OfError::MeterModFailed(c) => c.into(),
            OfError::TableFeaturesFailed(c) => c.into(),
            OfError::Experimenter { exp_type, .. } => exp_type,
            OfError::Unknown { code, .. } => code,
        }
    }

    /// The error of this type and code (not for experimenter errors, which carry an id).
    pub fn from_type_code(error_type: u16, code: u16) -> OfError {
        match error_type {
            0 => OfError::HelloFailed(code.into()),
            1 => OfError::BadRequest(code.into()),
            2 => OfError::BadAction(code.into()),
            3 => OfError::BadInstruction(code.into()),
            4 => OfError::BadMatch(code.into()),
            5 => OfError::FlowModFailed(code.into()),
            6 => OfError::GroupModFailed(code.into()),
            7 => OfError::PortModFailed(code.into()),
            8 => OfError::TableModFailed(code.into()),
            9 => OfError::QueueOpFailed(code.into()),
            10 => OfError::SwitchConfigFailed(code.into()),
            11 => OfError::RoleRequestFailed(code.into()),
            12 => OfError::MeterModFailed(code.into()),
            13 => OfError::TableFeaturesFailed(code.into()),
            _ => OfError::Unknown { error_type, code },
        }
    }

    /// The type's name (`OFPET_BAD_MATCH`), if it has one.
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            OfError::HelloFailed(_) => "OFPET_HELLO_FAILED",
            OfError::BadRequest(_) => "OFPET_BAD_REQUEST",
            OfError::BadAction(_) => "OFPET_BAD_ACTION",
            OfError::BadInstruction(_) => "OFPET_BAD_INSTRUCTION",
            OfError::BadMatch(_) => "OFPET_BAD_MATCH",
            OfError::FlowModFailed(_) => "OFPET_FLOW_MOD_FAILED",
            OfError::GroupModFailed(_) => "OFPET_GROUP_MOD_FAILED",
            OfError::PortModFailed(_) => "OFPET_PORT_MOD_FAILED",
            OfError::TableModFailed(_) => "OFPET_TABLE_MOD_FAILED",
            OfError::QueueOpFailed(_) => "OFPET_QUEUE_OP_FAILED",
            OfError::SwitchConfigFailed(_) => "OFPET_SWITCH_CONFIG_FAILED",
            OfError::RoleRequestFailed(_) => "OFPET_ROLE_REQUEST_FAILED",
            OfError::MeterModFailed(_) => "OFPET_METER_MOD_FAILED",
            OfError::TableFeaturesFailed(_) => "OFPET_TABLE_FEATURES_FAILED",
            OfError::Experimenter { .. } => "OFPET_EXPERIMENTER",
            OfError::Unknown { .. } => return None,
        })
    }

    /// The code's name (`OFPBMC_BAD_PREREQ`), if it has one.
    pub fn code_name(&self) -> Option<&'static str> {
        match self {
            OfError::HelloFailed(c) => c.name(),
            OfError::BadRequest(c) => c.name(),
            OfError::BadAction(c) => c.name(),
            OfError::BadInstruction(c) => c.name(),
            OfError::BadMatch(c) => c.name(),
            OfError::FlowModFailed(c) => c.name(),
            OfError::GroupModFailed(c) => c.name(),
            OfError::PortModFailed(c) => c.name(),
            OfError::TableModFailed(c) => c.name(),
            OfError::QueueOpFailed(c) => c.name(),
            OfError::SwitchConfigFailed(c) => c.name(),
            OfError::RoleRequestFailed(c) => c.name(),
            OfError::MeterModFailed(c) => c.name(),
            OfError::TableFeaturesFailed(c) => c.name(),
            OfError::Experimenter { .. } | OfError::Unknown { .. } => None,
        }
    }
}

impl fmt::Display for OfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.type_name(), self.code_name()) {
            (
                OfError::Experimenter {
                    exp_type,
                    experimenter,
                },
                _,
                _,
            ) => {
                write!(
                    f,
                    "OFPET_EXPERIMENTER(experimenter={experimenter:#x},exp_type={exp_type})"
                )
            }
            (_, Some(t), Some(c)) => write!(f, "{t}/{c}"),
            (_, Some(t), None) => write!(f, "{t}/{}", self.code()),
            (_, None, _) => write!(f, "type {}/code {}", self.error_type(), self.code()),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for OfError {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(1, 8)? {
            return Ok(OfError::Experimenter {
                exp_type: u.arbitrary()?,
                experimenter: u.arbitrary()?,
            });
        }
        let t = if u.ratio(7, 8)? {
            u.int_in_range(0..=13)?
        } else {
            u.int_in_range(14..=0xfffe)?
        };
        let code = if u.ratio(7, 8)? {
            u.int_in_range(0..=15)?
        } else {
            u.arbitrary()?
        };
        Ok(OfError::from_type_code(t, code))
    }
}

/// An ERROR message: the error and the data that goes with it (the start of the failed
/// request, or for `OFPET_HELLO_FAILED` a text explanation).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ErrorMsg {
    /// The error type and code.
    pub error: OfError,
    /// The data.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
    pub data: Bytes,
}

impl ErrorMsg {
    /// An error about a request: the data is the request's first 64 bytes, as the specification
    /// asks of switches.
    pub fn for_request(error: OfError, request: &[u8]) -> Self {
        ErrorMsg {
            error,
            data: Bytes::copy_from_slice(&request[..request.len().min(64)]),
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_error_msg";
        let error_type = r.u16(W)?;
        let code = r.u16(W)?;
        let error = if error_type == OFPET_EXPERIMENTER {
            OfError::Experimenter {
                exp_type: code,
                experimenter: r.u32(W)?,
            }
        } else {
            OfError::from_type_code(error_type, code)
        };
        Ok(ErrorMsg {
            error,
            data: r.rest(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u16(self.error.error_type());
        buf.put_u16(self.error.code());
        if let OfError::Experimenter { experimenter, .. } = self.error {
            buf.put_u32(experimenter);
        }
        buf.put_slice(&self.data);
    }

    /// Whether the data should be read as text (`OFPET_HELLO_FAILED`).
    fn data_is_text(&self) -> bool {
        matches!(self.error, OfError::HelloFailed(_))
    }
}

impl fmt::Display for ErrorMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if self.data.is_empty() {
            return Ok(());
        }
        if self.data_is_text() {
            write!(
                f,
                " \"{}\"",
                String::from_utf8_lossy(&self.data).escape_debug()
            )
        } else {
            f.write_str(" data=")?;
            fmt_hex(f, &self.data)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let e = OfError::FlowModFailed(FlowModFailedCode::Overlap);
        assert_eq!((e.error_type(), e.code()), (5, 3));
        assert_eq!(e.to_string(), "OFPET_FLOW_MOD_FAILED/OFPFMFC_OVERLAP");
        assert_eq!(
            OfError::from_type_code(4, 9),
            OfError::BadMatch(BadMatchCode::BadPrereq)
        );
        assert_eq!(
            OfError::from_type_code(4, 99).to_string(),
            "OFPET_BAD_MATCH/99"
        );
        assert_eq!(OfError::from_type_code(77, 1).to_string(), "type 77/code 1");
        assert_eq!(
            OfError::from_type_code(13, 5),
            OfError::TableFeaturesFailed(TableFeaturesFailedCode::Eperm)
        );
    }

    #[test]
    fn experimenter_error_layout() {
        let m = ErrorMsg {
            error: OfError::Experimenter {
                exp_type: 7,
                experimenter: 0x2320,
            },
            data: Bytes::from_static(b"x"),
        };
        let mut b = Vec::new();
        m.encode(&mut b);
        assert_eq!(&b[..], &[0xff, 0xff, 0, 7, 0, 0, 0x23, 0x20, b'x']);
        let frozen = Bytes::from(b);
        assert_eq!(ErrorMsg::decode(&mut Reader::new(&frozen)).unwrap(), m);
    }
}
