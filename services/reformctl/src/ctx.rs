//! What every subcommand shares: where the broker is, who acts, and how to print.

pub use crate::outcome::Lang;
use anyhow::Context as _;
use reform_shared::command::{Accepted, Request};
use reform_shared::ids::{CommandId, PersonId};
use reform_shared::time::Date;
use std::sync::atomic::{AtomicU32, Ordering};

pub use reform_shared::edge::NATS_URL_DEFAULT;

#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// The NATS server to talk to (several, comma-separated, for a cluster).
    #[arg(long = "nats", env = "NATS_URL", global = true, default_value = NATS_URL_DEFAULT)]
    pub nats_url: String,
    /// Print JSON for scripts instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,
    /// The broker credentials to connect with: an nkeys seed file readable by its owner only
    /// (`up` prints where the embedded stack keeps them).
    #[arg(long = "nats-nkey", env = "PAR_NATS_NKEY", global = true)]
    pub nats_nkey: Option<std::path::PathBuf>,
    /// Who is acting (a person id); commands need it.
    #[arg(long, env = "PAR_ACTOR", global = true)]
    pub actor: Option<PersonId>,
    /// The acting person's signing key: an nkeys seed file readable by its owner only
    /// (`reformctl key new FILE` makes one); commands are signed with it.
    #[arg(long, env = "PAR_KEY", global = true)]
    pub key: Option<std::path::PathBuf>,
    /// The command id to use, to retry a command safely; a fresh one when absent.
    #[arg(long, global = true)]
    pub command_id: Option<CommandId>,
    /// The business date of the command, for something recorded after the fact (YYYY-MM-DD).
    #[arg(long = "on", global = true)]
    pub occurred_on: Option<Date>,
    /// After a command is accepted, wait until the projector's views include it (at most
    /// 30 s), so a view asked for next shows it.
    #[arg(long, global = true)]
    pub wait: bool,
    /// The language of refusals and failures: Vietnamese (vi) or English (en).
    #[arg(long, env = "PAR_LANG", global = true, value_enum, default_value_t = Lang::Vi)]
    pub lang: Lang,
}

/// How long `--wait` waits for the views.
pub const WAIT_FOR_VIEWS: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug)]
pub struct Ctx {
    pub global: GlobalArgs,
    counter: AtomicU32,
    /// The command ids this run sent, for the hint after an `unavailable` answer.
    issued: std::sync::Mutex<Vec<CommandId>>,
    /// What the broker refused each connection of this run.
    refusals: std::sync::Mutex<Vec<reform_shared::edge::Refusals>>,
}

impl Ctx {
    pub fn new(global: GlobalArgs) -> Self {
        Self {
            global,
            counter: AtomicU32::new(0),
            issued: Default::default(),
            refusals: Default::default(),
        }
    }

    /// The command ids sent so far.
    pub fn issued(&self) -> Vec<CommandId> {
        self.issued.lock().map(|ids| ids.clone()).unwrap_or_default()
    }

    pub fn json(&self) -> bool {
        self.global.json
    }

    /// What the broker refused this run's connections (see [`reform_shared::edge::Refusals`]).
    pub fn refusals(&self) -> Vec<String> {
        self.refusals.lock().map(|r| r.iter().flat_map(|r| r.seen()).collect()).unwrap_or_default()
    }

