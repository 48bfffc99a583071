//! What the chaos run and the cluster test share: parts run as processes, a workload of
//! clients that retry with the same command id, and the checks at the end (every command
//! answered "appended" is in the log exactly once; the views equal a clean rebuild).
#![allow(dead_code)] // each test binary uses part of it

use reform_shared::command::{self, CommandError, FailureKind, Request};
use reform_shared::ids::CommandId;
use reform_shared::testkit::{date, id};
use reform_tasks::cmd;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long one command may keep being retried before the workload gives up on it.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(180);

/// Runs the `reformctl` binary against `url` and waits for it.
pub fn reformctl(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_reformctl"))
        .args(["--nats", url])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("reformctl runs")
}

pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `n` free ports, all different: each is held until all are picked (ports picked one after
/// another and let go can repeat, and a node given a taken port never listens).
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("port")).collect();
    held.iter().map(|l| l.local_addr().expect("addr").port()).collect()
}

/// A small deterministic generator (xorshift64*), so a chaos run is repeatable from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One part of the stack (`reformctl serve PART`) as a process of its own.
pub struct Part {
    pub name: &'static str,
    urls: String,
    views: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    pub starts: u32,
}

impl Part {
    pub fn new(name: &'static str, urls: &str, dir: &Path) -> Self {
        Self {
            name,
            urls: urls.to_owned(),
            views: dir.join("views.redb"),
            log: dir.join(format!("{name}.log")),
            child: None,
            starts: 0,
        }
    }

    pub fn start(&mut self) {
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_reformctl"))
            .args(["--nats", &self.urls, "serve", self.name, "--allow-unsigned", "--views"])
            .arg(&self.views)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn a part");
        self.child = Some(child);
        self.starts += 1;
    }

    /// Whether it runs; reaps it when it exited by itself.
    pub fn running(&mut self) -> bool {
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                false
            }
            None => false,
        }
    }

    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, and wait for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let status = child.wait().expect("part exits");
            assert!(
                status.success(),
                "{} did not stop cleanly: {status}; see {}",
                self.name,
                self.log.display()
            );
        }
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn assign(command_id: &str, task: &str) -> Request<reform_tasks::Command> {
    Request {
        command_id: id(command_id),
        actor: id("lan"),
        occurred_on: Some(date("2016-03-01")),
        command: reform_tasks::Command::AssignTask(cmd::AssignTask {
            task: id(task),
            unit: Some(id("sgd")),
            person: None,
            plan: None,
            title: format!("Nhiệm vụ {task}"),
            target: "Hoàn thành và báo cáo".into(),
            due: Some(date("2016-12-31")),
            criterion: None,
        }),
    }
}

fn progress(command_id: &str, task: &str, percent: u16) -> Request<reform_tasks::Command> {
    Request {
        command_id: id(command_id),
        actor: id("lan"),
        occurred_on: Some(date("2016-04-01")),
        command: reform_tasks::Command::ReportProgress(cmd::ReportProgress {
            task: id(task),
            percent,
            note: "đang làm".into(),
        }),
    }
}

/// What one workload client saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Command id → the sequence its "appended" answer named.
    pub appended: BTreeMap<CommandId, u64>,
    /// Attempts that failed and were retried with the same command id.
    pub retries: u64,
    /// Commands that got no answer within [`COMMAND_DEADLINE`], or a refusal.
    pub failures: Vec<String>,
}

/// Sends commands until `stop`: assign a task, report progress on it; every failure is retried
/// with the same command id, as a careful client does.
pub async fn workload(urls: String, client_no: usize, mut stop: watch::Receiver<bool>) -> Seen {
    let client = reform_shared::edge::connect_options()
        .retry_on_initial_connect()
        .connect(reform_shared::edge::server_addrs(&urls).expect("URLs"))
        .await
        .expect("client connects");
    let mut seen = Seen::default();
    let mut n = 0u32;
    while !*stop.borrow_and_update() {
        n += 1;
        let task = format!("k{client_no}-t{n}");
        let requests = [
            assign(&format!("k{client_no}-a{n}"), &task),
            progress(&format!("k{client_no}-p{n}"), &task, 50),
        ];
        for request in requests {
            send_until_answered(&client, &request, &mut seen).await;
        }
    }
    seen
}

