//! Temporal values from maps (`date({year: 1984, week: 10})`), from other
//! temporal values (`date(datetime)`, `{date: d, day: 28}`: a base's
//! components with some replaced), and truncated to a unit
//! (`date.truncate('quarter', d, {day: 2})`).

use std::collections::BTreeMap;

use super::{
    Date, DateTime, Kind, LocalDateTime, LocalTime, NANOS_PER_SECOND, Temporal, Time, Zone,
    arith::Parts, invalid, iso_week, weekday,
};
use crate::error::Result;

/// A map entry's value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Input<'a> {
    Null,
    Int(i64),
    Float(f64),
    Text(&'a str),
    Temporal(&'a Temporal),
    /// Another type (named in errors).
    Other(&'static str),
}

const DATE_KEYS: [&str; 8] = [
    "year",
    "month",
    "day",
    "week",
    "dayOfWeek",
    "ordinalDay",
    "quarter",
    "dayOfQuarter",
];
const TIME_KEYS: [&str; 6] = [
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];
const DURATION_KEYS: [&str; 11] = [
    "years",
    "quarters",
    "months",
    "weeks",
    "days",
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
    "microseconds",
    "nanoseconds",
];

struct Fields<'a> {
    map: BTreeMap<&'a str, Input<'a>>,
    function: &'static str,
}

impl<'a> Fields<'a> {
    fn int(&self, key: &str) -> Result<Option<i64>> {
        match self.map.get(key) {
            None | Some(Input::Null) => Ok(None),
            Some(Input::Int(i)) => Ok(Some(*i)),
            Some(Input::Float(f)) if f.fract() == 0.0 && f.abs() < 9e18 => Ok(Some(*f as i64)),
            Some(other) => Err(invalid(format!(
                "{}() needs {key} to be an integer, not {}",
                self.function,
                name(other)
            ))),
        }
    }

    fn temporal(&self, key: &str) -> Result<Option<&'a Temporal>> {
        match self.map.get(key) {
            None | Some(Input::Null) => Ok(None),
            Some(Input::Temporal(t)) => Ok(Some(t)),
            Some(other) => Err(invalid(format!(
                "{}() needs {key} to be a temporal value, not {}",
                self.function,
                name(other)
            ))),
        }
    }

    fn zone(&self) -> Result<Option<Zone>> {
        match self.map.get("timezone") {
            None | Some(Input::Null) => Ok(None),
            Some(Input::Text(t)) => Zone::parse(t).map(Some),
            Some(other) => Err(invalid(format!(
                "{}() needs timezone to be a string, not {}",
                self.function,
                name(other)
            ))),
        }
    }

    fn has_any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.map.contains_key(k))
    }
}

