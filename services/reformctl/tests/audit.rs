//! `reformctl audit verify` and `audit export` through a real nats-server: an honest log
//! passes; an export with a message removed fails, naming the sequence, with exit code 8; a
//! stream that allows deletes is named.

mod common;

use common::reformctl;

use reform_shared::event::UnitKind;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, draft, Broker};

async fn seed(broker: &Broker) {
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ("2016-02-01", assign("t2", "sgd", "Một cửa", "2016-06-30")),
        ("2016-03-31", complete("t1", "sgd")),
    ];
    append_all(&appender, "c", &events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_an_honest_log_and_its_export_and_fails_one_with_a_message_removed() {
    let broker = Broker::start().await;
    seed(&broker).await;
    let url = broker.server.url().to_owned();
    let pass = tokio::task::spawn_blocking({
        let url = url.clone();
        move || reformctl(&url, &["audit", "verify", "--allow-unsigned"])
    })
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&pass.stdout);
    assert_eq!(pass.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.trim(), "PASS: 4 messages, 3 aggregates, no problem, 4 unsigned (allowed)");
    // Without the allowance, events in a person's name with no signed request behind them
    // (as the test harness appends them) are problems.
    let strict = tokio::task::spawn_blocking({
        let url = url.clone();
        move || reformctl(&url, &["audit", "verify"])
    })
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&strict.stdout);
    assert_eq!(strict.status.code(), Some(8), "{stdout}");
    assert!(stdout.contains("unit-added by tester carries no signature"), "{stdout}");

    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("log.jsonl");
    let export_text = export.display().to_string();
    let exported = {
        let (url, export_text) = (url.clone(), export_text.clone());
        tokio::task::spawn_blocking(move || {
            reformctl(&url, &["audit", "export", "--out", &export_text])
        })
        .await
        .expect("joins")
    };
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let text = std::fs::read_to_string(&export).expect("export");
    assert_eq!(text.lines().count(), 4);
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("line")).expect("json");
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["envelope"]["chain"]["version"], 1);
    // The broker's time of storing it, beside the service's recorded time, for the clock check.
    assert!(first["stored_at_ms"].as_i64().is_some_and(|ms| ms > 1_700_000_000_000), "{first}");

    let again = reformctl(&url, &["audit", "verify", "--allow-unsigned", "--export", &export_text]);
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stdout));

    // Remove the third message from the export, as an edited backup would.
    let damaged = dir.path().join("damaged.jsonl");
    let kept: Vec<&str> =
        text.lines().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| l).collect();
    std::fs::write(&damaged, kept.join("\n") + "\n").expect("write");
    let failed = reformctl(
        &url,
        &["audit", "verify", "--allow-unsigned", "--export", &damaged.display().to_string()],
    );
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(8), "{stdout}");
    assert!(stdout.contains("sequence 4: sequence 3 is missing: removed from the log"), "{stdout}");
    assert!(
        stdout.lines().last().is_some_and(|l| l.starts_with("FAIL: 1 problem in 3 messages")),
        "{stdout}"
    );

    let garbage = reformctl(
        &url,
        &[
            "audit",
            "verify",
            "--allow-unsigned",
            "--export",
            &dir.path().join("nope.jsonl").display().to_string(),
        ],
    );
    assert_eq!(garbage.status.code(), Some(1), "a missing file is an error of its own");
}

/// A request as a client sends it, on 2016-03-01.
fn request(command_id: &str, actor: &str, command: serde_json::Value) -> Vec<u8> {
    let request = serde_json::json!({"command_id": command_id, "actor": actor,
        "occurred_on": "2016-03-01", "command": command});
    serde_json::to_vec(&request).expect("JSON")
}

/// What an insider appends: `event` in `actor`'s name, beside a signature they hold.
fn forged(
    command_id: &str,
    actor: &str,
    event: reform_shared::event::Event,
    signature: Option<reform_shared::envelope::Signature>,
) -> reform_shared::append::Draft {
    use reform_shared::time::Timestamp;
    let mut draft = draft(command_id, "2016-03-01", event);
    draft.actor = reform_shared::envelope::Actor::Person(actor.parse().expect("id"));
    draft.recorded_at = Timestamp::now();
    draft.signature = signature;
    draft
}

