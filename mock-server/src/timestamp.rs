//! [`Timestamp`]: the one type every vendor's log entries, seeds and the data directory write
//! times with.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A point in time, to the microsecond: what PostHog keeps, and enough for Whop's and
/// Pipedrive's whole seconds.
///
/// It is written as RFC 3339 in UTC (`2026-01-31T12:00:00Z`, with six fractional digits only
/// when the microseconds are not zero: `…:00.250000Z`). A time RFC 3339 cannot write (before
/// year 0 or after year 9999) is written as whole Unix seconds (`-62198755200`), or, with a
/// fraction, as `{seconds, micros}`. Reading takes all three forms; text may carry any offset
/// and at most six fractional digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    micros: u32,
}

impl Timestamp {
    /// `seconds` after the Unix epoch.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self { seconds, micros: 0 }
    }

    /// `micros` microseconds after the Unix epoch.
    pub fn from_unix_micros(micros: i64) -> Self {
        Self {
            seconds: micros.div_euclid(MICROS_PER_SECOND),
            micros: u32::try_from(micros.rem_euclid(MICROS_PER_SECOND)).unwrap_or(0),
        }
    }

    /// Whole seconds after the Unix epoch (the fraction dropped, rounding down).
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// Microseconds after the Unix epoch, saturating where they do not fit an `i64` (beyond
    /// ±292,000 years).
    pub fn unix_micros(self) -> i64 {
        self.seconds
            .saturating_mul(MICROS_PER_SECOND)
            .saturating_add(i64::from(self.micros))
    }

    /// Parses RFC 3339 text, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let at = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|error| {
            format!("`{text}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z: {error}")
        })?;
        if at.nanosecond() % 1000 != 0 {
            return Err(format!("`{text}` is more precise than a microsecond"));
        }
        Ok(Self {
            seconds: at.unix_timestamp(),
            micros: at.microsecond(),
        })
    }
}

/// RFC 3339 text of a time in years 0–9999, in a buffer: `2026-01-31T12:00:00Z`, or with six
/// fractional digits, 28 bytes at most.
struct Rfc3339Text {
    bytes: [u8; 28],
    len: usize,
}

