//! The one reply every service and the projector send: what was asked for, or why not.
//!
//! ```json
//! {"outcome": "ok", "sequence": 42, "event": "task-assigned", "duplicate": false}   // a command
//! {"outcome": "ok", "view": {...}}                                                  // a view
//! {"outcome": "failed", "kind": "refused", "message": "…"}                          // either
//! ```
//!
//! A failure also carries the NATS services API's error headers, `Nats-Service-Error` (the
//! message) and `Nats-Service-Error-Code` ([`FailureKind::code`], HTTP-like), so tools that read
//! only headers (`nats req`, a proxy) see it failed; the body says the same, in full.

use serde::{Deserialize, Serialize};

/// The kinds of failure a client can act on, for commands and views alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The request could not be read. Fix the request.
    Invalid,
    /// The domain said no (unknown unit, score above maximum, …). Tell the user.
    Refused,
    /// Another command changed the same thing first. Re-read and decide again.
    Conflict,
    /// The views do not know the unit or person asked about. Check the id (or wait for the
    /// projector). Read as `unknown` too, its name before.
    #[serde(alias = "unknown")]
    NotFound,
    /// The log or the views could not be reached. Retry (a command with the same command id).
    Unavailable,
    /// The request's signature does not hold, its key may not sign for the actor, or the actor
    /// lacks the role the command needs. Sign with your own valid key, or ask for the role.
    Denied,
}

impl FailureKind {
    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Invalid => "invalid",
            FailureKind::Refused => "refused",
            FailureKind::Conflict => "conflict",
            FailureKind::NotFound => "not-found",
            FailureKind::Unavailable => "unavailable",
            FailureKind::Denied => "denied",
        }
    }

    pub const ALL: [FailureKind; 6] = [
        FailureKind::Invalid,
        FailureKind::Refused,
        FailureKind::Conflict,
        FailureKind::NotFound,
        FailureKind::Unavailable,
        FailureKind::Denied,
    ];

    /// The code of the `Nats-Service-Error-Code` header, after the HTTP status of the same
    /// meaning.
    pub fn code(self) -> usize {
        match self {
            FailureKind::Invalid => 400,
            FailureKind::Denied => 403,
            FailureKind::NotFound => 404,
            FailureKind::Conflict => 409,
            FailureKind::Refused => 422,
            FailureKind::Unavailable => 503,
        }
    }
}

/// A reply: `T` (its fields beside the outcome), or a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Reply<T> {
    /// Read as `accepted` too, what commands answered before.
    #[serde(alias = "accepted")]
    Ok(T),
    Failed {
        kind: FailureKind,
        /// The failure in English, for operators' logs and `--lang en`.
        message: String,
        /// What a refusal is, for an edge to word it in its reader's language.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Reason>,
    },
}

impl<T> Reply<T> {
    pub fn failed(kind: FailureKind, message: impl Into<String>) -> Self {
        Reply::Failed { kind, message: message.into(), reason: None }
    }

    /// A failure with its reason, for an edge to word.
    pub fn refused(kind: FailureKind, message: impl Into<String>, reason: Option<Reason>) -> Self {
        Reply::Failed { kind, message: message.into(), reason }
    }
}

/// Why a command was turned down, in a form every edge can word in its reader's language
/// ([`crate::wording`]): a code, `<service>.<refusal>` in kebab case, and the refusal's named
/// values. Services write no Vietnamese; the message beside it is English.
///
/// ```json
/// {"code": "scoring.above-maximum", "params": {"criterion": "1.1", "points": "99.00", "max": "1.00"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl Reason {
    /// The reason of a refusal that serializes as `{"code": …, <its fields>}` (a
    /// `#[serde(tag = "code")]` enum), under `service`'s prefix; none for any other shape.
    pub fn of<R: Serialize>(service: &str, refusal: &R) -> Option<Reason> {
        let serde_json::Value::Object(mut params) = serde_json::to_value(refusal).ok()? else {
            return None;
        };
        let serde_json::Value::String(code) = params.remove("code")? else { return None };
        Some(Reason { code: format!("{service}.{code}"), params })
    }
}

