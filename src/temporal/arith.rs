//! Temporal arithmetic: durations built from parts (fractions cascading
//! into smaller units, a month being 30.436875 days on average), a
//! duration added to or taken from a temporal value, durations added,
//! scaled and divided, and the duration between two values
//! (`duration.between`, `inMonths`, `inDays`, `inSeconds`).

use super::{
    Date, DateTime, Duration, LocalDateTime, LocalTime, NANOS_PER_DAY, NANOS_PER_SECOND,
    SECONDS_PER_DAY, Temporal, Time, Zone, duration_overflow, invalid,
};
use crate::error::Result;

/// 365.2425 / 12 days, in seconds.
pub(crate) const AVG_SECONDS_PER_MONTH: i64 = 2_629_746;

/// A duration's parts as given (`{years: 1.5, days: 2}`, `P1.5Y2D`):
/// exact while every part is an integer, else in floats.
#[derive(Default)]
pub(crate) struct Parts {
    /// Months, days, seconds and nanoseconds: exact sums, and float ones.
    exact: [i128; 4],
    float: [f64; 4],
    fractional: bool,
}

impl Parts {
    /// Adds `value` of `unit` (`years`, ..., `nanoseconds`); `exact`
    /// holds its whole part and nanoseconds (of a second-like unit's
    /// fraction) when it has no more than nine decimals.
    pub(crate) fn add(&mut self, unit: &str, value: f64, exact: Option<(i64, i64)>) {
        let (slot, scale): (usize, i128) = match unit {
            "years" => (0, 12),
            "quarters" => (0, 3),
            "months" => (0, 1),
            "weeks" => (1, 7),
            "days" => (1, 1),
            "hours" => (2, 3600),
            "minutes" => (2, 60),
            "seconds" => (2, 1),
            "milliseconds" => (3, 1_000_000),
            "microseconds" => (3, 1_000),
            _ => (3, 1),
        };
        self.float[slot] += value * scale as f64;
        match exact {
            Some((whole, 0)) => self.exact[slot] += i128::from(whole) * scale,
            // Seconds with a fraction: exact nanoseconds.
            Some((whole, frac)) if unit == "seconds" => {
                self.exact[2] += i128::from(whole);
                self.float[2] -= frac as f64 / 1e9;
                self.exact[3] += i128::from(frac);
                self.float[3] += frac as f64;
            }
            _ => self.fractional = true,
        }
    }

    /// The duration: exact, or approximated as Neo4j does.
    pub(crate) fn duration(&self) -> Result<Duration> {
        let [months, days, seconds, nanos] = self.float;
        if self.fractional {
            return approximate(months, days, seconds, nanos);
        }
        let narrow = |v: i128| i64::try_from(v).map_err(|_| duration_overflow());
        let n = i128::from(NANOS_PER_SECOND);
        let seconds = self.exact[2] + self.exact[3].div_euclid(n);
        Duration::new(
            narrow(self.exact[0])?,
            narrow(self.exact[1])?,
            narrow(seconds)?,
            self.exact[3].rem_euclid(n) as i64,
        )
    }
}

/// A duration of fractional parts: each part's fraction carried into the
/// next smaller unit (months by their average length).
pub(crate) fn approximate(months: f64, days: f64, seconds: f64, nanos: f64) -> Result<Duration> {
    if ![months, days, seconds, nanos].iter().all(|v| v.is_finite()) {
        return Err(invalid("a duration's parts must be finite numbers"));
    }
    let whole = |v: f64| -> Result<i64> {
        if v.abs() >= 9.2e18 {
            Err(duration_overflow())
        } else {
            Ok(v as i64)
        }
    };
    let nanos_per_month = (AVG_SECONDS_PER_MONTH * NANOS_PER_SECOND) as f64;
    let nanos_per_day = NANOS_PER_DAY as f64;
    let nanos_per_second = NANOS_PER_SECOND as f64;
    let m = whole(months)?;
    let days = days + (nanos_per_month * months - nanos_per_month * m as f64) / nanos_per_day;
    let d = whole(days)?;
    let seconds = seconds + (nanos_per_day * days - nanos_per_day * d as f64) / nanos_per_second;
    let s = whole(seconds)?;
    let nanos = nanos + (nanos_per_second * seconds - nanos_per_second * s as f64);
    Duration::new(m, d, s, whole(nanos)?)
}

