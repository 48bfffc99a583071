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
