//! A three-node cluster from `deploy/nats/cluster/` (ports and store paths substituted), the
//! stream with three replicas. Several clients send commands connected with all three URLs, the
//! stream leader is killed with SIGKILL, the clients carry on, the node comes back and catches
//! up. Afterwards every command whose reply said appended is in the log exactly once and the
//! views equal a clean rebuild.

mod common;

use common::*;
use std::time::{Duration, Instant};

const CLIENTS: usize = 3;
const WAIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_loses_nothing_when_its_stream_leader_is_killed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nodes = cluster_nodes(dir.path(), &["127.0.0.1"; 3], None);
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
    let victim = nodes.iter_mut().find(|n| n.name == leader).expect("the leader is one of ours");
    victim.kill9();
    let killed_at = Instant::now();
    // The clients carry on with the two nodes left.
    let (after_kill, new_leader) = reform_shared::testkit::eventually(
        "commands to flow without the old leader",
        WAIT,
        || async {
            stream_head(&js)
                .await
                .filter(|(seq, l)| *seq > before + 200 && l.as_deref() != Some(leader.as_str()))
        },
    )
    .await;
    let failover = killed_at.elapsed();
    let victim = nodes.iter_mut().find(|n| n.name == leader).expect("victim");
    victim.start();
    // The node that came back catches up: every replica current.
    replicas_current(&js, WAIT).await;
    run.finish(|o| {
        let f = &o.figures;
        format!(
            "cluster: killed leader {leader} at sequence {before}; new leader {new_leader:?}; commands flowed again (head {after_kill}) within {failover:?} of the kill; commands appended {}, retried attempts {}, lost {}, duplicated {}, misplaced {}; head {}",
            f.commands, o.retries, f.lost, f.duplicated, f.misplaced, o.head
        )
    })
    .await;
}
