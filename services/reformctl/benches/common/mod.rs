//! What the benches over the demo measure: the stack as `./dev up` serves it, with a real
//! nats-server syncing every write, the command services, the demo loaded through them, and
//! the projector caught up.

use reform_shared::natsd::{NatsServer, ServerOptions, Sync};
use reform_shared::testkit::Broker;
use reformctl::demo::{self, Demo, DemoKeys};
use reformctl::shutdown::Shutdown;
use reformctl::up_services::{self, Running, Supervisor};
use std::time::{Duration, Instant};

// Each bench reads the fields it needs.
#[allow(dead_code)]
pub struct DemoStack {
    pub server: NatsServer,
    pub client: async_nats::Client,
    pub data: Demo,
    pub keys: DemoKeys,
    /// How long the demo took to load through the services.
    pub loaded_in: Duration,
    stop: tokio::sync::watch::Sender<bool>,
    parts: Vec<Running>,
    _dir: tempfile::TempDir,
}

impl DemoStack {
    pub async fn start() -> DemoStack {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = ServerOptions {
            data_dir: dir.path().join("nats"),
            port: None,
            sync: Sync::Always,
            die_with_parent: true,
            auth: None,
        };
        let Broker { server, client, js } = Broker::start_with(&options).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let shutdown = Shutdown::new(stopped);
        let (supervisor, _fatal) = Supervisor::new(&client, &shutdown).await.expect("the log");
        let mut parts = up_services::start_command_services(&supervisor).await.expect("services");
        let data = demo::parse(demo::COMMANDS_JSONL).expect("demo parses");
        let keys = DemoKeys::ensure(&dir.path().join("keys"), &data).expect("keys");
        demo::genesis(&js, &keys).await.expect("genesis");
        let loading = Instant::now();
        demo::load(&client, &data, &keys, false).await.expect("demo loads");
        let loaded_in = loading.elapsed();
        let views = dir.path().join("views.redb");
        parts.push(up_services::start_projector(&supervisor, views).await.expect("projector"));
        up_services::wait_projected(&client).await.expect("projected");
        DemoStack { server, client, data, keys, loaded_in, stop, parts, _dir: dir }
    }

    /// Stops every part and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (_, handle) in self.parts {
            let _ = handle.await;
        }
    }
}
