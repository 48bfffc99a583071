//! The wire format: every event round-trips; bad bytes give typed errors and never panic; the
//! bytes of every released schema version keep decoding (golden fixtures, like redb's
//! `backward_compatibility.rs`).

use proptest::prelude::*;
use reform_shared::codec::{self, DecodeError, SCHEMA_VERSION_CURRENT};
use reform_shared::envelope::{Actor, ChainLink, Envelope, EventId, Signature, SignatureAlgorithm};
use reform_shared::event::v1::EnvelopeV1;
use reform_shared::event::*;
use reform_shared::ids::*;
use reform_shared::points::Points;
use reform_shared::time::{Date, Timestamp};
use sha2::Digest as _;

// ---------- strategies ----------

fn token() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_-]{0,20}"
}

macro_rules! id_strategy {
    ($name:ident, $ty:ty) => {
        fn $name() -> impl Strategy<Value = $ty> {
            token().prop_map(|t| <$ty>::new(t).expect("strategy makes valid ids"))
        }
    };
}
id_strategy!(unit_id, UnitId);
id_strategy!(person_id, PersonId);
id_strategy!(tenure_id, TenureId);
id_strategy!(plan_id, PlanId);
id_strategy!(task_id, TaskId);
id_strategy!(finding_id, FindingId);
id_strategy!(evidence_id, EvidenceId);
id_strategy!(command_id, CommandId);

fn criterion_code() -> impl Strategy<Value = CriterionCode> {
    "[0-9]{1,2}(\\.[0-9a-z]{1,2}){0,3}".prop_map(|c| CriterionCode::new(c).expect("valid code"))
}

fn date() -> impl Strategy<Value = Date> {
    // 1900-01-01 ..= 2199-12-31, as days from the common era.
    (693_596i32..=803_533)
        .prop_map(|d| Date(chrono::NaiveDate::from_num_days_from_ce_opt(d).expect("in range")))
}

fn points() -> impl Strategy<Value = Points> {
    any::<u32>().prop_map(Points)
}

fn text() -> impl Strategy<Value = String> {
    ".{0,40}"
}

fn unit_kind() -> impl Strategy<Value = UnitKind> {
    prop::sample::select(UnitKind::ALL.to_vec())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn stage() -> impl Strategy<Value = Stage> {
    prop::sample::select(Stage::ALL.to_vec())
}

fn criterion() -> impl Strategy<Value = Criterion> {
    (
        criterion_code(),
        prop::sample::select(Component::ALL.to_vec()),
        text(),
        points(),
        any::<bool>(),
    )
        .prop_map(|(code, component, title, max_points, survey_measured)| Criterion {
            code,
            component,
            title,
            max_points,
            survey_measured,
        })
}

fn period() -> impl Strategy<Value = Period> {
    (
        any::<u16>(),
        prop::sample::select(vec![
            PeriodKind::Q1,
            PeriodKind::H1,
            PeriodKind::Q3,
            PeriodKind::Year,
        ]),
    )
        .prop_map(|(year, kind)| Period { year, kind })
}

fn directory_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (unit_id(), text(), unit_kind(), prop::option::of(unit_id()))
            .prop_map(|(unit, name, kind, parent)| Event::UnitAdded { unit, name, kind, parent }),
        (person_id(), text(), text()).prop_map(|(person, name, title)| Event::PersonRegistered {
            person,
            name,
            title
        }),
        (tenure_id(), unit_id(), person_id(), role(), date()).prop_map(
            |(tenure, unit, person, role, from)| Event::LeaderAppointed {
                tenure,
                unit,
                person,
                role,
                from
            }
        ),
        (tenure_id(), unit_id(), person_id(), role(), date()).prop_map(
            |(tenure, unit, person, role, to)| Event::TenureEnded {
                tenure,
                unit,
                person,
                role,
                to
            }
        ),
        (person_id(), text(), date()).prop_map(|(person, title, effective)| {
            Event::PersonRetitled { person, title, effective }
        }),
    ]
}

