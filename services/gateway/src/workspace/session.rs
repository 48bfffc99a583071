//! Sessions and sign-in challenges, in memory: a restart signs everyone out, which costs a
//! passkey touch and protects nothing less (a session signs nothing).

use reform_shared::ids::PersonId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "par_session";
/// How long a session lasts: a working day.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// How long a sign-in challenge may wait for its passkey.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);
/// At most this many sessions and as many waiting challenges: past it, the oldest go first,
/// so a flood of sign-in attempts costs memory it cannot grow.
pub const ENTRIES_MAX: usize = 10_000;

/// A signed-in person and the passkey they signed in with.
#[derive(Debug, Clone)]
pub struct Session {
    pub person: PersonId,
    pub key: String,
    until: Instant,
}

#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    challenges: HashMap<String, Instant>,
}

impl Sessions {
    /// Keeps a new challenge's name until it is used or expires.
    pub fn remember_challenge(&self, nonce: String, now: Instant) {
        let mut inner = self.lock();
        inner.challenges.retain(|_, until| *until > now);
        make_room(&mut inner.challenges, |until| *until);
        inner.challenges.insert(nonce, now + CHALLENGE_TTL);
    }

    /// Uses up a challenge: true once, while it has not expired.
    pub fn take_challenge(&self, nonce: &str, now: Instant) -> bool {
        self.lock().challenges.remove(nonce).is_some_and(|until| until > now)
    }

    pub fn open(&self, token: String, person: PersonId, key: String, now: Instant) {
        let mut inner = self.lock();
        inner.sessions.retain(|_, s| s.until > now);
        make_room(&mut inner.sessions, |s| s.until);
        inner.sessions.insert(token, Session { person, key, until: now + SESSION_TTL });
    }

    pub fn get(&self, token: &str, now: Instant) -> Option<Session> {
        self.lock().sessions.get(token).filter(|s| s.until > now).cloned()
    }

    pub fn close(&self, token: &str) {
        self.lock().sessions.remove(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind, still usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Drops the entry that ends first while the map is full.
fn make_room<V>(map: &mut HashMap<String, V>, until: impl Fn(&V) -> Instant) {
    while map.len() >= ENTRIES_MAX {
        let Some(first) = map.iter().min_by_key(|(_, v)| until(v)).map(|(k, _)| k.clone()) else {
            return;
        };
        map.remove(&first);
    }
}

/// The session token a request's cookies carry.
pub fn token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The cookie that carries `token`: script cannot read it, no other site's request sends it,
/// and behind TLS it never travels in clear.
pub fn cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let age = SESSION_TTL.as_secs();
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={age}{secure}")
}

/// The cookie that ends the session in the browser.
pub fn cleared() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_used_once_and_expires() {
        let s = Sessions::default();
        let now = Instant::now();
        s.remember_challenge("n1".into(), now);
        assert!(s.take_challenge("n1", now));
        assert!(!s.take_challenge("n1", now), "used once");
        s.remember_challenge("n2".into(), now);
        assert!(!s.take_challenge("n2", now + CHALLENGE_TTL), "expired");
    }

    #[test]
    fn sessions_expire_and_close_and_the_cookie_is_read_back() {
        let s = Sessions::default();
        let now = Instant::now();
        s.open("tok".into(), "lan".parse().expect("id"), "k".into(), now);
        assert!(s.get("tok", now).is_some());
        assert!(s.get("tok", now + SESSION_TTL).is_none());
        s.close("tok");
        assert!(s.get("tok", now).is_none());
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, "a=1; par_session=tok; b=2".parse().expect("h"));
        assert_eq!(token_of(&headers).as_deref(), Some("tok"));
        assert!(cookie("tok", true).contains("HttpOnly; SameSite=Strict"));
    }
}
