//! The insights' dates (reference §2.2–2.3): `date_from`/`date_to` with PostHog's relative
//! grammar and rounding, the `interval`, and period arithmetic (week start Sunday, team time
//! zone UTC).

use time::{Date, Duration, Month, OffsetDateTime, Time};

use super::super::error::PostHogError;
use super::super::time::{self as posthog_time, MICROS_PER_HOUR};

/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// An insight's interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// One hour (`minute` reads as hour).
    Hour,
    /// One day (the default).
    Day,
    /// One week, starting on Sunday.
    Week,
    /// One calendar month.
    Month,
}

impl Interval {
    /// Parses `interval` (case-insensitive; absent: day); anything else is PostHog's
    /// `ValueError`, a 500.
    pub fn parse(raw: Option<&str>) -> Result<Self, PostHogError> {
        match raw.map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("day") => Ok(Interval::Day),
            Some("hour" | "minute") => Ok(Interval::Hour),
            Some("week") => Ok(Interval::Week),
            Some("month") => Ok(Interval::Month),
            Some(_) => Err(PostHogError::server_error()),
        }
    }

    /// The start of the interval holding `micros`.
    pub fn start(self, micros: i64) -> i64 {
        if !(MIN_MICROS..=MAX_MICROS).contains(&micros) {
            return micros;
        }
        // UTC hours and days are whole multiples of their length since the epoch.
        let unit = match self {
            Interval::Hour => MICROS_PER_HOUR,
            Interval::Day => MICROS_PER_DAY,
            Interval::Week | Interval::Month => {
                let Some(date) = at(micros).map(|at| at.date()) else {
                    return micros;
                };
                let start = match self {
                    Interval::Week => date.checked_sub(Duration::days(i64::from(
                        date.weekday().number_days_from_sunday(),
                    ))),
                    _ => date.replace_day(1).ok(),
                };
                // A week starting before the first representable day: the moment itself.
                return start.map_or(micros, micros_of);
            }
        };
        micros - micros.rem_euclid(unit)
    }

    /// The start of the interval after the one starting at `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Interval::Hour => start.saturating_add(MICROS_PER_HOUR),
            Interval::Day => start.saturating_add(MICROS_PER_DAY),
            Interval::Week => start.saturating_add(7 * MICROS_PER_DAY),
            Interval::Month => {
                let Some(date) = at(start).map(|at| at.date()) else {
                    return start;
                };
                let (year, month) = match date.month() {
                    Month::December => (date.year() + 1, Month::January),
                    month => (date.year(), month.next()),
                };
                Date::from_calendar_date(year, month, 1).map_or(start, micros_of)
            }
        }
    }

    /// The start of the interval before the one starting at `start`.
    pub fn previous(self, start: i64) -> i64 {
        match self {
            Interval::Month => self.start(start.saturating_sub(1)),
            _ => start.saturating_sub(self.next(start).saturating_sub(start)),
        }
    }
}

/// An inclusive time range, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// The first moment in range.
    pub from: i64,
    /// The last moment in range.
    pub to: i64,
}

impl Range {
    /// Whether `micros` lies in the range.
    pub fn contains(&self, micros: i64) -> bool {
        self.from <= micros && micros <= self.to
    }

