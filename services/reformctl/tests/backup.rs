//! `reformctl backup` and `reformctl restore` through real nats-servers: a log with a closed
//! period, an evidence file and an operator's skip, backed up and restored into an empty
//! broker, is the same log (identity, checkpoint, every file, the views byte for byte); a
//! restore into a log that holds anything, or of an altered backup, changes nothing.

mod common;

use common::reformctl;
use reform_shared::event::UnitKind;
use reform_shared::natsd::NatsServer;
use reform_shared::stream::{check_stream, LogIdentity};
use reform_shared::testkit::events::*;
use reform_shared::testkit::{append_all, Broker};

/// What a broker holds that a backup keeps: the log's identity, its messages' bytes, the
/// evidence and report objects with their bytes, and the skips.
async fn holdings(
    js: &async_nats::jetstream::Context,
) -> (LogIdentity, Vec<Vec<u8>>, Vec<(String, Vec<u8>)>, String) {
    use futures::StreamExt as _;
    use tokio::io::AsyncReadExt as _;
    let info = check_stream(js).await.expect("the log");
    let stream = js.get_stream("PAR_EVENTS").await.expect("stream");
    let mut messages = Vec::new();
    for seq in 1..=info.state.last_sequence {
        messages.push(stream.get_raw_message(seq).await.expect("message").payload.to_vec());
    }
    let mut objects = Vec::new();
    for bucket in ["PAR_EVIDENCE", "PAR_REPORTS"] {
        let Ok(store) = js.get_object_store(bucket).await else { continue };
        let mut list = store.list().await.expect("list");
        while let Some(info) = list.next().await {
            let name = info.expect("object").name;
            let mut bytes = Vec::new();
            store.get(&name).await.expect("get").read_to_end(&mut bytes).await.expect("read");
            objects.push((format!("{bucket}/{name}"), bytes));
        }
    }
    objects.sort();
    let skips =
        serde_json::to_string(&reform_shared::skips::all(js).await.expect("skips")).expect("json");
    (LogIdentity::of(&info), messages, objects, skips)
}

