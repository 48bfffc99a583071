//! Key seed files: an nkeys seed on one line, readable by its owner only. Used for people's
//! signing keys, the log's checkpoint key and the broker credentials alike.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("key file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("key file {path} is not an nkeys seed: {detail}")]
    NotASeed { path: PathBuf, detail: String },
    #[error(
        "key file {path} can be read by others (mode {mode:o}); a seed is a secret: \
         `chmod 600 {path}`"
    )]
    Readable { path: PathBuf, mode: u32 },
}

/// Writes `key`'s seed to a new file `path` (never over an existing one), mode 0600.
pub fn write(path: &Path, key: &nkeys::KeyPair) -> Result<(), KeyFileError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let seed = key
        .seed()
        .map_err(|e| KeyFileError::NotASeed { path: path.to_owned(), detail: e.to_string() })?;
    let io = |source| KeyFileError::Io { path: path.to_owned(), source };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(format!("{seed}\n").as_bytes()).map_err(io)
}

/// Reads a seed, refusing a file others can read.
pub fn read(path: &Path) -> Result<nkeys::KeyPair, KeyFileError> {
    use std::os::unix::fs::PermissionsExt as _;
    let io = |source| KeyFileError::Io { path: path.to_owned(), source };
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Readable { path: path.to_owned(), mode });
    }
    let seed = std::fs::read_to_string(path).map_err(io)?;
    nkeys::KeyPair::from_seed(seed.trim())
        .map_err(|e| KeyFileError::NotASeed { path: path.to_owned(), detail: e.to_string() })
}

/// Makes `dir` (and its parents) for key files: mode 0700, tightened if it was looser.
pub fn owner_only_dir(dir: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    let io = |source| KeyFileError::Io { path: dir.to_owned(), source };
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
    let mode = std::fs::metadata(dir).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_seed_round_trips_and_a_readable_file_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("me.nk");
        let key = nkeys::KeyPair::new_user();
        write(&path, &key).expect("written");
        assert_eq!(read(&path).expect("read").public_key(), key.public_key());
        assert!(matches!(write(&path, &key), Err(KeyFileError::Io { .. })), "never overwrites");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = read(&path).expect_err("others can read it");
        assert!(refused.to_string().contains("chmod 600"), "{refused}");
    }
}
