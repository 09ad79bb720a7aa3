//! Temporal values: Cypher's `DATE`, `LOCAL TIME`, `ZONED TIME`,
//! `LOCAL DATETIME`, `ZONED DATETIME` and `DURATION`, with Neo4j's
//! semantics — how they are built from maps and ISO 8601 strings
//! ([`build`], [`parse`]), what they print as, how they compare and
//! order, and their arithmetic ([`arith`]).
//!
//! The calendar is the proleptic Gregorian one over years −999,999,999 to
//! +999,999,999, with ISO weeks (Monday first; week 1 holds the year's
//! first Thursday); times count nanoseconds. The calendar arithmetic is
//! this module's own (days since 1970-01-01 in an `i64`). Time zones are
//! an offset in seconds, or a named zone of the IANA database (bundled in
//! `jiff`, so a zone's rules do not depend on the host), whose offset at
//! each instant the database gives; named zones cover years −9999 to 9999.
//!
//! Equality is Neo4j's: two zoned values are equal when their local values
//! and zones are (`12:00+01:00` is not `11:00Z`); the comparison operators
//! and `ORDER BY` compare zoned values by instant. Durations are equal
//! when their months, days, seconds and nanoseconds are; `<` on durations
//! is `null`.

pub(crate) mod arith;
pub(crate) mod build;
pub(crate) mod parse;

use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub(crate) const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;
pub(crate) const NANOS_PER_DAY: i64 = SECONDS_PER_DAY * NANOS_PER_SECOND;
/// The years a date may have.
pub(crate) const MIN_YEAR: i64 = -999_999_999;
pub(crate) const MAX_YEAR: i64 = 999_999_999;
/// The largest offset from UTC, in seconds (±18 hours, as ISO 8601 and
/// Java allow).
pub(crate) const MAX_OFFSET: i32 = 18 * 3600;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i64,
}

/// A time of day without a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LocalTime {
    /// Nanoseconds since midnight, below one day's.
    nanos: i64,
}

/// A time of day at an offset from UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Time {
    time: LocalTime,
    /// Seconds east of UTC.
    offset: i32,
}

/// A date and a time of day without a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LocalDateTime {
    date: Date,
    time: LocalTime,
}

/// A date and time in a zone: an instant, its offset there, and the
/// zone's name when it was given by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateTime {
    local: LocalDateTime,
    /// Seconds east of UTC at this instant.
    offset: i32,
    /// An IANA zone name (`Europe/Stockholm`); `None` when the zone is
    /// the offset alone.
    zone: Option<String>,
}

/// An amount of time in months, days and seconds, kept apart (a month
/// is not a fixed number of days, nor a day of seconds where clocks
/// change).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Duration {
    months: i64,
    days: i64,
    seconds: i64,
    /// Nanoseconds past `seconds`, in `0..1_000_000_000`.
    nanos: i32,
}

/// A temporal value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Temporal {
    /// `DATE`.
    Date(Date),
    /// `LOCAL TIME`.
    LocalTime(LocalTime),
    /// `ZONED TIME`.
    Time(Time),
    /// `LOCAL DATETIME`.
    LocalDateTime(LocalDateTime),
    /// `ZONED DATETIME`.
    DateTime(DateTime),
    /// `DURATION`.
    Duration(Duration),
}

/// The six temporal types, by the functions that make them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Date,
    LocalTime,
    Time,
    LocalDateTime,
    DateTime,
    Duration,
}

impl Kind {
    /// The kind a function name (`date`, `localdatetime`, ...) makes.
    pub(crate) fn of_function(name: &str) -> Option<Kind> {
        Some(match name {
            "date" => Kind::Date,
            "localtime" => Kind::LocalTime,
            "time" => Kind::Time,
            "localdatetime" => Kind::LocalDateTime,
            "datetime" => Kind::DateTime,
            "duration" => Kind::Duration,
            _ => return None,
        })
    }

    pub(crate) fn function(self) -> &'static str {
        match self {
            Kind::Date => "date",
            Kind::LocalTime => "localtime",
            Kind::Time => "time",
            Kind::LocalDateTime => "localdatetime",
            Kind::DateTime => "datetime",
            Kind::Duration => "duration",
        }
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(message.into())
}

// ---- the calendar ----------------------------------------------------

