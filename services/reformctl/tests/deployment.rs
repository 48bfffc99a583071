//! The deployment as its one description says (`reformctl::deployment::PARTS`, from which the
//! systemd units and the compose file are rendered): every part as its own process, its own
//! binary with the description's arguments, its broker user's seed and the authority, against
//! the three-node cluster of `deploy/nats/cluster/` with the shipped permissions and TLS on
//! the clients' links and the routes. Only the two places (`/etc/reform-tracker`,
//! `/var/lib/reform-tracker`) and the ports are this run's.
//!
//! The operator's steps are the documented ones: `broker credentials`, `broker certificates`,
//! `stream init --replicas 3`, `audit key new`, a policy naming the log, then the parts. The
//! stream's leader node and one of two tasks replicas are killed with SIGKILL; the demo is
//! loaded through what is left (`demo genesis` as the services' user, `demo load` as a
//! client's), the node comes back and catches up; the dashboard answers over HTTPS alone; the
//! log is published; and `audit verify`, as the auditor, passes.
//!
//! The parts' binaries are the workspace's own (`cargo build --workspace --bins`, which the
//! test recipe runs first).

mod common;

use reformctl::deployment::{Part, PARTS};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

/// The processes of one run, killed when it ends however it ends.
struct Processes(Vec<(String, Child)>);

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn reformctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reformctl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("reformctl runs")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn succeeded(what: &str, output: Output) -> String {
    assert!(output.status.success(), "{what}: {}", said(&output));
    said(&output)
}

/// A part's binary, built beside reformctl.
fn binary(part: &Part) -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_reformctl")).parent().expect("a directory");
    let path = dir.join(part.binary);
    assert!(path.exists(), "{} is not built: run `cargo build --workspace --bins`", path.display());
    path
}