impl Duration {
    /// The sum (`sign` 1) or difference (`sign` -1) of two durations.
    pub(crate) fn combine(self, other: Duration, sign: i64) -> Result<Duration> {
        let add = |a: i64, b: i64| {
            b.checked_mul(sign)
                .and_then(|b| a.checked_add(b))
                .ok_or_else(duration_overflow)
        };
        Duration::new(
            add(self.months, other.months)?,
            add(self.days, other.days)?,
            add(self.seconds, other.seconds)?,
            i64::from(self.nanos) + sign * i64::from(other.nanos),
        )
    }

    /// This duration times an integer.
    pub(crate) fn times_int(self, factor: i64) -> Result<Duration> {
        let mul = |v: i64| v.checked_mul(factor).ok_or_else(duration_overflow);
        let nanos = i128::from(self.nanos) * i128::from(factor);
        let n = i128::from(NANOS_PER_SECOND);
        let carry = i64::try_from(nanos.div_euclid(n)).map_err(|_| duration_overflow())?;
        Duration::new(
            mul(self.months)?,
            mul(self.days)?,
            mul(self.seconds)?
                .checked_add(carry)
                .ok_or_else(duration_overflow)?,
            nanos.rem_euclid(n) as i64,
        )
    }

    /// This duration times a float (fractions carried down).
    pub(crate) fn times_float(self, factor: f64) -> Result<Duration> {
        approximate(
            self.months as f64 * factor,
            self.days as f64 * factor,
            self.seconds as f64 * factor,
            f64::from(self.nanos) * factor,
        )
    }

    /// This duration divided by a number.
    pub(crate) fn divided(self, divisor: f64) -> Result<Duration> {
        if divisor == 0.0 {
            return Err(invalid("a duration cannot be divided by zero"));
        }
        approximate(
            self.months as f64 / divisor,
            self.days as f64 / divisor,
            self.seconds as f64 / divisor,
            f64::from(self.nanos) / divisor,
        )
    }

    fn negated(self) -> Result<Duration> {
        Duration::new(0, 0, 0, 0)?.combine(self, -1)
    }

    fn total_nanos(self) -> i128 {
        i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos)
    }
}

impl Temporal {
    /// This value plus (`sign` 1) or minus (`sign` -1) a duration: months
    /// (the day kept, or the month's last), then days, then the time
    /// (a date takes whole days of it, a time wraps around midnight).
    pub(crate) fn plus(&self, d: Duration, sign: i64) -> Result<Temporal> {
        let d = if sign < 0 { d.negated()? } else { d };
        let date_of =
            |date: Date| -> Result<Date> { date.plus_months(d.months)?.plus_days(d.days) };
        Ok(match self {
            Temporal::Date(date) => {
                let date = date_of(*date)?;
                Temporal::Date(date.plus_days(d.seconds / SECONDS_PER_DAY)?)
            }
            Temporal::LocalTime(t) => Temporal::LocalTime(wrap(*t, d)),
            Temporal::Time(t) => Temporal::Time(Time::new(wrap(t.time, d), t.offset)?),
            Temporal::LocalDateTime(l) => Temporal::LocalDateTime(
                LocalDateTime::new(date_of(l.date)?, l.time).plus_nanos(d.total_nanos())?,
            ),
            Temporal::DateTime(dt) => {
                let local = LocalDateTime::new(date_of(dt.local.date)?, dt.local.time);
                let moved = dt.zone().at_local(local, Some(dt.offset))?;
                let utc = moved.utc()?.plus_nanos(d.total_nanos())?;
                Temporal::DateTime(dt.zone().at_instant(utc)?)
            }
            Temporal::Duration(x) => Temporal::Duration(x.combine(d, 1)?),
        })
    }
}

