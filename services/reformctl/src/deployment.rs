//! The deployment, described once: every part (each service, the rollup, the projector, the
//! log's publication, the dashboard), the binary it runs, the broker user it connects as, its
//! arguments and the files it keeps; and the broker's nodes ([`nodes`]). `reformctl deploy
//! render` writes the systemd units, the node configs and the compose file from this description; `reformctl deploy check` fails when the files in a
//! directory differ from it, and a test runs every part as its own process exactly as the
//! description says (`tests/deploy.rs`). So the shipped files cannot drift from what is tested.
//!
//! Paths are the same on a host and in a container: `/etc/reform-tracker` holds what the
//! operator provides (the broker users' seeds, the authority, the log's key, the witnesses'
//! policy), `/var/lib/reform-tracker` what the parts keep.

mod nodes;

use anyhow::Context as _;
use reform_shared::broker::BrokerUser;
use std::path::{Path, PathBuf};

/// What the operator provides, read-only to the parts.
pub const ETC: &str = "/etc/reform-tracker";
/// What the parts keep.
pub const VAR: &str = "/var/lib/reform-tracker";
/// Where the dashboard listens, HTTPS only: the province's reverse proxy, on this host or
/// another, dials it there, and does the sign-in the read pages lack (docs/security.md).
const LISTEN: &str = "{listen}";
/// The dashboard's port on a host and in a container.
const DASHBOARD_PORT: u16 = 8443;

/// One part of the deployment: one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Its name in unit and container names: `reform-<name>`.
    pub name: &'static str,
    pub binary: &'static str,
    /// What it is, for the unit's description.
    pub what: &'static str,
    pub user: BrokerUser,
    /// Its arguments; `{etc}`, `{var}` and `{listen}` stand for the places above.
    pub args: &'static [&'static str],
    /// The parts it starts after.
    pub after: &'static [&'static str],
    /// The certificate it serves HTTPS with, by file name under `{etc}/tls` (`NAME.pem`, its
    /// key `NAME-key.pem`), when it serves people.
    pub https: Option<&'static str>,
}

/// Every part, in the order they start.
pub const PARTS: [Part; 8] = [
    command_service("directory", "directory service: units, people, keys and grants"),
    command_service("tasks", "tasks service: plans, tasks and inspection findings"),
    Part {
        user: BrokerUser::Evidence,
        ..command_service("evidence", "evidence service: the documents and their erasure")
    },
    command_service("scoring", "scoring service: the PAR index's scores"),
    Part {
        name: "rollup",
        binary: "reform-rollup",
        what: "rollup service: closes each reporting period",
        user: BrokerUser::Service,
        args: &["--reports-dir", "{var}/reports", "--log-key", "{etc}/log.nk"],
        after: &[],
        https: None,
    },
    Part {
        name: "projector",
        binary: "reform-projector",
        what: "projector: the views people read",
        user: BrokerUser::Service,
        args: &["--db", "{var}/views.redb"],
        after: &[],
        https: None,
    },
    Part {
        name: "tlog",
        binary: "reform-tlog",
        what: "the log's publication: checkpoints, tiles and witnesses",
        user: BrokerUser::Service,
        args: &["--dir", "{var}/tlog", "--log-key", "{etc}/log.nk", "--policy", "{etc}/policy.txt"],
        after: &[],
        https: None,
    },
    Part {
        name: "gateway",
        binary: "reform-gateway",
        what: "the dashboard and the heads' workspace",
        // It relays people's signed commands as a person's tool would; it can sign none.
        user: BrokerUser::Client,
        args: &["--listen", LISTEN, "--tlog-dir", "{var}/tlog"],
        after: &["reform-projector.service", "reform-tlog.service"],
        https: Some("dashboard"),
    },
];

const fn command_service(name: &'static str, what: &'static str) -> Part {
    let (binary, args): (&str, &[&str]) = match name.as_bytes() {
        b"directory" => ("reform-directory", &["--state", "{var}/directory.redb"]),
        b"tasks" => ("reform-tasks", &["--state", "{var}/tasks.redb"]),
        b"evidence" => ("reform-evidence", &["--state", "{var}/evidence.redb"]),
        _ => ("reform-scoring", &["--state", "{var}/scoring.redb"]),
    };
    Part { name, binary, what, user: BrokerUser::Service, args, after: &[], https: None }
}

