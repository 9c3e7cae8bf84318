//! Which contract of Whop's People API a request speaks, told by its `Api-Version-Date`
//! header, and the two ways the contracts write and read times.

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::api::parse_integer;
use super::error::WhopError;
use crate::Timestamp;
use crate::http::ApiRequest;

/// The header Whop's SDKs pin their API version with.
pub const VERSION_HEADER: &str = "Api-Version-Date";

/// The first version of each contract after Era A, as `(year, month, day, revision)`.
const EARLY_B: (u16, u8, u8, u32) = (2026, 7, 8, 0);
const LATE_B: (u16, u8, u8, u32) = (2026, 7, 20, 0);
const ERA_C: (u16, u8, u8, u32) = (2026, 7, 23, 0);

/// A contract of the People API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// No header (or a version before 2026-07-08): offset pages, `sort`/`filters`, Unix times,
    /// `{data}`-wrapped retrieve. The seed's contract.
    A,
    /// 2026-07-08 to 2026-07-19 (`whop-sdk` 0.0.41): Era A's list with cursor pages, Unix times.
    EarlyB,
    /// 2026-07-20 to 2026-07-22 (`@whop/sdk` 0.0.42): as early B, with ISO-8601 times.
    LateB,
    /// 2026-07-23 on (`whop-sdk` 2.6.0 sends 2026-10-15-1): identity profiles, `order` and
    /// explicit filters, bare retrieve by any identifier.
    C,
}

impl Era {
    /// The contract `request` speaks. A header that is not `YYYY-MM-DD` with an optional
    /// `-N` revision is a 400 naming it.
    pub fn of(request: &ApiRequest) -> Result<Self, WhopError> {
        let Some(raw) = request.header(VERSION_HEADER) else {
            return Ok(Era::A);
        };
        let version = parse_version(raw.trim()).ok_or_else(|| {
            WhopError::invalid_param(
                VERSION_HEADER,
                format!(
                    "`{VERSION_HEADER}` must be a date such as 2026-10-15 or 2026-10-15-1, got `{raw}`."
                ),
            )
        })?;
        Ok(if version >= ERA_C {
            Era::C
        } else if version >= LATE_B {
            Era::LateB
        } else if version >= EARLY_B {
            Era::EarlyB
        } else {
            Era::A
        })
    }

    /// How it writes and reads times.
    pub fn times(self) -> TimeFormat {
        match self {
            Era::A | Era::EarlyB => TimeFormat::Unix,
            Era::LateB | Era::C => TimeFormat::Iso,
        }
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD-N` as a comparable tuple (a real calendar date).
fn parse_version(text: &str) -> Option<(u16, u8, u8, u32)> {
    let mut parts = text.splitn(4, '-');
    let year: u16 = digits(parts.next()?, 4)?;
    let month: u8 = digits(parts.next()?, 2)?;
    let day: u8 = digits(parts.next()?, 2)?;
    let revision = match parts.next() {
        None => 0,
        Some(revision) => digits(revision, revision.len().clamp(1, 4))?,
    };
    let month_ok = time::Month::try_from(month).ok()?;
    time::Date::from_calendar_date(i32::from(year), month_ok, day).ok()?;
    Some((year, month, day, revision))
}

fn digits<T: std::str::FromStr>(text: &str, len: usize) -> Option<T> {
    (text.len() == len && text.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// How a contract writes times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeFormat {
    /// Whole Unix seconds, as JSON numbers.
    Unix,
    /// ISO-8601 / RFC 3339 text in UTC (`2026-01-31T12:00:00Z`).
    Iso,
}

impl TimeFormat {
    /// A time parameter, in whole Unix seconds: an integer for [`TimeFormat::Unix`], an
    /// RFC 3339 date-time of any precision and offset (or a bare `YYYY-MM-DD`, its midnight
    /// UTC) for [`TimeFormat::Iso`].
    pub fn parse(self, name: &str, raw: &str) -> Result<i64, WhopError> {
        let raw = raw.trim();
        match self {
            TimeFormat::Unix => parse_integer(name, raw),
            TimeFormat::Iso => {
                let text = if raw.len() == 10 {
                    format!("{raw}T00:00:00Z")
                } else {
                    raw.to_owned()
                };
                OffsetDateTime::parse(&text, &Rfc3339)
                    .map(OffsetDateTime::unix_timestamp)
                    .map_err(|_| {
                        WhopError::invalid_param(
                            name,
                            format!(
                                "`{name}` must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got `{raw}`."
                            ),
                        )
                    })
            }
        }
    }

    /// `seconds` written this way.
    pub fn at(self, seconds: i64) -> Time {
        Time {
            seconds,
            format: self,
        }
    }
}

/// A time as a contract writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    seconds: i64,
    format: TimeFormat,
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.format {
            TimeFormat::Unix => serializer.serialize_i64(self.seconds),
            TimeFormat::Iso => Timestamp::from_unix_seconds(self.seconds).serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn era(header: Option<&str>) -> Result<Era, WhopError> {
        let mut request = ApiRequest::new("GET", "/whop/api/v1/people");
        if let Some(value) = header {
            request = request.with_header(VERSION_HEADER, value);
        }
        Era::of(&request)
    }

    #[test]
    fn each_sdk_gets_its_contract() {
        assert_eq!(era(None), Ok(Era::A));
        assert_eq!(era(Some("2026-01-01")), Ok(Era::A));
        assert_eq!(era(Some("2026-07-08-1")), Ok(Era::EarlyB));
        assert_eq!(era(Some("2026-07-19")), Ok(Era::EarlyB));
        assert_eq!(era(Some("2026-07-20")), Ok(Era::LateB));
        assert_eq!(era(Some("2026-07-23")), Ok(Era::C));
        assert_eq!(era(Some("2026-09-09-1")), Ok(Era::C));
        assert_eq!(era(Some("2026-10-15-1")), Ok(Era::C));
        assert_eq!(era(Some("2031-01-01")), Ok(Era::C));
    }

    #[test]
    fn malformed_versions_are_a_400_naming_the_header() {
        for bad in [
            "",
            "latest",
            "2026-13-01",
            "2026-02-30",
            "2026-7-20",
            "2026-07-20-x",
        ] {
            let error = era(Some(bad)).unwrap_err();
            assert_eq!(
                (error.status, error.param.as_deref()),
                (400, Some(VERSION_HEADER)),
                "{bad}"
            );
        }
    }

    #[test]
    fn times_read_and_write_per_contract() {
        assert_eq!(
            TimeFormat::Unix.parse("from", "1769860800"),
            Ok(1_769_860_800)
        );
        assert!(TimeFormat::Unix.parse("from", "2026-01-31").is_err());
        assert_eq!(
            TimeFormat::Iso.parse("from", "2026-01-31T12:00:00.000Z"),
            Ok(1_769_860_800)
        );
        assert_eq!(
            TimeFormat::Iso.parse("from", "2026-01-31"),
            Ok(1_769_817_600)
        );
        let json = |time: Time| serde_json::to_string(&time).unwrap();
        assert_eq!(json(TimeFormat::Unix.at(1_769_860_800)), "1769860800");
        assert_eq!(
            json(TimeFormat::Iso.at(1_769_860_800)),
            "\"2026-01-31T12:00:00Z\""
        );
    }
}