fn wrap(t: LocalTime, d: Duration) -> LocalTime {
    t.wrapping_plus((d.total_nanos() % i128::from(NANOS_PER_DAY)) as i64)
}

/// What `duration.between` and its three relatives measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Between {
    /// Months, days and the rest.
    All,
    Months,
    Days,
    Seconds,
}

/// A value's parts for `between`: its date, time of day and zone.
struct Point {
    date: Option<Date>,
    time: LocalTime,
    zone: Option<Zone>,
    offset: Option<i32>,
}

fn point(t: &Temporal) -> Result<Point> {
    let midnight = LocalTime::from_nanos(0)?;
    Ok(match t {
        Temporal::Date(d) => Point {
            date: Some(*d),
            time: midnight,
            zone: None,
            offset: None,
        },
        Temporal::LocalTime(t) => Point {
            date: None,
            time: *t,
            zone: None,
            offset: None,
        },
        Temporal::Time(t) => Point {
            date: None,
            time: t.time,
            zone: Some(Zone::Offset(t.offset)),
            offset: Some(t.offset),
        },
        Temporal::LocalDateTime(l) => Point {
            date: Some(l.date),
            time: l.time,
            zone: None,
            offset: None,
        },
        Temporal::DateTime(d) => Point {
            date: Some(d.local.date),
            time: d.local.time,
            zone: Some(d.zone()),
            offset: Some(d.offset),
        },
        Temporal::Duration(_) => {
            return Err(invalid(
                "duration.between takes two instants, not durations",
            ));
        }
    })
}

/// Whole months from `a` to `b` as Java counts them (a month is not
/// complete until its day and time are reached).
fn months_until(a: LocalDateTime, b: LocalDateTime) -> i64 {
    let mut end = b.date;
    if b.date > a.date && b.time < a.time {
        end = Date { days: end.days - 1 };
    } else if b.date < a.date && b.time > a.time {
        end = Date { days: end.days + 1 };
    }
    let packed = |d: Date| {
        let (y, m, day) = d.ymd();
        (y * 12 + i64::from(m) - 1) * 32 + i64::from(day)
    };
    (packed(end) - packed(a.date)) / 32
}

fn days_until(a: LocalDateTime, b: LocalDateTime) -> i64 {
    let mut days = b.date.days - a.date.days;
    if days > 0 && b.time < a.time {
        days -= 1;
    } else if days < 0 && b.time > a.time {
        days += 1;
    }
    days
}

/// The duration from `a` to `b`.
pub(crate) fn between(a: &Temporal, b: &Temporal, what: Between) -> Result<Duration> {
    let (mut pa, mut pb) = (point(a)?, point(b)?);
    // A time of day against a date: the time on that date.
    match (pa.date, pb.date) {
        (Some(d), None) => pb.date = Some(d),
        (None, Some(d)) => pa.date = Some(d),
        _ => {}
    }
    let (Some(da), Some(db)) = (pa.date, pb.date) else {
        // A time of day on either side: the times alone, in UTC when both
        // have an offset.
        if matches!(what, Between::Months | Between::Days) {
            return Duration::new(0, 0, 0, 0);
        }
        let mut nanos = pb.time.nanos - pa.time.nanos;
        if let (Some(oa), Some(ob)) = (pa.offset, pb.offset) {
            nanos -= i64::from(ob - oa) * NANOS_PER_SECOND;
        }
        return Duration::new(0, 0, 0, nanos);
    };
    let la = LocalDateTime::new(da, pa.time);
    let lb = LocalDateTime::new(db, pb.time);
    // A zone on either side: both are placed in it (the first's, when
    // both have one), with `b` moved to the same instant.
    let zone = pa.zone.clone().or_else(|| pb.zone.clone());
    let Some(zone) = zone else {
        return local_between(la, lb, what);
    };
    let start = match pa.offset {
        Some(o) => DateTime {
            local: la,
            offset: o,
            zone: match &zone {
                Zone::Named(n) => Some(n.clone()),
                Zone::Offset(_) => None,
            },
        },
        None => zone.at_local(la, None)?,
    };
    let end_utc = match pb.offset {
        Some(o) => lb.plus_nanos(-i128::from(o) * i128::from(NANOS_PER_SECOND))?,
        None => zone.at_local(lb, None)?.utc()?,
    };
    let end = zone.at_instant(end_utc)?;
    let instant = |d: &DateTime| d.instant_nanos();
    let seconds_part = |from: &DateTime| -> Result<Duration> {
        let nanos = instant(&end) - instant(from);
        nanos_duration(0, 0, nanos)
    };
    match what {
        Between::Months => Duration::new(months_until(start.local, end.local), 0, 0, 0),
        Between::Days => Duration::new(0, days_until(start.local, end.local), 0, 0),
        Between::Seconds => seconds_part(&start),
        Between::All => {
            let months = months_until(start.local, end.local);
            let local = LocalDateTime::new(start.local.date.plus_months(months)?, start.local.time);
            let moved = zone.at_local(local, Some(start.offset))?;
            let days = days_until(moved.local, end.local);
            let local = LocalDateTime::new(moved.local.date.plus_days(days)?, moved.local.time);
            let moved = zone.at_local(local, Some(moved.offset))?;
            let rest = seconds_part(&moved)?;
            Duration::new(months, days, rest.seconds, rest.nanos())
        }
    }
}

