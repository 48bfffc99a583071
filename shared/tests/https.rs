//! #26: what a part serves over HTTP, it serves over HTTPS only once given a certificate: the
//! metrics here, the dashboard through the same listener (`reform_shared::https`). Read by
//! Python's own TLS (OpenSSL), which trusts only the authority it is given.

use reform_shared::https::HttpsFiles;
use reform_shared::testkit::{https, Broker};

/// A certificate for this machine's loopback, and the authority that signed it, in `dir`.
fn certificate(dir: &std::path::Path) -> (HttpsFiles, std::path::PathBuf) {
    let (ca, cert, key) = reform_shared::tls::make_local().expect("made");
    let files = HttpsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    let authority = dir.join("ca.pem");
    for (path, text) in [(&files.cert, cert), (&files.key, key), (&authority, ca)] {
        std::fs::write(path, text).expect("writes");
    }
    (files, authority)
}

#[tokio::test]
async fn given_a_certificate_a_part_answers_https_only_and_only_to_its_authoritys_clients() {
    let broker = Broker::start().await;
    let dir = tempfile::tempdir().expect("a directory");
    let (files, authority) = certificate(dir.path());
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("a directory");
    let (_, stranger) = certificate(&other);

    let url = reform_shared::metrics::serve("127.0.0.1:0", Some(&files), broker.client.clone())
        .await
        .expect("serves");
    assert!(url.starts_with("https://127.0.0.1:") && url.ends_with("/metrics"), "{url}");
    let port = url.trim_end_matches("/metrics").rsplit(':').next();
    let port: u16 = port.and_then(|p| p.parse().ok()).expect("a port");
    let localhost = format!("https://localhost:{port}/metrics");

    let (url_, ca) = (localhost.clone(), authority.clone());
    let read = tokio::task::spawn_blocking(move || https::get(&url_, &ca)).await.expect("runs");
    let body = read.expect("a client trusting the authority reads the metrics");
    assert!(body.contains("par_log_head"), "{body}");

    let (url_, ca) = (localhost.clone(), stranger.clone());
    let refused = tokio::task::spawn_blocking(move || https::get(&url_, &ca)).await.expect("runs");
    let said = refused.expect_err("a client trusting another authority refuses the server");
    assert!(said.contains("CERTIFICATE_VERIFY_FAILED"), "{said}");

    let plain = tokio::task::spawn_blocking(move || https::plain_get(port, "/metrics"))
        .await
        .expect("runs");
    assert!(!plain.starts_with(b"HTTP/"), "a plain request is never answered in HTTP: {plain:?}");
    assert!(!String::from_utf8_lossy(&plain).contains("par_log_head"));
}
