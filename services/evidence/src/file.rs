//! Reading an evidence file from disk with a hard cap, for the CLI and any other client.
//!
//! A size taken from file metadata is only a claim: `/dev/zero` says 0 bytes and never ends, a
//! FIFO blocks the opener until someone writes, and a file may grow between the check and the
//! read. So the file is opened without blocking, must be a regular file by the open handle
//! itself (not by a path looked at earlier), and is read up to the limit plus one byte: one
//! more byte than allowed is proof enough that the file is too large.

use crate::EVIDENCE_BYTES_MAX;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// Why a file cannot be attached as evidence.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} is {kind}, not a regular file; attach a document saved as a file")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path} is larger than the evidence limit of {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Reads a regular file of at most [`EVIDENCE_BYTES_MAX`] bytes.
pub fn read_evidence_file(path: &Path) -> Result<Vec<u8>, FileError> {
    read_capped(path, EVIDENCE_BYTES_MAX)
}

/// Reads a regular file of at most `limit` bytes, never more than `limit + 1` from disk.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io { path: path.to_path_buf(), source };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(io)?;
    let file_type = file.metadata().map_err(io)?.file_type();
    if !file_type.is_file() {
        return Err(FileError::NotRegular { path: path.to_path_buf(), kind: kind_of(file_type) });
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { path: path.to_path_buf(), limit });
    }
    Ok(bytes)
}

fn kind_of(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_never_ends_is_refused_before_any_read() {
        let error = read_evidence_file(Path::new("/dev/zero")).expect_err("not a file");
        assert_eq!(
            error.to_string(),
            "/dev/zero is a character device, not a regular file; attach a document saved as a file"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("pipe");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        let error = read_evidence_file(&fifo).expect_err("not a file");
        assert!(
            matches!(error, FileError::NotRegular { kind: "a FIFO (named pipe)", .. }),
            "{error}"
        );
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = read_evidence_file(dir.path()).expect_err("not a file");
        assert!(matches!(error, FileError::NotRegular { kind: "a directory", .. }), "{error}");
    }

    #[test]
    fn the_cap_is_exact_and_reading_stops_one_byte_past_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("doc.pdf");
        std::fs::write(&path, vec![7u8; 100]).expect("write");
        assert_eq!(read_capped(&path, 100).expect("at the limit").len(), 100);
        let error = read_capped(&path, 99).expect_err("one byte over");
        assert_eq!(
            error.to_string(),
            format!("{} is larger than the evidence limit of 99 bytes", path.display())
        );
    }
}
