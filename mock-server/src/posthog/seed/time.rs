//! Times in a PostHog seed: RFC 3339 text in UTC with PostHog's microseconds, or microseconds
//! since the Unix epoch for the times RFC 3339 cannot write.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::posthog::time as posthog_time;

/// A point in time as a seed writes it.
///
/// Exports write RFC 3339 in UTC as PostHog renders times: `2025-01-01T00:00:00Z`, with six
/// fractional digits only when the microseconds are not zero (`…:00.250000Z`). Loading takes
/// any RFC 3339 time, with or without fractional seconds (at most microseconds), in any offset.
/// Times outside years 1–9999 are exported as whole microseconds since the epoch, which loading
/// accepts as well.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "an RFC 3339 time such as 2025-01-01T00:00:00Z, or microseconds since the Unix epoch"
)]
pub enum SeedTime {
    /// An RFC 3339 date-time.
    Text(String),
    /// Microseconds since the Unix epoch.
    Micros(i64),
}

impl SeedTime {
    /// `micros` as RFC 3339 in UTC, or as a number when it falls outside years 1–9999.
    pub fn of(micros: i64) -> Self {
        if posthog_time::is_renderable(micros) {
            SeedTime::Text(posthog_time::render(micros))
        } else {
            SeedTime::Micros(micros)
        }
    }

    /// The time in microseconds since the epoch, or why the text is not a time.
    pub fn micros(&self) -> Result<i64, String> {
        let text = match self {
            SeedTime::Micros(micros) => return Ok(*micros),
            SeedTime::Text(text) => text,
        };
        let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|error| {
            format!("`{text}` is not an RFC 3339 time such as 2025-01-01T00:00:00Z: {error}")
        })?;
        let nanos = at.unix_timestamp_nanos();
        if nanos % 1000 != 0 {
            return Err(format!(
                "`{text}` is more precise than PostHog's microseconds"
            ));
        }
        i64::try_from(nanos / 1000).map_err(|_| format!("`{text}` is out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_posthogs_rendering_and_reads_it_back() {
        let at = 1_735_689_600_250_000;
        assert_eq!(
            SeedTime::of(at),
            SeedTime::Text("2025-01-01T00:00:00.250000Z".into())
        );
        assert_eq!(SeedTime::of(at).micros(), Ok(at));
        assert_eq!(
            SeedTime::of(1_735_689_600_000_000),
            SeedTime::Text("2025-01-01T00:00:00Z".into())
        );
        assert_eq!(SeedTime::of(-1).micros(), Ok(-1));
    }

    #[test]
    fn reads_fractions_and_offsets() {
        let parse = |text: &str| SeedTime::Text(text.into()).micros();
        assert_eq!(parse("2025-01-01T00:00:00Z"), Ok(1_735_689_600_000_000));
        assert_eq!(parse("2025-01-01T00:00:00.5Z"), Ok(1_735_689_600_500_000));
        assert_eq!(
            parse("2025-01-01T01:00:00+01:00"),
            Ok(1_735_689_600_000_000)
        );
        let error = parse("2025-01-01T00:00:00.0000001Z").unwrap_err();
        assert!(error.contains("microseconds"), "{error}");
        let error = parse("yesterday").unwrap_err();
        assert!(error.contains("RFC 3339"), "{error}");
    }

    #[test]
    fn times_rfc_3339_cannot_write_stay_numbers() {
        for micros in [i64::MAX, i64::MIN, -62_135_596_800_000_001] {
            assert_eq!(SeedTime::of(micros), SeedTime::Micros(micros));
            assert_eq!(SeedTime::of(micros).micros(), Ok(micros));
        }
        let number: SeedTime = serde_json::from_str("17").unwrap();
        assert_eq!(number, SeedTime::Micros(17));
        let error = serde_json::from_str::<SeedTime>("true").unwrap_err();
        assert!(error.to_string().contains("RFC 3339"), "{error}");
    }
}
