//! Times in a Whop seed: RFC 3339 text (Whop's own `event_time` format), or Unix seconds for
//! the times RFC 3339 cannot write.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time as a seed writes it.
///
/// Exports write RFC 3339 in UTC without fractional seconds (`2026-01-31T12:00:00Z`), which is
/// what Whop's `POST /events` takes as `event_time`. Times RFC 3339 cannot write (before year
/// 0 or after year 9999) are exported as whole Unix seconds, which loading accepts as well.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeedTime {
    /// An RFC 3339 date-time; fractional seconds are dropped, other offsets converted to UTC.
    Text(String),
    /// Seconds since the Unix epoch.
    Unix(i64),
}

impl SeedTime {
    /// `unix_seconds` as RFC 3339 in UTC, or as a number when RFC 3339 cannot write it.
    pub fn of(unix_seconds: i64) -> Self {
        OffsetDateTime::from_unix_timestamp(unix_seconds)
            .ok()
            .and_then(|time| time.format(&Rfc3339).ok())
            .map_or(SeedTime::Unix(unix_seconds), SeedTime::Text)
    }

    /// The time in whole Unix seconds (rounded down), or why the text is not a time.
    pub fn unix_seconds(&self) -> Result<i64, String> {
        match self {
            SeedTime::Unix(seconds) => Ok(*seconds),
            SeedTime::Text(text) => OffsetDateTime::parse(text, &Rfc3339)
                .map(OffsetDateTime::unix_timestamp)
                .map_err(|error| {
                    format!(
                        "`{text}` is not an RFC 3339 date-time such as 2026-01-31T12:00:00Z: {error}"
                    )
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_utc_without_fractions_and_reads_it_back() {
        let time = SeedTime::of(1_769_860_800);
        assert_eq!(time, SeedTime::Text("2026-01-31T12:00:00Z".into()));
        assert_eq!(time.unix_seconds(), Ok(1_769_860_800));
        assert_eq!(SeedTime::of(-1).unix_seconds(), Ok(-1));
    }

    #[test]
    fn fractions_round_down_and_offsets_convert() {
        let parse = |text: &str| SeedTime::Text(text.into()).unix_seconds();
        assert_eq!(parse("2026-01-31T12:00:00.999Z"), Ok(1_769_860_800));
        assert_eq!(parse("2026-01-31T13:00:00+01:00"), Ok(1_769_860_800));
        assert_eq!(parse("1969-12-31T23:59:59.5Z"), Ok(-1));
    }

    #[test]
    fn times_rfc_3339_cannot_write_stay_numbers() {
        for seconds in [i64::MAX, i64::MIN, 300_000_000_000] {
            assert_eq!(SeedTime::of(seconds), SeedTime::Unix(seconds));
            assert_eq!(SeedTime::of(seconds).unix_seconds(), Ok(seconds));
        }
    }

    #[test]
    fn bad_text_says_what_is_expected() {
        let error = SeedTime::Text("yesterday".into())
            .unix_seconds()
            .unwrap_err();
        assert!(error.contains("RFC 3339"), "{error}");
        let number: SeedTime = serde_json::from_str("17").unwrap();
        assert_eq!(number, SeedTime::Unix(17));
    }
}
