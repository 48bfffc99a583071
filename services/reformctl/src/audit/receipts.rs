//! `audit receipt`: a message's receipt from the published tiles, for an operator to hand to
//! whoever asks. `audit check-receipt`: a receipt (c2sp.org/tlog-proof, from the dashboard's
//! `/log/receipt/N`) checked offline against a trust policy, with no broker: the checkpoint is
//! the policy's log's and its quorum cosigned it, and the message is in its tree. With
//! `--report`, the report file is the one the receipt's close event names.

use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use reform_shared::event::Event;
use reform_shared::tlog::receipt::Receipt;
use sha2::Digest as _;
use std::path::Path;

pub(super) async fn give(
    ctx: &crate::ctx::Ctx,
    sequence: u64,
    tiles: &Path,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(ctx.client().await?);
    let dir = reform_tlog::store::TileDir::new(tiles);
    let receipt = reform_tlog::receipt::from_log(&js, &dir, sequence)
        .await
        .map_err(|e| Classified { kind: ExitKind::Unavailable, message: e.to_string() })?;
    let text = receipt.to_text();
    if let Some(out) = out {
        std::fs::write(out, &text).with_context(|| format!("could not write {}", out.display()))?;
    }
    print!("{text}");
    Ok(())
}

fn failed(message: String) -> anyhow::Error {
    Classified { kind: ExitKind::CheckFailed, message }.into()
}

pub(super) fn check(receipt: &Path, policy: &Path, report: Option<&Path>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(receipt)
        .with_context(|| format!("could not read {}", receipt.display()))?;
    let policy = reform_tlog::read_policy(policy)
        .map_err(|e| Classified { kind: ExitKind::Invalid, message: e.to_string() })?;
    let parsed = Receipt::parse(&text).map_err(|e| Classified {
        kind: ExitKind::Invalid,
        message: format!("{}: {e}", receipt.display()),
    })?;
    let checked =
        parsed.check(&policy).map_err(|e| failed(format!("{}: {e}", receipt.display())))?;
    let record = reform_shared::codec::decode(&parsed.message)
        .map_err(|e| failed(format!("the message in the receipt does not decode: {e}")))?;
    let event = &record.envelope.event;
    println!(
        "included: message {} ({}, recorded {}) is in the log of {} messages, cosigned by {}",
        parsed.sequence,
        event.type_name(),
        record.envelope.recorded_at.to_rfc3339(),
        checked.checkpoint.size,
        if checked.cosigned.is_empty() {
            "no witness (none required)".to_owned()
        } else {
            checked.cosigned.join(", ")
        }
    );
    let Some(report) = report else { return Ok(()) };
    let Event::PeriodRolledUp { period, report_sha256, .. } = event else {
        return Err(failed(format!(
            "message {} closes no period: it names no report",
            parsed.sequence
        )));
    };
    let bytes =
        std::fs::read(report).with_context(|| format!("could not read {}", report.display()))?;
    let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    if digest != *report_sha256 {
        return Err(failed(format!(
            "{} is not the report of {period} the log records: its SHA-256 is {}, the close names {}",
            report.display(),
            hex::encode(digest),
            hex::encode(report_sha256)
        )));
    }
    println!("the report {} is the one the close of {period} names", report.display());
    Ok(())
}
