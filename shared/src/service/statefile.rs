//! A command service's state file (redb): what lets a restart resume instead of replaying the
//! whole log, and keeps the two tables that grow with the log out of memory.
//!
//! - `commands`: every command id in the log with its first answer (stream sequence, event
//!   type) and who sent it, so a request under another's id is not taken for a retry. Complete, kept forever: the same command id gets its first answer however long ago
//!   it was sent. Read on lookup, never loaded whole.
//! - `tips`: the last event of every aggregate (sequence, version, digest), for the
//!   expected-sequence check and the chain of the next append.
//! - `meta`: the log the file belongs to, the format, and the decision state's snapshot with
//!   the stream sequence it holds.
//!
//! **Guarantees.** Every write is one redb transaction, durable on commit, so after a crash the
//! file is as of its last commit. The tables may run ahead of the snapshot (they are written
//! more often): a restart re-applies the events after the snapshot, and both tables are
//! idempotent under that (a command id keeps its first answer; a tip is overwritten by the
//! later one). The file is a cache of the log: one of another log or another format is
//! emptied and rebuilt from the log, saying so. redb takes a lock on the file, so a second
//! service on the same file is refused at start.

use crate::append::Tip;
use crate::ids::CommandId;
use crate::stream::LogIdentity;
use redb::{
    Database, ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _,
    TableDefinition,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped when the snapshot's encoding or the tables change: an older file is rebuilt.
/// 2: a command id's row names its actor. 3: the directory keeps open passkey enrolments.
/// 4: a unit keeps its end (merged, split, dissolved). 5: the evidence service knows which
/// tasks are closed, so an ended unit's open tasks follow it to its successor.
pub const FORMAT: u64 = 5;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const COMMANDS: TableDefinition<&str, (u64, &str, &str)> = TableDefinition::new("commands");
const TIPS: TableDefinition<&str, (u64, u64, [u8; 32])> = TableDefinition::new("tips");

const IDENTITY: &str = "identity";
const FORMAT_KEY: &str = "format";
const SNAPSHOT: &str = "snapshot";
const SNAPSHOT_THROUGH: &str = "snapshot_through";

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("could not open the state file {path}: {source} (is another service using it?)")]
    Open { path: PathBuf, source: redb::DatabaseError },
    #[error("the state file {path} failed: {source}")]
    Storage { path: PathBuf, source: Box<dyn std::error::Error + Send + Sync> },
}

/// A snapshot read back: the decision state's bytes and the last sequence they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub through: u64,
    pub bytes: Vec<u8>,
}

/// The first event recorded under a command id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstEvent {
    pub sequence: u64,
    pub event: String,
    /// Who sent the command: a person's id, or `service:<name>`.
    pub actor: String,
}

/// What one flush writes.
#[derive(Debug, Default)]
pub struct Pending {
    /// Command id: (stream sequence, event type, actor as in [`FirstEvent`]).
    pub commands: BTreeMap<CommandId, (u64, &'static str, String)>,
    pub tips: BTreeMap<String, Tip>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.tips.is_empty()
    }
}

#[derive(Debug)]
pub struct StateFile {
    db: Database,
    path: PathBuf,
}

/// Sets a damaged state file aside ([`crate::derived`]): the service rebuilds it from the log.
fn set_aside(path: &Path) -> Result<PathBuf, StateFileError> {
    crate::derived::set_aside(path)
        .map_err(|e| StateFileError::Storage { path: path.to_owned(), source: Box::new(e) })
}