    /// Runs a request, cut short as soon as the broker refuses this run's credentials: the
    /// broker drops a refused request without an answer, and waiting out every retry would
    /// only end in a timeout that does not say why.
    pub async fn guarded<T, E: Into<anyhow::Error>>(
        &self,
        request: impl std::future::Future<Output = Result<T, E>>,
    ) -> anyhow::Result<T> {
        let refused = async {
            loop {
                if let Some(refusal) = self.refusals().into_iter().next() {
                    return refusal;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            outcome = request => outcome.map_err(Into::into),
            refusal = refused => Err(crate::outcome::Classified {
                kind: crate::outcome::ExitKind::Denied,
                message: format!(
                    "the broker refused these credentials (--nats-nkey): {refusal}; see \
                     docs/security.md for what each broker user may do"
                ),
            }
            .into()),
        }
    }

    /// Connects to the broker, naming the URL when it fails.
    pub async fn client(&self) -> anyhow::Result<async_nats::Client> {
        let url = &self.global.nats_url;
        let (client, refusals) =
            reform_shared::edge::connect_watched(url, self.global.nats_nkey.as_deref())
                .await
                .with_context(|| "is the stack up? try `./dev up`".to_owned())?;
        if let Ok(mut all) = self.refusals.lock() {
            all.push(refusals);
        }
        Ok(client)
    }

    /// Wraps a command in a request: actor, business date and a command id.
    pub fn request<C>(&self, command: C) -> anyhow::Result<Request<C>> {
        let actor = self
            .global
            .actor
            .clone()
            .context("who is acting? give --actor PERSON or set PAR_ACTOR")?;
        let command_id = self.command_id()?;
        if let Ok(mut issued) = self.issued.lock() {
            issued.push(command_id.clone());
        }
        Ok(Request { command_id, actor, occurred_on: self.global.occurred_on, command })
    }

    /// The acting person's signing key.
    pub fn signer(&self) -> anyhow::Result<nkeys::KeyPair> {
        let path = self.global.key.as_deref().context(
            "who signs? give --key FILE or set PAR_KEY (the person's seed file; \
             `reformctl key new FILE` makes one, and an administrator registers its public key)",
        )?;
        Ok(reform_shared::keyfile::read(path)?)
    }

    /// The given command id for the first command, otherwise a fresh one: time, process and a
    /// counter make it unique without coordination.
    fn command_id(&self) -> anyhow::Result<CommandId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        if let (0, Some(id)) = (n, &self.global.command_id) {
            return Ok(id.clone());
        }
        let millis = reform_shared::time::Timestamp::now().0;
        Ok(CommandId::new(format!("c{millis:x}-{:x}-{n}", std::process::id()))?)
    }

    /// Prints an accepted command, after waiting for the views to include it with `--wait`.
    pub async fn print_accepted(&self, accepted: &Accepted) -> anyhow::Result<()> {
        if self.global.wait {
            self.wait_for_views(accepted.sequence).await?;
        }
        if self.json() {
            // The service's own reply, as a failure prints it too.
            let reply = reform_shared::reply::Reply::Ok(accepted);
            println!("{}", serde_json::to_string_pretty(&reply)?);
        } else {
            println!("{}", self.said_accepted(accepted));
        }
        Ok(())
    }

    /// An accepted command as its sender reads it, in `--lang`.
    fn said_accepted(&self, accepted: &Accepted) -> String {
        let (event, sequence) = (&accepted.event, accepted.sequence);
        match (self.global.lang, accepted.duplicate) {
            (Lang::En, false) => format!("done: {event} at sequence {sequence}"),
            (Lang::En, true) => format!(
                "already done: {event} at sequence {sequence} (this command id was applied before)"
            ),
            (Lang::Vi, duplicate) => {
                let what = reform_shared::wording::event_vi(event).unwrap_or(event);
                let again =
                    if duplicate { " (lệnh này đã được ghi từ trước)" } else { "" };
                format!("Đã ghi: {what}, số thứ tự {sequence} trong nhật ký{again}.")
            }
        }
    }

    /// Waits until the projector has applied `sequence`.
    async fn wait_for_views(&self, sequence: u64) -> anyhow::Result<()> {
        let client = self.client().await?;
        let status =
            reform_projector::queries::status_through(&client, sequence, WAIT_FOR_VIEWS).await;
        if status.is_ok_and(|s| s.applied_through >= sequence) {
            return Ok(());
        }
        Err(crate::outcome::Classified {
            kind: crate::outcome::ExitKind::Unavailable,
            message: format!(
                "the command was accepted at sequence {sequence}, but the views did not \
                 include it within {WAIT_FOR_VIEWS:?} (is the projector running? see \
                 `reformctl status`)"
            ),
        }
        .into())
    }
}
