//! Every OpenFlow 1.3 message, and the [`Message`] enum that decodes and encodes them.
//!
//! ```text
//! struct ofp_header: | version (8) = 0x04 | type (8) | length (16) | xid (32) |  then the body
//! ```

pub mod error;
pub mod experimenter;
pub mod flow;
pub mod group;
pub mod hello;
pub mod meter;
pub mod multipart;
pub mod packet;
pub mod port;
pub mod queue;
pub mod role;
pub mod switch;
pub mod table;

use std::fmt;

use bytes::{Buf, Bytes};

use crate::codec::{Fixed, Put, Reader, fmt_hex};
use crate::error::{DecodeError, EncodeError};
use crate::framing::{HEADER_LEN, Header, MAX_MESSAGE_LEN, OFP_VERSION};
use crate::port::PortNo;

use self::error::ErrorMsg;
use self::experimenter::ExperimenterMsg;
use self::flow::{FlowMod, FlowRemoved};
use self::group::GroupMod;
use self::hello::Hello;
use self::meter::MeterMod;
use self::multipart::{MultipartReply, MultipartRequest};
use self::packet::{PacketIn, PacketOut};
use self::port::{PortMod, PortStatus};
use self::queue::QueueConfig;
use self::role::{AsyncConfig, Role};
use self::switch::{SwitchConfig, SwitchFeatures};
use self::table::TableMod;

/// An OpenFlow 1.3 message (without its header's xid, which travels beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Message {
    /// `OFPT_HELLO` (0).
    Hello(Hello),
    /// `OFPT_ERROR` (1).
    Error(ErrorMsg),
    /// `OFPT_ECHO_REQUEST` (2), with its data.
    EchoRequest(
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))] Bytes,
    ),
    /// `OFPT_ECHO_REPLY` (3), with the request's data.
    EchoReply(#[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))] Bytes),
    /// `OFPT_EXPERIMENTER` (4).
    Experimenter(ExperimenterMsg),
    /// `OFPT_FEATURES_REQUEST` (5).
    FeaturesRequest,
    /// `OFPT_FEATURES_REPLY` (6).
    FeaturesReply(SwitchFeatures),
    /// `OFPT_GET_CONFIG_REQUEST` (7).
    GetConfigRequest,
    /// `OFPT_GET_CONFIG_REPLY` (8).
    GetConfigReply(SwitchConfig),
    /// `OFPT_SET_CONFIG` (9).
    SetConfig(SwitchConfig),
    /// `OFPT_PACKET_IN` (10).
    PacketIn(PacketIn),
    /// `OFPT_FLOW_REMOVED` (11).
    FlowRemoved(FlowRemoved),
    /// `OFPT_PORT_STATUS` (12).
    PortStatus(PortStatus),
    /// `OFPT_PACKET_OUT` (13).
    PacketOut(PacketOut),
    /// `OFPT_FLOW_MOD` (14).
    FlowMod(FlowMod),
    /// `OFPT_GROUP_MOD` (15).
    GroupMod(GroupMod),
    /// `OFPT_PORT_MOD` (16).
    PortMod(PortMod),
    /// `OFPT_TABLE_MOD` (17).
    TableMod(TableMod),
    /// `OFPT_MULTIPART_REQUEST` (18).
    MultipartRequest(MultipartRequest),
    /// `OFPT_MULTIPART_REPLY` (19).
    MultipartReply(MultipartReply),
    /// `OFPT_BARRIER_REQUEST` (20).
    BarrierRequest,
    /// `OFPT_BARRIER_REPLY` (21).
    BarrierReply,
    /// `OFPT_QUEUE_GET_CONFIG_REQUEST` (22), for one port or `ANY`.
    QueueGetConfigRequest(PortNo),
    /// `OFPT_QUEUE_GET_CONFIG_REPLY` (23).
    QueueGetConfigReply(QueueConfig),
    /// `OFPT_ROLE_REQUEST` (24).
    RoleRequest(Role),
    /// `OFPT_ROLE_REPLY` (25).
    RoleReply(Role),
    /// `OFPT_GET_ASYNC_REQUEST` (26).
    GetAsyncRequest,
    /// `OFPT_GET_ASYNC_REPLY` (27).
    GetAsyncReply(AsyncConfig),
    /// `OFPT_SET_ASYNC` (28).
    SetAsync(AsyncConfig),
    /// `OFPT_METER_MOD` (29).
    MeterMod(MeterMod),
    /// A message type this codec does not name, kept as received (a switch answers these with
    /// `OFPBRC_BAD_TYPE`).
    Unknown {
        /// The message type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        msg_type: u8,
        /// The body.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        body: Bytes,
    },
}

