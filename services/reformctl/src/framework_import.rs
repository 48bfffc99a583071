//! `reformctl framework import --file F.xlsx --year Y --kind K --source S`: a framework's
//! criteria from a workbook, as provinces publish their criteria tables in Excel. Every row is
//! checked, then the framework as a whole (eight fields, a total of exactly 100.00 points) by
//! the scoring service's own rules; a file with any problem is refused whole, every problem
//! named, and nothing is published. Publishing is one command: the service's refusal (a
//! framework already published for that year) comes back worded like any other.
//!
//! The sheet: the first one, its first row the headings (any order, any extra columns):
//! `Mã tiêu chí`, `Lĩnh vực` (the field's name as in Chỉ số CCHC, or its code), `Tên tiêu
//! chí`, `Điểm tối đa` (at most two decimals), and optionally `Điều tra xã hội học` ("có" for
//! a criterion measured by the sociological survey).

use crate::ctx::Ctx;
use crate::workbook::{self, points_of, text, Cells};
use reform_scoring::cmd::{Command, CriterionSpec, PublishFramework};
use reform_scoring::framework;
use reform_shared::event::{Component, UnitKind};
use reform_shared::ids::CriterionCode;
use reform_shared::reply::Reason;
use reform_shared::wording;
use std::collections::BTreeMap;
use std::path::Path;

const CODE: &str = "Mã tiêu chí";
const COMPONENT: &str = "Lĩnh vực";
const TITLE: &str = "Tên tiêu chí";
const MAX_POINTS: &str = "Điểm tối đa";
const SURVEY: &str = "Điều tra xã hội học";

/// What a refused file published.
const NOTHING: &str = "không ban hành bộ tiêu chí";

/// The criteria a workbook holds, in its order, or every problem with it.
pub fn read(bytes: &[u8]) -> Result<Vec<CriterionSpec>, Vec<String>> {
    let rows = workbook::rows(bytes, &[CODE, COMPONENT, TITLE, MAX_POINTS], criterion)?;
    let mut first: BTreeMap<&CriterionCode, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (line, spec) in &rows {
        if let Some(before) = first.insert(&spec.code, *line) {
            problems.push(format!("dòng {line}: tiêu chí {} đã có ở dòng {before}", spec.code));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(rows.into_iter().map(|(_, spec)| spec).collect())
}

/// One row's criterion, or what is wrong with each of its cells.
fn criterion(cell: Cells) -> Result<CriterionSpec, Vec<String>> {
    let mut errors = Vec::new();
    let mut bad =
        |column: &str, problem: String| errors.push(format!("cột \"{column}\": {problem}"));
    let code_text = text(&cell(CODE)).trim().to_owned();
    let code = code_text
        .parse::<CriterionCode>()
        .map_err(|_| bad(CODE, format!("{code_text:?} không phải mã tiêu chí (như 1.1)")))
        .ok();
    let component_text = text(&cell(COMPONENT)).trim().to_owned();
    let component = component_of(&component_text);
    if component.is_none() {
        let names: Vec<&str> = Component::ALL.iter().map(|c| c.label_vi()).collect();
        bad(COMPONENT, format!("{component_text:?} không phải lĩnh vực nào: {}", names.join("; ")));
    }
    let title = text(&cell(TITLE)).trim().to_owned();
    if title.is_empty() {
        bad(TITLE, "chưa có tên tiêu chí".to_owned());
    }
    let max_points = points_of(&cell(MAX_POINTS));
    if max_points.is_none() {
        let given = text(&cell(MAX_POINTS));
        bad(MAX_POINTS, format!("{given:?} không phải số điểm, không quá hai chữ số thập phân"));
    }
    let survey_text = text(&cell(SURVEY)).trim().to_lowercase();
    let survey_measured = match survey_text.as_str() {
        "" | "không" | "0" | "false" => Some(false),
        "có" | "x" | "1" | "true" => Some(true),
        _ => None,
    };
    if survey_measured.is_none() {
        bad(SURVEY, format!("{survey_text:?}: ghi \"có\" hoặc để trống"));
    }
    match (code, component, max_points, survey_measured) {
        (Some(code), Some(component), Some(max_points), Some(survey_measured))
            if errors.is_empty() =>
        {
            Ok(CriterionSpec { code, component, title, max_points, survey_measured })
        }
        _ => Err(errors),
    }
}

/// A field by its code or its Vietnamese or English name, in any case.
fn component_of(text: &str) -> Option<Component> {
    let wanted = text.to_lowercase();
    Component::ALL.into_iter().find(|c| {
        [c.as_str(), c.label_vi(), c.label_en()].iter().any(|name| name.to_lowercase() == wanted)
    })
}

pub async fn run(
    ctx: &Ctx,
    file: &Path,
    year: u16,
    unit_kind: UnitKind,
    source: String,
) -> anyhow::Result<()> {
    let bytes = workbook::read_file(file, NOTHING)?;
    let criteria = read(&bytes).map_err(|problems| workbook::invalid(file, NOTHING, problems))?;
    if let Err(e) = framework::validate(year, &source, &criteria) {
        let reason = Reason::of(reform_scoring::NAME, &e);
        let said = reason.as_ref().and_then(wording::refusal_vi).unwrap_or_else(|| e.to_string());
        return Err(workbook::invalid(file, NOTHING, vec![said]));
    }
    let count = criteria.len();
    let command = Command::PublishFramework(PublishFramework { year, unit_kind, source, criteria });
    let (request, client, signer) = (ctx.request(command)?, ctx.client().await?, ctx.signer()?);
    let sent = reform_scoring::client::send(&client, &request, &signer);
    ctx.print_accepted(&ctx.guarded(sent).await?).await?;
    if !ctx.json() {
        println!(
            "Đã ban hành bộ tiêu chí năm {year} cho {} từ {}: {count} tiêu chí.",
            unit_kind.label_vi(),
            file.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_known_by_its_code_or_either_name() {
        assert_eq!(component_of("cải cách thể chế"), Some(Component::InstitutionalReform));
        assert_eq!(component_of("e-government"), Some(Component::EGovernment));
        assert_eq!(component_of("Public finance"), Some(Component::PublicFinance));
        assert_eq!(component_of("Thể chế"), None);
    }
}