impl Part {
    /// Its arguments with the places filled in.
    pub fn args_in(&self, etc: &str, var: &str, listen: &str) -> Vec<String> {
        let fill = |a: &&str| a.replace("{etc}", etc).replace("{var}", var).replace(LISTEN, listen);
        self.args.iter().map(fill).collect()
    }

    /// The environment it needs besides the broker's address: its seed and the authority,
    /// and the certificate it serves people with.
    pub fn env_in(&self, etc: &str) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PAR_NATS_NKEY", format!("{etc}/broker/{}.nk", self.user)),
            ("PAR_NATS_CA", format!("{etc}/tls/ca.pem")),
        ];
        if let Some(name) = self.https {
            env.push(("PAR_HTTPS_CERT", format!("{etc}/tls/{name}.pem")));
            env.push(("PAR_HTTPS_KEY", format!("{etc}/tls/{name}-key.pem")));
        }
        env
    }
}

/// The files the description renders, by path under the deploy directory.
pub fn render() -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = PARTS
        .iter()
        .map(|part| (PathBuf::from(format!("systemd/reform-{}.service", part.name)), unit(part)))
        .collect();
    let generated = |text: String| format!("{GENERATED}{text}");
    files.push((PathBuf::from("nats/single.conf"), generated(nodes::single(ETC, VAR))));
    for n in 1..=3 {
        let path = PathBuf::from(format!("nats/cluster/n{n}.conf"));
        files.push((path, generated(nodes::cluster(n, ETC, VAR))));
    }
    files.push((PathBuf::from("compose.yaml"), compose()));
    files
}

const GENERATED: &str =
    "# Generated by `reformctl deploy render --dir deploy` from the deployment's description
# (services/reformctl/src/deployment.rs); `reformctl deploy check --dir deploy` fails when this
# file differs from it. Change the description, not this file.
";

fn unit(part: &Part) -> String {
    let after: String = part.after.iter().map(|a| format!(" {a}")).collect();
    let env: String =
        part.env_in(ETC).iter().map(|(k, v)| format!("Environment={k}={v}\n")).collect();
    // Loopback unless the environment file names the private address the proxy dials: the
    // pages need no sign-in of their own, so the port must face the proxy alone.
    let args = part.args_in(ETC, VAR, "${PAR_LISTEN}").join(" ");
    let listen = match part.args.contains(&LISTEN) {
        true => format!("Environment=PAR_LISTEN=127.0.0.1:{DASHBOARD_PORT}\n"),
        false => String::new(),
    };
    let rp = match part.user {
        BrokerUser::Client => "# PAR_RP_ID in the environment file: the site's domain name, which passkeys are made for;\n# PAR_LISTEN there: the private address the province's proxy dials (the pages have no\n# sign-in of their own: never an address people reach).\n",
        _ => "",
    };
    format!(
        "{GENERATED}[Unit]
Description=Reform-task tracker: {what}
After=network-online.target nats-server.service{after}
Wants=network-online.target

[Service]
# NATS_URL (every node, e.g. tls://10.0.0.1:4222,tls://10.0.0.2:4222,tls://10.0.0.3:4222) and,
# for a cluster, PAR_STREAM_REPLICAS=3.
{rp}{listen}EnvironmentFile={ETC}/env
{env}ExecStart=/usr/local/bin/{binary} {args}
Restart=on-failure
RestartSec=2
# Every part stops cleanly on SIGTERM: the command or batch in hand finishes first.
KillSignal=SIGTERM
TimeoutStopSec=30
User=reform
Group=reform
StateDirectory=reform-tracker

[Install]
WantedBy=multi-user.target
",
        what = part.what,
        binary = part.binary,
    )
}

