//! Times as PostHog reads and writes them: ISO 8601 in, RFC 3339 with `Z` and microseconds
//! only when non-zero out. Internally every time is microseconds since the Unix epoch.

use std::fmt::Write;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::Timestamp;

/// Microseconds in one second.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
/// Microseconds in one hour.
pub const MICROS_PER_HOUR: i64 = 3_600 * MICROS_PER_SECOND;

/// Renders `micros` like PostHog (orjson with `OPT_UTC_Z`): `2021-08-25T22:09:14.252000Z`, or
/// `2021-08-25T22:09:14Z` when the microseconds are zero; this is [`Timestamp`]'s spelling.
/// Times PostHog cannot hold (see [`is_renderable`]; only seeds and the typed handle can give
/// them) are written as [`Timestamp`] writes them.
pub fn render(micros: i64) -> String {
    // The longest spelling PostHog gives: `2021-08-25T22:09:14.252000Z`.
    let mut text = String::with_capacity(27);
    // Writing to a `String` cannot fail.
    let _ = write!(text, "{}", Timestamp::from_unix_micros(micros));
    text
}

/// Whether `micros` falls in years 1–9999, the times PostHog can store and render.
pub fn is_renderable(micros: i64) -> bool {
    const MIN: i64 = -62_135_596_800 * MICROS_PER_SECOND;
    const MAX: i64 = 253_402_300_800 * MICROS_PER_SECOND - 1;
    (MIN..=MAX).contains(&micros)
}

/// Renders `micros` as Python's `isoformat()` of an aware UTC time: `…+00:00`.
pub fn render_python(micros: i64) -> String {
    let rendered = render(micros);
    match rendered.strip_suffix('Z') {
        Some(base) => format!("{base}+00:00"),
        None => rendered,
    }
}

/// Parses an ISO 8601 time: RFC 3339 (`Z` or an offset), a date-time without offset (UTC),
/// or a bare date (midnight UTC).
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| {
            let with_space = text.replacen(' ', "T", 1);
            OffsetDateTime::parse(&with_space, &Rfc3339).ok()
        })
        .or_else(|| naive(text).map(PrimitiveDateTime::assume_utc))
        .or_else(|| {
            Date::parse(text, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|date| date.midnight().assume_offset(UtcOffset::UTC))
        })?;
    i64::try_from(at.unix_timestamp_nanos() / 1000).ok()
}

/// Parses an event's `timestamp` as ingestion does (luxon's `fromISO`): [`parse`]'s forms,
/// and ISO week dates (`2021-W43-5`, `2021-W43`: its Monday) and ordinal dates (`2021-302`),
/// alone or followed by `T` and a time.
pub fn parse_event(text: &str) -> Option<i64> {
    parse(text).or_else(|| {
        let text = text.trim();
        let (date, time) = text.split_at(text.find('T').unwrap_or(text.len()));
        let date = week_or_ordinal(date)?
            .format(format_description!("[year]-[month]-[day]"))
            .ok()?;
        parse(&format!("{date}{time}"))
    })
}

/// An ISO week date (`YYYY-Www-D` or `YYYY-Www`) or ordinal date (`YYYY-DDD`).
fn week_or_ordinal(text: &str) -> Option<Date> {
    let (year, rest) = text.split_once('-')?;
    let year: i32 = year.parse().ok().filter(|_| year.len() == 4)?;
    let number = |digits: &str, len: usize| {
        (digits.len() == len && digits.bytes().all(|byte| byte.is_ascii_digit()))
            .then(|| digits.parse::<u16>().ok())
            .flatten()
    };
    match rest.strip_prefix('W') {
        Some(week) => {
            let (week, day) = week.split_once('-').unwrap_or((week, "1"));
            let day = u8::try_from(number(day, 1)?)
                .ok()
                .filter(|day| (1..=7).contains(day))?;
            let weekday = time::Weekday::Sunday.nth_next(day);
            Date::from_iso_week_date(year, u8::try_from(number(week, 2)?).ok()?, weekday).ok()
        }
        None => Date::from_ordinal_date(year, number(rest, 3)?).ok(),
    }
}

