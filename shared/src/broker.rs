//! Who may do what on the broker: four users, each authenticated by an nkey, in two accounts,
//! and the files that tell nats-server their public keys.
//!
//! The rules are in `deploy/nats/permissions.conf` ([`PERMISSIONS_CONF`]): the services and
//! JetStream in the account [`SERVICES_ACCOUNT`], people in [`PEOPLE_ACCOUNT`], which imports
//! from the first only what people may ask. Its users' public keys come from `users.conf`,
//! which [`provision`] writes beside one seed per user. The deployed server and the embedded
//! one ([`crate::natsd`]) include the very same rules.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The permissions, as shipped in `deploy/nats/permissions.conf`. It includes
/// [`USERS_FILE`] from its own directory.
pub const PERMISSIONS_CONF: &str = include_str!("../../deploy/nats/permissions.conf");
/// The permissions file's name, beside a server's config.
pub const PERMISSIONS_FILE: &str = "permissions.conf";
/// The file defining the users' public keys, beside the permissions.
pub const USERS_FILE: &str = "users.conf";
/// The account of the services, and of JetStream: every stream lives in it.
pub const SERVICES_ACCOUNT: &str = "PAR";
/// The account of people (clients and auditors): no JetStream, only what it imports from
/// [`SERVICES_ACCOUNT`]. Every answer to a person's request lands here, whatever reply
/// subject the request named, so none can reach the log's subjects.
pub const PEOPLE_ACCOUNT: &str = "PEOPLE";

crate::named_enum! {
    /// The broker's users, each with its own permissions.
    pub enum BrokerUser ("broker user") {
        /// The command services, the projector, the rollup and the operator's provisioning.
        Service = "service";
        /// The evidence service: a service that may also write evidence objects.
        Evidence = "evidence";
        /// People's `reformctl`: commands, views, uploads, reading.
        Client = "client";
        /// `reformctl audit`: reading only.
        Auditor = "auditor";
    }
}

impl BrokerUser {
    /// The broker account the user is in.
    pub fn account(self) -> &'static str {
        match self {
            BrokerUser::Service | BrokerUser::Evidence => SERVICES_ACCOUNT,
            BrokerUser::Client | BrokerUser::Auditor => PEOPLE_ACCOUNT,
        }
    }

    /// The variable `users.conf` defines as the user's public key.
    pub fn variable(self) -> &'static str {
        match self {
            BrokerUser::Service => "PAR_NKEY_SERVICE",
            BrokerUser::Evidence => "PAR_NKEY_EVIDENCE",
            BrokerUser::Client => "PAR_NKEY_CLIENT",
            BrokerUser::Auditor => "PAR_NKEY_AUDITOR",
        }
    }
}

