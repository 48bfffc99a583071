//! The workspace: where heads and staff act, in the browser, with their passkeys.
//!
//! The server never holds anything that could act for a person. Every command is built in the
//! page and signed there by the person's passkey (`passkey.js`): the WebAuthn challenge is the
//! SHA-256 of the very bytes `reformctl` signs, so the command service checks the assertion as
//! it checks an nkeys signature, and the log keeps it for the auditor. The gateway only relays
//! signed requests ([`relay`]); a session ([`session`]) tells the pages whose work to show and
//! which passkey to ask for, and signs nothing.
//!
//! - `/enrol?person=P`: a person enrols a passkey with the code an administrator gave them
//!   (`reformctl key enrol`);
//! - `/sign-in`, `/sign-out`: a passkey assertion over a one-time challenge opens a session
//!   (cookie `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS);
//! - `/work`: the person's work at a glance, their units and the forms they may use there;
//! - `/work/scores`: the PAR index scores they self-assess or appraise, one form per field;
//! - `/relay`: a signed request, sent on to its service; the answer, in the reader's language;
//! - `/upload`: a document's bytes, staged for the attach command the page signs next.
//!
//! Every POST must come from a page of this site: its `Origin` names the host it was sent to,
//! so another site's form or script is refused before anything is read.

pub mod enrol;
mod finding;
pub mod known;
mod parts;
pub mod relay;
pub mod scores;
pub mod session;
pub mod signin;
pub mod upload;
pub mod work;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// The relying party id passkeys are made for when none is configured: the dashboard on this
/// machine, reached as `http://localhost:<port>` (browsers refuse an IP address as the id).
pub const RP_ID_DEFAULT: &str = "localhost";

/// The workspace's own state beside the dashboard's.
#[derive(Debug)]
pub struct Workspace {
    /// The site passkeys belong to (its domain name).
    pub rp_id: String,
    pub sessions: session::Sessions,
    /// The directory as the log holds it: whose passkey a credential is, who leads what.
    pub known: known::Known,
}

impl Workspace {
    pub fn new(rp_id: String) -> Self {
        Workspace { rp_id, sessions: session::Sessions::default(), known: known::Known::default() }
    }
}

/// The page script that makes passkeys and signs commands.
const SCRIPT: &str = include_str!("passkey.js");

pub async fn script() -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (headers, SCRIPT).into_response()
}

/// Whether a POST comes from a page of this site: its `Origin` is this very host. A browser
/// always sends `Origin` on a POST; a form or script of another site names that site.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(origin), Some(host)) = (text(header::ORIGIN), text(header::HOST)) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// The live session this request's cookie names, if any.
pub fn session_of(app: &crate::App, headers: &HeaderMap) -> Option<session::Session> {
    let token = session::token_of(headers)?;
    app.workspace.sessions.get(&token, std::time::Instant::now())
}

/// A JSON answer to the page's script: `ok`, and a sentence for the person.
pub fn answer(status: StatusCode, ok: bool, message: &str, extra: serde_json::Value) -> Response {
    let mut body = serde_json::json!({"ok": ok, "message": message});
    if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The answer to a POST from another site.
fn cross_site(lang: crate::page::Lang) -> Response {
    let said = lang.pick(
        "Yêu cầu này không gửi từ trang của hệ thống nên bị từ chối.",
        "This request was not sent from a page of this site, so it is refused.",
    );
    answer(StatusCode::FORBIDDEN, false, said, serde_json::Value::Null)
}

/// A POST from a page of this site, with the language it asks to be answered in: another
/// site's form or script is refused before anything of it is read.
#[derive(Debug, Clone, Copy)]
pub struct FromSite(pub crate::page::Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for FromSite {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Response> {
        let lang = lang_of(parts.uri.query());
        if !same_origin(&parts.headers) {
            return Err(cross_site(lang));
        }
        Ok(FromSite(lang))
    }
}

/// The language a POST asks to be answered in (`?lang=en`), Vietnamese otherwise.
fn lang_of(query: Option<&str>) -> crate::page::Lang {
    match query.is_some_and(|q| q.split('&').any(|pair| pair == "lang=en")) {
        true => crate::page::Lang::En,
        false => crate::page::Lang::Vi,
    }
}
