//! `reformctl` commands of the tasks service: plans, tasks and inspection findings.
//!
//! ```text
//! reformctl --actor b plan issue kh-2017 --unit sgd --year 2017 --number 96/KH-SGDĐT --title "…"
//! reformctl --actor b task assign t1 --unit sgd-vp --title "…" --target "…" --due 2017-06-30
//! reformctl --actor b task deadline t1 --due 2017-09-30 --reason "…"
//! reformctl --actor c task progress t1 --percent 60 --note "…"
//! reformctl --actor c task complete t1
//! reformctl --actor c finding record f1 --unit sgd --document 45/KH-SNV --text "…" \
//!     --task t-f1 --due 2017-10-31
//! ```
//!
//! `--on YYYY-MM-DD` records something after the fact: the rules (who was in office, what was
//! due) are judged on that business date.

use crate::ctx::Ctx;
use reform_shared::ids::{CriterionCode, FindingId, PersonId, PlanId, TaskId, UnitId};
use reform_shared::time::Date;
use reform_tasks::cmd;
use reform_tasks::Command;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Reform plans (kế hoạch CCHC) of a unit for a year.
    #[command(subcommand)]
    Plan(PlanCmd),
    /// Reform tasks (nhiệm vụ): assign, reassign, move deadlines, report, complete, cancel.
    #[command(subcommand)]
    Task(TaskCmd),
    /// Inspection findings (kết quả kiểm tra, hạn chế) that open remediation tasks.
    #[command(subcommand)]
    Finding(FindingCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum PlanCmd {
    /// Issue a unit's reform plan for a year (ban hành kế hoạch). Needs a leader in office at
    /// the unit or above it.
    Issue {
        /// The plan's id, e.g. `sgd-kh-2017`.
        plan: PlanId,
        /// The unit whose plan it is.
        #[arg(long)]
        unit: UnitId,
        /// The year the plan is for: the business date's year, or the one before or after.
        #[arg(long)]
        year: u16,
        /// The plan's document number, e.g. 96/KH-SGDĐT.
        #[arg(long = "number")]
        document_number: String,
        /// The plan's title.
        #[arg(long)]
        title: String,
    },
    /// A plan (kế hoạch): its document and unit, and every task assigned under it, wherever
    /// each is now, with where it stands (the projector's plan register).
    Show {
        plan: PlanId,
        /// As true at this date (YYYY-MM-DD); as known now when absent.
        #[arg(long)]
        as_of: Option<Date>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TaskCmd {
    /// Assign a task (giao nhiệm vụ). It must be "5 rõ": a responsible unit and person, a
    /// title, a target, a due date, and you (--actor) as the assigning leader in office at the
    /// unit or above it.
    Assign {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
        /// The unit responsible (rõ đơn vị).
        #[arg(long)]
        unit: UnitId,
        /// The person responsible (rõ người): required for a task recorded from 6 December 2026.
        #[arg(long)]
        person: Option<PersonId>,
        /// The plan the task belongs to: the unit's own or one from a unit above it.
        #[arg(long)]
        plan: Option<PlanId>,
        /// What is to be done (rõ việc).
        #[arg(long)]
        title: String,
        /// The expected result (rõ kết quả / sản phẩm).
        #[arg(long)]
        target: String,
        /// Due date, YYYY-MM-DD, inclusive (rõ thời gian); not before the assignment date.
        #[arg(long)]
        due: Date,
        /// The PAR INDEX criterion the task serves, e.g. 1.1 or 6.2.3.
        #[arg(long)]
        criterion: Option<CriterionCode>,
    },
    /// Move a task to another unit and/or person (giao lại). Needs a leader of both units.
    Reassign {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
        /// The new unit; the task stays with its unit when left out.
        #[arg(long)]
        unit: Option<UnitId>,
        /// The new person; the current person stays when left out.
        #[arg(long)]
        person: Option<PersonId>,
        /// Why (lý do).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Change a task's due date, with a reason (gia hạn / điều chỉnh thời hạn).
    Deadline {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
        /// The new due date, not before the assignment date.
        #[arg(long)]
        due: Date,
        /// Why (lý do).
        #[arg(long)]
        reason: String,
    },
    /// Report progress on a task (báo cáo tiến độ), in percent.
    Progress {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
        /// 0 to 100.
        #[arg(long, value_parser = clap::value_parser!(u16).range(0..=100))]
        percent: u16,
        /// A note for the record.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Mark a task done on the business date (hoàn thành). By its person or a leader.
    Complete {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
        /// A note for the record.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Cancel a task, with a reason (hủy nhiệm vụ). Needs a leader.
    Cancel {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
        /// Why (lý do).
        #[arg(long)]
        reason: String,
    },
    /// A task's whole history from the log (lịch sử nhiệm vụ): assignment, reassignments,
    /// deadline changes with their reasons, progress, completion or cancellation, and the
    /// evidence attached to it; each step with who recorded it and when.
    Show {
        /// The task's id, e.g. `sgd-2017-01`.
        task: TaskId,
    },
    /// A unit's task register (sổ theo dõi nhiệm vụ), by due date, with the "5 rõ": filter by
    /// person, criterion, state, overdue, or due within N days.
    List(crate::task_list::Args),
}

#[derive(Debug, clap::Subcommand)]
pub enum FindingCmd {
    /// Record an inspection finding at a unit (ghi nhận hạn chế); it opens a remediation task
    /// due by --due, carried out by --person towards --target ("5 rõ", required for a finding
    /// dated from 6 December 2026), with you (--actor) as its assigning leader.
    Record {
        /// The finding's id, e.g. `kt-2017-sgd-1`.
        finding: FindingId,
        /// The unit inspected.
        #[arg(long)]
        unit: UnitId,
        /// The inspection's document number, e.g. 45/KH-SNV.
        #[arg(long = "document")]
        inspection_document: String,
        /// The shortcoming found.
        #[arg(long)]
        text: String,
        /// The id of the remediation task it opens.
        #[arg(long = "task")]
        remediation_task: TaskId,
        /// When the remediation is due, not before the finding's date.
        #[arg(long = "due")]
        remediation_due: Date,
        /// Who carries the remediation out (rõ người).
        #[arg(long)]
        person: Option<PersonId>,
        /// The remediation's expected result (rõ kết quả).
        #[arg(long)]
        target: Option<String>,
    },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    if let Cmd::Task(TaskCmd::Show { task }) = &cmd {
        return crate::task_history::show(ctx, task).await;
    }
    if let Cmd::Plan(PlanCmd::Show { plan, as_of }) = &cmd {
        return crate::task_history::plan_show(ctx, plan, *as_of).await;
    }
    if let Cmd::Task(TaskCmd::List(args)) = &cmd {
        return crate::task_list::run(args.clone(), ctx).await;
    }
    let Some((command, summary)) = command_of(cmd) else { return Ok(()) };
    let request = ctx.request(command)?;
    let client = ctx.client().await?;
    let accepted = ctx.guarded(reform_tasks::send(&client, &request, &ctx.signer()?)).await?;
    if !ctx.json() && !accepted.duplicate {
        println!("{summary}");
    }
    ctx.print_accepted(&accepted).await
}

/// The command to send, and what a person is told once it is done; `None` for what sends none.
fn command_of(cmd: Cmd) -> Option<(Command, String)> {
    Some(match cmd {
        Cmd::Task(TaskCmd::Show { .. } | TaskCmd::List(_)) | Cmd::Plan(PlanCmd::Show { .. }) => {
            return None
        }
        Cmd::Plan(PlanCmd::Issue { plan, unit, year, document_number, title }) => {
            let summary = format!(
                "Đã ban hành kế hoạch {document_number} ({plan}) của {unit} cho năm {year}."
            );
            (
                Command::IssuePlan(cmd::IssuePlan { plan, unit, year, document_number, title }),
                summary,
            )
        }
        Cmd::Task(TaskCmd::Assign { task, unit, person, plan, title, target, due, criterion }) => {
            let who =
                person.as_ref().map_or_else(String::new, |p| format!(", người thực hiện {p}"));
            let summary = format!("Đã giao nhiệm vụ {task} cho {unit}{who}, hạn {due}.");
            let command = Command::AssignTask(cmd::AssignTask {
                task,
                unit: Some(unit),
                person,
                plan,
                title,
                target,
                due: Some(due),
                criterion,
            });
            (command, summary)
        }
        Cmd::Task(TaskCmd::Reassign { task, unit, person, reason }) => {
            let summary = format!("Đã giao lại nhiệm vụ {task}.");
            (Command::ReassignTask(cmd::ReassignTask { task, unit, person, reason }), summary)
        }
        Cmd::Task(TaskCmd::Deadline { task, due, reason }) => {
            let summary = format!("Đã điều chỉnh hạn của nhiệm vụ {task} thành {due}.");
            (Command::ChangeDeadline(cmd::ChangeDeadline { task, due, reason }), summary)
        }
        Cmd::Task(TaskCmd::Progress { task, percent, note }) => {
            let summary = format!("Đã báo cáo tiến độ nhiệm vụ {task}: {percent}%.");
            (Command::ReportProgress(cmd::ReportProgress { task, percent, note }), summary)
        }
        Cmd::Task(TaskCmd::Complete { task, note }) => {
            let summary = format!("Đã hoàn thành nhiệm vụ {task}.");
            (Command::CompleteTask(cmd::CompleteTask { task, note }), summary)
        }
        Cmd::Task(TaskCmd::Cancel { task, reason }) => {
            let summary = format!("Đã hủy nhiệm vụ {task}.");
            (Command::CancelTask(cmd::CancelTask { task, reason }), summary)
        }
        Cmd::Finding(FindingCmd::Record {
            finding,
            unit,
            inspection_document,
            text,
            remediation_task,
            remediation_due,
            person,
            target,
        }) => {
            let summary = format!(
                "Đã ghi nhận hạn chế {finding} tại {unit}; mở nhiệm vụ khắc phục {remediation_task}, hạn {remediation_due}."
            );
            let command = Command::RecordFinding(cmd::RecordFinding {
                finding,
                unit,
                inspection_document,
                text,
                remediation_task,
                remediation_due,
                person,
                target,
            });
            (command, summary)
        }
    })
}