/// One criterion in each of the eight components, 1.1 to 8.1: 1.1 of 3.00 points, the
/// others of 13.00 and 8.1 of 19.00, so the framework totals 100.00.
fn criteria() -> serde_json::Value {
    let components = [
        "direction-and-management",
        "institutional-reform",
        "administrative-procedures",
        "organisation",
        "civil-service",
        "public-finance",
        "e-government",
        "impact-on-people",
    ];
    let criteria = components.iter().enumerate().map(|(i, component)| {
        let max = ["3.00", "13.00", "19.00"][i.min(1) + i / 7];
        serde_json::json!({"code": format!("{}.1", i + 1), "component": component,
            "title": "Tiêu chí", "max_points": max,
            "survey_measured": false})
    });
    criteria.collect()
}

fn appraisal(points: &str, stage: &str) -> serde_json::Value {
    serde_json::json!({"type": "record-score", "unit": "sgd", "year": 2016, "criterion": "1.1",
        "stage": stage, "points": points, "reason": "theo hồ sơ", "evidence": []})
}

/// An insider with the services' broker credentials appends events whose digest and chain are
/// right (the appender makes them) beside real or stolen signatures. Verify decides every
/// signed command again, so each forgery fails, named at its sequence with what differs, while
/// the honest log, written by the real command services, passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_decides_every_signed_command_again_and_catches_what_an_insider_appends() {
    use reform_shared::event::Stage;
    use reform_shared::testkit::{key_of, send_raw_signed, signed_draft};
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let genesis = signed_draft("g", "2016-01-01", genesis("admin"), "admin");
    appender.append_next(genesis).await.expect("genesis");
    let services = reformctl::up_services::InProcess::start(&broker.client, Default::default())
        .await
        .expect("services start");
    let send = |id: &str, actor: &str, command: serde_json::Value| {
        let (client, bytes, actor, service) = (
            broker.client.clone(),
            request(id, actor, command.clone()),
            actor.to_owned(),
            match command["type"].as_str() {
                Some("record-score" | "publish-framework") => "scoring",
                _ => "directory",
            },
        );
        async move { send_raw_signed(&client, service, &bytes, &actor).await }
    };
    let unit = |unit: &str, name: &str, kind: &str, parent: Option<&str>| {
        serde_json::json!({"type": "add-unit", "unit": unit, "name": name, "kind": kind,
            "parent": parent})
    };
    let honest = [
        ("u1", unit("st", "Tỉnh Sóc Trăng", "province", None)),
        ("u2", unit("snv", "Sở Nội vụ", "department", Some("st"))),
        ("u3", unit("sgd", "Sở Giáo dục và Đào tạo", "department", Some("st"))),
        (
            "p1",
            serde_json::json!({"type": "register-person", "person": "hoa", "name": "Hoa",
            "title": "Chuyên viên"}),
        ),
        (
            "k1",
            serde_json::json!({"type": "register-key", "person": "hoa",
            "key": key_of("hoa").public_key()}),
        ),
        (
            "a1",
            serde_json::json!({"type": "grant-access", "person": "hoa",
            "access": "appraiser", "unit": "snv"}),
        ),
        (
            "f1",
            serde_json::json!({"type": "publish-framework", "year": 2016,
            "unit_kind": "department", "source": "QĐ 2636/QĐ-BNV", "criteria": criteria()}),
        ),
    ];
    for (id, command) in honest {
        let what = command.to_string();
        send(id, "admin", command).await.unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    send("s1", "hoa", appraisal("2.50", "appraised")).await.expect("appraised");
    send("s2", "hoa", appraisal("2.50", "final")).await.expect("final");
    let url = broker.server.url().to_owned();
    let verify = |url: String| async move {
        tokio::task::spawn_blocking(move || reformctl(&url, &["audit", "verify"]))
            .await
            .expect("joins")
    };
    let pass = verify(url.clone()).await;
    let stdout = String::from_utf8_lossy(&pass.stdout).to_string();
    assert_eq!(pass.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("PASS: 10 messages") && stdout.contains("10 signed"), "{stdout}");

    // 1. A request intercepted in flight (an impostor in the services' queue group): hoa asked
    //    for a final 2.00; the insider records 2.99 beside her signature.
    let asked = request("x1", "hoa", appraisal("2.00", "final"));
    let signature = reform_shared::sign::sign(&key_of("hoa"), "par.cmd.scoring", &asked).ok();
    let altered = score("sgd", 2016, "1.1", Stage::Final, Some(250), 299);
    broker.insider_appends(forged("x1", "hoa", altered, signature)).await;
    // 2. A request the service refused (over the criterion's maximum), appended anyway.
    let over = appraisal("99.00", "final");
    let refused = send("x2", "hoa", over.clone()).await.expect_err("above the maximum");
    assert!(refused.to_string().contains("99.00"), "{refused}");
    let signed =
        reform_shared::sign::sign(&key_of("hoa"), "par.cmd.scoring", &request("x2", "hoa", over))
            .ok();
    let above = score("sgd", 2016, "1.1", Stage::Final, Some(299), 9900);
    broker.insider_appends(forged("x2", "hoa", above, signed)).await;
    // 3. The administrator's old signed request to register hoa's key, stapled to a key of
    //    the insider's own.
    let js = &broker.js;
    let stream = js.get_stream(reform_shared::subject::STREAM_NAME).await.expect("stream");
    let record_at = |sequence: u64| {
        let stream = stream.clone();
        async move {
            let raw = stream.get_raw_message(sequence).await.expect("stored");
            reform_shared::codec::decode(&raw.payload).expect("decodes")
        }
    };
    let registration = record_at(6).await;
    assert_eq!(registration.envelope.command_id.as_str(), "k1");
    let mallory = nkeys::KeyPair::new_user();
    let theirs = reform_shared::event::Event::KeyRegistered {
        person: "hoa".parse().expect("id"),
        key: mallory.public_key(),
    };
    let stapled = forged("k1", "admin", theirs, registration.envelope.signature.clone());
    broker.insider_appends(stapled).await;
    // 4. A score signed with that key in hoa's name.
    let mine = request("x4", "hoa", appraisal("3.00", "final"));
    let by_mallory = reform_shared::sign::sign(&mallory, "par.cmd.scoring", &mine).ok();
    let full = score("sgd", 2016, "1.1", Stage::Final, Some(9900), 300);
    broker.insider_appends(forged("x4", "hoa", full, by_mallory)).await;
    // 5. hoa's honest appraisal, appended a second time as it was.
    let appraised = record_at(9).await;
    let mut again = forged("s1", "hoa", appraised.envelope.event.clone(), None);
    again.signature = appraised.envelope.signature.clone();
    again.occurred_at = appraised.envelope.occurred_at;
    again.recorded_at = appraised.envelope.recorded_at;
    broker.insider_appends(again).await;

    let fail = verify(url).await;
    let stdout = String::from_utf8_lossy(&fail.stdout).to_string();
    assert_eq!(fail.status.code(), Some(8), "{stdout}");
    let at = |sequence: u64, needle: &str| {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(&format!("sequence {sequence}:")) && l.contains(needle)),
            "sequence {sequence} should name {needle:?}:\n{stdout}"
        );
    };
    at(11, "score-changed by hoa (command x1) is not what its signed command decides");
    at(11, "its signed command decides score-changed with by \"hoa\", new \"2.00\"");
    at(11, "but the log records score-changed with by \"hoi-dong\", new \"2.99\"");
    at(12, "its signed command is refused on the log before it: 99.00");
    at(13, "key-registered by admin (command k1) is not what its signed command decides");
    // Decided again, the administrator's request registers a key hoa already has.
    at(13, "its signed command is refused on the log before it: key");
    at(13, "is already registered for hoa");
    at(13, "command id k1 was already used by the event at sequence 6");
    at(14, &mallory.public_key());
    at(15, "command id s1 was already used by the event at sequence 9");
    // Decided again on the log before it, the same request now replaces the appraisal of 2.50.
    at(15, "its signed command decides score-changed with old \"2.50\"");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("FAIL: 7 problems in 15 messages"), "{stdout}");
    services.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_a_stream_that_allows_deletes() {
    let server = reform_shared::natsd::NatsServer::start_temporary().expect("server");
    let client = async_nats::connect(server.url()).await.expect("connects");
    let js = async_nats::jetstream::new(client);
    let mut config = reform_shared::stream::stream_config(&Default::default());
    config.deny_delete = false;
    js.create_stream(config).await.expect("stream made by hand");
    let url = server.url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        reformctl(&url, &["audit", "verify", "--allow-unsigned"])
    })
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(8), "{stdout}");
    assert!(
        stdout.contains("log: the stream allows deleting messages (deny_delete is off)"),
        "{stdout}"
    );
}