fn task_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (plan_id(), unit_id(), any::<u16>(), text(), text()).prop_map(
            |(plan, unit, year, document_number, title)| Event::PlanIssued {
                plan,
                unit,
                year,
                document_number,
                title
            }
        ),
        (
            (task_id(), unit_id(), prop::option::of(person_id()), prop::option::of(plan_id())),
            (text(), text(), date(), prop::option::of(criterion_code()), person_id())
        )
            .prop_map(
                |((task, unit, person, plan), (title, target, due, criterion, assigned_by))| {
                    Event::TaskAssigned {
                        task,
                        unit,
                        person,
                        plan,
                        title,
                        target,
                        due,
                        criterion,
                        assigned_by,
                    }
                }
            ),
        (task_id(), unit_id(), unit_id(), prop::option::of(person_id()), text()).prop_map(
            |(task, unit, from_unit, person, reason)| Event::TaskReassigned {
                task,
                unit,
                from_unit,
                person,
                reason
            }
        ),
        (task_id(), unit_id(), date(), date(), text()).prop_map(
            |(task, unit, old_due, new_due, reason)| Event::DeadlineChanged {
                task,
                unit,
                old_due,
                new_due,
                reason
            }
        ),
        (task_id(), unit_id(), 0u8..=100, text()).prop_map(|(task, unit, percent, note)| {
            Event::ProgressReported { task, unit, percent, note }
        }),
        (task_id(), unit_id(), text()).prop_map(|(task, unit, note)| Event::TaskCompleted {
            task,
            unit,
            note
        }),
        (task_id(), unit_id(), text()).prop_map(|(task, unit, reason)| Event::TaskCancelled {
            task,
            unit,
            reason
        }),
        (finding_id(), unit_id(), text(), text(), task_id(), date()).prop_map(
            |(finding, unit, inspection_document, text, remediation_task, remediation_due)| {
                Event::FindingRecorded {
                    finding,
                    unit,
                    inspection_document,
                    text,
                    remediation_task,
                    remediation_due,
                }
            }
        ),
    ]
}

fn other_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (
            (
                evidence_id(),
                unit_id(),
                prop::option::of(task_id()),
                prop::option::of(criterion_code())
            ),
            (text(), text(), date(), any::<[u8; 32]>(), any::<u64>(), text(), text())
        )
            .prop_map(
                |(
                    (evidence, unit, task, criterion),
                    (
                        title,
                        document_number,
                        document_date,
                        sha256,
                        size_bytes,
                        media_type,
                        object_key,
                    ),
                )| {
                    Event::EvidenceAttached {
                        evidence,
                        unit,
                        task,
                        criterion,
                        title,
                        document_number,
                        document_date,
                        sha256,
                        size_bytes,
                        media_type,
                        object_key,
                    }
                }
            ),
        (evidence_id(), unit_id(), text()).prop_map(|(evidence, unit, reason)| {
            Event::EvidenceRejected { evidence, unit, reason }
        }),
        (any::<u16>(), unit_kind(), text(), prop::collection::vec(criterion(), 0..6)).prop_map(
            |(year, unit_kind, source, criteria)| Event::FrameworkPublished {
                year,
                unit_kind,
                source,
                criteria
            }
        ),
        (
            (unit_id(), any::<u16>(), criterion_code(), stage()),
            (
                prop::option::of(points()),
                points(),
                text(),
                prop::collection::vec(evidence_id(), 0..4),
                person_id()
            )
        )
            .prop_map(
                |((unit, year, criterion, stage), (old, new, reason, evidence, by))| {
                    Event::ScoreChanged {
                        unit,
                        year,
                        criterion,
                        stage,
                        old,
                        new,
                        reason,
                        evidence,
                        by,
                    }
                }
            ),
        (period(), any::<[u8; 32]>(), any::<u64>()).prop_map(
            |(period, report_sha256, through_sequence)| {
                Event::PeriodRolledUp { period, report_sha256, through_sequence }
            }
        ),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![directory_event(), task_event(), other_event()]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        (
            any::<[u8; 16]>(),
            any::<i64>(),
            any::<i64>(),
            prop_oneof![person_id().prop_map(Actor::Person), text().prop_map(Actor::Service)],
        ),
        (command_id(), text(), any::<u64>(), any::<[u8; 32]>()),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..80)),
        event(),
    )
        .prop_map(
            |(
                (id, occurred, recorded, actor),
                (command_id, aggregate, version, previous),
                signature,
                event,
            )| {
                Envelope {
                    event_id: EventId(id),
                    occurred_at: Timestamp(occurred),
                    recorded_at: Timestamp(recorded),
                    actor,
                    command_id,
                    chain: ChainLink { aggregate, version, previous },
                    signature: signature.map(|bytes| Signature {
                        key: "k1".into(),
                        algorithm: SignatureAlgorithm::Ed25519,
                        request: bytes.iter().rev().copied().collect(),
                        bytes,
                    }),
                    event,
                }
            },
        )
}

