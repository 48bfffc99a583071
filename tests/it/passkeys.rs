//! Passkeys through the real services on a real broker: an administrator opens an enrolment,
//! the person enrols a passkey with the code and signs commands with it, exactly as with an
//! nkeys key; every way to misuse a code or a passkey is turned down with nothing appended;
//! and the auditor re-checks the passkey signatures from the log alone.

use reform_shared::command::{send_signed, Accepted, CommandError, FailureKind};
use reform_shared::envelope::{Signature, SignatureAlgorithm};
use reform_shared::event::{Role, UnitKind};
use reform_shared::passkey::enrolment_digest;
use reform_shared::testkit::events::*;
use reform_shared::testkit::passkey::SoftPasskey;
use reform_shared::testkit::{append_all, send_raw_signed, Broker};
use reform_shared::time::Date;

const SITE: &str = "cchc.soctrang.gov.vn";
const CODE: &str = "K7QM-2XRT-9HPD-WZ4C";

struct World {
    broker: Broker,
    services: reformctl::up_services::InProcess,
}

impl World {
    /// The administrator (genesis, signed), a department with its head `lan`, who has no key,
    /// and `minh`, registered with none either.
    async fn start() -> World {
        let broker = Broker::start().await;
        let appender = broker.appender().await;
        appender
            .append_next(reform_shared::testkit::signed_draft(
                "g",
                "2016-01-01",
                genesis("admin"),
                "admin",
            ))
            .await
            .expect("genesis");
        let world = [
            unit("sgd", "Sở Giáo dục và Đào tạo", UnitKind::Department, None),
            person("lan", "Trần Thị Lan", "Giám đốc Sở"),
            person("minh", "Lê Văn Minh", "Chuyên viên"),
            appoint("t-lan", "sgd", "lan", Role::Head, "2015-01-01"),
        ];
        let dated: Vec<(&str, _)> = world.into_iter().map(|e| ("2016-01-04", e)).collect();
        append_all(&appender, "world", &dated).await;
        let unsigned = reform_shared::audit::verify::Unsigned::Allowed;
        let services = reformctl::up_services::InProcess::start(&broker.client, unsigned)
            .await
            .expect("services start");
        World { broker, services }
    }

    async fn open_enrolment(&self, person: &str, code: &str) {
        let until = Date::today_in_vietnam().add_days(7).expect("a day");
        let command = serde_json::json!({"type": "open-enrolment", "person": person,
            "code_digest": enrolment_digest(code), "until": until});
        let id = format!("open-{person}-{}", &enrolment_digest(code)[..8]);
        let bytes = request(&id, "admin", command);
        send_raw_signed(&self.broker.client, "directory", &bytes, "admin").await.expect("opened");
    }

    async fn send(&self, service: &str, signature: Signature) -> Result<Accepted, CommandError> {
        let headers = reform_shared::sign::headers(&signature);
        send_signed(&self.broker.client, service, signature.request, headers).await
    }

    /// `command` for `service` as `actor`, signed by `passkey`.
    async fn send_with(
        &self,
        passkey: &SoftPasskey,
        service: &str,
        id: &str,
        actor: &str,
        command: serde_json::Value,
    ) -> Result<Accepted, CommandError> {
        let endpoint = reform_shared::subject::command_subject(service);
        let signature = passkey.sign_request(&endpoint, &request(id, actor, command));
        self.send(service, signature).await
    }

    async fn enrol(
        &self,
        passkey: &SoftPasskey,
        id: &str,
        person: &str,
        code: &str,
    ) -> Result<Accepted, CommandError> {
        let command = serde_json::json!({"type": "enrol-passkey", "person": person,
            "code": code, "key": passkey.key});
        self.send_with(passkey, "directory", id, person, command).await
    }

    /// The auditor's verdict on the whole log, every signed command decided again.
    async fn verdict(&self) -> reform_shared::audit::verify::Verdict {
        let mut verifier = reform_audit::verifier_allowing_unsigned();
        let js = async_nats::jetstream::new(self.broker.client.clone());
        reform_shared::audit::read::verify_stream(&js, &mut verifier, |_| {}, |_| {})
            .await
            .expect("the log reads");
        verifier.finish()
    }

