//! `reformctl broker credentials` and `reformctl broker certificates`: what an operator makes
//! once for a deployed broker (`deploy/nats/`), the same way `reformctl up` makes its own.

use anyhow::Context as _;
use reform_shared::broker::{self, BrokerUser};
use reform_shared::tls::{self, Authority};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// The broker's users and certificates, for a deployment (deploy/nats/).
    #[command(subcommand)]
    Broker(BrokerCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum BrokerCmd {
    /// One nkeys seed per broker user (owner-only), kept when already there, and users.conf,
    /// their public keys, to copy beside permissions.conf on every node.
    Credentials {
        #[arg(long)]
        dir: PathBuf,
    },
    /// A certificate for a broker node or the dashboard, signed by the authority in --dir (made
    /// the first time: ca.pem, and ca-key.pem, owner-only, to sign the next one); ca.pem goes
    /// beside every client's seed.
    Certificates {
        #[arg(long)]
        dir: PathBuf,
        /// A name clients or the other nodes dial: a host name or an IP address (repeat it).
        #[arg(long = "name", required = true)]
        names: Vec<String>,
        /// The certificate's file name, without .pem: a node's own, or `dashboard` (its key is
        /// <file>-key.pem).
        #[arg(long, default_value = "broker")]
        file: String,
    },
}

pub fn run(cmd: Cmd) -> anyhow::Result<()> {
    let Cmd::Broker(cmd) = cmd;
    match cmd {
        BrokerCmd::Credentials { dir } => credentials(&dir),
        BrokerCmd::Certificates { dir, names, file } => certificates(&dir, &names, &file),
    }
}

fn credentials(dir: &Path) -> anyhow::Result<()> {
    let credentials = broker::provision(dir)?;
    println!("broker users' seeds in {} (owner-only; kept if already there):", dir.display());
    for user in BrokerUser::ALL {
        println!("  {}", credentials.seed_path(user).display());
    }
    println!(
        "and {}: copy it beside permissions.conf on every node; give each seed only to whoever \
         connects as that user (--nats-nkey or PAR_NATS_NKEY), with the broker's ca.pem beside it",
        credentials.users_conf().display()
    );
    Ok(())
}

fn certificates(dir: &Path, names: &[String], file: &str) -> anyhow::Result<()> {
    if file.is_empty() || !file.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        anyhow::bail!("--file {file:?} is not a plain file name (letters, digits and -)");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let key_path = dir.join("ca-key.pem");
    let authority = match std::fs::read_to_string(&key_path) {
        Ok(pem) => Authority::from_key_pem(&pem)
            .with_context(|| format!("{} holds no authority's key", key_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let authority = Authority::new()?;
            broker::write_owner_only(&key_path, authority.key_pem().as_bytes())?;
            authority
        }
        Err(e) => return Err(e).with_context(|| format!("could not read {}", key_path.display())),
    };
    // Kept when there: the clients trust that very file.
    let ca = dir.join(tls::CA_FILE);
    if !ca.is_file() {
        std::fs::write(&ca, authority.cert_pem())
            .with_context(|| format!("could not write {}", ca.display()))?;
    }
    let (cert, key) = authority
        .issue(names)
        .with_context(|| format!("could not make a certificate for {}", names.join(", ")))?;
    let (cert_path, key_path) =
        (dir.join(format!("{file}.pem")), dir.join(format!("{file}-key.pem")));
    broker::write_owner_only(&key_path, key.as_bytes())?;
    std::fs::write(&cert_path, cert)
        .with_context(|| format!("could not write {}", cert_path.display()))?;
    println!(
        "a certificate for {} in {} (its key {}, owner-only), signed by the authority {}: a \
         node's tls block names the two, or the dashboard's --https-cert and --https-key; every \
         client trusts {} (beside its seed, or PAR_NATS_CA)",
        names.join(", "),
        cert_path.display(),
        key_path.display(),
        ca.display(),
        ca.display()
    );
    Ok(())
}
