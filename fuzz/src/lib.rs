//! The bodies of the fuzz targets, one function each: `fuzz_targets/*.rs` are one line that
//! calls them, and `tests/it/fuzz_corpus.rs` includes this file by path and replays the corpus
//! in `fuzz/corpus/<target>/` through the very same functions under `cargo test`.
//!
//! No input may make a function panic. Each one panics only where a property that must hold
//! does not, so libFuzzer reports a broken property like a crash:
//!
//! - `decode_event`: decoded bytes re-encode to an envelope that decodes equal; every service
//!   applies any decodable event without panicking.
//! - `command_request`: a request any command service reads serialises back to an equal
//!   request; decided against a small fixed world (a province, a department, a head, a plan,
//!   a task, a framework, a document), an accepted command's event round-trips through the
//!   codec and applies.
//! - `framework_file`: a framework file that parses is validated as `reformctl framework
//!   check` does and turned into the publish command as `reformctl framework publish` does;
//!   a valid one totals 100.00 and is accepted by the scoring service's decision.
//!
//! Only path crates of the workspace and serde_json are used, so the corpus replay test needs
//! no dependency the integration tests do not already have.

use reform_directory::Command as DirectoryCommand;
use reform_evidence::cmd::Command as EvidenceCommand;
use reform_evidence::decide::State as EvidenceState;
use reform_scoring::cmd::Command as ScoringCommand;
use reform_scoring::decide::State as ScoringState;
use reform_scoring::framework::{self, FrameworkFile, FRAMEWORK_TOTAL};
use reform_shared::codec::{self, EncodeError, SCHEMA_VERSION_CURRENT, SCHEMA_VERSION_OLDEST};
use reform_shared::command::{parse_json, Request};
use reform_shared::envelope::{Actor, ChainLink, Envelope, EventId, Record};
use reform_shared::event::{Event, UnitKind};
use reform_shared::ids::{CommandId, PersonId};
use reform_shared::service::{Context, Decider};
use reform_shared::subject::Aggregate;
use reform_shared::time::{check_not_future, Date, Timestamp};
use reform_tasks::Command as TasksCommand;
use std::sync::OnceLock;

/// What a target made of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bytes are not a readable event / request / framework file.
    Unreadable,
    /// Readable, and then refused: a refusal of the domain, a date in the future, a framework
    /// that does not validate.
    Refused,
    /// Readable and accepted.
    Accepted,
}

/// The names of the command services, in the order [`command_request`] reports them.
pub const SERVICES: [&str; 4] =
    [reform_directory::NAME, reform_tasks::NAME, reform_evidence::NAME, reform_scoring::NAME];

/// Target `decode_event`: the bytes of a message on the stream.
///
/// The input is decoded twice: as it is (which covers the size, version and digest checks),
/// and as the body of a message of each schema version with a correct digest around it (a
/// fuzzer cannot forge SHA-256, so without this it would never reach the envelope decoder).
/// `Accepted` when either decodes.
///
/// A decoded envelope must encode again (or be refused for its size, a typed error) and decode
/// to an equal envelope at the current version; every command service's state must apply the
/// event without a panic.
pub fn decode_event(data: &[u8]) -> Outcome {
    let mut outcome = decode_message(data);
    for version in [SCHEMA_VERSION_OLDEST, SCHEMA_VERSION_CURRENT] {
        if decode_message(&framed(version, data)) == Outcome::Accepted {
            outcome = Outcome::Accepted;
        }
    }
    outcome
}

/// A message of `version` whose body is `varint(len) ‖ data` and whose digest is correct:
/// `encode_versioned` of the bytes as a sequence. The length prefix falls in the envelope's
/// first field, the event id, which any 16 bytes make; so a seed for this path is an encoded
/// message without its version byte, its digest, and the two bytes the prefix will take.
pub fn framed(version: u16, data: &[u8]) -> Vec<u8> {
    codec::encode_versioned(version, &data.to_vec()).map_or_else(|_| Vec::new(), |(b, _)| b)
}