/// What a head saw on 1 July about 30 June, against what is true now about 30 June: t3's
/// completion on 10 June was entered on 15 July.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_as_known_at_and_as_true_at_give_the_hand_computed_figures() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let day = 86_400_000i64;
    let events: Vec<(&str, i64, reform_shared::event::Event)> = vec![
        ("2016-01-01", 0, unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", 0, assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ("2016-02-01", 0, assign("t2", "sgd", "Một cửa", "2016-06-30")),
        ("2016-03-01", 0, assign("t3", "sgd", "Báo cáo", "2016-06-15")),
        ("2016-03-31", 0, complete("t1", "sgd")),
        ("2016-06-10", 35, complete("t3", "sgd")),
    ];
    for (n, (on, late_days, event)) in events.into_iter().enumerate() {
        let mut d = draft(&format!("r{n}"), on, event);
        d.recorded_at = reform_shared::time::Timestamp(d.recorded_at.0 + late_days * day);
        appender.append_next(d).await.expect("appends");
    }
    let url = broker.server.url().to_owned();
    let dir = tempfile::tempdir().expect("temp dir");
    let views = dir.path().join("replayed.redb").display().to_string();
    let replay = move |args: Vec<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                reformctl(&url, &args)
            })
            .await
            .expect("joins")
        }
    };
    let unit_args = ["unit", "--unit", "sgd", "--year", "2016", "--as-of", "2016-06-30"];
    let mut then: Vec<String> =
        ["--json", "audit", "replay", "--known-at", "2016-07-01", "--views", &views]
            .map(String::from)
            .to_vec();
    then.extend(unit_args.map(String::from));
    let out = replay(then).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tasks = &seen["tasks"];
    assert_eq!(
        (tasks["done_on_time"].as_u64(), tasks["overdue"].as_u64(), tasks["open"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{tasks}"
    );
    assert_eq!(tasks["completion_rate_hundredths"], 3333);
    assert!(std::path::Path::new(&views).exists(), "the replay wrote its own views file");
    // The view commands read that file offline, with no broker at all, and show exactly what
    // was known on 1 July.
    let offline = {
        let views = views.clone();
        tokio::task::spawn_blocking(move || {
            let nowhere = format!("nats://127.0.0.1:{}", common::free_port());
            let mut args = vec!["--json", "view", "--views", views.as_str()];
            args.extend(unit_args);
            reformctl(&nowhere, &args)
        })
        .await
        .expect("joins")
    };
    assert!(offline.status.success(), "{}", String::from_utf8_lossy(&offline.stderr));
    let read: serde_json::Value = serde_json::from_slice(&offline.stdout).expect("json");
    assert_eq!(read["tasks"], seen["tasks"], "the file holds what the replay showed");

    let mut now: Vec<String> = ["--json", "audit", "replay"].map(String::from).to_vec();
    now.extend(unit_args.map(String::from));
    let out = replay(now).await;
    let true_now: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tasks = &true_now["tasks"];
    assert_eq!(
        (tasks["done_on_time"].as_u64(), tasks["overdue"].as_u64(), tasks["open"].as_u64()),
        (Some(2), Some(0), Some(1)),
        "{tasks}"
    );
    assert_eq!(tasks["completion_rate_hundredths"], 6667);

    // A replay never writes over a views file.
    let mut again: Vec<String> = ["audit", "replay", "--views", &views].map(String::from).to_vec();
    again.extend(unit_args.map(String::from));
    let refused = replay(again).await;
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a replay writes a new views file"));
}

/// A checkpoint taken now still holds after more events are appended, fails on a log rewritten
/// from scratch (same events, written anew), and a checkpoint with a bad signature is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_hold_for_an_extended_log_and_catch_a_rewritten_one() {
    let broker = Broker::start().await;
    seed(&broker).await;
    let url = broker.server.url().to_owned();
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("log.nk").display().to_string();
    let note = dir.path().join("checkpoint.txt").display().to_string();
    let run = |url: String, args: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            reformctl(&url, &args)
        })
        .await
        .expect("joins")
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let made = run(url.clone(), args(&["audit", "key", "new", "--out", &key])).await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let public = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert!(public.starts_with('A'), "an nkeys account public key: {public}");
    let taken =
        run(url.clone(), args(&["audit", "checkpoint", "--key", &key, "--out", &note])).await;
    assert!(taken.status.success(), "{}", String::from_utf8_lossy(&taken.stderr));
    let text = std::fs::read_to_string(&note).expect("note");
    assert!(text.lines().nth(1) == Some("4"), "size 4: {text}");

    // An inclusion proof of message 2, checked offline with the checkpoint alone.
    let proved = run(
        url.clone(),
        args(&["audit", "prove", "2", "--checkpoint", &note, "--log-key", &public]),
    )
    .await;
    assert!(proved.status.success(), "{}", String::from_utf8_lossy(&proved.stderr));
    let proof = dir.path().join("proof.json");
    std::fs::write(&proof, &proved.stdout).expect("write");
    let proof_text = proof.display().to_string();
    let offline = reformctl(
        "nats://127.0.0.1:1",
        &["audit", "check-proof", &proof_text, "--checkpoint", &note, "--log-key", &public],
    );
    assert_eq!(offline.status.code(), Some(0), "{}", String::from_utf8_lossy(&offline.stderr));
    assert!(String::from_utf8_lossy(&offline.stdout).starts_with("included: message 2 (leaf 1)"));
    let mut claim: serde_json::Value = serde_json::from_slice(&proved.stdout).expect("json");
    claim["payload_hex"] = serde_json::Value::String("00".repeat(40));
    std::fs::write(&proof, claim.to_string()).expect("write");
    let forged = reformctl(
        "nats://127.0.0.1:1",
        &["audit", "check-proof", &proof_text, "--checkpoint", &note, "--log-key", &public],
    );
    assert_eq!(forged.status.code(), Some(8), "a proof of another message fails");

    // More events: the log extends the checkpoint.
    broker
        .appender()
        .await
        .append_next(draft("c9", "2016-04-01", complete("t2", "sgd")))
        .await
        .expect("appends");
    let holds = run(
        url.clone(),
        args(&["audit", "verify", "--allow-unsigned", "--checkpoint", &note, "--log-key", &public]),
    )
    .await;
    assert_eq!(holds.status.code(), Some(0), "{}", String::from_utf8_lossy(&holds.stdout));

    // History rewritten into another stack with one fact changed (t2's due date) and every
    // digest and link recomputed: every message decodes and chains, but it is not the log the
    // checkpoint covered.
    let other = Broker::start().await;
    let appender = other.appender().await;
    let rewritten_events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ("2016-02-01", assign("t2", "sgd", "Một cửa", "2016-07-31")),
        ("2016-03-31", complete("t1", "sgd")),
    ];
    append_all(&appender, "c", &rewritten_events).await;
    let rewritten = run(
        other.server.url().to_owned(),
        args(&["audit", "verify", "--allow-unsigned", "--checkpoint", &note, "--log-key", &public]),
    )
    .await;
    let stdout = String::from_utf8_lossy(&rewritten.stdout);
    assert_eq!(rewritten.status.code(), Some(8), "{stdout}");
    assert!(stdout.contains("do not match the checkpoint"), "{stdout}");

    // A checkpoint edited after signing.
    let forged = dir.path().join("forged.txt").display().to_string();
    std::fs::write(&forged, text.replacen("\n4\n", "\n3\n", 1)).expect("write");
    let refused = run(
        url.clone(),
        args(&[
            "audit",
            "verify",
            "--allow-unsigned",
            "--checkpoint",
            &forged,
            "--log-key",
            &public,
        ]),
    )
    .await;
    assert_eq!(refused.status.code(), Some(8));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not verify: the note was altered"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// `explain score` lists the event in force behind each criterion of a total, and the sum checks.