/// `OFPT_PACKET_IN`.
const PACKET_IN: u8 = 10;

/// The highest message type number of OpenFlow 1.3.
const LAST_TYPE: u8 = 29;

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u8> {
    u.int_in_range(LAST_TYPE + 1..=u8::MAX)
}

/// Names of the message types, indexed by number.
const TYPE_NAMES: [&str; LAST_TYPE as usize + 1] = [
    "HELLO",
    "ERROR",
    "ECHO_REQUEST",
    "ECHO_REPLY",
    "EXPERIMENTER",
    "FEATURES_REQUEST",
    "FEATURES_REPLY",
    "GET_CONFIG_REQUEST",
    "GET_CONFIG_REPLY",
    "SET_CONFIG",
    "PACKET_IN",
    "FLOW_REMOVED",
    "PORT_STATUS",
    "PACKET_OUT",
    "FLOW_MOD",
    "GROUP_MOD",
    "PORT_MOD",
    "TABLE_MOD",
    "MULTIPART_REQUEST",
    "MULTIPART_REPLY",
    "BARRIER_REQUEST",
    "BARRIER_REPLY",
    "QUEUE_GET_CONFIG_REQUEST",
    "QUEUE_GET_CONFIG_REPLY",
    "ROLE_REQUEST",
    "ROLE_REPLY",
    "GET_ASYNC_REQUEST",
    "GET_ASYNC_REPLY",
    "SET_ASYNC",
    "METER_MOD",
];

/// The name of message type `t` (`FLOW_MOD`), or `None` if it has none.
pub fn type_name(t: u8) -> Option<&'static str> {
    TYPE_NAMES.get(usize::from(t)).copied()
}

/// Whether a message of type `t` is a request the switch answers (echo, features, config,
/// multipart, barrier, queue config, role and async requests).
pub fn type_expects_reply(t: u8) -> bool {
    matches!(t, 2 | 5 | 7 | 18 | 20 | 22 | 24 | 26)
}

impl Message {
    /// The message type number (`ofp_type`).
    pub fn msg_type(&self) -> u8 {
        match self {
            Message::Hello(_) => 0,
            Message::Error(_) => 1,
            Message::EchoRequest(_) => 2,
            Message::EchoReply(_) => 3,
            Message::Experimenter(_) => 4,
            Message::FeaturesRequest => 5,
            Message::FeaturesReply(_) => 6,
            Message::GetConfigRequest => 7,
            Message::GetConfigReply(_) => 8,
            Message::SetConfig(_) => 9,
            Message::PacketIn(_) => 10,
            Message::FlowRemoved(_) => 11,
            Message::PortStatus(_) => 12,
            Message::PacketOut(_) => 13,
            Message::FlowMod(_) => 14,
            Message::GroupMod(_) => 15,
            Message::PortMod(_) => 16,
            Message::TableMod(_) => 17,
            Message::MultipartRequest(_) => 18,
            Message::MultipartReply(_) => 19,
            Message::BarrierRequest => 20,
            Message::BarrierReply => 21,
            Message::QueueGetConfigRequest(_) => 22,
            Message::QueueGetConfigReply(_) => 23,
            Message::RoleRequest(_) => 24,
            Message::RoleReply(_) => 25,
            Message::GetAsyncRequest => 26,
            Message::GetAsyncReply(_) => 27,
            Message::SetAsync(_) => 28,
            Message::MeterMod(_) => 29,
            Message::Unknown { msg_type, .. } => *msg_type,
        }
    }

