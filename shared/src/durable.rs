//! A file replaced whole or not at all, and still there after a power loss: the bytes written
//! to a temporary file beside it and synced, renamed over it, and the directory synced so the
//! rename itself is on disk. A record that must never go back (a witness's last cosigned size,
//! a published tile) is written this way.

use std::io::Write as _;
use std::path::Path;

/// Replaces `path` with `bytes`, creating its directory when missing.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_replaced_file_holds_the_new_bytes_and_its_directory_is_made() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a/b/record");
        super::replace(&path, b"one").expect("writes");
        super::replace(&path, b"two").expect("replaces");
        assert_eq!(std::fs::read(&path).expect("reads"), b"two");
        assert_eq!(std::fs::read_dir(path.parent().expect("dir")).expect("lists").count(), 1);
    }
}
