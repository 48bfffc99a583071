//! Plain-text tables for people. Widths are measured in terminal columns (Unicode display
//! width), so "Sở Giáo dục và Đào tạo" lines up with ASCII text: byte length would count each
//! diacritic letter as two or three.

use unicode_width::UnicodeWidthStr;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table: headers, alignments, rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            headers: columns.iter().map(|(h, _)| (*h).to_owned()).collect(),
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| {
                std::iter::once(&self.headers[c])
                    .chain(self.rows.iter().map(|r| &r[c]))
                    .map(|s| s.width())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        self.line(&mut out, &self.headers, &widths);
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        self.line(&mut out, &rule, &widths);
        for row in &self.rows {
            self.line(&mut out, row, &widths);
        }
        out
    }

    fn line(&self, out: &mut String, cells: &[String], widths: &[usize]) {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .zip(&self.aligns)
            .map(|((cell, width), align)| {
                let pad = " ".repeat(width.saturating_sub(cell.width()));
                match align {
                    Align::Left => format!("{cell}{pad}"),
                    Align::Right => format!("{pad}{cell}"),
                }
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_names_line_up_by_display_width() {
        let mut table = Table::new(&[("Đơn vị", Align::Left), ("Điểm", Align::Right)]);
        table.row(vec!["Sở Giáo dục và Đào tạo".into(), "86.15".into()]);
        table.row(vec!["Long Phú".into(), "9.00".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        // Every line ends at the same display column.
        let ends: Vec<usize> = lines.iter().map(|l| l.width()).collect();
        assert!(ends.iter().all(|w| *w == ends[0]), "{text}");
        assert!(lines[3].starts_with("Long Phú "), "{text}");
    }
}