/// `(year, month, day)` of a day count since 1970-01-01.
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a valid `(year, month, day)`.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn month_length(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// ISO day of week, Monday 1 to Sunday 7.
pub(crate) fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// The first day (a Monday) of ISO week 1 of `year`.
fn week_one(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (weekday(jan4) - 1)
}

/// `(week-based year, week)` of a day.
pub(crate) fn iso_week(days: i64) -> (i64, i64) {
    let thursday = days - weekday(days) + 4;
    let (year, _, _) = civil(thursday);
    (year, (thursday - week_one(year)) / 7 + 1)
}

/// How many ISO weeks `year` has (52 or 53).
fn weeks_in(year: i64) -> i64 {
    iso_week(days_from_civil(year, 12, 28)).1
}

fn check_year(year: i64) -> Result<()> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(invalid(format!(
            "year {year} is out of range ({MIN_YEAR} to {MAX_YEAR})"
        )))
    }
}

fn check_field(name: &str, value: i64, lo: i64, hi: i64) -> Result<()> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{name} {value} is out of range ({lo} to {hi})"
        )))
    }
}

impl Date {
    /// The date of a calendar year, month and day.
    pub fn from_ymd(year: i64, month: i64, day: i64) -> Result<Date> {
        check_year(year)?;
        check_field("month", month, 1, 12)?;
        let len = i64::from(month_length(year, month as u32));
        check_field("day", day, 1, len)?;
        Ok(Date {
            days: days_from_civil(year, month as u32, day as u32),
        })
    }

    /// The date of an ISO week-based year, week and day of week.
    pub fn from_week(year: i64, week: i64, day_of_week: i64) -> Result<Date> {
        check_year(year)?;
        check_field("week", week, 1, weeks_in(year))?;
        check_field("dayOfWeek", day_of_week, 1, 7)?;
        Date::from_days(week_one(year) + (week - 1) * 7 + day_of_week - 1)
    }

    /// The date of a year and day of the year.
    pub fn from_ordinal(year: i64, ordinal: i64) -> Result<Date> {
        check_year(year)?;
        check_field(
            "ordinalDay",
            ordinal,
            1,
            if is_leap(year) { 366 } else { 365 },
        )?;
        Ok(Date {
            days: days_from_civil(year, 1, 1) + ordinal - 1,
        })
    }

    /// The date of a year, quarter and day of the quarter.
    pub fn from_quarter(year: i64, quarter: i64, day: i64) -> Result<Date> {
        check_year(year)?;
        check_field("quarter", quarter, 1, 4)?;
        let first = days_from_civil(year, (quarter as u32 - 1) * 3 + 1, 1);
        let next = if quarter == 4 {
            days_from_civil(year + 1, 1, 1)
        } else {
            days_from_civil(year, quarter as u32 * 3 + 1, 1)
        };
        check_field("dayOfQuarter", day, 1, next - first)?;
        Ok(Date {
            days: first + day - 1,
        })
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Result<Date> {
        // Far outside the years Cypher has (and the calendar's arithmetic).
        let max_year = u64::try_from(MAX_YEAR).unwrap_or(u64::MAX);
        if days.unsigned_abs() > 366 * (max_year + 2) {
            return Err(out_of_range());
        }
        let (year, _, _) = civil(days);
        check_year(year)?;
        Ok(Date { days })
    }

    /// Days since 1970-01-01.
    #[must_use]
    pub fn days(self) -> i64 {
        self.days
    }

    /// `(year, month, day)`.
    #[must_use]
    pub fn ymd(self) -> (i64, u32, u32) {
        civil(self.days)
    }

    /// The date `months` later (the day kept, or the month's last).
    pub(crate) fn plus_months(self, months: i64) -> Result<Date> {
        let (year, month, day) = self.ymd();
        let total = year
            .checked_mul(12)
            .and_then(|m| m.checked_add(i64::from(month) - 1))
            .and_then(|m| m.checked_add(months))
            .ok_or_else(out_of_range)?;
        let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        check_year(year)?;
        let day = day.min(month_length(year, month));
        Ok(Date {
            days: days_from_civil(year, month, day),
        })
    }

    pub(crate) fn plus_days(self, days: i64) -> Result<Date> {
        Date::from_days(self.days.checked_add(days).ok_or_else(out_of_range)?)
    }

    /// A named component (`year`, `week`, `dayOfQuarter`, ...).
    fn component(self, name: &str) -> Option<i64> {
        let (year, month, day) = self.ymd();
        let quarter = i64::from((month - 1) / 3 + 1);
        Some(match name {
            "year" => year,
            "quarter" => quarter,
            "month" => i64::from(month),
            "week" => iso_week(self.days).1,
            "weekYear" => iso_week(self.days).0,
            "day" => i64::from(day),
            "ordinalDay" => self.days - days_from_civil(year, 1, 1) + 1,
            "weekDay" | "dayOfWeek" => weekday(self.days),
            "dayOfQuarter" => {
                self.days - days_from_civil(year, (quarter as u32 - 1) * 3 + 1, 1) + 1
            }
            _ => return None,
        })
    }
}

pub(crate) fn out_of_range() -> Error {
    invalid("the temporal value is out of range")
}

impl LocalTime {
    /// The time `nanos` nanoseconds after midnight.
    pub fn from_nanos(nanos: i64) -> Result<LocalTime> {
        check_field("nanosecond of the day", nanos, 0, NANOS_PER_DAY - 1)?;
        Ok(LocalTime { nanos })
    }

