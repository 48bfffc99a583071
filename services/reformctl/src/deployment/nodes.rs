//! The broker's node configs, from one description: the single node (`nats/single.conf`), the
//! three nodes of a cluster (`nats/cluster/nN.conf`) and the containers' node (inside
//! `compose.yaml`). They differ only in where a node listens and keeps its store and whether it
//! has routes; TLS, syncing, the store's bound and the permissions are written once, here.

/// The store's bound on every node: JetStream refuses writes past it instead of filling the
/// disk.
const MAX_FILE_STORE: &str = "100GB";

/// Where a node listens (a loopback host for trying the cluster on one machine).
struct Listen {
    host: &'static str,
    port: u16,
    http_port: u16,
}

/// A node's routes to the others of its cluster.
struct Routes {
    host: Option<&'static str>,
    port: u16,
    to: Vec<String>,
}

/// One node config.
struct Node {
    heading: String,
    name: Option<String>,
    listen: Option<Listen>,
    store: String,
    routes: Option<Routes>,
    tls_dir: String,
    permissions_note: &'static str,
    include: &'static str,
}

/// The single node, as `deploy/nats/single.conf`.
pub fn single(etc: &str, var: &str) -> String {
    render(&Node {
        heading: SINGLE_HEADING.to_owned(),
        name: Some("par_single".to_owned()),
        listen: Some(Listen { host: "127.0.0.1", port: 4222, http_port: 8222 }),
        store: format!("{var}/nats"),
        routes: None,
        tls_dir: format!("{etc}/tls"),
        permissions_note: SINGLE_PERMISSIONS,
        include: "permissions.conf",
    })
}

/// Node `n` (1 to 3) of the cluster, as `deploy/nats/cluster/nN.conf`, on loopback ports.
pub fn cluster(n: u16, etc: &str, var: &str) -> String {
    assert!((1..=3).contains(&n), "a cluster of three nodes");
    render(&Node {
        heading: CLUSTER_HEADING.replace("{n}", &n.to_string()),
        name: Some(format!("par_n{n}")),
        listen: Some(Listen { host: "127.0.0.1", port: 4220 + n, http_port: 8220 + n }),
        store: format!("{var}/nats-n{n}"),
        routes: Some(Routes {
            host: Some("127.0.0.1"),
            port: 6230 + n,
            to: (1..=3).map(|m| format!("nats-route://127.0.0.1:{}", 6230 + m)).collect(),
        }),
        tls_dir: format!("{etc}/tls"),
        permissions_note: CLUSTER_PERMISSIONS,
        include: "permissions.conf",
    })
}

/// The containers' node: its name given on its command line, its store a volume, its routes
/// the other containers by name.
pub fn container(etc: &str) -> String {
    render(&Node {
        heading: String::new(),
        name: None,
        listen: None,
        store: "/data".to_owned(),
        routes: Some(Routes {
            host: None,
            port: 6222,
            to: (1..=3).map(|m| format!("nats-route://n{m}:6222")).collect(),
        }),
        tls_dir: format!("{etc}/tls"),
        permissions_note: "",
        include: "include/permissions.conf",
    })
}

fn render(node: &Node) -> String {
    let mut text = node.heading.clone();
    if let Some(name) = &node.name {
        text.push_str(&format!("server_name: {name}\n"));
    }
    match &node.listen {
        Some(l) => text.push_str(&format!(
            "host: {}\nport: {}\nhttp_port: {}          # monitoring: /healthz, /jsz, /varz\n",
            l.host, l.port, l.http_port
        )),
        None => text.push_str("port: 4222\n"),
    }
    let tls = &node.tls_dir;
    let comments = !node.heading.is_empty();
    if comments {
        text.push('\n');
        text.push_str(if node.routes.is_some() { CLUSTER_TLS } else { SINGLE_TLS });
    }
    text.push_str(&format!(
        "tls {{\n  cert_file: \"{tls}/broker.pem\"\n  key_file: \"{tls}/broker-key.pem\"\n  \
         timeout: 5\n}}\n"
    ));
    if comments {
        text.push('\n');
    }
    text.push_str(&format!(
        "jetstream {{\n  store_dir: \"{}\"\n  sync_interval: always\n  max_file_store: \
         {MAX_FILE_STORE}\n}}\n",
        node.store
    ));
    if let Some(routes) = &node.routes {
        text.push_str(&cluster_block(routes, tls, comments));
    }
    if comments {
        text.push('\n');
    }
    text.push_str(node.permissions_note);
    text.push_str(&format!("include \"{}\"\n", node.include));
    text
}