// ---------- properties ----------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_event_round_trips_through_postcard(envelope in envelope()) {
        let (bytes, digest) = codec::encode(&envelope).expect("encodes");
        let record = codec::decode(&bytes).expect("decodes");
        prop_assert_eq!(record.schema_version, SCHEMA_VERSION_CURRENT);
        prop_assert_eq!(record.digest, digest);
        prop_assert_eq!(record.envelope, envelope);
    }

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        // Random bytes almost never carry a matching digest: they must be refused, with a type.
        let result = codec::decode(&bytes);
        prop_assert!(result.is_err(), "garbage decoded: {:?}", result);
    }

    #[test]
    fn every_truncation_is_a_typed_error(envelope in envelope(), cut in any::<prop::sample::Index>()) {
        let (bytes, _) = codec::encode(&envelope).expect("encodes");
        let keep = cut.index(bytes.len());
        let result = codec::decode(&bytes[..keep]);
        prop_assert!(result.is_err(), "a truncated message decoded");
    }

    #[test]
    fn a_flipped_bit_is_caught(envelope in envelope(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (mut bytes, _) = codec::encode(&envelope).expect("encodes");
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let result = codec::decode(&bytes);
        prop_assert!(result.is_err(), "a damaged message decoded");
    }

    #[test]
    fn a_future_version_is_named_not_misread(envelope in envelope(), future in (SCHEMA_VERSION_CURRENT + 1)..=u16::MAX) {
        let (bytes, _) = codec::encode_versioned(future, &envelope).expect("encodes");
        prop_assert_eq!(codec::decode(&bytes), Err(DecodeError::FutureVersion { found: future }));
    }
}

/// The garbage the robustness issue reproduced: bytes whose first byte happens to read as schema
/// version 116. Damaged bytes must say so, not ask for an upgrade.
#[test]
fn garbage_is_damaged_bytes_not_a_future_version() {
    let garbage = b"t\x00garbage that is no event at all, long enough to hold a digest....";
    let error = codec::decode(garbage).expect_err("garbage does not decode");
    assert_eq!(error, DecodeError::DigestMismatch);
    assert!(error.to_string().starts_with("message is damaged"), "{error}");
}

proptest! {
    #[test]
    fn random_bytes_never_claim_a_future_version(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let result = codec::decode(&bytes);
        prop_assert!(!matches!(result, Err(DecodeError::FutureVersion { .. })), "{result:?}");
    }
}

/// Found by fuzzing: the golden v2 message with one number written in an over-long form
/// (`d4 00` for `54`) and its digest recomputed decoded to the same envelope. One envelope has
/// one byte form now.
#[test]
fn an_over_long_number_is_not_the_canonical_encoding() {
    let bytes =
        include_bytes!("../../fuzz/corpus/decode_event/found-noncanonical-varint-golden-v2.bin");
    assert_eq!(codec::decode(bytes), Err(DecodeError::NotCanonical { version: 2 }));
    let golden = include_bytes!("golden/v2-task-assigned.bin");
    assert!(codec::decode(golden).is_ok(), "the canonical form still decodes");
}

#[test]
fn the_kinds_of_bad_bytes_are_told_apart() {
    assert_eq!(codec::decode(&[]), Err(DecodeError::Empty));
    assert_eq!(codec::decode(&[0x80]), Err(DecodeError::Truncated { bytes: 1 }));
    assert_eq!(codec::decode(&[2, 1, 2]), Err(DecodeError::Truncated { bytes: 3 }));
    // Intact bytes (the digest checks) with a version that was never issued, or none at all.
    let (zero, _) = codec::encode_versioned(0, &(7u8, "body")).expect("encodes");
    assert_eq!(codec::decode(&zero), Err(DecodeError::UnknownVersion { found: 0 }));
    let mut no_version = vec![0x80u8, 0x80, 0x80, 0x80];
    let digest: [u8; 32] = sha2::Sha256::digest(&no_version).into();
    no_version.extend_from_slice(&digest);
    assert_eq!(codec::decode(&no_version), Err(DecodeError::NoVersion));
    let too_big = vec![2u8; codec::EVENT_BYTES_MAX + 1];
    assert_eq!(codec::decode(&too_big), Err(DecodeError::TooLarge { bytes: too_big.len() }));
    // A correct digest over a body that is not an envelope.
    let (bytes, _) = codec::encode_versioned(2, &(7u8, "not an envelope")).expect("encodes");
    assert!(matches!(codec::decode(&bytes), Err(DecodeError::Malformed { version: 2, .. })));
}

