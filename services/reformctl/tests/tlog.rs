//! The log published by the C2SP specifications, checked with tools we did not write.
//!
//! A real broker holds 300 events; the publisher (`reform-tlog`) writes their tree as tiles and
//! has three witnesses (c2sp.org/tlog-witness) cosign each checkpoint, one of them offline; the
//! gateway serves the tiles under `/log/`. Cloudflare's `signed_note` crate checks the log's
//! signature and the cosignatures, and its `tlog_tiles` crate (a port of Go's sumdb/tlog)
//! rebuilds the tree's root from the tiles fetched over HTTP and proves entries in it.

mod common;

use common::reformctl;
use reform_shared::event::UnitKind;
use reform_shared::testkit::events::{assign, unit};
use reform_shared::testkit::{append_all, eventually, Broker};
use reform_shared::tlog::cosignature::{VerifierKey, ED25519};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

const EVENTS: usize = 300;
/// The bytes of the period report the last event names.
const REPORT: &[u8] = b"{\"period\":\"2016-q1\"}";

/// `GET path` over HTTP/1.0 with a plain socket: status and body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<u8>) {
    http(addr, &format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").into_bytes()).await
}

async fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, String) {
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, body) = http(addr, request.as_bytes()).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn http(addr: std::net::SocketAddr, request: &[u8]) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connects");
    socket.write_all(request).await.expect("sends");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.expect("reads");
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, answer[split + 4..].to_vec())
}

/// A witness served on a free port (over HTTPS with `https`): its verifier key and address.
async fn witness(
    name: &str,
    log: &VerifierKey,
    dir: &Path,
    https: Option<&reform_shared::https::HttpsFiles>,
) -> (String, std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let key = nkeys::KeyPair::new_account();
    let witness = reform_audit::witness::Witness::open(
        name.to_owned(),
        key,
        vec![log.clone()],
        dir.join(format!("{}.record", name.replace('/', "_"))),
    )
    .expect("a witness");
    let vkey = witness.vkey();
    let listener = reform_shared::https::bind("127.0.0.1:0", https).await.expect("a port");
    let addr = listener.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(reform_audit::witness::serve(listener, witness, async move {
        let _ = stopped.await;
    }));
    (vkey, addr, stop)
}

/// A cosignature/v1 verifier for `signed_note`, written from the specification
/// (c2sp.org/tlog-cosignature): the key id over type 0x04, the signed message prefixed with
/// `cosignature/v1` and the time.
struct CosignatureV1 {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl CosignatureV1 {
    fn new(vkey: &str) -> CosignatureV1 {
        use base64::Engine as _;
        let mut parts = vkey.splitn(3, '+');
        let (name, _, material) = (parts.next().unwrap_or(""), parts.next(), parts.next());
        let material = base64::engine::general_purpose::STANDARD
            .decode(material.expect("a key"))
            .expect("base64");
        assert_eq!(material[0], 0x04, "a cosignature/v1 key");
        let key: [u8; 32] = material[1..].try_into().expect("32 bytes");
        CosignatureV1 {
            name: name.to_owned(),
            id: signed_note::key_id(name, &material),
            key: ed25519_dalek::VerifyingKey::from_bytes(&key).expect("a key"),
        }
    }
}

impl signed_note::Verifier for CosignatureV1 {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((time, signature)) = sig.split_at_checked(8) else { return false };
        let time = u64::from_be_bytes(time.try_into().unwrap_or_default());
        let mut message = format!("cosignature/v1\ntime {time}\n").into_bytes();
        message.extend_from_slice(msg);
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else { return false };
        self.key.verify_strict(&message, &signature).is_ok()
    }
}

/// Tiles fetched over HTTP, for `tlog_tiles` (which names them by Go's sumdb paths).
struct Fetched(HashMap<String, Vec<u8>>);

impl tlog_tiles::TileReader for Fetched {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| self.0.get(&c2sp_path(t)).cloned().ok_or(tlog_tiles::Error::IndexesNotInTree))
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

/// Go's `tile/8/<L>/<N>` is C2SP's `tile/<L>/<N>` (the height is fixed at 8).
fn c2sp_path(tile: &tlog_tiles::Tile) -> String {
    tile.path().replacen("tile/8/", "tile/", 1)
}

