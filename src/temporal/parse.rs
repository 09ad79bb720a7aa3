//! Temporal values from ISO 8601 text, in the forms Neo4j reads:
//! calendar (`2015-07-21`, `20150721`, `2015-07`), week (`2015-W30-2`,
//! `2015W302`, `2015-W30`), ordinal (`2015-202`) and year-only dates;
//! times of `HH[:MM[:SS[.fraction]]]` or `HH[MM[SS[.fraction]]]` with an
//! offset (`Z`, `+01:00`, `+0100`, `+01`) and a zone name in brackets;
//! date-times joined by `T`; durations `P[nY][nM][nW][nD][T[nH][nM][nS]]`
//! with fractions and signs per part, or `P2012-02-02T14:37:21.545`.

use super::{
    Date, DateTime, Duration, LocalDateTime, LocalTime, Temporal, Time, Zone, arith, invalid,
    now_utc,
};
use crate::error::Result;

fn bad(kind: &str, text: &str) -> crate::error::Error {
    invalid(format!("{text:?} is not a valid {kind} string"))
}

/// An offset: `Z`, `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`, `±HHMMSS`, in
/// seconds; `None` when `text` is not one.
pub(crate) fn offset(text: &str) -> Option<i32> {
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with(':') {
        return None;
    }
    let num = |s: &str| s.parse::<i32>().ok();
    let (h, m, s) = match digits.len() {
        2 => (num(&digits)?, 0, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?, 0),
        6 => (num(&digits[..2])?, num(&digits[2..4])?, num(&digits[4..])?),
        _ => return None,
    };
    if m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

/// Splits a leading run of ASCII digits off `text`.
fn digits(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

fn int(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A date string.
fn date(text: &str) -> Result<Date> {
    date_part(text).ok_or_else(|| bad("date", text))?
}

fn date_part(text: &str) -> Option<Result<Date>> {
    // The year: four digits, or a sign and any number of digits.
    let (year, rest) = match text.as_bytes().first()? {
        b'+' | b'-' => {
            let (d, rest) = digits(&text[1..]);
            let y = int(d)?;
            (if text.starts_with('-') { -y } else { y }, rest)
        }
        _ => {
            if text.len() < 4 || !text.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
                return None;
            }
            (int(&text[..4])?, &text[4..])
        }
    };
    if rest.is_empty() {
        return Some(Date::from_ymd(year, 1, 1));
    }
    let (dashed, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if let Some(w) = rest.strip_prefix('W') {
        let (week, day) = if dashed {
            match w.split_once('-') {
                Some((week, day)) => (week, Some(day)),
                None => (w, None),
            }
        } else if w.len() == 3 {
            (&w[..2], Some(&w[2..]))
        } else {
            (w, None)
        };
        if week.len() != 2 || day.is_some_and(|d| d.len() != 1) {
            return None;
        }
        let day = match day {
            Some(d) => int(d)?,
            None => 1,
        };
        return Some(Date::from_week(year, int(week)?, day));
    }
    if dashed {
        return match rest.len() {
            2 => Some(Date::from_ymd(year, int(rest)?, 1)),
            3 => Some(Date::from_ordinal(year, int(rest)?)),
            5 if rest.as_bytes()[2] == b'-' => {
                Some(Date::from_ymd(year, int(&rest[..2])?, int(&rest[3..])?))
            }
            _ => None,
        };
    }
    match rest.len() {
        2 => Some(Date::from_ymd(year, int(rest)?, 1)),
        3 => Some(Date::from_ordinal(year, int(rest)?)),
        4 => Some(Date::from_ymd(year, int(&rest[..2])?, int(&rest[2..])?)),
        _ => None,
    }
}

/// Nanoseconds of a fraction's digits (`142` → 142,000,000).
fn fraction(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut padded = text.to_owned();
    while padded.len() < 9 {
        padded.push('0');
    }
    padded.parse().ok()
}

/// A local time string, without offset.
fn local_time_part(text: &str) -> Option<Result<LocalTime>> {
    let (main, frac) = match text.find(['.', ',']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let fields: Vec<&str> = if main.contains(':') {
        main.split(':').collect()
    } else {
        if main.len() % 2 != 0 {
            return None;
        }
        (0..main.len() / 2)
            .map(|i| &main[i * 2..i * 2 + 2])
            .collect()
    };
    if fields.is_empty() || fields.len() > 3 || fields.iter().any(|f| f.len() != 2) {
        return None;
    }
    if frac.is_some() && fields.len() != 3 {
        return None;
    }
    let h = int(fields[0])?;
    let m = fields.get(1).map_or(Some(0), |f| int(f))?;
    let s = fields.get(2).map_or(Some(0), |f| int(f))?;
    let n = match frac {
        Some(f) => fraction(f)?,
        None => 0,
    };
    Some(LocalTime::from_hms(h, m, s, n))
}

/// Splits a time string into its local part, its offset and its zone name.
fn split_zone(text: &str) -> Option<(&str, Option<i32>, Option<&str>)> {
    let (text, zone) = match text.find('[') {
        Some(i) => {
            let name = text[i + 1..].strip_suffix(']')?;
            (&text[..i], Some(name))
        }
        None => (text, None),
    };
    match text.find(['Z', 'z', '+', '-']) {
        Some(i) => Some((&text[..i], Some(offset(&text[i..])?), zone)),
        None => Some((text, None, zone)),
    }
}

/// A local time string.
fn local_time(text: &str) -> Result<LocalTime> {
    local_time_part(text).ok_or_else(|| bad("local time", text))?
}

/// A time string; without an offset, UTC.
fn time(text: &str) -> Result<Time> {
    let (local, offset, zone) = split_zone(text).ok_or_else(|| bad("time", text))?;
    let t = local_time_part(local).ok_or_else(|| bad("time", text))??;
    let offset = match (offset, zone) {
        (Some(o), _) => o,
        (None, Some(name)) => Zone::parse(name)?.time_offset()?,
        (None, None) => 0,
    };
    Time::new(t, offset)
}

fn date_time_parts<'t>(text: &'t str, kind: &str) -> Result<(Date, &'t str)> {
    let (d, t) = match text.find(['T', 't']) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    let date = date_part(d).ok_or_else(|| bad(kind, text))??;
    Ok((date, t))
}

/// A local date-time string.
fn local_date_time(text: &str) -> Result<LocalDateTime> {
    let (date, t) = date_time_parts(text, "local datetime")?;
    let time = if t.is_empty() {
        LocalTime::from_nanos(0)?
    } else {
        local_time_part(t).ok_or_else(|| bad("local datetime", text))??
    };
    Ok(LocalDateTime::new(date, time))
}

/// A date-time string; without an offset or zone, UTC.
fn date_time(text: &str) -> Result<DateTime> {
    let (date, t) = date_time_parts(text, "datetime")?;
    let (local, offset, zone) = split_zone(t).ok_or_else(|| bad("datetime", text))?;
    let time = if local.is_empty() {
        LocalTime::from_nanos(0)?
    } else {
        local_time_part(local).ok_or_else(|| bad("datetime", text))??
    };
    let local = LocalDateTime::new(date, time);
    match (zone, offset) {
        (Some(name), offset) => Zone::parse(name)?.at_local(local, offset),
        (None, Some(o)) => Zone::Offset(o).at_local(local, None),
        (None, None) => Zone::Offset(0).at_local(local, None),
    }
}

/// A duration string.
fn duration(text: &str) -> Result<Duration> {
    duration_parts(text).ok_or_else(|| bad("duration", text))?
}

/// A number with an optional sign and fraction, as whole and nanosecond
/// parts when it has at most nine decimals, else as a float.
fn number(text: &str) -> Option<(f64, Option<(i64, i64)>)> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, frac) = match body.find(['.', ',']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let w = int(whole)?;
    let n = match frac {
        Some(f) => fraction(f)?,
        None => 0,
    };
    let value = format!("{whole}.{}", frac.unwrap_or("0"))
        .parse::<f64>()
        .ok()?;
    let sign: i64 = if negative { -1 } else { 1 };
    Some((sign as f64 * value, Some((sign * w, sign * n))))
}

fn duration_parts(text: &str) -> Option<Result<Duration>> {
    let body = text.strip_prefix(['P', 'p'])?;
    if body.is_empty() {
        return None;
    }
    // P2012-02-02T14:37:21.545
    if body.len() > 4 && body.as_bytes()[4] == b'-' && int(&body[..4]).is_some() {
        let (date, time) = body.split_once('T').unwrap_or((body, ""));
        let mut d = date.split('-');
        let (y, m, day) = (int(d.next()?)?, int(d.next()?)?, int(d.next()?)?);
        let t = if time.is_empty() {
            0
        } else {
            local_time_part(time)?.ok()?.nanos()
        };
        return Some(Duration::new(y * 12 + m, day, 0, t));
    }
    let (date, time) = match body.find(['T', 't']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = arith::Parts::default();
    let mut read = |section: &str, units: &[(char, &str)]| -> Option<()> {
        let mut rest = section;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
            let unit = rest[end..].chars().next()?.to_ascii_uppercase();
            let at = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
            next_unit = at + 1;
            let (float, exact) = number(&rest[..end])?;
            parts.add(units[at].1, float, exact);
            rest = &rest[end + 1..];
        }
        Some(())
    };
    read(
        date,
        &[
            ('Y', "years"),
            ('M', "months"),
            ('W', "weeks"),
            ('D', "days"),
        ],
    )?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        read(t, &[('H', "hours"), ('M', "minutes"), ('S', "seconds")])?;
    }
    Some(parts.duration())
}

/// `kind`'s value read from `text`. ISO 8601 is ASCII: other text is
/// refused before any field is cut out of it.
pub(crate) fn parse(kind: super::Kind, text: &str) -> Result<Temporal> {
    use super::Kind as K;
    if !text.is_ascii() {
        return Err(bad(kind.function(), text));
    }
    Ok(match kind {
        K::Date => Temporal::Date(date(text)?),
        K::LocalTime => Temporal::LocalTime(local_time(text)?),
        K::Time => Temporal::Time(time(text)?),
        K::LocalDateTime => Temporal::LocalDateTime(local_date_time(text)?),
        K::DateTime => Temporal::DateTime(date_time(text)?),
        K::Duration => Temporal::Duration(duration(text)?),
    })
}

/// The statement's "now" (the clock's, when `realtime`) as `kind`, in
/// `zone` (UTC when `None`).
pub(crate) fn now(kind: super::Kind, zone: Option<&Zone>, realtime: bool) -> Result<Temporal> {
    use super::Kind as K;
    let utc = Zone::Offset(0);
    let zone = zone.unwrap_or(&utc);
    let instant = if realtime {
        LocalDateTime::from_epoch_nanos(super::clock_now())?
    } else {
        now_utc()
    };
    let here = zone.at_instant(instant)?;
    Ok(match kind {
        K::Date => Temporal::Date(here.local.date),
        K::LocalTime => Temporal::LocalTime(here.local.time),
        K::Time => Temporal::Time(Time::new(here.local.time, here.offset)?),
        K::LocalDateTime => Temporal::LocalDateTime(here.local),
        K::DateTime => Temporal::DateTime(here),
        K::Duration => return Err(invalid("duration() needs an argument")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(kind: super::super::Kind, text: &str) -> String {
        parse(kind, text).unwrap().to_string()
    }

    #[test]
    fn reads_every_iso_form() {
        use super::super::Kind as K;
        for (input, want) in [
            ("20150721", "2015-07-21"),
            ("201507", "2015-07-01"),
            ("2015W302", "2015-07-21"),
            ("2015-W30", "2015-07-20"),
            ("2015202", "2015-07-21"),
            ("2015", "2015-01-01"),
            ("-0044-03-15", "-0044-03-15"),
            ("+999999999-12-31", "+999999999-12-31"),
        ] {
            assert_eq!(show(K::Date, input), want, "{input}");
        }
        assert_eq!(show(K::Time, "2140-02"), "21:40-02:00");
        assert_eq!(show(K::Time, "214032.142Z"), "21:40:32.142Z");
        assert_eq!(show(K::LocalDateTime, "2015-W30T2140"), "2015-07-20T21:40");
        assert_eq!(
            show(K::DateTime, "1818-07-21T21:40:32.142[Europe/Stockholm]"),
            "1818-07-21T21:40:32.142+00:53:28[Europe/Stockholm]"
        );
        assert_eq!(show(K::Duration, "P0.75M"), "P22DT19H51M49.5S");
        assert_eq!(
            show(K::Duration, "P2012-02-02T14:37:21.545"),
            "P2012Y2M2DT14H37M21.545S"
        );
        assert_eq!(show(K::Duration, "P12Y5M-14DT16H"), "P12Y5M-14DT16H");
        for (kind, bad) in [
            (K::Date, "2015-13-01"),
            (K::Date, "2015-02-30"),
            (K::Date, "20150"),
            (K::LocalTime, "12:60"),
            (K::LocalTime, "1:00"),
            (K::Time, "12:00+19:00:00:00"),
            (K::Duration, "P"),
            (K::Duration, "PT"),
            (K::Duration, "P1S"),
            (K::Duration, "PT1Y"),
            (K::LocalDateTime, "2015-07-21T25:00"),
        ] {
            assert!(parse(kind, bad).is_err(), "{bad}");
        }
        assert!(parse(K::Duration, "P1H").is_err());
        assert!(parse(K::DateTime, "2015-07-21T12:00[Europe/Nowhere]").is_err());
        // Non-ASCII text is refused, never cut inside a character.
        for text in ["1é", "2015W3é", "1é1", "12é:00", "Pé1D", "2015-é-01"] {
            for kind in [
                K::Date,
                K::LocalTime,
                K::Time,
                K::LocalDateTime,
                K::DateTime,
                K::Duration,
            ] {
                assert!(parse(kind, text).is_err(), "{text}");
            }
        }
    }
}