fn cluster_block(routes: &Routes, tls: &str, comments: bool) -> String {
    let mut text = if comments { "\n".to_owned() } else { String::new() };
    text.push_str("cluster {\n  name: par_cluster\n");
    if let Some(host) = routes.host {
        text.push_str(&format!("  host: {host}\n"));
    }
    text.push_str(&format!("  port: {}\n  routes: [\n", routes.port));
    for route in &routes.to {
        text.push_str(&format!("    {route}\n"));
    }
    text.push_str("  ]\n");
    if comments {
        text.push_str(ROUTES_TLS);
    }
    text.push_str(&format!(
        "  tls {{\n    cert_file: \"{tls}/broker.pem\"\n    key_file: \"{tls}/broker-key.pem\"\n    \
         ca_file: \"{tls}/ca.pem\"\n    verify: true\n    timeout: 5\n  }}\n}}\n"
    ));
    text
}

const SINGLE_HEADING: &str = "# nats-server, single node, for the reform-task tracker.
#
# Durability: JetStream by default fsyncs only every two minutes, so a power loss can lose
# writes it already acknowledged (Jepsen's 2025 analysis of NATS). An acknowledged command
# must survive that, so every write is synced before the ack. This costs throughput; all
# events of one command travel in one message, so a command costs one synced write.
# `max_file_store` bounds the store below the disk, so JetStream refuses a write past it
# rather than meeting a full disk.
#
# Needs nats-server 2.11 or newer (expected-sequence checks on a wildcard subject).
";

const CLUSTER_HEADING: &str =
    "# nats-server, node {n} of a three-node JetStream cluster for the reform-task tracker.
# The stream is provisioned once with three replicas (`reformctl stream init --replicas 3`), so an
# acknowledged write is on a quorum of disks; each node also syncs every write, and bounds its
# store below the disk (`max_file_store`), as the single node does.
# Ports here are loopback ones for trying the cluster on one machine; on real hosts put each
# node's address in `routes` and keep the ports.
";

const SINGLE_TLS: &str =
    "# TLS on every client link; a plain connection is refused. The operator provides the server's
# certificate (for the names clients dial) and its key (their own, or `reformctl broker
# certificates --dir DIR --name <the server's address>`, which writes DIR/broker.pem,
# DIR/broker-key.pem and the authority DIR/ca.pem); clients trust that authority: the `ca.pem`
# beside their nkey seed, or the file PAR_NATS_CA names. (`reformctl up` makes its own local
# authority and certificate instead, in <data>/broker/.)
";

const CLUSTER_TLS: &str =
    "# TLS on every client link; a plain connection is refused. The operator provides the node's
# certificate (for the names clients and the other nodes dial), its key, and the authority
# that signed every node's (their own, or `reformctl broker certificates --dir DIR --name
# <node's address>` run once per node with the same DIR); clients trust that authority (the
# `ca.pem` beside their nkey seed, or the file PAR_NATS_CA names).
";

const ROUTES_TLS: &str =
    "  # The routes between nodes (two data centres apart, docs/deployment.md) are TLS both ways:
  # each node shows its certificate and accepts only one the same authority signed.
";

const SINGLE_PERMISSIONS: &str =
    "# Who may do what: four users authenticated by nkey, in two accounts (the services with
# JetStream, and people, who import only what they may ask), and what each may publish and
# subscribe (deploy/nats/permissions.conf explains every rule). A store made before the
# accounts keeps its streams in the global account: move them once, with the server stopped,
# `mv '/var/lib/reform-tracker/nats/jetstream/$G' /var/lib/reform-tracker/nats/jetstream/PAR`.
# nats-server resolves an include from the including file's directory, so two files sit next
# to this one:
#   permissions.conf  deploy/nats/permissions.conf, as shipped;
#   users.conf        the users' public keys: `reformctl broker credentials DIR` writes
#                     DIR/users.conf beside one seed per user (DIR/<user>.nk); copy or link it
#                     here. The seeds go to whoever connects as that user (--nats-nkey FILE or
#                     PAR_NATS_NKEY), never to this directory.
";

const CLUSTER_PERMISSIONS: &str =
    "# Who may do what: four users authenticated by nkey, in two accounts, the services with
# JetStream and people importing only what they may ask (deploy/nats/permissions.conf
# explains every rule; every node must have the same). A cluster whose streams were made
# before the accounts has them in the global account, and the single node's directory move
# does not apply (every node's replicated metadata names each stream's account): moving a
# clustered log was not tried. The same two files sit next to this config on every node
# (includes resolve from the including file's directory): permissions.conf as shipped, and
# users.conf, the public keys `reformctl broker credentials DIR` writes as DIR/users.conf
# (copy it to each node; the seeds DIR/<user>.nk go to whoever connects as that user). The
# users are clients' only: the routes between nodes are not covered by them, but by TLS both
# ways (above); keep the cluster port on a private network still.
";