/// The entries of a bundle: each after its 16-bit length.
fn entries(bundle: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while rest.len() >= 2 {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        out.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_tree_is_checked_by_independent_tools_and_witnessed_by_two_of_three() {
    let broker = Broker::start().await;
    let appender = broker.appender().await;
    let mut events = vec![("2016-01-01", unit("sgd", "Sở Giáo dục", UnitKind::Department, None))];
    let titles: Vec<String> = (1..EVENTS - 1).map(|i| format!("t{i}")).collect();
    for t in &titles {
        events.push(("2016-01-10", assign(t, "sgd", "Rà soát", "2016-03-31")));
    }
    // The last event closes a period, naming its report by digest.
    use sha2::Digest as _;
    events.push((
        "2016-04-01",
        reform_shared::event::Event::PeriodRolledUp {
            period: "2016-q1".parse().expect("a period"),
            report_sha256: sha2::Sha256::digest(REPORT).into(),
            through_sequence: (EVENTS - 1) as u64,
        },
    ));
    append_all(&appender, "c", &events).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let log_key = dir.path().join("log.nk");
    let public = reform_shared::checkpoint::new_key(&log_key).expect("a key");
    let js = async_nats::jetstream::new(broker.client.clone());
    let identity = reform_shared::stream::current_identity(&js).await.expect("identity");
    let origin = reform_shared::checkpoint::origin_of(&identity);
    let log = VerifierKey::from_nkey(&origin, ED25519, &public).expect("the log's vkey");

    // Three oversight bodies; the State Audit's witness is down. The inspectorate's serves
    // HTTPS only, with a certificate from its own authority, which the publisher is given.
    let (noi_vu, noi_vu_addr, _a) =
        witness("sonoivu.soctrang.gov.vn/witness", &log, dir.path(), None).await;
    let (authority, cert, cert_key) = reform_shared::tls::make_local().expect("certificates");
    let https = reform_shared::https::HttpsFiles {
        cert: dir.path().join("thanh-tra.pem"),
        key: dir.path().join("thanh-tra-key.pem"),
    };
    let witness_ca = dir.path().join("witnesses-ca.pem");
    for (path, text) in [(&https.cert, cert), (&https.key, cert_key), (&witness_ca, authority)] {
        std::fs::write(path, text).expect("written");
    }
    let (thanh_tra, thanh_tra_addr, _b) =
        witness("thanhtra.soctrang.gov.vn/witness", &log, dir.path(), Some(&https)).await;
    let thanh_tra_port = thanh_tra_addr.port();
    let (kiem_toan, kiem_toan_addr, stop_kiem_toan) =
        witness("kiemtoan.gov.vn/witness", &log, dir.path(), None).await;
    stop_kiem_toan.send(()).expect("stops");
    let policy_text = format!(
        "log {}\nwitness noi-vu {noi_vu} http://{noi_vu_addr}\nwitness thanh-tra {thanh_tra} https://localhost:{thanh_tra_port}\nwitness kiem-toan {kiem_toan} http://{kiem_toan_addr}\ngroup ba-co-quan 2 noi-vu thanh-tra kiem-toan\nquorum ba-co-quan\n",
        log.to_vkey()
    );
    let policy = dir.path().join("policy.txt");
    std::fs::write(&policy, &policy_text).expect("policy");

    let tiles = dir.path().join("tiles");
    let config = reform_tlog::Config {
        dir: tiles.clone(),
        log_key: log_key.clone(),
        policy: Some(policy.clone()),
        every: Duration::from_millis(50),
        witness_ca: Some(witness_ca.clone()),
    };
    let (stop_publisher, publisher_stopped) = tokio::sync::oneshot::channel::<()>();
    let publisher = tokio::spawn(reform_tlog::run(broker.client.clone(), config, async move {
        let _ = publisher_stopped.await;
    }));

    // The gateway serves the tiles.
    let listener = reform_gateway::bind(([127, 0, 0, 1], 0).into(), None).await.expect("a port");
    let web = listener.local_addr();
    let site = reform_gateway::Site { rp_id: "localhost".into(), tlog_dir: Some(tiles.clone()) };
    tokio::spawn(reform_gateway::serve(
        broker.client.clone(),
        listener,
        site,
        std::future::pending(),
    ));

    let note = eventually(
        "a checkpoint of every event, cosigned twice",
        Duration::from_secs(60),
        || async {
            let (status, body) = get(web, "/log/checkpoint").await;
            let note = String::from_utf8(body).ok()?;
            (status == 200
                && note.lines().nth(1) == Some("300")
                && note.matches("\n— ").count() >= 2)
                .then_some(note)
        },
    )
    .await;

    // Over NATS the publisher answers the same note, and `reformctl status` sees it at the head.
    let asked = broker.client.request(reform_tlog::SUBJECT_CHECKPOINT, "".into()).await;
    assert_eq!(asked.expect("the publisher answers").payload, note.as_bytes());
    let status = reformctl::status::gather(&broker.client).await.expect("status");
    let tlog = status.parts.iter().find(|p| p.name == "par-tlog").expect("listed");
    assert_eq!(tlog.state(), "running");
    assert_eq!(tlog.health.as_ref().map(|h| h.applied_through), Some(EVENTS as u64));

    // signed_note: the log's signature and both cosignatures verify; the offline witness's is absent.
    let parsed = signed_note::Note::from_bytes(note.as_bytes()).expect("a signed note");
    let verifiers = signed_note::VerifierList::new(vec![
        Box::new(signed_note::StandardVerifier::new(&log.to_vkey()).expect("log vkey")),
        Box::new(CosignatureV1::new(&noi_vu)),
        Box::new(CosignatureV1::new(&thanh_tra)),
        Box::new(CosignatureV1::new(&kiem_toan)),
    ]);
    let (verified, unverified) = parsed.verify(&verifiers).expect("every known signature verifies");
    let mut names: Vec<&str> = verified.iter().map(|s| s.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [origin.as_str(), "sonoivu.soctrang.gov.vn/witness", "thanhtra.soctrang.gov.vn/witness"]
    );
    assert!(unverified.is_empty());

    // tlog_tiles: the tiles of a tree of 300 fetched over HTTP give the checkpoint's root.
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(parsed.text()).expect("a checkpoint");
    assert_eq!(checkpoint.size(), EVENTS as u64);
    let mut fetched = HashMap::new();
    for tile in tlog_tiles::Tile::new_tiles(8, 0, checkpoint.size()) {
        let path = c2sp_path(&tile);
        let (status, bytes) = get(web, &format!("/log/{path}")).await;
        assert_eq!(status, 200, "{path}");
        fetched.insert(path, bytes);
    }
    let fetched = Fetched(fetched);
    let reader = tlog_tiles::TileHashReader::new(checkpoint.size(), *checkpoint.hash(), &fetched);
    assert_eq!(
        tlog_tiles::tree_hash(checkpoint.size(), &reader).expect("the root from the tiles"),
        *checkpoint.hash()
    );

    // Each entry is the message's sequence and the SHA-256 of its bytes, and it is in the tree.
    let mut bundle = get(web, "/log/tile/entries/000").await.1;
    bundle.extend(get(web, "/log/tile/entries/001.p/44").await.1);
    let published = entries(&bundle);
    assert_eq!(published.len(), EVENTS);
    let mut messages = Vec::new();
    reform_shared::log::read_raw(&js, &reform_shared::log::Range::through(EVENTS as u64), |m| {
        messages.push(m);
        std::ops::ControlFlow::Continue(())
    })
    .await
    .expect("reads the log");
    for index in [0usize, 1, 255, 256, 299] {
        let m = &messages[index];
        let expected =
            [&m.sequence.to_be_bytes()[..], &sha2::Sha256::digest(&m.payload)[..]].concat();
        assert_eq!(published[index], expected, "entry {index}");
        let proof =
            tlog_tiles::prove_record(checkpoint.size(), index as u64, &reader).expect("a proof");
        tlog_tiles::check_record(
            &proof,
            checkpoint.size(),
            *checkpoint.hash(),
            index as u64,
            tlog_tiles::record_hash(&published[index]),
        )
        .expect("the entry is in the tree");
    }

    // The gateway serves only what the specification names.
    assert_eq!(get(web, "/log/tile/0/x000/000").await.0, 400);
    assert_eq!(get(web, "/log/tile/0/../../log.nk").await.0, 400);
    assert_eq!(get(web, "/log/tile/3/000").await.0, 404);

    // audit verify: the checkpoint meets the policy; a policy needing all three does not.
    let cp_file = dir.path().join("checkpoint.txt");
    std::fs::write(&cp_file, &note).expect("write");
    let url = broker.server.url().to_owned();
    // Of an export: the live log's verify would also build the close's report again, and this
    // test's close names a report no rollup wrote.
    let export = dir.path().join("log.jsonl").display().to_string();
    let exported = {
        let (url, export) = (url.clone(), export.clone());
        tokio::task::spawn_blocking(move || reformctl(&url, &["audit", "export", "--out", &export]))
            .await
            .expect("joins")
    };
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let verify = |policy: std::path::PathBuf| {
        let (export, cp) = (export.clone(), cp_file.display().to_string());
        tokio::task::spawn_blocking(move || {
            let p = policy.display().to_string();
            reformctl(
                "nats://127.0.0.1:1",
                &[
                    "audit",
                    "verify",
                    "--allow-unsigned",
                    "--export",
                    &export,
                    "--checkpoint",
                    &cp,
                    "--policy",
                    &p,
                ],
            )
        })
    };
    let met = verify(policy.clone()).await.expect("joins");
    assert_eq!(met.status.code(), Some(0), "{}", String::from_utf8_lossy(&met.stderr));
    assert!(
        String::from_utf8_lossy(&met.stderr).contains("cosigned by noi-vu, thanh-tra"),
        "{}",
        String::from_utf8_lossy(&met.stderr)
    );
    let strict = dir.path().join("all.txt");
    std::fs::write(&strict, policy_text.replace("ba-co-quan 2 ", "ba-co-quan all "))
        .expect("write");
    let unmet = verify(strict).await.expect("joins");
    assert_eq!(unmet.status.code(), Some(8));
    assert!(
        String::from_utf8_lossy(&unmet.stderr)
            .contains("cosigned by noi-vu, thanh-tra; the policy's quorum (ba-co-quan) needs more"),
        "{}",
        String::from_utf8_lossy(&unmet.stderr)
    );

    receipts_are_checked_offline(web, dir.path(), &policy, &url, &tiles).await;
    forks_and_stale_checkpoints_are_refused(&log_key, &origin, noi_vu_addr).await;

    // Stopped, the log grown, started again: the publisher resumes from its tiles, and the
    // witnesses cosign the next checkpoint from the one they hold.
    let _ = stop_publisher.send(());
    publisher.await.expect("joins").expect("the publisher stopped cleanly");
    append_all(&appender, "d", &[("2016-02-01", assign("t-next", "sgd", "Một cửa", "2016-06-30"))])
        .await;
    let config = reform_tlog::Config {
        dir: tiles.clone(),
        log_key: log_key.clone(),
        policy: Some(policy.clone()),
        every: Duration::from_millis(50),
        witness_ca: Some(witness_ca.clone()),
    };
    tokio::spawn(reform_tlog::run(broker.client.clone(), config, std::future::pending()));
    let next =
        eventually("the next checkpoint, cosigned twice", Duration::from_secs(60), || async {
            let note = std::fs::read_to_string(tiles.join("checkpoint")).ok()?;
            (note.lines().nth(1) == Some("301") && note.matches("\n— ").count() >= 2)
                .then_some(note)
        })
        .await;
    let policy = reform_shared::tlog::policy::Policy::parse(&policy_text).expect("the policy");
    let checked = policy.check(&next).expect("meets the quorum");
    assert_eq!(checked.cosigned, ["noi-vu", "thanh-tra"]);
}

/// A receipt from the dashboard, checked offline (no broker) against the policy: a task's
/// event, and the period report the close event names; a receipt altered, or a report that is
/// not the one named, fails.
async fn receipts_are_checked_offline(
    web: std::net::SocketAddr,
    dir: &Path,
    policy: &Path,
    url: &str,
    tiles: &Path,
) {
    let offline = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            reformctl("nats://127.0.0.1:1", &args)
        })
    };
    let policy = policy.display().to_string();
    // A task's event: not public on the dashboard (only to the person who recorded it, signed
    // in: the web test); an operator gives its receipt.
    let (status, refusal) = get(web, "/log/receipt/2").await;
    assert_eq!(status, 403);
    let refusal = String::from_utf8_lossy(&refusal);
    assert!(
        refusal.contains("chỉ cấp biên nhận của báo cáo định kỳ, và của lệnh do chính bạn ký"),
        "{refusal}"
    );
    let give = |sequence: u64| {
        let (url, tiles) = (url.to_owned(), tiles.display().to_string());
        tokio::task::spawn_blocking(move || {
            let sequence = sequence.to_string();
            reformctl(&url, &["audit", "receipt", &sequence, "--tiles", &tiles])
        })
    };
    let given = give(2).await.expect("joins");
    assert!(given.status.success(), "{}", String::from_utf8_lossy(&given.stderr));
    let text = given.stdout;
    let receipt = dir.join("2.tlog-proof");
    std::fs::write(&receipt, &text).expect("write");
    let r = receipt.display().to_string();
    let checked = offline(vec![
        "audit".into(),
        "check-receipt".into(),
        r.clone(),
        "--policy".into(),
        policy.clone(),
    ])
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(0), "{}", String::from_utf8_lossy(&checked.stderr));
    assert!(
        stdout.starts_with("included: message 2 (task-assigned, recorded ")
            && stdout.contains("is in the log of 300 messages, cosigned by noi-vu, thanh-tra"),
        "{stdout}"
    );
    // The receipt's message swapped for another: its entry is not in the tree.
    let three = give(3).await.expect("joins").stdout;
    let extra = |t: &[u8]| String::from_utf8_lossy(t).lines().nth(1).expect("extra").to_owned();
    let swapped = String::from_utf8_lossy(&text).replacen(&extra(&text), &extra(&three), 1);
    std::fs::write(&receipt, swapped).expect("write");
    let refused =
        offline(vec!["audit".into(), "check-receipt".into(), r, "--policy".into(), policy.clone()])
            .await
            .expect("joins");
    assert_eq!(refused.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not in the checkpoint's tree"));

    // The period report: the close's receipt names its digest.
    let (status, text) = get(web, "/log/receipt/300").await;
    assert_eq!(status, 200);
    let receipt = dir.join("close.tlog-proof");
    std::fs::write(&receipt, &text).expect("write");
    let report = dir.join("2016-q1.json");
    std::fs::write(&report, REPORT).expect("write");
    let args = |report: &Path| {
        vec![
            "audit".into(),
            "check-receipt".into(),
            receipt.display().to_string(),
            "--policy".into(),
            policy.clone(),
            "--report".into(),
            report.display().to_string(),
        ]
    };
    let named = offline(args(&report)).await.expect("joins");
    assert_eq!(named.status.code(), Some(0), "{}", String::from_utf8_lossy(&named.stderr));
    assert!(
        String::from_utf8_lossy(&named.stdout).contains("is the one the close of 2016-q1 names")
    );
    std::fs::write(&report, b"{\"period\":\"2016-q1\",\"edited\":true}").expect("write");
    let edited = offline(args(&report)).await.expect("joins");
    assert_eq!(edited.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&edited.stderr)
        .contains("is not the report of 2016-q1 the log records"));

    let later = give(301).await.expect("joins");
    assert_eq!(later.status.code(), Some(7), "not checkpointed yet: try again");
    // Not checkpointed yet: said in Vietnamese, nothing given.
    let (status, text) = get(web, "/log/receipt/301").await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&text)
        .contains("chưa nằm trong điểm kiểm mới nhất (gồm 300 bản ghi)"));
}

