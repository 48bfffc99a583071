//! Points as fixed-point hundredths. Scores, maxima, totals and indices are integers so that a
//! replay gives the same digits on every machine; there is no float anywhere in scoring.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Points in hundredths: `Points(1_050)` is 10.50 points. On the wire (postcard) an integer;
/// in JSON the text people write, `"10.50"`, so no JSON number (a float to most readers) ever
/// carries points.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(pub u32);

impl Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_u32(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            u32::deserialize(deserializer).map(Points)
        }
    }
}

impl Points {
    pub const ZERO: Points = Points(0);

    pub fn hundredths(self) -> u32 {
        self.0
    }
}

/// Text that is not a number of points with at most two decimals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a number of points like 12, 12.5 or 12.50 (at most two decimals, not negative)"
)]
pub struct PointsParseError(pub String);

impl std::str::FromStr for Points {
    type Err = PointsParseError;

    /// Parses `12`, `12.5`, `12.50`; refuses signs, a third decimal and overflow, so what a
    /// person types is exactly what is stored.
    fn from_str(text: &str) -> Result<Self, PointsParseError> {
        let bad = || PointsParseError(text.to_owned());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if text.contains('.') && fraction.is_empty() {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
        whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).map(Points).ok_or_else(bad)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Debug for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Points({self})")
    }
}

/// `part ÷ whole` as a percentage in hundredths, rounding half up, with integers only; 0 when
/// the whole is 0. Used for the index (total ÷ maximum) and the completion rate alike.
pub fn percent_hundredths(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    // part/whole * 10_000, rounded half up: (2·part·10_000 + whole) div (2·whole).
    let numerator = u128::from(part) * 20_000 + u128::from(whole);
    let value = numerator / (u128::from(whole) * 2);
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Formats hundredths of a percent as `75.00`.
pub fn format_hundredths(value: u64) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type_and_nothing_else() {
        assert_eq!("12".parse::<Points>(), Ok(Points(1200)));
        assert_eq!("12.5".parse::<Points>(), Ok(Points(1250)));
        assert_eq!("0.05".parse::<Points>(), Ok(Points(5)));
        for bad in ["", "-1", "1.234", "1.", ".5", "1,5", "99999999999", "+1"] {
            assert!(bad.parse::<Points>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(Points(8615).to_string(), "86.15");
    }

    #[test]
    fn json_carries_text_and_postcard_an_integer() {
        assert_eq!(serde_json::to_string(&Points(850)).expect("json"), "\"8.50\"");
        assert_eq!(serde_json::from_str::<Points>("\"8.5\"").expect("text"), Points(850));
        assert!(serde_json::from_str::<Points>("8.5").is_err(), "a JSON number was read");
        let bytes = postcard::to_stdvec(&Points(850)).expect("postcard");
        assert_eq!(postcard::from_bytes::<Points>(&bytes).expect("postcard"), Points(850));
    }

    #[test]
    fn percentages_round_half_up() {
        assert_eq!(percent_hundredths(3, 4), 7500);
        assert_eq!(percent_hundredths(1, 3), 3333);
        assert_eq!(percent_hundredths(2, 3), 6667);
        // 1/8 = 12.5 % exactly; 1/16 = 6.25 %; 1/32 = 3.125 % rounds up to 3.13.
        assert_eq!(percent_hundredths(1, 32), 313);
        assert_eq!(percent_hundredths(5, 0), 0);
        assert_eq!(format_hundredths(7500), "75.00");
    }
}
