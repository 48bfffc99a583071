//! Query latency of the views over the demo province, as `./dev up` serves them: a real
//! nats-server, the command services loading the demo, the projector answering.
//!
//! ```text
//! cargo bench -p reformctl --bench queries                 # the bench (release) profile
//! cargo bench -p reformctl --bench queries --profile dev   # what the dev profile serves
//! ```
//!
//! For each query, `PAR_BENCH_QUERIES` (default 2,000) requests one after another; p50 and p99
//! in milliseconds.

mod common;

use common::DemoStack;
use reform_projector::queries::{self, RankingQuery, TimelineQuery, UnitQuery};
use reform_shared::event::UnitKind;
use reform_shared::testkit::id;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn measure<F, Fut>(n: usize, mut query: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        assert!(query().await, "the query answers");
        times.push(started.elapsed());
    }
    times.sort();
    (percentile(&times, 50), percentile(&times, 99))
}

#[tokio::main]
async fn main() {
    let n = std::env::var("PAR_BENCH_QUERIES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let stack = DemoStack::start().await;
    println!("loaded the demo in {:.1} s", stack.loaded_in.as_secs_f64());
    let unit = UnitQuery { unit: id("st-sgddt"), year: 2016, as_of: None };
    let ranking = RankingQuery {
        parent: id("soc-trang"),
        kind: UnitKind::Department,
        year: 2015,
        as_of: None,
    };
    let timeline = TimelineQuery { person: id("nguyen-thi-kim-loan"), as_of: None };
    let client = &stack.client;
    println!("{n} queries each, one after another");
    println!("{:<12} {:>10} {:>10}", "query", "p50 ms", "p99 ms");
    let (p50, p99) = measure(n, || async { queries::unit(client, &unit).await.is_ok() }).await;
    println!("{:<12} {p50:>10.2} {p99:>10.2}", "unit view");
    let (p50, p99) =
        measure(n, || async { queries::ranking(client, &ranking).await.is_ok() }).await;
    println!("{:<12} {p50:>10.2} {p99:>10.2}", "ranking");
    let (p50, p99) =
        measure(n, || async { queries::timeline(client, &timeline).await.is_ok() }).await;
    println!("{:<12} {p50:>10.2} {p99:>10.2}", "timeline");
    stack.stop().await;
}