/// The views rebuilt from the broker's log: their canonical dump.
async fn views(client: &async_nats::Client, dir: &std::path::Path) -> String {
    let config = reform_projector::Config::new(dir.join("views.redb"));
    reform_projector::rebuild(client.clone(), config).await.expect("rebuilds").sha256
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restored_into_an_empty_broker_is_the_same_log_files_and_views() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = Broker::start().await;
    let appender = a.appender().await;
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ("2016-03-20", complete("t1", "sgd")),
        ("2016-03-21", evidence("e1", "sgd", None, "2016-03-21")),
    ];
    append_all(&appender, "w", &events).await;
    let file = b"BAO CAO ket qua CCHC quy I".to_vec();
    let bucket = reform_evidence::store::Store::ensure(&a.js, 1).await.expect("bucket").objects;
    let name = hex::encode(reform_evidence::store::digest_of(&file));
    bucket.put(name.as_str(), &mut file.as_slice()).await.expect("stored");
    let head = a.stream_messages().await;
    let q1 = "2016-q1".parse().expect("period");
    let now = reform_shared::time::Timestamp::now();
    reform_rollup::close::close(&a.js, q1, reform_rollup::log::End::Sequence(head), None, now)
        .await
        .expect("closes");
    let garbage = a.js.publish("par.evt.tasks.x.task.zzz", "garbage".into()).await.expect("pub");
    let bad = garbage.await.expect("stored").sequence;
    reform_shared::skips::skip_unreadable(&a.js, bad, "rác từ bài kiểm thử", "vận hành")
        .await
        .expect("skipped");
    let key = dir.path().join("log.nk");
    let made_public = reform_shared::checkpoint::new_key(&key).expect("log key");

    let backup = dir.path().join("backup");
    let (backup_text, key_text) = (backup.display().to_string(), key.display().to_string());
    let url_a = a.server.url().to_owned();
    let made = tokio::task::spawn_blocking(move || {
        reformctl(&url_a, &["backup", "--to", &backup_text, "--log-key", &key_text])
    })
    .await
    .expect("joins");
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(made.status.success(), "{said}{}", String::from_utf8_lossy(&made.stderr));
    assert!(said.starts_with(&format!("backed up {bad} messages")), "{said}");
    // The file was stored before sealing (as by an earlier version): it has no key.
    assert!(
        said.contains("1 evidence files (0 content keys), 4 report files and 1 skips"),
        "{said}"
    );
    for file in ["manifest.json", "log.jsonl", "skips.json", "checkpoint.note", "log-key.pub"] {
        assert!(backup.join(file).is_file(), "{file}");
    }
    // The log key's public half, never its seed (a seed's text begins with S; a public key's
    // base32 may hold any letters, so the whole text is what is checked).
    let public = std::fs::read_to_string(backup.join("log-key.pub")).expect("pub");
    assert!(nkeys::KeyPair::from_public_key(public.trim()).is_ok(), "a public key: {public}");
    assert!(nkeys::KeyPair::from_seed(public.trim()).is_err(), "no seed");
    assert_eq!(public.trim(), made_public.trim(), "the log key's own public half");

    // Into an empty broker: no stream at all.
    let server_b = NatsServer::start_temporary().expect("nats-server starts");
    let client_b = async_nats::connect(server_b.url()).await.expect("connects");
    let js_b = async_nats::jetstream::new(client_b.clone());
    let restore = |url: String, from: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            reformctl(&url, &["restore", "--from", &from.display().to_string()])
        })
    };
    let restored = restore(server_b.url().to_owned(), backup.clone()).await.expect("joins");
    let said = String::from_utf8_lossy(&restored.stdout).to_string();
    assert!(restored.status.success(), "{said}{}", String::from_utf8_lossy(&restored.stderr));
    assert!(said.starts_with(&format!("restored {bad} messages")), "{said}");
    assert_eq!(holdings(&js_b).await, holdings(&a.js).await, "the same log, files and skips");

    // The checkpoint the backup signed holds for the restored log, whose origin is the same.
    let (note, url_b) =
        (backup.join("checkpoint.note").display().to_string(), server_b.url().to_owned());
    let verified = tokio::task::spawn_blocking(move || {
        reformctl(
            &url_b,
            &["audit", "verify", "--allow-unsigned", "--checkpoint", &note, "--log-key", &public],
        )
    })
    .await
    .expect("joins");
    let said = String::from_utf8_lossy(&verified.stdout).to_string();
    assert!(verified.status.success(), "{said}");
    assert!(said.contains("1 period reports built again from the log"), "{said}");
    assert!(said.contains("1 skipped by an operator"), "{said}");
    let (views_a, views_b) = (dir.path().join("va"), dir.path().join("vb"));
    std::fs::create_dir_all(&views_a).expect("dir");
    std::fs::create_dir_all(&views_b).expect("dir");
    assert_eq!(
        views(&client_b, &views_b).await,
        views(&a.client, &views_a).await,
        "views byte for byte"
    );

    // Again into the restored log: refused, nothing changed.
    let before = holdings(&js_b).await;
    let again = restore(server_b.url().to_owned(), backup.clone()).await.expect("joins");
    assert_eq!(again.status.code(), Some(4), "refused");
    let said = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(said.contains(&format!("the log already holds {bad} messages")), "{said}");
    assert_eq!(holdings(&js_b).await, before);

    // Into a data directory of `up`: its own server is started and stopped for the restore,
    // and `up` then runs on the restored log, the same log as the original.
    let data = dir.path().join("data");
    let (backup_text, data_text) = (backup.display().to_string(), data.display().to_string());
    let into_data = tokio::task::spawn_blocking(move || {
        reformctl(
            "nats://127.0.0.1:1",
            &["restore", "--from", &backup_text, "--data-dir", &data_text],
        )
    })
    .await
    .expect("joins");
    assert!(into_data.status.success(), "{}", String::from_utf8_lossy(&into_data.stderr));
    let identity = holdings(&a.js).await.0;
    let port = common::free_port().to_string();
    let data_text = data.display().to_string();
    let up = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_reformctl"))
            .args(["up", "--once", "--no-demo", "--port", &port, "--data-dir", &data_text])
            .args(["--web", "127.0.0.1:0"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("up runs")
    })
    .await
    .expect("joins");
    let said = String::from_utf8_lossy(&up.stdout).to_string();
    assert!(up.status.success(), "{said}{}", String::from_utf8_lossy(&up.stderr));
    assert!(
        said.contains(&format!("log         {identity}")),
        "up runs on the restored log: {said}"
    );

    // An altered backup: refused before anything is written.
    let altered = dir.path().join("altered");
    std::fs::create_dir_all(&altered).expect("dir");
    for entry in common::files_under(&backup) {
        let to = altered.join(entry.strip_prefix(&backup).expect("inside"));
        std::fs::create_dir_all(to.parent().expect("parent")).expect("dir");
        std::fs::copy(&entry, &to).expect("copy");
    }
    let log = altered.join("log.jsonl");
    let text =
        std::fs::read_to_string(&log).expect("log").replacen("\"sequence\":2", "\"sequence\":7", 1);
    std::fs::write(&log, text).expect("alter");
    let server_c = NatsServer::start_temporary().expect("nats-server starts");
    let refused = restore(server_c.url().to_owned(), altered).await.expect("joins");
    assert_eq!(refused.status.code(), Some(3), "invalid");
    let said = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(
        said.contains("log.jsonl has SHA-256") && said.contains("nothing was restored"),
        "{said}"
    );
    let client_c = async_nats::connect(server_c.url()).await.expect("connects");
    let js_c = async_nats::jetstream::new(client_c);
    assert!(js_c.get_stream("PAR_EVENTS").await.is_err(), "no log was made");
}

