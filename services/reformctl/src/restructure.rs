//! `unit restructure --file MAP`: a restructuring map (services/directory/maps/) recorded on
//! this deployment's units. The plan is `reform_directory::plan`'s; this edge reads the file,
//! shows the plan in Vietnamese (`--dry-run`), and sends it one command at a time.
//!
//! Each command's id is drawn from its content, so running the same map again after an
//! interruption skips what was recorded (the service answers a repeated id with its first
//! answer) and goes on from where it stopped; a refusal stops the run, naming the command.

use crate::ctx::Ctx;
use anyhow::Context as _;
use reform_directory::plan::{plan, Map};
use reform_directory::Command;
use reform_shared::directory::Directory;
use reform_shared::ids::{CommandId, UnitId};
use sha2::Digest as _;
use std::path::Path;

/// The directory as the directory service decides on it: its events applied by its own rule,
/// so the plan is the commands that service will accept, whatever the views hold yet.
async fn decided_directory(ctx: &Ctx) -> anyhow::Result<Directory> {
    let js = async_nats::jetstream::new(ctx.client().await?);
    let records = reform_audit::history::records(&js, "par.evt.directory.>".to_owned()).await?;
    let mut directory = Directory::default();
    records.iter().for_each(|(_, r)| directory.apply(&r.envelope.event));
    Ok(directory)
}

pub async fn run(file: &Path, dry_run: bool, ctx: &Ctx) -> anyhow::Result<()> {
    let bytes = std::fs::read(file)
        .with_context(|| format!("không đọc được tệp bản đồ sắp xếp {}", file.display()))?;
    let map = Map::parse(&bytes)
        .with_context(|| format!("tệp {} không phải bản đồ sắp xếp hợp lệ", file.display()))?;
    let directory = decided_directory(ctx).await?;
    let commands = plan(&directory, &map);
    if ctx.json() && dry_run {
        println!("{}", serde_json::to_string_pretty(&commands)?);
        return Ok(());
    }
    if commands.is_empty() {
        println!("Không còn gì phải ghi theo bản đồ “{}”.", map.title);
        return Ok(());
    }
    println!(
        "{} ({} lệnh; căn cứ {}, hiệu lực từ {}):",
        map.title,
        commands.len(),
        map.basis.document,
        map.effective.vietnamese()
    );
    if dry_run {
        for (i, command) in commands.iter().enumerate() {
            println!("{:>4}. {}", i + 1, describe(&directory, command));
        }
        println!("Chưa ghi gì (--dry-run).");
        return Ok(());
    }
    let client = ctx.client().await?;
    let signer = ctx.signer()?;
    for (i, command) in commands.iter().enumerate() {
        let mut request = ctx.request(command.clone())?;
        request.command_id = id_of(command)?;
        let said = describe(&directory, command);
        ctx.guarded(reform_directory::send(&client, &request, &signer)).await.with_context(
            || format!("lệnh {}/{} ({said}) không được ghi", i + 1, commands.len()),
        )?;
        println!("{:>4}/{}. Đã ghi: {said}", i + 1, commands.len());
    }
    Ok(())
}

/// A command's id from its content: the same command gets the same id on every run, here and
/// in the demo's loader.
pub(crate) fn id_of(command: &Command) -> anyhow::Result<CommandId> {
    let digest = sha2::Sha256::digest(serde_json::to_vec(command)?);
    Ok(CommandId::new(format!("restructure-{}", &hex::encode(digest)[..24]))?)
}

/// A command as an administrator reads it: units by name.
fn describe(d: &Directory, command: &Command) -> String {
    let name =
        |u: &UnitId| d.unit(u).map_or_else(|| u.to_string(), |x| format!("{} ({u})", x.name));
    match command {
        Command::AddUnit(c) => match &c.founded {
            Some(f) => {
                format!("thành lập {} ({}) từ ngày {}", c.name, c.unit, f.effective.vietnamese())
            }
            None => format!("thêm {} ({})", c.name, c.unit),
        },
        Command::RenameUnit(c) => format!("đổi tên {} thành {}", name(&c.unit), c.name),
        Command::MoveUnit(c) => {
            format!("chuyển {} sang trực thuộc {}", name(&c.unit), name(&c.parent))
        }
        Command::EndUnit(c) => {
            format!("{} {} vào {}", c.how.label_vi(), name(&c.unit), name(&c.successor))
        }
        other => format!("{other:?}"),
    }
}