// ---------- golden fixtures ----------

fn golden_event() -> Event {
    Event::TaskAssigned {
        task: TaskId::new("t1").expect("valid"),
        unit: UnitId::new("sgd").expect("valid"),
        person: Some(PersonId::new("nguyen-van-a").expect("valid")),
        plan: Some(PlanId::new("kh-96-2016").expect("valid")),
        title: "Cập nhật thủ tục hành chính thuộc thẩm quyền của Sở".into(),
        target: "Công bố đầy đủ thủ tục trên cổng dịch vụ công".into(),
        due: "2016-06-30".parse().expect("valid"),
        criterion: Some(CriterionCode::new("3.1").expect("valid")),
        assigned_by: PersonId::new("giam-doc").expect("valid"),
    }
}

fn golden_v1() -> EnvelopeV1 {
    EnvelopeV1 {
        event_id: EventId::for_command(&CommandId::new("cmd-golden").expect("valid")),
        occurred_at: Timestamp(1_452_402_000_000),
        recorded_at: Timestamp(1_452_402_001_234),
        actor: Actor::Person(PersonId::new("giam-doc").expect("valid")),
        command_id: CommandId::new("cmd-golden").expect("valid"),
        chain: ChainLink::first("tasks.*.task.t1".into()),
        event: golden_event(),
    }
}

/// Reads a fixture; with `PAR_BLESS=1` writes it first. A missing fixture fails the test
/// rather than being created silently, so a format change can never bless itself.
fn fixture(name: &str, fresh: &[u8]) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("PAR_BLESS").is_some() {
        std::fs::write(&path, fresh).expect("fixture written");
    }
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("golden fixture {} missing: {e}", path.display()))
}

#[test]
fn frozen_v1_bytes_decode_through_the_upcast() {
    let (fresh, _) = codec::encode_versioned(1, &golden_v1()).expect("encodes");
    let frozen = fixture("v1-task-assigned.bin", &fresh);
    let record = codec::decode(&frozen).expect("v1 still decodes");
    assert_eq!(record.schema_version, 1);
    assert_eq!(record.envelope.signature, None, "v1 had no signature; upcast leaves it empty");
    assert_eq!(record.envelope.event, golden_event());
    assert_eq!(record.envelope.chain.version, 1);
    assert_eq!(
        record.envelope.occurred_at.vietnam_date(),
        Some("2016-01-10".parse().expect("valid"))
    );
}

#[test]
fn frozen_v2_bytes_decode_through_the_upcast() {
    let v1 = golden_v1();
    let v2 = reform_shared::event::v2::EnvelopeV2 {
        event_id: v1.event_id,
        occurred_at: v1.occurred_at,
        recorded_at: v1.recorded_at,
        actor: v1.actor,
        command_id: v1.command_id,
        chain: v1.chain,
        signature: None,
        event: v1.event,
    };
    let (fresh, _) = codec::encode_versioned(2, &v2).expect("encodes");
    let frozen = fixture("v2-task-assigned.bin", &fresh);
    assert_eq!(fresh, frozen, "the frozen v2 types no longer write v2 bytes identically");
    let record = codec::decode(&frozen).expect("v2 decodes");
    assert_eq!(record.schema_version, 2);
    assert_eq!(record.envelope, reform_shared::event::v2::upcast(v2));
}

#[test]
fn frozen_v3_bytes_still_decode_and_encode_identically() {
    let mut v3 = reform_shared::event::v1::upcast(golden_v1());
    v3.signature = Some(Signature {
        key: "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4".into(),
        algorithm: SignatureAlgorithm::Ed25519,
        bytes: vec![7; 64],
        request: br#"{"command_id":"cmd-golden","actor":"lan","command":{}}"#.to_vec(),
    });
    let (fresh, _) = codec::encode(&v3).expect("encodes");
    let frozen = fixture("v3-task-assigned-signed.bin", &fresh);
    assert_eq!(codec::decode(&frozen).expect("v3 decodes").envelope, v3);
    assert_eq!(fresh, frozen, "the current encoder no longer writes v3 bytes identically");
}
