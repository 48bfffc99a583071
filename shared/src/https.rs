//! Where a part serves HTTP (the dashboard's pages, every part's metrics), over TLS when the
//! operator gives it a certificate and its key (`--https-cert`, `--https-key`). The listener
//! then speaks TLS only: a plain request is never answered, so nothing a person reads or
//! sends crosses a network in the clear, even between the province's proxy and a dashboard on
//! another host. Without them it serves plain HTTP, for the embedded default on loopback and
//! for a proxy on the same host.
//!
//! The TLS is rustls with the ring provider, as the broker clients' is, through axum-server:
//! each handshake runs in its connection's own task, bounded by a timeout, so a client that
//! stalls in its handshake holds up no one else.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long open requests may finish once the part is told to stop.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The certificate (with its chain) and its key, in PEM, that a part serves HTTPS with.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpsArgs {
    /// Serve HTTPS only, with this certificate (PEM, the chain after it); plain HTTP without
    /// it. `reformctl broker certificates --file NAME --name HOST` makes one.
    #[arg(
        long = "https-cert",
        env = "PAR_HTTPS_CERT",
        value_name = "FILE",
        requires = "https_key"
    )]
    pub https_cert: Option<PathBuf>,
    /// The certificate's private key (PEM), readable by the part alone.
    #[arg(long = "https-key", env = "PAR_HTTPS_KEY", value_name = "FILE", requires = "https_cert")]
    pub https_key: Option<PathBuf>,
}

impl HttpsArgs {
    /// The files, when both are given (clap refuses one without the other).
    pub fn files(&self) -> Option<HttpsFiles> {
        Some(HttpsFiles { cert: self.https_cert.clone()?, key: self.https_key.clone()? })
    }
}

/// A certificate file and its key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: rustls::pki_types::pem::Error },
    #[error("{path} holds no certificate in PEM (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no private key in PEM (-----BEGIN PRIVATE KEY-----)")]
    NoKey { path: PathBuf },
    #[error("the key {key} does not serve the certificate {cert}: {source}")]
    Mismatch { cert: PathBuf, key: PathBuf, source: rustls::Error },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("serving on {addr} failed: {source}")]
    Serve { addr: SocketAddr, source: std::io::Error },
}

/// The TLS configuration `files` make: TLS 1.2 and 1.3 with rustls's safe defaults, HTTP/1.1.
pub fn server_config(files: &HttpsFiles) -> Result<Arc<rustls::ServerConfig>, HttpsError> {
    use rustls::pki_types::pem::{self, PemObject as _};
    use rustls::pki_types::PrivateKeyDer;
    fn read(path: &Path) -> impl FnOnce(pem::Error) -> HttpsError + '_ {
        move |source| HttpsError::Read { path: path.to_owned(), source }
    }
    let chain = certificates(&files.cert)?;
    let key = match PrivateKeyDer::from_pem_file(&files.key) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => return Err(HttpsError::NoKey { path: files.key.clone() }),
        Err(source) => return Err(read(&files.key)(source)),
    };
    let mismatch =
        |source| HttpsError::Mismatch { cert: files.cert.clone(), key: files.key.clone(), source };
    let mut config = rustls::ServerConfig::builder_with_provider(
        rustls::crypto::ring::default_provider().into(),
    )
    .with_safe_default_protocol_versions()
    .map_err(mismatch)?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(mismatch)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificates of a PEM file (a chain, or the authorities a client trusts); a file that
/// holds none is refused, named.
pub fn certificates(
    path: &Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, HttpsError> {
    use rustls::pki_types::{pem::PemObject as _, CertificateDer};
    let read = |source| HttpsError::Read { path: path.to_owned(), source };
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(read)?;
    match certs.is_empty() {
        true => Err(HttpsError::NoCertificate { path: path.to_owned() }),
        false => Ok(certs),
    }
}

/// A bound port, plain or TLS.
#[derive(Debug)]
pub struct Listener {
    tcp: std::net::TcpListener,
    addr: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// Binds `addr`, with TLS when `files` are given: the files are read and checked here, so a
/// wrong certificate stops the part before it listens, naming the file.
pub async fn bind<A>(addr: A, files: Option<&HttpsFiles>) -> Result<Listener, HttpsError>
where
    A: tokio::net::ToSocketAddrs + std::fmt::Display,
{
    let tls = files.map(server_config).transpose()?;
    let shown = addr.to_string();
    let listen = |source| HttpsError::Listen { addr: shown.clone(), source };
    let tcp = tokio::net::TcpListener::bind(addr).await.map_err(listen)?;
    let tcp = tcp.into_std().map_err(listen)?;
    let addr = tcp.local_addr().map_err(listen)?;
    Ok(Listener { tcp, addr, tls })
}

impl Listener {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://ADDR` or `http://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Serves `router` until `shutdown` resolves, then lets open requests finish: over TLS for
    /// at most [`STOP_GRACE`]; in plain HTTP as axum does, until they end (the caller bounds
    /// its own stop, as `reformctl up` does).
    pub async fn serve(
        self,
        router: axum::Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), HttpsError> {
        let Listener { tcp, addr, tls } = self;
        let failed = |source| HttpsError::Serve { addr, source };
        let Some(tls) = tls else {
            let tcp = tokio::net::TcpListener::from_std(tcp).map_err(failed)?;
            return axum::serve(tcp, router).with_graceful_shutdown(shutdown).await.map_err(failed);
        };
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopping.graceful_shutdown(Some(STOP_GRACE));
        });
        let config = axum_server::tls_rustls::RustlsConfig::from_config(tls);
        axum_server::tls_rustls::from_tcp_rustls(tcp, config)
            .map_err(failed)?
            .handle(handle)
            .serve(router.into_make_service())
            .await
            .map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path, cert: &str, key: &str) -> HttpsFiles {
        let files = HttpsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, cert).expect("writes");
        std::fs::write(&files.key, key).expect("writes");
        files
    }

    #[test]
    fn a_certificate_and_its_key_make_a_configuration() {
        let dir = tempfile::tempdir().expect("a directory");
        let (_, cert, key) = crate::tls::make_for(&["dashboard.example".into()]).expect("made");
        let config = server_config(&files(dir.path(), &cert, &key)).expect("accepted");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn wrong_files_are_refused_naming_them() {
        let dir = tempfile::tempdir().expect("a directory");
        let (_, cert, key) = crate::tls::make_for(&["a.example".into()]).expect("made");
        let (_, _, other_key) = crate::tls::make_for(&["b.example".into()]).expect("made");

        let swapped = files(dir.path(), &key, &cert);
        let said = server_config(&swapped).expect_err("a key is no certificate").to_string();
        assert!(said.contains("cert.pem holds no certificate"), "{said}");

        let keyless = files(dir.path(), &cert, &cert);
        let said = server_config(&keyless).expect_err("a certificate is no key").to_string();
        assert!(said.contains("key.pem holds no private key"), "{said}");

        let foreign = files(dir.path(), &cert, &other_key);
        let said = server_config(&foreign).expect_err("another certificate's key").to_string();
        assert!(said.contains("does not serve the certificate"), "{said}");

        let absent = HttpsFiles { cert: dir.path().join("none.pem"), key: swapped.key };
        let said = server_config(&absent).expect_err("no file").to_string();
        assert!(said.contains("could not read") && said.contains("none.pem"), "{said}");
    }
}
