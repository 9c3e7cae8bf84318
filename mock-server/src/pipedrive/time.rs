//! Pipedrive's time formats: v1 `YYYY-MM-DD HH:MM:SS` (UTC), v2 RFC 3339, dates and clock
//! times.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// `YYYY-MM-DD HH:MM:SS`.
pub fn v1(unix: i64) -> String {
    let at = at(unix);
    digits(at, b' ', "").unwrap_or_else(|| {
        let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        at.format(format).unwrap_or_default()
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn v2(unix: i64) -> String {
    let at = at(unix);
    digits(at, b'T', "Z").unwrap_or_else(|| {
        let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        at.format(format).unwrap_or_default()
    })
}

/// `YYYY-MM-DD{separator}HH:MM:SS{suffix}` written digit by digit (lists format two or three
/// times per person), for the years 0–9999 the format descriptions above print alike; `None`
/// for others.
fn digits(at: OffsetDateTime, separator: u8, suffix: &str) -> Option<String> {
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let mut text = Vec::with_capacity(19 + suffix.len());
    let mut push = |value: u32, width: u32, after: &[u8]| {
        for place in (0..width).rev() {
            let digit = value / 10_u32.pow(place) % 10;
            text.push(b'0' + u8::try_from(digit).unwrap_or_default());
        }
        text.extend_from_slice(after);
    };
    push(year, 4, b"-");
    push(u32::from(u8::from(at.month())), 2, b"-");
    push(u32::from(at.day()), 2, &[separator]);
    push(u32::from(at.hour()), 2, b":");
    push(u32::from(at.minute()), 2, b":");
    push(u32::from(at.second()), 2, suffix.as_bytes());
    String::from_utf8(text).ok()
}

/// `YYYY-MM-DD` of a Unix time.
pub fn date(unix: i64) -> String {
    at(unix).date().to_string()
}

/// Parses a v1 `YYYY-MM-DD HH:MM:SS` time.
pub fn parse_v1(text: &str) -> Option<i64> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(|at| at.assume_utc().unix_timestamp())
}

/// Parses an RFC 3339 time.
pub fn parse_v2(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// Parses `HH:MM` or `HH:MM:SS` into `HH:MM:SS`.
pub fn parse_clock(text: &str) -> Option<String> {
    let long = format_description!("[hour]:[minute]:[second]");
    let short = format_description!("[hour]:[minute]");
    let parsed = Time::parse(text, long)
        .or_else(|_| Time::parse(text, short))
        .ok()?;
    parsed.format(long).ok()
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_both_versions() {
        assert_eq!(v1(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(v2(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_v1("2023-11-14 22:13:20"), Some(1_700_000_000));
        assert_eq!(parse_v2("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_clock("9:30").as_deref(), None);
        assert_eq!(parse_clock("09:30").as_deref(), Some("09:30:00"));
        assert!(parse_date("2024-02-30").is_none());
    }

    #[test]
    fn digit_by_digit_formatting_matches_the_format_descriptions() {
        let long = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let zulu = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        for unix in [
            i64::MIN,
            -62_167_219_201,
            -62_167_219_200,
            -1,
            0,
            951_782_400,
            1_700_000_000,
            253_402_300_799,
            253_402_300_800,
            i64::MAX,
        ] {
            let at = at(unix);
            assert_eq!(v1(unix), at.format(long).unwrap(), "{unix}");
            assert_eq!(v2(unix), at.format(zulu).unwrap(), "{unix}");
        }
    }
}