    /// The type's name, such as `FLOW_MOD`.
    pub fn type_name(&self) -> &'static str {
        type_name(self.msg_type()).unwrap_or("UNKNOWN")
    }

    /// Decodes one whole message (header included). The frame must be exactly the message:
    /// use [`crate::framing::frame_len`] to cut frames from a stream. Payloads (packet data,
    /// experimenter bodies) share the frame's buffer.
    ///
    /// A HELLO of any version is decoded (for version negotiation); any other message must be
    /// OpenFlow 1.3.
    ///
    /// # Errors
    /// A [`DecodeError`] if the bytes are not a well-formed message. Never panics.
    pub fn decode(frame: Bytes) -> Result<(Header, Message), DecodeError> {
        let header = Header::parse(&frame)?;
        if usize::from(header.length) != frame.len() {
            return Err(DecodeError::BadLength {
                what: "ofp_header",
                len: usize::from(header.length),
                offset: 0,
            });
        }
        if header.msg_type == PACKET_IN && header.version == OFP_VERSION {
            // The hot path of a learning controller: the frame's tail becomes the packet's data
            // by moving the buffer, without a reference-count update.
            let (mut p, at) = {
                let mut r = Reader::new(&frame);
                r.skip("ofp_header", HEADER_LEN)?;
                (PacketIn::decode_head(&mut r)?, r.offset())
            };
            let mut data = frame;
            data.advance(at);
            p.data = data;
            return Ok((header, Message::PacketIn(p)));
        }
        let mut r = Reader::new(&frame);
        r.skip("ofp_header", HEADER_LEN)?;
        if header.msg_type == 0 {
            // Peers of older versions may put anything in a HELLO body; only a 1.3.1+ body is
            // read as elements.
            let hello = Hello::decode(&mut r).or_else(|e| {
                if header.version < OFP_VERSION {
                    Ok(Hello::default())
                } else {
                    Err(e)
                }
            })?;
            return Ok((header, Message::Hello(hello)));
        }
        if header.version != OFP_VERSION {
            return Err(DecodeError::BadVersion(header.version));
        }
        let r = &mut r;
        let msg = match header.msg_type {
            1 => Message::Error(ErrorMsg::decode(r)?),
            2 => Message::EchoRequest(r.rest()),
            3 => Message::EchoReply(r.rest()),
            4 => Message::Experimenter(ExperimenterMsg::decode(r)?),
            5 => Message::FeaturesRequest,
            6 => Message::FeaturesReply(SwitchFeatures::decode(r)?),
            7 => Message::GetConfigRequest,
            8 => Message::GetConfigReply(SwitchConfig::decode(r)?),
            9 => Message::SetConfig(SwitchConfig::decode(r)?),
            11 => Message::FlowRemoved(FlowRemoved::decode(r)?),
            12 => Message::PortStatus(PortStatus::decode(r)?),
            13 => Message::PacketOut(PacketOut::decode(r)?),
            14 => Message::FlowMod(FlowMod::decode(r)?),
            15 => Message::GroupMod(GroupMod::decode(r)?),
            16 => Message::PortMod(PortMod::decode(r)?),
            17 => Message::TableMod(TableMod::decode(r)?),
            18 => Message::MultipartRequest(MultipartRequest::decode(r)?),
            19 => Message::MultipartReply(MultipartReply::decode(r)?),
            20 => Message::BarrierRequest,
            21 => Message::BarrierReply,
            22 => {
                let port = PortNo(r.u32("ofp_queue_get_config_request")?);
                r.skip("ofp_queue_get_config_request", 4)?;
                Message::QueueGetConfigRequest(port)
            }
            23 => Message::QueueGetConfigReply(QueueConfig::decode(r)?),
            24 => Message::RoleRequest(Role::decode(r)?),
            25 => Message::RoleReply(Role::decode(r)?),
            26 => Message::GetAsyncRequest,
            27 => Message::GetAsyncReply(AsyncConfig::decode(r)?),
            28 => Message::SetAsync(AsyncConfig::decode(r)?),
            29 => Message::MeterMod(MeterMod::decode(r)?),
            t => Message::Unknown {
                msg_type: t,
                body: r.rest(),
            },
        };
        if !r.is_empty() {
            return Err(DecodeError::Malformed {
                what: msg.type_name(),
                why: "bytes left over after the message",
            });
        }
        Ok((header, msg))
    }

    /// Decodes a message from a byte slice (copies it; prefer [`Message::decode`] on a
    /// frame cut from the connection's read buffer).
    ///
    /// # Errors
    /// As [`Message::decode`].
    pub fn decode_slice(bytes: &[u8]) -> Result<(Header, Message), DecodeError> {
        Message::decode(Bytes::copy_from_slice(bytes))
    }

    /// Appends the message, with an OpenFlow 1.3 header carrying `xid`.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if the message would exceed 65,535 bytes; `buf` is then left
    /// as it was.
    pub fn encode(&self, xid: u32, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = buf.len();
        Fixed::<HEADER_LEN>::new()
            .u8(0, OFP_VERSION)
            .u8(1, self.msg_type())
            .u32(4, xid)
            .put(buf);
        self.encode_body(buf);
        let len = buf.len() - start;
        if len > MAX_MESSAGE_LEN {
            buf.truncate(start);
            return Err(EncodeError::TooLong {
                what: self.type_name(),
                len,
            });
        }
        buf[start + 2..start + 4].copy_from_slice(&(len as u16).to_be_bytes());
        Ok(())
    }

    /// The message encoded on its own.
    ///
    /// # Errors
    /// As [`Message::encode`].
    pub fn to_bytes(&self, xid: u32) -> Result<Bytes, EncodeError> {
        let mut buf = Vec::new();
        self.encode(xid, &mut buf)?;
        Ok(Bytes::from(buf))
    }

    fn encode_body(&self, buf: &mut Vec<u8>) {
        match self {
            Message::Hello(h) => h.encode(buf),
            Message::Error(e) => e.encode(buf),
            Message::EchoRequest(d) | Message::EchoReply(d) => buf.put_slice(d),
            Message::Experimenter(e) => e.encode(buf),
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => {}
            Message::FeaturesReply(f) => f.encode(buf),
            Message::GetConfigReply(c) | Message::SetConfig(c) => c.encode(buf),
            Message::PacketIn(p) => p.encode(buf),
            Message::FlowRemoved(f) => f.encode(buf),
            Message::PortStatus(p) => p.encode(buf),
            Message::PacketOut(p) => p.encode(buf),
            Message::FlowMod(f) => f.encode(buf),
            Message::GroupMod(g) => g.encode(buf),
            Message::PortMod(p) => p.encode(buf),
            Message::TableMod(t) => t.encode(buf),
            Message::MultipartRequest(m) => m.encode(buf),
            Message::MultipartReply(m) => m.encode(buf),
            Message::QueueGetConfigRequest(p) => {
                buf.put_u32(p.0);
                buf.put_bytes(0, 4);
            }
            Message::QueueGetConfigReply(q) => q.encode(buf),
            Message::RoleRequest(r) | Message::RoleReply(r) => r.encode(buf),
            Message::GetAsyncReply(a) | Message::SetAsync(a) => a.encode(buf),
            Message::MeterMod(m) => m.encode(buf),
            Message::Unknown { body, .. } => buf.put_slice(body),
        }
    }

    /// Whether the switch answers this message with a reply of its own (so the sender should
    /// track its xid): echo, features, get-config, multipart, barrier, queue config, role and
    /// get-async requests.
    pub fn expects_reply(&self) -> bool {
        type_expects_reply(self.msg_type())
    }
}

