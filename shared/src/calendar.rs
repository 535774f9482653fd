//! Instants and calendar dates as records carry them. The clock itself lives outside `shared`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where the server and the station take the time from: each shell reads the system's clock
/// in one place ([`Timestamp::from_system_time`] over `SystemTime::now()`), tests pass a fixed
/// or stepping one. The core itself never reads a clock.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Milliseconds since the Unix epoch (UTC). Records state when they were signed; rules compare
/// that with the `now` their caller passes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    /// A time the system's clock gave, in whole milliseconds; a time before 1970 reads as 0.
    pub fn from_system_time(time: SystemTime) -> Self {
        let ms = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Self(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// An RFC 3339 time with its offset (as EPCIS and HTTP APIs write them), to the
    /// millisecond; `None` for text that is not one. A time before 1970 reads as 0.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
        Some(Self(u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)))
    }

    /// RFC 3339 in UTC, for people and for EPCIS.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_else(|| format!("{}ms", self.0))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: what a person or an error message reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A calendar date (ISO 8601 `YYYY-MM-DD`), such as a birth date or a pressing date.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a calendar date written YYYY-MM-DD")]
pub struct DateError(pub String);

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Date {
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        time::Month::try_from(month)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(year, m, day).ok())
            .map(Self)
            .ok_or_else(|| DateError(format!("{year:04}-{month:02}-{day:02}")))
    }

    /// The date on which `t` falls, in UTC.
    pub fn of(t: Timestamp) -> Self {
        let secs = i64::try_from(t.0 / 1000).unwrap_or(i64::MAX);
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Self(dt.date())
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // `time` accepts 5+ digit years with a sign; a record's date is exactly 10 characters.
        if s.len() != 10 {
            return Err(DateError(s.to_owned()));
        }
        time::Date::parse(s, DATE_FORMAT).map(Self).map_err(|_| DateError(s.to_owned()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_system_time_reads_as_milliseconds_since_the_epoch() {
        use std::time::Duration;
        let at = UNIX_EPOCH + Duration::from_millis(1_790_000_000_123) + Duration::from_micros(999);
        assert_eq!(Timestamp::from_system_time(at), Timestamp(1_790_000_000_123));
        assert_eq!(Timestamp::from_system_time(UNIX_EPOCH - Duration::from_secs(1)), Timestamp(0));
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!("2026-03-01".parse::<Date>().map(|d| d.to_string()), Ok("2026-03-01".into()));
        for bad in ["2026-02-30", "2026-3-01", "26-03-01", "2026-03-01T00:00", "+02026-03-01"] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(Date::of(Timestamp(86_400_000 * 365)).to_string(), "1971-01-01");
        assert_eq!(Timestamp(1_500).to_rfc3339(), "1970-01-01T00:00:01.5Z");
    }
}