    /// The time of an hour, minute, second and nanosecond.
    pub fn from_hms(hour: i64, minute: i64, second: i64, nano: i64) -> Result<LocalTime> {
        check_field("hour", hour, 0, 23)?;
        check_field("minute", minute, 0, 59)?;
        check_field("second", second, 0, 59)?;
        check_field("nanosecond", nano, 0, NANOS_PER_SECOND - 1)?;
        Ok(LocalTime {
            nanos: ((hour * 60 + minute) * 60 + second) * NANOS_PER_SECOND + nano,
        })
    }

    /// Nanoseconds since midnight.
    #[must_use]
    pub fn nanos(self) -> i64 {
        self.nanos
    }

    /// The time `nanos` later, around the clock.
    pub(crate) fn wrapping_plus(self, nanos: i64) -> LocalTime {
        LocalTime {
            nanos: (self.nanos + nanos.rem_euclid(NANOS_PER_DAY)).rem_euclid(NANOS_PER_DAY),
        }
    }

    fn component(self, name: &str) -> Option<i64> {
        let second = self.nanos / NANOS_PER_SECOND;
        let nano = self.nanos % NANOS_PER_SECOND;
        Some(match name {
            "hour" => second / 3600,
            "minute" => second / 60 % 60,
            "second" => second % 60,
            "millisecond" => nano / 1_000_000,
            "microsecond" => nano / 1_000,
            "nanosecond" => nano,
            _ => return None,
        })
    }
}

fn check_offset(offset: i32) -> Result<()> {
    if offset.abs() <= MAX_OFFSET {
        Ok(())
    } else {
        Err(invalid(format!(
            "offset of {offset} seconds is out of range (±18:00)"
        )))
    }
}

impl Time {
    /// A time of day at `offset` seconds east of UTC.
    pub fn new(time: LocalTime, offset: i32) -> Result<Time> {
        check_offset(offset)?;
        Ok(Time { time, offset })
    }

    /// The local time of day.
    #[must_use]
    pub fn local(self) -> LocalTime {
        self.time
    }

    /// Seconds east of UTC.
    #[must_use]
    pub fn offset(self) -> i32 {
        self.offset
    }

    /// Nanoseconds of the day in UTC (may fall outside one day).
    fn utc_nanos(self) -> i64 {
        self.time.nanos - i64::from(self.offset) * NANOS_PER_SECOND
    }
}

impl LocalDateTime {
    /// A date and a time of day.
    #[must_use]
    pub fn new(date: Date, time: LocalTime) -> LocalDateTime {
        LocalDateTime { date, time }
    }

    /// The date.
    #[must_use]
    pub fn date(self) -> Date {
        self.date
    }

    /// The time of day.
    #[must_use]
    pub fn time(self) -> LocalTime {
        self.time
    }

    /// Seconds since 1970-01-01T00:00 and the nanoseconds past them, as
    /// if this were UTC.
    pub(crate) fn epoch(self) -> (i64, i64) {
        (
            self.date.days * SECONDS_PER_DAY + self.time.nanos / NANOS_PER_SECOND,
            self.time.nanos % NANOS_PER_SECOND,
        )
    }

    /// Total nanoseconds since 1970-01-01T00:00, as if this were UTC.
    pub(crate) fn epoch_nanos(self) -> i128 {
        i128::from(self.date.days) * i128::from(NANOS_PER_DAY) + i128::from(self.time.nanos)
    }

    pub(crate) fn from_epoch_nanos(nanos: i128) -> Result<LocalDateTime> {
        let day = i128::from(NANOS_PER_DAY);
        let days = i64::try_from(nanos.div_euclid(day)).map_err(|_| out_of_range())?;
        Ok(LocalDateTime {
            date: Date::from_days(days)?,
            time: LocalTime {
                nanos: nanos.rem_euclid(day) as i64,
            },
        })
    }

