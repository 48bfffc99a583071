//! Checking a log message by message: pure, so the same checker runs on the stream and on an
//! export, and is tested on logs damaged on purpose.
//!
//! For every message, in order:
//! - its stream sequence follows the one before (the stream keeps everything, so a gap is a
//!   removal);
//! - it decodes, its digest checks (or an operator's recorded skip covers exactly its bytes);
//! - it was published on the subject its event belongs on;
//! - its chain link is the next of its aggregate: the version one more than the last one seen,
//!   and the previous digest that of the aggregate's last event. So an event altered in place
//!   (with its digest recomputed) breaks the link of the aggregate's next event, and two events
//!   of one aggregate swapped or one removed break the versions;
//! - who recorded it: a person's event carries the request they signed, the signature holds
//!   for it, the request names the event's command id, actor and business date, the key was
//!   the actor's and valid at that point of the log, and the access table
//!   ([`crate::access`]) allowed the actor to record the event; only a service records
//!   a service's event. The directory this needs is the log's own, applied as the check goes;
//! - what was recorded: with a [`Redecider`] (every service's decider), the signed request is
//!   decided again on the state before the event and must give exactly the event in the log
//!   ([`super::redecide`]);
//! - its command id is used by no earlier event: one command, one event.
//!
//! An event that fails a check of who recorded it or what was recorded is not honoured: it is
//! not applied to the state later events are checked against, as a service must not honour it.

pub use super::recorder::Unsigned;
use super::recorder::{self, Standing};
use super::redecide::{self, Redecider};
use crate::codec;
use crate::skips::Skip;
use crate::subject::Aggregate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use crate::log::Message;

/// How far a recorded time may run ahead of the broker's, for clocks kept by NTP on different
/// machines; more is a clock that runs ahead, and every time it records is in the future.
pub const CLOCK_AHEAD_MAX_MS: i64 = 5 * 60 * 1000;

pub use super::Problem;

/// What an auditor reads at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub passed: bool,
    pub messages: u64,
    pub aggregates: u64,
    /// People's events whose signature, key and access checked.
    pub signed: u64,
    /// Of those, the ones signed with a passkey in a browser.
    pub by_passkey: u64,
    /// Who signed with a passkey, by person id, in order.
    pub passkey_signers: Vec<String>,
    /// People's events without a signature, when those are allowed (`--allow-unsigned`).
    pub unsigned: u64,
    /// Unreadable messages an operator recorded a skip for (not problems, but listed).
    pub skipped: Vec<u64>,
    /// Periods' rollup events whose reports were built again from the log before them and
    /// gave the digest they record (`reform_rollup::rederive`).
    pub closes_rederived: u64,
    pub problems: Vec<Problem>,
}

impl Verdict {
    /// The one-line verdict.
    pub fn line(&self) -> String {
        let mut skipped = String::new();
        if self.signed > 0 {
            skipped.push_str(&format!(", {} signed by their people", self.signed));
        }
        if self.by_passkey > 0 {
            let people = self.passkey_signers.len();
            let by = if people == 1 { "1 person".to_owned() } else { format!("{people} people") };
            skipped.push_str(&format!(" ({} of them with a passkey, by {by})", self.by_passkey));
        }
        if self.unsigned > 0 {
            skipped.push_str(&format!(", {} unsigned (allowed)", self.unsigned));
        }
        if !self.skipped.is_empty() {
            skipped.push_str(&format!(", {} skipped by an operator", self.skipped.len()));
        }
        if self.closes_rederived > 0 {
            skipped.push_str(&format!(
                ", {} period reports built again from the log",
                self.closes_rederived
            ));
        }
        if self.passed {
            format!(
                "PASS: {} messages, {} aggregates, no problem{skipped}",
                self.messages, self.aggregates
            )
        } else {
            let n = self.problems.len();
            let problems = if n == 1 { "1 problem".to_owned() } else { format!("{n} problems") };
            format!(
                "FAIL: {problems} in {} messages, {} aggregates{skipped}",
                self.messages, self.aggregates
            )
        }
    }
}