fn decode_message(bytes: &[u8]) -> Outcome {
    let Ok(record) = codec::decode(bytes) else {
        return Outcome::Unreadable;
    };
    match codec::encode(&record.envelope) {
        Ok((again_bytes, digest)) => {
            let again = codec::decode(&again_bytes)
                .unwrap_or_else(|e| panic!("a re-encoded envelope does not decode: {e}"));
            assert_eq!(again.envelope, record.envelope, "the envelope changed in a round trip");
            assert_eq!(again.schema_version, SCHEMA_VERSION_CURRENT);
            assert_eq!(again.digest, digest, "decode reports another digest than encode");
            // Not asserted: that a current-version message re-encodes to its own bytes. The
            // decoder (postcard) accepts overlong varints, so one envelope has more than one
            // accepted encoding, each with its own digest; see `found-noncanonical-*` in the
            // corpus and fuzz/README.md.
        }
        // An upcast envelope can grow past the size limit; that is a typed refusal.
        Err(EncodeError::TooLarge { .. }) => {}
        Err(e) => panic!("a decoded envelope does not encode: {e}"),
    }
    let _ = Aggregate::of(&record.envelope.event).subject();
    let mut w = world().clone();
    w.apply(&record);
    Outcome::Accepted
}

/// Target `command_request`: the JSON of a command request, as every command service reads
/// it (`parse_json::<Request<C>>` with the service's command type).
///
/// One outcome per service, in the order of [`SERVICES`]. A request a service reads must
/// serialise to JSON that reads back equal; it is then decided against the fixed world (with
/// the runtime's business-date rules), and an accepted event must round-trip and apply.
pub fn command_request(data: &[u8]) -> [Outcome; 4] {
    let w = world();
    [
        request(&w.directory, data),
        request(&w.tasks, data),
        request(&w.evidence, data),
        request(&w.scoring, data),
    ]
}

/// Target `framework_file`: a framework file as `reformctl framework check|publish` reads it.
///
/// `Unreadable` when it does not parse, `Refused` when it does not validate for its year (or
/// names none), `Accepted` when it validates. A valid framework's maxima total exactly 100.00,
/// and the publish command built from it is accepted by the scoring service for that year.
pub fn framework_file(data: &[u8]) -> Outcome {
    let Ok(file) = FrameworkFile::parse(data) else {
        return Outcome::Unreadable;
    };
    // `check` without --year, and with one (the file's year, else the project's default).
    let year = file.year.unwrap_or(2022);
    let checked = framework::validate(year, &file.source, &file.criteria);
    if let Ok(criteria) = &checked {
        assert_eq!(criteria.len(), file.criteria.len(), "validation dropped criteria");
        let total: u64 = criteria.iter().map(|c| u64::from(c.max_points.hundredths())).sum();
        assert_eq!(total, u64::from(FRAMEWORK_TOTAL.hundredths()), "a valid total is 100.00");
    }
    let names_year = file.year.is_some();
    // The world already has the department framework of its year: publishing it is refused.
    let fresh = !(year == WORLD_YEAR && file.unit_kind == UnitKind::Department);
    // `publish` without --year fails exactly when the file names no year.
    let command = file.clone().into_command(None);
    assert_eq!(command.is_ok(), names_year, "into_command(None) and the file's year disagree");
    let command = file.into_command(Some(year)).expect("a year is given");
    // The scoring service decides a framework the world lacks as `check` does.
    let publish = Request {
        command_id: CommandId::new("fuzz-framework").expect("a valid id"),
        actor: PersonId::new(HEAD).expect("a valid id"),
        occurred_on: None,
        command,
    };
    let decided = request(&world().scoring, &publish.to_json());
    if fresh {
        assert_eq!(
            decided == Outcome::Accepted,
            checked.is_ok(),
            "the service and `framework check` disagree on a framework for {year}"
        );
    }
    match (names_year, checked) {
        (true, Ok(_)) => Outcome::Accepted,
        _ => Outcome::Refused,
    }
}

// ---------- requests ----------

