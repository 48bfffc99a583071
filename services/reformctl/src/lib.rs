//! The command line of the reform-task tracker. Every subcommand is a thin layer over a
//! service's client API: it builds a request, sends it over NATS and prints the answer for a
//! person (tables by display width, Vietnamese names intact) or, with `--json`, for a script.
//!
//! - [`ctx`]: what every subcommand needs (the NATS URL, the actor, output mode).
//! - [`table`]: aligned tables that measure text by display width, not bytes.
//! - one module per service's commands: [`directory`], [`tasks`], [`evidence`], [`scoring`];
//!   [`view`] for the projector's queries; [`up`] runs the whole stack in one process.
//! - [`status`] reads every part's health; [`log`] provisions the log and records skips;
//!   [`supervise`] restarts what `up` runs; [`datadir`] keeps one owner per data directory.

pub mod audit;
pub mod backup;
pub mod broker;
pub mod consumers;
pub mod ctx;
pub mod datadir;
pub mod demo;
pub mod demo_cmd;
pub mod deployment;
pub mod directory;
pub mod directory_registers;
pub mod evidence;
pub mod framework_import;
pub mod genesis;
pub mod history;
pub mod keeper;
pub mod log;
pub mod outcome;
pub mod reminders;
pub mod restructure;
pub mod rollup;
pub mod score_import;
pub mod scoring;
pub mod serve;
pub mod shutdown;
pub mod status;
pub mod supervise;
pub mod table;
pub mod task_history;
pub mod task_list;
pub mod tasks;
pub mod up;
pub mod up_services;
pub mod up_show;
pub mod view;
pub mod witness;
pub mod workbook;

use clap::{Parser, Subcommand};

/// Drive the reform-task tracker: commands, views, audits, and the embedded stack.
#[derive(Debug, Parser)]
#[command(name = "reformctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: ctx::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the whole stack on the embedded default: nats-server, every service, the views.
    Up(up::Args),
    /// Record the installation's first administrator (operators, once, with the services'
    /// broker credentials); signed with --key.
    Genesis(genesis::Args),
    #[command(flatten)]
    Directory(directory::Cmd),
    #[command(flatten)]
    Tasks(tasks::Cmd),
    #[command(flatten)]
    Evidence(evidence::Cmd),
    #[command(flatten)]
    Scoring(scoring::Cmd),
    /// Query the projector's views: a unit's progress, a peer group's ranking, a leader's timeline.
    View(view::Args),
    /// The reminders (đôn đốc): what is due within a week, what went overdue and what was
    /// completed since the last reminders, for a unit or the units a person leads.
    #[command(alias = "digest")] // its name until reminders and SHA-256 digests had one each
    Reminders(reminders::Args),
    /// Whether every service and the projector runs, how far each has read, and its last
    /// problem; exits non-zero when any part is stopped or stuck.
    Status,
    #[command(flatten)]
    Rollup(rollup::Cmd),
    #[command(flatten)]
    Audit(audit::Cmd),
    #[command(flatten)]
    Log(log::Cmd),
    #[command(flatten)]
    Witness(witness::Cmd),
    /// Back up the log, the evidence files, the reports and the operators' skips to a new
    /// directory (operators; never a private key).
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty broker: checked first, then the same log, identity and
    /// files (operators, with the services' credentials).
    Restore(backup::RestoreArgs),
    #[command(flatten)]
    Broker(broker::Cmd),
    #[command(flatten)]
    Deployment(deployment::Cmd),
    #[command(flatten)]
    Demo(demo_cmd::Cmd),
    /// Run one service on its own against --nats (as its own binary would).
    #[command(hide = true)]
    Serve(serve::Args),
}

/// Runs a parsed command line and reports how it ended (see [`outcome`]): the exit code.
pub async fn main(cli: Cli) -> u8 {
    let (json, lang) = (cli.global.json, cli.global.lang);
    let ctx = ctx::Ctx::new(cli.global);
    match dispatch(cli.command, &ctx).await {
        Ok(()) => 0,
        Err(e) => {
            let e = with_broker_refusals(e, &ctx);
            let e = with_retry_hint(e, &ctx);
            let issued = ctx.issued();
            outcome::report(&e, json, lang, issued.last())
        }
    }
}

/// A request the broker dropped for lack of permission goes unanswered: say so, rather than
/// that no service answered. (An auditor's credentials, say, may send no command.)
fn with_broker_refusals(error: anyhow::Error, ctx: &ctx::Ctx) -> anyhow::Error {
    let refusals = ctx.refusals();
    let Some(refusal) = refusals.first() else { return error };
    if error.chain().any(|e| e.downcast_ref::<outcome::Classified>().is_some()) {
        return error;
    }
    anyhow::Error::new(outcome::Classified {
        kind: outcome::ExitKind::Denied,
        message: format!(
            "the broker refused these credentials (--nats-nkey): {refusal}; see docs/security.md \
             for what each broker user may do ({})",
            reform_shared::edge::one_line(error.chain())
        ),
    })
}

/// After an `unavailable` answer the command may or may not be in the log: say how to find
/// out safely.
fn with_retry_hint(error: anyhow::Error, ctx: &ctx::Ctx) -> anyhow::Error {
    use reform_shared::command::{CommandError, FailureKind};
    let unavailable = error
        .chain()
        .filter_map(|e| e.downcast_ref::<CommandError>())
        .any(|e| e.kind() == FailureKind::Unavailable);
    match ctx.issued().last() {
        Some(id) if unavailable => error.context(format!(
            "command {id} may or may not have been recorded; run the same command again with \
             --command-id {id} to get its real answer (it is never applied twice)"
        )),
        _ => error,
    }
}

async fn dispatch(command: Command, ctx: &ctx::Ctx) -> anyhow::Result<()> {
    match command {
        Command::Up(args) => up::run(args, ctx).await,
        Command::Genesis(args) => genesis::run(args, ctx).await,
        Command::Directory(cmd) => directory::run(cmd, ctx).await,
        Command::Tasks(cmd) => tasks::run(cmd, ctx).await,
        Command::Evidence(cmd) => evidence::run(cmd, ctx).await,
        Command::Scoring(cmd) => scoring::run(cmd, ctx).await,
        Command::View(args) => view::run(args, ctx).await,
        Command::Reminders(args) => reminders::run(args, ctx).await,
        Command::Status => status::run(ctx).await,
        Command::Rollup(cmd) => rollup::run(cmd, ctx).await,
        Command::Audit(cmd) => audit::run(cmd, ctx).await,
        Command::Log(cmd) => log::run(cmd, ctx).await,
        Command::Witness(cmd) => witness::run(cmd).await,
        Command::Backup(args) => backup::backup(args, ctx).await,
        Command::Restore(args) => backup::restore(args, ctx).await,
        Command::Serve(args) => serve::run(args, ctx).await,
        Command::Broker(cmd) => broker::run(cmd),
        Command::Deployment(cmd) => deployment::run(cmd),
        Command::Demo(cmd) => demo_cmd::run(cmd, ctx).await,
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: warnings only, so output stays readable).
pub fn init_tracing() {
    reform_shared::edge::init_tracing("warn");
}

#[cfg(test)]
mod tests {
    /// clap checks a command line's definition only when that subcommand is parsed: check
    /// them all at once (two arguments named `--on` once reached a user as a panic).
    #[test]
    fn every_subcommand_is_well_formed() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