/// #27: an erased content stays erased through a backup and a restore, and every proof over
/// the log still holds. A citizen's request is attached as evidence, then erased on a legal
/// basis. The first backup is taken while the erasure is in the log but its key not yet
/// destroyed (the service stopped between the two): the restore destroys it. The second is
/// taken after: it holds no key for it. Neither backup holds the content in the clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_content_stays_erased_through_backup_and_restore_and_the_log_verifies() {
    use reform_evidence::client::{self, FetchError, Lookup};
    use reform_evidence::store::{self, StoreError};
    let dir = tempfile::tempdir().expect("temp dir");
    let a = Broker::start().await;
    let live = store::Store::ensure(&a.js, 1).await.expect("bucket and keys");
    let personal = "Đơn của ông Nguyễn Văn A, CCCD 079012345678, địa chỉ ấp Phú Hữu".as_bytes();
    let other = "Báo cáo kết quả CCHC quý I năm 2016".as_bytes();
    let attached = |e: &str, bytes: &[u8], digest: [u8; 32]| {
        let mut event = evidence(e, "sgd", None, "2016-03-21");
        if let reform_shared::event::Event::EvidenceAttached {
            sha256,
            size_bytes,
            object_key,
            ..
        } = &mut event
        {
            (*sha256, *size_bytes, *object_key) =
                (digest, bytes.len() as u64, store::object_key(&digest));
        }
        event
    };
    let (d1, d2) = (
        store::put(&live, personal).await.expect("stored sealed"),
        store::put(&live, other).await.expect("stored sealed"),
    );
    let erased = reform_shared::event::Event::EvidenceErased {
        evidence: reform_shared::testkit::id("e1"),
        unit: reform_shared::testkit::id("sgd"),
        sha256: d1,
        legal_basis: "Điều 16 Luật Bảo vệ dữ liệu cá nhân; đơn ngày 02/12/2026".into(),
        others: Vec::new(),
    };
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-03-21", attached("e1", personal, d1)),
        ("2016-03-21", attached("e2", other, d2)),
        ("2026-12-03", erased),
    ];
    append_all(&a.appender().await, "w", &events).await;
    let key = dir.path().join("log.nk");
    let public = reform_shared::checkpoint::new_key(&key).expect("log key");
    let url_a = a.server.url().to_owned();
    let back_up = |to: std::path::PathBuf| {
        let (url, key) = (url_a.clone(), key.display().to_string());
        tokio::task::spawn_blocking(move || {
            reformctl(&url, &["backup", "--to", &to.display().to_string(), "--log-key", &key])
        })
    };
    let (before, after) = (dir.path().join("before"), dir.path().join("after"));
    let made = back_up(before.clone()).await.expect("joins");
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(said.contains("2 evidence files (2 content keys)"), "{said}");
    assert!(live.erase(&d1).await.expect("the service destroys the key"));
    let made = back_up(after.clone()).await.expect("joins");
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(said.contains("2 evidence files (1 content keys)"), "{said}");

    for (backup, destroys) in [(before, true), (after, false)] {
        for file in common::files_under(&backup) {
            let bytes = std::fs::read(&file).expect("read");
            let clear = bytes.windows(personal.len()).any(|w| w == personal);
            assert!(!clear, "{} holds the erased content in the clear", file.display());
        }
        let server = NatsServer::start_temporary().expect("nats-server starts");
        let (url, from) = (server.url().to_owned(), backup.display().to_string());
        let restored =
            tokio::task::spawn_blocking(move || reformctl(&url, &["restore", "--from", &from]))
                .await
                .expect("joins");
        let said = String::from_utf8_lossy(&restored.stdout).to_string();
        assert!(restored.status.success(), "{said}{}", String::from_utf8_lossy(&restored.stderr));
        let line = "destroyed 1 content keys the restored log says were erased";
        assert_eq!(said.contains(line), destroys, "{said}");
        let client = async_nats::connect(server.url()).await.expect("connects");
        let gone =
            client::fetch(&client, &Lookup::Evidence(reform_shared::testkit::id("e1"))).await;
        assert!(matches!(gone, Err(FetchError::Store(StoreError::Erased { .. }))), "{gone:?}");
        let kept =
            client::fetch(&client, &Lookup::Evidence(reform_shared::testkit::id("e2"))).await;
        assert_eq!(kept.expect("the other document opens"), other);

        let (note, url) =
            (backup.join("checkpoint.note").display().to_string(), server.url().to_owned());
        let public = public.clone();
        let verified = tokio::task::spawn_blocking(move || {
            reformctl(
                &url,
                &[
                    "audit",
                    "verify",
                    "--allow-unsigned",
                    "--checkpoint",
                    &note,
                    "--log-key",
                    &public,
                ],
            )
        })
        .await
        .expect("joins");
        let said = String::from_utf8_lossy(&verified.stdout).to_string();
        assert!(verified.status.success(), "{said}{}", String::from_utf8_lossy(&verified.stderr));
    }
}
