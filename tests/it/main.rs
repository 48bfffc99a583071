//! Integration tests. Every test starts its own `nats-server` on a free loopback port with a
//! temporary store (see `reform_shared::natsd`), so tests never share a broker.

mod access;
mod demo;
mod foundation;
mod fuzz_corpus;
mod insider;
mod layers;
mod passkeys;
mod restructuring;
mod robustness;
mod self_contained;
mod upgrade;