async fn send_until_answered(
    client: &async_nats::Client,
    request: &Request<reform_tasks::Command>,
    seen: &mut Seen,
) {
    let deadline = Instant::now() + COMMAND_DEADLINE;
    loop {
        let key = reform_shared::testkit::key_of(request.actor.as_str());
        match command::send(client, "tasks", request, &key).await {
            Ok(accepted) => {
                seen.appended.insert(request.command_id.clone(), accepted.sequence);
                return;
            }
            Err(
                e @ CommandError::Failed {
                    kind: FailureKind::Refused | FailureKind::Invalid, ..
                },
            ) => {
                seen.failures.push(format!("{}: {e}", request.command_id));
                return;
            }
            Err(e) if Instant::now() >= deadline => {
                seen.failures.push(format!(
                    "{}: no answer in {COMMAND_DEADLINE:?}: {e}",
                    request.command_id
                ));
                return;
            }
            Err(_) => {
                seen.retries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Every command id in the log, with how many events carry it and the first one's sequence.
pub async fn command_ids_in_log(
    js: &async_nats::jetstream::Context,
) -> BTreeMap<CommandId, (u32, u64)> {
    use futures::StreamExt as _;
    let mut stream = js.get_stream("PAR_EVENTS").await.expect("stream");
    let head = stream.info().await.expect("info").state.last_sequence;
    let mut ids: BTreeMap<CommandId, (u32, u64)> = BTreeMap::new();
    if head == 0 {
        return ids;
    }
    // Just after a failover the cluster may answer "temporarily unavailable" for a moment.
    let consumer = reform_shared::testkit::eventually(
        "a consumer for the audit",
        COMMAND_DEADLINE,
        || async {
            stream
                .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
                .await
                .ok()
        },
    )
    .await;
    let mut messages = consumer.messages().await.expect("messages");
    while let Some(message) = messages.next().await {
        let message = message.expect("message");
        let seq = message.info().expect("info").stream_sequence;
        let record = reform_shared::codec::decode(&message.payload).expect("every event decodes");
        let entry = ids.entry(record.envelope.command_id.clone()).or_insert((0, seq));
        entry.0 += 1;
        if seq >= head {
            break;
        }
    }
    ids
}

/// The end-of-run figures: commands answered "appended", how many of those are missing from
/// the log, and how many are in it more than once.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Audit {
    pub commands: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub misplaced: usize,
}

pub fn audit(seen: &[Seen], log: &BTreeMap<CommandId, (u32, u64)>) -> Audit {
    let mut audit = Audit::default();
    for (command_id, sequence) in seen.iter().flat_map(|s| s.appended.iter()) {
        audit.commands += 1;
        match log.get(command_id) {
            None => audit.lost += 1,
            Some((count, _)) if *count > 1 => audit.duplicated += 1,
            Some((_, first)) if first != sequence => audit.misplaced += 1,
            Some(_) => {}
        }
    }
    audit
}

/// Waits until the projector's views hold the whole log.
pub async fn projected(client: &async_nats::Client, deadline: Duration) -> u64 {
    let js = async_nats::jetstream::new(client.clone());
    let mut stream = js.get_stream("PAR_EVENTS").await.expect("stream");
    let head = stream.info().await.expect("info").state.last_sequence;
    reform_shared::testkit::eventually("the projector to apply the whole log", deadline, || async {
        let status = reform_projector::queries::status(client).await.ok()?;
        (status.applied_through >= head).then_some(head)
    })
    .await
}

/// The live views against a clean rebuild of the same log into a fresh file.
pub async fn views_equal_a_rebuild(client: &async_nats::Client, live: &Path, dir: &Path) {
    let live = reform_projector::store::Store::open(live)
        .expect("open the live views")
        .dump()
        .expect("dump");
    let fresh = dir.join("rebuilt.redb");
    let rebuilt = reform_projector::rebuild(client.clone(), reform_projector::Config::new(fresh))
        .await
        .expect("rebuild");
    assert_eq!(live, rebuilt, "the live views differ from a clean rebuild");
}

/// The parts a stack under test runs, each as `reformctl serve PART`.
pub const PARTS: [&str; 5] = ["directory", "tasks", "evidence", "scoring", "projector"];

/// A stack under test: its parts as processes, and workload clients sending commands.
pub struct Run {
    pub client: async_nats::Client,
    pub js: async_nats::jetstream::Context,
    pub parts: Vec<Part>,
    stop: watch::Sender<bool>,
    clients: Vec<tokio::task::JoinHandle<Seen>>,
    dir: PathBuf,
    wait: Duration,
}

/// What a run ends with.
#[derive(Debug)]
pub struct Outcome {
    pub figures: Audit,
    pub retries: u64,
    /// How many times the parts were started, first starts included.
    pub starts: u32,
    pub head: u64,
}

impl Run {
    /// Provisions the stream with `replicas` (retrying while a cluster elects its leaders),
    /// seeds the directory, starts every part and `clients` workload clients against `urls`.
    /// `wait` bounds each wait for the cluster or the projector.
    pub async fn start(
        urls: &str,
        replicas: usize,
        dir: &Path,
        clients: usize,
        wait: Duration,
    ) -> Run {
        let client = reform_shared::edge::connect(urls).await.expect("connects");
        let js = async_nats::jetstream::new(client.clone());
        let settings = reform_shared::stream::StreamSettings { replicas, ..Default::default() };
        reform_shared::testkit::eventually("the stream to be provisioned", wait, || async {
            reform_shared::stream::init_stream(&js, &settings).await.ok()
        })
        .await;
        reform_shared::testkit::seed_department_with_head(&js).await;
        let mut parts: Vec<Part> = PARTS.iter().map(|name| Part::new(name, urls, dir)).collect();
        for part in &mut parts {
            part.start();
        }
        let (stop, stopped) = watch::channel(false);
        let clients = (0..clients)
            .map(|n| tokio::spawn(workload(urls.to_owned(), n, stopped.clone())))
            .collect();
        Run { client, js, parts, stop, clients, dir: dir.to_path_buf(), wait }
    }

    /// Stops the clients, starts again any part that is down, waits for the projector, and
    /// checks what every run must end with: no command failed for good, every command answered
    /// appended is in the log once at its sequence and nothing else is, and the live views equal
    /// a clean rebuild. `describe` prints the figures first, so a failed check shows them.
    pub async fn finish(mut self, describe: impl FnOnce(&Outcome) -> String) {
        let _ = self.stop.send(true);
        let mut seen = Vec::new();
        for c in self.clients.drain(..) {
            seen.push(c.await.expect("client joins"));
        }
        // Parts that exited while the broker was away are started again until the projector
        // has caught up.
        let settle = Instant::now() + self.wait;
        let head = loop {
            for part in &mut self.parts {
                if !part.running() {
                    part.start();
                }
            }
            let step = Duration::from_secs(5);
            if let Ok(head) = tokio::time::timeout(step, projected(&self.client, step)).await {
                break head;
            }
            assert!(Instant::now() < settle, "the projector did not catch up");
        };
        let log = command_ids_in_log(&self.js).await;
        let figures = audit(&seen, &log);
        let outcome = Outcome {
            retries: seen.iter().map(|s| s.retries).sum(),
            starts: self.parts.iter().map(|p| p.starts).sum(),
            head,
            figures,
        };
        println!("{}", describe(&outcome));
        let failures: Vec<&String> = seen.iter().flat_map(|s| s.failures.iter()).collect();
        assert!(failures.is_empty(), "commands that failed for good: {failures:?}");
        let f = &outcome.figures;
        assert!(f.commands > 0, "no command got through");
        assert_eq!((f.lost, f.duplicated, f.misplaced), (0, 0, 0), "{f:?}");
        assert_eq!(
            log.len(),
            f.commands + 4,
            "the log holds only the seed and the commands answered appended"
        );
        let projector = self.parts.iter_mut().find(|p| p.name == "projector").expect("projector");
        projector.stop();
        views_equal_a_rebuild(&self.client, &self.dir.join("views.redb"), &self.dir).await;
        for part in &mut self.parts {
            part.stop();
        }
    }
}

/// The three node configs of `deploy/nats/cluster/`, as shipped.
const CONFIGS: [&str; 3] = [
    include_str!("../../../../deploy/nats/cluster/n1.conf"),
    include_str!("../../../../deploy/nats/cluster/n2.conf"),
    include_str!("../../../../deploy/nats/cluster/n3.conf"),
];
/// How long a node may take to listen.
const NODE_WAIT: Duration = Duration::from_secs(90);

/// One node of a cluster, maybe inside a network namespace of its own.
pub struct Node {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub netns: Option<String>,
    config: PathBuf,
    /// The node's own log, quoted when it fails to start.
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    pub fn url(&self) -> String {
        format!("nats://{}:{}", self.host, self.port)
    }

    pub fn start(&mut self) {
        let binary = reform_shared::natsd::find_binary().expect("nats-server");
        let mut command = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        let child = command
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        self.child = Some(child);
        let deadline = Instant::now() + NODE_WAIT;
        while std::net::TcpStream::connect((self.host.as_str(), self.port)).is_err() {
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(10).collect();
                panic!(
                    "{} exited ({status}) before listening; the end of its log:\n{}",
                    self.name,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            assert!(Instant::now() < deadline, "{} did not listen", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The deploy configs with this run's hosts, ports and directories substituted (node `i`
/// listens on `hosts[i]`, in `netns[i]` when given). Replication is what these runs are about:
/// the nodes run without the users and permissions, and their clients without TLS
/// (shared/tests/broker.rs, the `up` tests and [`shipped_cluster_nodes`] run with both). The
/// routes keep their TLS, both ways, as shipped.
pub fn cluster_nodes(dir: &Path, hosts: &[&str; 3], netns: Option<&[String; 3]>) -> Vec<Node> {
    let tls = route_certificates(dir, hosts);
    let open = |text: &str| {
        let text = text.replace("include \"permissions.conf\"\n", "");
        assert!(text.contains(CLIENT_TLS), "the shipped client TLS block changed");
        text.replacen(CLIENT_TLS, "", 1)
    };
    nodes(dir, &tls, hosts, netns, open)
}

/// The deploy configs exactly as shipped, on loopback: the permissions (with `users_conf`
/// beside them) and TLS for clients and routes, with the certificates in `tls` (made by
/// `reformctl broker certificates`).
pub fn shipped_cluster_nodes(dir: &Path, tls: &Path, users_conf: &Path) -> Vec<Node> {
    let permissions = include_str!("../../../../deploy/nats/permissions.conf");
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::write(dir.join("permissions.conf"), permissions).expect("permissions");
    std::fs::copy(users_conf, dir.join("users.conf")).expect("users");
    nodes(dir, tls, &["127.0.0.1"; 3], None, str::to_owned)
}

fn nodes(
    dir: &Path,
    tls: &Path,
    hosts: &[&str; 3],
    netns: Option<&[String; 3]>,
    shape: impl Fn(&str) -> String,
) -> Vec<Node> {
    let ports = free_ports(9);
    let (client, rest) = ports.split_at(3);
    let (cluster, http) = rest.split_at(3);
    CONFIGS
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut text = shape(text);
            text = text.replace("/etc/reform-tracker/tls", &tls.display().to_string());
            text = text.replace("host: 127.0.0.1", &format!("host: {}", hosts[i]));
            for n in 0..3 {
                text = text.replace(
                    &format!("nats-route://127.0.0.1:{}", 6231 + n),
                    &format!("nats-route://{}:{}", hosts[n], cluster[n]),
                );
                text = set_port(&text, "port", 4221 + n as u16, client[n]);
                text = set_port(&text, "http_port", 8221 + n as u16, http[n]);
                text = set_port(&text, "port", 6231 + n as u16, cluster[n]);
            }
            let store = dir.join(format!("n{}", i + 1));
            text = text.replace(
                &format!("\"/var/lib/reform-tracker/nats-n{}\"", i + 1),
                &format!("{store:?}"),
            );
            let log = dir.join(format!("n{}.log", i + 1));
            text.push_str(&format!("log_file: {log:?}\n"));
            assert!(!text.contains("/var/lib"), "a path was not substituted:\n{text}");
            let config = dir.join(format!("n{}.conf", i + 1));
            std::fs::write(&config, text).expect("config");
            Node {
                name: format!("par_n{}", i + 1),
                host: hosts[i].to_owned(),
                port: client[i],
                netns: netns.map(|ns| ns[i].clone()),
                config,
                log,
                child: None,
            }
        })
        .collect()
}

/// The client TLS block of the shipped node configs.
const CLIENT_TLS: &str = "tls {\n  cert_file: \"/etc/reform-tracker/tls/broker.pem\"\n  key_file: \"/etc/reform-tracker/tls/broker-key.pem\"\n  timeout: 5\n}\n";

/// An authority and one certificate for every node's host, for the routes' TLS: in
/// `<dir>/tls/`, named as the shipped configs name them.
fn route_certificates(dir: &Path, hosts: &[&str; 3]) -> PathBuf {
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).expect("dir");
    let mut names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    names.sort();
    names.dedup();
    let (ca, cert, key) = reform_shared::tls::make_for(&names).expect("certificates");
    for (name, text) in [("ca.pem", ca), ("broker.pem", cert), ("broker-key.pem", key)] {
        std::fs::write(tls.join(name), text).expect("written");
    }
    tls
}

/// The stream's last sequence and its leader's name.
pub async fn stream_head(js: &async_nats::jetstream::Context) -> Option<(u64, Option<String>)> {
    let mut stream = js.get_stream("PAR_EVENTS").await.ok()?;
    let info = stream.info().await.ok()?;
    Some((info.state.last_sequence, info.cluster.as_ref().and_then(|c| c.leader.clone())))
}

/// Waits until every replica of the stream is current.
pub async fn replicas_current(js: &async_nats::jetstream::Context, deadline: Duration) {
    reform_shared::testkit::eventually("every replica to be current", deadline, || async {
        let mut stream = js.get_stream("PAR_EVENTS").await.ok()?;
        let info = stream.info().await.ok()?;
        let cluster = info.cluster.as_ref()?;
        (cluster.replicas.len() == 2 && cluster.replicas.iter().all(|r| r.current)).then_some(())
    })
    .await
}

/// Every file below `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// `key: from` set to `key: to` where it is a whole setting: a port picked at random may begin
/// with a shipped one's digits (`http_port: 62319` holds `port: 6231`), and a replacement of
/// the bare text then made an invalid port of it.
fn set_port(text: &str, key: &str, from: u16, to: u16) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let value = line.trim_start().strip_prefix(key).and_then(|r| r.strip_prefix(": "));
            match value.and_then(|v| v.split_whitespace().next()) {
                Some(port) if port == from.to_string() => {
                    line.replacen(&format!("{key}: {from}"), &format!("{key}: {to}"), 1)
                }
                _ => line.to_owned(),
            }
        })
        .collect()
}