impl Rfc3339Text {
    /// Written digit by digit, not through `write!`'s padding nor a calendar library's
    /// conversions: every entry of a log writes its times. `None` outside years 0–9999.
    fn of(seconds: i64, micros: u32) -> Option<Self> {
        let (year, month, day) = civil(seconds.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let in_day = seconds.rem_euclid(86_400) as u32;
        let mut text = Self {
            bytes: [0; 28],
            len: 0,
        };
        let mut put = |mut value: u32, width: usize, after: u8| {
            for digit in text.bytes[text.len..text.len + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
            text.bytes[text.len + width] = after;
            text.len += width + 1;
        };
        put(year as u32, 4, b'-');
        put(month, 2, b'-');
        put(day, 2, b'T');
        put(in_day / 3600, 2, b':');
        put(in_day / 60 % 60, 2, b':');
        if micros == 0 {
            put(in_day % 60, 2, b'Z');
        } else {
            put(in_day % 60, 2, b'.');
            put(micros, 6, b'Z');
        }
        Some(text)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// The proleptic Gregorian `(year, month, day)` of `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`: counted in 400-year eras from 0000-03-01, so leap days end a year).
fn civil(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let of_era = days.rem_euclid(146_097);
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * of_year + 2) / 153;
    let day = (of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Rfc3339Text::of(self.seconds, self.micros) {
            Some(text) => f.write_str(text.as_str()),
            None => match self.micros {
                0 => write!(f, "{}", self.seconds),
                fraction => write!(f, "{}.{fraction:06}", self.seconds),
            },
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(text) = Rfc3339Text::of(self.seconds, self.micros) {
            return serializer.serialize_str(text.as_str());
        }
        if self.micros == 0 {
            return serializer.serialize_i64(self.seconds);
        }
        let mut exact = serializer.serialize_struct("Timestamp", 2)?;
        exact.serialize_field("seconds", &self.seconds)?;
        exact.serialize_field("micros", &self.micros)?;
        exact.end()
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an RFC 3339 time such as 2026-01-31T12:00:00Z, or Unix seconds")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        Timestamp::parse(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_unix_seconds(seconds))
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Timestamp, E> {
        i64::try_from(seconds)
            .map(Timestamp::from_unix_seconds)
            .map_err(|_| E::custom(format!("{seconds} Unix seconds is out of range")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
        let (mut seconds, mut micros) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "seconds" => seconds = Some(map.next_value::<i64>()?),
                "micros" => micros = Some(map.next_value::<u32>()?),
                other => {
                    return Err(de::Error::unknown_field(other, &["seconds", "micros"]));
                }
            }
        }
        let seconds = seconds.ok_or_else(|| de::Error::missing_field("seconds"))?;
        let micros = micros.unwrap_or(0);
        if i64::from(micros) >= MICROS_PER_SECOND {
            return Err(de::Error::custom(format!(
                "`micros` must be below 1000000, got {micros}"
            )));
        }
        Ok(Timestamp { seconds, micros })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn json(timestamp: Timestamp) -> String {
        serde_json::to_string(&timestamp).unwrap()
    }

    fn read(text: &str) -> Result<Timestamp, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    #[test]
    fn writes_utc_with_microseconds_only_when_there_are_some() {
        assert_eq!(
            json(Timestamp::from_unix_seconds(1_769_860_800)),
            r#""2026-01-31T12:00:00Z""#
        );
        assert_eq!(
            json(Timestamp::from_unix_micros(1_769_860_800_250_000)),
            r#""2026-01-31T12:00:00.250000Z""#
        );
        assert_eq!(
            json(Timestamp::from_unix_micros(-1)),
            r#""1969-12-31T23:59:59.999999Z""#
        );
    }

    #[test]
    fn reads_any_offset_and_fraction_up_to_microseconds() {
        let noon = Timestamp::from_unix_seconds(1_769_860_800);
        assert_eq!(read(r#""2026-01-31T13:00:00+01:00""#), Ok(noon));
        assert_eq!(read("1769860800"), Ok(noon));
        assert_eq!(
            read(r#""2026-01-31T12:00:00.5Z""#).map(Timestamp::unix_micros),
            Ok(1_769_860_800_500_000)
        );
        let error = read(r#""2026-01-31T12:00:00.0000001Z""#).unwrap_err();
        assert!(error.contains("more precise than a microsecond"), "{error}");
        let error = read(r#""yesterday""#).unwrap_err();
        assert!(error.contains("RFC 3339"), "{error}");
    }

    #[test]
    fn times_rfc_3339_cannot_write_are_numbers_or_exact_pairs() {
        let far = Timestamp::from_unix_seconds(i64::MAX);
        assert_eq!(json(far), i64::MAX.to_string());
        let before_year_zero = Timestamp::from_unix_micros(-70_000_000_000_000_001);
        assert_eq!(
            json(before_year_zero),
            r#"{"seconds":-70000000001,"micros":999999}"#
        );
        let error = read(r#"{"seconds": 1, "micros": 1000000}"#).unwrap_err();
        assert!(
            error.starts_with("`micros` must be below 1000000, got 1000000"),
            "{error}"
        );
        assert_eq!(before_year_zero.to_string(), "-70000000001.999999");
        let first = -62_167_219_200;
        assert_eq!(
            json(Timestamp::from_unix_seconds(first)),
            r#""0000-01-01T00:00:00Z""#
        );
        assert_eq!(
            json(Timestamp::from_unix_seconds(first - 1)),
            "-62167219201"
        );
        let last = 253_402_300_799;
        assert_eq!(
            json(Timestamp::from_unix_seconds(last)),
            r#""9999-12-31T23:59:59Z""#
        );
        assert_eq!(json(Timestamp::from_unix_seconds(last + 1)), "253402300800");
        assert_eq!(
            json(Timestamp::from_unix_seconds(i64::MIN)),
            i64::MIN.to_string()
        );
    }

    #[test]
    fn saturates_microseconds_beyond_i64() {
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MAX).unix_micros(),
            i64::MAX
        );
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MIN).unix_micros(),
            i64::MIN
        );
        assert_eq!(Timestamp::from_unix_micros(-1).unix_seconds(), -1);
    }

    proptest! {
        #[test]
        fn every_timestamp_reads_back_as_written(seconds in any::<i64>(), micros in 0u32..1_000_000) {
            let timestamp = Timestamp { seconds, micros };
            prop_assert_eq!(read(&json(timestamp)), Ok(timestamp));
        }

        /// The digit-by-digit writing agrees with `write!`'s padding.
        #[test]
        fn writes_what_padded_formatting_writes(seconds in -62_167_219_200i64..253_402_300_800, micros in prop_oneof![Just(0u32), 0u32..1_000_000]) {
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let mut expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            );
            if micros == 0 {
                expected.push('Z');
            } else {
                expected.push_str(&format!(".{micros:06}Z"));
            }
            prop_assert_eq!(Timestamp { seconds, micros }.to_string(), expected);
        }

        #[test]
        fn microseconds_round_trip(micros in any::<i64>()) {
            prop_assert_eq!(Timestamp::from_unix_micros(micros).unix_micros(), micros);
        }
    }
}
