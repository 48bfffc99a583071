//! Evidence content sealed under a key of its own (ChaCha20-Poly1305), so that destroying the
//! key erases the content wherever its sealed bytes went: the bucket, its replicas, backups.
//! The log names the content by the SHA-256 of what was attached, never of what is stored, so
//! every proof over the log holds after an erasure.
//!
//! A key seals exactly one content, once, so the nonce is fixed: the same content under the
//! same key always seals to the same bytes, and two replicas storing it at once agree.

use chacha20poly1305::aead::{Aead as _, KeyInit as _};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// What sealed bytes begin with: tells them from content stored before sealing.
pub const MAGIC: &[u8; 8] = b"PARSEAL1";
/// How much longer sealed bytes are than their content: the magic and the tag.
pub const OVERHEAD: u64 = 8 + 16;
/// A content key's length.
pub const KEY_BYTES: usize = 32;

/// A content key.
#[derive(Clone, PartialEq, Eq)]
pub struct ContentKey(pub [u8; KEY_BYTES]);

impl std::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentKey(..)")
    }
}

/// Why sealed bytes could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("a content key is {KEY_BYTES} bytes, not {0}")]
    KeyLength(usize),
    #[error("the sealed bytes do not open with their key: altered, or sealed under another key")]
    Tampered,
    #[error("the system's random source failed: {0}")]
    Random(String),
}

impl ContentKey {
    /// A fresh random key.
    pub fn generate() -> Result<ContentKey, SealError> {
        let mut key = [0u8; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| SealError::Random(e.to_string()))?;
        Ok(ContentKey(key))
    }

    /// A key as stored.
    pub fn from_bytes(bytes: &[u8]) -> Result<ContentKey, SealError> {
        let key = bytes.try_into().map_err(|_| SealError::KeyLength(bytes.len()))?;
        Ok(ContentKey(key))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

/// Whether stored bytes are sealed (or content stored before sealing, read as it is).
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(MAGIC)
}

/// The content sealed under `key`.
pub fn seal(key: &ContentKey, content: &[u8]) -> Vec<u8> {
    let sealed = key
        .cipher()
        .encrypt(Nonce::from_slice(&[0u8; 12]), content)
        .expect("ChaCha20-Poly1305 seals any content under 256 GiB");
    let mut stored = Vec::with_capacity(MAGIC.len() + sealed.len());
    stored.extend_from_slice(MAGIC);
    stored.extend_from_slice(&sealed);
    stored
}

/// The content of sealed bytes.
pub fn open(key: &ContentKey, stored: &[u8]) -> Result<Vec<u8>, SealError> {
    let sealed = stored.strip_prefix(MAGIC.as_slice()).ok_or(SealError::Tampered)?;
    key.cipher().decrypt(Nonce::from_slice(&[0u8; 12]), sealed).map_err(|_| SealError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_content_opens_with_its_key_and_no_other() {
        let key = ContentKey::generate().expect("random");
        let content = "Báo cáo 1264/BC-SGDĐT, họ tên và số CCCD của người dân".as_bytes();
        let stored = seal(&key, content);
        assert!(is_sealed(&stored));
        assert_eq!(stored.len() as u64, content.len() as u64 + OVERHEAD);
        assert!(!stored.windows(8).any(|w| w == &content[..8]), "no plaintext in the sealed bytes");
        assert_eq!(open(&key, &stored).expect("opens"), content);
        assert_eq!(seal(&key, content), stored, "one key, one content: the same sealed bytes");
        let other = ContentKey::generate().expect("random");
        assert_eq!(open(&other, &stored), Err(SealError::Tampered));
        let mut altered = stored.clone();
        *altered.last_mut().expect("not empty") ^= 1;
        assert_eq!(open(&key, &altered), Err(SealError::Tampered));
        assert_eq!(ContentKey::from_bytes(&[0; 31]), Err(SealError::KeyLength(31)));
    }
}
