//! `retitle-person`: a person's title (chức danh) from a day on, e.g. the head of a merged
//! department who leads its successor from 1 July 2025.

use super::check_length;
use super::restructure::recorded_day;
use crate::decide::Refusal;
use reform_shared::directory::Directory;
use reform_shared::event::Event;
use reform_shared::ids::PersonId;
use reform_shared::service::Context;
use reform_shared::time::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetitlePerson {
    pub person: PersonId,
    /// Position as people say it, e.g. "Giám đốc Sở Giáo dục và Đào tạo thành phố Cần Thơ".
    pub title: String,
    /// The first day they bear it; the command's business date when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
}

impl RetitlePerson {
    /// A known person, a title that is not empty and differs from theirs, from a day that has
    /// come.
    pub fn decide(&self, d: &Directory, context: &Context) -> Result<Event, Refusal> {
        let RetitlePerson { person, title, from } = self;
        let Some(known) = d.person(person) else {
            return Err(Refusal::UnknownPerson { person: person.clone() });
        };
        if title.trim().is_empty() {
            return Err(Refusal::EmptyTitle { person: person.clone() });
        }
        check_length(person.as_str(), "title", title)?;
        let (effective, today) = (from.unwrap_or(context.occurred_on), recorded_day(context));
        if effective > today {
            let person = person.clone();
            return Err(Refusal::TitleInFuture { person, effective, today });
        }
        if known.title == title.trim() {
            return Err(Refusal::SameTitle { person: person.clone(), title: known.title.clone() });
        }
        Ok(Event::PersonRetitled {
            person: person.clone(),
            title: title.trim().to_owned(),
            effective,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reform_shared::testkit::{date, id};
    use reform_shared::time::Timestamp;

    fn context(on: &str) -> Context {
        let at = Timestamp::at_vietnam_noon(date(on));
        let (command_id, actor, occurred_on) = (id("c1"), id("admin"), date(on));
        Context { command_id, actor, occurred_at: at, occurred_on, recorded_at: at }
    }

    #[test]
    fn a_title_changes_from_its_day_and_bad_ones_are_refused() {
        let mut d = Directory::default();
        d.apply(&Event::PersonRegistered {
            person: id("kim-loan"),
            name: "Nguyễn Thị Kim Loan".into(),
            title: "Giám đốc Sở Giáo dục và Đào tạo Sóc Trăng".into(),
        });
        let retitle = |title: &str, from: Option<&str>| RetitlePerson {
            person: id("kim-loan"),
            title: title.into(),
            from: from.map(date),
        };
        let new = "Giám đốc Sở Giáo dục và Đào tạo thành phố Cần Thơ";
        let event = retitle(new, Some("2025-07-01")).decide(&d, &context("2026-12-06"));
        let effective = date("2025-07-01");
        let title = new.to_owned();
        assert_eq!(event, Ok(Event::PersonRetitled { person: id("kim-loan"), title, effective }));
        let refused = |c: RetitlePerson| c.decide(&d, &context("2026-12-06")).expect_err("refused");
        assert!(matches!(refused(retitle("  ", None)), Refusal::EmptyTitle { .. }));
        let same = retitle("Giám đốc Sở Giáo dục và Đào tạo Sóc Trăng", None);
        assert!(matches!(refused(same), Refusal::SameTitle { .. }));
        let later = retitle(new, Some("2026-12-07"));
        assert!(matches!(refused(later), Refusal::TitleInFuture { .. }));
        let nobody = RetitlePerson { person: id("ai-do"), ..retitle(new, None) };
        assert!(matches!(refused(nobody), Refusal::UnknownPerson { .. }));
    }
}