    /// `date_from` (absent: seven days before today's start; `all`: no bound) and `date_to`
    /// (absent: `now`), rounded as newest PostHog does: a relative `date_from` is truncated to
    /// its day (or hour for `h`), an absolute one kept; `date_to` moves to the end of its day
    /// for day, week and month intervals unless `explicit_date`, and a relative one to the
    /// end of its hour for hourly intervals.
    pub fn parse(
        date_from: Option<&str>,
        date_to: Option<&str>,
        interval: Interval,
        explicit: bool,
        now: i64,
    ) -> Self {
        let from = match date_from.map(str::trim) {
            None | Some("") => Interval::Day.start(now) - 7 * MICROS_PER_DAY,
            Some("all") => i64::MIN,
            Some(text) => match posthog_time::parse(text) {
                Some(at) => at,
                None if relative_unit(text) == Some('h') => {
                    Interval::Hour.start(posthog_time::relative_date(text, now))
                }
                None => Interval::Day.start(posthog_time::relative_date(text, now)),
            },
        };
        let (to, relative) = match date_to.map(str::trim).filter(|text| !text.is_empty()) {
            None => (now, true),
            Some(text) => match posthog_time::parse(text) {
                Some(at) => (at, false),
                None => (posthog_time::relative_date(text, now), true),
            },
        };
        let to = match (interval, explicit) {
            (_, true) => to,
            (Interval::Hour, false) if relative => {
                Interval::Hour.next(Interval::Hour.start(to)) - 1
            }
            (Interval::Hour, false) => to,
            (_, false) => Interval::Day.start(to) + MICROS_PER_DAY - 1,
        };
        Range { from, to }
    }
}

/// A moment as parsed by PostHog's relative grammar without truncation (`target_date`,
/// `entrance_period_start`).
pub fn moment(text: &str, now: i64) -> i64 {
    posthog_time::relative_date(text, now)
}

/// The unit letter of a relative date (`-7d` → `d`).
fn relative_unit(text: &str) -> Option<char> {
    text.trim_start_matches('-')
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .chars()
        .next()
}

/// The first and last microsecond the calendar (years −9999 to 9999) can tell the date of.
const MIN_MICROS: i64 = -377_705_116_800_000_000;
const MAX_MICROS: i64 = 253_402_300_799_999_999;

fn at(micros: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
}

fn micros_of(date: Date) -> i64 {
    let at = date.with_time(Time::MIDNIGHT).assume_utc();
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_bounds_are_the_time_crates() {
        assert!(at(MIN_MICROS).is_some() && at(MIN_MICROS - 1).is_none());
        assert!(at(MAX_MICROS).is_some() && at(MAX_MICROS + 1).is_none());
        let day = 1_700_000_000_123_456;
        assert_eq!(Interval::Day.start(day), micros_of(at(day).unwrap().date()));
        assert_eq!(Interval::Day.start(-1), -MICROS_PER_DAY);
        // −9999-01-01 is a Monday: its week would start on a day the calendar lacks.
        assert_eq!(Interval::Week.start(MIN_MICROS), MIN_MICROS);
        assert_eq!(Interval::Month.start(MIN_MICROS), MIN_MICROS);
    }

    fn t(text: &str) -> i64 {
        posthog_time::parse(text).unwrap_or_default()
    }

    #[test]
    fn periods_start_on_sunday_and_the_first() {
        let at = t("2020-01-15T12:00:00Z");
        assert_eq!(Interval::Week.start(at), t("2020-01-12"));
        assert_eq!(Interval::Month.start(at), t("2020-01-01"));
        assert_eq!(Interval::Month.next(t("2019-12-01")), t("2020-01-01"));
        assert_eq!(Interval::Month.previous(t("2020-01-01")), t("2019-12-01"));
        assert_eq!(Interval::Day.previous(t("2020-01-01")), t("2019-12-31"));
    }

    #[test]
    fn date_to_moves_to_the_end_of_its_day() {
        let now = t("2021-05-10T10:30:00Z");
        let range = Range::parse(
            Some("2021-05-01"),
            Some("2021-05-07"),
            Interval::Day,
            false,
            now,
        );
        assert_eq!(range.to, t("2021-05-08") - 1);
        let hourly = Range::parse(
            Some("2020-01-04 14:00:00"),
            Some("2020-01-04 14:59:59"),
            Interval::Hour,
            false,
            now,
        );
        assert_eq!(
            (hourly.from, hourly.to),
            (t("2020-01-04T14:00:00Z"), t("2020-01-04T14:59:59Z"))
        );
        let relative = Range::parse(Some("-7d"), None, Interval::Day, false, now);
        assert_eq!(relative.from, t("2021-05-03"));
        assert_eq!(relative.to, t("2021-05-11") - 1);
    }
}
