//! The broker's TLS. A deployment's operator provides the server's certificate and tells the
//! clients which authority signed it (`PAR_NATS_CA`). The embedded default and the tests make
//! their own: a local certificate authority and a certificate for this machine's loopback
//! (rcgen), written once into the broker's credentials directory beside the users' seeds, so
//! that a person given a seed from there trusts the broker with the `ca.pem` beside it.
//!
//! A server started with TLS refuses plain connections, and a client that trusts another
//! authority refuses the server: both are shown against a real nats-server.

use std::path::{Path, PathBuf};

/// The authority clients trust, beside the users' seeds.
pub const CA_FILE: &str = "ca.pem";
/// The server's certificate and its key (owner-only), beside them too.
pub const CERT_FILE: &str = "server.pem";
pub const KEY_FILE: &str = "server-key.pem";
/// Where a client is told which authority to trust when its seed has no `ca.pem` beside it.
pub const CA_ENV: &str = "PAR_NATS_CA";

/// The files a server's `tls` block names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not make the local certificates: {0}")]
    Make(#[from] rcgen::Error),
    #[error(transparent)]
    Write(#[from] crate::broker::BrokerError),
    #[error("could not write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Makes, in `dir`, a local authority's certificate and a server certificate for `localhost`
/// and `127.0.0.1` signed by it, unless all three files are there already (kept, so clients
/// keep trusting the broker across restarts). The authority's private key is not kept: the
/// set is made again, whole, if a file is lost.
pub fn local(dir: &Path) -> Result<ServerTls, TlsError> {
    let files = ServerTls { cert: dir.join(CERT_FILE), key: dir.join(KEY_FILE) };
    if [&dir.join(CA_FILE), &files.cert, &files.key].iter().all(|f| f.is_file()) {
        return Ok(files);
    }
    let (ca, cert, key) = make_local()?;
    crate::broker::write_owner_only(&files.key, key.as_bytes())?;
    for (path, text) in [(&files.cert, &cert), (&dir.join(CA_FILE), &ca)] {
        std::fs::write(path, text).map_err(|source| TlsError::Io { path: path.clone(), source })?;
    }
    Ok(files)
}

/// A new authority (its certificate) and a certificate and key for this machine's loopback
/// signed by it, in PEM.
pub fn make_local() -> Result<(String, String, String), rcgen::Error> {
    make_for(&["localhost".to_owned(), "127.0.0.1".to_owned()])
}

/// A new authority (its certificate) and a certificate and key for `names` (host names or IP
/// addresses) signed by it, in PEM.
pub fn make_for(names: &[String]) -> Result<(String, String, String), rcgen::Error> {
    let authority = Authority::new()?;
    let (cert, key) = authority.issue(names)?;
    Ok((authority.cert_pem(), cert, key))
}

/// A certificate authority for the broker's certificates: its key, and its certificate made
/// from the key (the same name and key always make a certificate that verifies what it signed,
/// so an operator keeps only the key to issue a node's certificate later).
pub struct Authority {
    key: rcgen::KeyPair,
    cert: rcgen::Certificate,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authority(..)")
    }
}

impl Authority {
    /// A new authority, with a new key.
    pub fn new() -> Result<Authority, rcgen::Error> {
        Authority::of(rcgen::KeyPair::generate()?)
    }

    /// The authority whose key this is (PEM, as [`Authority::key_pem`] wrote it).
    pub fn from_key_pem(pem: &str) -> Result<Authority, rcgen::Error> {
        Authority::of(rcgen::KeyPair::from_pem(pem)?)
    }

    fn of(key: rcgen::KeyPair) -> Result<Authority, rcgen::Error> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyUsagePurpose};
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.distinguished_name.push(DnType::CommonName, "PAR tracker broker authority");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key)?;
        Ok(Authority { key, cert })
    }

    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// A certificate for `names` (host names or IP addresses), and its new key, in PEM.
    pub fn issue(&self, names: &[String]) -> Result<(String, String), rcgen::Error> {
        let mut params = rcgen::CertificateParams::new(names.to_vec())?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "PAR tracker broker");
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.cert, &self.key)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// The authority a client with this seed trusts: `PAR_NATS_CA` when set, else the `ca.pem`
/// beside the seed, if there is one. `None`: a plain connection.
pub fn authority_for(seed: &Path) -> Option<PathBuf> {
    if let Some(ca) = std::env::var_os(CA_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(ca));
    }
    let beside = seed.parent()?.join(CA_FILE);
    beside.is_file().then_some(beside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_set_is_made_once_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let files = local(dir.path()).expect("made");
        let ca = std::fs::read_to_string(dir.path().join(CA_FILE)).expect("ca");
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
        let key = std::fs::metadata(&files.key).expect("key");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(key.permissions().mode() & 0o077, 0, "the server's key is the owner's only");
        local(dir.path()).expect("kept");
        assert_eq!(std::fs::read_to_string(dir.path().join(CA_FILE)).expect("ca"), ca);
        let seed = dir.path().join("client.nk");
        assert_eq!(authority_for(&seed), Some(dir.path().join(CA_FILE)));
    }
}