    /// This time `nanos` later.
    pub(crate) fn plus_nanos(self, nanos: i128) -> Result<LocalDateTime> {
        LocalDateTime::from_epoch_nanos(self.epoch_nanos() + nanos)
    }
}

/// A zone a zoned value is built in: an offset, or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Zone {
    Offset(i32),
    Named(String),
}

impl Zone {
    /// The zone a string names: `Z`, an offset (`+01:00`, `-0130`,
    /// `+05`) or an IANA name.
    pub(crate) fn parse(text: &str) -> Result<Zone> {
        if let Some(offset) = parse::offset(text) {
            check_offset(offset)?;
            return Ok(Zone::Offset(offset));
        }
        zone_rules(text)?;
        Ok(Zone::Named(text.to_owned()))
    }

    /// The offset this zone has at the instant of `local` in UTC.
    fn offset_at_instant(&self, utc: LocalDateTime) -> Result<i32> {
        match self {
            Zone::Offset(o) => Ok(*o),
            Zone::Named(name) => {
                let tz = zone_rules(name)?;
                let (seconds, nanos) = utc.epoch();
                let ts = jiff::Timestamp::new(seconds, nanos as i32).map_err(|_| named_range())?;
                Ok(tz.to_offset(ts).seconds())
            }
        }
    }

    /// The value at local time `local` in this zone: in a gap the local
    /// time moves later by the gap's length; in an overlap the earlier
    /// offset is taken, or `prefer` when it is one of the two.
    pub(crate) fn at_local(&self, local: LocalDateTime, prefer: Option<i32>) -> Result<DateTime> {
        match self {
            Zone::Offset(o) => Ok(DateTime {
                local,
                offset: *o,
                zone: None,
            }),
            Zone::Named(name) => {
                let tz = zone_rules(name)?;
                let (y, m, d) = local.date.ymd();
                let second = local.time.nanos / NANOS_PER_SECOND;
                let civil = i16::try_from(y)
                    .ok()
                    .and_then(|y| {
                        jiff::civil::DateTime::new(
                            y,
                            m as i8,
                            d as i8,
                            (second / 3600) as i8,
                            (second / 60 % 60) as i8,
                            (second % 60) as i8,
                            (local.time.nanos % NANOS_PER_SECOND) as i32,
                        )
                        .ok()
                    })
                    .ok_or_else(named_range)?;
                let ambiguous = tz.to_ambiguous_timestamp(civil);
                let (offset, shift) = match ambiguous.offset() {
                    jiff::tz::AmbiguousOffset::Unambiguous { offset } => (offset.seconds(), 0),
                    jiff::tz::AmbiguousOffset::Gap { before, after } => {
                        (after.seconds(), after.seconds() - before.seconds())
                    }
                    jiff::tz::AmbiguousOffset::Fold { before, after } => {
                        if prefer == Some(after.seconds()) {
                            (after.seconds(), 0)
                        } else {
                            (before.seconds(), 0)
                        }
                    }
                };
                let local = local.plus_nanos(i128::from(shift) * i128::from(NANOS_PER_SECOND))?;
                Ok(DateTime {
                    local,
                    offset,
                    zone: Some(name.clone()),
                })
            }
        }
    }

    /// The value at instant `utc` (a UTC local date-time) in this zone.
    pub(crate) fn at_instant(&self, utc: LocalDateTime) -> Result<DateTime> {
        let offset = self.offset_at_instant(utc)?;
        Ok(DateTime {
            local: utc.plus_nanos(i128::from(offset) * i128::from(NANOS_PER_SECOND))?,
            offset,
            zone: match self {
                Zone::Offset(_) => None,
                Zone::Named(name) => Some(name.clone()),
            },
        })
    }

    /// The offset a `time` in this zone has: a named zone's offset now.
    pub(crate) fn time_offset(&self) -> Result<i32> {
        match self {
            Zone::Offset(o) => Ok(*o),
            Zone::Named(_) => self.offset_at_instant(now_utc()),
        }
    }
}

fn named_range() -> Error {
    invalid("named time zones cover the years -9999 to 9999")
}

fn zone_rules(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).map_err(|_| invalid(format!("unknown time zone {name:?}")))
}

impl DateTime {
    /// The local date and time.
    #[must_use]
    pub fn local(&self) -> LocalDateTime {
        self.local
    }

    /// Seconds east of UTC.
    #[must_use]
    pub fn offset(&self) -> i32 {
        self.offset
    }

    /// The zone's IANA name, when it was given by name.
    #[must_use]
    pub fn zone_name(&self) -> Option<&str> {
        self.zone.as_deref()
    }

