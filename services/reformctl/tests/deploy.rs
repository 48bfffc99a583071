//! The shipped single-node broker config (`deploy/nats/single.conf`, with the shipped
//! `permissions.conf`), run by a real nats-server as an operator sets it up: the users and the
//! certificates made by `reformctl broker credentials` and `reformctl broker certificates`,
//! only the paths and ports of this run substituted. The log is provisioned over TLS with the
//! services' seed and the authority beside it; a seed without the authority is refused, told
//! what to do; and a second certificate is signed by the same authority.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SINGLE: &str = include_str!("../../../deploy/nats/single.conf");
const PERMISSIONS: &str = include_str!("../../../deploy/nats/permissions.conf");

fn reformctl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_reformctl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("reformctl runs")
}

fn said(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The shipped config with this run's store, ports and certificate directory, and the
/// certificate `file` (`broker` as shipped).
fn config(dir: &Path, port: u16, http: u16, file: &str) -> String {
    let text = SINGLE
        .replace("tls/broker.pem", &format!("tls/{file}.pem"))
        .replace("tls/broker-key.pem", &format!("tls/{file}-key.pem"))
        .replace("port: 4222", &format!("port: {port}"))
        .replace("http_port: 8222", &format!("http_port: {http}"))
        .replace("\"/var/lib/reform-tracker/nats\"", &format!("{:?}", dir.join("store")))
        .replace("/etc/reform-tracker/tls", &dir.join("tls").display().to_string());
    let settings = text.lines().filter(|l| !l.trim_start().starts_with('#'));
    let unsubstituted: Vec<&str> =
        settings.filter(|l| l.contains("/var/lib") || l.contains("/etc/")).collect();
    assert!(unsubstituted.is_empty(), "paths not substituted: {unsubstituted:?}");
    format!("{text}log_file: {:?}\n", dir.join("nats.log"))
}

#[test]
fn the_shipped_single_node_config_runs_with_the_users_and_certificates_reformctl_makes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (credentials, tls) = (dir.path().join("credentials"), dir.path().join("tls"));
    let made = reformctl(&["broker", "credentials", "--dir", &credentials.display().to_string()]);
    assert!(made.status.success(), "{}", said(&made));
    let tls_text = tls.display().to_string();
    let made = reformctl(&["broker", "certificates", "--dir", &tls_text, "--name", "127.0.0.1"]);
    assert!(made.status.success(), "{}", said(&made));
    let ca = std::fs::read_to_string(tls.join("ca.pem")).expect("the authority");

    // The node's directory, as single.conf's comments say: the two included files beside it.
    let node = dir.path().join("node");
    std::fs::create_dir_all(&node).expect("dir");
    std::fs::write(node.join("permissions.conf"), PERMISSIONS).expect("permissions");
    std::fs::copy(credentials.join("users.conf"), node.join("users.conf")).expect("users");
    let ports = common::free_ports(2);
    let mut server = start(dir.path(), &node, &ports, "broker");
    let url = format!("nats://127.0.0.1:{}", ports[0]);

    // The operator hands out each seed with the authority beside it.
    std::fs::copy(tls.join("ca.pem"), credentials.join("ca.pem")).expect("ca beside the seeds");
    let service = credentials.join("service.nk").display().to_string();
    let init = reformctl(&["--nats", &url, "--nats-nkey", &service, "stream", "init"]);
    assert!(init.status.success(), "the log is provisioned over TLS: {}", said(&init));

    // A seed handed out without the authority: refused, and told how to fix it.
    let alone = dir.path().join("alone");
    std::fs::create_dir_all(&alone).expect("dir");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&alone, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::copy(credentials.join("client.nk"), alone.join("client.nk")).expect("copied");
    let seed = alone.join("client.nk").display().to_string();
    let refused = reformctl(&["--nats", &url, "--nats-nkey", &seed, "status"]);
    let text = said(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("speaks TLS only") && text.contains("PAR_NATS_CA"), "{text}");

    // The next node's certificate, from the same authority: the server runs with it, and the
    // clients' ca.pem, unchanged, still trusts it.
    let again = reformctl(&[
        "broker",
        "certificates",
        "--dir",
        &tls_text,
        "--name",
        "127.0.0.1",
        "--file",
        "n2",
    ]);
    assert!(again.status.success(), "{}", said(&again));
    assert_eq!(std::fs::read_to_string(tls.join("ca.pem")).expect("ca"), ca, "the same authority");
    let _ = server.kill();
    let _ = server.wait();
    let mut server = start(dir.path(), &node, &ports, "n2");
    let init = reformctl(&["--nats", &url, "--nats-nkey", &service, "stream", "init"]);
    assert!(init.status.success(), "the n2 certificate is trusted: {}", said(&init));
    let bad =
        reformctl(&["broker", "certificates", "--dir", &tls_text, "--name", "x", "--file", "../x"]);
    assert!(
        !bad.status.success() && said(&bad).contains("not a plain file name"),
        "{}",
        said(&bad)
    );
    let _ = server.kill();
    let _ = server.wait();
}

