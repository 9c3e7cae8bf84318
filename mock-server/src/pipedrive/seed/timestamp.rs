//! Times in a seed: RFC 3339 strings (exports write UTC with a `Z` and whole seconds), or
//! Unix seconds as an integer for times RFC 3339 cannot spell (years beyond 9999).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, kept in whole Unix seconds as the Pipedrive model keeps it.
///
/// Reads `2024-05-01T09:30:00Z`, `2024-05-01T09:30:00.250Z` (fractions are dropped),
/// `2024-05-01T12:30:00+03:00` (converted to UTC) or `1714555800`; writes the first form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeedTime(pub i64);

impl SeedTime {
    /// The RFC 3339 spelling in UTC, when the year fits in four digits.
    fn rfc3339(self) -> Option<String> {
        let at = OffsetDateTime::from_unix_timestamp(self.0).ok()?;
        (0..=9999)
            .contains(&at.year())
            .then(|| at.format(&Rfc3339).ok())
            .flatten()
    }

    /// Parses an RFC 3339 time.
    pub fn parse(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .ok()
            .map(|at| Self(at.unix_timestamp()))
    }
}

impl Serialize for SeedTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(text) => serializer.serialize_str(&text),
            None => serializer.serialize_i64(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for SeedTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SeedTimeVisitor)
    }
}

struct SeedTimeVisitor;

impl Visitor<'_> for SeedTimeVisitor {
    type Value = SeedTime;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an RFC 3339 time such as 2024-05-01T09:30:00Z, or Unix seconds")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<SeedTime, E> {
        SeedTime::parse(text).ok_or_else(|| {
            E::custom(format!(
                "invalid time {text:?}: expected RFC 3339 such as 2024-05-01T09:30:00Z"
            ))
        })
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<SeedTime, E> {
        Ok(SeedTime(seconds))
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<SeedTime, E> {
        i64::try_from(seconds)
            .map(SeedTime)
            .map_err(|_| E::custom(format!("time {seconds} is out of range")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utc_offsets_fractions_and_seconds() {
        let read = |text: &str| serde_json::from_str::<SeedTime>(text).map(|time| time.0);
        assert_eq!(read("\"2023-11-14T22:13:20Z\"").unwrap(), 1_700_000_000);
        assert_eq!(read("\"2023-11-14T22:13:20.999Z\"").unwrap(), 1_700_000_000);
        assert_eq!(
            read("\"2023-11-15T01:13:20+03:00\"").unwrap(),
            1_700_000_000
        );
        assert_eq!(read("1700000000").unwrap(), 1_700_000_000);
        let error = read("\"2023-11-14 22:13:20\"").unwrap_err().to_string();
        assert!(error.contains("RFC 3339"), "{error}");
        assert!(read("18446744073709551615").is_err());
    }

    #[test]
    fn writes_utc_and_falls_back_to_seconds_beyond_year_9999() {
        let write = |seconds| serde_json::to_string(&SeedTime(seconds)).unwrap();
        assert_eq!(write(1_700_000_000), "\"2023-11-14T22:13:20Z\"");
        assert_eq!(write(-1), "\"1969-12-31T23:59:59Z\"");
        assert_eq!(write(i64::MAX), i64::MAX.to_string());
        let far = 300_000_000_000;
        let back: SeedTime = serde_json::from_str(&write(far)).unwrap();
        assert_eq!(back, SeedTime(far));
    }
}
