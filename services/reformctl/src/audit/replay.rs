//! `reformctl audit replay`: a view as it was known at a moment, as true at a business date, or
//! both (what did we believe on 1 July about 31 March), computed from a prefix of the log with
//! the projector's own pure model and views, never from the live views file.

use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use crate::view::{self, Cmd as View};
use anyhow::Context as _;
use reform_projector::model::{apply, State};
use reform_projector::store::{Flush, Item, Store};
use reform_projector::views::{self as views, Basis, QueryError};
use reform_rollup::log::{self, End};
use reform_shared::time::Date;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// As known at the end of this day (Vietnam time): only events recorded on or before it.
    #[arg(long, conflicts_with = "through")]
    pub known_at: Option<Date>,
    /// Only the events through this stream sequence.
    #[arg(long)]
    pub through: Option<u64>,
    /// Also write the replayed views to this new file (redb), for the projector's tools; never
    /// the live views.
    #[arg(long)]
    pub views: Option<PathBuf>,
    /// The view; its `--as-of` is "as true at" within the replayed log.
    #[command(subcommand)]
    pub view: View,
}

/// How many events go into one write transaction of a replayed views file.
const BATCH: usize = 4096;

pub async fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let head = log::head(&js).await?;
    let end = match (args.known_at, args.through) {
        (Some(day), _) => End::known_at(day, head),
        (None, Some(seq)) => End::Sequence(seq.min(head)),
        (None, None) => End::Sequence(head),
    };
    let store = match &args.views {
        Some(path) if path.exists() => {
            return Err(Classified {
                kind: ExitKind::Invalid,
                message: format!(
                    "{} exists; a replay writes a new views file, never an existing one",
                    path.display()
                ),
            }
            .into())
        }
        Some(path) => Some(
            Store::open(path).with_context(|| format!("could not create {}", path.display()))?,
        ),
        None => None,
    };
    let mut state = State::default();
    let mut batch: Vec<Item> = Vec::new();
    let mut failed = None;
    let through = log::for_each_in_prefix(&js, end, |seq, record, _| {
        match record {
            Some(record) => apply(&mut state, record, seq),
            None => state.applied_through = seq,
        }
        if let Some(store) = &store {
            batch.push(Item::new(seq, record.cloned()));
            if batch.len() >= BATCH {
                if let Err(e) = store.apply_batch(&batch, Flush::Deferred) {
                    failed.get_or_insert(e);
                }
                batch.clear();
            }
        }
    })
    .await?;
    if let Some(store) = &store {
        store.apply_batch(&batch, Flush::Durable)?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if let Ok(identity) = reform_shared::stream::current_identity(&js).await {
            store.set_log_identity(&identity.to_text())?;
        }
    }
    // "As known at D": the live rules judged on D; with --as-of, as true at that date.
    let known_on = args.known_at.unwrap_or_else(Date::today_in_vietnam);
    let basis = |as_of: Option<Date>| {
        as_of.map_or(Basis::Live { today: known_on }, |date| Basis::AsTrueAt { date })
    };
    if !ctx.json() {
        let known =
            args.known_at.map_or_else(|| "now".to_owned(), |d| format!("at the end of {d}"));
        eprintln!("replayed the log through sequence {through} (as known {known})");
    }
    let not_found = |e: QueryError| -> anyhow::Error {
        Classified { kind: ExitKind::NotFound, message: e.to_string() }.into()
    };
    match args.view {
        View::Unit { unit, year, as_of } => {
            let v = views::unit_progress(&state, &unit, year, basis(as_of)).map_err(not_found)?;
            show(ctx, &v, view::render_unit)
        }
        View::Ranking { parent, kind, year, as_of } => {
            let v = views::ranking(&state, &parent, kind, year, basis(as_of)).map_err(not_found)?;
            show(ctx, &v, view::render_ranking)
        }
        View::Timeline { person, as_of } => {
            let v = views::timeline(&state, &person, basis(as_of)).map_err(not_found)?;
            show(ctx, &v, view::render_timeline)
        }
        View::National { kind, year, as_of } => {
            let v = views::national_in(&state, kind, year, basis(as_of));
            show(ctx, &v, view::render_national)
        }
    }
}

fn show<T: serde::Serialize>(ctx: &Ctx, view: &T, render: fn(&T) -> String) -> anyhow::Result<()> {
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(view)?);
    } else {
        print!("{}", render(view));
    }
    Ok(())
}