impl std::fmt::Display for BrokerUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why credentials could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("could not prepare the credentials directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    /// A seed file missing, unreadable, readable by others, or not a seed.
    #[error(transparent)]
    Seed(#[from] crate::keyfile::KeyFileError),
    #[error(
        "{path} holds an nkeys seed of another kind ({kind}); a broker user needs a user seed \
         (SU...)",
        path = .path.display()
    )]
    NotAUserSeed { path: PathBuf, kind: String },
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Where a set of credentials lives: `<user>.nk` seeds and `users.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub dir: PathBuf,
}

impl Credentials {
    /// The seed file of `user`: hand it to whoever connects as that user
    /// (`--nats-nkey FILE`).
    pub fn seed_path(&self, user: BrokerUser) -> PathBuf {
        self.dir.join(format!("{}.nk", user.as_str()))
    }

    /// The public keys, as nats-server variables.
    pub fn users_conf(&self) -> PathBuf {
        self.dir.join(USERS_FILE)
    }

    /// Writes what a server needs into its config directory: the permissions
    /// ([`PERMISSIONS_FILE`]) and a copy of the public keys ([`USERS_FILE`]), which the
    /// permissions include from their own directory. Its config then has
    /// `include "permissions.conf"`.
    pub fn install_server_files(&self, config_dir: &Path) -> Result<(), BrokerError> {
        let users = std::fs::read_to_string(self.users_conf())
            .map_err(|source| BrokerError::Read { path: self.users_conf(), source })?;
        write_owner_only(&config_dir.join(USERS_FILE), users.as_bytes())?;
        write_owner_only(&config_dir.join(PERMISSIONS_FILE), PERMISSIONS_CONF.as_bytes())
    }
}

/// Makes (or completes) a set of credentials in `dir`: the directory, owner-only (mode 0700);
/// one nkeys user seed per user, `dir/<user>.nk` (mode 0600), kept when already there so a
/// restart keeps its keys; and `dir/users.conf` (mode 0600), rewritten from the seeds, defining
/// `PAR_NKEY_SERVICE`, `PAR_NKEY_EVIDENCE`, `PAR_NKEY_CLIENT` and `PAR_NKEY_AUDITOR`. A seed
/// file that others can read is refused, not repaired: it may have leaked.
pub fn provision(dir: &Path) -> Result<Credentials, BrokerError> {
    crate::keyfile::owner_only_dir(dir).map_err(|e| match e {
        crate::keyfile::KeyFileError::Io { path, source } => BrokerError::Dir { path, source },
        other => BrokerError::Seed(other),
    })?;
    let credentials = Credentials { dir: dir.to_path_buf() };
    let mut users = String::from(
        "# The broker users' public keys, for deploy/nats/permissions.conf (which includes this\n\
         # file from its own directory). Written by reform-shared's broker::provision from the\n\
         # seeds beside it (<user>.nk); public keys only.\n",
    );
    for user in BrokerUser::ALL {
        let key = seed(&credentials.seed_path(user))?;
        users.push_str(&format!("{}: \"{}\"\n", user.variable(), key.public_key()));
    }
    write_owner_only(&credentials.users_conf(), users.as_bytes())?;
    Ok(credentials)
}

/// Reads a user seed, refusing a file others can read ([`crate::keyfile::read`]) and a seed
/// of another kind.
pub fn read_seed(path: &Path) -> Result<nkeys::KeyPair, BrokerError> {
    let key = crate::keyfile::read(path)?;
    if key.key_pair_type() != nkeys::KeyPairType::User {
        return Err(BrokerError::NotAUserSeed {
            path: path.to_path_buf(),
            kind: format!("{:?}", key.key_pair_type()),
        });
    }
    Ok(key)
}

/// The seed at `path`: read when present, else made. The file is created new, never over
/// another, so two provisioning runs at once end with the seed of the first.
fn seed(path: &Path) -> Result<nkeys::KeyPair, BrokerError> {
    if path.exists() {
        return read_seed(path);
    }
    let key = nkeys::KeyPair::new_user();
    match crate::keyfile::write(path, &key) {
        Ok(()) => Ok(key),
        Err(crate::keyfile::KeyFileError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            read_seed(path)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes a file readable by its owner only, atomically (a temporary file renamed over it).
pub fn write_owner_only(path: &Path, bytes: &[u8]) -> Result<(), BrokerError> {
    let write_error = |source| BrokerError::Write { path: path.to_path_buf(), source };
    let dir = path.parent().unwrap_or(Path::new("."));
    // tempfile creates its files with mode 0600.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    file.as_file().sync_all().map_err(write_error)?;
    file.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyfile::KeyFileError;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn provision_makes_owner_only_seeds_and_the_users_file() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("broker");
        let credentials = provision(&dir).expect("provisions");
        assert_eq!(mode(&dir), 0o700);
        let users = std::fs::read_to_string(credentials.users_conf()).expect("users.conf");
        assert_eq!(mode(&credentials.users_conf()), 0o600);
        let mut keys = std::collections::BTreeSet::new();
        for user in BrokerUser::ALL {
            let path = credentials.seed_path(user);
            assert_eq!(path.file_name().and_then(|n| n.to_str()), Some(&*format!("{user}.nk")));
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            let key = read_seed(&path).expect("a user seed");
            let line = format!("{}: \"{}\"", user.variable(), key.public_key());
            assert!(users.lines().any(|l| l == line), "{line} missing from:\n{users}");
            keys.insert(key.public_key());
        }
        assert_eq!(keys.len(), 4, "every user has a key of its own");
    }

    #[test]
    fn provision_again_keeps_the_seeds() {
        let temp = tempfile::tempdir().expect("tempdir");
        let first = provision(temp.path()).expect("provisions");
        let seeds: Vec<String> = BrokerUser::ALL
            .iter()
            .map(|u| std::fs::read_to_string(first.seed_path(*u)).expect("seed"))
            .collect();
        let users = std::fs::read_to_string(first.users_conf()).expect("users.conf");
        std::fs::remove_file(first.users_conf()).expect("removed");
        let second = provision(temp.path()).expect("provisions again");
        assert_eq!(first, second);
        for (user, seed) in BrokerUser::ALL.iter().zip(&seeds) {
            assert_eq!(&std::fs::read_to_string(second.seed_path(*user)).expect("seed"), seed);
        }
        assert_eq!(std::fs::read_to_string(second.users_conf()).expect("users.conf"), users);
    }

    #[test]
    fn provision_completes_a_missing_seed() {
        let temp = tempfile::tempdir().expect("tempdir");
        let credentials = provision(temp.path()).expect("provisions");
        let kept =
            std::fs::read_to_string(credentials.seed_path(BrokerUser::Service)).expect("test file");
        std::fs::remove_file(credentials.seed_path(BrokerUser::Auditor)).expect("removed");
        provision(temp.path()).expect("provisions again");
        assert_eq!(
            std::fs::read_to_string(credentials.seed_path(BrokerUser::Service)).expect("test file"),
            kept
        );
        read_seed(&credentials.seed_path(BrokerUser::Auditor)).expect("a new auditor seed");
    }

    #[test]
    fn provision_refuses_a_seed_others_can_read() {
        let temp = tempfile::tempdir().expect("tempdir");
        let credentials = provision(temp.path()).expect("provisions");
        let path = credentials.seed_path(BrokerUser::Client);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = provision(temp.path()).expect_err("a readable seed is refused");
        assert!(
            matches!(error, BrokerError::Seed(KeyFileError::Readable { mode: 0o644, .. })),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("chmod 600"), "{text}");
        assert_eq!(mode(&path), 0o644, "not repaired behind the operator's back");
    }

    #[test]
    fn provision_tightens_a_loose_directory() {
        let temp = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))
            .expect("test file");
        provision(temp.path()).expect("provisions");
        assert_eq!(mode(temp.path()), 0o700);
    }

    #[test]
    fn read_seed_refuses_what_is_not_a_user_seed() {
        let temp = tempfile::tempdir().expect("tempdir");
        let garbage = temp.path().join("garbage.nk");
        std::fs::write(&garbage, "not a seed\n").expect("test file");
        std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o600))
            .expect("test file");
        assert!(matches!(
            read_seed(&garbage),
            Err(BrokerError::Seed(KeyFileError::NotASeed { .. }))
        ));
        let account = temp.path().join("account.nk");
        crate::checkpoint::new_key(&account).expect("an account seed");
        let error = read_seed(&account).expect_err("an account seed is not a user's");
        assert!(matches!(error, BrokerError::NotAUserSeed { .. }), "{error:?}");
        let missing = temp.path().join("missing.nk");
        let error = read_seed(&missing).expect_err("no file");
        assert!(error.to_string().contains(&missing.display().to_string()), "{error}");
    }

    #[test]
    fn the_permissions_name_every_user_variable() {
        assert!(PERMISSIONS_CONF.contains(&format!("include \"{USERS_FILE}\"")));
        for user in BrokerUser::ALL {
            assert!(
                PERMISSIONS_CONF.contains(&format!("nkey: ${}", user.variable())),
                "{user} has no entry in permissions.conf"
            );
        }
    }

    /// The text of one account's block in permissions.conf (`NAME {` to its closing brace).
    fn account_block(name: &str) -> &'static str {
        let start = PERMISSIONS_CONF
            .find(&format!("\n  {name} {{\n"))
            .unwrap_or_else(|| panic!("no account {name} in permissions.conf"));
        let rest = &PERMISSIONS_CONF[start..];
        let end = rest.find("\n  }\n").expect("the account block ends");
        &rest[..end]
    }

    #[test]
    fn every_user_is_in_its_account_and_only_the_services_have_jetstream() {
        for user in BrokerUser::ALL {
            let entry = format!("nkey: ${}", user.variable());
            for account in [SERVICES_ACCOUNT, PEOPLE_ACCOUNT] {
                assert_eq!(
                    account_block(account).contains(&entry),
                    account == user.account(),
                    "{user} in {account}"
                );
            }
        }
        assert!(account_block(SERVICES_ACCOUNT).contains("jetstream: enabled"));
        assert!(!account_block(PEOPLE_ACCOUNT).contains("jetstream"));
        // Every service PAR exports is imported by PEOPLE, and the reverse.
        let subjects = |block: &str, pattern: &str| -> std::collections::BTreeSet<String> {
            block
                .lines()
                .filter_map(|l| l.split_once(pattern))
                .filter_map(|(_, rest)| rest.split('"').nth(1).map(str::to_owned))
                .collect()
        };
        let exported = subjects(account_block(SERVICES_ACCOUNT), "{ service: ");
        let imported = subjects(account_block(PEOPLE_ACCOUNT), "subject: ");
        assert!(exported.len() > 15, "{exported:?}");
        assert_eq!(exported, imported, "exported and imported differ");
        // People make nothing on the broker: no consumer API crosses (docs/security.md).
        assert!(!exported.iter().any(|s| s.contains("CONSUMER") || s.starts_with("$JS.FC")));
    }
}
