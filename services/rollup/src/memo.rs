//! What the service has read of the log, kept between closes, so that each close reads only
//! what is new: the prefix of its last report (the state and the Merkle tree), the directory
//! through the head (for the administrator check of a close by hand), and the base report of
//! every period it closed (what a later report restates against).
//!
//! Before this a close read the whole log two to nine times (the directory, its own prefix, and
//! each earlier period of the two years it may restate), and the service answers one request at
//! a time: about 3.5 s a close on the demo in a debug build, closes timing out for clients on a
//! loaded cluster. The bytes are the same either way: a prefix is extended only where reading
//! it from the start would hand out the same events ([`Prefix::extends_to`]); the unit tests
//! and `tests/rollups.rs` hold the reports to the ones read from scratch.

use crate::log::{self, End};
use crate::report::Report;
use crate::RollupError;
use async_nats::jetstream;
use reform_projector::model::{apply, State};
use reform_shared::checkpoint::LogTree;
use reform_shared::directory::Directory;
use reform_shared::event::Period;
use reform_shared::stream::LogIdentity;
use reform_shared::time::Timestamp;
use std::collections::BTreeMap;

/// A prefix of the log as read: the state after it and the tree over its messages.
#[derive(Debug)]
pub struct Prefix {
    pub state: State,
    pub tree: LogTree,
    /// Its last sequence.
    pub through: u64,
    /// The latest recording time among its events.
    latest: Option<Timestamp>,
}

impl Prefix {
    fn empty() -> Prefix {
        Prefix { state: State::default(), tree: LogTree::new(None), through: 0, latest: None }
    }

    /// Whether reading `end` from the start would hand out this prefix's messages first, so
    /// that reading on from its last one gives the same prefix. A prefix ending at a sequence
    /// takes every message up to it; one ending at a recording time stops at the first event
    /// recorded at or after it, which none of ours was.
    pub fn extends_to(&self, end: End) -> bool {
        end.limit() >= self.through
            && match end {
                End::Sequence(_) => true,
                End::RecordedBefore { at, .. } => self.latest.is_none_or(|latest| latest < at),
            }
    }

    async fn read_on(&mut self, js: &jetstream::Context, end: End) -> Result<(), RollupError> {
        let Prefix { state, tree, latest, .. } = self;
        self.through = log::for_each_after(js, self.through, end, |seq, record, payload| {
            tree.push(seq, payload);
            match record {
                Some(record) => {
                    *latest = (*latest).max(Some(record.envelope.recorded_at));
                    apply(state, record, seq);
                }
                None => state.applied_through = seq,
            }
        })
        .await?;
        Ok(())
    }
}

/// How many base reports are remembered.
const BASES: usize = 16;

/// The service's memory of the log, for one log (a different identity starts it afresh).
#[derive(Debug, Default)]
pub struct Memo {
    identity: Option<LogIdentity>,
    prefix: Option<Prefix>,
    directory: Option<(u64, Directory)>,
    /// `(period, through)` → the period's base report ([`crate::report::build`]) over the
    /// prefix through that sequence.
    bases: BTreeMap<(Period, u64), Report>,
}

impl Memo {
    /// Forgets everything when the stream now holds another log than the one remembered.
    pub async fn same_log(&mut self, js: &jetstream::Context) -> Result<LogIdentity, RollupError> {
        let identity = reform_shared::stream::current_identity(js)
            .await
            .map_err(|e| RollupError::Stream(e.into()))?;
        if self.identity.as_ref() != Some(&identity) {
            *self = Memo { identity: Some(identity.clone()), ..Memo::default() };
        }
        Ok(identity)
    }

    /// The prefix `end` names, read on from the one remembered where that gives the same
    /// events, from the start otherwise. It is the caller's until it [`Memo::keep`]s it.
    pub async fn prefix(
        &mut self,
        js: &jetstream::Context,
        end: End,
    ) -> Result<Prefix, RollupError> {
        let mut prefix = match self.prefix.take() {
            Some(p) if p.extends_to(end) => p,
            _ => Prefix::empty(),
        };
        prefix.read_on(js, end).await?;
        Ok(prefix)
    }

    /// Remembers `prefix` for the next close to read on from.
    pub fn keep(&mut self, prefix: Prefix) {
        self.prefix = Some(prefix);
    }

    /// The directory through `head`.
    pub async fn directory(
        &mut self,
        js: &jetstream::Context,
        head: u64,
    ) -> Result<&Directory, RollupError> {
        let (mut through, mut directory) = match self.directory.take() {
            Some((through, d)) if through <= head => (through, d),
            _ => (0, Directory::default()),
        };
        through = log::for_each_after(js, through, End::Sequence(head), |_, record, _| {
            if let Some(record) = record {
                directory.apply(&record.envelope.event);
            }
        })
        .await?;
        Ok(&self.directory.insert((through, directory)).1)
    }

    /// The base report of `period` over the prefix through `through`, if remembered.
    pub fn base(&self, period: Period, through: u64) -> Option<&Report> {
        self.bases.get(&(period, through))
    }

    /// Remembers a base report; only the newest [`BASES`] are kept (a report restates the
    /// periods of its own year and the year before, eight at most).
    pub fn remember_base(&mut self, period: Period, through: u64, report: Report) {
        self.bases.insert((period, through), report);
        while self.bases.len() > BASES {
            self.bases.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(through: u64, latest: Option<i64>) -> Prefix {
        Prefix { through, latest: latest.map(Timestamp), ..Prefix::empty() }
    }

    #[test]
    fn a_prefix_extends_only_where_a_read_from_the_start_hands_out_its_messages_first() {
        let at = |ms| End::RecordedBefore { at: Timestamp(ms), head: 100 };
        let p = prefix(10, Some(5_000));
        assert!(p.extends_to(End::Sequence(10)));
        assert!(p.extends_to(End::Sequence(50)));
        assert!(!p.extends_to(End::Sequence(9)), "a shorter prefix is read afresh");
        assert!(p.extends_to(at(5_001)), "every event of it was recorded before");
        assert!(!p.extends_to(at(5_000)), "a read from the start stops at its latest event");
        assert!(!p.extends_to(at(1_000)));
        assert!(!p.extends_to(End::RecordedBefore { at: Timestamp(9_000), head: 9 }));
        assert!(prefix(0, None).extends_to(at(0)), "nothing read extends to anything");
    }
}