fn name(input: &Input<'_>) -> &'static str {
    match input {
        Input::Null => "null",
        Input::Int(_) => "an integer",
        Input::Float(_) => "a float",
        Input::Text(_) => "a string",
        Input::Temporal(t) => t.type_name(),
        Input::Other(what) => what,
    }
}

/// The date of a map's date fields over `base` (its components kept
/// where the map does not replace them).
fn date_of(f: &Fields<'_>, base: Option<Date>) -> Result<Option<Date>> {
    if !f.has_any(&DATE_KEYS) {
        return Ok(base);
    }
    let year = f.int("year")?;
    let need_year = || invalid(format!("{}() needs a year", f.function));
    if f.has_any(&["week", "dayOfWeek"]) {
        let (base_year, base_week) = base.map_or((None, None), |b| {
            let (y, w) = iso_week(b.days);
            (Some(y), Some(w))
        });
        let y = year.or(base_year).ok_or_else(need_year)?;
        let week = f.int("week")?.or(base_week).unwrap_or(1);
        let dow = f
            .int("dayOfWeek")?
            .or(base.map(|b| weekday(b.days)))
            .unwrap_or(1);
        return Date::from_week(y, week, dow).map(Some);
    }
    let (base_year, base_month, base_day) = base.map_or((None, None, None), |b| {
        let (y, m, d) = b.ymd();
        (Some(y), Some(i64::from(m)), Some(i64::from(d)))
    });
    let y = year.or(base_year).ok_or_else(need_year)?;
    if let Some(ordinal) = f.int("ordinalDay")? {
        return Date::from_ordinal(y, ordinal).map(Some);
    }
    if f.has_any(&["quarter", "dayOfQuarter"]) {
        let quarter_of_base = base.and_then(|b| b.component("quarter"));
        let day_in_base_quarter = base.and_then(|b| b.component("dayOfQuarter"));
        let quarter = f.int("quarter")?.or(quarter_of_base).unwrap_or(1);
        let day = f.int("dayOfQuarter")?.or(day_in_base_quarter).unwrap_or(1);
        return Date::from_quarter(y, quarter, day).map(Some);
    }
    let month = f.int("month")?.or(base_month).unwrap_or(1);
    let day = f.int("day")?.or(base_day).unwrap_or(1);
    Date::from_ymd(y, month, day).map(Some)
}

/// The time of a map's time fields over `base`.
fn time_of(f: &Fields<'_>, base: Option<LocalTime>) -> Result<Option<LocalTime>> {
    if !f.has_any(&TIME_KEYS) {
        return Ok(base);
    }
    let part = |key: &str| base.and_then(|b| b.component(key));
    let hour = f.int("hour")?.or(part("hour"));
    let Some(hour) = hour else {
        return Err(invalid(format!("{}() needs an hour", f.function)));
    };
    let minute = f.int("minute")?.or(part("minute")).unwrap_or(0);
    let second = f.int("second")?.or(part("second")).unwrap_or(0);
    let (ms, us, ns) = (
        f.int("millisecond")?,
        f.int("microsecond")?,
        f.int("nanosecond")?,
    );
    let nano = if ms.is_none() && us.is_none() && ns.is_none() {
        part("nanosecond").unwrap_or(0)
    } else {
        let check = |v: Option<i64>, what: &str, limit: i64| -> Result<i64> {
            match v {
                Some(v) if !(0..limit).contains(&v) => Err(invalid(format!(
                    "{what} {v} is out of range (0 to {})",
                    limit - 1
                ))),
                v => Ok(v.unwrap_or(0)),
            }
        };
        let ms = check(ms, "millisecond", 1_000)?;
        let us = check(
            us,
            "microsecond",
            if f.has_any(&["millisecond"]) {
                1_000
            } else {
                1_000_000
            },
        )?;
        let ns_limit = if f.has_any(&["millisecond", "microsecond"]) {
            1_000
        } else {
            NANOS_PER_SECOND
        };
        ms * 1_000_000 + us * 1_000 + check(ns, "nanosecond", ns_limit)?
    };
    LocalTime::from_hms(hour, minute, second, nano).map(Some)
}

fn check_keys(f: &Fields<'_>, allowed: &[&[&str]]) -> Result<()> {
    for key in f.map.keys() {
        if !allowed.iter().any(|set| set.contains(key)) {
            return Err(invalid(format!(
                "{}() does not take the field {key:?}",
                f.function
            )));
        }
    }
    Ok(())
}

fn midnight() -> LocalTime {
    LocalTime { nanos: 0 }
}

/// A time base's zone, and the instant to convert from when a new zone
/// is asked for.
fn zoned(
    local: LocalDateTime,
    base_zone: Option<Zone>,
    new_zone: Option<Zone>,
    prefer: Option<i32>,
) -> Result<DateTime> {
    match (base_zone, new_zone) {
        (Some(base), Some(new)) => {
            let here = base.at_local(local, prefer)?;
            new.at_instant(here.utc()?)
        }
        (Some(zone), None) => zone.at_local(local, prefer),
        (None, Some(zone)) => zone.at_local(local, None),
        (None, None) => Zone::Offset(0).at_local(local, None),
    }
}

/// `kind`'s value from a map.
pub(crate) fn from_map(kind: Kind, entries: &[(&str, Input<'_>)]) -> Result<Temporal> {
    let f = Fields {
        map: entries.iter().copied().collect(),
        function: kind.function(),
    };
    match kind {
        Kind::Duration => duration_of_map(&f),
        Kind::Date => {
            check_keys(&f, &[&DATE_KEYS, &["date"]])?;
            let base = f.temporal("date")?.map(base_date).transpose()?;
            let date = date_of(&f, base)?.ok_or_else(|| invalid("date() needs a year"))?;
            Ok(Temporal::Date(date))
        }
        Kind::LocalTime => {
            check_keys(&f, &[&TIME_KEYS, &["time"]])?;
            let base = f.temporal("time")?.map(base_time).transpose()?;
            let t = time_of(&f, base)?.ok_or_else(|| invalid("localtime() needs an hour"))?;
            Ok(Temporal::LocalTime(t))
        }
        Kind::Time => time_of_map(&f),
        Kind::LocalDateTime | Kind::DateTime => date_time_of_map(&f, kind),
    }
}

fn duration_of_map(f: &Fields<'_>) -> Result<Temporal> {
    check_keys(f, &[&DURATION_KEYS])?;
    let mut parts = Parts::default();
    for (key, value) in &f.map {
        match value {
            Input::Null => {}
            Input::Int(i) => parts.add(key, *i as f64, Some((*i, 0))),
            Input::Float(x) => parts.add(key, *x, None),
            other => {
                return Err(invalid(format!(
                    "duration() needs {key} to be a number, not {}",
                    name(other)
                )));
            }
        }
    }
    Ok(Temporal::Duration(parts.duration()?))
}

fn time_of_map(f: &Fields<'_>) -> Result<Temporal> {
    check_keys(f, &[&TIME_KEYS, &["time", "timezone"]])?;
    let base = f.temporal("time")?;
    let t = time_of(f, base.map(base_time).transpose()?)?
        .ok_or_else(|| invalid("time() needs an hour"))?;
    let base_offset = match base {
        Some(Temporal::Time(b)) => Some(b.offset),
        Some(Temporal::DateTime(b)) => Some(b.offset),
        _ => None,
    };
    let offset = match (base_offset, f.zone()?) {
        (Some(from), Some(to)) => {
            // A zoned base moved to the new zone: the same instant.
            let to = to.time_offset()?;
            return Ok(Temporal::Time(Time::new(
                t.wrapping_plus(i64::from(to - from) * NANOS_PER_SECOND),
                to,
            )?));
        }
        (Some(from), None) => from,
        (None, Some(to)) => to.time_offset()?,
        (None, None) => 0,
    };
    Ok(Temporal::Time(Time::new(t, offset)?))
}

fn date_time_of_map(f: &Fields<'_>, kind: Kind) -> Result<Temporal> {
    if kind == Kind::LocalDateTime {
        check_keys(f, &[&DATE_KEYS, &TIME_KEYS, &["date", "time", "datetime"]])?;
    } else {
        check_keys(
            f,
            &[
                &DATE_KEYS,
                &TIME_KEYS,
                &[
                    "date",
                    "time",
                    "datetime",
                    "timezone",
                    "epochSeconds",
                    "epochMillis",
                ],
            ],
        )?;
        if f.has_any(&["epochSeconds", "epochMillis"]) {
            return from_epoch_fields(f);
        }
    }
    let whole = f.temporal("datetime")?;
    let date_base = f.temporal("date")?.or(whole).map(base_date).transpose()?;
    let time_source = f.temporal("time")?.or(whole);
    let time_base = time_source.map(base_time).transpose()?;
    let date = date_of(f, date_base)?
        .ok_or_else(|| invalid(format!("{}() needs a year", kind.function())))?;
    let local = LocalDateTime::new(date, time_of(f, time_base)?.unwrap_or_else(midnight));
    if kind == Kind::LocalDateTime {
        return Ok(Temporal::LocalDateTime(local));
    }
    // The zone comes from the time's base (never the date's).
    let (base_zone, prefer) = match time_source {
        Some(Temporal::DateTime(d)) => (Some(d.zone()), Some(d.offset)),
        Some(Temporal::Time(t)) => (Some(Zone::Offset(t.offset)), Some(t.offset)),
        _ => (None, None),
    };
    Ok(Temporal::DateTime(zoned(
        local,
        base_zone,
        f.zone()?,
        prefer,
    )?))
}

fn from_epoch_fields(f: &Fields<'_>) -> Result<Temporal> {
    let (ms, us, ns) = (
        f.int("millisecond")?,
        f.int("microsecond")?,
        f.int("nanosecond")?,
    );
    let extra = ms.unwrap_or(0) * 1_000_000 + us.unwrap_or(0) * 1_000 + ns.unwrap_or(0);
    let utc = match (f.int("epochSeconds")?, f.int("epochMillis")?) {
        (Some(s), _) => DateTime::from_epoch(s, extra)?,
        (None, Some(m)) => {
            DateTime::from_epoch(m.div_euclid(1_000), m.rem_euclid(1_000) * 1_000_000 + extra)?
        }
        (None, None) => return Err(invalid("datetime() needs epochSeconds or epochMillis")),
    };
    let zone = f.zone()?.unwrap_or(Zone::Offset(0));
    Ok(Temporal::DateTime(zone.at_instant(utc.local)?))
}

fn base_date(t: &Temporal) -> Result<Date> {
    t.date()
        .ok_or_else(|| invalid(format!("a {} has no date", t.type_name())))
}

fn base_time(t: &Temporal) -> Result<LocalTime> {
    t.local_time()
        .ok_or_else(|| invalid(format!("a {} has no time", t.type_name())))
}

/// `kind`'s value made of another temporal value (`date(datetime)`).
pub(crate) fn convert(kind: Kind, t: &Temporal) -> Result<Temporal> {
    if kind == Kind::Duration {
        return match t {
            Temporal::Duration(_) => Ok(t.clone()),
            other => Err(invalid(format!(
                "duration() takes a map, a string or a duration, not a {}",
                other.type_name()
            ))),
        };
    }
    let key = match (kind, t) {
        (Kind::Date, _) | (_, Temporal::Date(_)) => "date",
        (Kind::LocalTime | Kind::Time, _) => "time",
        (_, Temporal::LocalTime(_) | Temporal::Time(_)) => {
            return Err(invalid(format!(
                "{}() cannot be made of a {} alone",
                kind.function(),
                t.type_name()
            )));
        }
        _ => "datetime",
    };
    from_map(kind, &[(key, Input::Temporal(t))])
}

/// `kind.truncate(unit, value, fields)`: `value` cut down to the start of
/// its `unit` (`millennium` … `microsecond`), then `fields` set.
pub(crate) fn truncate(
    kind: Kind,
    unit: &str,
    value: &Temporal,
    fields: &[(&str, Input<'_>)],
) -> Result<Temporal> {
    if matches!(value, Temporal::Duration(_)) || kind == Kind::Duration {
        return Err(invalid("durations cannot be truncated"));
    }
    let date = value.date();
    let time = value.local_time().unwrap_or_else(midnight);
    let date_units = [
        "millennium",
        "century",
        "decade",
        "year",
        "weekYear",
        "quarter",
        "month",
        "week",
        "day",
    ];
    let cut_date = match (date, date_units.contains(&unit)) {
        (Some(d), true) => Some(truncate_date(d, unit)?),
        (d, _) => d,
    };
    if date_units.contains(&unit) && date.is_none() && unit != "day" {
        return Err(invalid(format!(
            "a {} cannot be truncated to {unit}",
            value.type_name()
        )));
    }
    let nanos = time.nanos;
    let cut_time = LocalTime {
        nanos: match unit {
            "hour" => nanos - nanos % (3_600 * NANOS_PER_SECOND),
            "minute" => nanos - nanos % (60 * NANOS_PER_SECOND),
            "second" => nanos - nanos % NANOS_PER_SECOND,
            "millisecond" => nanos - nanos % 1_000_000,
            "microsecond" => nanos - nanos % 1_000,
            u if date_units.contains(&u) => 0,
            other => return Err(invalid(format!("unknown truncation unit {other:?}"))),
        },
    };
    // Smaller sub-second fields add to what the unit kept.
    let mut entries: Vec<(&str, Input<'_>)> = fields.to_vec();
    let kept_sub = cut_time.nanos % NANOS_PER_SECOND;
    if matches!(unit, "millisecond" | "microsecond")
        && !entries.iter().any(|(k, _)| *k == "millisecond")
    {
        let mut extra = 0;
        let mut found = false;
        entries.retain(|(k, v)| match (*k, v) {
            ("microsecond", Input::Int(i)) if unit == "millisecond" => {
                extra += i * 1_000;
                found = true;
                false
            }
            ("nanosecond", Input::Int(i)) => {
                extra += i;
                found = true;
                false
            }
            _ => true,
        });
        if found {
            entries.push(("nanosecond", Input::Int(kept_sub + extra)));
        }
    }
    let zone = value.zone();
    let base = match cut_date {
        Some(d) => Temporal::LocalDateTime(LocalDateTime::new(d, cut_time)),
        None => Temporal::LocalTime(cut_time),
    };
    let mut map: Vec<(&str, Input<'_>)> = Vec::new();
    let key = match (&base, kind) {
        (_, Kind::Date) => "date",
        (_, Kind::LocalTime | Kind::Time) => "time",
        (Temporal::LocalDateTime(_), _) => "datetime",
        _ => "time",
    };
    map.push((key, Input::Temporal(&base)));
    let has_zone_field = entries.iter().any(|(k, _)| *k == "timezone");
    map.extend(entries.iter().copied());
    let built = from_map(kind, &map)?;
    if has_zone_field {
        return Ok(built);
    }
    // The value keeps its own zone unless the fields name another.
    Ok(match (built, zone, value_offset(value)) {
        (Temporal::DateTime(d), Some(zone), offset) => {
            Temporal::DateTime(zone.at_local(d.local, offset)?)
        }
        (Temporal::Time(t), _, Some(offset)) => Temporal::Time(Time::new(t.time, offset)?),
        (other, _, _) => other,
    })
}

fn value_offset(t: &Temporal) -> Option<i32> {
    match t {
        Temporal::Time(t) => Some(t.offset),
        Temporal::DateTime(d) => Some(d.offset),
        _ => None,
    }
}

fn truncate_date(d: Date, unit: &str) -> Result<Date> {
    let (year, month, _) = d.ymd();
    let floor = |step: i64| year.div_euclid(step) * step;
    match unit {
        "millennium" => Date::from_ymd(floor(1_000), 1, 1),
        "century" => Date::from_ymd(floor(100), 1, 1),
        "decade" => Date::from_ymd(floor(10), 1, 1),
        "year" => Date::from_ymd(year, 1, 1),
        "weekYear" => Date::from_week(iso_week(d.days).0, 1, 1),
        "quarter" => Date::from_ymd(year, i64::from((month - 1) / 3 * 3 + 1), 1),
        "month" => Date::from_ymd(year, i64::from(month), 1),
        "week" => Date::from_days(d.days - weekday(d.days) + 1),
        _ => Ok(d),
    }
}

/// `datetime.fromepoch(seconds, nanoseconds)`.
pub(crate) fn from_epoch(seconds: i64, nanos: i64) -> Result<Temporal> {
    Ok(Temporal::DateTime(DateTime::from_epoch(seconds, nanos)?))
}

/// `datetime.fromepochmillis(milliseconds)`.
pub(crate) fn from_epoch_millis(millis: i64) -> Result<Temporal> {
    from_epoch(
        millis.div_euclid(1_000),
        millis.rem_euclid(1_000) * 1_000_000,
    )
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn build(kind: Kind, entries: &[(&str, Input<'_>)]) -> String {
        from_map(kind, entries).unwrap().to_string()
    }

    #[test]
    fn maps_select_over_a_base() {
        let other =
            parse::parse(Kind::DateTime, "1984-10-11T12:00+01:00[Europe/Stockholm]").unwrap();
        assert_eq!(
            build(
                Kind::DateTime,
                &[
                    ("datetime", Input::Temporal(&other)),
                    ("day", Input::Int(28)),
                    ("second", Input::Int(42)),
                    ("timezone", Input::Text("Pacific/Honolulu")),
                ]
            ),
            "1984-10-28T01:00:42-10:00[Pacific/Honolulu]"
        );
        let d = parse::parse(Kind::Date, "1984-11-11").unwrap();
        assert_eq!(
            build(
                Kind::Date,
                &[("date", Input::Temporal(&d)), ("quarter", Input::Int(3))]
            ),
            "1984-08-11"
        );
        assert_eq!(
            build(
                Kind::Date,
                &[("date", Input::Temporal(&d)), ("week", Input::Int(1))]
            ),
            "1984-01-08"
        );
        assert!(from_map(Kind::Date, &[("yaer", Input::Int(1))]).is_err());
        assert!(from_map(Kind::Date, &[("year", Input::Text("x"))]).is_err());
    }

    #[test]
    fn truncation_keeps_the_zone_unless_told() {
        let dt = parse::parse(Kind::DateTime, "2017-10-11T12:31:14.645876123-01:00").unwrap();
        let cut = truncate(
            Kind::DateTime,
            "millennium",
            &dt,
            &[("timezone", Input::Text("Europe/Stockholm"))],
        )
        .unwrap();
        assert_eq!(cut.to_string(), "2000-01-01T00:00+01:00[Europe/Stockholm]");
        let cut = truncate(
            Kind::LocalTime,
            "millisecond",
            &dt,
            &[("nanosecond", Input::Int(2))],
        )
        .unwrap();
        assert_eq!(cut.to_string(), "12:31:14.645000002");
    }
}