    /// The zone it is in.
    pub(crate) fn zone(&self) -> Zone {
        match &self.zone {
            Some(name) => Zone::Named(name.clone()),
            None => Zone::Offset(self.offset),
        }
    }

    /// The instant as a UTC local date-time.
    pub(crate) fn utc(&self) -> Result<LocalDateTime> {
        self.local
            .plus_nanos(-i128::from(self.offset) * i128::from(NANOS_PER_SECOND))
    }

    /// Nanoseconds since 1970-01-01T00:00Z.
    pub(crate) fn instant_nanos(&self) -> i128 {
        self.local.epoch_nanos() - i128::from(self.offset) * i128::from(NANOS_PER_SECOND)
    }

    /// Seconds since 1970-01-01T00:00Z and the nanoseconds past them.
    #[must_use]
    pub fn epoch(&self) -> (i64, i64) {
        let nanos = self.instant_nanos();
        let n = i128::from(NANOS_PER_SECOND);
        (nanos.div_euclid(n) as i64, nanos.rem_euclid(n) as i64)
    }

    /// The instant `nanos` after 1970-01-01T00:00Z at a fixed `offset`
    /// (seconds east of UTC), its zone that offset alone.
    pub(crate) fn at_offset(nanos: i64, offset: i32) -> Result<DateTime> {
        let local = i128::from(nanos) + i128::from(offset) * i128::from(NANOS_PER_SECOND);
        Ok(DateTime {
            local: LocalDateTime::from_epoch_nanos(local)?,
            offset,
            zone: None,
        })
    }

    /// The instant in nanoseconds since 1970-01-01T00:00Z with its offset,
    /// when the zone is an offset alone (no name) and the instant fits an
    /// `i64` (the years 1677 to 2262): what [`DateTime::at_offset`] makes
    /// the value again from.
    pub(crate) fn fixed_instant(&self) -> Option<(i64, i32)> {
        if self.zone.is_some() {
            return None;
        }
        Some((i64::try_from(self.instant_nanos()).ok()?, self.offset))
    }

    /// The instant `seconds` and `nanos` after 1970-01-01T00:00Z, in UTC.
    pub fn from_epoch(seconds: i64, nanos: i64) -> Result<DateTime> {
        let total = i128::from(seconds) * i128::from(NANOS_PER_SECOND) + i128::from(nanos);
        Ok(DateTime {
            local: LocalDateTime::from_epoch_nanos(total)?,
            offset: 0,
            zone: None,
        })
    }
}

impl Duration {
    /// A duration of months, days, seconds and nanoseconds (the
    /// nanoseconds carried into the seconds).
    pub fn new(months: i64, days: i64, seconds: i64, nanos: i64) -> Result<Duration> {
        let seconds = seconds
            .checked_add(nanos.div_euclid(NANOS_PER_SECOND))
            .ok_or_else(duration_overflow)?;
        Ok(Duration {
            months,
            days,
            seconds,
            nanos: nanos.rem_euclid(NANOS_PER_SECOND) as i32,
        })
    }

    /// Months (a year is twelve).
    #[must_use]
    pub fn months(self) -> i64 {
        self.months
    }

    /// Days.
    #[must_use]
    pub fn days(self) -> i64 {
        self.days
    }

    /// Seconds (with [`Duration::nanos`] past them).
    #[must_use]
    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// Nanoseconds past [`Duration::seconds`], in `0..1_000_000_000`.
    #[must_use]
    pub fn nanos(self) -> i64 {
        i64::from(self.nanos)
    }

    fn component(self, name: &str) -> Option<i64> {
        let (s, n) = (self.seconds, i64::from(self.nanos));
        Some(match name {
            "years" => self.months / 12,
            "quarters" => self.months / 3,
            "months" => self.months,
            "weeks" => self.days / 7,
            "days" => self.days,
            "hours" => s / 3600,
            "minutes" => s / 60,
            "seconds" => s,
            "milliseconds" => s.saturating_mul(1_000).saturating_add(n / 1_000_000),
            "microseconds" => s.saturating_mul(1_000_000).saturating_add(n / 1_000),
            "nanoseconds" => s.saturating_mul(NANOS_PER_SECOND).saturating_add(n),
            "quartersOfYear" => self.months % 12 / 3,
            "monthsOfQuarter" => self.months % 3,
            "monthsOfYear" => self.months % 12,
            "daysOfWeek" => self.days % 7,
            "minutesOfHour" => s / 60 % 60,
            "secondsOfMinute" => s % 60,
            "millisecondsOfSecond" => n / 1_000_000,
            "microsecondsOfSecond" => n / 1_000,
            "nanosecondsOfSecond" => n,
            _ => return None,
        })
    }