/// Serialises a request. A trait implemented per command type, so that nothing here names
/// serde (the corpus replay test has no direct dependency on it).
trait ToJson {
    fn to_json(&self) -> Vec<u8>;
}

macro_rules! to_json {
    ($($command:ty),*) => {$(
        impl ToJson for Request<$command> {
            fn to_json(&self) -> Vec<u8> {
                serde_json::to_vec(self).expect("a request serialises to JSON")
            }
        }
    )*};
}
to_json!(DirectoryCommand, TasksCommand, EvidenceCommand, ScoringCommand);

/// Reads a request as the service runtime does, checks it survives a JSON round trip, decides
/// it against `state`, and applies an accepted event to a copy of the world.
fn request<D: Decider>(state: &D, data: &[u8]) -> Outcome
where
    Request<D::Command>: ToJson + PartialEq,
{
    match decide(state, data) {
        Ok(record) => {
            let mut w = world().clone();
            w.apply(&record);
            Outcome::Accepted
        }
        Err(outcome) => outcome,
    }
}

/// The appended event of a request `state` accepts, or the outcome that is not acceptance.
fn decide<D: Decider>(state: &D, data: &[u8]) -> Result<Record, Outcome>
where
    Request<D::Command>: ToJson + PartialEq,
{
    let request = parse_json::<Request<D::Command>>(data).map_err(|_| Outcome::Unreadable)?;
    let again = parse_json::<Request<D::Command>>(&request.to_json())
        .unwrap_or_else(|e| panic!("{}: a request's own JSON does not read back: {e}", D::NAME));
    assert_eq!(again, request, "{}: the request changed in a JSON round trip", D::NAME);
    let context = context_of(&request).ok_or(Outcome::Refused)?;
    let event = state.decide(&request.command, &context).map_err(|_| Outcome::Refused)?;
    permitted(state, &event, &context).map_err(|_| Outcome::Refused)?;
    Ok(record_of(event, &context))
}

/// The access table's check, as the runtime makes it after deciding (the runtime's signature
/// check has no part here: the fuzzed bytes are the request, not its headers).
fn permitted<D: Decider>(
    state: &D,
    event: &Event,
    context: &Context,
) -> Result<(), reform_shared::access::NotAllowed> {
    let days = reform_shared::access::Days {
        occurred: context.occurred_on,
        recorded: context.recorded_at.vietnam_date().expect("the world's now is a date"),
    };
    reform_shared::access::permits(state.directory(), &context.actor, event, days)
}

/// The messages the world's services would append for a request: how the event seeds of
/// `decode_event` are made from the request seeds of `command_request`.
pub fn accepted_messages(data: &[u8]) -> Vec<Vec<u8>> {
    let w = world();
    [
        decide(&w.directory, data),
        decide(&w.tasks, data),
        decide(&w.evidence, data),
        decide(&w.scoring, data),
    ]
    .into_iter()
    .flatten()
    .map(|record| message(&record))
    .collect()
}

fn message(record: &Record) -> Vec<u8> {
    codec::encode(&record.envelope).expect("a decided event encodes").0
}

/// The instant the fuzzed commands arrive: 2016-12-31, noon in Vietnam. Fixed, so a run
/// replays the same decisions whatever the day.
fn now() -> Timestamp {
    Timestamp::at_vietnam_noon(Date::from_ymd(2016, 12, 31).expect("a real date"))
}

/// The business time of a request, as the service runtime computes it
/// (`shared/src/service/batch.rs`, `context_of`): a date in the future is refused.
fn context_of<C>(request: &Request<C>) -> Option<Context> {
    let recorded_at = now();
    if let Some(date) = request.occurred_on {
        check_not_future(date, recorded_at).ok()?;
    }
    let occurred_at = request.occurred_on.map_or(recorded_at, Timestamp::at_vietnam_noon);
    let occurred_on = occurred_at.vietnam_date().expect("a YYYY-MM-DD date is in chrono's range");
    Some(Context {
        command_id: request.command_id.clone(),
        actor: request.actor.clone(),
        occurred_at,
        occurred_on,
        recorded_at,
    })
}

