//! The fuzz corpus, replayed: every file under `fuzz/corpus/<target>/` goes through the same
//! function its cargo-fuzz target calls (`fuzz/src/lib.rs`, included here by path), so an
//! input that once crashed a fuzzer and was added to the corpus keeps being checked by
//! `cargo test`, without nightly or libFuzzer.
//!
//! A file's name says what it must do (see `fuzz/README.md`):
//!
//! - `valid-*`: readable. For `command_request`, `valid-<service>-*` is readable by that
//!   service; for `framework_file`, it parses and validates.
//! - `accepted-<service>-*` (`command_request` only): readable and accepted by that service in
//!   the harness's fixed world.
//! - `refused-*`: readable but refused (a framework that does not validate, a request the
//!   domain refuses).
//! - `invalid-*`: unreadable (for `command_request`, by every service).
//! - `edge-*`, `found-*`: anything, as long as nothing panics.

#[path = "../../fuzz/src/lib.rs"]
mod harness;

use harness::{Outcome, SERVICES};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

const PREFIXES: [&str; 6] = ["valid-", "accepted-", "refused-", "invalid-", "edge-", "found-"];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target)
}

/// Every file of a target's corpus, by name, sorted. A missing or empty corpus fails.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {} cannot be read: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
            (name, bytes)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the corpus {} has only {} files", dir.display(), files.len());
    files
}

/// Runs `check` on every file of a target's corpus and fails naming every file that panicked
/// or broke its name's promise.
fn replay(target: &str, check: impl Fn(&str, &[u8]) -> Result<(), String>) {
    let mut failures = Vec::new();
    for (name, bytes) in corpus(target) {
        if !PREFIXES.iter().any(|p| name.starts_with(p)) {
            failures.push(format!("{name}: the name starts with none of {PREFIXES:?}"));
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| check(&name, &bytes))) {
            Ok(Ok(())) => {}
            Ok(Err(broken)) => failures.push(format!("{name}: {broken}")),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{name}: panicked: {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "fuzz/corpus/{target}:\n{}", failures.join("\n"));
}

fn expect(name: &str, got: Outcome, valid: Outcome) -> Result<(), String> {
    let wanted = if name.starts_with("valid-") || name.starts_with("accepted-") {
        Some(valid)
    } else if name.starts_with("refused-") {
        Some(Outcome::Refused)
    } else if name.starts_with("invalid-") {
        Some(Outcome::Unreadable)
    } else {
        None
    };
    match wanted {
        Some(wanted) if wanted != got => Err(format!("expected {wanted:?}, got {got:?}")),
        _ => Ok(()),
    }
}

#[test]
fn the_event_corpus_decodes_as_named_and_never_panics() {
    replay("decode_event", |name, bytes| {
        expect(name, harness::decode_event(bytes), Outcome::Accepted)
    });
}

#[test]
fn the_request_corpus_reads_as_named_and_never_panics() {
    replay("command_request", |name, bytes| {
        let outcomes = harness::command_request(bytes);
        let of = |service: &str| SERVICES.iter().position(|s| *s == service).map(|i| outcomes[i]);
        let named = |prefix: &str| {
            let rest = name.strip_prefix(prefix)?;
            SERVICES.iter().find(|s| rest.starts_with(&format!("{s}-")))
        };
        if name.starts_with("invalid-") {
            if outcomes.iter().all(|o| *o == Outcome::Unreadable) {
                return Ok(());
            }
            return Err(format!("readable by some service: {outcomes:?}"));
        }
        for (prefix, ok) in [
            ("valid-", &[Outcome::Refused, Outcome::Accepted][..]),
            ("accepted-", &[Outcome::Accepted][..]),
            ("refused-", &[Outcome::Refused][..]),
        ] {
            if name.starts_with(prefix) {
                let service = named(prefix)
                    .ok_or_else(|| format!("{prefix}<service>-…: no service among {SERVICES:?}"))?;
                let got = of(service).expect("a named service");
                if !ok.contains(&got) {
                    return Err(format!("{service}: expected one of {ok:?}, got {got:?}"));
                }
            }
        }
        Ok(())
    });
}

#[test]
fn the_framework_corpus_checks_as_named_and_never_panics() {
    replay("framework_file", |name, bytes| {
        expect(name, harness::framework_file(bytes), Outcome::Accepted)
    });
}

/// The harness's world is the fixture every request is decided against; each of its services
/// accepted its part of the log.
#[test]
fn the_fuzz_world_builds() {
    let world = harness::world();
    assert_eq!(world.log.len(), 12, "the world's log");
    assert!(world.log.iter().all(|m| harness::decode_event(m) == Outcome::Accepted));
}

/// With `PAR_BLESS=1`, writes the event seeds of `decode_event`: `valid-event-world-*.bin`, the
/// whole messages of the harness world's log, and `valid-framed-*.body`, the events of that log
/// and of every `accepted-*` request seed of `command_request`, shaped for the fuzzer's framed
/// path (see `harness::framed`). Without it, does nothing: the seeds are committed.
#[test]
fn bless_event_seeds() {
    if std::env::var_os("PAR_BLESS").is_none() {
        return;
    }
    let dir = corpus_dir("decode_event");
    let mut messages = Vec::new();
    for (i, message) in harness::world().log.iter().enumerate() {
        let stem = format!("world-{:02}", i + 1);
        std::fs::write(dir.join(format!("valid-event-{stem}.bin")), message).expect("written");
        messages.push((stem, message.clone()));
    }
    for (name, bytes) in corpus("command_request") {
        if let Some(stem) = name.strip_prefix("accepted-") {
            let stem = stem.trim_end_matches(".json");
            for message in harness::accepted_messages(&bytes) {
                messages.push((stem.to_owned(), message));
            }
        }
    }
    for (stem, message) in messages {
        // Without the version byte and the digest, less the bytes the length prefix takes
        // (bodies of 130 to 16,385 bytes: two).
        let body = &message[1..message.len() - 32];
        assert!((130..=16_385).contains(&body.len()), "{stem}: a body of {} bytes", body.len());
        std::fs::write(dir.join(format!("valid-framed-{stem}.body")), &body[2..]).expect("written");
    }
}
