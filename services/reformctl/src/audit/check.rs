//! `audit verify`: the live log, or an export, checked message by message, and held against an
//! earlier checkpoint, and the witnesses' quorum a policy names, when given.

use super::checkpoints::{anchor, hold_against};
use super::verify::Verifier;
use super::{progress, transfer};
use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use reform_shared::audit::read::{verify_stream, VERIFY_BATCH};
use reform_shared::checkpoint;
use std::path::{Path, PathBuf};

/// What the log is held against besides itself.
pub(super) struct Against {
    pub(super) checkpoint: Option<PathBuf>,
    pub(super) log_key: Option<String>,
    pub(super) policy: Option<PathBuf>,
    pub(super) allow_unsigned: bool,
}

impl Against {
    fn verifier(&self) -> Verifier {
        match self.allow_unsigned {
            true => reform_audit::verifier_allowing_unsigned(),
            false => reform_audit::verifier(),
        }
    }
}

pub(super) fn export(ctx: &Ctx, path: &Path, against: &Against) -> anyhow::Result<()> {
    let Against { checkpoint, log_key, policy, .. } = against;
    let anchor = anchor(checkpoint.as_ref(), log_key.as_ref(), policy.as_ref())?;
    let messages = transfer::read_export(path)?;
    let mut verifier = against.verifier();
    let mut tree = anchor.as_ref().map(|a| checkpoint::LogTree::new(Some(a.checkpoint.size)));
    let bar = progress(messages.len() as u64);
    for batch in messages.chunks(VERIFY_BATCH) {
        verifier.check_all(batch, |_| None);
        if let Some(tree) = tree.as_mut() {
            batch.iter().for_each(|m| tree.push(m.sequence, &m.payload));
        }
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    if let (Some(tree), Some(anchor)) = (&tree, &anchor) {
        hold_against(&mut verifier, tree, anchor);
    }
    conclude(verifier, ctx)
}

pub(super) async fn live(ctx: &Ctx, against: &Against) -> anyhow::Result<()> {
    let Against { checkpoint, log_key, policy, .. } = against;
    let anchor = anchor(checkpoint.as_ref(), log_key.as_ref(), policy.as_ref())?;
    let mut tree = anchor.as_ref().map(|a| checkpoint::LogTree::new(Some(a.checkpoint.size)));
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client);
    let mut verifier = against.verifier();
    let mut rederiver = rederiver(&js, &mut verifier).await;
    let bar = std::cell::OnceCell::new();
    let info = verify_stream(
        &js,
        &mut verifier,
        |head| {
            let _ = bar.set(progress(head));
        },
        |batch| {
            if let Some(tree) = tree.as_mut() {
                batch.iter().for_each(|m| tree.push(m.sequence, &m.payload));
            }
            if let Some(rederiver) = rederiver.as_mut() {
                batch.iter().for_each(|m| rederiver.push(m));
            }
            if let Some(bar) = bar.get() {
                bar.inc(batch.len() as u64);
            }
        },
    )
    .await?;
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    if let Some(rederiver) = rederiver {
        let (matched, problems) = rederiver.finish();
        verifier.closes_rederived(matched, problems);
    }
    if let Some(anchor) = &anchor {
        let identity = reform_shared::stream::LogIdentity::of(&info);
        let origin = checkpoint::origin_of(&identity);
        if anchor.checkpoint.origin != origin {
            verifier.log_problem(format!(
                    "the checkpoint is of the log \"{}\"; this one is \"{origin}\" (recreated or another stack)",
                    anchor.checkpoint.origin
                ));
        }
    }
    if let (Some(tree), Some(anchor)) = (&tree, &anchor) {
        hold_against(&mut verifier, tree, anchor);
    }
    conclude(verifier, ctx)
}

/// The pass that builds every period's report again beside the verifier's, once it knows the
/// closes; when they cannot be read, a problem says so and the rest is still checked.
async fn rederiver(
    js: &async_nats::jetstream::Context,
    verifier: &mut Verifier,
) -> Option<reform_rollup::rederive::Rederiver> {
    let planned = match reform_shared::stream::current_identity(js).await {
        Ok(identity) => reform_rollup::rederive::plan(js)
            .await
            .map(|closes| (checkpoint::origin_of(&identity), closes))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match planned {
        Ok((origin, closes)) => Some(reform_rollup::rederive::Rederiver::new(origin, closes)),
        Err(e) => {
            verifier.log_problem(format!("the periods' reports could not be built again: {e}"));
            None
        }
    }
}

fn conclude(verifier: Verifier, ctx: &Ctx) -> anyhow::Result<()> {
    let verdict = verifier.finish();
    if ctx.json() {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        for p in &verdict.problems {
            if p.sequence == 0 {
                println!("log: {}", p.what);
            } else {
                println!("sequence {}: {}", p.sequence, p.what);
            }
        }
        for s in &verdict.skipped {
            println!(
                "sequence {s}: unreadable, skipped by an operator (see `reformctl log skips`)"
            );
        }
        println!("{}", verdict.line());
    }
    if verdict.passed {
        Ok(())
    } else {
        Err(Classified { kind: ExitKind::CheckFailed, message: verdict.line() }.into())
    }
}
