//! Which periods are due. Pure: "now" is an argument.

use reform_shared::event::Period;
use reform_shared::time::Timestamp;

/// Every period that closed after the log began and by `now`, oldest first. Periods that ended
/// before the log existed are not the service's to close on its own (history loaded after the
/// fact is closed by hand, `reformctl rollup close`).
pub fn due(began: Timestamp, now: Timestamp) -> Vec<Period> {
    let (Some(first), Some(last)) = (began.vietnam_date(), now.vietnam_date()) else {
        return Vec::new();
    };
    let years = u16::try_from(first.year()).unwrap_or(0)..=u16::try_from(last.year()).unwrap_or(0);
    years
        .flat_map(Period::of_year)
        .filter(|p| p.closes_at() > began && p.closes_at() <= now)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use reform_shared::event::PeriodKind;
    use reform_shared::time::{vietnam, Date};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        Timestamp::from_datetime(
            &vietnam().with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid"),
        )
    }

    #[test]
    fn a_period_closes_at_midnight_after_its_last_day_in_vietnam() {
        let q1 = Period { year: 2016, kind: PeriodKind::Q1 };
        assert_eq!(q1.closes_at(), at(2016, 4, 1, 0, 0));
        // 31 March 23:59 in Vietnam is 16:59 UTC: not yet due.
        assert!(due(at(2016, 1, 5, 9, 0), at(2016, 3, 31, 23, 59)).is_empty());
        assert_eq!(due(at(2016, 1, 5, 9, 0), at(2016, 4, 1, 0, 0)), vec![q1]);
        assert_eq!(
            Period { year: 2016, kind: PeriodKind::Q3 }.last_day(),
            Date::from_ymd(2016, 9, 30).expect("date")
        );
    }

    #[test]
    fn a_service_down_across_boundaries_catches_up_oldest_first() {
        let due = due(at(2016, 2, 1, 8, 0), at(2017, 4, 2, 8, 0));
        let names: Vec<String> = due.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2016-q1", "2016-h1", "2016-q3", "2016-year", "2017-q1"]);
    }

    #[test]
    fn periods_before_the_log_began_are_not_due() {
        assert_eq!(due(at(2016, 7, 15, 8, 0), at(2016, 10, 1, 0, 0)).len(), 1);
    }

    #[test]
    fn periods_read_and_print_as_year_dash_kind() {
        let p: Period = "2016-q3".parse().expect("period");
        assert_eq!(p, Period { year: 2016, kind: PeriodKind::Q3 });
        assert_eq!(p.to_string(), "2016-q3");
        for bad in ["2016", "16-q1", "2016-q2", "2016-Q1", "q1-2016"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