    /// A length in nanoseconds with a month of 30.436875 days, for
    /// ordering durations (they have no `<`).
    fn approximate_nanos(self) -> i128 {
        i128::from(self.months) * i128::from(arith::AVG_SECONDS_PER_MONTH) * 1_000_000_000
            + i128::from(self.days) * i128::from(NANOS_PER_DAY)
            + i128::from(self.seconds) * i128::from(NANOS_PER_SECOND)
            + i128::from(self.nanos)
    }
}

pub(crate) fn duration_overflow() -> Error {
    invalid("the duration is too large")
}

/// A named component of a temporal value (`d.year`, `t.timezone`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Component {
    Int(i64),
    Text(String),
}

impl Temporal {
    /// The value of type `function` (`"date"`, `"localtime"`, `"time"`,
    /// `"localdatetime"`, `"datetime"` or `"duration"`, as Cypher's
    /// functions are named) that ISO 8601 `text` writes, read as Cypher's
    /// `date('2015-07-21')` reads it.
    ///
    /// ```
    /// use quiverdb::temporal::Temporal;
    /// let t = Temporal::parse("datetime", "2015-07-21T21:40:32.142+01:00").unwrap();
    /// assert_eq!(t.to_string(), "2015-07-21T21:40:32.142+01:00");
    /// assert!(Temporal::parse("date", "2015-02-30").is_err());
    /// ```
    pub fn parse(function: &str, text: &str) -> Result<Temporal> {
        let kind = Kind::of_function(function)
            .ok_or_else(|| invalid(format!("{function:?} is not a temporal type")))?;
        parse::parse(kind, text)
    }

    /// The Cypher type name (`DATE`, `ZONED DATETIME`, ...).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Temporal::Date(_) => "DATE",
            Temporal::LocalTime(_) => "LOCAL TIME",
            Temporal::Time(_) => "ZONED TIME",
            Temporal::LocalDateTime(_) => "LOCAL DATETIME",
            Temporal::DateTime(_) => "ZONED DATETIME",
            Temporal::Duration(_) => "DURATION",
        }
    }

    /// The date part, when it has one.
    pub(crate) fn date(&self) -> Option<Date> {
        match self {
            Temporal::Date(d) => Some(*d),
            Temporal::LocalDateTime(l) => Some(l.date),
            Temporal::DateTime(d) => Some(d.local.date),
            _ => None,
        }
    }

    /// The local time of day, when it has one.
    pub(crate) fn local_time(&self) -> Option<LocalTime> {
        match self {
            Temporal::LocalTime(t) => Some(*t),
            Temporal::Time(t) => Some(t.time),
            Temporal::LocalDateTime(l) => Some(l.time),
            Temporal::DateTime(d) => Some(d.local.time),
            _ => None,
        }
    }

    /// The zone, when it has one.
    pub(crate) fn zone(&self) -> Option<Zone> {
        match self {
            Temporal::Time(t) => Some(Zone::Offset(t.offset)),
            Temporal::DateTime(d) => Some(d.zone()),
            _ => None,
        }
    }

    /// A named component (`year`, `hour`, `timezone`, `epochSeconds`,
    /// `days`, ...), `None` when this type has no such component.
    pub(crate) fn component(&self, name: &str) -> Option<Component> {
        if let Temporal::Duration(d) = self {
            return d.component(name).map(Component::Int);
        }
        if let Some(v) = self.date().and_then(|d| d.component(name)) {
            return Some(Component::Int(v));
        }
        if let Some(v) = self.local_time().and_then(|t| t.component(name)) {
            return Some(Component::Int(v));
        }
        let offset = match self {
            Temporal::Time(t) => t.offset,
            Temporal::DateTime(d) => d.offset,
            _ => return None,
        };
        Some(match name {
            "timezone" => Component::Text(match self {
                Temporal::DateTime(DateTime {
                    zone: Some(name), ..
                }) => name.clone(),
                _ => offset_text(offset),
            }),
            "offset" => Component::Text(offset_text(offset)),
            "offsetMinutes" => Component::Int(i64::from(offset) / 60),
            "offsetSeconds" => Component::Int(i64::from(offset)),
            "epochSeconds" | "epochMillis" => {
                let Temporal::DateTime(d) = self else {
                    return None;
                };
                let (s, n) = d.epoch();
                Component::Int(if name == "epochSeconds" {
                    s
                } else {
                    s.saturating_mul(1_000).saturating_add(n / 1_000_000)
                })
            }
            _ => return None,
        })
    }

    /// `<`, `<=`, ... between two temporal values: `None` when they are
    /// of different types, or durations.
    pub(crate) fn compare(&self, other: &Temporal) -> Option<Ordering> {
        match (self, other) {
            (Temporal::Date(a), Temporal::Date(b)) => Some(a.cmp(b)),
            (Temporal::LocalTime(a), Temporal::LocalTime(b)) => Some(a.cmp(b)),
            (Temporal::Time(a), Temporal::Time(b)) => Some(a.utc_nanos().cmp(&b.utc_nanos())),
            (Temporal::LocalDateTime(a), Temporal::LocalDateTime(b)) => Some(a.cmp(b)),
            (Temporal::DateTime(a), Temporal::DateTime(b)) => {
                Some(a.instant_nanos().cmp(&b.instant_nanos()))
            }
            _ => None,
        }
    }

    /// The order of `ORDER BY` among temporal values: by type (zoned
    /// datetimes, local datetimes, dates, zoned times, local times,
    /// durations), then by instant or value; a total order consistent
    /// with equality.
    #[must_use]
    pub fn order(&self, other: &Temporal) -> Ordering {
        let rank = |t: &Temporal| match t {
            Temporal::DateTime(_) => 0,
            Temporal::LocalDateTime(_) => 1,
            Temporal::Date(_) => 2,
            Temporal::Time(_) => 3,
            Temporal::LocalTime(_) => 4,
            Temporal::Duration(_) => 5,
        };
        rank(self)
            .cmp(&rank(other))
            .then_with(|| match (self, other) {
                (Temporal::Time(a), Temporal::Time(b)) => a
                    .utc_nanos()
                    .cmp(&b.utc_nanos())
                    .then(a.offset.cmp(&b.offset)),
                (Temporal::DateTime(a), Temporal::DateTime(b)) => a
                    .instant_nanos()
                    .cmp(&b.instant_nanos())
                    .then(a.offset.cmp(&b.offset))
                    .then_with(|| a.zone.cmp(&b.zone)),
                (Temporal::Duration(a), Temporal::Duration(b)) => {
                    a.approximate_nanos().cmp(&b.approximate_nanos()).then(
                        (a.months, a.days, a.seconds, a.nanos)
                            .cmp(&(b.months, b.days, b.seconds, b.nanos)),
                    )
                }
                _ => self.compare(other).unwrap_or(Ordering::Equal),
            })
    }
}