/// A date as PostHog's `relative_date_parse` reads it, in microseconds: an ISO 8601 time
/// ([`parse`]); else the first `-?N?K(Start|End)?` in the text counted back from `now`, `K`
/// being `h` (hours), `d` (days), `w` (weeks), `m` (months), `M` (minutes), `s` (seconds),
/// `q` (13 weeks) or `y` (years), the sign ignored (`2d` is two days ago too) and `Start`/`End`
/// moving to the start or end of the hour, day, month or year; text without one is `now`.
pub fn relative_date(text: &str, now: i64) -> i64 {
    if let Some(at) = parse(text) {
        return at;
    }
    let Some((number, kind, position)) = relative_parts(text) else {
        return now;
    };
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1000) else {
        return now;
    };
    let n = i64::from(number.unwrap_or(0));
    let moved = match kind {
        'h' => at.checked_sub(time::Duration::hours(n)),
        'd' => at.checked_sub(time::Duration::days(n)),
        'w' => at.checked_sub(time::Duration::weeks(n)),
        'q' => at.checked_sub(time::Duration::weeks(n.saturating_mul(13))),
        'M' => at.checked_sub(time::Duration::minutes(n)),
        's' => at.checked_sub(time::Duration::seconds(n)),
        'm' => months_back(at, n),
        'y' => months_back(at, n.saturating_mul(12)),
        _ => Some(at),
    };
    let positioned = moved.and_then(|at| match (kind, position) {
        ('h', Some(start)) => {
            let (minute, second, micro) = if start { (0, 0, 0) } else { (59, 59, 999_999) };
            let time = time::Time::from_hms_micro(at.hour(), minute, second, micro).ok()?;
            Some(at.replace_time(time))
        }
        ('d', Some(start)) => {
            let (hour, minute, second, micro) = if start {
                (0, 0, 0, 0)
            } else {
                (23, 59, 59, 999_999)
            };
            Some(at.replace_time(time::Time::from_hms_micro(hour, minute, second, micro).ok()?))
        }
        ('m', Some(true)) => at.replace_day(1).ok(),
        ('m' | 'y', Some(false)) => at.replace_day(at.month().length(at.year())).ok(),
        ('y', Some(true)) => at
            .replace_month(time::Month::January)
            .and_then(|at| at.replace_day(1))
            .ok(),
        _ => Some(at),
    });
    positioned
        .and_then(|at| i64::try_from(at.unix_timestamp_nanos() / 1000).ok())
        .unwrap_or(now)
}

/// The first `-?(digits)?(kind)(Start|End)?` of `text`: the number, the kind letter and
/// whether it says `Start` (`Some(true)`) or `End` (`Some(false)`).
fn relative_parts(text: &str) -> Option<(Option<u32>, char, Option<bool>)> {
    const KINDS: &str = "hdwmqysHDWMQY";
    let chars: Vec<char> = text.chars().collect();
    for start in 0..chars.len() {
        let mut end = start;
        while chars.get(end).is_some_and(char::is_ascii_digit) {
            end += 1;
        }
        let Some(kind) = chars.get(end).copied().filter(|kind| KINDS.contains(*kind)) else {
            continue;
        };
        let number = (end > start)
            .then(|| chars[start..end].iter().collect::<String>().parse().ok())
            .flatten();
        let rest: String = chars[end + 1..].iter().take(5).collect();
        let position = if rest.starts_with("Start") {
            Some(true)
        } else if rest.starts_with("End") {
            Some(false)
        } else {
            None
        };
        return Some((number, kind, position));
    }
    None
}

/// `at` moved back `months` months, the day clamped to the month's length (relativedelta).
fn months_back(at: OffsetDateTime, months: i64) -> Option<OffsetDateTime> {
    let index = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 - months;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = at.day().min(month.length(year));
    let date = Date::from_calendar_date(year, month, day).ok()?;
    Some(at.replace_date(date))
}

