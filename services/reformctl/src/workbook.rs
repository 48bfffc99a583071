//! What the imports share: a workbook's first sheet read as rows under named headings, each
//! problem named by its row and column as Excel shows them, and the file refused whole.

use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use calamine::{Data, Reader as _, Xlsx};
use reform_shared::points::Points;
use std::path::Path;

/// The most rows one file may hold.
pub const ROWS_MAX: usize = 20_000;
/// The largest workbook read.
pub const FILE_BYTES_MAX: u64 = 20 * 1024 * 1024;

/// A row's cells, by heading; an empty cell for a heading the sheet lacks.
pub type Cells<'a> = &'a dyn Fn(&str) -> Data;

/// The bytes of a workbook, refused past [`FILE_BYTES_MAX`].
pub fn read_file(file: &Path, nothing: &str) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("could not read {}", file.display()))?
        .len();
    if size > FILE_BYTES_MAX {
        let problem = format!("tệp {size} byte, quá {FILE_BYTES_MAX} byte");
        return Err(invalid(file, nothing, vec![problem]));
    }
    std::fs::read(file).with_context(|| format!("could not read {}", file.display()))
}

/// Each non-empty row of the first sheet, parsed by `parse`, with its row number; or every
/// problem: a missing `required` heading, or each bad cell, as "dòng N: cột \"X\": …".
pub fn rows<T>(
    bytes: &[u8],
    required: &[&str],
    parse: impl Fn(Cells) -> Result<T, Vec<String>>,
) -> Result<Vec<(usize, T)>, Vec<String>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| vec![format!("không đọc được tệp Excel (.xlsx): {e}")])?;
    let sheet = match book.worksheet_range_at(0) {
        Some(Ok(sheet)) => sheet,
        Some(Err(e)) => return Err(vec![format!("không đọc được trang tính đầu tiên: {e}")]),
        None => return Err(vec!["tệp không có trang tính nào".to_owned()]),
    };
    let mut rows = sheet.rows();
    let Some(header) = rows.next() else { return Err(vec!["trang tính trống".to_owned()]) };
    let heading = |name: &str| header.iter().position(|c| text(c).trim() == name);
    let missing: Vec<String> = required
        .iter()
        .filter(|h| heading(h).is_none())
        .map(|h| format!("dòng 1: thiếu cột \"{h}\""))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    for (i, cells) in rows.enumerate() {
        let line = i + 2;
        if cells.iter().all(|c| text(c).trim().is_empty()) {
            continue;
        }
        if out.len() + problems.len() >= ROWS_MAX {
            problems.push(format!("dòng {line}: tệp có quá {ROWS_MAX} dòng"));
            break;
        }
        let cell =
            |name: &str| heading(name).and_then(|i| cells.get(i)).cloned().unwrap_or_default();
        match parse(&cell) {
            Ok(value) => out.push((line, value)),
            Err(errors) => {
                problems.extend(errors.into_iter().map(|e| format!("dòng {line}: {e}")));
            }
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("tệp không có dòng dữ liệu nào".to_owned());
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A cell as text; empty for an empty cell.
pub fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Points from a number cell or a text one ("8.50", "8,50"), refused past two decimals.
pub fn points_of(cell: &Data) -> Option<Points> {
    let text = match cell {
        Data::Int(n) => n.to_string(),
        Data::Float(f) => {
            let hundredths = (f * 100.0).round();
            if (f * 100.0 - hundredths).abs() > 1e-6
                || !(0.0..=f64::from(u32::MAX)).contains(&hundredths)
            {
                return None;
            }
            return Some(Points(hundredths as u32));
        }
        other => text(other).trim().replace(',', "."),
    };
    text.parse().ok()
}

/// The file refused, every problem listed: `nothing` says what was not recorded.
pub fn invalid(file: &Path, nothing: &str, problems: Vec<String>) -> anyhow::Error {
    let message = format!(
        "{}: {nothing}, vì {} dòng có lỗi:\n  {}",
        file.display(),
        problems.len(),
        problems.join("\n  ")
    );
    Classified { kind: ExitKind::Invalid, message }.into()
}
