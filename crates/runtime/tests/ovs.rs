//! The connection layer with a real Open vSwitch bridge (userspace datapath): the handshake
//! completes (OVS says `is_connected: true`), echo keeps the connection up in both
//! directions, and ports added, taken down and deleted on the bridge reach the core.
//!
//! Needs root and Open vSwitch (`scripts/test` installs and starts it).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sluice_lab::{Bridge, Prefix, Veth, run};
use sluice_ofp::PortNo;
use sluice_ofp::msg::port::PortReason;
use sluice_runtime::{Notification, Options, Server};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, oneshot};
use tokio::time::{Instant, timeout};

async fn next_note(
    notes: &mut broadcast::Receiver<Notification>,
    what: &str,
    pred: impl Fn(&Notification) -> bool,
) -> Notification {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, notes.recv()).await {
            Ok(Ok(n)) if pred(&n) => return n,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("notifications: {e}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ovs_bridge_connects_stays_up_and_reports_port_changes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Short keepalive: the controller probes after 300 ms of silence.
    let opts = Options {
        echo_interval: Duration::from_millis(300),
        dead_after: Duration::from_secs(2),
        ..Options::default()
    };
    let server = Server::new(opts);
    let handle = server.handle();
    let mut notes = server.subscribe();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));

    let prefix = Prefix::new();
    let dp_id = 0x5100_0000_0000_0001;
    let br = tokio::task::block_in_place(|| Bridge::create(&prefix.name("br"), dp_id)).unwrap();
    let target = format!("tcp:{addr}");
    tokio::task::block_in_place(|| {
        br.set_controller(&target).unwrap();
        // OVS probes the controller after 1 s of silence, so echo is exercised both ways.
        run(
            "ovs-vsctl",
            &["set", "controller", br.name(), "inactivity_probe=1000"],
        )
        .unwrap();
    });

    let n = next_note(&mut notes, "the bridge to connect", |n| {
        matches!(n, Notification::DpConnected { .. })
    })
    .await;
    let Notification::DpConnected {
        dp_id: got,
        ports,
        desc,
    } = n
    else {
        unreachable!()
    };
    assert_eq!(got, dp_id);
    assert_eq!(
        ports,
        vec![PortNo::LOCAL],
        "a new bridge has only its local port"
    );
    assert!(
        desc.contains("Open vSwitch") || desc.contains("Nicira"),
        "{desc}"
    );
    tokio::task::block_in_place(|| br.wait_connected(Duration::from_secs(10))).unwrap();

    // Several keepalive rounds in each direction, and still connected.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(tokio::task::block_in_place(|| br.is_connected()).unwrap());
    assert_eq!(handle.datapaths().await.unwrap().len(), 1);

    // A port added, brought up, and deleted.
    let veth =
        tokio::task::block_in_place(|| Veth::create(&prefix.name("a"), &prefix.name("b"))).unwrap();
    tokio::task::block_in_place(|| br.add_port(veth.a(), 7)).unwrap();
    let n = next_note(&mut notes, "port 7 added", |n| {
        matches!(
            n,
            Notification::PortChange {
                port_no: PortNo(7),
                reason: PortReason::Add,
                ..
            }
        )
    })
    .await;
    let Notification::PortChange { name, .. } = n else {
        unreachable!()
    };
    assert_eq!(name, veth.a());
    let dps = handle.datapaths().await.unwrap();
    assert!(dps[0].ports.contains_key(&PortNo(7)));

    tokio::task::block_in_place(|| br.del_port(veth.a())).unwrap();
    next_note(&mut notes, "port 7 deleted", |n| {
        matches!(
            n,
            Notification::PortChange {
                port_no: PortNo(7),
                reason: PortReason::Delete,
                ..
            }
        )
    })
    .await;
    let dps = handle.datapaths().await.unwrap();
    assert!(!dps[0].ports.contains_key(&PortNo(7)));

    // The bridge going away is seen as a disconnect.
    drop(veth);
    tokio::task::block_in_place(|| drop(br));
    next_note(&mut notes, "the bridge to disconnect", |n| {
        matches!(n, Notification::DpDisconnected { .. })
    })
    .await;
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
