//! Reading the log as stored, for the checks that need its bytes (not its decoded events).

use super::verify::{Message, Verdict, Verifier};
use crate::log::{self, Range, Skips};
use crate::subject::STREAM_NAME;
use async_nats::jetstream;
use std::ops::ControlFlow;

/// How many messages go to [`Verifier::check_all`] at once.
pub const VERIFY_BATCH: usize = 8192;

pub use crate::log::ReadError;

/// The stream's settings and its last sequence.
pub async fn stream_info(js: &jetstream::Context) -> Result<jetstream::stream::Info, ReadError> {
    let mut stream = js.get_stream(STREAM_NAME).await.map_err(ReadError::stream)?;
    Ok(stream.info().await.map_err(ReadError::stream)?.clone())
}

/// Checks the live log with `verifier`: the stream's settings (what would let history be
/// erased), then every message through the head it has now, with the operators' recorded
/// skips. `each_batch` sees each batch after it is checked (for a Merkle tree, a progress
/// bar), and `head` is told first. Returns the stream's information as read at the start.
pub async fn verify_stream(
    js: &jetstream::Context,
    verifier: &mut Verifier,
    head: impl FnOnce(u64),
    each_batch: impl FnMut(&[Message]),
) -> Result<jetstream::stream::Info, ReadError> {
    let info = stream_info(js).await?;
    for what in settings_problems(&info) {
        verifier.log_problem(what.to_owned());
    }
    let skips = Skips::load(js).await?;
    head(info.state.last_sequence);
    check_after(js, verifier, 0, info.state.last_sequence, &skips, each_batch).await?;
    Ok(info)
}

/// What in the stream's settings would let history be erased.
fn settings_problems(info: &jetstream::stream::Info) -> Vec<&'static str> {
    [
        (!info.config.deny_delete)
            .then_some("the stream allows deleting messages (deny_delete is off)"),
        (!info.config.deny_purge).then_some("the stream allows purging (deny_purge is off)"),
        info.config.allow_rollup.then_some("the stream allows rollups, which erase history"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Checks the messages after `after` through `head` with `verifier`, in batches.
async fn check_after(
    js: &jetstream::Context,
    verifier: &mut Verifier,
    after: u64,
    head: u64,
    skips: &Skips,
    mut each_batch: impl FnMut(&[Message]),
) -> Result<(), ReadError> {
    let mut batch = Vec::with_capacity(VERIFY_BATCH);
    let mut flush = |batch: &mut Vec<Message>| {
        verifier.check_all(batch, |sequence| skips.get(sequence));
        each_batch(batch);
        batch.clear();
    };
    log::read_raw(js, &Range::between(after, head), |m| {
        batch.push(m);
        if batch.len() == VERIFY_BATCH {
            flush(&mut batch);
        }
        ControlFlow::Continue(())
    })
    .await?;
    flush(&mut batch);
    Ok(())
}

/// The verdict on a live log, kept up to date by checking only what was appended since the
/// last time: a log of ten million events is read once, not at every look. It starts over
/// when what it checked may no longer hold: the stream is another log (made again), it is
/// shorter than what was checked, or the operators' skips changed.
///
/// A refresh cut short (a broker error, a visitor who gave up) keeps what it checked: the next
/// one resumes after the last message the verifier took, which is its own record, so nothing is
/// checked twice.
#[derive(Debug)]
pub struct LiveVerdict {
    verifier: Verifier,
    /// A verifier as a check from the first message needs it (with every service's decider).
    fresh: fn() -> Verifier,
    log: Option<crate::stream::LogIdentity>,
    skips: Skips,
}

impl LiveVerdict {
    /// A verdict kept with the verifiers `fresh` makes.
    pub fn new(fresh: fn() -> Verifier) -> Self {
        Self { verifier: fresh(), fresh, log: None, skips: Skips::default() }
    }

    /// Checks what was appended since the last call and returns the verdict on the whole log.
    pub async fn refresh(&mut self, js: &jetstream::Context) -> Result<Verdict, ReadError> {
        let info = stream_info(js).await?;
        let skips = Skips::load(js).await?;
        let head = info.state.last_sequence;
        let log = crate::stream::LogIdentity::of(&info);
        if self.log.as_ref() != Some(&log) || head < self.through() || skips != self.skips {
            *self = LiveVerdict { log: Some(log), skips, ..LiveVerdict::new(self.fresh) };
        }
        let after = self.through();
        check_after(js, &mut self.verifier, after, head, &self.skips, |_| {}).await?;
        let mut verdict = self.verifier.verdict();
        let settings = settings_problems(&info)
            .into_iter()
            .map(|what| super::verify::Problem { sequence: 0, what: what.to_owned() });
        verdict.problems.splice(0..0, settings);
        verdict.passed = verdict.problems.is_empty();
        Ok(verdict)
    }

    /// The last stream sequence checked.
    pub fn through(&self) -> u64 {
        self.verifier.checked_through()
    }
}
