//! `reformctl` commands of the evidence service: attach a document (tài liệu minh chứng),
//! fetch it back with its digest checked, show what the log records, reject it, and erase its
//! content on a legal basis.

use crate::ctx::Ctx;
use anyhow::Context as _;
use reform_evidence::client::{self, Document, Lookup};
use reform_evidence::cmd;
use reform_evidence::cmd::{digest_hex, Command};
use reform_projector::queries::{self, EvidenceQuery};
use reform_projector::registers::EvidenceList;
use reform_shared::event::Sha256;
use reform_shared::ids::{CriterionCode, EvidenceId, TaskId, UnitId};
use reform_shared::time::Date;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Evidence documents (tài liệu minh chứng): attach, fetch, show, reject, erase.
    #[command(subcommand)]
    Evidence(EvidenceCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum EvidenceCmd {
    /// Attach a file to a unit (and maybe a task and a criterion). The file is uploaded, and
    /// the evidence service checks it and stores it under its SHA-256, then records it; at
    /// most 16 MiB.
    Attach {
        /// The unit the document belongs to, e.g. sgd.
        #[arg(long)]
        unit: UnitId,
        /// The file to attach.
        #[arg(long)]
        file: PathBuf,
        /// The document's title, e.g. "Báo cáo kết quả CCHC 6 tháng đầu năm 2016".
        #[arg(long)]
        title: String,
        /// The document number (số văn bản), e.g. 1264/BC-SGDĐT.
        #[arg(long)]
        number: String,
        /// The document's date (YYYY-MM-DD).
        #[arg(long)]
        date: Date,
        /// The evidence id; by default `ev-` and the first 16 hex digits of the file's SHA-256.
        #[arg(long)]
        id: Option<EvidenceId>,
        /// The task this document shows progress on.
        #[arg(long)]
        task: Option<TaskId>,
        /// The scoring criterion it supports, e.g. 1.2.
        #[arg(long)]
        criterion: Option<CriterionCode>,
        /// The media type; guessed from the file name when absent.
        #[arg(long)]
        media_type: Option<String>,
    },
    /// Fetch a stored file and check its SHA-256 before writing it.
    Fetch {
        /// The evidence id.
        #[arg(long, required_unless_present = "digest", conflicts_with = "digest")]
        id: Option<EvidenceId>,
        /// Or the file's SHA-256 (64 hex digits).
        #[arg(long, value_parser = digest_hex::parse)]
        digest: Option<Sha256>,
        /// Where to write the file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show what the log records about an evidence document.
    Show {
        /// The evidence id.
        #[arg(long)]
        id: EvidenceId,
    },
    /// A unit's evidence documents (danh mục minh chứng) of a year, its sub-units' included,
    /// rejected ones marked: the projector's register, as the dashboard shows it.
    List {
        #[arg(long)]
        unit: UnitId,
        /// The year the documents count in (the year of their date).
        #[arg(long)]
        year: u16,
        /// As true at this date (YYYY-MM-DD); as known now when absent.
        #[arg(long)]
        as_of: Option<Date>,
    },
    /// Reject an attached document, saying why; it can no longer support a score.
    Reject {
        /// The evidence id.
        #[arg(long)]
        id: EvidenceId,
        /// Why it is rejected, e.g. "văn bản chưa có chữ ký".
        #[arg(long)]
        reason: String,
    },
    /// Erase a document's content for good (personal data, on a legal basis): its key is
    /// destroyed, so the stored file and every backup of it can never be opened again. The
    /// record stays (title, number, date, SHA-256), and every proof over the log still holds.
    /// Needs the data-protection access.
    Erase {
        /// The evidence id.
        #[arg(long)]
        id: EvidenceId,
        /// Why the law requires it, e.g. "Điều 16 Luật Bảo vệ dữ liệu cá nhân; đơn ngày
        /// 02/12/2026".
        #[arg(long)]
        legal_basis: String,
    },
}

pub async fn run(cmd: Cmd, ctx: &Ctx) -> anyhow::Result<()> {
    let Cmd::Evidence(cmd) = cmd;
    match cmd {
        EvidenceCmd::Attach {
            unit,
            file,
            title,
            number,
            date,
            id,
            task,
            criterion,
            media_type,
        } => {
            let bytes = read_file(&file).await?;
            let sha256 = reform_evidence::store::digest_of(&bytes);
            let evidence = match id {
                Some(id) => id,
                None => EvidenceId::new(format!("ev-{}", &hex_of(&sha256)[..16]))?,
            };
            let document = Document {
                evidence: evidence.clone(),
                unit,
                task,
                criterion,
                title,
                document_number: number,
                document_date: date,
                media_type: media_type.unwrap_or_else(|| guess_media_type(&file).to_owned()),
            };
            let request = ctx.request(document)?;
            let accepted = ctx
                .guarded(client::attach(&ctx.client().await?, request, &bytes, &ctx.signer()?))
                .await?;
            if ctx.json() {
                let value = serde_json::json!({
                    "outcome": "ok", "sequence": accepted.sequence, "event": accepted.event,
                    "duplicate": accepted.duplicate, "evidence": evidence.as_str(),
                    "sha256": hex_of(&sha256), "size_bytes": bytes.len(),
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            ctx.print_accepted(&accepted).await?;
            println!("  minh chứng {evidence}: {} bytes, SHA-256 {}", bytes.len(), hex_of(&sha256));
            Ok(())
        }
        EvidenceCmd::Fetch { id, digest, out } => fetch(ctx, id, digest, &out).await,
        EvidenceCmd::Show { id } => show(ctx, &id).await,
        EvidenceCmd::List { unit, year, as_of } => {
            let query = EvidenceQuery { unit, year, as_of };
            let list = queries::evidence(&ctx.client().await?, &query).await?;
            match ctx.json() {
                true => println!("{}", serde_json::to_string_pretty(&list)?),
                false => print!("{}", render_list(&list)),
            }
            Ok(())
        }
        EvidenceCmd::Reject { id, reason } => {
            send(ctx, Command::Reject(cmd::Reject { evidence: id, reason })).await
        }
        EvidenceCmd::Erase { id, legal_basis } => {
            send(ctx, Command::Erase(cmd::Erase { evidence: id, legal_basis })).await
        }
    }
}

async fn send(ctx: &Ctx, command: Command) -> anyhow::Result<()> {
    let request = ctx.request(command)?;
    let accepted =
        ctx.guarded(client::send(&ctx.client().await?, &request, &ctx.signer()?)).await?;
    ctx.print_accepted(&accepted).await
}

/// The register as a table for people: by name, dates as Vietnamese write them.
pub fn render_list(list: &EvidenceList) -> String {
    use crate::table::{Align, Table};
    let mut table = Table::new(&[
        ("Số, ký hiệu", Align::Left),
        ("Ngày văn bản", Align::Left),
        ("Tài liệu", Align::Left),
        ("Đơn vị", Align::Left),
        ("Tiêu chí", Align::Left),
        ("Trạng thái", Align::Left),
    ]);
    for d in &list.evidence {
        let mut state = match (d.rejected_on, &d.rejected_because) {
            (Some(on), Some(why)) => format!("bị từ chối ngày {}: {why}", on.vietnamese()),
            (Some(on), None) => format!("bị từ chối ngày {}", on.vietnamese()),
            (None, _) => "hợp lệ".into(),
        };
        if let Some(on) = d.erased_on {
            state.push_str(&format!("; nội dung đã xóa ngày {}", on.vietnamese()));
        }
        table.row(vec![
            d.document_number.clone(),
            d.document_date.vietnamese(),
            d.title.clone(),
            d.unit_name.clone(),
            d.criterion.as_ref().map(ToString::to_string).unwrap_or_default(),
            state,
        ]);
    }
    format!(
        "Minh chứng của {} năm {} ({} tài liệu, {})\n\n{}",
        list.unit_name,
        list.year,
        list.evidence.len(),
        crate::view::basis_vi(&list.basis),
        table.render()
    )
}

async fn read_file(file: &Path) -> anyhow::Result<Vec<u8>> {
    let file = file.to_path_buf();
    Ok(tokio::task::spawn_blocking(move || reform_evidence::file::read_evidence_file(&file))
        .await
        .context("reading the evidence file was cut short")??)
}

async fn fetch(
    ctx: &Ctx,
    id: Option<EvidenceId>,
    digest: Option<Sha256>,
    out: &Path,
) -> anyhow::Result<()> {
    let lookup = match (id, digest) {
        (Some(id), _) => Lookup::Evidence(id),
        (None, Some(digest)) => Lookup::Digest(digest),
        (None, None) => anyhow::bail!("give --id or --digest"),
    };
    let bytes = client::fetch(&ctx.client().await?, &lookup).await?;
    tokio::fs::write(out, &bytes)
        .await
        .with_context(|| format!("could not write {}", out.display()))?;
    let sha256 = hex_of(&reform_evidence::store::digest_of(&bytes));
    if ctx.json() {
        let value = serde_json::json!({
            "path": out.display().to_string(), "size_bytes": bytes.len(), "sha256": sha256,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("wrote {} bytes to {} (SHA-256 verified: {sha256})", bytes.len(), out.display());
    }
    Ok(())
}

async fn show(ctx: &Ctx, id: &EvidenceId) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let d = client::find(&client, id).await?;
    let erased = client::erasure(&client, id).await?;
    if ctx.json() {
        let erasure = erased
            .as_ref()
            .map(|e| serde_json::json!({"by": e.by, "on": e.on, "legal_basis": e.legal_basis}));
        let value = serde_json::json!({
            "evidence": d.evidence.as_str(), "unit": d.unit.as_str(), "title": d.title,
            "document_number": d.document_number, "document_date": d.document_date,
            "sha256": hex_of(&d.sha256), "size_bytes": d.size_bytes, "media_type": d.media_type,
            "erased": erasure,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    // People read the unit's name; the id is for --json. The projector knows the names; the
    // id stands in when it cannot answer.
    let q = reform_projector::queries::DirectoryQuery {
        under: Some(d.unit.clone()),
        depth: Some(0),
        person: None,
    };
    let unit_name = match queries::directory_part(&client, &q).await {
        Ok(part) => part.units.into_iter().find(|u| u.unit == d.unit).map(|u| u.name),
        Err(_) => None,
    };
    println!("Minh chứng {}", d.evidence);
    println!("  Đơn vị:      {}", unit_name.unwrap_or_else(|| d.unit.to_string()));
    println!("  Tiêu đề:     {}", d.title);
    println!("  Số văn bản:  {}", d.document_number);
    println!("  Ngày:        {}", d.document_date.vietnamese());
    println!("  Tệp:         {} bytes, {}", d.size_bytes, d.media_type);
    println!("  SHA-256:     {}", hex_of(&d.sha256));
    if let Some(e) = erased {
        let on = e.on.map(|d| d.vietnamese()).unwrap_or_default();
        println!("  Nội dung:    đã xóa ngày {on} ({}), căn cứ: {}", e.by, e.legal_basis);
    }
    Ok(())
}

fn hex_of(digest: &Sha256) -> String {
    reform_evidence::store::object_key(digest)
}

/// The media type for common office and scan formats, by extension.
fn guess_media_type(file: &Path) -> &'static str {
    let extension =
        file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "txt" => "text/plain",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}
