//! The embedded stack's data directory has one owner at a time, and belongs to one log.
//!
//! - **One owner.** `up` takes an exclusive lock (`flock`) on `<data>/lock` before starting
//!   anything, and writes who holds it. The lock's file descriptor is inherited by the
//!   nats-server child, so while that server runs, even orphaned by a SIGKILL of `up`, the
//!   directory stays locked and no second server can be started on its store. A later `up` that
//!   finds the lock held by such an orphan (its `up` gone, its server still running on this
//!   store) stops the server and takes over; one that finds a live `up` refuses, naming it.
//! - **One log.** `<data>/log-identity` records the identity of the log the directory's views
//!   were built from (see [`reform_shared::stream::LogIdentity`]). A broker without that log,
//!   or with another, is refused: a deleted stream is never silently recreated empty.

use anyhow::{bail, Context as _};
use reform_shared::stream::LogIdentity;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LOCK_FILE: &str = "lock";
const IDENTITY_FILE: &str = "log-identity";
/// How long an orphaned server may take to stop before it is killed.
const ORPHAN_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The held lock on a data directory; released when dropped (and when every process that
/// inherited it has exited).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    path: PathBuf,
}

/// Who holds a data directory, as written in its lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub up_pid: Option<u32>,
    pub server_pid: Option<u32>,
    pub since: String,
}

impl Holder {
    fn parse(text: &str) -> Self {
        let mut holder = Holder::default();
        for line in text.lines() {
            match line.split_once('=') {
                Some(("up_pid", v)) => holder.up_pid = v.trim().parse().ok(),
                Some(("server_pid", v)) => holder.server_pid = v.trim().parse().ok(),
                Some(("since", v)) => holder.since = v.trim().to_owned(),
                _ => {}
            }
        }
        holder
    }
}

impl DataDirLock {
    /// Takes the lock, or refuses naming the holder. An orphaned nats-server of an earlier `up`
    /// on this directory's store is stopped first.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir).with_context(|| {
            format!("could not create the data directory {}", data_dir.display())
        })?;
        let path = data_dir.join(LOCK_FILE);
        for attempt in 0..2 {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("could not open {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {
                    let mut lock = Self { file, path };
                    lock.record(None)?;
                    return Ok(lock);
                }
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("could not lock {}", path.display()))
                }
            }
            let holder = Holder::parse(&std::fs::read_to_string(&path).unwrap_or_default());
            let up_alive = holder.up_pid.is_some_and(alive);
            match holder.server_pid {
                Some(pid) if attempt == 0 && !up_alive && is_our_server(pid, data_dir) => {
                    eprintln!(
                        "note: a nats-server (pid {pid}) of an earlier `reformctl up` that did not \
                         stop is still running on {}; stopping it before starting",
                        data_dir.display()
                    );
                    stop_orphan(pid)?;
                }
                _ => bail!(
                    "the data directory {} is in use by {} (since {}); stop it first, or give \
                     another --data-dir",
                    data_dir.display(),
                    describe(&holder, up_alive),
                    if holder.since.is_empty() { "an unknown time" } else { &holder.since },
                ),
            }
        }
        bail!(
            "the data directory {} stayed locked after its orphaned server stopped",
            data_dir.display()
        )
    }

    /// Writes who holds the lock; `server_pid` once the server runs.
    pub fn record(&mut self, server_pid: Option<u32>) -> anyhow::Result<()> {
        let since = chrono::Utc::now().to_rfc3339();
        let mut text = format!("up_pid={}\nsince={since}\n", std::process::id());
        if let Some(pid) = server_pid {
            text.push_str(&format!("server_pid={pid}\n"));
        }
        self.file.set_len(0)?;
        use std::io::Seek as _;
        self.file.seek(std::io::SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.sync_all().with_context(|| format!("could not write {}", self.path.display()))
    }

    /// Lets child processes inherit the lock, so the directory stays locked while the
    /// nats-server started next is alive, whatever happens to this process.
    pub fn inherit_to_children(&self) -> anyhow::Result<()> {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        fcntl(&self.file, FcntlArg::F_SETFD(FdFlag::empty()))
            .context("could not let the server inherit the data directory lock")?;
        Ok(())
    }

    /// Closes the descriptor in this process again (children keep theirs).
    pub fn stop_inheriting(&self) {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        let _ = fcntl(&self.file, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    }
}

fn describe(holder: &Holder, up_alive: bool) -> String {
    match (holder.up_pid, up_alive, holder.server_pid) {
        (Some(pid), true, _) => format!("`reformctl up` (pid {pid})"),
        (_, _, Some(server)) => {
            format!("nats-server pid {server}, left by a `reformctl up` that has exited")
        }
        _ => "another process".into(),
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether `pid` is a nats-server whose configuration lives under `data_dir` (so it is the
/// server of this directory's store, not some other process that reused the pid).
fn is_our_server(pid: u32, data_dir: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let text = String::from_utf8_lossy(&cmdline);
    let canonical = data_dir.canonicalize().unwrap_or_else(|_| data_dir.to_path_buf());
    text.contains("nats-server") && text.contains(&*canonical.to_string_lossy())
}

fn stop_orphan(pid: u32) -> anyhow::Result<()> {
    use nix::sys::signal::{kill, Signal};
    let target = nix::unistd::Pid::from_raw(i32::try_from(pid).context("pid out of range")?);
    let _ = kill(target, Signal::SIGTERM);
    let deadline = Instant::now() + ORPHAN_STOP_TIMEOUT;
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive(pid) {
        let _ = kill(target, Signal::SIGKILL);
        let deadline = Instant::now() + ORPHAN_STOP_TIMEOUT;
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    if alive(pid) {
        bail!("the orphaned nats-server (pid {pid}) did not stop; stop it by hand");
    }
    Ok(())
}

/// The identity of the log this data directory belongs to, if it has one yet.
pub fn recorded_identity(data_dir: &Path) -> anyhow::Result<Option<LogIdentity>> {
    let path = data_dir.join(IDENTITY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => LogIdentity::parse(&text)
            .map(Some)
            .with_context(|| format!("{} is not a log identity: {text:?}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Records the log this data directory belongs to.
pub fn record_identity(data_dir: &Path, identity: &LogIdentity) -> anyhow::Result<()> {
    let path = data_dir.join(IDENTITY_FILE);
    std::fs::write(&path, format!("{}\n", identity.to_text()))
        .with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = DataDirLock::acquire(dir.path()).expect("first owner");
        let error = DataDirLock::acquire(dir.path()).expect_err("second owner");
        let text = error.to_string();
        assert!(
            text.contains(&format!("is in use by `reformctl up` (pid {})", std::process::id())),
            "{text}"
        );
    }

    #[test]
    fn the_lock_is_free_again_once_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        drop(DataDirLock::acquire(dir.path()).expect("first owner"));
        DataDirLock::acquire(dir.path()).expect("taken again");
    }

    #[test]
    fn holder_lines_read_back() {
        let holder = Holder::parse("up_pid=12\nsince=2026-12-01T00:00:00Z\nserver_pid=34\n");
        assert_eq!(holder.up_pid, Some(12));
        assert_eq!(holder.server_pid, Some(34));
    }
}