impl fmt::Display for Message {
    /// The message's type name, then its body in ovs-ofctl style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())?;
        match self {
            Message::Hello(h) if h.elements.is_empty() => Ok(()),
            Message::Hello(h) => write!(f, " {h}"),
            Message::Error(e) => write!(f, " {e}"),
            Message::EchoRequest(d) | Message::EchoReply(d) => {
                if d.is_empty() {
                    Ok(())
                } else {
                    f.write_str(" data=")?;
                    fmt_hex(f, d)
                }
            }
            Message::Experimenter(e) => write!(f, " {e}"),
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => Ok(()),
            Message::FeaturesReply(x) => write!(f, " {x}"),
            Message::GetConfigReply(x) | Message::SetConfig(x) => write!(f, " {x}"),
            Message::PacketIn(x) => write!(f, " {x}"),
            Message::FlowRemoved(x) => write!(f, " {x}"),
            Message::PortStatus(x) => write!(f, " {x}"),
            Message::PacketOut(x) => write!(f, " {x}"),
            Message::FlowMod(x) => write!(f, " {x}"),
            Message::GroupMod(x) => write!(f, " {x}"),
            Message::PortMod(x) => write!(f, " {x}"),
            Message::TableMod(x) => write!(f, " {x}"),
            Message::MultipartRequest(x) => write!(f, " {x}"),
            Message::MultipartReply(x) => write!(f, " {x}"),
            Message::QueueGetConfigRequest(p) => write!(f, " port={p}"),
            Message::QueueGetConfigReply(x) => write!(f, " {x}"),
            Message::RoleRequest(x) | Message::RoleReply(x) => write!(f, " {x}"),
            Message::GetAsyncReply(x) | Message::SetAsync(x) => write!(f, " {x}"),
            Message::MeterMod(x) => write!(f, " {x}"),
            Message::Unknown { msg_type, body } => {
                write!(f, " type={msg_type} data=")?;
                fmt_hex(f, body)
            }
        }
    }
}