/// A rank explained: every peer's final total and the events behind it, the rank recounted
/// from them (equal totals share a rank, the next one skips) and checked against the view's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_rank_recounts_a_peer_groups_ranks_from_their_totals() {
    use reform_shared::event::Stage;
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", unit("st", "Tỉnh", UnitKind::Province, None)),
        ("2016-01-01", unit("a", "Huyện A", UnitKind::District, Some("st"))),
        ("2016-01-01", unit("b", "Huyện B", UnitKind::District, Some("st"))),
        ("2016-01-01", unit("c", "Huyện C", UnitKind::District, Some("st"))),
        ("2017-02-01", score("a", 2016, "1.1", Stage::Final, None, 8000)),
        ("2017-02-01", score("b", 2016, "1.1", Stage::Final, None, 8000)),
        ("2017-02-01", score("c", 2016, "1.1", Stage::Final, None, 7000)),
        ("2017-02-03", score("c", 2016, "1.2", Stage::Final, None, 1500)),
    ];
    append_all(&appender, "r", &events).await;
    let explain = |unit: &'static str, as_of: &'static str| {
        let url = broker.server.url().to_owned();
        tokio::task::spawn_blocking(move || {
            reformctl(
                &url,
                &[
                    "--json", "audit", "explain", "rank", "--unit", unit, "--year", "2016",
                    "--as-of", as_of,
                ],
            )
        })
    };
    // On 2 February, c's second criterion was not in yet: a and b share rank 1, c is third.
    let out = explain("c", "2017-02-02").await.expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!((v["recounted_rank"].as_u64(), v["view_rank"].as_u64()), (Some(3), Some(3)));
    assert_eq!(v["checks"], true);
    let ranks: Vec<Option<u64>> =
        v["peers"].as_array().expect("peers").iter().map(|p| p["rank"].as_u64()).collect();
    assert_eq!(ranks, [Some(1), Some(1), Some(3)]);
    // Since 3 February, c leads with 85.00, on two criteria, the latest at sequence 8.
    let out = explain("c", "2017-02-03").await.expect("joins");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["recounted_rank"], 1);
    let c = &v["peers"][0];
    assert_eq!(
        (c["unit"].as_str(), c["criteria"].as_u64(), c["latest_sequence"].as_u64()),
        (Some("c"), Some(2), Some(8))
    );
    // A district with no final score has no rank, and the view gives none: that checks.
    let d = [("2016-01-01", unit("d", "Huyện D", UnitKind::District, Some("st")))];
    append_all(&appender, "d", &d).await;
    let out = explain("d", "2017-02-03").await.expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!((v["recounted_rank"].as_u64(), v["view_rank"].as_u64()), (None, None));
    assert_eq!(v["checks"], true);
    let url = broker.server.url().to_owned();
    let args =
        ["audit", "explain", "rank", "--unit", "d", "--year", "2016", "--as-of", "2017-02-03"];
    let out = tokio::task::spawn_blocking(move || reformctl(&url, &args)).await.expect("joins");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Huyện D") || said.contains("d chưa có điểm cuối cùng năm 2016"),
        "{said}"
    );
    assert!(said.contains("nên không được xếp hạng") && said.contains("khớp"), "{said}");
    assert!(!said.contains("KHÔNG KHỚP"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_lists_the_events_behind_a_total_and_their_sum_checks() {
    use reform_shared::event::Stage;
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-11-01", score("sgd", 2016, "1.1", Stage::Final, None, 500)),
        ("2016-11-02", score("sgd", 2016, "1.2", Stage::Final, None, 350)),
        ("2016-11-20", score("sgd", 2016, "1.1", Stage::Final, Some(500), 600)),
    ];
    append_all(&appender, "x", &events).await;
    let url = broker.server.url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        reformctl(&url, &["--json", "audit", "explain", "score", "--unit", "sgd", "--year", "2016"])
    })
    .await
    .expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(explained["sum_hundredths"], 950);
    assert_eq!(explained["view_total_hundredths"], 950);
    assert_eq!(explained["checks"], true);
    let rows = explained["events"].as_array().expect("events");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0]["criterion"].as_str(),
            rows[0]["sequence"].as_u64(),
            rows[0]["superseded"].as_u64()
        ),
        (Some("1.1"), Some(4), Some(1))
    );
    assert_eq!(rows[0]["old_hundredths"], 500);
    assert_eq!(
        (rows[1]["criterion"].as_str(), rows[1]["hundredths"].as_u64()),
        (Some("1.2"), Some(350))
    );
    // As true at 10 November: the correction had not happened.
    let url = broker.server.url().to_owned();
    let before = tokio::task::spawn_blocking(move || {
        reformctl(
            &url,
            &[
                "--json",
                "audit",
                "explain",
                "score",
                "--unit",
                "sgd",
                "--year",
                "2016",
                "--as-of",
                "2016-11-10",
            ],
        )
    })
    .await
    .expect("joins");
    let then: serde_json::Value = serde_json::from_slice(&before.stdout).expect("json");
    assert_eq!(then["sum_hundredths"], 850);
}

