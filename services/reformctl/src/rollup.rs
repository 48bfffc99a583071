//! `reformctl rollup`: the reporting periods (báo cáo quý I, 6 tháng, quý III, năm): list the
//! closed ones, show a report (regenerated from the log and checked against the digest its
//! event carries), close one early or late, and show what was restated since it closed.

use crate::ctx::Ctx;
use anyhow::{bail, Context as _};
use reform_rollup::closed::closed_event;
use reform_rollup::log::End;
use reform_rollup::report::{self, Format};
use reform_shared::event::{Period, PeriodKind};

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Reporting periods (kỳ báo cáo): list, show, close, diff.
    #[command(subcommand)]
    Rollup(RollupCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum RollupCmd {
    /// The closed periods of the given years (all years with a closed period when none given).
    List {
        /// Years to look at, e.g. 2016.
        #[arg(long, value_delimiter = ',')]
        year: Vec<u16>,
    },
    /// A closed period's report, regenerated from the log; refused if it differs by one byte
    /// from what its event's digest names.
    Show {
        /// The period, e.g. 2016-q3 (q1, h1, q3 or year).
        period: Period,
        #[arg(long, default_value = "md")]
        format: Format,
    },
    /// Close a period now (early, or for history loaded after the fact), with the report of the
    /// whole log as it is. Closing is once: a period already closed is left as it is.
    Close { period: Period },
    /// What is true now about a closed period against its report: figure by figure, with the
    /// events (recorded after the close, dated inside the period) behind the differences.
    Diff { period: Period },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let Cmd::Rollup(cmd) = cmd;
    let client = ctx.client().await?;
    let js = async_nats::jetstream::new(client.clone());
    match cmd {
        RollupCmd::List { year } => {
            let rows: Vec<_> = reform_rollup::closed::closed_periods(&js, &year)
                .await?
                .into_iter()
                .map(|c| (c.period, c.sequence, c.through_sequence, hex::encode(c.report_sha256)))
                .collect();
            if ctx.json() {
                let list: Vec<_> = rows
                    .iter()
                    .map(|(p, s, t, d)| serde_json::json!({"period": p.to_string(), "sequence": s, "through_sequence": t, "report_sha256": d}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if rows.is_empty() {
                println!("chưa kỳ nào khóa sổ");
            } else {
                for (p, s, t, d) in rows {
                    println!(
                        "{p:<10} {:<20} khóa sổ ở bản ghi số {s}, số liệu đến bản ghi số {t}, báo cáo {}",
                        p.kind.label_vi(),
                        &d[..16]
                    );
                }
            }
            Ok(())
        }
        RollupCmd::Show { period, format } => {
            let Some((_, through, digest)) = closed_event(&js, period).await? else {
                bail!("{period} is not closed; `reformctl rollup close {period}` closes it now");
            };
            let report =
                reform_rollup::close::report_of(&js, period, End::Sequence(through)).await?;
            let json = report::json(&report);
            if report::sha256(&json) != digest {
                bail!(
                    "the report of {period} regenerated from the log differs from the one its event names \
                     (digest {} expected, {} found): the log up to sequence {through} changed",
                    hex::encode(digest),
                    hex::encode(report::sha256(&json))
                );
            }
            use std::io::Write as _;
            std::io::stdout()
                .write_all(&reform_rollup::render::bytes(&report, format)?)
                .context("could not print")?;
            Ok(())
        }
        RollupCmd::Close { period } => {
            let request = ctx.request(reform_rollup::Command::Close { period })?;
            let accepted = ctx
                .guarded(reform_shared::command::send(
                    &client,
                    reform_rollup::NAME,
                    &request,
                    &ctx.signer()?,
                ))
                .await?;
            ctx.print_accepted(&accepted).await
        }
        RollupCmd::Diff { period } => {
            let Some(diff) = reform_rollup::diff::diff(&js, period).await? else {
                bail!("{period} is not closed: there is nothing to compare it with");
            };
            if ctx.json() {
                println!("{}", serde_json::to_string_pretty(&diff)?);
                return Ok(());
            }
            println!(
                "{} {}: báo cáo lấy số liệu đến bản ghi số {}; nhật ký nay đến bản ghi số {}",
                period.kind.label_vi(),
                period.year,
                diff.closed_through,
                diff.now_through
            );
            if diff.differences.is_empty() {
                println!("  không có số liệu nào thay đổi");
            }
            for d in &diff.differences {
                let (figure, closed, now) = reform_rollup::diff::readable(d, |vi, _| vi);
                println!("  {:<16} {figure:<24} {closed} → {now}", d.unit.to_string());
            }
            if !diff.events.is_empty() {
                println!("  các sự việc làm thay đổi (ghi sau khi khóa sổ, có ngày trong kỳ):");
                for e in &diff.events {
                    let unit = e.unit.as_ref().map(ToString::to_string).unwrap_or_default();
                    println!("    sequence {:<8} {} {:<22} {unit}", e.sequence, e.on, e.event);
                }
            }
            Ok(())
        }
    }
}

/// Every period of the given years, for closing loaded history.
pub fn periods_of(years: impl IntoIterator<Item = u16>) -> Vec<Period> {
    years.into_iter().flat_map(|y| PeriodKind::ALL.map(|kind| Period { year: y, kind })).collect()
}
