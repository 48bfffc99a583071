//! `reformctl genesis`: the operator's explicit first step on a new installation. It records
//! the first administrator (person, name, title and public key) straight into the log, signed
//! with that administrator's key, and prints what it did. It needs the services' broker
//! credentials (`--nats-nkey …/service.nk`), so no client can instate themself.

use crate::ctx::Ctx;
use reform_directory::genesis::{self, Administrator, Genesis};
use reform_shared::ids::PersonId;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The administrator's person id.
    #[arg(long)]
    pub person: PersonId,
    /// Full name.
    #[arg(long)]
    pub name: String,
    /// Position as people say it.
    #[arg(long, default_value = "")]
    pub title: String,
}

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let key = ctx.signer()?;
    let client = ctx.client().await?;
    let appender = reform_shared::append::Appender::new(async_nats::jetstream::new(client)).await?;
    let admin = Administrator { person: args.person, name: args.name, title: args.title };
    let today = reform_shared::time::Date::today_in_vietnam();
    let done = genesis::record(&appender, &admin, &key, today).await?;
    let (sequence, fresh) = match &done {
        Genesis::Recorded { sequence, .. } => (*sequence, true),
        Genesis::Already { sequence } => (*sequence, false),
    };
    if ctx.json() {
        let value = serde_json::json!({
            "outcome": "ok",
            "event": "genesis",
            "duplicate": !fresh,
            "sequence": sequence,
            "administrator": admin.person,
            "public_key": key.public_key(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if fresh {
        println!(
            "genesis: {} ({}) is this installation's first administrator, from {today}",
            admin.person, admin.name
        );
        println!("  key         {} (their signatures count from now)", key.public_key());
        println!("  recorded    at stream sequence {sequence}, signed with that key");
        println!(
            "  next        as {}: register people, their keys and access (docs/security.md)",
            admin.person
        );
    } else {
        println!("already done: the genesis event is at sequence {sequence}");
    }
    Ok(())
}
