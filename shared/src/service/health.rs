//! What a service says about its own reading of the log, in its NATS services API stats
//! (`$SRV.STATS.<name>`, endpoint `data`): `reformctl status` and `up` read it from there.

use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// The state of a service's stream reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reader {
    /// Rebuilding its state from the log.
    Starting,
    /// Following the stream.
    Following,
    /// Lost its consumer (broker restart, dropped connection); re-creating it from its position.
    Reconnecting,
    /// Stopped at an event it cannot read; answers every command `unavailable` until an
    /// operator records a skip for it (or the build is upgraded).
    Halted,
    /// Running, but unable to do its work for a reason outside the log (the embedded broker
    /// with a full disk); `last_error` says what and what will end it.
    Degraded,
}

/// A snapshot of a reader's health, as published in the service stats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub reader: Reader,
    /// The last stream sequence applied (or skipped by an operator's record).
    pub applied_through: u64,
    /// The sequence it stopped at, when halted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted_at: Option<u64>,
    /// Problems met since start (reconnections, unreadable events).
    pub errors: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The snapshot's sequence the service resumed from at start, when it had one (the
    /// events before it were not replayed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<u64>,
    /// Events of the log this service did not honour (a directory event no valid signed
    /// request decides: forged by someone who can append), and the last one, named.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_honoured: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_not_honoured: Option<String>,
    /// Commands answered `unavailable` on arrival because as many as the service holds were
    /// already waiting (`ServiceConfig::commands_waiting_max`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub turned_away: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A handle every part of a service updates and the stats handler reads.
#[derive(Debug, Clone)]
pub struct HealthCell(Arc<Mutex<Health>>);

impl Default for HealthCell {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Health {
            reader: Reader::Starting,
            applied_through: 0,
            halted_at: None,
            errors: 0,
            last_error: None,
            resumed_from: None,
            not_honoured: 0,
            last_not_honoured: None,
            turned_away: 0,
        })))
    }
}

impl HealthCell {
    pub fn get(&self) -> Health {
        self.0.lock().map(|h| h.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    fn update(&self, change: impl FnOnce(&mut Health)) {
        match self.0.lock() {
            Ok(mut health) => change(&mut health),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// Moves the position; the reader's state changes only by [`HealthCell::following`] and
    /// [`HealthCell::problem`], so a late position update never hides a halt.
    pub fn applied(&self, sequence: u64) {
        self.update(|h| h.applied_through = h.applied_through.max(sequence));
    }

    pub fn resumed_from(&self, sequence: u64) {
        self.update(|h| h.resumed_from = Some(sequence));
    }

    pub fn following(&self) {
        self.update(|h| {
            h.reader = Reader::Following;
            h.halted_at = None;
        });
    }

    pub fn problem(&self, reader: Reader, error: &str, halted_at: Option<u64>) {
        self.update(|h| {
            h.reader = reader;
            h.errors += 1;
            h.last_error = Some(error.to_owned());
            h.halted_at = halted_at;
        });
    }

    /// An event of the log the service did not honour, and why.
    pub fn not_honoured(&self, sequence: u64, why: &str) {
        self.update(|h| {
            h.not_honoured += 1;
            h.last_not_honoured = Some(format!("sequence {sequence}: {why}"));
        });
    }

    /// A command answered `unavailable` on arrival: too many were waiting.
    pub fn turned_away(&self) {
        self.update(|h| h.turned_away += 1);
    }

    /// The JSON put in the endpoint stats' `data`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.get()).unwrap_or(serde_json::Value::Null)
    }
}
