//! A views file written by another storage layout must not be followed by this build: the
//! rows would be read with the wrong shape. The projector refuses it, naming the `rebuild`
//! that fixes it, and `rebuild` (drop the views, write this build's layout) makes it usable.

use redb::{ReadableDatabase, TableDefinition, TableHandle};
use reform_projector::store::{Store, StoreError, LAYOUT_VERSION};

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const OLD_SCORES: TableDefinition<(&str, u16, &str, u8), &[u8]> = TableDefinition::new("scores");

/// A file as layout 1 left it: a checkpoint, a `scores` table, no layout version.
fn layout_1_file(path: &std::path::Path) {
    let db = redb::Database::create(path).expect("create");
    let txn = db.begin_write().expect("write");
    txn.open_table(META).expect("meta").insert("applied_through", 42).expect("insert");
    txn.open_table(OLD_SCORES)
        .expect("scores")
        .insert(("sgd", 2016, "1.1", 0), &[1u8][..])
        .expect("row");
    txn.commit().expect("commit");
}

#[test]
fn a_file_of_an_older_layout_is_refused_with_the_rebuild_that_fixes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("views.redb");
    layout_1_file(&path);
    let error = Store::open(&path).expect_err("layout 1 is refused");
    assert!(matches!(error, StoreError::Layout { found: 1, expected: LAYOUT_VERSION, .. }));
    let text = error.to_string();
    assert!(text.contains("rebuild"), "{text}");
    println!("refused with: {text}");
    // Refusing changed nothing.
    let db = redb::Database::open(&path).expect("reopen");
    let names: Vec<String> = db
        .begin_read()
        .expect("read")
        .list_tables()
        .expect("list")
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(names, ["meta", "scores"]);
}

#[test]
fn rebuild_drops_the_old_layout_and_writes_the_current_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("views.redb");
    layout_1_file(&path);
    {
        let store = Store::open_any_layout(&path).expect("open for rebuild");
        store.drop_views().expect("drop");
    }
    let store = Store::open(&path).expect("the current layout opens");
    assert_eq!(store.applied_through().expect("checkpoint"), 0);
}

#[test]
fn a_new_file_gets_the_current_layout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("views.redb");
    drop(Store::open(&path).expect("create"));
    drop(Store::open(&path).expect("reopen"));
    let db = redb::Database::open(&path).expect("raw");
    let txn = db.begin_read().expect("read");
    let layout =
        txn.open_table(META).expect("meta").get("layout_version").expect("get").map(|g| g.value());
    assert_eq!(layout, Some(LAYOUT_VERSION));
}

/// The views are derived from the log: a damaged file (truncated) is set aside and a new one
/// started, which the projector fills from the log, instead of a failure that stopped `up`
/// and everything under it. A file another process holds is refused and left alone.
#[test]
fn a_damaged_views_file_is_set_aside_and_started_again_but_a_held_one_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("views.redb");
    // Rows of sevens, so there is something in the file's pages to damage.
    let fill = |path: &std::path::Path| {
        let rows: TableDefinition<u64, &[u8]> = TableDefinition::new("filler");
        let db = redb::Database::create(path).expect("raw");
        let txn = db.begin_write().expect("write");
        let mut table = txn.open_table(rows).expect("table");
        for n in 0..2_000u64 {
            table.insert(n, &[7u8; 64][..]).expect("row");
        }
        drop(table);
        txn.commit().expect("commit");
    };
    drop(Store::open(&path).expect("create"));
    fill(&path);
    let held = Store::open(&path).expect("open");
    let second = Store::open(&path).map(|_| ()).expect_err("one owner at a time");
    assert!(matches!(second, StoreError::Open { .. }), "{second}");
    drop(held);
    let aside = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
            .count()
    };
    assert_eq!(aside(dir.path()), 0, "a held file is never set aside");
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 3]).expect("truncate");
    let store = Store::open(&path).expect("a damaged views file is started again");
    assert_eq!(store.applied_through().expect("checkpoint"), 0, "projected again from the log");
    assert_eq!(aside(dir.path()), 1, "the damaged file is kept for a person to look at");
    drop(store);

    // One byte flipped inside a page of rows: redb still opens the file, but a page no longer
    // matches the checksum its parent keeps, and the whole-file check at open finds it.
    fill(&path);
    let mut bytes = std::fs::read(&path).expect("read");
    let at = bytes.windows(64).position(|w| w.iter().all(|b| *b == 7)).expect("a row's bytes");
    bytes[at + 10] ^= 0x01;
    std::fs::write(&path, &bytes).expect("flip");
    let copy = dir.path().join("copy.redb");
    std::fs::write(&copy, &bytes).expect("copy");
    drop(redb::Database::create(&copy).expect("redb opens the flipped file without a check"));
    let store = Store::open(&path).expect("a flipped views file is started again");
    assert_eq!(store.applied_through().expect("checkpoint"), 0, "projected again from the log");
    assert_eq!(aside(dir.path()), 2, "the flipped file is kept aside too");
}
