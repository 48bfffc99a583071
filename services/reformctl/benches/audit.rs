//! What an audit costs, per event, against the bare work of reading the same bytes: a log of
//! `PAR_BENCH_EVENTS` synthetic events (default 1,000,000, chained per task as the appender
//! chains them, each signed by its person as the command services record them) is decoded
//! alone, verified (digest, subject, chain, and every signature, key and access), hashed into
//! the Merkle tree, and replayed into the projector's in-memory state, first in memory (the
//! auditor's own work), then through a real `nats-server` holding the same log: the bare read
//! of the stream beside verify over it, a replay from it (what `audit replay`, rollups and
//! `explain` start with), one `reformctl audit explain tasks` run end to end, and an operator's
//! `reformctl backup` of that stream and `reformctl restore` of it into an empty broker.

use reform_projector::model::{apply, State};
use reform_shared::checkpoint::LogTree;
use reform_shared::codec;
use reform_shared::event::Role;
use reform_shared::event::UnitKind;
use reform_shared::testkit::events::*;
use reform_shared::testkit::{chained_log, signed_draft};
use reformctl::audit::verify::{Message, Verifier};
use std::time::Instant;

fn main() {
    let n: u64 =
        std::env::var("PAR_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let log = synthetic(n);
    println!("events: {n}, bytes: {}", log.iter().map(|m| m.payload.len()).sum::<usize>());

    if wanted("memory") {
        in_memory(&log);
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    if let Err(e) = runtime.block_on(over_a_stream(&log)) {
        println!("over a real stream: not measured: {e:#}");
    }
}

/// Whether `part` of the bench runs: `PAR_BENCH_PARTS` names them, comma-separated (`memory`,
/// `stream`, `backup`); all when it is not set. `PAR_BENCH_PARTS=backup` at 10 M events
/// measures the backup and the restore without the hour the other parts take.
fn wanted(part: &str) -> bool {
    std::env::var("PAR_BENCH_PARTS").map_or(true, |parts| parts.split(',').any(|p| p == part))
}

/// The auditor's work in memory, each part beside the bare decode.
fn in_memory(log: &[Message]) {
    let n = log.len() as u64;
    let started = Instant::now();
    let mut decoded = 0u64;
    for m in log {
        decoded += u64::from(codec::decode(&m.payload).is_ok());
    }
    report("decode only", n, started, decoded == n);

    let started = Instant::now();
    let mut verifier = Verifier::new();
    for m in log {
        verifier.check(m, None);
    }
    let verdict = verifier.finish();
    report("audit verify, one core", n, started, verdict.passed);
    let started = Instant::now();
    let mut verifier = Verifier::new();
    for batch in log.chunks(8192) {
        verifier.check_all(batch, |_| None);
    }
    let verdict = verifier.finish();
    report("audit verify (chain, signatures, access)", n, started, verdict.passed);
    let started = Instant::now();
    let mut signatures = 0u64;
    for m in log {
        let Ok(record) = codec::decode(&m.payload) else { continue };
        let (Some(signature), Some(endpoint)) = (
            record.envelope.signature.as_ref(),
            reform_shared::sign::endpoint_of(&record.envelope.event),
        ) else {
            continue;
        };
        signatures += u64::from(reform_shared::sign::check(&endpoint, signature).is_ok());
    }
    report("of which: decode and ed25519 alone", n, started, signatures == n);

    let started = Instant::now();
    let mut tree = LogTree::new(None);
    for m in log {
        tree.push(m.sequence, &m.payload);
    }
    report("Merkle tree (checkpoint)", n, started, tree.size() == n);
    let started = Instant::now();
    let mut frontier = reform_shared::tlog::tiles::Frontier::default();
    let mut tiles = 0usize;
    for m in log {
        tiles += frontier.push(reform_shared::checkpoint::entry(m.sequence, &m.payload)).len();
    }
    report("tiles in memory (tlog-tiles)", n, started, frontier.size() == n && tiles > 0);

    let started = Instant::now();
    let mut state = State::default();
    for m in log {
        if let Ok(record) = codec::decode(&m.payload) {
            apply(&mut state, &record, m.sequence);
        }
    }
    report("replay into the in-memory state", n, started, state.events_applied == n);
}

/// The same log in a real stream (synced lazily, to load it faster): read bare, verified,
/// replayed and explained.
async fn over_a_stream(log: &[Message]) -> anyhow::Result<()> {
    let n = log.len() as u64;
    let dir = tempfile::tempdir()?;
    let options = reform_shared::natsd::ServerOptions {
        data_dir: dir.path().to_path_buf(),
        port: None,
        sync: reform_shared::natsd::Sync::Lazy,
        die_with_parent: true,
        auth: None,
    };
    let server = reform_shared::natsd::NatsServer::start(&options)?;
    let client = async_nats::connect(server.url()).await?;
    let js = async_nats::jetstream::new(client);
    reform_shared::stream::init_stream(&js, &Default::default()).await?;
    let started = Instant::now();
    for window in log.chunks(2_000) {
        let mut acks = Vec::with_capacity(window.len());
        for m in window {
            acks.push(js.publish(m.subject.clone(), m.payload.clone().into()).await?);
        }
        for ack in acks {
            ack.await?;
        }
    }
    report("load into the stream (lazy sync)", n, started, true);
    if wanted("stream") {
        read_verify_replay_publish(&js, server.url(), n, dir.path()).await?;
    }
    if wanted("backup") {
        backup_and_restore(server.url(), n, dir.path(), options)?;
    }
    Ok(())
}

/// What an auditor and the publisher do over the stream: read it bare, verify, replay,
/// explain, and publish its tiles.
async fn read_verify_replay_publish(
    js: &async_nats::jetstream::Context,
    url: &str,
    n: u64,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    use futures::StreamExt as _;
    let stream = js.get_stream(reform_shared::subject::STREAM_NAME).await?;
    // Every message of the stream, from the start, as an auditor's reader takes them.
    async fn read_all(
        stream: &async_nats::jetstream::stream::Stream,
    ) -> anyhow::Result<async_nats::jetstream::consumer::pull::Ordered> {
        let config = async_nats::jetstream::consumer::pull::OrderedConfig {
            name: Some(reform_shared::stream::reader_name("bench")),
            ..Default::default()
        };
        Ok(stream.create_consumer(config).await?.messages().await?)
    }
    let started = Instant::now();
    let mut messages = read_all(&stream).await?;
    let mut verifier = Verifier::new();
    let (mut read, mut bytes) = (0u64, 0usize);
    while read < n {
        let Some(message) = messages.next().await else { break };
        let message = message?;
        bytes += message.payload.len();
        read += 1;
    }
    report("stream: bare read", n, started, read == n && bytes > 0);

    let started = Instant::now();
    let mut messages = read_all(&stream).await?;
    let mut read = 0u64;
    let mut batch = Vec::with_capacity(8192);
    while read < n {
        let Some(message) = messages.next().await else { break };
        let message = message?;
        let sequence = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.stream_sequence;
        let subject = message.subject.to_string();
        batch.push(Message {
            sequence,
            subject,
            payload: message.payload.to_vec(),
            stored_at: None,
        });
        read += 1;
        if batch.len() == 8192 || read == n {
            verifier.check_all(&batch, |_| None);
            batch.clear();
        }
    }
    report("stream: audit verify", n, started, verifier.finish().passed);

    let started = Instant::now();
    let end = reform_rollup::log::End::Sequence(n);
    let (state, _) = reform_rollup::log::read_prefix(js, end).await?;
    report("stream: replay (audit replay, explain)", n, started, state.events_applied == n);

    let started = Instant::now();
    let explained = std::process::Command::new(env!("CARGO_BIN_EXE_reformctl"))
        .args(["--nats", url, "--json", "audit", "explain", "tasks"])
        .args(["--unit", "sgd", "--year", "2016", "--as-of", "2016-12-31"])
        .output()?;
    let checks = serde_json::from_slice::<serde_json::Value>(&explained.stdout)
        .ok()
        .and_then(|v| v["checks"].as_bool())
        .unwrap_or(false);
    report("stream: reformctl audit explain tasks", n, started, checks);

    // The publisher: every tile written to disk and the checkpoint of the whole log signed.
    let tiles = dir.join("tiles");
    let key = dir.join("log.nk");
    reform_shared::checkpoint::new_key(&key)?;
    let config = reform_tlog::Config {
        dir: tiles.clone(),
        log_key: key,
        policy: None,
        every: std::time::Duration::from_millis(100),
        witness_ca: None,
    };
    let started = Instant::now();
    let publisher =
        tokio::spawn(reform_tlog::run(js.client().clone(), config, std::future::pending()));
    let published = loop {
        let note = std::fs::read_to_string(tiles.join("checkpoint")).unwrap_or_default();
        if note.lines().nth(1) == Some(n.to_string().as_str()) {
            break true;
        }
        if publisher.is_finished() {
            break false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    report("stream: reform-tlog, tiles and checkpoint", n, started, published);
    publisher.abort();
    Ok(())
}

/// An operator's backup of the stream at `url`, and its restore into an empty broker (synced
/// lazily too).
fn backup_and_restore(
    url: &str,
    n: u64,
    dir: &std::path::Path,
    options: reform_shared::natsd::ServerOptions,
) -> anyhow::Result<()> {
    let backup = dir.join("backup");
    reformctl_timed(
        "reformctl backup",
        n,
        url,
        &["backup".as_ref(), "--to".as_ref(), backup.as_os_str()],
    )?;
    let empty = tempfile::tempdir()?;
    let options =
        reform_shared::natsd::ServerOptions { data_dir: empty.path().to_path_buf(), ..options };
    let other = reform_shared::natsd::NatsServer::start(&options)?;
    let restore: [&std::ffi::OsStr; 3] =
        ["restore".as_ref(), "--from".as_ref(), backup.as_os_str()];
    reformctl_timed("reformctl restore (checked, then loaded)", n, other.url(), &restore)?;
    Ok(())
}

/// `reformctl --nats URL ARGS`, timed and reported as `what`, with what it said if it failed.
fn reformctl_timed(
    what: &str,
    n: u64,
    url: &str,
    args: &[&std::ffi::OsStr],
) -> std::io::Result<()> {
    let started = Instant::now();
    let ran = std::process::Command::new(env!("CARGO_BIN_EXE_reformctl"))
        .args(["--nats", url])
        .args(args)
        .output()?;
    report(what, n, started, ran.status.success());
    if !ran.status.success() {
        println!("  it said: {}", String::from_utf8_lossy(&ran.stderr).trim());
    }
    Ok(())
}

fn report(what: &str, n: u64, started: Instant, ok: bool) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what:<40} {:>10.0} events/s  {secs:>7.2} s{}",
        n as f64 / secs,
        if ok { "" } else { "  (FAILED)" }
    );
}

/// The genesis administrator, a unit, its head and their key, then tasks the head assigns
/// and completes, chained per aggregate and signed.
fn synthetic(n: u64) -> Vec<Message> {
    let drafts = (1..=n)
        .map(|seq| {
            let (event, by) = match seq {
                1 => (genesis("admin"), "admin"),
                2 => (unit("sgd", "Sở Giáo dục", UnitKind::Department, None), "admin"),
                3 => (person("lan", "Nguyễn Thị Lan", "Giám đốc"), "admin"),
                4 => (key("lan"), "admin"),
                5 => (appoint("t-lan", "sgd", "lan", Role::Head, "2015-01-01"), "admin"),
                s if s % 2 == 0 => {
                    (assign(&format!("t{s}"), "sgd", "Nhiệm vụ", "2016-06-30"), "lan")
                }
                s => (complete(&format!("t{}", s - 1), "sgd"), "lan"),
            };
            signed_draft(&format!("b{seq}"), "2016-03-01", event, by)
        })
        .collect();
    chained_log(drafts)
        .into_iter()
        .map(|(sequence, subject, payload)| Message { sequence, subject, payload, stored_at: None })
        .collect()
}