/// A date-time without offset, with `T` or a space, with or without fractional seconds.
fn naive(text: &str) -> Option<PrimitiveDateTime> {
    let text = text.replacen(' ', "T", 1);
    PrimitiveDateTime::parse(
        &text,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
    )
    .or_else(|_| {
        PrimitiveDateTime::parse(
            &text,
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        )
    })
    .or_else(|_| {
        PrimitiveDateTime::parse(
            &text,
            format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        )
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_microseconds_only_when_non_zero() {
        assert_eq!(render(1_629_929_354_252_000), "2021-08-25T22:09:14.252000Z");
        assert_eq!(render(1_629_929_354_000_000), "2021-08-25T22:09:14Z");
        assert_eq!(render_python(0), "1970-01-01T00:00:00+00:00");
    }

    #[test]
    fn parses_iso_8601_variants() {
        let at = 1_686_839_400_000_000;
        assert_eq!(parse("2023-06-15T14:30:00Z"), Some(at));
        assert_eq!(parse("2023-06-15T16:30:00+02:00"), Some(at));
        assert_eq!(parse("2023-06-15T14:30:00"), Some(at));
        assert_eq!(parse("2023-06-15 14:30:00.5"), Some(at + 500_000));
        assert_eq!(parse("2023-06-15"), Some(1_686_787_200_000_000));
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn relative_dates_count_back_from_now() {
        // posthog/utils.py relative_date_parse_with_delta_mapping, as the HogQL date operators
        // read a filter's value.
        let now = parse("2024-03-31T10:20:30Z").unwrap();
        let at = |text| render(relative_date(text, now));
        assert_eq!(at("-30d"), "2024-03-01T10:20:30Z");
        assert_eq!(at("2d"), "2024-03-29T10:20:30Z", "the sign is ignored");
        assert_eq!(at("-1m"), "2024-02-29T10:20:30Z", "the day is clamped");
        assert_eq!(at("-2y"), "2022-03-31T10:20:30Z");
        assert_eq!(at("-3h"), "2024-03-31T07:20:30Z");
        assert_eq!(at("-5M"), "2024-03-31T10:15:30Z");
        assert_eq!(at("-1w"), "2024-03-24T10:20:30Z");
        assert_eq!(at("dStart"), "2024-03-31T00:00:00Z");
        assert_eq!(at("-1dEnd"), "2024-03-30T23:59:59.999999Z");
        assert_eq!(at("mStart"), "2024-03-01T10:20:30Z");
        assert_eq!(at("yStart"), "2024-01-01T10:20:30Z");
        assert_eq!(at("-1mEnd"), "2024-02-29T10:20:30Z");
        assert_eq!(at("2024-01-02"), "2024-01-02T00:00:00Z");
        assert_eq!(at("soon"), "2024-03-31T10:20:30Z", "no match is now");
    }

    #[test]
    fn event_timestamps_take_week_and_ordinal_dates() {
        // plugin-server/tests/worker/ingestion/timestamps.test.ts: parseDate()
        let day = 1_635_465_600_000_000;
        for text in [
            "2021-10-29",
            "2021-10-29 00:00:00",
            "2021-10-29 00:00:00.000000",
            "2021-10-29T00:00:00.000Z",
            "2021-10-29 00:00:00+00:00",
            "2021-10-29T00:00:00.000-00:00",
            "2021-10-29T00:00:00.000",
            "2021-10-29T00:00:00.000+00:00",
            "2021-W43-5",
            "2021-302",
        ] {
            assert_eq!(parse_event(text), Some(day), "{text}");
        }
        assert_eq!(
            parse_event("2021-W43-5T01:00:00Z"),
            Some(day + 3_600_000_000)
        );
        assert_eq!(parse_event("2021-W43"), Some(day - 4 * 86_400_000_000));
        for bad in [
            "notISO",
            "2021-W54-1",
            "2021-W43-8",
            "2021-367",
            "2021-3020",
        ] {
            assert_eq!(parse_event(bad), None, "{bad}");
        }
    }
}
