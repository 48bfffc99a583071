//! Re-deriving every close, for an auditor: a period's rollup event is the one event no
//! person signs, so `audit verify` builds its report again from the log before it and requires
//! the digest the event records.
//!
//! One pass, beside the verifier's: fed the log's messages in order, the [`Rederiver`] keeps the
//! projection's state and the Merkle tree, and at each close's last covered sequence builds the
//! report exactly as the rollup service did ([`crate::close::assemble`]: the period's figures,
//! the checkpoint of the prefix, the restatements of the periods closed before it). It learns
//! the closes first ([`plan`]): every rollup event, read by subject before the pass, since the
//! state it needs has gone by when the event itself comes.

use crate::close::{assemble, restatable, restated_in};
use crate::report::{self, LogCheckpoint, Report};
use crate::RollupError;
use async_nats::jetstream;
use reform_projector::model::{apply, State};
use reform_shared::audit::Problem;
use reform_shared::checkpoint::LogTree;
use reform_shared::codec;
use reform_shared::event::{Event, Period};
use reform_shared::log::{self, Message, Range};
use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// One rollup event of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub sequence: u64,
    pub period: Period,
    /// The last sequence its report covers.
    pub through: u64,
    pub report_sha256: [u8; 32],
    /// The report the bucket holds under that digest, when it does: its checkpoint names the
    /// log's origin as it was when the period closed (a log restored into a new stream has
    /// another), and its figures say what differs.
    pub stored: Option<Report>,
}

/// Every rollup event of the log, in stream order, each with its stored report if the bucket
/// holds it. The subjects are few (five a year), so this reads little.
pub async fn plan(js: &jetstream::Context) -> Result<Vec<Close>, RollupError> {
    let mut closes = Vec::new();
    let range = Range::subjects("par.evt.rollup.>");
    log::read(js, &range, |message, record| {
        if let Some(Event::PeriodRolledUp { period, report_sha256, through_sequence }) =
            record.map(|r| r.envelope.event)
        {
            closes.push(Close {
                sequence: message.sequence,
                period,
                through: through_sequence,
                report_sha256,
                stored: None,
            });
        }
        ControlFlow::Continue(())
    })
    .await
    .map_err(|e| RollupError::Stream(e.into()))?;
    for close in &mut closes {
        let closed = crate::closed::ClosedPeriod {
            period: close.period,
            sequence: close.sequence,
            through_sequence: close.through,
            report_sha256: close.report_sha256,
        };
        close.stored = crate::closed::stored_report(js, &closed).await.ok();
    }
    Ok(closes)
}

/// A close's report as built from its own prefix, for the restatements of later closes.
#[derive(Debug)]
struct Built {
    sequence: u64,
    through: u64,
    report: Report,
}

/// The pass that re-derives the closes.
#[derive(Debug)]
pub struct Rederiver {
    /// This log's checkpoint origin.
    origin: String,
    /// By the sequence their reports end at, then their own.
    closes: Vec<Close>,
    next: usize,
    state: State,
    tree: LogTree,
    last: u64,
    built: BTreeMap<Period, Built>,
    rederived: u64,
    problems: Vec<Problem>,
}

impl Rederiver {
    /// `closes` as [`plan`] read them; `origin` the checkpoint origin of the log being read.
    pub fn new(origin: String, mut closes: Vec<Close>) -> Rederiver {
        closes.sort_by_key(|c| (c.through, c.sequence));
        let mut problems = Vec::new();
        let mut first: BTreeMap<Period, u64> = BTreeMap::new();
        for close in closes.iter().filter(|c| c.through >= c.sequence) {
            problems.push(Problem {
                sequence: close.sequence,
                what: format!(
                    "the rollup of {} claims to cover the log through sequence {}, at or after \
                     its own",
                    close.period, close.through
                ),
            });
        }
        let mut by_sequence: Vec<&Close> = closes.iter().collect();
        by_sequence.sort_by_key(|c| c.sequence);
        for close in by_sequence {
            if let Some(earlier) = first.insert(close.period, close.sequence) {
                first.insert(close.period, earlier);
                problems.push(Problem {
                    sequence: close.sequence,
                    what: format!(
                        "{} is rolled up again; it was closed at sequence {earlier}, and a \
                         period closes once",
                        close.period
                    ),
                });
            }
        }
        let mut rederiver = Rederiver {
            origin,
            closes,
            next: 0,
            state: State::default(),
            tree: LogTree::new(None),
            last: 0,
            built: BTreeMap::new(),
            rederived: 0,
            problems,
        };
        rederiver.settle();
        rederiver
    }