    /// `attempt` is turned down as `kind`, naming `words`, and appends nothing.
    async fn turned_down(
        &self,
        attempt: impl std::future::Future<Output = Result<Accepted, CommandError>>,
        kind: FailureKind,
        words: &str,
    ) {
        let before = self.broker.stream_messages().await;
        let error = attempt.await.expect_err("turned down");
        assert_eq!(error.kind(), kind, "{error}");
        assert!(error.to_string().contains(words), "{error} does not say {words:?}");
        assert_eq!(self.broker.stream_messages().await, before, "appended: {error}");
    }
}

fn request(id: &str, actor: &str, command: serde_json::Value) -> Vec<u8> {
    let request = serde_json::json!({"command_id": id, "actor": actor, "command": command});
    serde_json::to_vec(&request).expect("JSON")
}

fn task(id: &str) -> serde_json::Value {
    serde_json::json!({"type": "assign-task", "task": id, "unit": "sgd", "person": "lan",
        "title": "Rà soát thủ tục hành chính", "target": "Báo cáo rà soát", "due": "2027-06-30"})
}

/// Lan enrols a passkey with her code and assigns a task with it; the log holds her assertion
/// and the auditor's verify, which decides every signed command again, passes and counts both
/// her events as signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_enrols_a_passkey_and_signs_her_orders_with_it() {
    let w = World::start().await;
    w.open_enrolment("lan", CODE).await;
    let passkey = SoftPasskey::es256(SITE, "lan");
    w.enrol(&passkey, "enrol-1", "lan", "k7qm 2xrt 9hpd wz4c").await.expect("enrolled");
    w.send_with(&passkey, "tasks", "task-1", "lan", task("t1")).await.expect("assigned");
    let ed = SoftPasskey::ed25519(SITE, "lan-2");
    w.open_enrolment("lan", "AAAA-BBBB-CCCC-DDDD").await;
    w.enrol(&ed, "enrol-2", "lan", "AAAA-BBBB-CCCC-DDDD").await.expect("a second passkey, EdDSA");
    w.send_with(&ed, "tasks", "task-2", "lan", task("t2")).await.expect("assigned with EdDSA");
    let records = w.broker.records().await;
    let by_passkey: Vec<_> = records
        .iter()
        .filter(|r| {
            r.envelope
                .signature
                .as_ref()
                .is_some_and(|s| s.algorithm == SignatureAlgorithm::WebAuthn)
        })
        .map(|r| r.envelope.event.type_name())
        .collect();
    assert_eq!(
        by_passkey,
        ["passkey-enrolled", "task-assigned", "passkey-enrolled", "task-assigned"]
    );
    let verdict = w.verdict().await;
    assert!(verdict.passed, "{:?}", verdict.problems);
    // The genesis, the administrator's two enrolments, and Lan's four by passkey.
    assert_eq!(verdict.signed, 1 + 2 + 4);
    assert_eq!(verdict.by_passkey, 4);
    assert_eq!(verdict.passkey_signers, ["lan"]);
    let line = verdict.line_vi();
    assert!(line.contains("(4 ký bằng khóa truy cập, của 1 người)"), "{line}");
    w.services.stop().await;
}