impl StateFile {
    /// Opens (or creates) the file for the log `identity`. A file of another log or format is
    /// emptied first: it is rebuilt from the log. Returns whether it was.
    pub fn open(
        path: &Path,
        identity: &LogIdentity,
    ) -> Result<(Self, Option<String>), StateFileError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StateFileError::Storage {
                path: path.to_owned(),
                source: Box::new(e),
            })?;
        }
        let db = match crate::derived::open_checked(&Database::builder(), path) {
            Ok(db) => db,
            Err(source) if !crate::derived::is_damage(&source) => {
                return Err(StateFileError::Open { path: path.to_owned(), source })
            }
            Err(damage) => return Self::started_again(path, identity, &damage),
        };
        let file = StateFile { db, path: path.to_owned() };
        let text = identity.to_text();
        let meta = file.read(|txn| {
            let meta = match txn.open_table(META) {
                Ok(meta) => meta,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok((None, None)),
                Err(e) => return Err(e.into()),
            };
            let was = meta.get(IDENTITY)?.map(|v| String::from_utf8_lossy(v.value()).into_owned());
            let format = meta
                .get(FORMAT_KEY)?
                .and_then(|v| v.value().try_into().ok())
                .map(u64::from_le_bytes);
            Ok((was, format))
        });
        let (was, format) = match meta {
            Ok(meta) => meta,
            // Readable as a file, not as ours: derived data, so started again.
            Err(damage) => {
                drop(file);
                return Self::started_again(path, identity, &damage);
            }
        };
        let reset = match (&was, format) {
            (None, _) => None,
            (Some(was), Some(FORMAT)) if *was == text => return Ok((file, None)),
            (Some(was), Some(FORMAT)) => Some(format!("it belongs to the log {was}, not {text}")),
            (Some(_), found) => {
                Some(format!("it is in format {found:?}, this build writes {FORMAT}"))
            }
        };
        file.write(|txn| {
            let _ = txn.delete_table(META);
            let _ = txn.delete_table(COMMANDS);
            let _ = txn.delete_table(TIPS);
            let mut meta = txn.open_table(META)?;
            meta.insert(IDENTITY, text.as_bytes())?;
            meta.insert(FORMAT_KEY, FORMAT.to_le_bytes().as_slice())?;
            txn.open_table(COMMANDS)?;
            txn.open_table(TIPS)?;
            Ok(())
        })?;
        Ok((file, reset))
    }

    /// Sets the damaged file at `path` aside and opens a new one, saying why.
    fn started_again(
        path: &Path,
        identity: &LogIdentity,
        damage: &dyn std::fmt::Display,
    ) -> Result<(Self, Option<String>), StateFileError> {
        let aside = set_aside(path)?;
        let (file, _) = Self::open(path, identity)?;
        Ok((file, Some(format!("it was damaged ({damage}); kept as {}", aside.display()))))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn storage(&self, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StateFileError {
        StateFileError::Storage { path: self.path.clone(), source: e.into() }
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> Result<T, Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<T, StateFileError> {
        let txn = self.db.begin_read().map_err(|e| self.storage(e))?;
        f(&txn).map_err(|e| self.storage(e))
    }

    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<(), StateFileError> {
        let txn = self.db.begin_write().map_err(|e| self.storage(e))?;
        f(&txn).map_err(|e| self.storage(e))?;
        txn.commit().map_err(|e| self.storage(e))
    }

    /// The last snapshot, if one was taken.
    pub fn snapshot(&self) -> Result<Option<Snapshot>, StateFileError> {
        self.read(|txn| {
            let meta = txn.open_table(META)?;
            let through = meta
                .get(SNAPSHOT_THROUGH)?
                .and_then(|v| v.value().try_into().ok())
                .map(u64::from_le_bytes);
            let bytes = meta.get(SNAPSHOT)?.map(|v| v.value().to_vec());
            Ok(through.zip(bytes).map(|(through, bytes)| Snapshot { through, bytes }))
        })
    }

    /// The first event recorded under a command id.
    pub fn command(&self, id: &CommandId) -> Result<Option<FirstEvent>, StateFileError> {
        self.read(|txn| {
            let table = txn.open_table(COMMANDS)?;
            Ok(table.get(id.as_str())?.map(|v| {
                let (sequence, event, actor) = v.value();
                FirstEvent { sequence, event: event.to_owned(), actor: actor.to_owned() }
            }))
        })
    }

    /// The last event recorded for an aggregate.
    pub fn tip(&self, aggregate: &str) -> Result<Option<Tip>, StateFileError> {
        self.read(|txn| {
            let table = txn.open_table(TIPS)?;
            Ok(table.get(aggregate)?.map(|v| {
                let (sequence, version, digest) = v.value();
                Tip { sequence, version, digest }
            }))
        })
    }

    /// Writes what was applied since the last flush, and the snapshot when one is given, in
    /// one transaction. A command id already recorded keeps its first answer.
    pub fn flush(
        &self,
        pending: &Pending,
        snapshot: Option<&Snapshot>,
    ) -> Result<(), StateFileError> {
        self.write(|txn| {
            {
                let mut commands = txn.open_table(COMMANDS)?;
                for (id, (sequence, event, actor)) in &pending.commands {
                    if commands.get(id.as_str())?.is_none() {
                        commands.insert(id.as_str(), (*sequence, *event, actor.as_str()))?;
                    }
                }
            }
            {
                let mut tips = txn.open_table(TIPS)?;
                for (aggregate, tip) in &pending.tips {
                    tips.insert(aggregate.as_str(), (tip.sequence, tip.version, tip.digest))?;
                }
            }
            if let Some(snapshot) = snapshot {
                let mut meta = txn.open_table(META)?;
                meta.insert(SNAPSHOT, snapshot.bytes.as_slice())?;
                meta.insert(SNAPSHOT_THROUGH, snapshot.through.to_le_bytes().as_slice())?;
            }
            Ok(())
        })
    }

    /// How many command ids the file holds.
    pub fn commands_len(&self) -> Result<u64, StateFileError> {
        self.read(|txn| Ok(txn.open_table(COMMANDS)?.len()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(name: &str) -> LogIdentity {
        LogIdentity { stream: name.into(), created_nanos: 1 }
    }

    fn tip(sequence: u64) -> Tip {
        Tip { sequence, version: sequence, digest: [7; 32] }
    }

    /// A state file is derived from the log: damaged (truncated, bytes flipped), it is moved
    /// aside and started again empty, and the service rebuilds it, instead of refusing to start
    /// with "is another service using it?". A file another process holds is still refused.
    #[test]
    fn a_damaged_state_file_is_moved_aside_and_started_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tasks.redb");
        let log = identity("PAR_EVENTS");
        let fill = |path: &Path| {
            let (file, _) = StateFile::open(path, &log).expect("open");
            let mut pending = Pending::default();
            for n in 0..2_000u64 {
                let id = CommandId::new(format!("c{n}")).expect("id");
                pending.commands.insert(id, (n + 1, "task-assigned", "hoa".into()));
            }
            file.flush(&pending, Some(&Snapshot { through: 2_000, bytes: vec![9; 4096] }))
                .expect("flush");
        };
        fill(&path);
        let held = StateFile::open(&path, &log).expect("open");
        let second = StateFile::open(&path, &log).map(|_| ()).expect_err("one owner at a time");
        assert!(second.to_string().contains("is another service using it?"), "{second}");
        drop(held);
        let length = std::fs::metadata(&path).expect("size").len();
        type Damage = fn(&mut Vec<u8>);
        let damages: [(&str, Damage); 3] = [
            ("truncated", |b| b.truncate(b.len() / 3)),
            ("its header overwritten", |b| b[..64].fill(0xa5)),
            // Inside the snapshot's bytes: redb opens it, the whole-file check does not.
            ("one byte of a page flipped", |b| {
                let at = b.windows(256).position(|w| w.iter().all(|x| *x == 9)).unwrap_or(0);
                b[at + 100] ^= 0x01;
            }),
        ];
        for (what, damage) in damages {
            fill(&path);
            let mut bytes = std::fs::read(&path).expect("read");
            damage(&mut bytes);
            std::fs::write(&path, &bytes).expect("write");
            let (file, reset) = StateFile::open(&path, &log).expect(what);
            let reset = reset.unwrap_or_default();
            assert!(reset.starts_with("it was damaged"), "{what}: {reset}");
            assert_eq!(file.snapshot().expect("reads"), None, "{what}: started again empty");
            let aside: Vec<_> = std::fs::read_dir(dir.path())
                .expect("dir")
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
                .collect();
            assert!(!aside.is_empty(), "{what}: the damaged file is kept aside, {length} bytes");
            aside.iter().for_each(|e| std::fs::remove_file(e.path()).expect("remove"));
        }
    }

    #[test]
    fn a_command_keeps_its_first_answer_and_a_tip_its_latest_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tasks.redb");
        let (file, reset) = StateFile::open(&path, &identity("PAR_EVENTS")).expect("open");
        assert_eq!(reset, None);
        let id = CommandId::new("c1").expect("id");
        let mut pending = Pending::default();
        pending.commands.insert(id.clone(), (5, "task-assigned", "hoa".into()));
        pending.tips.insert("task/t1".into(), tip(5));
        file.flush(&pending, Some(&Snapshot { through: 5, bytes: vec![1, 2] })).expect("flush");
        // Re-applied after a restart from an earlier snapshot: the first answer stays.
        pending.commands.insert(id.clone(), (9, "task-completed", "hoa".into()));
        pending.tips.insert("task/t1".into(), tip(9));
        file.flush(&pending, None).expect("flush");
        drop(file);
        let (file, reset) = StateFile::open(&path, &identity("PAR_EVENTS")).expect("reopen");
        assert_eq!(reset, None, "the same log: kept");
        let first = FirstEvent { sequence: 5, event: "task-assigned".into(), actor: "hoa".into() };
        assert_eq!(file.command(&id).expect("read"), Some(first));
        assert_eq!(file.tip("task/t1").expect("read"), Some(tip(9)));
        assert_eq!(
            file.snapshot().expect("read"),
            Some(Snapshot { through: 5, bytes: vec![1, 2] })
        );
    }

    #[test]
    fn a_file_of_another_log_is_emptied_and_says_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tasks.redb");
        let (file, _) = StateFile::open(&path, &identity("PAR_EVENTS")).expect("open");
        let mut pending = Pending::default();
        pending.commands.insert(CommandId::new("c1").expect("id"), (5, "x", "hoa".into()));
        file.flush(&pending, Some(&Snapshot { through: 5, bytes: vec![1] })).expect("flush");
        drop(file);
        let (file, reset) = StateFile::open(&path, &identity("OTHER")).expect("reopen");
        assert!(reset.expect("reset").contains("belongs to the log"));
        assert_eq!(file.snapshot().expect("read"), None);
        assert_eq!(file.commands_len().expect("len"), 0);
    }

    #[test]
    fn a_second_service_on_the_same_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tasks.redb");
        let (_first, _) = StateFile::open(&path, &identity("PAR_EVENTS")).expect("open");
        let second = StateFile::open(&path, &identity("PAR_EVENTS")).expect_err("refused");
        assert!(second.to_string().contains("tasks.redb"), "{second}");
    }
}
