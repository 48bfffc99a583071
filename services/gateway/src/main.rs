//! Runs the web dashboard on its own against a NATS server, until Ctrl-C or SIGTERM.

use clap::Parser;
use reform_shared::edge::{self, BrokerArgs};

/// The web dashboard of the reform tracker (pages over the projector's views) and the
/// workspace where people sign their commands with passkeys.
#[derive(Debug, Parser)]
#[command(name = "reform-gateway", version, about)]
struct Args {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Where to serve the pages: on loopback behind a reverse proxy on this host, or with
    /// --https-cert and --https-key where the proxy or people reach it over a network.
    #[arg(long, default_value = reform_gateway::LISTEN_DEFAULT)]
    listen: std::net::SocketAddr,
    /// The site's domain name, which people's passkeys are made for (WebAuthn's relying party
    /// id): the host in the address people open, never an IP address.
    #[arg(long, env = "PAR_RP_ID", default_value = reform_gateway::workspace::RP_ID_DEFAULT)]
    rp_id: String,
    /// The tile directory `reform-tlog` writes, served under /log/.
    #[arg(long, env = "PAR_TLOG_DIR")]
    tlog_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    https: reform_shared::https::HttpsArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    edge::init_tracing("info");
    // A person's connection, as the broker's `client` user: it relays people's signed commands
    // and can sign none itself.
    let client =
        edge::connect_person(&args.broker.nats_url, args.broker.nats_nkey.as_deref()).await?;
    let listener = reform_gateway::bind(args.listen, args.https.files().as_ref()).await?;
    println!("dashboard: {}", listener.url());
    let site = reform_gateway::Site { rp_id: args.rp_id, tlog_dir: args.tlog_dir };
    reform_gateway::serve(client, listener, site, edge::stop_signal()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The flags hold together, as clap's own checks see them (names, defaults, what requires
    /// what): a mistake there panics here, not at an operator's first run.
    #[test]
    fn the_flags_hold_together() {
        use clap::CommandFactory as _;
        super::Args::command().debug_assert();
    }
}