impl Verdict {
    /// The one-line verdict in Vietnamese, for the auditors' page.
    pub fn line_vi(&self) -> String {
        let mut more = String::new();
        if self.signed > 0 {
            more.push_str(&format!(", {} bản ghi có chữ ký của người ra lệnh", self.signed));
        }
        if self.by_passkey > 0 {
            let people = self.passkey_signers.len();
            more.push_str(&format!(
                " ({} ký bằng khóa truy cập, của {people} người)",
                self.by_passkey
            ));
        }
        if self.unsigned > 0 {
            more.push_str(&format!(", {} bản ghi không chữ ký (được phép)", self.unsigned));
        }
        if !self.skipped.is_empty() {
            more.push_str(&format!(", {} bản ghi người vận hành cho bỏ qua", self.skipped.len()));
        }
        if self.closes_rederived > 0 {
            more.push_str(&format!(
                ", {} báo cáo kỳ được lập lại từ sổ ghi và khớp",
                self.closes_rederived
            ));
        }
        let (messages, aggregates) = (self.messages, self.aggregates);
        if self.passed {
            format!("ĐẠT: {messages} bản ghi, {aggregates} đối tượng, không có sai sót{more}")
        } else {
            let n = self.problems.len();
            format!("KHÔNG ĐẠT: {n} sai sót trong {messages} bản ghi, {aggregates} đối tượng{more}")
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Tip {
    version: u64,
    digest: [u8; 32],
    sequence: u64,
}

/// What a message allows on its own, before the checks that need the log before it: its
/// decoding, and whether the signature it carries holds for the request it names.
#[derive(Debug)]
struct Prepared {
    record: Result<crate::envelope::Record, codec::DecodeError>,
    /// `None` when the event carries no person's signature.
    signed: Option<Result<(), crate::sign::SignError>>,
}

fn prepare(message: &Message) -> Prepared {
    let record = codec::decode(&message.payload);
    let signed = record.as_ref().ok().and_then(|r| {
        let envelope = &r.envelope;
        let crate::envelope::Actor::Person(person) = &envelope.actor else { return None };
        let signature = envelope.signature.as_ref()?;
        Some(recorder::signed_request(envelope, person, signature))
    });
    Prepared { record, signed }
}

/// The checker's state between messages.
#[derive(Debug, Default)]
pub struct Verifier {
    last_sequence: u64,
    messages: u64,
    tips: BTreeMap<String, Tip>,
    skipped: Vec<u64>,
    problems: Vec<Problem>,
    /// The directory as the log so far has it: whose keys, who holds what.
    directory: crate::directory::Directory,
    unsigned: Unsigned,
    /// People's events whose signature and access checked, and those without a signature.
    signed: u64,
    by_passkey: u64,
    passkey_signers: std::collections::BTreeSet<String>,
    unsigned_seen: u64,
    /// Every service's decider, when the log is decided again ([`Verifier::redeciding`]).
    redecider: Redecider,
    closes_rederived: u64,
    /// The first sequence of every command id, by the id's digest (16 bytes of SHA-256: a
    /// national log's ten million ids in a few hundred megabytes, with no collision to fear).
    commands: HashMap<u128, u64>,
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier that counts people's unsigned events instead of failing them.
    pub fn allowing_unsigned() -> Self {
        Self { unsigned: Unsigned::Allowed, ..Self::default() }
    }

    /// Decides every person's signed event again with `redecider` (see [`super::redecide`]).
    pub fn redeciding(self, redecider: Redecider) -> Self {
        Self { redecider, ..self }
    }

    fn problem(&mut self, sequence: u64, what: String) {
        self.problems.push(Problem { sequence, what });
    }

    /// What building the periods' reports again found, by a pass beside this one: the number
    /// that matched their events, and a problem for each that did not.
    pub fn closes_rederived(&mut self, matched: u64, problems: Vec<Problem>) {
        self.closes_rederived += matched;
        self.problems.extend(problems);
        self.problems.sort_by_key(|p| p.sequence);
    }

    /// A problem that concerns the log as a whole (say, the stream's settings), at sequence 0.
    pub fn log_problem(&mut self, what: String) {
        self.problem(0, what);
    }

    /// Checks the next message; `skip` is the operator's skip recorded for its sequence, if any.
    pub fn check(&mut self, message: &Message, skip: Option<&Skip>) {
        self.check_prepared(message, prepare(message), skip);
    }

    /// Checks messages in order, working out what each allows on its own (decoding, the
    /// signature, most of an audit's time) on every core first.
    pub fn check_all<'s>(&mut self, messages: &[Message], skip: impl Fn(u64) -> Option<&'s Skip>) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = messages.len().div_ceil(cores).max(1);
        let prepared: Vec<Prepared> = std::thread::scope(|scope| {
            let workers: Vec<_> = messages
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(prepare).collect::<Vec<_>>()))
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
        });
        if prepared.len() != messages.len() {
            // A worker panicked: check the plain way, so nothing goes unchecked.
            messages.iter().for_each(|m| self.check(m, skip(m.sequence)));
            return;
        }
        for (message, prepared) in messages.iter().zip(prepared) {
            self.check_prepared(message, prepared, skip(message.sequence));
        }
    }

    fn check_prepared(&mut self, message: &Message, prepared: Prepared, skip: Option<&Skip>) {
        self.messages += 1;
        let seq = message.sequence;
        if seq != self.last_sequence + 1 {
            if seq <= self.last_sequence {
                self.problem(
                    seq,
                    format!("sequence {seq} comes after {}: out of order", self.last_sequence),
                );
            } else {
                let (from, to) = (self.last_sequence + 1, seq - 1);
                let missing = if from == to {
                    format!("sequence {from} is")
                } else {
                    format!("sequences {from} to {to} are")
                };
                self.problem(seq, format!("{missing} missing: removed from the log"));
            }
        }
        self.last_sequence = self.last_sequence.max(seq);
        let record = match prepared.record {
            Ok(record) => record,
            Err(e) => {
                if skip.is_some_and(|s| s.covers(&message.payload)) {
                    self.skipped.push(seq);
                } else {
                    self.problem(
                        seq,
                        crate::log::Unreadable { sequence: seq, source: e }.to_string(),
                    );
                }
                return;
            }
        };
        let envelope = &record.envelope;
        let aggregate = Aggregate::of(&envelope.event);
        let expected_subject = aggregate.subject();
        if message.subject != expected_subject {
            self.problem(
                seq,
                format!(
                    "a {} event published on {}, where it does not belong (its subject is {expected_subject})",
                    envelope.event.type_name(),
                    message.subject
                ),
            );
        }
        let key = aggregate.chain_key();
        if envelope.chain.aggregate != key {
            self.problem(
                seq,
                format!(
                    "its chain names aggregate {}, but the event belongs to {key}",
                    envelope.chain.aggregate
                ),
            );
        }
        let link = &envelope.chain;
        match self.tips.get(&key).copied() {
            None if link.version != 1 || link.previous != [0; 32] => self.problem(
                seq,
                format!(
                    "{key} begins at version {} here: its earlier events are missing or out of order",
                    link.version
                ),
            ),
            Some(tip) if link.version != tip.version + 1 => self.problem(
                seq,
                format!(
                    "{key} version {} follows version {} (sequence {}): an event of it is missing, added or out of order",
                    link.version, tip.version, tip.sequence
                ),
            ),
            Some(tip) if link.previous != tip.digest => self.problem(
                seq,
                format!(
                    "{key} version {}: its link names a previous event other than the one at sequence {} (altered?)",
                    link.version, tip.sequence
                ),
            ),
            _ => {}
        }
        self.tips.insert(key, Tip { version: link.version, digest: record.digest, sequence: seq });
        self.check_recorded_time(seq, envelope, message.stored_at);
        let recorded = recorder::check(&self.directory, envelope, prepared.signed, self.unsigned);
        let mut standing = recorded.map_err(|what| self.problem(seq, what)).ok();
        if standing == Some(Standing::Signed) && !self.redecider.is_empty() {
            if let Err(mismatch) = self.redecider.redecide(&record) {
                self.problems.push(redecide::problem(seq, &record, &mismatch));
                standing = None;
            }
        }
        if !self.first_use(seq, &envelope.command_id, standing.is_some()) {
            standing = None;
        }
        match standing {
            None => return,
            Some(Standing::Signed) => {
                self.signed += 1;
                let algorithm = envelope.signature.as_ref().map(|s| s.algorithm);
                if algorithm == Some(crate::envelope::SignatureAlgorithm::WebAuthn) {
                    self.by_passkey += 1;
                    if let crate::envelope::Actor::Person(person) = &envelope.actor {
                        self.passkey_signers.insert(person.to_string());
                    }
                }
            }
            Some(Standing::Unsigned) => self.unsigned_seen += 1,
            Some(Standing::Service) => {}
        }
        self.directory.apply(&envelope.event);
        self.redecider.apply(&record);
    }

    /// A recorded time the broker's clock had not reached when it stored the message: the
    /// recording service's clock ran ahead (a period closed before it ended, a "today" that was
    /// not yet).
    fn check_recorded_time(
        &mut self,
        seq: u64,
        envelope: &crate::envelope::Envelope,
        stored_at: Option<crate::time::Timestamp>,
    ) {
        let Some(stored_at) = stored_at else { return };
        let ahead = envelope.recorded_at.0.saturating_sub(stored_at.0);
        if ahead > CLOCK_AHEAD_MAX_MS {
            let minutes = ahead / 60_000;
            self.problem(
                seq,
                format!(
                    "{} is recorded at {}, {minutes} minutes after the broker stored it at {}: \
                     the recording clock runs ahead",
                    envelope.event.type_name(),
                    envelope.recorded_at.to_rfc3339(),
                    stored_at.to_rfc3339()
                ),
            );
        }
    }

    /// Whether this is the first event of `command_id`; a second is a problem naming the first.
    /// Only an event that is `honoured` takes its id: one not honoured leaves it to the
    /// command's real event, which a service may still record.
    fn first_use(&mut self, seq: u64, command_id: &crate::ids::CommandId, honoured: bool) -> bool {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(command_id.as_str().as_bytes());
        let mut first16 = [0u8; 16];
        first16.copy_from_slice(&digest[..16]);
        match self.commands.entry(u128::from_be_bytes(first16)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let first = *first.get();
                self.problem(
                    seq,
                    format!(
                        "command id {command_id} was already used by the event at sequence \
                         {first}: one command records one event"
                    ),
                );
                false
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                if honoured {
                    slot.insert(seq);
                }
                true
            }
        }
    }

    pub fn finish(self) -> Verdict {
        self.verdict()
    }

    /// The last stream sequence checked (0 before the first).
    pub fn checked_through(&self) -> u64 {
        self.last_sequence
    }

    /// The verdict on what was checked so far; checking may go on after it.
    pub fn verdict(&self) -> Verdict {
        Verdict {
            passed: self.problems.is_empty(),
            messages: self.messages,
            aggregates: self.tips.len() as u64,
            signed: self.signed,
            by_passkey: self.by_passkey,
            passkey_signers: self.passkey_signers.iter().cloned().collect(),
            unsigned: self.unsigned_seen,
            skipped: self.skipped.clone(),
            closes_rederived: self.closes_rederived,
            problems: self.problems.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::append::Draft;
    use crate::testkit::draft;
    use crate::testkit::events::*;

    /// Encodes drafts as the appender would: chained per aggregate, sequences from 1.
    fn log(drafts: Vec<Draft>) -> Vec<Message> {
        crate::testkit::chained_log(drafts)
            .into_iter()
            .map(|(sequence, subject, payload)| Message {
                sequence,
                subject,
                payload,
                stored_at: None,
            })
            .collect()
    }

    fn honest() -> Vec<Message> {
        use crate::event::UnitKind;
        log(vec![
            draft("c1", "2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
            draft("c2", "2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
            draft("c3", "2016-02-01", assign("t2", "sgd", "Một cửa", "2016-06-30")),
            draft("c4", "2016-02-10", deadline("t1", "sgd", "2016-03-31", "2016-04-30")),
            draft("c5", "2016-03-31", complete("t1", "sgd")),
        ])
    }

    /// The chain checks: these logs are written by the test harness, unsigned.
    fn verify(messages: &[Message]) -> Verdict {
        let mut v = Verifier::allowing_unsigned();
        for m in messages {
            v.check(m, None);
        }
        v.finish()
    }

    #[test]
    fn an_honest_log_passes() {
        let verdict = verify(&honest());
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(
            verdict.line(),
            "PASS: 5 messages, 3 aggregates, no problem, 5 unsigned (allowed)"
        );
    }

    #[test]
    fn an_event_altered_in_place_with_its_digest_recomputed_breaks_the_next_link() {
        let mut messages = honest();
        // Re-encode t1's deadline change with another new due date: a valid message of its own.
        let mut record = codec::decode(&messages[3].payload).expect("decodes");
        record.envelope.event = deadline("t1", "sgd", "2016-03-31", "2016-12-31");
        messages[3].payload = codec::encode(&record.envelope).expect("encodes").0;
        let verdict = verify(&messages);
        assert!(!verdict.passed);
        assert_eq!(verdict.problems.len(), 1, "{verdict:?}");
        assert_eq!(verdict.problems[0].sequence, 5);
        assert!(
            verdict.problems[0].what.contains("other than the one at sequence 4 (altered?)"),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_recorded_time_ahead_of_the_brokers_clock_is_named() {
        let mut messages = honest();
        // Recorded (by the drafts) at noon of their business day; stored by the broker then,
        // except the last, stored 40 days before its service's clock said it was recorded.
        for m in &mut messages {
            let recorded = codec::decode(&m.payload).expect("decodes").envelope.recorded_at;
            m.stored_at = Some(recorded);
        }
        let last = messages.last_mut().expect("five");
        let recorded = last.stored_at.expect("set");
        last.stored_at = Some(crate::time::Timestamp(recorded.0 - 40 * 86_400_000));
        let verdict = verify(&messages);
        assert_eq!(verdict.problems.len(), 1, "{verdict:?}");
        assert_eq!(verdict.problems[0].sequence, 5);
        assert!(
            verdict.problems[0].what.starts_with("task-completed is recorded at 2016-03-31T12:00:00+07:00, 57600 minutes after the broker stored it at 2016-02-20T12:00:00+07:00"),
            "{verdict:?}"
        );
        // Within the allowance for clocks on different machines, nothing is said.
        let within = crate::time::Timestamp(recorded.0 - CLOCK_AHEAD_MAX_MS);
        messages.last_mut().expect("five").stored_at = Some(within);
        assert!(verify(&messages).passed);
    }

    #[test]
    fn a_damaged_byte_is_unreadable() {
        let mut messages = honest();
        messages[1].payload[10] ^= 0x20;
        let verdict = verify(&messages);
        assert_eq!(verdict.problems[0].sequence, 2);
        assert!(
            verdict.problems[0]
                .what
                .starts_with("event at stream sequence 2 is unreadable: message is damaged"),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_removed_event_leaves_a_gap_and_a_broken_chain() {
        let mut messages = honest();
        messages.remove(3);
        let verdict = verify(&messages);
        let what: Vec<&str> = verdict.problems.iter().map(|p| p.what.as_str()).collect();
        assert!(what.iter().any(|w| w.starts_with("sequence 4 is missing")), "{what:?}");
        assert!(what.iter().any(|w| w.contains("version 3 follows version 1")), "{what:?}");
    }

    #[test]
    fn two_events_of_one_aggregate_swapped_are_out_of_order() {
        let mut messages = honest();
        // Keep the sequences, swap what is stored at 4 and 5 (both task t1).
        let (a, b) = (messages[3].payload.clone(), messages[4].payload.clone());
        messages[3].payload = b;
        messages[4].payload = a;
        let verdict = verify(&messages);
        assert!(!verdict.passed);
        assert!(
            verdict
                .problems
                .iter()
                .any(|p| p.sequence == 4 && p.what.contains("version 3 follows version 1")),
            "{verdict:?}"
        );
    }

    #[test]
    fn an_event_published_on_another_subject_is_caught() {
        let mut messages = honest();
        messages[2].subject = "par.evt.tasks.other.task.t2".into();
        let verdict = verify(&messages);
        assert!(
            verdict
                .problems
                .iter()
                .any(|p| p.sequence == 3 && p.what.contains("where it does not belong")),
            "{verdict:?}"
        );
    }

    #[test]
    fn an_operator_skip_covers_exactly_its_bytes() {
        // Garbage published by hand became sequence 3; the events after it moved up one.
        let mut messages = honest();
        for m in &mut messages[2..] {
            m.sequence += 1;
        }
        let garbage = b"garbage published by hand".to_vec();
        messages.insert(
            2,
            Message {
                sequence: 3,
                subject: "par.evt.tasks.x.task.zzz".into(),
                payload: garbage,
                stored_at: None,
            },
        );
        let skip = Skip {
            sequence: 3,
            payload_sha256: crate::skips::payload_sha256(&messages[2].payload),
            reason: "incident 12".into(),
            by: "operator".into(),
            recorded_at: String::new(),
            unreadable_because: String::new(),
        };
        let mut v = Verifier::allowing_unsigned();
        for m in &messages {
            v.check(m, (m.sequence == 3).then_some(&skip));
        }
        let verdict = v.finish();
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(verdict.skipped, vec![3]);
        assert!(verdict.line().ends_with(", 1 skipped by an operator"));
    }

    #[test]
    fn signatures_keys_and_the_access_table_are_checked_from_the_log_alone() {
        use crate::event::{Access, UnitKind};
        use crate::testkit::signed_draft;
        let admin_unit = unit("sgd", "Sở Giáo dục", UnitKind::Department, None);
        let mut drafts = vec![
            signed_draft("g", "2016-01-01", genesis("admin"), "admin"),
            signed_draft("c1", "2016-01-01", admin_unit, "admin"),
            signed_draft("c2", "2016-01-01", person("hoa", "Hoa", ""), "admin"),
            signed_draft("c3", "2016-01-01", key("hoa"), "admin"),
            signed_draft("c4", "2016-01-02", grant("hoa", Access::Staff, Some("sgd")), "admin"),
        ];
        let messages = log(drafts.clone());
        let mut strict = Verifier::new();
        messages.iter().for_each(|m| strict.check(m, None));
        let verdict = strict.finish();
        assert!(verdict.passed, "{:?}", verdict.problems);
        assert_eq!(verdict.signed, 5);
        // hoa is staff, not an administrator: a unit she adds breaks the access table.
        drafts.push(signed_draft(
            "c5",
            "2016-01-03",
            unit("sxd", "Sở Xây dựng", UnitKind::Department, None),
            "hoa",
        ));
        // An unsigned event in a person's name: nothing stands behind it.
        drafts.push(draft("c6", "2016-01-03", assign("t1", "sgd", "Rà soát", "2016-03-31")));
        // A signature whose request names another command.
        let mut other = signed_draft("c7", "2016-01-03", person("lan", "Lan", ""), "admin");
        other.command_id = "c7-other".parse().expect("id");
        drafts.push(other);
        // Signed by a key that is not the actor's.
        let mut stolen = signed_draft("c8", "2016-01-03", person("x", "X", ""), "hoa");
        stolen.actor = crate::envelope::Actor::Person("admin".parse().expect("id"));
        drafts.push(stolen);
        let messages = log(drafts);
        let mut strict = Verifier::new();
        messages.iter().for_each(|m| strict.check(m, None));
        let verdict = strict.finish();
        // Working messages out on every core first changes nothing of the verdict, whatever
        // the batches.
        for size in [1, 3, messages.len()] {
            let mut batched = Verifier::new();
            messages.chunks(size).for_each(|batch| batched.check_all(batch, |_| None));
            assert_eq!(batched.finish(), verdict, "batches of {size}");
        }
        let found: Vec<(u64, &str)> =
            verdict.problems.iter().map(|p| (p.sequence, p.what.as_str())).collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].0 == 6 && found[0].1.contains("hoa may not record unit-added at sxd"),
            "{found:?}"
        );
        assert!(found[1].0 == 7 && found[1].1.contains("carries no signature"), "{found:?}");
        assert!(found[2].0 == 8 && found[2].1.contains("command id c7,"), "{found:?}");
        assert!(found[3].0 == 9 && found[3].1.contains("actor hoa"), "{found:?}");
    }
}