    /// The next message of the log, in order.
    pub fn push(&mut self, message: &Message) {
        let seq = message.sequence;
        match codec::decode(&message.payload) {
            Ok(record) => apply(&mut self.state, &record, seq),
            // Unreadable: the verifier names it, or an operator skipped it, as the rollup did.
            Err(_) => self.state.applied_through = seq,
        }
        self.tree.push(seq, &message.payload);
        self.last = seq;
        self.settle();
    }

    /// Builds every close whose report ends where the log read so far ends.
    fn settle(&mut self) {
        while let Some(close) = self.closes.get(self.next) {
            if close.through > self.last {
                return;
            }
            let close = close.clone();
            self.next += 1;
            if close.through < self.last {
                self.problem(
                    &close,
                    format!("its report covers through sequence {}, not in the log", close.through),
                );
                continue;
            }
            self.rederive(&close);
        }
    }

    fn rederive(&mut self, close: &Close) {
        let closed_before: Vec<(Period, Report)> = restatable(close.period)
            .filter_map(|before| {
                let b = self.built.get(&before)?;
                restated_in(b.sequence, b.through, close.through)
                    .then(|| (before, b.report.clone()))
            })
            .collect();
        let checkpoint = |origin: &str| LogCheckpoint {
            origin: origin.to_owned(),
            size: self.tree.size(),
            root_sha256: hex::encode(self.tree.root()),
        };
        // The origin the stored report names first: a restored log keeps its closes' origins.
        let mut origins: Vec<String> =
            close.stored.iter().map(|r| r.log_checkpoint.origin.clone()).collect();
        origins.push(self.origin.clone());
        let mut derived = None;
        for origin in &origins {
            let report = assemble(
                &self.state,
                close.period,
                close.through,
                checkpoint(origin),
                &closed_before,
            );
            let digest = report::sha256(&report::json(&report));
            let matches = digest == close.report_sha256;
            derived = Some((report, digest));
            if matches {
                break;
            }
        }
        let Some((report, digest)) = derived else { return };
        if digest == close.report_sha256 {
            self.rederived += 1;
        } else {
            let what = mismatch(close, &report, digest);
            self.problem(close, what);
        }
        let mut own = report;
        own.restated.clear();
        own.log_checkpoint = LogCheckpoint::default();
        let built = Built { sequence: close.sequence, through: close.through, report: own };
        self.built.entry(close.period).or_insert(built);
    }

    fn problem(&mut self, close: &Close, what: String) {
        self.problems.push(Problem {
            sequence: close.sequence,
            what: format!("the rollup of {}: {what}", close.period),
        });
    }

    /// How many closes matched, and the problems found, once the whole log has been pushed.
    pub fn finish(mut self) -> (u64, Vec<Problem>) {
        let unreached = self.closes.split_off(self.next);
        for close in &unreached {
            let what = format!(
                "its report covers through sequence {}, past the log's end at {}",
                close.through, self.last
            );
            self.problem(close, what);
        }
        self.problems.sort_by_key(|p| p.sequence);
        (self.rederived, self.problems)
    }
}

