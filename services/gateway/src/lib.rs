//! The gateway: the web dashboard of the reform-task tracker, and the workspace where heads and
//! staff act with their passkeys.
//!
//! The dashboard's pages are HTML rendered on the server (maud), with charts as SVG; reading
//! needs no JavaScript. Every figure comes from the projector's queries, the stored period
//! reports and the auditors' checks over the log: the gateway keeps no second source of truth.
//! The workspace ([`workspace`]) signs every command in the person's browser with their
//! passkey; the gateway relays the signed bytes with the broker's `client` rights, and holds
//! no key that could act for anyone.
//!
//! Pages (each URL holds the page's whole state: `?lang=en`, `?on=YYYY-MM-DD`, `?year=YYYY`):
//! - `/`: the province overview, each peer group's ranking and rank change, table and chart;
//!   `/provinces/{id}` for one province when there are several;
//! - `/units/{id}`: a unit's task register (overdue highlighted), evidence, scores by component
//!   field against their maxima, and the trend over the years;
//! - `/people/{id}`: a leader's accountability timeline;
//! - `/audit`: verify's verdict, the checkpoints of the closed periods, and a unit as known at
//!   the end of a day;
//! - `/reports` and `/reports/{period}`: each closed period's report and its restatements;
//! - `/enrol`, `/sign-in`, `/work`: the workspace ([`workspace`]);
//! - `/log/checkpoint`, `/log/tile/...`: the log's tiles ([`tlog`]).

pub mod chart;
pub mod page;
mod pages;
pub mod tlog;
pub mod workspace;

use axum::routing::{get, post};
use axum::Router;
use reform_shared::audit::read::LiveVerdict;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The address `reformctl up` serves the dashboard on, when it is free.
pub const LISTEN_DEFAULT: &str = "127.0.0.1:8480";

/// Why the gateway stopped.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Https(#[from] reform_shared::https::HttpsError),
}

/// What a gateway serves besides the views: its site's name and the log's tiles.
#[derive(Debug, Clone)]
pub struct Site {
    /// The site's domain name, which passkeys are made for.
    pub rp_id: String,
    /// The tile directory `reform-tlog` writes, served under `/log/`.
    pub tlog_dir: Option<std::path::PathBuf>,
}

/// What the handlers share.
#[derive(Debug)]
pub struct App {
    pub client: async_nats::Client,
    /// The verdict on the whole log, brought up to date at each look by checking only what
    /// was appended since the last.
    verdict: Mutex<reform_shared::audit::read::LiveVerdict>,
    pub workspace: workspace::Workspace,
    /// The publisher's tile directory, served under `/log/`; none when `None`.
    pub tlog_dir: Option<std::path::PathBuf>,
}

impl App {
    /// The dashboard, its passkeys made for the site `rp_id` (its domain name).
    pub fn new(client: async_nats::Client, site: Site) -> Arc<Self> {
        Arc::new(App {
            client,
            verdict: Mutex::new(LiveVerdict::new(reform_audit::verifier)),
            workspace: workspace::Workspace::new(site.rp_id),
            tlog_dir: site.tlog_dir,
        })
    }

    pub fn js(&self) -> async_nats::jetstream::Context {
        async_nats::jetstream::new(self.client.clone())
    }
}

/// The dashboard's routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview::root))
        .route("/provinces/{id}", get(pages::overview::province))
        .route("/national", get(pages::overview::national))
        .route("/units/{id}", get(pages::unit::page))
        .route("/units/{id}/register.xlsx", get(pages::unit::register_xlsx))
        .route("/people/{id}", get(pages::person::page))
        .route("/tasks/{id}", get(pages::task::page))
        .route("/evidence/{id}", get(pages::evidence::download))
        .route("/audit", get(pages::audit::page))
        .route("/search", get(pages::search::page))
        .route("/reports", get(pages::reports::list))
        .route("/reports/{period}", get(pages::reports::one))
        .route("/reports/{period}/{file}", get(pages::reports::file))
        .route("/enrol", get(workspace::enrol::page))
        .route("/enrol/key", post(workspace::enrol::key))
        .route("/sign-in", get(workspace::signin::page).post(workspace::signin::finish))
        .route("/sign-in/challenge", post(workspace::signin::challenge))
        .route("/sign-out", post(workspace::signin::sign_out))
        .route("/work", get(workspace::work::page))
        .route("/work/scores", get(workspace::scores::list))
        .route("/work/scores/{unit}", get(workspace::scores::unit))
        .route("/relay", post(workspace::relay::relay))
        .route(
            "/upload",
            post(workspace::upload::stage).layer(axum::extract::DefaultBodyLimit::max(
                usize::try_from(reform_evidence::EVIDENCE_BYTES_MAX + 1).unwrap_or(usize::MAX),
            )),
        )
        .route("/passkey.js", get(workspace::script))
        .route("/log/checkpoint", get(tlog::checkpoint))
        .route("/log/tile/{*path}", get(tlog::tile))
        .route("/log/receipt/{sequence}", get(tlog::receipt_of))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(page::in_language))
        .with_state(app)
}

/// Binds `addr`, for HTTPS only when `https` names a certificate and its key.
pub async fn bind(
    addr: SocketAddr,
    https: Option<&reform_shared::https::HttpsFiles>,
) -> Result<reform_shared::https::Listener, GatewayError> {
    Ok(reform_shared::https::bind(addr, https).await?)
}

/// Serves the dashboard on `listener` until `shutdown` resolves.
pub async fn serve(
    client: async_nats::Client,
    listener: reform_shared::https::Listener,
    site: Site,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    tracing::info!(url = %listener.url(), rp_id = %site.rp_id, "dashboard listening");
    let app = App::new(client, site);
    // The first verdict reads the whole log: start it now rather than on the first visit.
    let warm = app.clone();
    tokio::spawn(async move {
        if let Err(e) = pages::audit::verdict(&warm).await {
            tracing::warn!(error = %e, "could not verify the log yet");
        }
    });
    Ok(listener.serve(router(app), shutdown).await?)
}
