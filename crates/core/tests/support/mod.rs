//! `TestNet`: the controller core driving the fake switch, as it would drive a real one.
//!
//! Every message the core sends is applied to the fake switch (which must accept it), every
//! reply and packet-in goes back to the core, and barriers are answered, so a test only says
//! what happens on the wire: a packet enters a port, time passes, a link goes down.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use sluice_core::{Controller, Event, Instant, Notification, Output};
use sluice_fakeswitch::{FakeSwitch, Packet, Trace};
use sluice_ofp::Message;
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_wire::MacAddr;

/// A controller and one fake switch, wired together.
pub struct TestNet {
    pub ctl: Controller,
    pub sw: FakeSwitch,
    pub dp_id: u64,
    pub now_ms: u64,
    /// Every notification so far.
    pub notes: Vec<Notification>,
    /// Messages sent to the switch since the last `take_sent`.
    pub sent: Vec<Message>,
}

impl TestNet {
    /// A network for the first DP of `yaml`, whose ports all exist on the switch.
    pub fn new(yaml: &str) -> TestNet {
        let loaded =
            sluice_config::load_str(yaml).unwrap_or_else(|e| panic!("bad test config:\n{e}"));
        let dp = loaded.config.dps.values().next().expect("a DP");
        let dp_id = dp.dp_id.0;
        let ports: Vec<u32> = dp.ports.keys().map(|p| p.0).collect();
        let sw = FakeSwitch::new(dp_id).with_ports(ports);
        TestNet {
            ctl: Controller::with_config(loaded.config, 42),
            sw,
            dp_id,
            now_ms: 0,
            notes: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// A network already connected and programmed.
    pub fn connected(yaml: &str) -> TestNet {
        let mut net = TestNet::new(yaml);
        net.connect();
        net
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms)
    }

    fn sw_now(&self) -> Duration {
        Duration::from_millis(self.now_ms)
    }

    /// The switch connects (with whatever flows it holds) and is programmed.
    pub fn connect(&mut self) {
        let features = SwitchFeatures {
            datapath_id: self.dp_id,
            n_tables: self.sw.n_tables(),
            ..Default::default()
        };
        let ports = self.sw.ports().cloned().collect();
        let out = self.ctl.handle(
            self.now(),
            Event::SwitchUp {
                features,
                desc: None,
                ports,
            },
        );
        self.run(out);
        assert!(
            self.ctl.valve(self.dp_id).unwrap().is_running(),
            "the switch was not programmed: {:?}",
            self.notes
        );
    }

    /// The controller is given a new configuration (a reload), and its outputs carried out.
    pub fn reload(&mut self, yaml: &str) {
        let loaded =
            sluice_config::load_str(yaml).unwrap_or_else(|e| panic!("bad test config:\n{e}"));
        let out = self
            .ctl
            .handle(self.now(), Event::Reload(Box::new(loaded.config)));
        self.run(out);
    }

    /// The controller process restarts with `yaml` (all its state gone) and the switch, which
    /// kept its flows, connects to the new one.
    pub fn restart_controller(&mut self, yaml: &str) {
        let loaded =
            sluice_config::load_str(yaml).unwrap_or_else(|e| panic!("bad test config:\n{e}"));
        self.ctl = Controller::with_config(loaded.config, 7);
        self.connect();
    }

    /// Carries out the core's outputs until nothing more happens.
    pub fn run(&mut self, outputs: Vec<Output>) {
        let mut queue = outputs;
        while !queue.is_empty() {
            let mut events = Vec::new();
            for out in queue {
                match out {
                    Output::Send {
                        dp_id,
                        msgs,
                        barrier,
                    } => {
                        assert_eq!(dp_id, self.dp_id);
                        // What the switch gets is what the core encoded: decode it.
                        let msgs: Vec<Message> = msgs
                            .messages()
                            .map(|m| m.expect("the core's messages decode"))
                            .collect();
                        let mut replies = Vec::new();
                        for m in &msgs {
                            let r = self
                                .sw
                                .apply(self.sw_now(), m)
                                .unwrap_or_else(|e| panic!("switch refused {m}: {e:?}"));
                            replies.extend(r);
                        }
                        self.sent.extend(msgs);
                        if !replies.is_empty() {
                            events.push(Event::Messages {
                                dp_id,
                                msgs: replies.into_iter().map(|m| (0, m)).collect(),
                            });
                        }
                        if let Some(token) = barrier {
                            events.push(Event::BarrierDone { dp_id, token });
                        }
                    }
                    Output::Disconnect { .. } => panic!("the controller disconnected the switch"),
                    Output::Notify(n) => self.notes.push(n),
                }
            }
            queue = Vec::new();
            for ev in events {
                queue.extend(self.ctl.handle(self.now(), ev));
            }
        }
    }

    /// A packet enters the switch. What the switch sends to the controller is handled (so
    /// sources are learned); returns where the packet went.
    pub fn send(&mut self, pkt: &Packet) -> Trace {
        let trace = self.sw.receive(self.sw_now(), pkt);
        let pins: Vec<(u32, Message)> = trace
            .packet_ins
            .iter()
            .map(|c| (0, Message::PacketIn(c.to_packet_in())))
            .collect();
        if !pins.is_empty() {
            let out = self.ctl.handle(
                self.now(),
                Event::Messages {
                    dp_id: self.dp_id,
                    msgs: pins,
                },
            );
            self.run(out);
        }
        trace
    }

    /// Where a packet would go, without sending it.
    pub fn trace(&self, pkt: &Packet) -> Trace {
        self.sw.trace(pkt)
    }

    /// Time passes: the switch expires flows and the controller ticks once a second.
    pub fn advance(&mut self, secs: u64) {
        for _ in 0..secs {
            self.now_ms += 1000;
            let removed = self.sw.expire(self.sw_now());
            let mut out = Vec::new();
            if !removed.is_empty() {
                out.extend(self.ctl.handle(
                    self.now(),
                    Event::Messages {
                        dp_id: self.dp_id,
                        msgs: removed.into_iter().map(|m| (0, m)).collect(),
                    },
                ));
            }
            out.extend(self.ctl.handle(self.now(), Event::Tick));
            self.run(out);
        }
    }

    /// A port's link goes down or up.
    pub fn set_link(&mut self, port: u32, up: bool) {
        if let Some(status) = self.sw.set_link(port, up) {
            let out = self.ctl.handle(
                self.now(),
                Event::Messages {
                    dp_id: self.dp_id,
                    msgs: vec![(0, status)],
                },
            );
            self.run(out);
        }
    }

    /// The messages sent since the last call.
    pub fn take_sent(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.sent)
    }

    /// Number of flows on the switch.
    pub fn flow_count(&self) -> usize {
        self.sw.flow_count()
    }

    /// The switch's tables, dumped.
    pub fn dump(&self) -> String {
        self.sw.to_string()
    }
}

/// A unicast MAC with a small number in it.
pub fn mac(n: u8) -> MacAddr {
    MacAddr([0x0a, 0, 0, 0, 0, n])
}

/// An untagged frame from `src` to `dst` entering `port`.
pub fn frame(port: u32, src: MacAddr, dst: MacAddr) -> Packet {
    Packet::new(port).eth(src, dst).eth_type(0x0800)
}

/// A tagged frame.
pub fn tagged(port: u32, vid: u16, src: MacAddr, dst: MacAddr) -> Packet {
    Packet::new(port).eth(src, dst).vlan(vid).eth_type(0x0800)
}