/// The event of a decision as it would be appended, passed through the codec.
fn record_of(event: Event, context: &Context) -> Record {
    let aggregate = Aggregate::of(&event);
    let _ = aggregate.subject();
    let envelope = Envelope {
        event_id: EventId::for_command(&context.command_id),
        occurred_at: context.occurred_at,
        recorded_at: context.recorded_at,
        actor: Actor::Person(context.actor.clone()),
        command_id: context.command_id.clone(),
        chain: ChainLink::first(aggregate.chain_key()),
        signature: None,
        event,
    };
    let (bytes, _) = codec::encode(&envelope)
        .unwrap_or_else(|e| panic!("an accepted command's event does not encode: {e}"));
    let record =
        codec::decode(&bytes).unwrap_or_else(|e| panic!("an appended event does not decode: {e}"));
    assert_eq!(record.envelope, envelope, "an accepted event changed in the codec");
    record
}

// ---------- the world the commands are decided against ----------

/// The head of the department, who may act everywhere in the world.
pub const HEAD: &str = "le-van-thanh";
/// The year the world has a framework, a plan and a task for.
pub const WORLD_YEAR: u16 = 2016;

/// Every command service's state after the same short log.
#[derive(Debug, Clone)]
pub struct World {
    pub directory: reform_directory::State,
    pub tasks: reform_tasks::State,
    pub evidence: EvidenceState,
    pub scoring: ScoringState,
    /// The messages of the world's log, in order.
    pub log: Vec<Vec<u8>>,
}

impl World {
    fn apply(&mut self, record: &Record) {
        self.directory.apply(record);
        self.tasks.apply(record);
        self.evidence.apply(record);
        self.scoring.apply(record);
        self.log.push(message(record));
    }
}

const DEPARTMENT_FRAMEWORK: &str =
    include_str!("../../services/scoring/frameworks/par-index-department.json");

/// The log of the world: (service, request), each decided by that service and applied by all.
/// Before it, the genesis step made [`HEAD`] the administrator (see [`genesis`]).
const WORLD_LOG: &[(&str, &str)] = &[
    (
        "directory",
        r#"{"command_id":"w-02","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"add-unit","unit":"soc-trang","name":"Tỉnh Sóc Trăng",
        "kind":"province"}}"#,
    ),
    (
        "directory",
        r#"{"command_id":"w-03","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"add-unit","unit":"st-sgddt","name":"Sở Giáo dục và Đào tạo",
        "kind":"department","parent":"soc-trang"}}"#,
    ),
    (
        "directory",
        r#"{"command_id":"w-04","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"add-unit","unit":"st-sgddt-vp","name":"Văn phòng Sở",
        "kind":"division","parent":"st-sgddt"}}"#,
    ),
    (
        "directory",
        r#"{"command_id":"w-05","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"register-person","person":"danh-hoang-nguyen",
        "name":"Danh Hoàng Nguyên","title":"Chánh Văn phòng"}}"#,
    ),
    (
        "directory",
        r#"{"command_id":"w-06","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"appoint-leader","tenure":"st-sgddt-head","unit":"st-sgddt",
        "person":"le-van-thanh","role":"head","from":"2016-01-04"}}"#,
    ),
    (
        "directory",
        r#"{"command_id":"w-06b","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"grant-access","person":"le-van-thanh","access":"appraiser",
        "unit":"st-sgddt","from":"2016-01-04"}}"#,
    ),
    (
        "directory",
        r#"{"command_id":"w-06c","actor":"le-van-thanh","occurred_on":"2016-01-04",
        "command":{"type":"grant-access","person":"danh-hoang-nguyen","access":"staff",
        "unit":"st-sgddt-vp","from":"2016-01-04"}}"#,
    ),
    (
        "tasks",
        r#"{"command_id":"w-07","actor":"le-van-thanh","occurred_on":"2016-01-20",
        "command":{"type":"issue-plan","plan":"kh-112-2016","unit":"st-sgddt","year":2016,
        "document_number":"112/KH-SGDĐT","title":"Kế hoạch CCHC năm 2016"}}"#,
    ),
    (
        "tasks",
        r#"{"command_id":"w-08","actor":"le-van-thanh","occurred_on":"2016-01-22",
        "command":{"type":"assign-task","task":"t1","unit":"st-sgddt-vp",
        "person":"danh-hoang-nguyen","plan":"kh-112-2016",
        "title":"Ban hành kế hoạch tuyên truyền CCHC","target":"Kế hoạch được ký ban hành",
        "due":"2016-02-29","criterion":"1.1"}}"#,
    ),
    (
        "evidence",
        r#"{"command_id":"w-10","actor":"le-van-thanh","occurred_on":"2016-02-20",
        "command":{"type":"attach","evidence":"e1","unit":"st-sgddt-vp","task":"t1",
        "criterion":"1.1","title":"Kế hoạch tuyên truyền CCHC năm 2016",
        "document_number":"15/KH-SGDĐT","document_date":"2016-02-15",
        "sha256":"abababababababababababababababababababababababababababababababab",
        "size_bytes":3,"media_type":"application/pdf"}}"#,
    ),
];

