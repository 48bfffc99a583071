//! The tables of the views file and its storage layout.

use super::StoreError;
use redb::{TableDefinition, WriteTransaction};

pub(super) type Bytes = &'static [u8];
pub(super) type Str = &'static str;

pub(super) const META: TableDefinition<Str, u64> = TableDefinition::new("meta");
/// Which log the views came from (`LogIdentity` text under [`LOG_IDENTITY_KEY`]): views of one
/// log are never followed on with another.
pub(super) const LOG: TableDefinition<Str, Str> = TableDefinition::new("log");
pub(super) const LOG_IDENTITY_KEY: &str = "identity";
/// Sequences an operator chose to skip, with the reason they gave (see the README).
pub(super) const SKIPPED: TableDefinition<u64, Str> = TableDefinition::new("skipped");
pub(super) const UNITS: TableDefinition<Str, Bytes> = TableDefinition::new("units");
pub(super) const PEOPLE: TableDefinition<Str, Bytes> = TableDefinition::new("people");
pub(super) const TENURES: TableDefinition<Str, Bytes> = TableDefinition::new("tenures");
pub(super) const PLANS: TableDefinition<Str, Bytes> = TableDefinition::new("plans");
pub(super) const TASKS: TableDefinition<Str, Bytes> = TableDefinition::new("tasks");
pub(super) const FINDINGS: TableDefinition<Str, Bytes> = TableDefinition::new("findings");
pub(super) const EVIDENCE: TableDefinition<Str, Bytes> = TableDefinition::new("evidence");
/// `(year, unit kind index)`.
pub(super) const FRAMEWORKS: TableDefinition<(u16, u8), Bytes> = TableDefinition::new("frameworks");
/// `(unit, year, criterion, stage index, stream sequence)` → one score change
/// (`Dated<ScoreChange>`). Append-only: a change is a row of its own, so recording one neither
/// reads nor re-encodes the key's history (which grows with every correction).
pub(super) const SCORE_CHANGES: TableDefinition<(Str, u16, Str, u8, u64), Bytes> =
    TableDefinition::new("score_changes");
pub(super) const CHILDREN: TableDefinition<(Str, Str), ()> = TableDefinition::new("children");
pub(super) const ROOTS: TableDefinition<Str, ()> = TableDefinition::new("roots");
pub(super) const UNIT_TENURES: TableDefinition<(Str, Str), ()> =
    TableDefinition::new("unit_tenures");
pub(super) const PERSON_TENURES: TableDefinition<(Str, Str), ()> =
    TableDefinition::new("person_tenures");
pub(super) const UNIT_TASKS: TableDefinition<(Str, u16, Str), ()> =
    TableDefinition::new("unit_tasks");
pub(super) const UNIT_FINDINGS: TableDefinition<(Str, Str), ()> =
    TableDefinition::new("unit_findings");
/// `(unit, task)`: the tasks open at a unit, which a unit that ends hands on.
pub(super) const OPEN_TASKS: TableDefinition<(Str, Str), ()> = TableDefinition::new("open_tasks");
/// `(plan, task)`: the tasks assigned under a plan, wherever they are now.
pub(super) const PLAN_TASKS: TableDefinition<(Str, Str), ()> = TableDefinition::new("plan_tasks");
/// `(unit, person)`: who has been granted access at a unit.
pub(super) const UNIT_GRANTS: TableDefinition<(Str, Str), ()> = TableDefinition::new("unit_grants");
/// `(successor, predecessor)`: the units that ended into a unit.
pub(super) const SUCCESSIONS: TableDefinition<(Str, Str), ()> = TableDefinition::new("successions");
pub(super) const UNIT_EVIDENCE: TableDefinition<(Str, u16, Str), ()> =
    TableDefinition::new("unit_evidence");

/// The storage layout this build reads and writes, kept in `meta` under [`LAYOUT_KEY`].
/// 1 (no key): one `scores` row per score key holding its whole history. 2: one
/// `score_changes` row per change. 3: a task's row also holds its target, criterion and who
/// assigned it (the task register's "5 rõ"). 4: the `roots` and `unit_tenures` indexes, so a
/// part of the directory is read without reading the whole. 5: a score change also holds its
/// reason and evidence, which an appraiser reads beside a self-assessment; a unit's row its
/// end, and the `successions` table. 6: a unit's row holds the day a founded unit began. 7: a
/// unit's row holds its names and parents before each rename or move, and `children` keeps a
/// moved unit's row under its earlier parent; a person's row their titles by day; `open_tasks`
/// lists the tasks open at each unit. 8: a document's row holds its date and why it was
/// rejected, so the evidence register answers what `reformctl evidence list` prints, and
/// `plan_tasks` lists the tasks of each plan, for `reformctl plan show`. 9: a person's row holds
/// their keys, their access and whether the genesis step recorded them, and `unit_grants` lists
/// who was granted access at each unit, so `reformctl person show` and `unit show` are
/// registers too. 10: a document's row holds the day its content was erased. A
/// file of another layout is refused, telling the operator to run `rebuild`: the views are a cache of the stream, so re-projecting them is always safe,
/// and doing it on purpose beats a start-up that silently spends minutes rebuilding.
pub const LAYOUT_VERSION: u64 = 10;
pub(super) const LAYOUT_KEY: &str = "layout_version";
/// The indexes keyed by two ids, in dump order.
pub(super) const TWO_KEY_INDEXES: [TableDefinition<(Str, Str), ()>; 8] = [
    CHILDREN,
    PERSON_TENURES,
    UNIT_TENURES,
    UNIT_FINDINGS,
    SUCCESSIONS,
    OPEN_TASKS,
    PLAN_TASKS,
    UNIT_GRANTS,
];
/// Tables of earlier layouts that `drop_views` removes.
pub(super) const LEGACY_TABLES: [&str; 1] = ["scores"];

pub(super) const APPLIED_THROUGH: &str = "applied_through";
pub(super) const EVENTS_APPLIED: &str = "events_applied";

/// Every table but `skipped`, in dump order; `drop_views` deletes these.
pub(super) const VIEW_TABLES: [&str; 21] = [
    "meta",
    "units",
    "people",
    "tenures",
    "plans",
    "tasks",
    "findings",
    "evidence",
    "frameworks",
    "score_changes",
    "children",
    "roots",
    "person_tenures",
    "unit_tenures",
    "unit_tasks",
    "open_tasks",
    "plan_tasks",
    "unit_grants",
    "unit_findings",
    "unit_evidence",
    "successions",
];

/// Creates every table a views file has, and stamps the layout.
pub(super) fn create_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(META)?.insert(LAYOUT_KEY, LAYOUT_VERSION)?;
    txn.open_table(SKIPPED)?;
    txn.open_table(LOG)?;
    for def in [UNITS, PEOPLE, TENURES, PLANS, TASKS, FINDINGS, EVIDENCE] {
        txn.open_table(def)?;
    }
    txn.open_table(FRAMEWORKS)?;
    txn.open_table(SCORE_CHANGES)?;
    for def in TWO_KEY_INDEXES {
        txn.open_table(def)?;
    }
    txn.open_table(ROOTS)?;
    for def in [UNIT_TASKS, UNIT_EVIDENCE] {
        txn.open_table(def)?;
    }
    Ok(())
}