// ---- text --------------------------------------------------------------

fn write_date(f: &mut fmt::Formatter<'_>, d: Date) -> fmt::Result {
    let (year, month, day) = d.ymd();
    if year > 9_999 {
        write!(f, "+{year}")?;
    } else if year < 0 {
        write!(f, "-{:04}", -year)?;
    } else {
        write!(f, "{year:04}")?;
    }
    write!(f, "-{month:02}-{day:02}")
}

fn write_time(f: &mut fmt::Formatter<'_>, t: LocalTime) -> fmt::Result {
    let second = t.nanos / NANOS_PER_SECOND;
    let nano = t.nanos % NANOS_PER_SECOND;
    write!(f, "{:02}:{:02}", second / 3600, second / 60 % 60)?;
    if second % 60 != 0 || nano != 0 {
        write!(f, ":{:02}", second % 60)?;
    }
    if nano == 0 {
        Ok(())
    } else if nano % 1_000_000 == 0 {
        write!(f, ".{:03}", nano / 1_000_000)
    } else if nano % 1_000 == 0 {
        write!(f, ".{:06}", nano / 1_000)
    } else {
        write!(f, ".{nano:09}")
    }
}

/// An offset as Cypher prints it: `Z`, `+01:00`, `-02:05:07`.
pub(crate) fn offset_text(offset: i32) -> String {
    if offset == 0 {
        return "Z".to_owned();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let secs = offset.unsigned_abs();
    let (hours, minutes, rest) = (secs / 3600, secs / 60 % 60, secs % 60);
    if rest == 0 {
        format!("{sign}{hours:02}:{minutes:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}:{rest:02}")
    }
}

fn write_duration(f: &mut fmt::Formatter<'_>, d: Duration) -> fmt::Result {
    if d.months == 0 && d.days == 0 && d.seconds == 0 && d.nanos == 0 {
        return f.write_str("PT0S");
    }
    f.write_str("P")?;
    let part = |f: &mut fmt::Formatter<'_>, v: i64, unit: char| {
        if v == 0 {
            Ok(())
        } else {
            write!(f, "{v}{unit}")
        }
    };
    part(f, d.months / 12, 'Y')?;
    part(f, d.months % 12, 'M')?;
    part(f, d.days, 'D')?;
    if d.seconds == 0 && d.nanos == 0 {
        return Ok(());
    }
    f.write_str("T")?;
    // Seconds and nanoseconds shown with one sign.
    let (mut s, mut n) = (d.seconds, i64::from(d.nanos));
    if s < 0 && n != 0 {
        s += 1;
        n -= NANOS_PER_SECOND;
    }
    part(f, s / 3600, 'H')?;
    part(f, s % 3600 / 60, 'M')?;
    let s = s % 60;
    if s == 0 && n == 0 {
        return Ok(());
    }
    if s == 0 && n < 0 {
        f.write_str("-")?;
    }
    write!(f, "{s}")?;
    if n != 0 {
        let digits = format!("{:09}", n.abs());
        write!(f, ".{}", digits.trim_end_matches('0'))?;
    }
    f.write_str("S")
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Temporal::Date(d) => write_date(f, *d),
            Temporal::LocalTime(t) => write_time(f, *t),
            Temporal::Time(t) => {
                write_time(f, t.time)?;
                f.write_str(&offset_text(t.offset))
            }
            Temporal::LocalDateTime(l) => {
                write_date(f, l.date)?;
                f.write_str("T")?;
                write_time(f, l.time)
            }
            Temporal::DateTime(d) => {
                write_date(f, d.local.date)?;
                f.write_str("T")?;
                write_time(f, d.local.time)?;
                f.write_str(&offset_text(d.offset))?;
                match &d.zone {
                    Some(zone) => write!(f, "[{zone}]"),
                    None => Ok(()),
                }
            }
            Temporal::Duration(d) => write_duration(f, *d),
        }
    }
}

