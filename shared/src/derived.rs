//! Files derived from the log (a command service's state file, the projector's views): what is
//! in them can always be computed again from the log, so a damaged one is never a reason to
//! stop. It is set aside for a person to look at, and its owner starts a new one and rebuilds it.

use std::path::{Path, PathBuf};

/// Renames a damaged derived file to `<file>.damaged-<unix ms>`; returns the new name.
pub fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".damaged-{}", crate::time::Timestamp::now().0));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

/// Whether opening a redb file failed because it is damaged, rather than held by another
/// process (which is alive, and its owner: never set aside).
pub fn is_damage(error: &redb::DatabaseError) -> bool {
    !matches!(error, redb::DatabaseError::DatabaseAlreadyOpen)
}
