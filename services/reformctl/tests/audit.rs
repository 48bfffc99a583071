//! `reformctl audit verify` and `audit export` through a real nats-server: an honest log
//! passes; an export with a message removed fails, naming the sequence, with exit code 8; a
//! stream that allows deletes is named.

use reform_shared::event::UnitKind;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{draft, Broker};
use std::process::{Command, Stdio};

fn reformctl(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_reformctl"))
        .args(["--nats", url])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("reformctl runs")
}

async fn seed(broker: &Broker) {
    let appender = broker.appender().await;
    let events = [
        ("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None)),
        ("2016-01-10", assign("t1", "sgd", "Rà soát", "2016-03-31")),
        ("2016-02-01", assign("t2", "sgd", "Một cửa", "2016-06-30")),
        ("2016-03-31", complete("t1", "sgd")),
    ];
    for (n, (on, event)) in events.into_iter().enumerate() {
        appender.append_next(draft(&format!("c{n}"), on, event)).await.expect("appends");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_an_honest_log_and_its_export_and_fails_one_with_a_message_removed() {
    let broker = Broker::start().await;
    seed(&broker).await;
    let url = broker.server.url().to_owned();
    let pass = tokio::task::spawn_blocking({
        let url = url.clone();
        move || reformctl(&url, &["audit", "verify"])
    })
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&pass.stdout);
    assert_eq!(pass.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.trim(), "PASS: 4 messages, 3 aggregates, no problem");

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

    let again = reformctl(&url, &["audit", "verify", "--export", &export_text]);
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stdout));

    // Remove the third message from the export, as an edited backup would.
    let damaged = dir.path().join("damaged.jsonl");
    let kept: Vec<&str> =
        text.lines().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| l).collect();
    std::fs::write(&damaged, kept.join("\n") + "\n").expect("write");
    let failed = reformctl(&url, &["audit", "verify", "--export", &damaged.display().to_string()]);
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(8), "{stdout}");
    assert!(stdout.contains("sequence 4: sequence 3 is missing: removed from the log"), "{stdout}");
    assert!(
        stdout.lines().last().is_some_and(|l| l.starts_with("FAIL: 1 problem in 3 messages")),
        "{stdout}"
    );

    let garbage = reformctl(
        &url,
        &["audit", "verify", "--export", &dir.path().join("nope.jsonl").display().to_string()],
    );
    assert_eq!(garbage.status.code(), Some(1), "a missing file is an error of its own");
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
    let out = tokio::task::spawn_blocking(move || reformctl(&url, &["audit", "verify"]))
        .await
        .expect("joins");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(8), "{stdout}");
    assert!(
        stdout.contains("log: the stream allows deleting messages (deny_delete is off)"),
        "{stdout}"
    );
}