impl<T: Serialize> Reply<T> {
    /// The JSON body.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The NATS services API's error headers of a failure; none for a success.
    pub fn headers(&self) -> async_nats::HeaderMap {
        let mut headers = async_nats::HeaderMap::new();
        if let Reply::Failed { kind, message, .. } = self {
            // A header value is one line.
            let line: String =
                message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            headers.insert(async_nats::service::NATS_SERVICE_ERROR, line.as_str());
            headers.insert(
                async_nats::service::NATS_SERVICE_ERROR_CODE,
                kind.code().to_string().as_str(),
            );
        }
        headers
    }

    /// Answers a services API request with this reply: the body, and the error headers of a
    /// failure.
    pub async fn send(
        &self,
        request: &async_nats::service::Request,
    ) -> Result<(), async_nats::PublishError> {
        request.respond_with_headers(Ok(self.to_bytes().into()), self.headers()).await
    }
}

/// The error headers of a reply already encoded: one passed on as it came, by a projector that
/// asked another.
pub fn headers_of(bytes: &[u8]) -> async_nats::HeaderMap {
    #[derive(Deserialize)]
    struct Outcome {
        outcome: String,
        kind: Option<FailureKind>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Outcome>(bytes) {
        Ok(Outcome { outcome, kind: Some(kind), message }) if outcome == "failed" => {
            Reply::<()>::failed(kind, message.unwrap_or_default()).headers()
        }
        _ => async_nats::HeaderMap::new(),
    }
}

/// Answers a services API request with reply bytes already encoded, with the error headers
/// when they say it failed.
pub async fn send_bytes(
    request: &async_nats::service::Request,
    bytes: Vec<u8>,
) -> Result<(), async_nats::PublishError> {
    let headers = headers_of(&bytes);
    request.respond_with_headers(Ok(bytes.into()), headers).await
}

/// A view, as the projector answers it: `{"outcome": "ok", "view": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found<V> {
    pub view: V,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Accepted {
        sequence: u64,
    }

    #[test]
    fn one_shape_for_commands_and_views_and_the_old_names_still_read() {
        let command = Reply::Ok(Accepted { sequence: 7 });
        assert_eq!(
            String::from_utf8(command.to_bytes()).expect("utf8"),
            r#"{"outcome":"ok","sequence":7}"#
        );
        let view = Reply::Ok(Found { view: 3u8 });
        assert_eq!(
            String::from_utf8(view.to_bytes()).expect("utf8"),
            r#"{"outcome":"ok","view":3}"#
        );
        let old: Reply<Accepted> =
            serde_json::from_str(r#"{"outcome":"accepted","sequence":7}"#).expect("reads");
        assert_eq!(old, command);
        let unknown: Reply<Found<u8>> =
            serde_json::from_str(r#"{"outcome":"failed","kind":"unknown","message":"x"}"#)
                .expect("reads");
        assert_eq!(unknown, Reply::failed(FailureKind::NotFound, "x"));
    }

    #[test]
    fn a_failure_carries_the_services_api_error_headers() {
        let failed =
            Reply::<Found<u8>>::failed(FailureKind::NotFound, "unknown unit x\nsecond line");
        let headers = failed.headers();
        let get = |name: &str| headers.get(name).map(|v| v.as_str().to_owned());
        assert_eq!(get("Nats-Service-Error-Code").as_deref(), Some("404"));
        assert_eq!(get("Nats-Service-Error").as_deref(), Some("unknown unit x second line"));
        assert!(Reply::Ok(Found { view: 1u8 }).headers().is_empty());
        let passed_on = headers_of(&failed.to_bytes());
        assert_eq!(passed_on.get("Nats-Service-Error-Code").map(|v| v.as_str()), Some("404"));
        assert!(headers_of(br#"{"outcome":"ok","view":1}"#).is_empty());
    }
}