/// Backup and restore: an export imported into a fresh server verifies, and the views rebuilt
/// from it are byte-identical to the views of the original log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_a_fresh_server_gives_identical_views() {
    let original = Broker::start().await;
    seed(&original).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("backup.jsonl").display().to_string();
    let (url, e) = (original.server.url().to_owned(), export.clone());
    let out =
        tokio::task::spawn_blocking(move || reformctl(&url, &["audit", "export", "--out", &e]))
            .await
            .expect("joins");
    assert!(out.status.success());

    let fresh = Broker::start().await;
    let (url, e) = (fresh.server.url().to_owned(), export.clone());
    let imported = tokio::task::spawn_blocking(move || reformctl(&url, &["audit", "import", &e]))
        .await
        .expect("joins");
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).starts_with("imported 4 messages; PASS"));
    let (url, e) = (fresh.server.url().to_owned(), export.clone());
    let again = tokio::task::spawn_blocking(move || reformctl(&url, &["audit", "import", &e]))
        .await
        .expect("joins");
    assert_eq!(again.status.code(), Some(4), "a log that holds messages is not imported into");

    let dump = |broker_client: async_nats::Client, file: std::path::PathBuf| async move {
        reform_projector::rebuild(broker_client, reform_projector::Config::new(file))
            .await
            .expect("rebuild")
    };
    let a = dump(original.client.clone(), dir.path().join("a.redb")).await;
    let b = dump(fresh.client.clone(), dir.path().join("b.redb")).await;
    assert_eq!(a, b, "the restored log gives byte-identical views");
    assert_eq!(a.applied_through, 4);
}

