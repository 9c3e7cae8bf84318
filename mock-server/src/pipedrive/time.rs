//! Pipedrive's time formats: v1 `YYYY-MM-DD HH:MM:SS` (UTC), v2 RFC 3339, dates and clock
//! times.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// `YYYY-MM-DD HH:MM:SS`.
pub fn v1(unix: i64) -> String {
    let at = at(unix);
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.format(format).unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn v2(unix: i64) -> String {
    let at = at(unix);
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.format(format).unwrap_or_default()
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
}