/// Starts `part` as the description says, with `var` as its place for what it keeps.
fn start(part: &Part, etc: &Path, var: &Path, url: &str, web: u16) -> (String, Child) {
    let (etc, var) = (etc.display().to_string(), var.display().to_string());
    let log = std::fs::File::create(format!("{var}/{}.log", part.name)).expect("log file");
    let child = Command::new(binary(part))
        .args(part.args_in(&etc, &var, &format!("127.0.0.1:{web}")))
        .envs(part.env_in(&etc))
        .env("NATS_URL", url)
        .env("PAR_STREAM_REPLICAS", "3")
        .env("PAR_RP_ID", "localhost")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{} starts: {e}", part.binary));
    (part.name.to_owned(), child)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool, logs: &Path) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        if Instant::now() > deadline {
            let mut text = String::new();
            for entry in std::fs::read_dir(logs).into_iter().flatten().flatten() {
                if entry.path().extension().is_some_and(|e| e == "log") {
                    let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(8).collect();
                    text.push_str(&format!(
                        "\n--- {}\n{}",
                        entry.path().display(),
                        tail.join("\n")
                    ));
                }
            }
            panic!("{what} did not happen in {WAIT:?}; the parts' logs end:{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_part_runs_as_its_own_process_as_the_deployment_describes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (etc, var) = (dir.path().join("etc"), dir.path().join("var"));
    let var_b = dir.path().join("var-b"); // a second host's, for the second tasks replica
    for place in [&etc, &var, &var_b] {
        std::fs::create_dir_all(place).expect("dir");
    }
    let text = |p: &Path| p.display().to_string();
    let (seeds, tls) = (etc.join("broker"), etc.join("tls"));
    succeeded("credentials", reformctl(&["broker", "credentials", "--dir", &text(&seeds)]));
    let names = ["broker", "certificates", "--dir", &text(&tls), "--name", "127.0.0.1"];
    succeeded("certificates", reformctl(&names));
    std::fs::copy(tls.join("ca.pem"), seeds.join("ca.pem")).expect("the authority beside seeds");
    // The dashboard's own certificate, from the same authority, for the name people dial.
    let tls_dir = text(&tls);
    let names = ["broker", "certificates", "--dir", &tls_dir, "--file", "dashboard", "--name"];
    succeeded("the dashboard's certificate", reformctl(&[&names[..], &["localhost"]].concat()));
    let stranger = dir.path().join("stranger");
    let names = ["broker", "certificates", "--dir", &text(&stranger), "--name", "localhost"];
    succeeded("another authority's certificate", reformctl(&names));

    let mut nodes =
        common::shipped_cluster_nodes(&dir.path().join("nats"), &tls, &seeds.join("users.conf"));
    for node in &mut nodes {
        node.start();
    }
    let url = nodes.iter().map(common::Node::url).collect::<Vec<_>>().join(",");
    let web = common::free_port();
    let as_user = |user: &str, args: &[&str]| {
        let seed = text(&seeds.join(format!("{user}.nk")));
        let mut all = vec!["--nats", url.as_str(), "--nats-nkey", seed.as_str()];
        all.extend_from_slice(args);
        reformctl(&all)
    };
    let init = ["stream", "init", "--replicas", "3"];
    wait_for("the cluster to take the log", || as_user("service", &init).status.success(), &var);
    succeeded(
        "the log's key",
        reformctl(&["audit", "key", "new", "--out", &text(&etc.join("log.nk"))]),
    );
    let (log_key, policy) = (text(&etc.join("log.nk")), text(&etc.join("policy.txt")));
    let started =
        as_user("service", &["audit", "key", "policy", "--key", &log_key, "--out", &policy]);
    let started = succeeded("the policy", started);
    assert!(started.starts_with("log reform-tracker/PAR_EVENTS@"), "{started}");
    let again =
        as_user("service", &["audit", "key", "policy", "--key", &log_key, "--out", &policy]);
    assert!(said(&again).contains("never replaced"), "{}", said(&again));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let js = runtime.block_on(async {
        let seed = seeds.join("service.nk");
        let client = reform_shared::edge::connect_as(&url, Some(&seed)).await.expect("connects");
        async_nats::jetstream::new(client)
    });

    let mut parts = Processes(PARTS.iter().map(|p| start(p, &etc, &var, &url, web)).collect());
    let tasks = PARTS.iter().find(|p| p.name == "tasks").expect("the tasks service");
    parts.0.push(("tasks-b".into(), start(tasks, &etc, &var_b, &url, web).1));
    wait_for("every part to run", || as_user("client", &["status"]).status.success(), &var);

    let keys = text(&dir.path().join("keys"));
    succeeded("demo genesis", as_user("service", &["demo", "genesis", "--keys", &keys]));

    // One tasks replica dies, and so does the node leading the stream; the rest carry on.
    let (_, first) = parts.0.iter_mut().find(|(name, _)| name == "tasks").expect("tasks");
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let leader = runtime.block_on(common::stream_head(&js)).and_then(|(_, leader)| leader);
    let leader = leader.expect("the stream has a leader");
    let victim = nodes.iter_mut().find(|n| n.name == leader).expect("the leader is one of ours");
    victim.kill9();

    // The demo with its 28 periods closed by command, as an administrator closes them: each
    // close reads only what the rollup has not read before (before, each read the whole log
    // two to nine times, and a close outlasted a client's wait here). Audit verify, below,
    // builds every close again from the log.
    let load = ["demo", "load", "--keys", &keys];
    let loaded = succeeded("demo load", as_user("client", &load));
    assert!(loaded.contains("loaded the demo province"), "{loaded}");
    let victim = nodes.iter_mut().find(|n| n.name == leader).expect("the old leader");
    victim.start();
    runtime.block_on(common::replicas_current(&js, WAIT));

    // The dashboard, as the client user, reads the views, over HTTPS only: to a client that
    // trusts the deployment's authority; not to one that trusts another, nor in plain HTTP.
    let home = format!("https://localhost:{web}/");
    let page = |ca: &Path| reform_shared::testkit::https::get(&home, ca);
    wait_for(
        "the dashboard to show the demo over HTTPS",
        || page(&tls.join("ca.pem")).is_ok_and(|b| b.contains("Sóc Trăng")),
        &var,
    );
    let refused = page(&stranger.join("ca.pem")).expect_err("another authority's client refuses");
    assert!(refused.contains("CERTIFICATE_VERIFY_FAILED"), "{refused}");
    let plain = reform_shared::testkit::https::plain_get(web, "/");
    assert!(!plain.starts_with(b"HTTP/"), "plain HTTP is never answered: {plain:?}");
    let checkpoint = var.join("tlog/checkpoint");
    wait_for("a signed checkpoint", || checkpoint.exists(), &var);

    // Whatever a part made on the broker is kept on the three nodes, as the log is: the report
    // bucket once was on one, and a close waited for that node while it was down.
    let streams = runtime.block_on(async {
        use futures::StreamExt as _;
        let mut out = Vec::new();
        let mut infos = js.streams();
        while let Some(info) = infos.next().await {
            let info = info.expect("stream info");
            out.push((info.config.name.clone(), info.config.num_replicas));
        }
        out
    });
    assert!(streams.len() >= 6, "the log, the buckets and the waiting room: {streams:?}");
    let fewer: Vec<_> = streams.iter().filter(|(_, replicas)| *replicas != 3).collect();
    assert!(fewer.is_empty(), "streams on fewer than three nodes: {fewer:?}");

    let verdict = succeeded("audit verify", as_user("auditor", &["audit", "verify"]));
    assert!(verdict.contains("PASS"), "{verdict}");
    for (name, child) in &mut parts.0 {
        if name != "tasks" {
            assert!(child.try_wait().expect("status").is_none(), "{name} exited");
        }
    }
}
