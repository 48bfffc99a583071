//! `reformctl` commands of the scoring service: PAR INDEX frameworks (bộ tiêu chí Chỉ số CCHC)
//! and scores (điểm) per unit, criterion and stage.

use crate::ctx::Ctx;
use crate::table::{Align, Table};
use anyhow::Context as _;
use reform_scoring::cmd;
use reform_scoring::cmd::Command;
use reform_scoring::framework::{self, FrameworkFile};
use reform_shared::event::{Component, Criterion, Stage, UnitKind};
use reform_shared::ids::{CriterionCode, EvidenceId, UnitId};
use reform_shared::points::Points;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Scoring frameworks (bộ tiêu chí Chỉ số CCHC): publish, check or show a year's criteria.
    #[command(subcommand)]
    Framework(FrameworkCmd),
    /// Scores (điểm) of a unit on a criterion: self-assessed, appraised or final.
    #[command(subcommand)]
    Score(ScoreCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum FrameworkCmd {
    /// Publish a framework file for its year (or --year). Refused unless the maxima total
    /// exactly 100.00 points over all eight component fields, or if one is already published
    /// for that year and unit kind. Files: services/scoring/frameworks/*.json.
    Publish {
        /// The framework file (JSON), e.g. services/scoring/frameworks/par-index-department.json.
        #[arg(long)]
        file: PathBuf,
        /// The year it applies to, instead of the year in the file.
        #[arg(long)]
        year: Option<u16>,
    },
    /// Check a framework file without publishing it, and show its criteria and totals.
    Check {
        /// The framework file (JSON).
        #[arg(long)]
        file: PathBuf,
        /// The year it applies to, instead of the year in the file.
        #[arg(long)]
        year: Option<u16>,
    },
    /// Publish a framework from an Excel workbook (.xlsx), as provinces publish their criteria
    /// tables: the first sheet, headed Mã tiêu chí, Lĩnh vực, Tên tiêu chí, Điểm tối đa (and
    /// Điều tra xã hội học, "có" for a survey-measured criterion). Every row is checked, then
    /// the whole (eight fields, 100.00 points); a file with any problem publishes nothing.
    Import {
        /// The workbook.
        #[arg(long)]
        file: PathBuf,
        /// The year it applies to.
        #[arg(long)]
        year: u16,
        /// The kind of unit it scores: province, department, district, division,
        /// public-service-unit or commune.
        #[arg(long)]
        kind: UnitKind,
        /// The decision it follows, e.g. "QĐ 876/QĐ-BNV ngày 10/11/2022".
        #[arg(long)]
        source: String,
    },
    /// Show the framework published for a year and a kind of unit, read from the log.
    Show {
        /// The year of the framework.
        #[arg(long)]
        year: u16,
        /// province, department, district, division, public-service-unit or commune.
        #[arg(long)]
        kind: UnitKind,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ScoreCmd {
    /// Record a unit's score on one criterion at one stage. A self-assessed score without
    /// evidence needs a reason; survey-measured criteria take no self-assessed score; an
    /// appraised score differing from the self-assessed one needs a reason; a final score
    /// needs the appraised one first.
    Record {
        /// The unit scored, e.g. sgd.
        #[arg(long)]
        unit: UnitId,
        /// The year assessed.
        #[arg(long)]
        year: u16,
        /// The criterion code, e.g. 1.1.
        #[arg(long)]
        criterion: CriterionCode,
        /// self-assessed (tự đánh giá), appraised (thẩm định) or final.
        #[arg(long)]
        stage: Stage,
        /// Points with at most two decimals, e.g. 8.50.
        #[arg(long)]
        points: Points,
        /// Why this score (required without evidence, and when appraisal changes a score).
        #[arg(long, default_value = "")]
        reason: String,
        /// Evidence ids the score rests on, separated by commas: e1,e2.
        #[arg(long, value_delimiter = ',')]
        evidence: Vec<EvidenceId>,
    },
    /// Record a batch of scores from an Excel workbook (.xlsx): the first sheet, headed Mã đơn
    /// vị, Năm, Tiêu chí, Giai đoạn, Điểm (and Lý do, Minh chứng). Every row is checked first,
    /// by the scoring service's own rules; a file with any bad row is refused whole, every bad
    /// row named, and nothing is recorded. Sending the same file again records nothing twice.
    Import {
        /// The workbook.
        #[arg(long)]
        file: PathBuf,
    },
    /// A unit's score on one criterion through its stages (lịch sử điểm): every change, with
    /// who recorded it and when, its reason and its evidence.
    History {
        #[arg(long)]
        unit: UnitId,
        #[arg(long)]
        year: u16,
        #[arg(long)]
        criterion: CriterionCode,
    },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    match cmd {
        Cmd::Framework(FrameworkCmd::Publish { file, year }) => {
            let command = read_framework(&file)?.into_command(year).map_err(anyhow::Error::msg)?;
            send(ctx, command).await
        }
        Cmd::Framework(FrameworkCmd::Check { file, year }) => {
            let framework = read_framework(&file)?;
            let year = year.or(framework.year).context("the file names no year; give --year")?;
            let criteria = framework::validate(year, &framework.source, &framework.criteria)?;
            print_framework(ctx, year, framework.unit_kind, &framework.source, &criteria)
        }
        Cmd::Framework(FrameworkCmd::Import { file, year, kind, source }) => {
            crate::framework_import::run(ctx, &file, year, kind, source).await
        }
        Cmd::Framework(FrameworkCmd::Show { year, kind }) => {
            let published = reform_scoring::query::framework(&ctx.client().await?, year, kind)
                .await?
                .ok_or_else(|| crate::outcome::Classified {
                    kind: crate::outcome::ExitKind::NotFound,
                    message: format!(
                        "chưa ban hành bộ tiêu chí cho {} năm {year}",
                        kind.label_vi()
                    ),
                })?;
            print_framework(ctx, year, kind, &published.source, &published.criteria)
        }
        Cmd::Score(ScoreCmd::Import { file }) => crate::score_import::run(ctx, &file).await,
        Cmd::Score(ScoreCmd::History { unit, year, criterion }) => {
            crate::history::score_history(ctx, &unit, year, &criterion).await
        }
        Cmd::Score(ScoreCmd::Record { unit, year, criterion, stage, points, reason, evidence }) => {
            let command = Command::RecordScore(cmd::RecordScore {
                unit,
                year,
                criterion,
                stage,
                points,
                reason,
                evidence,
            });
            send(ctx, command).await
        }
    }
}

/// Sends a scoring command, signed, and prints its answer.
async fn send(ctx: &Ctx, command: Command) -> anyhow::Result<()> {
    let request = ctx.request(command)?;
    let client = ctx.client().await?;
    let accepted =
        ctx.guarded(reform_scoring::client::send(&client, &request, &ctx.signer()?)).await?;
    ctx.print_accepted(&accepted).await
}

fn read_framework(file: &PathBuf) -> anyhow::Result<FrameworkFile> {
    let bytes =
        std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    FrameworkFile::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

fn print_framework(
    ctx: &Ctx,
    year: u16,
    kind: UnitKind,
    source: &str,
    criteria: &[Criterion],
) -> anyhow::Result<()> {
    let mut subtotals: BTreeMap<Component, u32> = BTreeMap::new();
    for c in criteria {
        *subtotals.entry(c.component).or_default() += c.max_points.hundredths();
    }
    let total = Points(subtotals.values().sum());
    if ctx.json() {
        let criteria: Vec<_> = criteria
            .iter()
            .map(|c| {
                serde_json::json!({
                    "code": c.code.as_str(),
                    "component": c.component.as_str(),
                    "title": c.title,
                    "max_points": c.max_points.to_string(),
                    "survey_measured": c.survey_measured,
                })
            })
            .collect();
        let value = serde_json::json!({
            "year": year, "unit_kind": kind.as_str(), "source": source,
            "total": total.to_string(), "criteria": criteria,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("Bộ tiêu chí Chỉ số CCHC năm {year} — {} ({})", kind.label_vi(), kind.as_str());
    println!("Nguồn: {source}\n");
    let mut table = Table::new(&[
        ("Mã", Align::Left),
        ("Tiêu chí", Align::Left),
        ("Điểm tối đa", Align::Right),
        ("Điều tra XHH", Align::Left),
    ]);
    for component in Component::ALL {
        let sub = Points(subtotals.get(&component).copied().unwrap_or(0));
        table.row(vec![String::new(), component.label_vi().to_owned(), sub.to_string()]);
        for c in criteria.iter().filter(|c| c.component == component) {
            let survey = if c.survey_measured { "có" } else { "" };
            let title = format!("  {}", c.title);
            table.row(vec![c.code.to_string(), title, c.max_points.to_string(), survey.into()]);
        }
    }
    table.row(vec![String::new(), "Tổng".into(), total.to_string()]);
    print!("{}", table.render());
    Ok(())
}
