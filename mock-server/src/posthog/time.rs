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
}