/// `explain tasks` on docs/views.md's worked example lists the five tasks with the events that
/// made each what it is, and the recount equals the view: 2 on time, 1 late, 1 overdue,
/// 1 cancelled, 75.00 %.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_tasks_recounts_the_worked_example() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    // The tasks alone: the tenures change nothing in the counts.
    let events: Vec<_> = worked_example()
        .into_iter()
        .filter(|(_, e)| {
            e.family() != reform_shared::event::Family::Directory
                || matches!(e, reform_shared::event::Event::UnitAdded { .. })
        })
        .collect();
    append_all(&appender, "w", &events).await;
    let url = broker.server.url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        reformctl(
            &url,
            &[
                "--json",
                "audit",
                "explain",
                "tasks",
                "--unit",
                "sgd",
                "--year",
                "2016",
                "--as-of",
                "2016-12-31",
            ],
        )
    })
    .await
    .expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(explained["checks"], true);
    let c = &explained["recounted"];
    assert_eq!(
        [
            &c["done_on_time"],
            &c["done_late"],
            &c["overdue"],
            &c["open"],
            &c["cancelled"],
            &c["completion_rate_hundredths"]
        ],
        [2, 1, 1, 0, 1, 7500]
    );
    let t4 = explained["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["task"] == "t4")
        .expect("t4")
        .clone();
    assert_eq!(t4["status"], "done-on-time");
    assert_eq!(t4["due_in_force"], "2016-10-31");
    assert_eq!(t4["deadline_changes"], serde_json::json!([10]));
    assert_eq!(t4["completed"], serde_json::json!(["2016-10-15", 11]));
}