/// What differs between a close and its report built again: the digests, and where the bucket
/// holds the report the close names, its first differing figures and checkpoint.
fn mismatch(close: &Close, derived: &Report, digest: [u8; 32]) -> String {
    let mut what = format!(
        "its event records report {}, but the log through sequence {} gives {}",
        hex::encode(close.report_sha256),
        close.through,
        hex::encode(digest)
    );
    let Some(stored) = &close.stored else {
        what.push_str(" (the bucket holds no report of the recorded digest to compare figures)");
        return what;
    };
    let differences = crate::diff::compare(derived, stored);
    let shown: Vec<String> = differences
        .iter()
        .take(3)
        .map(|d| {
            let (figure, from, to) = crate::diff::readable(d, |_, en| en);
            format!("{} {figure}: the log gives {from}, the report says {to}", d.unit)
        })
        .collect();
    if !shown.is_empty() {
        let more = differences.len().saturating_sub(shown.len());
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        what.push_str(&format!("; {}{more}", shown.join("; ")));
    } else if stored.log_checkpoint != derived.log_checkpoint {
        what.push_str(&format!(
            "; the report's checkpoint is size {} root {}, the log's prefix is size {} root {}",
            stored.log_checkpoint.size,
            stored.log_checkpoint.root_sha256,
            derived.log_checkpoint.size,
            derived.log_checkpoint.root_sha256
        ));
    }
    what
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::event::UnitKind;
    use reform_shared::testkit::events::*;
    use reform_shared::testkit::{chained_log, draft};

    fn messages() -> Vec<Message> {
        let drafts = vec![
            draft("a", "2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
            draft("b", "2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
            draft("c", "2016-03-20", complete("t1", "sgd")),
        ];
        chained_log(drafts)
            .into_iter()
            .map(|(sequence, subject, payload)| Message {
                sequence,
                subject,
                payload,
                stored_at: None,
            })
            .collect()
    }

    /// The report the rollup service would record for `period` over the first `through`
    /// messages of `log`.
    fn honest(log: &[Message], period: Period, through: u64) -> [u8; 32] {
        let mut state = State::default();
        let mut tree = LogTree::new(None);
        for m in log.iter().take_while(|m| m.sequence <= through) {
            apply(&mut state, &codec::decode(&m.payload).expect("decodes"), m.sequence);
            tree.push(m.sequence, &m.payload);
        }
        let checkpoint = LogCheckpoint {
            origin: "reform-tracker PAR_EVENTS@1".into(),
            size: tree.size(),
            root_sha256: hex::encode(tree.root()),
        };
        report::sha256(&report::json(&assemble(&state, period, through, checkpoint, &[])))
    }

    fn close(sequence: u64, period: &str, through: u64, report_sha256: [u8; 32]) -> Close {
        let period = period.parse().expect("period");
        Close { sequence, period, through, report_sha256, stored: None }
    }

    #[test]
    fn a_close_matches_only_the_report_of_its_own_prefix() {
        let log = messages();
        let q1: Period = "2016-q1".parse().expect("period");
        let right = honest(&log, q1, 3);
        let closes = vec![
            close(4, "2016-q1", 3, right),
            // The report of two messages, claimed for three.
            close(5, "2016-h1", 3, honest(&log, q1, 2)),
            close(6, "2016-q3", 9, right),
        ];
        let mut rederiver = Rederiver::new("reform-tracker PAR_EVENTS@1".into(), closes);
        log.iter().for_each(|m| rederiver.push(m));
        let (matched, problems) = rederiver.finish();
        assert_eq!(matched, 1);
        let said: Vec<(u64, &str)> =
            problems.iter().map(|p| (p.sequence, p.what.as_str())).collect();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[0].1.contains("2016-h1: its event records report"), "{said:?}");
        assert!(said[1].1.contains("at or after its own"), "{said:?}");
        assert!(said[2].1.contains("past the log's end at 3"), "{said:?}");
        // Under another origin, the same prefix gives another digest.
        let mut other = Rederiver::new(
            "reform-tracker PAR_EVENTS@2".into(),
            vec![close(4, "2016-q1", 3, right)],
        );
        log.iter().for_each(|m| other.push(m));
        assert_eq!(other.finish().0, 0);
    }
}
