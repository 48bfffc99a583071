//! What `reformctl up` shows a person once the demo is in: the peer-group rankings the seed
//! articles report, one department's progress and its head's timeline.

use crate::view::{render_ranking, render_timeline, render_unit};
use reform_projector::queries::{self, RankingQuery, TimelineQuery, UnitQuery};
use reform_shared::event::UnitKind;
use reform_shared::ids::{PersonId, UnitId};
use reform_shared::time::Date;

/// The province whose peer groups are shown, and the year the articles report on.
const DEMO_PROVINCE: &str = "soc-trang";
const DEMO_RANKING_YEAR: u16 = 2015;
/// The department whose progress and head are shown, in the year of its tasks.
const DEMO_UNIT: &str = "st-sgddt";
const DEMO_TASK_YEAR: u16 = 2016;
/// The views are shown as true at the end of that year, the demo's reporting date.
const DEMO_AS_OF: &str = "2016-12-31";

pub async fn show(client: &async_nats::Client) -> anyhow::Result<()> {
    let as_of: Date = DEMO_AS_OF.parse()?;
    let province: UnitId = DEMO_PROVINCE.parse()?;
    for kind in [UnitKind::District, UnitKind::Department] {
        let query =
            RankingQuery { parent: province.clone(), kind, year: DEMO_RANKING_YEAR, as_of: None };
        let ranking = queries::ranking(client, &query).await?;
        println!("\n{}", render_ranking(&ranking));
    }
    let unit: UnitId = DEMO_UNIT.parse()?;
    let query = UnitQuery { unit: unit.clone(), year: DEMO_TASK_YEAR, as_of: Some(as_of) };
    let progress = queries::unit(client, &query).await?;
    println!("\n{}", render_unit(&progress));
    if let Some(head) = head_on(&unit, as_of)? {
        let query = TimelineQuery { person: head, as_of: Some(as_of) };
        let timeline = queries::timeline(client, &query).await?;
        println!("\n{}", render_timeline(&timeline));
    }
    println!(
        "\nMore: reformctl view unit --unit {DEMO_UNIT} --year {DEMO_TASK_YEAR} --as-of {DEMO_AS_OF}; \
         reformctl view ranking --parent {DEMO_PROVINCE} --kind district --year {DEMO_RANKING_YEAR}; \
         reformctl --help"
    );
    Ok(())
}

/// The unit's head on a date, from the demo data.
fn head_on(unit: &UnitId, on: Date) -> anyhow::Result<Option<PersonId>> {
    let demo = crate::demo::parse(crate::demo::COMMANDS_JSONL)?;
    Ok(demo.head_on(unit, on).cloned())
}