/// A code is one person's, once, and only the passkey it enrols may sign its enrolment; a
/// passkey signs only the request it was asked to, on its own site, with the person present.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_and_passkeys_cannot_be_misused() {
    use FailureKind::{Denied, Refused};
    let w = World::start().await;
    w.open_enrolment("lan", CODE).await;
    let lan = SoftPasskey::es256(SITE, "lan");
    let thief = SoftPasskey::es256(SITE, "thief");
    // Another person's code; a wrong code.
    w.turned_down(w.enrol(&thief, "x1", "minh", CODE), Refused, "no enrolment of minh").await;
    w.turned_down(
        w.enrol(&lan, "x2", "lan", "K7QM-2XRT-9HPD-WZ4D"),
        Refused,
        "no enrolment of lan",
    )
    .await;
    // An enrolment signed by another passkey than the one it names.
    let command = serde_json::json!({"type": "enrol-passkey", "person": "lan", "code": CODE,
        "key": lan.key});
    let signed_by_thief = w.send_with(&thief, "directory", "x3", "lan", command);
    w.turned_down(signed_by_thief, Denied, "is not registered for anyone").await;
    // Before it is enrolled, the passkey signs nothing.
    w.turned_down(w.send_with(&lan, "tasks", "x4", "lan", task("t0")), Denied, "not registered")
        .await;
    w.enrol(&lan, "enrol-1", "lan", CODE).await.expect("enrolled");
    // Her signed request sent again, as a replay: its first answer, nothing appended.
    let signed = lan.sign_request("par.cmd.tasks", &request("once", "lan", task("t-once")));
    w.send("tasks", signed.clone()).await.expect("assigned");
    let before = w.broker.stream_messages().await;
    let again = w.send("tasks", signed).await.expect("the first answer");
    assert!(again.duplicate, "{again:?}");
    assert_eq!(w.broker.stream_messages().await, before, "a replay appended");
    // The code again, for the thief's passkey.
    w.turned_down(w.enrol(&thief, "x5", "lan", CODE), Refused, "was used already").await;
    // Signed, then altered: the due date moved.
    let endpoint = "par.cmd.tasks";
    let mut altered = lan.sign_request(endpoint, &request("x6", "lan", task("t6")));
    altered.request =
        String::from_utf8(altered.request).expect("utf-8").replace("2027", "2028").into_bytes();
    w.turned_down(w.send("tasks", altered), Denied, "another challenge").await;
    // Made on another site's page; made with nobody present; signed for another service.
    let bytes = request("x7", "lan", task("t7"));
    let message = reform_shared::sign::signed_message(endpoint, &bytes);
    let as_signature = |assertion: reform_shared::passkey::Assertion| Signature {
        key: lan.key.clone(),
        algorithm: SignatureAlgorithm::WebAuthn,
        bytes: assertion.to_bytes(),
        request: bytes.clone(),
    };
    let phished = as_signature(lan.assert_on(&message, "https://cchc-soctrang.example", 0x05));
    w.turned_down(w.send("tasks", phished), Denied, "not a page of").await;
    // The person reads why, in Vietnamese.
    let again = as_signature(lan.assert_on(&message, "https://cchc-soctrang.example", 0x05));
    let error = w.send("tasks", again).await.expect_err("denied");
    let CommandError::Failed { reason: Some(reason), .. } = &error else { panic!("{error:?}") };
    assert_eq!(reason.code, "signature.passkey-wrong-site");
    let said = reform_shared::wording::refusal_vi(reason).expect("a sentence");
    assert!(said.contains("không thuộc hệ thống này"), "{said}");
    let absent = as_signature(lan.assert_on(&message, &lan.origin, 0x00));
    w.turned_down(w.send("tasks", absent), Denied, "no user presence").await;
    let elsewhere = lan.sign_request("par.cmd.scoring", &bytes);
    w.turned_down(w.send("tasks", elsewhere), Denied, "another challenge").await;
    // Garbage where the assertion goes.
    let mut garbage = lan.sign_request(endpoint, &bytes);
    garbage.bytes = vec![0xff; 40];
    w.turned_down(w.send("tasks", garbage), Denied, "not readable").await;
    // Revoked by its owner: what it signs next is denied.
    let revoke = serde_json::json!({"type": "revoke-key", "person": "lan", "key": lan.key,
        "reason": "mất điện thoại"});
    w.send_with(&lan, "directory", "revoke", "lan", revoke).await.expect("revoked by its owner");
    w.turned_down(w.send_with(&lan, "tasks", "x8", "lan", task("t8")), Denied, "was revoked").await;
    w.services.stop().await;
}

/// Someone with the services' credentials (and every other server secret) appends a passkey of
/// their own as Lan's, signed by that passkey over an enrolment request with a code they made
/// up. No server secret opens an enrolment: the auditor's verify, deciding every signed command
/// again, names the forged enrolment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_an_insider_enrols_for_someone_fails_verify() {
    use reform_shared::testkit::draft;
    let w = World::start().await;
    let forger = SoftPasskey::es256(SITE, "forger");
    let request = request(
        "forged-enrol",
        "lan",
        serde_json::json!({"type": "enrol-passkey", "person": "lan", "code": "MADE-UP0-0000-0000",
            "key": forger.key}),
    );
    let mut forged = draft(
        "forged-enrol",
        "2026-12-06",
        reform_shared::event::Event::PasskeyEnrolled {
            person: reform_shared::testkit::id("lan"),
            key: forger.key.clone(),
            code_digest: enrolment_digest("MADE-UP0-0000-0000"),
        },
    );
    forged.actor = reform_shared::envelope::Actor::Person(reform_shared::testkit::id("lan"));
    forged.signature = Some(forger.sign_request("par.cmd.directory", &request));
    w.broker.insider_appends(forged).await;
    let verdict = w.verdict().await;
    assert!(!verdict.passed, "a forged enrolment passed verify");
    let problems = format!("{:?}", verdict.problems);
    assert!(problems.contains("no enrolment of lan with this code"), "{problems}");
    w.services.stop().await;
}