/// A witness shown a fork of what it cosigned refuses it (422); one shown a stale size answers
/// with the size it holds (409); a checkpoint of a log it does not know, 404.
async fn forks_and_stale_checkpoints_are_refused(
    log_key: &Path,
    origin: &str,
    witness: std::net::SocketAddr,
) {
    use reform_shared::tlog::proofs::{consistency, MemoryHashes};
    use reform_shared::tlog::tiles::Frontier;
    use reform_shared::tlog::witness::AddCheckpoint;
    // A forked log: 300 entries none of which is the real log's, and one more.
    let key = reform_shared::checkpoint::read_key(log_key).expect("the log key");
    let mut frontier = Frontier::default();
    let mut hashes = MemoryHashes::default();
    for i in 0..301u64 {
        hashes.keep(&frontier.push(reform_shared::checkpoint::entry(i + 1, b"forged")));
    }
    hashes.keep(&frontier.partials());
    let forked = reform_shared::checkpoint::Checkpoint {
        origin: origin.to_owned(),
        size: 301,
        root: frontier.root(),
    };
    let note = forked.sign(&key).expect("signs");
    let proof = consistency(&hashes, 300, 301).expect("a proof within the fork");
    let body = AddCheckpoint { old: 300, proof, note: note.clone() }.to_body();
    let (status, answer) = post(witness, "/add-checkpoint", &body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("not consistent with the tree of 300 cosigned before"), "{answer}");

    let stale = AddCheckpoint { old: 0, proof: Vec::new(), note }.to_body();
    let (status, answer) = post(witness, "/add-checkpoint", &stale).await;
    assert_eq!((status, answer.as_str()), (409, "300\n"));

    let other =
        reform_shared::checkpoint::Checkpoint { origin: "another.example/log".into(), ..forked };
    let unknown =
        AddCheckpoint { old: 0, proof: Vec::new(), note: other.sign(&key).expect("signs") };
    assert_eq!(post(witness, "/add-checkpoint", &unknown.to_body()).await.0, 404);
    let (status, _) = post(witness, "/add-checkpoint", "old 1\n\ngarbage").await;
    assert_eq!(status, 400);
}
