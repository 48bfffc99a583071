//! Charts as SVG drawn on the server: nothing needs JavaScript to read them, and each has a
//! text alternative (its title, and the table beside it holds the same figures).
//!
//! Pure: figures in, markup out. Lengths are whole pixels computed from hundredths with integer
//! arithmetic, so the same figures always draw the same bytes.

use crate::page::{hundredths, Lang};
use maud::{html, Markup};

/// Height of one bar of a horizontal bar chart.
const BAR: u64 = 18;
/// Room for the labels left of the bars.
const LABEL: u64 = 270;
/// The bars' full length (the maximum).
const LENGTH: u64 = 400;

/// A horizontal bar per item, its length the value's share of `max` (both in hundredths).
/// An item without a value gets no bar and says so.
pub fn bars(lang: Lang, title: &str, items: &[(String, Option<u64>)], max: u64) -> Markup {
    let height = BAR * items.len() as u64 + 8;
    let width = LABEL + LENGTH + 60;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) aria-label=(title) class="chart bars" {
            title { (title) }
            @for (i, (label, value)) in items.iter().enumerate() {
                @let y = BAR * i as u64 + 4;
                text x=(LABEL - 6) y=(y + 13) text-anchor="end" { (label) }
                @if let Some(v) = value {
                    rect x=(LABEL) y=(y + 2) width=(scaled(*v, max, LENGTH)) height=(BAR - 4) fill="#1f5fa8" {
                        title { (label) ": " (hundredths(lang, Some(*v))) }
                    }
                    text x=(LABEL + scaled(*v, max, LENGTH) + 4) y=(y + 13) { (hundredths(lang, Some(*v))) }
                } @else {
                    text x=(LABEL + 4) y=(y + 13) fill="#666" { "–" }
                }
            }
        }
    }
}

/// A vertical bar per year: a unit's trend. Years without a value get no bar.
pub fn trend(lang: Lang, title: &str, points: &[(u16, Option<u64>)], max: u64) -> Markup {
    const TALL: u64 = 120;
    const STEP: u64 = 48;
    let width = STEP * points.len() as u64 + 20;
    let height = TALL + 36;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) aria-label=(title) class="chart trend" {
            title { (title) }
            line x1="10" y1=(TALL + 14) x2=(width - 10) y2=(TALL + 14) stroke="#999" {}
            @for (i, (year, value)) in points.iter().enumerate() {
                @let x = 10 + STEP * i as u64;
                @if let Some(v) = value {
                    @let h = scaled(*v, max, TALL);
                    rect x=(x + 8) y=(TALL + 14 - h) width=(STEP - 16) height=(h) fill="#1f5fa8" {
                        title { (year) ": " (hundredths(lang, Some(*v))) }
                    }
                    text x=(x + STEP / 2) y=(TALL + 10 - h) text-anchor="middle" { (hundredths(lang, Some(*v))) }
                }
                text x=(x + STEP / 2) y=(TALL + 30) text-anchor="middle" { (year) }
            }
        }
    }
}

/// `value / max` of `length`, rounded down, never past `length`.
fn scaled(value: u64, max: u64, length: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    (value.min(max) * length) / max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_the_share_of_the_maximum_and_missing_values_have_none() {
        let svg =
            bars(Lang::Vi, "Xếp hạng", &[("A".into(), Some(8872)), ("B".into(), None)], 10000)
                .into_string();
        // 88.72 of 100 on 400 pixels: 354.
        assert!(svg.contains(r#"width="354""#), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 1, "{svg}");
        assert!(svg.contains("88,72"), "a decimal comma in Vietnamese: {svg}");
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title>Xếp hạng</title>"));
    }

    #[test]
    fn a_value_above_the_maximum_is_drawn_at_the_maximum() {
        assert_eq!(scaled(12_000, 10_000, 400), 400);
        assert_eq!(scaled(5_000, 0, 400), 0);
    }

    #[test]
    fn the_same_figures_draw_the_same_bytes() {
        let points = [(2015, Some(8000)), (2016, None), (2017, Some(9050))];
        let a = trend(Lang::En, "t", &points, 10000).into_string();
        assert_eq!(a, trend(Lang::En, "t", &points, 10000).into_string());
        assert_eq!(a.matches("<rect").count(), 2);
        assert!(a.contains(">2016<"));
    }
}
