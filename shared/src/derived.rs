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

/// Opens (or creates) a derived redb file with `builder` and checks it whole: redb keeps a
/// checksum of every page in the page above it, up to the header, and a byte flipped on the disk
/// that opening alone would not notice fails here ([`redb::Database::check_integrity`], which
/// reads the whole file once). A file a crash left with an unfinished commit is repaired to
/// its last one, which a derived file's own position then names.
pub fn open_checked(
    builder: &redb::Builder,
    path: &Path,
) -> Result<redb::Database, redb::DatabaseError> {
    let mut db = builder.create(path)?;
    let began = std::time::Instant::now();
    db.check_integrity()?;
    let ms = began.elapsed().as_millis();
    tracing::info!(file = %path.display(), ms, "every page of the file matches its checksum");
    Ok(db)
}

/// Whether opening a redb file failed because it is damaged, rather than held by another
/// process (which is alive, and its owner: never set aside).
pub fn is_damage(error: &redb::DatabaseError) -> bool {
    !matches!(error, redb::DatabaseError::DatabaseAlreadyOpen)
}
