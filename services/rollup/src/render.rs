//! A report in each of its formats: the text ones the report writes itself, the workbook
//! [`crate::xlsx`] lays out.

use crate::report::{self, Format, Report};

/// The report's bytes in one format. JSON is the canonical form the event's digest names.
pub fn bytes(report: &Report, format: Format) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    Ok(match format {
        Format::Json => report::json(report),
        Format::Markdown => report::markdown(report).into_bytes(),
        Format::Csv => report::csv(report).into_bytes(),
        Format::Xlsx => crate::xlsx::report(report)?,
    })
}
