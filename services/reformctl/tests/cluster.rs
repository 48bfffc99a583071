//! A three-node cluster from `deploy/nats/cluster/` (ports and store paths substituted), the
//! stream with three replicas. Several clients send commands connected with all three URLs, the
//! stream leader is killed with SIGKILL, the clients carry on, the node comes back and catches
//! up. Afterwards every command whose reply said appended is in the log exactly once and the
//! views equal a clean rebuild.

mod common;

use common::*;
use reform_shared::testkit::seed_department_with_head;
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
    let urls =
        nodes.iter().map(|n| format!("nats://127.0.0.1:{}", n.port)).collect::<Vec<_>>().join(",");
    let client = reform_shared::edge::connect(&urls).await.expect("connects");
    let js = async_nats::jetstream::new(client.clone());
    let settings = reform_shared::stream::StreamSettings { replicas: 3, ..Default::default() };
    reform_shared::testkit::eventually(
        "the cluster to take a three-replica stream",
        WAIT,
        || async { reform_shared::stream::init_stream(&js, &settings).await.ok() },
    )
    .await;
    seed_department_with_head(&js).await;
    let mut parts: Vec<Part> = ["directory", "tasks", "evidence", "scoring", "projector"]
        .iter()
        .map(|name| Part::new(name, &urls, dir.path()))
        .collect();
    for part in &mut parts {
        part.start();
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let clients: Vec<_> =
        (0..CLIENTS).map(|n| tokio::spawn(workload(urls.clone(), n, stopped.clone()))).collect();

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
    let _ = stop.send(true);
    let mut seen = Vec::new();
    for c in clients {
        seen.push(c.await.expect("client joins"));
    }
    // The node that came back catches up: every replica current.
    replicas_current(&js, WAIT).await;
    for part in &mut parts {
        if !part.running() {
            part.start();
        }
    }
    let head_seq = projected(&client, WAIT).await;
    let log = command_ids_in_log(&js).await;
    let figures = audit(&seen, &log);
    let retries: u64 = seen.iter().map(|s| s.retries).sum();
    println!(
        "cluster: killed leader {leader} at sequence {before}; new leader {new_leader:?}; commands flowed again (head {after_kill}) within {failover:?} of the kill; commands appended {}, retried attempts {retries}, lost {}, duplicated {}, misplaced {}; head {head_seq}",
        figures.commands, figures.lost, figures.duplicated, figures.misplaced
    );
    let failures: Vec<&String> = seen.iter().flat_map(|s| s.failures.iter()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!((figures.lost, figures.duplicated, figures.misplaced), (0, 0, 0), "{figures:?}");
    assert_eq!(log.len(), figures.commands + 3);
    let projector = parts.iter_mut().find(|p| p.name == "projector").expect("projector");
    projector.stop();
    views_equal_a_rebuild(&client, &dir.path().join("views.redb"), dir.path()).await;
    for part in &mut parts {
        part.stop();
    }
}