/// The world, built once: the log above, with the shipped department framework published for
/// [`WORLD_YEAR`] before the evidence (which names one of its criteria).
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut w = World {
            directory: reform_directory::State::default(),
            tasks: reform_tasks::State::default(),
            evidence: EvidenceState::new(reform_evidence::EVIDENCE_BYTES_MAX),
            scoring: ScoringState::default(),
            log: Vec::new(),
        };
        w.apply(&genesis());
        let (directory_and_tasks, evidence) = WORLD_LOG.split_at(WORLD_LOG.len() - 1);
        for (service, json) in directory_and_tasks {
            let record = match *service {
                "directory" => world_step(&w.directory, json.as_bytes()),
                "tasks" => world_step(&w.tasks, json.as_bytes()),
                other => panic!("no {other} step among the directory and tasks steps"),
            };
            w.apply(&record);
        }
        let framework = FrameworkFile::parse(DEPARTMENT_FRAMEWORK.as_bytes())
            .expect("the shipped framework parses")
            .into_command(Some(WORLD_YEAR))
            .expect("a year is given");
        let publish = Request {
            command_id: CommandId::new("w-09").expect("a valid id"),
            actor: PersonId::new(HEAD).expect("a valid id"),
            occurred_on: Date::from_ymd(2016, 1, 25),
            command: framework,
        };
        let record = world_step(&w.scoring, &publish.to_json());
        w.apply(&record);
        for (_, json) in evidence {
            let record = world_step(&w.evidence, json.as_bytes());
            w.apply(&record);
        }
        w
    })
}

/// The world's first event: [`HEAD`] instated as administrator (in the world he also heads the
/// department and appraises the province, so he may act everywhere).
fn genesis() -> Record {
    let head = PersonId::new(HEAD).expect("a valid id");
    let context = Context {
        command_id: CommandId::new("w-00").expect("a valid id"),
        actor: head.clone(),
        occurred_at: now(),
        occurred_on: Date::from_ymd(2016, 1, 4).expect("a real date"),
        recorded_at: now(),
    };
    let event = Event::Genesis {
        person: head,
        name: "Lê Văn Thành".into(),
        title: "Giám đốc Sở".into(),
        key: "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4".into(),
        from: Date::from_ymd(2016, 1, 4).expect("a real date"),
    };
    record_of(event, &context)
}

fn world_step<D: Decider>(state: &D, bytes: &[u8]) -> Record {
    let request = parse_json::<Request<D::Command>>(bytes)
        .unwrap_or_else(|e| panic!("{}: the world's request does not read: {e}", D::NAME));
    let context = context_of(&request).expect("the world's dates are in the past");
    let event = state
        .decide(&request.command, &context)
        .unwrap_or_else(|e| panic!("{}: the world's command is refused: {e}", D::NAME));
    permitted(state, &event, &context)
        .unwrap_or_else(|e| panic!("{}: the world's command is denied: {e}", D::NAME));
    record_of(event, &context)
}
