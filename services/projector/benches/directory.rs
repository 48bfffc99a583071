//! What a part of the directory costs at national scale: the national workload's directory
//! (63 provinces, 10,962 units with the communes, 1,890 leaders) in a views file, then each query the dashboard
//! asks, answered from the file many times. `just bench-directory`.

use reform_projector::queries::{answer_directory_part, DirectoryQuery};
use reform_projector::store::{Flush, Item, Store};
use reform_shared::testkit::national::{self, National};
use std::time::Instant;

/// Enough of the workload's first events to hold its whole directory.
const EVENTS: usize = 30_000;
const ROUNDS: u32 = 50;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("views.redb")).expect("views file");
    let items: Vec<Item> = National::for_events(1, 0)
        .messages()
        .take(EVENTS)
        .enumerate()
        .map(|(i, (_, bytes))| {
            let record = reform_shared::codec::decode(&bytes).expect("the workload decodes");
            Item::new(i as u64 + 1, Some(record))
        })
        .collect();
    store.apply_batch(&items, Flush::Durable).expect("applied");
    let province = national::province(1).parse().expect("id");
    let queries = [
        ("the whole directory", DirectoryQuery::default()),
        (
            "the provinces (the overview page)",
            DirectoryQuery { depth: Some(0), ..Default::default() },
        ),
        (
            "a province, one level down (its page)",
            DirectoryQuery { under: Some(province), depth: Some(1), ..Default::default() },
        ),
    ];
    println!(
        "directory queries over {EVENTS} events of the national workload, {ROUNDS} rounds each"
    );
    for (name, q) in queries {
        let started = Instant::now();
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            bytes = serde_json::to_vec(&answer_directory_part(&store, &q)).expect("json").len();
        }
        let each = started.elapsed().as_secs_f64() * 1000.0 / f64::from(ROUNDS);
        println!("  {name}: {each:.2} ms each, {bytes} bytes");
    }
}
