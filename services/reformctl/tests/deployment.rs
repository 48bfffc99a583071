//! The deployment as its one description says (`reformctl::deployment::PARTS`, from which the
//! systemd units and the compose file are rendered): every part as its own process, its own
//! binary with the description's arguments, its broker user's seed and the authority, against
//! the shipped single-node broker config with the shipped permissions and TLS. Only the two
//! places (`/etc/reform-tracker`, `/var/lib/reform-tracker`) and the ports are this run's.
//!
//! The operator's steps are the documented ones: `broker credentials`, `broker certificates`,
//! `stream init`, `audit key new`, a policy naming the log, then the parts. The demo is loaded
//! through them (`demo genesis` as the services' user, `demo load` as a client's), with a
//! second tasks replica of which one is killed with SIGKILL first; the dashboard answers; the
//! log is published; and `audit verify`, as the auditor, passes.
//!
//! The parts' binaries are the workspace's own (`cargo build --workspace --bins`, which the
//! test recipe runs first).

mod common;

use reformctl::deployment::{Part, PARTS};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SINGLE: &str = include_str!("../../../deploy/nats/single.conf");
const PERMISSIONS: &str = include_str!("../../../deploy/nats/permissions.conf");
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

/// The shipped node config with this run's ports, store and certificates.
fn broker(dir: &Path, tls: &Path, ports: &[u16]) -> Child {
    let node = dir.join("node");
    std::fs::create_dir_all(&node).expect("dir");
    std::fs::write(node.join("permissions.conf"), PERMISSIONS).expect("permissions");
    std::fs::copy(dir.join("etc/broker/users.conf"), node.join("users.conf")).expect("users");
    let config = SINGLE
        .replace("port: 4222", &format!("port: {}", ports[0]))
        .replace("http_port: 8222", &format!("http_port: {}", ports[1]))
        .replace("\"/var/lib/reform-tracker/nats\"", &format!("{:?}", dir.join("store")))
        .replace("/etc/reform-tracker/tls", &tls.display().to_string());
    let config = format!("{config}log_file: {:?}\n", dir.join("var/nats.log"));
    std::fs::write(node.join("single.conf"), config).expect("config");
    let binary = reform_shared::natsd::find_binary().expect("nats-server");
    Command::new(binary)
        .arg("-c")
        .arg(node.join("single.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts")
}

/// The policy for this log: its verifier key, no witness.
fn write_policy(url: &str, etc: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let seed = etc.join("broker/service.nk");
        let client = reform_shared::edge::connect_as(url, Some(&seed)).await.expect("connects");
        let js = async_nats::jetstream::new(client);
        let mut log = js.get_stream(reform_shared::subject::STREAM_NAME).await.expect("the log");
        let info = log.info().await.expect("its description");
        let origin =
            reform_shared::checkpoint::origin_of(&reform_shared::stream::LogIdentity::of(info));
        let key = reform_shared::checkpoint::read_key(&etc.join("log.nk")).expect("the log key");
        let vkey = reform_shared::checkpoint::log_verifier(&origin, &key.public_key())
            .expect("a verifier key")
            .to_vkey();
        std::fs::write(etc.join("policy.txt"), format!("log {vkey}\nquorum none\n"))
            .expect("policy");
    });
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

    let ports = common::free_ports(3);
    let _broker = Processes(vec![("nats".into(), broker(dir.path(), &tls, &ports))]);
    let url = format!("nats://127.0.0.1:{}", ports[0]);
    let as_user = |user: &str, args: &[&str]| {
        let seed = text(&seeds.join(format!("{user}.nk")));
        let mut all = vec!["--nats", url.as_str(), "--nats-nkey", seed.as_str()];
        all.extend_from_slice(args);
        reformctl(&all)
    };
    wait_for(
        "the broker to listen",
        || as_user("service", &["stream", "init"]).status.success(),
        &var,
    );
    succeeded(
        "the log's key",
        reformctl(&["audit", "key", "new", "--out", &text(&etc.join("log.nk"))]),
    );
    write_policy(&url, &etc);

    let mut parts = Processes(PARTS.iter().map(|p| start(p, &etc, &var, &url, ports[2])).collect());
    let tasks = PARTS.iter().find(|p| p.name == "tasks").expect("the tasks service");
    parts.0.push(("tasks-b".into(), start(tasks, &etc, &var_b, &url, ports[2]).1));
    wait_for("every part to run", || as_user("client", &["status"]).status.success(), &var);

    // One tasks replica dies; the other answers its share.
    let (_, first) = parts.0.iter_mut().find(|(name, _)| name == "tasks").expect("tasks");
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");

    let keys = text(&dir.path().join("keys"));
    succeeded("demo genesis", as_user("service", &["demo", "genesis", "--keys", &keys]));
    let loaded = succeeded("demo load", as_user("client", &["demo", "load", "--keys", &keys]));
    assert!(loaded.contains("loaded the demo province"), "{loaded}");
    let again = succeeded("demo load again", as_user("client", &["demo", "load", "--keys", &keys]));
    assert!(again.contains("nothing appended"), "every command answered once: {again}");

    // The dashboard, as the client user, reads the views; the log is published.
    let page = || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", ports[2])).ok()?;
        use std::io::{Read as _, Write as _};
        stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut body = String::new();
        stream.read_to_string(&mut body).ok()?;
        Some(body)
    };
    wait_for(
        "the dashboard to show the demo",
        || page().is_some_and(|b| b.contains("Sóc Trăng")),
        &var,
    );
    let checkpoint = var.join("tlog/checkpoint");
    wait_for("a signed checkpoint", || checkpoint.exists(), &var);

    let verdict = succeeded("audit verify", as_user("auditor", &["audit", "verify"]));
    assert!(verdict.contains("PASS"), "{verdict}");
    for (name, child) in &mut parts.0 {
        if name != "tasks" {
            assert!(child.try_wait().expect("status").is_none(), "{name} exited");
        }
    }
}
