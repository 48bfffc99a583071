//! A network partition of a three-node cluster (run by `just chaos`; needs root for `ip netns`).
//!
//! Each node runs in a network namespace of its own, joined to the test's bridge by a veth pair,
//! all inside this machine. While clients send commands, the stream leader is cut off (its veth
//! goes down: no packet in or out, for the other nodes and the clients alike); then the
//! partition heals. Afterwards every command answered "appended" is in the
//! log exactly once and the views equal a clean rebuild.

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

const CLIENTS: usize = 3;
const WAIT: Duration = Duration::from_secs(120);
/// How long the leader stays cut off.
const PARTITION: Duration = Duration::from_secs(15);

fn sh(args: &[&str]) {
    let status = Command::new(args[0]).args(&args[1..]).status().expect("runs");
    assert!(status.success(), "{args:?} failed");
}

/// The namespaces, veth pairs and bridge of one run; removed on drop.
struct Net {
    tag: u32,
    bridge: String,
    namespaces: [String; 3],
}

impl Net {
    /// `10.77.<net>.0/24`: the bridge is .1, node i is .11+i.
    fn create(tag: u32, net: u8) -> Self {
        let bridge = format!("parbr{tag}");
        let namespaces = [0, 1, 2].map(|i| format!("par{tag}-n{}", i + 1));
        sh(&["ip", "link", "add", &bridge, "type", "bridge"]);
        sh(&["ip", "addr", "add", &format!("10.77.{net}.1/24"), "dev", &bridge]);
        sh(&["ip", "link", "set", &bridge, "up"]);
        for (i, ns) in namespaces.iter().enumerate() {
            let outer = format!("pv{tag}n{}", i + 1);
            sh(&["ip", "netns", "add", ns]);
            sh(&["ip", "link", "add", &outer, "type", "veth", "peer", "name", "eth0", "netns", ns]);
            sh(&["ip", "link", "set", &outer, "master", &bridge]);
            sh(&["ip", "link", "set", &outer, "up"]);
            sh(&[
                "ip",
                "netns",
                "exec",
                ns,
                "ip",
                "addr",
                "add",
                &format!("10.77.{net}.{}/24", 11 + i),
                "dev",
                "eth0",
            ]);
            sh(&["ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"]);
            sh(&["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
        }
        Net { tag, bridge, namespaces }
    }

    /// Cuts the node off: its veth goes down, so no packet reaches it or leaves it (this
    /// kernel has no queueing disciplines for finer filters).
    fn cut(&self, index: usize) {
        sh(&["ip", "link", "set", &self.outer(index), "down"]);
    }

    fn heal(&self, index: usize) {
        sh(&["ip", "link", "set", &self.outer(index), "up"]);
    }

    fn outer(&self, index: usize) -> String {
        format!("pv{}n{}", self.tag, index + 1)
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and ip netns; run by `just chaos`"]
async fn a_partitioned_leader_loses_nothing_once_healed() {
    let tag = std::process::id() % 10_000;
    let net_no = u8::try_from(tag % 200 + 20).expect("fits");
    let net = Net::create(tag, net_no);
    let hosts: Vec<String> = (0..3).map(|i| format!("10.77.{net_no}.{}", 11 + i)).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let host_refs = [hosts[0].as_str(), hosts[1].as_str(), hosts[2].as_str()];
    let mut nodes = cluster_nodes(dir.path(), &host_refs, Some(&net.namespaces));
    for node in &mut nodes {
        node.start();
    }
    let urls = nodes.iter().map(Node::url).collect::<Vec<_>>().join(",");
    let run = Run::start(&urls, 3, dir.path(), CLIENTS, WAIT).await;
    let js = run.js.clone();
    let (before, leader) = reform_shared::testkit::eventually("commands to flow", WAIT, || async {
        stream_head(&js).await.filter(|(seq, leader)| *seq > 200 && leader.is_some())
    })
    .await;
    let leader = leader.expect("leader");
    let index = nodes.iter().position(|n| n.name == leader).expect("ours");
    net.cut(index);
    let cut_at = Instant::now();
    let (during, new_leader) = reform_shared::testkit::eventually(
        "the majority to go on without the cut-off leader",
        WAIT,
        || async {
            stream_head(&js).await.filter(|(seq, l)| {
                *seq > before + 100 && l.is_some() && l.as_deref() != Some(leader.as_str())
            })
        },
    )
    .await;
    let failover = cut_at.elapsed();
    tokio::time::sleep(PARTITION.saturating_sub(cut_at.elapsed())).await;
    net.heal(index);
    let healed_at = Instant::now();
    replicas_current(&js, WAIT).await;
    let caught_up = healed_at.elapsed();
    run.finish(|o| {
        let f = &o.figures;
        format!(
            "partition: cut leader {leader} off at sequence {before}; new leader {new_leader:?} went on (head {during}) within {failover:?}; healed after {PARTITION:?}, replicas current {caught_up:?} later; commands appended {}, retried attempts {}, lost {}, duplicated {}, misplaced {}; head {}",
            f.commands, o.retries, f.lost, f.duplicated, f.misplaced, o.head
        )
    })
    .await;
    drop(nodes);
    drop(net);
}