/// A task carried across a merger is explained back to its first event at the old unit: the
/// successor's 2025 count lists it with the sequence of its assignment at Sóc Trăng's
/// department and the merger's, and the recount equals the view; the old department's count
/// keeps only what it closed before the day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_tasks_follows_a_carried_task_back_to_the_old_unit() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let events = vec![
        ("2020-01-02", unit("soc-trang", "Tỉnh Sóc Trăng", UnitKind::Province, None)),
        ("2020-01-02", unit("can-tho", "Thành phố Cần Thơ", UnitKind::Province, None)),
        (
            "2020-01-02",
            unit("st-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("soc-trang")),
        ),
        (
            "2020-01-02",
            unit("ct-sgddt", "Sở Giáo dục và Đào tạo", UnitKind::Department, Some("can-tho")),
        ),
        ("2025-02-03", assign("done", "st-sgddt", "Rà soát thủ tục hành chính", "2025-05-31")),
        ("2025-03-03", assign("carried", "st-sgddt", "Số hóa hồ sơ", "2025-09-30")),
        ("2025-05-20", complete("done", "st-sgddt")),
        ("2025-07-01", merged("st-sgddt", "ct-sgddt", "2025-07-01")),
        ("2025-09-15", complete("carried", "ct-sgddt")),
    ];
    append_all(&appender, "m", &events).await;
    let url = broker.server.url().to_owned();
    let explain = |unit: &'static str| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let args = [
                "--json",
                "audit",
                "explain",
                "tasks",
                "--unit",
                unit,
                "--year",
                "2025",
                "--as-of",
                "2026-01-01",
            ];
            reformctl(&url, &args)
        })
    };
    let out = explain("ct-sgddt").await.expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(explained["checks"], true, "{explained}");
    let tasks = explained["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "only the carried task is the successor's: {explained}");
    let carried = &tasks[0];
    assert_eq!(carried["task"], "carried");
    assert_eq!(carried["status"], "done-on-time");
    // Sequences: 4 units, then the assignments (5, 6), the completion (7), the merger (8).
    assert_eq!(carried["assigned_sequence"], 6, "its first event, at the old department");
    assert_eq!(carried["reassignments"], serde_json::json!([8]), "carried by the merger");
    assert_eq!(carried["completed"], serde_json::json!(["2025-09-15", 9]));

    let out = explain("st-sgddt").await.expect("joins");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(explained["checks"], true, "{explained}");
    let tasks: Vec<&str> = explained["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["task"].as_str())
        .collect();
    assert_eq!(tasks, ["done"], "the old department keeps what it closed: {explained}");
}

/// A period's rollup is the one event no person signs: `audit verify` builds each report again
/// from the log before it. Honest closes pass, and are counted; a close whose report an insider
/// doctored (and stored in the bucket, and appended with the services' credentials) fails at
/// its sequence, naming the figure; so does a period rolled up a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_builds_every_periods_report_again_and_catches_a_doctored_close() {
    use reform_rollup::close;
    use reform_rollup::log::End;
    use reform_shared::append::Draft;
    use reform_shared::envelope::Actor;
    use reform_shared::event::{Event, Period};
    use reform_shared::time::Timestamp;
    let broker = Broker::start().await;
    seed(&broker).await;
    let period = |text: &str| text.parse::<Period>().expect("a period");
    let head = broker.stream_messages().await;
    close::close(&broker.js, period("2016-q1"), End::Sequence(head), None, Timestamp::now())
        .await
        .expect("q1 closes");
    // A completion entered after the close, dated inside Q1: the half-year restates Q1.
    let appender = broker.appender().await;
    append_all(&appender, "late", &[("2016-03-30", complete("t2", "sgd"))]).await;
    let head = broker.stream_messages().await;
    close::close(&broker.js, period("2016-h1"), End::Sequence(head), None, Timestamp::now())
        .await
        .expect("h1 closes");
    let url = broker.server.url().to_owned();
    let verify = || {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            reformctl(&url, &["audit", "verify", "--allow-unsigned"])
        })
    };
    let pass = verify().await.expect("joins");
    let stdout = String::from_utf8_lossy(&pass.stdout).to_string();
    assert_eq!(pass.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("2 period reports built again from the log"), "{stdout}");

    // The insider: Q3's honest report with one figure raised, stored under its own digest,
    // and a rollup event naming it.
    let head = broker.stream_messages().await;
    let mut report =
        close::report_of(&broker.js, period("2016-q3"), End::Sequence(head)).await.expect("builds");
    let line = report.units.iter_mut().find(|u| u.unit.as_str() == "sgd").expect("sgd");
    line.tasks.assigned += 5;
    let bytes = reform_rollup::report::json(&report);
    let digest = reform_rollup::report::sha256(&bytes);
    let store = close::bucket(&broker.js).await.expect("bucket");
    let name = format!("{}.json", hex::encode(digest));
    store.put(name.as_str(), &mut bytes.as_slice()).await.expect("stored");
    let forged = |period: Period, report_sha256: [u8; 32], through_sequence: u64| Draft {
        command_id: reform_shared::ids::CommandId::new(format!("rollup-{period}-forged"))
            .expect("id"),
        actor: Actor::Service(close::ACTOR.to_owned()),
        occurred_at: period.closes_at(),
        recorded_at: Timestamp::now(),
        signature: None,
        event: Event::PeriodRolledUp { period, report_sha256, through_sequence },
    };
    broker.insider_appends(forged(period("2016-q3"), digest, head)).await;
    let doctored = broker.stream_messages().await;
    // And Q1 rolled up a second time, naming its honest report.
    let q1 = reform_rollup::closed::closed_event(&broker.js, period("2016-q1"))
        .await
        .expect("reads")
        .expect("closed");
    broker.insider_appends(forged(period("2016-q1"), q1.2, q1.1)).await;
    let again = broker.stream_messages().await;
    let fail = verify().await.expect("joins");
    let stdout = String::from_utf8_lossy(&fail.stdout).to_string();
    assert_eq!(fail.status.code(), Some(8), "{stdout}");
    let doctored_line = format!("sequence {doctored}: the rollup of 2016-q3: its event records");
    assert!(stdout.contains(&doctored_line), "{stdout}");
    assert!(
        stdout.contains("sgd Tasks assigned: the log gives 2, the report says 7"),
        "the figure is named: {stdout}"
    );
    let again_line = format!("sequence {again}: 2016-q1 is rolled up again; it was closed at");
    assert!(stdout.contains(&again_line), "{stdout}");
    // Q1, the half-year, and Q1's second event (which names the honest report) match.
    assert!(stdout.contains("3 period reports built again from the log"), "{stdout}");
}