/// Runs nats-server with the shipped config and certificate `file`, until it listens.
fn start(dir: &Path, node: &Path, ports: &[u16], file: &str) -> std::process::Child {
    let config = node.join("single.conf");
    std::fs::write(&config, self::config(dir, ports[0], ports[1], file)).expect("conf");
    let binary = reform_shared::natsd::find_binary().expect("nats-server");
    let mut server = Command::new(binary)
        .arg("-c")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", ports[0])).is_err() {
        let log = std::fs::read_to_string(dir.join("nats.log")).unwrap_or_default();
        assert!(server.try_wait().ok().flatten().is_none(), "nats-server exited:\n{log}");
        assert!(Instant::now() < deadline, "nats-server did not listen:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

const COMPOSE: &str = include_str!("../../../deploy/compose.yaml");

/// The node config `compose.yaml` gives its three broker containers, which CI cannot run (no
/// container engine): nats-server's own check of it (`-t`) passes with the permissions, the
/// users and the certificates as the compose file's comments say to lay them out, and fails,
/// naming the file, without the users.
#[test]
fn the_containers_node_config_is_one_nats_server_accepts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = COMPOSE.find("    content: |\n").expect("the node config") + 15;
    let block = COMPOSE[start..].split("\n\n").next().expect("a block");
    let node: String =
        block.lines().map(|l| format!("{}\n", l.strip_prefix("      ").unwrap_or(l))).collect();
    assert!(node.contains("include \"include/permissions.conf\""), "{node}");
    let tls = dir.path().join("tls");
    let tls_text = tls.display().to_string();
    let made = reformctl(&["broker", "certificates", "--dir", &tls_text, "--name", "n1"]);
    assert!(made.status.success(), "{}", said(&made));
    let node = node
        .replace("/etc/reform-tracker/tls", &tls_text)
        .replace("\"/data\"", &format!("{:?}", dir.path().join("store")));
    let config = dir.path().join("node.conf");
    std::fs::write(&config, node).expect("conf");
    let include = dir.path().join("include");
    std::fs::create_dir_all(&include).expect("dir");
    std::fs::write(include.join("permissions.conf"), PERMISSIONS).expect("permissions");
    let check = || {
        let binary = reform_shared::natsd::find_binary().expect("nats-server");
        Command::new(binary).arg("-t").arg("-c").arg(&config).output().expect("runs")
    };
    let without_users = check();
    assert!(!without_users.status.success(), "{}", said(&without_users));
    assert!(said(&without_users).contains("users.conf"), "{}", said(&without_users));
    let credentials = dir.path().join("credentials");
    let made = reformctl(&["broker", "credentials", "--dir", &credentials.display().to_string()]);
    assert!(made.status.success(), "{}", said(&made));
    std::fs::copy(credentials.join("users.conf"), include.join("users.conf")).expect("users");
    let checked = check();
    assert!(checked.status.success(), "nats-server refused it: {}", said(&checked));
}
