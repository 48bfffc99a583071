//! `reformctl` commands of the directory service: units, people, leader tenures, keys and
//! access. Every command is signed with the actor's key (`--key FILE` or `PAR_KEY`).
//!
//! ```text
//! reformctl --actor a unit add sgd --name "Sở Giáo dục và Đào tạo" --kind department --parent st
//! reformctl --actor a person add b --name "Lê Thị B" --title "Giám đốc Sở"
//! reformctl --actor a leader appoint t-b --unit sgd --person b --role head --from 2016-07-01
//! reformctl --actor a leader end t-a --to 2016-07-01
//! reformctl key new b.nk
//! reformctl --actor a key register --person b --public-key U…
//! reformctl --actor a key enrol --person b --days 7
//! reformctl --actor a access grant --person b --access staff --unit sgd
//! ```

use crate::ctx::Ctx;
use reform_directory::cmd;
use reform_directory::Command;
use reform_shared::event::{Access, Ending, LegalBasis, Role, UnitKind};
use reform_shared::ids::{PersonId, TenureId, UnitId};
use reform_shared::time::Date;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Units (đơn vị): the province, departments, districts, divisions, communes.
    #[command(subcommand)]
    Unit(UnitCmd),
    /// People (cán bộ) who lead units, are assigned tasks or act on the system.
    #[command(subcommand)]
    Person(PersonCmd),
    /// Leader tenures: who heads a unit or is in charge of its reform, from when to when.
    #[command(subcommand)]
    Leader(LeaderCmd),
    /// Signing keys (khóa ký): make one, register its public half, revoke it.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Access (quyền): administrator, staff, appraiser, auditor; see docs/security.md.
    #[command(subcommand)]
    Access(AccessCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum KeyCmd {
    /// Make a new signing key: writes its seed to FILE (readable by you only) and prints the
    /// public key to give to an administrator. Sends nothing.
    New {
        /// Where to write the seed; never overwritten.
        file: std::path::PathBuf,
    },
    /// Let a person enrol a passkey in the browser (administrators): makes a one-time code
    /// here, records only its digest, and prints the code and its last day to hand to the
    /// person, who types it on the dashboard's enrolment page (/enrol).
    Enrol {
        #[arg(long)]
        person: PersonId,
        /// For how many days from today the code may be used (1 to 30).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=30))]
        days: u16,
    },
    /// Register a person's public key (administrators).
    Register {
        #[arg(long)]
        person: PersonId,
        /// The public key, `U…` (never the seed).
        #[arg(long = "public-key")]
        public_key: String,
    },
    /// Revoke a key: its signatures are refused from now on (administrators, or the owner).
    Revoke {
        #[arg(long)]
        person: PersonId,
        #[arg(long = "public-key")]
        public_key: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AccessCmd {
    /// Grant access from a date (administrators). Staff and appraisers hold it at a unit.
    Grant {
        #[arg(long)]
        person: PersonId,
        /// administrator, staff, appraiser, auditor or data-protection.
        #[arg(long)]
        access: Access,
        #[arg(long)]
        unit: Option<UnitId>,
        /// First day it is held (YYYY-MM-DD); the command's business date when left out.
        #[arg(long)]
        from: Option<Date>,
    },
    /// Withdraw access: --to is the first day without it (administrators).
    Withdraw {
        #[arg(long)]
        person: PersonId,
        #[arg(long)]
        access: Access,
        #[arg(long)]
        unit: Option<UnitId>,
        #[arg(long)]
        to: Option<Date>,
    },
}

/// When a change of the state's structure takes effect, and the document it follows.
#[derive(Debug, clap::Args)]
pub struct Change {
    /// The first day the change is in force, e.g. 2025-07-01.
    #[arg(long)]
    effective: Date,
    /// The deciding document's number, e.g. "202/2025/QH15".
    #[arg(long)]
    basis: String,
    /// The deciding document's date, e.g. 2025-06-12.
    #[arg(long = "basis-date")]
    basis_date: Date,
}

impl Change {
    /// The effective day as people write it.
    fn day(&self) -> String {
        self.effective.vietnamese()
    }

    fn basis(&self) -> LegalBasis {
        LegalBasis { document: self.basis.clone(), date: self.basis_date }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum UnitCmd {
    /// Add a unit under its parent (thêm đơn vị).
    Add {
        /// The unit's id: lowercase letters, digits, '-' and '_', e.g. `sgd`.
        unit: UnitId,
        /// The Vietnamese name with diacritics, e.g. "Sở Giáo dục và Đào tạo".
        #[arg(long)]
        name: String,
        /// What kind of body it is (province, department, district, division,
        /// public-service-unit or commune); a peer group is one kind under one parent.
        #[arg(long)]
        kind: UnitKind,
        /// The unit it belongs to; leave out only for the province itself.
        #[arg(long)]
        parent: Option<UnitId>,
        /// For a unit a legal act founds (thành lập): the first day it exists, e.g.
        /// 2025-07-01, with --basis and --basis-date. Leave out for a unit that long exists.
        #[arg(long, requires_all = ["basis", "basis_date"])]
        founded: Option<Date>,
        /// The founding document's number, e.g. "202/2025/QH15".
        #[arg(long, requires = "founded")]
        basis: Option<String>,
        /// The founding document's date, e.g. 2025-06-12.
        #[arg(long = "basis-date", requires = "founded")]
        basis_date: Option<Date>,
    },
    /// End a unit (sáp nhập, chia tách, giải thể) from its effective day: its successor carries
    /// on and takes its open tasks, with their history; its leaders' tenures end that day.
    /// The units under it must be moved or ended first.
    End {
        unit: UnitId,
        /// merged (sáp nhập), split (chia tách) or dissolved (giải thể).
        #[arg(long)]
        how: Ending,
        /// The unit that carries on: of the same kind for a merger or a split.
        #[arg(long)]
        into: UnitId,
        #[command(flatten)]
        change: Change,
    },
    /// Give a unit a new name from its effective day (đổi tên).
    Rename {
        unit: UnitId,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        change: Change,
    },
    /// Put a unit under another parent from its effective day (a commune from its district to
    /// the province).
    Move {
        unit: UnitId,
        #[arg(long)]
        parent: UnitId,
        #[command(flatten)]
        change: Change,
    },
    /// Record a restructuring map on this deployment's units: e.g. the 2025 merger of 63
    /// provinces into 34 (services/directory/maps/provinces-2025.json), with every district
    /// dissolved and its communes moved up to the province. --dry-run shows the plan and records
    /// nothing; a run stopped half way goes on from where it stopped.
    Restructure {
        #[arg(long)]
        file: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// The unit tree (cây đơn vị), from the projector's directory.
    List {
        /// Only this unit, the units above it and those below it.
        #[arg(long)]
        under: Option<UnitId>,
        /// At most this many levels below (below --under, or below the provinces).
        #[arg(long)]
        depth: Option<u8>,
    },
    /// One unit: where it sits, the units under it, every leader's tenure (with the ids
    /// `leader end` needs) and the rights held there.
    Show { unit: UnitId },
}

#[derive(Debug, clap::Subcommand)]
pub enum PersonCmd {
    /// Register a person (đăng ký cán bộ), as an administrator.
    Add {
        /// The person's id, e.g. `nguyen-van-a`.
        person: PersonId,
        /// Full name, e.g. "Nguyễn Văn A".
        #[arg(long)]
        name: String,
        /// Position as people say it, e.g. "Giám đốc Sở".
        #[arg(long, default_value = "")]
        title: String,
    },
    /// Give a person a new title (chức danh) from a day on, e.g. a head who leads the
    /// successor of a merged department; what they did before keeps the title they had then.
    Retitle {
        person: PersonId,
        /// The title as people say it, e.g. "Giám đốc Sở Giáo dục và Đào tạo thành phố Cần Thơ".
        #[arg(long)]
        title: String,
        /// The first day they bear it, e.g. 2025-07-01; the business date (--on) when absent.
        #[arg(long)]
        from: Option<Date>,
    },
    /// Everyone registered.
    List,
    /// One person: tenures (with the ids `leader end` needs), access, and keys with whether
    /// each is still valid.
    Show { person: PersonId },
}

#[derive(Debug, clap::Subcommand)]
pub enum LeaderCmd {
    /// Appoint a person to a role at a unit (bổ nhiệm). Refused while another tenure of the
    /// same role at the unit has not ended by --from.
    Appoint {
        /// An id for this tenure, e.g. `sgd-head-2016`.
        tenure: TenureId,
        /// The unit.
        #[arg(long)]
        unit: UnitId,
        /// The person appointed.
        #[arg(long)]
        person: PersonId,
        /// The role held: head (người đứng đầu) or reform-deputy (lãnh đạo phụ trách CCHC).
        #[arg(long)]
        role: Role,
        /// First day in office (YYYY-MM-DD); the command's business date when left out.
        #[arg(long)]
        from: Option<Date>,
    },
    /// End a tenure (thôi giữ chức vụ). --to is the first day out of office: it belongs to
    /// the successor.
    End {
        /// The tenure's id, as given when appointing.
        tenure: TenureId,
        /// First day out of office (YYYY-MM-DD); the command's business date when left out.
        #[arg(long)]
        to: Option<Date>,
    },
}

/// What a directory subcommand does: send a command, make a key locally, or read a register.
enum Action {
    Send(Command, String),
    NewKey(std::path::PathBuf),
    Enrol(PersonId, u16),
    UnitList(Option<UnitId>, Option<u8>),
    UnitShow(UnitId),
    Restructure(std::path::PathBuf, bool),
    PersonList,
    PersonShow(PersonId),
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let (command, summary) = match action_of(cmd) {
        Action::Send(command, summary) => (command, summary),
        Action::NewKey(file) => return new_key(&file, ctx),
        Action::Enrol(person, days) => return enrol(person, days, ctx).await,
        Action::UnitList(under, depth) => {
            return crate::directory_registers::unit_list(ctx, under, depth).await
        }
        Action::Restructure(file, dry_run) => {
            return crate::restructure::run(&file, dry_run, ctx).await
        }
        Action::UnitShow(unit) => return crate::directory_registers::unit_show(ctx, &unit).await,
        Action::PersonList => return crate::directory_registers::person_list(ctx).await,
        Action::PersonShow(person) => {
            return crate::directory_registers::person_show(ctx, &person).await
        }
    };
    let request = ctx.request(command)?;
    let client = ctx.client().await?;
    let accepted = ctx.guarded(reform_directory::send(&client, &request, &ctx.signer()?)).await?;
    if !ctx.json() && !accepted.duplicate {
        println!("{summary}");
    }
    ctx.print_accepted(&accepted).await
}

/// Opens a passkey enrolment: the code is made here and shown only once it is recorded.
async fn enrol(person: PersonId, days: u16, ctx: &Ctx) -> anyhow::Result<()> {
    let code = reform_shared::passkey::new_enrolment_code()
        .map_err(|e| anyhow::anyhow!("không lấy được số ngẫu nhiên của hệ điều hành: {e}"))?;
    let until = Date::today_in_vietnam()
        .add_days(i64::from(days))
        .ok_or_else(|| anyhow::anyhow!("ngày hết hạn nằm ngoài lịch"))?;
    let code_digest = reform_shared::passkey::enrolment_digest(&code);
    let command =
        Command::OpenEnrolment(cmd::OpenEnrolment { person: person.clone(), code_digest, until });
    let request = ctx.request(command)?;
    let client = ctx.client().await?;
    let accepted = ctx.guarded(reform_directory::send(&client, &request, &ctx.signer()?)).await?;
    if ctx.json() {
        let value = serde_json::json!({"outcome": "opened", "person": person, "code": code,
            "until": until, "sequence": accepted.sequence});
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let last = until.vietnamese();
    println!("Mã đăng ký khóa truy cập (passkey) của {person}: {code}");
    println!("Dùng được một lần, đến hết ngày {last}, trên trang /enrol của bảng điều khiển.");
    println!("Hãy trao mã tận tay người đó; hệ thống chỉ lưu mã băm, không xem lại được mã.");
    Ok(())
}

/// Makes a signing key: the seed to a new owner-only file, the public key printed.
fn new_key(file: &std::path::Path, ctx: &Ctx) -> anyhow::Result<()> {
    let key = nkeys::KeyPair::new_user();
    reform_shared::keyfile::write(file, &key)?;
    let public = key.public_key();
    if ctx.json() {
        let value = serde_json::json!({"outcome": "created", "file": file, "public_key": public});
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("Đã tạo khóa ký {} (chỉ chủ tệp đọc được).", file.display());
        println!("public key {public}");
        println!(
            "an administrator registers it: reformctl key register --person PERSON --public-key {public}"
        );
    }
    Ok(())
}

/// The command to send, and what a person is told once it is done.
fn action_of(cmd: Cmd) -> Action {
    let (command, summary) = match cmd {
        Cmd::Unit(UnitCmd::Add { unit, name, kind, parent, founded, basis, basis_date }) => {
            let under = parent.as_ref().map_or_else(String::new, |p| format!(", thuộc {p}"));
            let since = founded
                .map_or_else(String::new, |d| format!(", thành lập từ ngày {}", d.vietnamese()));
            let summary =
                format!("Đã thêm đơn vị {name} ({unit}; {}{under}{since}).", kind.label_vi());
            let founded =
                founded.zip(basis.zip(basis_date)).map(|(effective, (document, date))| {
                    cmd::Founding { effective, basis: LegalBasis { document, date } }
                });
            (Command::AddUnit(cmd::AddUnit { unit, name, kind, parent, founded }), summary)
        }
        Cmd::Unit(UnitCmd::End { unit, how, into, change }) => {
            let (day, document) = (change.day(), change.basis.clone());
            let summary = format!(
                "Đã ghi: {unit} {} từ ngày {day}, đơn vị kế thừa {into} ({document}).",
                how.label_vi()
            );
            let (effective, basis) = (change.effective, change.basis());
            let end = cmd::EndUnit { unit, how, successor: into, effective, basis };
            (Command::EndUnit(end), summary)
        }
        Cmd::Unit(UnitCmd::Rename { unit, name, change }) => {
            let summary = format!("Đã ghi: {unit} mang tên {name} từ ngày {}.", change.day());
            let (effective, basis) = (change.effective, change.basis());
            (Command::RenameUnit(cmd::RenameUnit { unit, name, effective, basis }), summary)
        }
        Cmd::Unit(UnitCmd::Move { unit, parent, change }) => {
            let summary = format!("Đã ghi: {unit} trực thuộc {parent} từ ngày {}.", change.day());
            let (effective, basis) = (change.effective, change.basis());
            (Command::MoveUnit(cmd::MoveUnit { unit, parent, effective, basis }), summary)
        }
        Cmd::Person(PersonCmd::Add { person, name, title }) => {
            let summary = format!("Đã đăng ký {name} ({person}).");
            (Command::RegisterPerson(cmd::RegisterPerson { person, name, title }), summary)
        }
        Cmd::Person(PersonCmd::Retitle { person, title, from }) => {
            let since = from.map_or_else(String::new, |d| format!(" từ ngày {}", d.vietnamese()));
            let summary = format!("Đã ghi chức danh mới của {person}: {title}{since}.");
            (Command::RetitlePerson(cmd::RetitlePerson { person, title, from }), summary)
        }
        Cmd::Leader(LeaderCmd::Appoint { tenure, unit, person, role, from }) => {
            let since = from.map_or_else(String::new, |d| format!(" từ {d}"));
            let summary = format!(
                "Đã ghi nhận {person} là {} của {unit}{since} (nhiệm kỳ {tenure}).",
                role.label_vi()
            );
            (
                Command::AppointLeader(cmd::AppointLeader { tenure, unit, person, role, from }),
                summary,
            )
        }
        Cmd::Leader(LeaderCmd::End { tenure, to }) => {
            let until = to.map_or_else(String::new, |d| format!(" từ ngày {d}"));
            let summary = format!("Đã kết thúc nhiệm kỳ {tenure}{until}.");
            (Command::EndTenure(cmd::EndTenure { tenure, to }), summary)
        }
        Cmd::Key(KeyCmd::Register { person, public_key }) => {
            let summary = format!("Đã đăng ký khóa {public_key} của {person}.");
            (Command::RegisterKey(cmd::RegisterKey { person, key: public_key }), summary)
        }
        Cmd::Key(KeyCmd::Revoke { person, public_key, reason }) => {
            let summary = format!("Đã thu hồi khóa {public_key} của {person}.");
            (Command::RevokeKey(cmd::RevokeKey { person, key: public_key, reason }), summary)
        }
        Cmd::Access(AccessCmd::Grant { person, access, unit, from }) => {
            let at = unit.as_ref().map_or_else(String::new, |u| format!(" tại {u}"));
            let summary = format!("Đã cấp quyền {} cho {person}{at}.", access.label_vi());
            (Command::GrantAccess(cmd::GrantAccess { person, access, unit, from }), summary)
        }
        Cmd::Access(AccessCmd::Withdraw { person, access, unit, to }) => {
            let at = unit.as_ref().map_or_else(String::new, |u| format!(" tại {u}"));
            let summary = format!("Đã thu hồi quyền {} của {person}{at}.", access.label_vi());
            (Command::WithdrawAccess(cmd::WithdrawAccess { person, access, unit, to }), summary)
        }
        Cmd::Key(KeyCmd::New { file }) => return Action::NewKey(file),
        Cmd::Key(KeyCmd::Enrol { person, days }) => return Action::Enrol(person, days),
        Cmd::Unit(UnitCmd::List { under, depth }) => return Action::UnitList(under, depth),
        Cmd::Unit(UnitCmd::Restructure { file, dry_run }) => {
            return Action::Restructure(file, dry_run)
        }
        Cmd::Unit(UnitCmd::Show { unit }) => return Action::UnitShow(unit),
        Cmd::Person(PersonCmd::List) => return Action::PersonList,
        Cmd::Person(PersonCmd::Show { person }) => return Action::PersonShow(person),
    };
    Action::Send(command, summary)
}
