//! Time as the domain sees it. Business dates are calendar dates in Vietnam time (UTC+7, no
//! daylight saving); instants are milliseconds since the Unix epoch. Both encode as plain
//! integers on the wire, so postcard bytes are compact and exact, and as ISO text in JSON.
//!
//! Nothing here reads the clock except [`Timestamp::now`], which only the edges call: logic
//! takes "now" as an argument.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Vietnam's offset from UTC, in seconds. Vietnam has kept UTC+7 without daylight saving since
/// 1975, so a fixed offset is exact for every date this system records.
pub const VIETNAM_OFFSET_SECONDS: i32 = 7 * 3600;

pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_OFFSET_SECONDS).expect("UTC+7 is a valid offset")
}

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The wall clock. Call it at the edge (a service receiving a command), never in `apply`.
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    pub fn from_datetime<Tz: TimeZone>(at: &DateTime<Tz>) -> Self {
        Self(at.timestamp_millis())
    }

    /// Midday in Vietnam on the given date: the instant we give an event whose command named
    /// only a date, far from both midnights so no offset confusion can move it a day.
    pub fn at_vietnam_noon(date: Date) -> Self {
        let noon = date.0.and_hms_opt(12, 0, 0).expect("12:00:00 is a valid time");
        let local = vietnam().from_local_datetime(&noon).single().expect("fixed offset");
        Self(local.timestamp_millis())
    }

    /// Midnight at the start of the given date, in Vietnam.
    pub fn at_vietnam_midnight(date: Date) -> Self {
        let midnight = date.0.and_hms_opt(0, 0, 0).expect("00:00:00 is a valid time");
        let local = vietnam().from_local_datetime(&midnight).single().expect("fixed offset");
        Self(local.timestamp_millis())
    }

    /// The calendar date in Vietnam at this instant; `None` only for instants outside chrono's
    /// range (hundreds of thousands of years away), which a decoded garbage value could hold.
    pub fn vietnam_date(self) -> Option<Date> {
        let utc = DateTime::<Utc>::from_timestamp_millis(self.0)?;
        Some(Date(utc.with_timezone(&vietnam()).date_naive()))
    }

    pub fn to_rfc3339(self) -> String {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(utc) => utc.with_timezone(&vietnam()).to_rfc3339(),
            None => format!("{}ms", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

/// A calendar date (in Vietnam time). Encodes as days since 0001-01-01 on the wire and as
/// `YYYY-MM-DD` in human-readable formats.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    /// A day written in the code (a rule's effective date): one that does not exist does not
    /// compile.
    pub const fn known(year: i32, month: u32, day: u32) -> Self {
        match NaiveDate::from_ymd_opt(year, month, day) {
            Some(day) => Self(day),
            None => panic!("no such day"),
        }
    }

    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// The day as Vietnamese write it: `30/06/2016`.
    pub fn vietnamese(self) -> String {
        self.0.format("%d/%m/%Y").to_string()
    }

    /// A day as a person types it: day, month and four digits of year, split by `/` (the
    /// Vietnamese order, `30/06/2016` or `1/7/2025`), or `YYYY-MM-DD`; spaces around are
    /// ignored. A month first (`06/30/2016`) is no date, never another one.
    pub fn typed(text: &str) -> Result<Self, DateParseError> {
        let text = text.trim();
        if text.contains('-') {
            return text.parse();
        }
        let mut parts = text.split('/');
        let number = |part: Option<&str>, most: usize| {
            part.filter(|p| (1..=most).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let (day, month, year) = (number(parts.next(), 2), number(parts.next(), 2), parts.next());
        let year = year.filter(|y| y.len() == 4).and_then(|y| number(Some(y), 4));
        match (day, month, year, parts.next()) {
            (Some(d), Some(m), Some(y), None) => i32::try_from(y)
                .ok()
                .and_then(|y| Self::from_ymd(y, m, d))
                .ok_or_else(|| DateParseError(text.to_owned())),
            _ => Err(DateParseError(text.to_owned())),
        }
    }

    /// The next calendar day; `None` only at the end of chrono's range.
    pub fn succ(self) -> Option<Self> {
        self.0.succ_opt().map(Self)
    }

    /// The day `days` later (earlier when negative); `None` past chrono's range.
    pub fn add_days(self, days: i64) -> Option<Self> {
        self.0.checked_add_signed(chrono::TimeDelta::try_days(days)?).map(Self)
    }

    /// Today in Vietnam: an edge-only convenience, like [`Timestamp::now`].
    pub fn today_in_vietnam() -> Self {
        Self(Utc::now().with_timezone(&vietnam()).date_naive())
    }
}

impl std::str::FromStr for Date {
    type Err = DateParseError;
    /// Exactly `YYYY-MM-DD`: four digits of year, two of month, two of day. chrono alone reads
    /// `16-01-01` as the year 16 and `2016-1-1` as a date; both are typing mistakes here.
    fn from_str(text: &str) -> Result<Self, DateParseError> {
        let shaped = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shaped {
            return Err(DateParseError(text.to_owned()));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| DateParseError(text.to_owned()))
    }
}

/// How far a client's clock may run ahead of the service's before a business date counts as
/// being in the future: a person recording something just after midnight on a machine a few
/// minutes fast is not refused.
pub const CLOCK_SKEW_ALLOWED: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// A business date later than today in Vietnam.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "business date {date} is in the future: today in Vietnam is {today}; record what has \
     happened, on the day it happened"
)]
pub struct FutureDate {
    pub date: Date,
    pub today: Date,
}

/// Checks that a business date is not later than today in Vietnam at `now` (with
/// [`CLOCK_SKEW_ALLOWED`]). Something recorded as done in the future would stand in every view
/// as fact and could never be corrected.
pub fn check_not_future(date: Date, now: Timestamp) -> Result<(), FutureDate> {
    let skew = i64::try_from(CLOCK_SKEW_ALLOWED.as_millis()).unwrap_or(i64::MAX);
    let latest = Timestamp(now.0.saturating_add(skew)).vietnam_date();
    match latest {
        Some(latest) if date > latest => {
            Err(FutureDate { date, today: now.vietnam_date().unwrap_or(latest) })
        }
        _ => Ok(()),
    }
}

/// A date given as text that is not a real `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date of the form YYYY-MM-DD")]
pub struct DateParseError(pub String);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i32(self.0.num_days_from_ce())
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            text.parse().map_err(D::Error::custom)
        } else {
            let days = i32::deserialize(deserializer)?;
            NaiveDate::from_num_days_from_ce_opt(days)
                .map(Self)
                .ok_or_else(|| D::Error::custom(format!("day number {days} is out of range")))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typed_day_is_read_day_first_or_as_iso() {
        use super::Date;
        let d = |t: &str| Date::typed(t).map(|d| d.to_string());
        assert_eq!(d("30/06/2016").as_deref(), Ok("2016-06-30"));
        assert_eq!(d(" 1/7/2025 ").as_deref(), Ok("2025-07-01"));
        assert_eq!(d("2016-06-30").as_deref(), Ok("2016-06-30"));
        for wrong in [
            "06/30/2016",
            "31/02/2016",
            "30/06/16",
            "30-06-2016",
            "30/06/2016/1",
            "",
            "a/b/cccc",
            "030/06/2016",
        ] {
            assert!(Date::typed(wrong).is_err(), "{wrong:?} is no date");
        }
    }

    use super::*;

    #[test]
    fn business_date_is_the_vietnam_date() {
        // 2016-06-30T18:30Z is already 1 July in Vietnam.
        let at = Utc.with_ymd_and_hms(2016, 6, 30, 18, 30, 0).single().expect("valid");
        let date = Timestamp::from_datetime(&at).vietnam_date().expect("in range");
        assert_eq!(date, Date::from_ymd(2016, 7, 1).expect("valid"));
        let noon = Timestamp::at_vietnam_noon(date);
        assert_eq!(noon.vietnam_date(), Some(date));
    }

    #[test]
    fn dates_encode_as_day_numbers_and_read_back() {
        let date: Date = "2016-02-29".parse().expect("leap day");
        let bytes = postcard::to_stdvec(&date).expect("encodes");
        assert_eq!(postcard::from_bytes::<Date>(&bytes).expect("decodes"), date);
        assert_eq!(serde_json::to_string(&date).expect("json"), "\"2016-02-29\"");
        assert!("2015-02-29".parse::<Date>().is_err());
    }

    #[test]
    fn dates_are_exactly_four_two_two_digits() {
        for bad in
            ["16-01-01", "2016-1-01", "2016-01-1", "+2016-01-01", "2016/01/01", " 2016-01-01"]
        {
            let error = bad.parse::<Date>().expect_err(bad);
            assert_eq!(error.to_string(), format!("{bad:?} is not a date of the form YYYY-MM-DD"));
        }
        assert_eq!("0016-01-01".parse::<Date>().map(Date::year), Ok(16));
    }

    #[test]
    fn a_future_business_date_is_refused_naming_today() {
        // 2016-12-01 23:55 in Vietnam.
        let now = Timestamp::from_datetime(
            &vietnam().with_ymd_and_hms(2016, 12, 1, 23, 55, 0).single().expect("valid"),
        );
        let day = |d| Date::from_ymd(2016, 12, d).expect("valid");
        assert_eq!(check_not_future(day(1), now), Ok(()));
        // Within the skew of midnight, tomorrow is accepted; the day after is not.
        assert_eq!(check_not_future(day(2), now), Ok(()));
        let error = check_not_future(day(3), now).expect_err("two days ahead");
        assert_eq!(error, FutureDate { date: day(3), today: day(1) });
        assert!(error
            .to_string()
            .contains("2016-12-03 is in the future: today in Vietnam is 2016-12-01"));
        let noon = Timestamp::at_vietnam_noon(day(1));
        assert!(check_not_future(day(2), noon).is_err());
    }
}