fn compose() -> String {
    let urls = "tls://n1:4222,tls://n2:4222,tls://n3:4222";
    let mut parts = String::new();
    for part in &PARTS {
        let command: Vec<String> = std::iter::once(part.binary.to_owned())
            .chain(part.args_in(ETC, VAR, &format!("0.0.0.0:{DASHBOARD_PORT}")))
            .map(|a| format!("{a:?}"))
            .collect();
        parts.push_str(&format!("  {}:\n    <<: *part\n", part.name));
        parts.push_str(&format!("    command: [{}]\n", command.join(", ")));
        parts.push_str(&format!("    environment:\n      NATS_URL: {urls:?}\n"));
        parts.push_str("      PAR_STREAM_REPLICAS: \"3\"\n");
        for (key, value) in part.env_in(ETC) {
            parts.push_str(&format!("      {key}: {value:?}\n"));
        }
        if part.user == BrokerUser::Client {
            parts.push_str("      PAR_RP_ID: ${PAR_RP_ID:?the site's domain name}\n");
            // The proxy on this host dials it; the pages have no sign-in of their own.
            parts.push_str(&format!(
                "    ports: [\"127.0.0.1:{DASHBOARD_PORT}:{DASHBOARD_PORT}\"]\n"
            ));
        }
    }
    let provision = format!(
        "[\"reformctl\", \"--nats\", {urls:?}, \"--nats-nkey\", \"{ETC}/broker/service.nk\", \"stream\", \"init\", \"--replicas\", \"3\"]"
    );
    format!(
        "{GENERATED}{}",
        include_str!("deployment/compose.yaml.in")
            .replace("{provision}", &provision)
            .replace("{parts}", parts.trim_end())
            .replace("{node}", &indent(&nodes::container(ETC), 6))
            .replace("{etc}", ETC)
            .replace("{var}", VAR)
    )
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines().map(|l| format!("{pad}{l}")).collect::<Vec<_>>().join("\n")
}

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// The deployment's files (deploy/): written from its one description, or checked.
    #[command(subcommand)]
    Deploy(DeployCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum DeployCmd {
    /// Write the systemd units, the broker's node configs and compose.yaml into --dir.
    Render {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Exit non-zero, naming each file, when the files in --dir differ from the description.
    Check {
        #[arg(long)]
        dir: PathBuf,
    },
}

pub fn run(cmd: Cmd) -> anyhow::Result<()> {
    let Cmd::Deploy(cmd) = cmd;
    match cmd {
        DeployCmd::Render { dir } => write_all(&dir),
        DeployCmd::Check { dir } => check(&dir),
    }
}

fn write_all(dir: &Path) -> anyhow::Result<()> {
    for (path, text) in render() {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("could not write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The rendered files that differ from (or are missing in) `dir`.
pub fn differing(dir: &Path) -> Vec<PathBuf> {
    let differs = |(path, text): &(PathBuf, String)| {
        std::fs::read_to_string(dir.join(path)).map_or(true, |found| found != *text)
    };
    render().into_iter().filter(differs).map(|(path, _)| path).collect()
}

fn check(dir: &Path) -> anyhow::Result<()> {
    let differing = differing(dir);
    if differing.is_empty() {
        println!("{}: every file is as the description renders it", dir.display());
        return Ok(());
    }
    let names: Vec<String> = differing.iter().map(|p| p.display().to_string()).collect();
    anyhow::bail!(
        "these files in {} differ from the deployment's description: {}; run `reformctl deploy \
         render --dir {}` and commit the result",
        dir.display(),
        names.join(", "),
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped files are the description's rendering: a change to either shows here.
    #[test]
    fn the_shipped_deployment_files_are_the_descriptions() {
        let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
        assert_eq!(
            differing(&deploy),
            Vec::<PathBuf>::new(),
            "run `reformctl deploy render --dir deploy`"
        );
    }

    /// The image builds with the toolchain the workspace declares (and the suite runs on); it
    /// once named 1.89, which the dependencies had left behind.
    #[test]
    fn the_image_builds_with_the_workspaces_toolchain() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
        let version = manifest
            .lines()
            .find_map(|l| l.strip_prefix("rust-version = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("the workspace's rust-version");
        assert_eq!(version, env!("CARGO_PKG_RUST_VERSION"));
        let image = std::fs::read_to_string(root.join("deploy/Containerfile")).expect("image");
        assert!(image.contains(&format!("FROM rust:{version}-bookworm AS build")), "{image}");
    }

    #[test]
    fn every_part_has_a_unit_and_a_container_and_its_own_seed() {
        let files = render();
        let compose = &files.last().expect("compose").1;
        for part in &PARTS {
            let unit =
                files.iter().find(|(p, _)| p.ends_with(format!("reform-{}.service", part.name)));
            let unit = &unit.expect("a unit").1;
            let seed = format!("{ETC}/broker/{}.nk", part.user);
            assert!(unit.contains(&format!("PAR_NATS_NKEY={seed}")), "{unit}");
            assert!(compose.contains(&format!("  {}:\n    <<: *part", part.name)), "{compose}");
        }
        assert!(compose.contains("PAR_NATS_NKEY: \"/etc/reform-tracker/broker/evidence.nk\""));
        assert!(compose.contains("PAR_NATS_NKEY: \"/etc/reform-tracker/broker/client.nk\""));
    }
}