fn nanos_duration(months: i64, days: i64, nanos: i128) -> Result<Duration> {
    let n = i128::from(NANOS_PER_SECOND);
    // Seconds and nanoseconds of one sign, as Java's `until` gives them.
    let seconds = i64::try_from(nanos / n).map_err(|_| duration_overflow())?;
    Duration::new(months, days, seconds, (nanos % n) as i64)
}

fn local_between(a: LocalDateTime, b: LocalDateTime, what: Between) -> Result<Duration> {
    match what {
        Between::Months => Duration::new(months_until(a, b), 0, 0, 0),
        Between::Days => Duration::new(0, days_until(a, b), 0, 0),
        Between::Seconds => nanos_duration(0, 0, b.epoch_nanos() - a.epoch_nanos()),
        Between::All => {
            let months = months_until(a, b);
            let a = LocalDateTime::new(a.date.plus_months(months)?, a.time);
            let days = days_until(a, b);
            let a = LocalDateTime::new(a.date.plus_days(days)?, a.time);
            nanos_duration(months, days, b.epoch_nanos() - a.epoch_nanos())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn t(kind: super::super::Kind, text: &str) -> Temporal {
        parse::parse(kind, text).unwrap()
    }

    #[test]
    fn between_counts_calendar_units_first() {
        use super::super::Kind as K;
        let show = |from: &str, to: &str, kind: K, what| {
            let (from, to) = (t(kind, from), t(kind, to));
            Temporal::Duration(between(&from, &to, what).unwrap()).to_string()
        };
        assert_eq!(
            show("1984-10-11", "2015-06-24", K::Date, Between::All),
            "P30Y8M13D"
        );
        assert_eq!(
            show("1984-10-11", "2015-06-24", K::Date, Between::Days),
            "P11213D"
        );
        let (from, to) = (
            "2014-07-21T21:40:36.143+0200",
            "2015-07-21T21:40:32.142+0100",
        );
        assert_eq!(show(from, to, K::DateTime, Between::All), "P1YT59M55.999S");
        assert_eq!(
            show("12:44:54.7", "12:34:55.3", K::LocalTime, Between::Seconds),
            "PT-9M-59.4S"
        );
    }

    #[test]
    fn adding_months_keeps_the_day_or_the_months_last() {
        use super::super::Kind as K;
        let jan31 = t(K::Date, "2021-01-31");
        let month = Duration::new(1, 0, 0, 0).unwrap();
        assert_eq!(jan31.plus(month, 1).unwrap().to_string(), "2021-02-28");
        let fractional = approximate(0.75, 0.0, 0.0, 0.0).unwrap();
        assert_eq!(
            Temporal::Duration(fractional).to_string(),
            "P22DT19H51M49.5S"
        );
    }
}