// ---- the clock -----------------------------------------------------------

thread_local! {
    /// The statement clock of the statement running on this thread:
    /// `date()`, `datetime()`, ... without arguments read it, so a
    /// statement sees one "now" however many times it asks.
    static STATEMENT_CLOCK: Cell<Option<i128>> = const { Cell::new(None) };
}

/// Nanoseconds since 1970-01-01T00:00Z, now.
pub(crate) fn clock_now() -> i128 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    since.as_nanos().try_into().unwrap_or(i128::MAX)
}

/// Makes `clock` (from [`clock_now`]) the time the statement running on
/// this thread reads.
pub(crate) fn enter_statement(clock: i128) {
    STATEMENT_CLOCK.with(|c| c.set(Some(clock)));
}

/// The statement's time, as a UTC local date-time.
pub(crate) fn now_utc() -> LocalDateTime {
    let nanos = STATEMENT_CLOCK.with(Cell::get).unwrap_or_else(clock_now);
    LocalDateTime::from_epoch_nanos(nanos).unwrap_or(LocalDateTime {
        date: Date { days: 0 },
        time: LocalTime { nanos: 0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip_across_eras() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let far = Date::from_ymd(MAX_YEAR, 12, 31).unwrap();
        assert_eq!(far.ymd(), (MAX_YEAR, 12, 31));
        assert!(Date::from_ymd(MAX_YEAR + 1, 1, 1).is_err());
        assert!(Date::from_ymd(2023, 2, 29).is_err());
    }

    #[test]
    fn iso_weeks_match_the_calendar() {
        // 1984-01-01 is a Sunday in week 52 of 1983.
        let d = Date::from_ymd(1984, 1, 1).unwrap();
        assert_eq!(iso_week(d.days()), (1983, 52));
        assert_eq!(weekday(d.days()), 7);
        assert_eq!(Date::from_week(1818, 53, 1).unwrap().ymd(), (1818, 12, 28));
        assert!(Date::from_week(1819, 53, 1).is_err());
    }

    #[test]
    fn durations_print_one_sign_per_part() {
        let show =
            |s: i64, n: i64| Temporal::Duration(Duration::new(0, 0, s, n).unwrap()).to_string();
        assert_eq!(show(-61, 999_000_000), "PT-1M-0.001S");
        assert_eq!(show(-2, 1_000_000), "PT-1.999S");
        assert_eq!(show(0, -1_000_000), "PT-0.001S");
        assert_eq!(show(0, 0), "PT0S");
        assert_eq!(show(3_661, 500_000_000), "PT1H1M1.5S");
    }
}
