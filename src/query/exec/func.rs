//! Scalar functions and aggregates.

use super::eval::{as_f64, plain};
use crate::query::error::{ErrorKind, QResult, QueryError, argument_error, type_error};
use crate::query::plan::func::{Aggregate, Function};
use crate::query::value::CypherValue as V;
use crate::query::value::CypherValue;
use crate::rng::Rng;

/// The longest list `range()` makes (a statement cannot ask for
/// gigabytes by accident).
const MAX_RANGE: usize = 10_000_000;

impl Function {
    /// Calls the function; arguments were counted at compile time.
    #[allow(clippy::too_many_lines, reason = "one arm per function")]
    pub fn call(self, args: Vec<CypherValue>) -> QResult<CypherValue> {
        use Function as F;
        let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
        if matches!(
            self,
            F::Temporal(_)
                | F::Clock(..)
                | F::Truncate(_)
                | F::FromEpoch
                | F::FromEpochMillis
                | F::Between(_)
                | F::Timestamp
        ) {
            return super::temporal::call(self, &args);
        }
        match self {
            F::Pi => return Ok(V::Float(std::f64::consts::PI)),
            F::E => return Ok(V::Float(std::f64::consts::E)),
            F::Rand => return Ok(V::Float(random())),
            F::Coalesce => return Ok(args.into_iter().find(|a| !a.is_null()).unwrap_or(V::Null)),
            F::ValueType => return Ok(V::String(value_type(&arg(0)))),
            F::MapMerge => return map_merge(arg(0), arg(1)),
            F::CollToSet => return coll_to_set(arg(0)),
            F::MapClean => return map_clean(arg(0), &arg(1), &arg(2)),
            F::FusionRrf => return super::fusion::rrf(&arg(0), &arg(1)),
            F::FusionWeighted => return super::fusion::weighted(&arg(0), &arg(1)),
            F::Round if args.len() > 1 => return round_to(&arg(0), &arg(1), args.get(2)),
            F::Replace
            | F::Substring
            | F::Left
            | F::Right
            | F::Split
            | F::Range
            | F::Atan2
            | F::SimilarityCosine
            | F::SimilarityEuclidean => {}
            _ => {
                if arg(0).is_null() {
                    return Ok(V::Null);
                }
            }
        }
        let x = arg(0);
        Ok(match self {
            F::Abs => match x {
                V::Int(i) => V::Int(i.checked_abs().ok_or_else(|| {
                    QueryError::runtime(
                        ErrorKind::ArithmeticError,
                        "IntegerOverflow",
                        "integer overflow",
                    )
                })?),
                V::Float(f) => V::Float(f.abs()),
                other => return Err(needs("abs", "a number", &other)),
            },
            F::Ceil
            | F::Floor
            | F::Round
            | F::Sqrt
            | F::Exp
            | F::Log
            | F::Log10
            | F::Sin
            | F::Cos
            | F::Tan
            | F::Asin
            | F::Acos
            | F::Atan
            | F::Degrees
            | F::Radians => {
                if !matches!(x, V::Int(_) | V::Float(_)) {
                    return Err(needs(&format!("{self:?}").to_lowercase(), "a number", &x));
                }
                let f = as_f64(&x);
                V::Float(match self {
                    F::Ceil => f.ceil(),
                    F::Floor => f.floor(),
                    F::Round => round_half_up(f),
                    F::Sqrt => f.sqrt(),
                    F::Exp => f.exp(),
                    F::Log => f.ln(),
                    F::Log10 => f.log10(),
                    F::Sin => f.sin(),
                    F::Cos => f.cos(),
                    F::Tan => f.tan(),
                    F::Asin => f.asin(),
                    F::Acos => f.acos(),
                    F::Atan => f.atan(),
                    F::Degrees => f.to_degrees(),
                    _ => f.to_radians(),
                })
            }
            F::Atan2 => match (arg(0), arg(1)) {
                (V::Null, _) | (_, V::Null) => V::Null,
                (a @ (V::Int(_) | V::Float(_)), b @ (V::Int(_) | V::Float(_))) => {
                    V::Float(as_f64(&a).atan2(as_f64(&b)))
                }
                (a, _) => return Err(needs("atan2", "numbers", &a)),
            },
            F::Sign => match x {
                V::Int(i) => V::Int(i.signum()),
                V::Float(f) => V::Int(if f > 0.0 {
                    1
                } else if f < 0.0 {
                    -1
                } else {
                    0
                }),
                other => return Err(needs("sign", "a number", &other)),
            },
            F::IsNaN => match x {
                V::Float(f) => V::Bool(f.is_nan()),
                V::Int(_) => V::Bool(false),
                other => return Err(needs("isNaN", "a number", &other)),
            },
            F::Size => match x {
                V::List(l) => V::Int(l.len() as i64),
                V::String(s) => V::Int(s.chars().count() as i64),
                V::Map(m) => V::Int(m.len() as i64),
                other => return Err(needs("size", "a list or a string", &other)),
            },
            F::Head | F::Last => match x {
                V::List(l) => {
                    let item = if self == F::Head { l.first() } else { l.last() };
                    item.cloned().unwrap_or(V::Null)
                }
                other => return Err(needs("head/last", "a list", &other)),
            },
            F::Tail => match x {
                V::List(l) => V::List(l.into_iter().skip(1).collect()),
                other => return Err(needs("tail", "a list", &other)),
            },
            F::Reverse => match x {
                V::List(mut l) => {
                    l.reverse();
                    V::List(l)
                }
                V::String(s) => V::String(s.chars().rev().collect()),
                other => return Err(needs("reverse", "a list or a string", &other)),
            },
            F::Range => {
                let int = |v: &CypherValue, what: &str| match v {
                    V::Int(i) => Ok(*i),
                    other => Err(argument_error(
                        "InvalidArgumentType",
                        format!("range() needs {what}, not {}", other.type_name()),
                    )),
                };
                let start = int(&arg(0), "integer bounds")?;
                let end = int(&arg(1), "integer bounds")?;
                let step = if args.len() > 2 {
                    int(&arg(2), "an integer step")?
                } else {
                    1
                };
                if step == 0 {
                    return Err(argument_error(
                        "NumberOutOfRange",
                        "range() needs a step other than 0",
                    ));
                }
                let mut out = Vec::new();
                let mut i = start;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    out.push(V::Int(i));
                    if out.len() >= MAX_RANGE {
                        return Err(argument_error(
                            "NumberOutOfRange",
                            format!("range() makes at most {MAX_RANGE} values"),
                        ));
                    }
                    match i.checked_add(step) {
                        Some(next) => i = next,
                        None => break,
                    }
                }
                V::List(out)
            }
            F::Keys => match x {
                V::Map(m) => V::List(m.into_keys().map(V::String).collect()),
                other => return Err(needs("keys", "a map", &other)),
            },
            F::ToString => match x {
                V::String(_) => x,
                V::Int(_) | V::Float(_) | V::Bool(_) | V::Temporal(_) => V::String(plain(&x)),
                other => {
                    return Err(needs(
                        "toString",
                        "a string, number, boolean or temporal value",
                        &other,
                    ));
                }
            },
            F::ToInteger => match x {
                V::Int(_) => x,
                V::Float(f) => {
                    if f.is_finite() && f.abs() < 9.223_372_036_854_776e18 {
                        V::Int(f.trunc() as i64)
                    } else {
                        V::Null
                    }
                }
                V::String(s) => parse_integer(s.trim()),
                V::Bool(b) => V::Int(i64::from(b)),
                other => return Err(needs("toInteger", "a string, number or boolean", &other)),
            },
            F::ToFloat => match x {
                V::Float(_) => x,
                V::Int(i) => V::Float(i as f64),
                V::String(s) => s.trim().parse::<f64>().map_or(V::Null, V::Float),
                other => return Err(needs("toFloat", "a string or number", &other)),
            },
            F::ToBoolean => match x {
                V::Bool(_) => x,
                V::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" => V::Bool(true),
                    "false" => V::Bool(false),
                    _ => V::Null,
                },
                V::Int(i) => V::Bool(i != 0),
                other => return Err(needs("toBoolean", "a string, integer or boolean", &other)),
            },
            F::ToUpper | F::ToLower | F::Trim | F::LTrim | F::RTrim => match x {
                V::String(s) => V::String(match self {
                    F::ToUpper => s.to_uppercase(),
                    F::ToLower => s.to_lowercase(),
                    F::Trim => s.trim().to_owned(),
                    F::LTrim => s.trim_start().to_owned(),
                    _ => s.trim_end().to_owned(),
                }),
                other => return Err(needs("string functions", "a string", &other)),
            },
            F::Replace => match (arg(0), arg(1), arg(2)) {
                (V::String(s), V::String(from), V::String(to)) => V::String(s.replace(&from, &to)),
                (a, b, c) if a.is_null() || b.is_null() || c.is_null() => V::Null,
                (a, _, _) => return Err(needs("replace", "strings", &a)),
            },
            F::Substring => {
                let s = match arg(0) {
                    V::Null => return Ok(V::Null),
                    V::String(s) => s,
                    other => return Err(needs("substring", "a string", &other)),
                };
                let start = non_negative(&arg(1), "substring")?;
                let len = if args.len() > 2 {
                    Some(non_negative(&arg(2), "substring")?)
                } else {
                    None
                };
                let chars = s.chars().skip(start);
                V::String(match len {
                    Some(n) => chars.take(n).collect(),
                    None => chars.collect(),
                })
            }
            F::Left | F::Right => {
                let s = match arg(0) {
                    V::Null => return Ok(V::Null),
                    V::String(s) => s,
                    other => return Err(needs("left/right", "a string", &other)),
                };
                if arg(1).is_null() {
                    return Err(argument_error(
                        "NumberOutOfRange",
                        "left/right need a length",
                    ));
                }
                let n = non_negative(&arg(1), "left/right")?;
                let count = s.chars().count();
                V::String(if self == F::Left {
                    s.chars().take(n).collect()
                } else {
                    s.chars().skip(count.saturating_sub(n)).collect()
                })
            }
            F::SimilarityCosine | F::SimilarityEuclidean => similarity(self, &arg(0), &arg(1))?,
            F::Split => match (arg(0), arg(1)) {
                (V::String(s), V::String(sep)) => V::List(if sep.is_empty() {
                    s.chars().map(|c| V::String(c.to_string())).collect()
                } else {
                    s.split(sep.as_str())
                        .map(|p| V::String(p.to_owned()))
                        .collect()
                }),
                (a, b) if a.is_null() || b.is_null() => V::Null,
                (a, _) => return Err(needs("split", "strings", &a)),
            },
            // Answered above, or with the graph in `expr::graph_call`.
            _ => V::Null,
        })
    }
}

/// Neo4j's vector similarities, in [0, 1]: `(1 + cos) / 2` and
/// `1 / (1 + d²)`; `null` when an argument is `null` (or, for the cosine,
/// a vector is zero).
fn similarity(f: Function, left: &CypherValue, right: &CypherValue) -> QResult<CypherValue> {
    let name = if f == Function::SimilarityCosine {
        "vector.similarity.cosine"
    } else {
        "vector.similarity.euclidean"
    };
    let numbers = |v: &CypherValue| -> QResult<Option<Vec<f64>>> {
        match v {
            V::Null => Ok(None),
            V::List(items) => items
                .iter()
                .map(|x| match x {
                    V::Int(_) | V::Float(_) => Ok(as_f64(x)),
                    other => Err(needs(name, "lists of numbers", other)),
                })
                .collect::<QResult<Vec<f64>>>()
                .map(Some),
            other => Err(needs(name, "lists of numbers", other)),
        }
    };
    let (Some(u), Some(w)) = (numbers(left)?, numbers(right)?) else {
        return Ok(V::Null);
    };
    if u.len() != w.len() || u.is_empty() {
        return Err(argument_error(
            "InvalidArgumentValue",
            format!(
                "{name}() needs two non-empty vectors of one dimension, not {} and {}",
                u.len(),
                w.len()
            ),
        ));
    }
    Ok(if f == Function::SimilarityCosine {
        let dot: f64 = u.iter().zip(&w).map(|(p, q)| p * q).sum();
        let nu = u.iter().map(|p| p * p).sum::<f64>().sqrt();
        let nw = w.iter().map(|q| q * q).sum::<f64>().sqrt();
        if nu == 0.0 || nw == 0.0 {
            V::Null
        } else {
            V::Float(f64::midpoint(1.0, (dot / (nu * nw)).clamp(-1.0, 1.0)))
        }
    } else {
        let d2: f64 = u.iter().zip(&w).map(|(p, q)| (p - q) * (p - q)).sum();
        V::Float(1.0 / (1.0 + d2))
    })
}

fn needs(function: &str, what: &str, got: &CypherValue) -> QueryError {
    type_error(format!(
        "{function}() needs {what}, not {}",
        got.type_name()
    ))
}

fn non_negative(v: &CypherValue, function: &str) -> QResult<usize> {
    match v {
        V::Int(i) if *i >= 0 => Ok(*i as usize),
        V::Int(_) => Err(argument_error(
            "NumberOutOfRange",
            format!("{function}() needs a non-negative integer"),
        )),
        other => Err(needs(function, "an integer", other)),
    }
}

/// Cypher rounds halves up: `round(2.5)` is 3, `round(-2.5)` is -2.
fn round_half_up(f: f64) -> f64 {
    (f + 0.5).floor()
}

/// `round(value, precision [, mode])`, as Neo4j computes it: the value's
/// shortest decimal form (Java's `BigDecimal.valueOf`) rounded to
/// `precision` decimals by one of Java's `RoundingMode`s — `HALF_UP` (ties
/// away from zero) by default, except that precision 0 without a mode
/// rounds ties up, as `round(value)` does. Any `null` gives `null`; a
/// negative precision or an unknown mode is an argument error, and
/// `UNNECESSARY` one when rounding would change the value.
fn round_to(value: &V, precision: &V, mode: Option<&V>) -> QResult<CypherValue> {
    if value.is_null() || precision.is_null() || mode.is_some_and(V::is_null) {
        return Ok(V::Null);
    }
    let x = match value {
        V::Int(_) | V::Float(_) => as_f64(value),
        other => return Err(needs("round", "a number", other)),
    };
    let V::Int(precision) = *precision else {
        return Err(needs("round", "an integer precision", precision));
    };
    if precision < 0 {
        return Err(argument_error(
            "NumberOutOfRange",
            format!("round(): the precision cannot be negative, not {precision}"),
        ));
    }
    let mode = match mode {
        None if precision == 0 => return Ok(V::Float(round_half_up(x))),
        None => "HALF_UP".to_owned(),
        Some(V::String(m)) => m.to_ascii_uppercase(),
        Some(other) => return Err(needs("round", "a rounding mode string", other)),
    };
    if !matches!(
        mode.as_str(),
        "UP" | "DOWN" | "CEILING" | "FLOOR" | "HALF_UP" | "HALF_DOWN" | "HALF_EVEN" | "UNNECESSARY"
    ) {
        return Err(argument_error(
            "InvalidArgumentValue",
            format!(
                "round(): unknown rounding mode {mode:?} (UP, DOWN, CEILING, FLOOR, HALF_UP, HALF_DOWN, HALF_EVEN or UNNECESSARY)"
            ),
        ));
    }
    if !x.is_finite() {
        return Ok(V::Float(x));
    }
    // Rust writes an f64 as its shortest round-tripping decimal, without
    // an exponent, as Java's Double.toString digits are.
    let text = format!("{}", x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let keep = usize::try_from(precision).unwrap_or(usize::MAX);
    if fraction.len() <= keep {
        return Ok(V::Float(x));
    }
    let (kept, dropped) = fraction.split_at(keep);
    let first = dropped.as_bytes()[0] - b'0';
    let rest = dropped[1..].bytes().any(|d| d != b'0');
    let inexact = first != 0 || rest;
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(kept.bytes())
        .map(|d| d - b'0')
        .collect();
    let odd = digits.last().is_some_and(|d| d % 2 == 1);
    let negative = x < 0.0;
    let up = match mode.as_str() {
        "UP" => inexact,
        "DOWN" => false,
        "CEILING" => inexact && !negative,
        "FLOOR" => inexact && negative,
        "HALF_UP" => first >= 5,
        "HALF_DOWN" => first > 5 || (first == 5 && rest),
        "HALF_EVEN" => first > 5 || (first == 5 && (rest || odd)),
        _ if inexact => {
            return Err(QueryError::runtime(
                ErrorKind::ArithmeticError,
                "RoundingNecessary",
                format!("round(): {x} has more than {precision} decimals (mode UNNECESSARY)"),
            ));
        }
        _ => false,
    };
    if up {
        let mut at = digits.len();
        loop {
            if at == 0 {
                digits.insert(0, 1);
                break;
            }
            at -= 1;
            if digits[at] == 9 {
                digits[at] = 0;
            } else {
                digits[at] += 1;
                break;
            }
        }
    }
    let split = digits.len() - keep;
    let mut number: String = digits[..split]
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect();
    if keep > 0 {
        number.push('.');
        number.extend(digits[split..].iter().map(|d| char::from(b'0' + d)));
    }
    let magnitude: f64 = number.parse().unwrap_or(x.abs());
    Ok(V::Float(if negative { -magnitude } else { magnitude }))
}

fn parse_integer(s: &str) -> CypherValue {
    if let Ok(i) = s.parse::<i64>() {
        return V::Int(i);
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f.abs() < 9.223_372_036_854_776e18 => V::Int(f.trunc() as i64),
        _ => V::Null,
    }
}

fn value_type(v: &CypherValue) -> String {
    match v {
        V::Null => "NULL".to_owned(),
        V::List(items) => {
            let mut inner: Option<String> = None;
            for item in items {
                let t = value_type(item);
                inner = match inner {
                    None => Some(t),
                    Some(prev) if prev == t => Some(prev),
                    Some(_) => Some("ANY".to_owned()),
                };
            }
            format!(
                "LIST<{} NOT NULL>",
                inner.unwrap_or_else(|| "NOTHING".to_owned())
            )
        }
        other => format!("{} NOT NULL", other.type_name()),
    }
}

/// `rand()`: a generator per thread, seeded from the process's random
/// hash keys.
fn random() -> f64 {
    use std::cell::RefCell;
    use std::hash::{BuildHasher, RandomState};
    thread_local! {
        static RNG: RefCell<Rng> = RefCell::new(Rng::new(RandomState::new().hash_one(0u8)));
    }
    RNG.with_borrow_mut(Rng::f64)
}

impl Aggregate {
    /// Folds the non-null `values` of one group (`second`: a percentile's
    /// argument, taken from the group's first row).
    #[allow(clippy::too_many_lines, reason = "one arm per aggregate")]
    pub fn finish(
        self,
        values: Vec<CypherValue>,
        second: Option<&CypherValue>,
    ) -> QResult<CypherValue> {
        use Aggregate as A;
        Ok(match self {
            A::CountStar | A::Count => V::Int(values.len() as i64),
            A::Collect => V::List(values),
            A::Min | A::Max => {
                let mut best: Option<CypherValue> = None;
                for v in values {
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let keep_new = match v.compare(&b) {
                                Some(o) => (o == std::cmp::Ordering::Less) == (self == A::Min),
                                // Mixed types: the global order decides.
                                None => {
                                    (v.order(&b) == std::cmp::Ordering::Less) == (self == A::Min)
                                }
                            };
                            if keep_new { v } else { b }
                        }
                    });
                }
                best.unwrap_or(V::Null)
            }
            A::Sum => {
                let mut int: Option<i64> = Some(0);
                let mut float = 0.0;
                let mut any_float = false;
                for v in &values {
                    match v {
                        V::Int(i) => {
                            int = int.and_then(|s| s.checked_add(*i));
                            float += *i as f64;
                        }
                        V::Float(f) => {
                            any_float = true;
                            float += f;
                        }
                        other => return Err(needs("sum", "numbers", other)),
                    }
                }
                if any_float {
                    V::Float(float)
                } else {
                    V::Int(int.ok_or_else(|| {
                        QueryError::runtime(
                            ErrorKind::ArithmeticError,
                            "IntegerOverflow",
                            "sum() overflows",
                        )
                    })?)
                }
            }
            A::Avg | A::StDev | A::StDevP => {
                let mut xs = Vec::with_capacity(values.len());
                for v in &values {
                    match v {
                        V::Int(_) | V::Float(_) => xs.push(as_f64(v)),
                        other => return Err(needs("avg/stDev", "numbers", other)),
                    }
                }
                if xs.is_empty() {
                    return Ok(if self == A::Avg {
                        V::Null
                    } else {
                        V::Float(0.0)
                    });
                }
                let n = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / n;
                if self == A::Avg {
                    return Ok(V::Float(mean));
                }
                let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
                let denominator = if self == A::StDev { n - 1.0 } else { n };
                V::Float(if denominator > 0.0 {
                    (ss / denominator).sqrt()
                } else {
                    0.0
                })
            }
            A::PercentileCont | A::PercentileDisc => {
                let p = match second {
                    Some(V::Int(_) | V::Float(_)) => as_f64(second.unwrap_or(&V::Null)),
                    Some(V::Null) | None => return Ok(V::Null),
                    Some(other) => return Err(needs("percentile", "a number", other)),
                };
                if !(0.0..=1.0).contains(&p) {
                    return Err(argument_error(
                        "NumberOutOfRange",
                        format!("a percentile must be in [0, 1], not {p}"),
                    ));
                }
                let mut xs: Vec<CypherValue> = Vec::with_capacity(values.len());
                for v in values {
                    match v {
                        V::Int(_) | V::Float(_) => xs.push(v),
                        other => return Err(needs("percentile", "numbers", &other)),
                    }
                }
                if xs.is_empty() {
                    return Ok(V::Null);
                }
                xs.sort_by(|a, b| as_f64(a).total_cmp(&as_f64(b)));
                let n = xs.len();
                if self == A::PercentileDisc {
                    // The smallest value with at least a fraction p of the
                    // values at or below it, as it was given.
                    let at = ((p * n as f64).ceil() as usize).saturating_sub(1);
                    xs.swap_remove(at.min(n - 1))
                } else {
                    let pos = p * (n - 1) as f64;
                    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                    let (a, b) = (as_f64(&xs[lo]), as_f64(&xs[hi]));
                    V::Float(a + (b - a) * (pos - lo as f64))
                }
            }
        })
    }
}

/// `apoc.map.merge(a, b)`: `a`'s entries with `b`'s over them; a `null`
/// map counts as empty (as in APOC).
fn map_merge(a: CypherValue, b: CypherValue) -> QResult<CypherValue> {
    let entries = |v: CypherValue| match v {
        V::Map(m) => Ok(m),
        V::Null => Ok(std::collections::BTreeMap::new()),
        other => Err(needs("apoc.map.merge", "maps", &other)),
    };
    let mut merged = entries(a)?;
    merged.extend(entries(b)?);
    Ok(V::Map(merged))
}

/// `apoc.coll.toSet(list)`: the list's distinct values (equal as
/// `DISTINCT` compares them) in the order they first occur; `null` gives
/// an empty list, as in APOC.
fn coll_to_set(list: CypherValue) -> QResult<CypherValue> {
    let items = match list {
        V::List(items) => items,
        V::Null => return Ok(V::List(Vec::new())),
        other => return Err(needs("apoc.coll.toSet", "a list", &other)),
    };
    // Sorted by value then position, the first of each run of equal
    // values is its first occurrence.
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].order(&items[b]).then(a.cmp(&b)));
    let mut keep = vec![false; items.len()];
    for (i, &at) in order.iter().enumerate() {
        keep[at] = i == 0 || !items[order[i - 1]].equivalent(&items[at]);
    }
    Ok(V::List(
        items
            .into_iter()
            .zip(keep)
            .filter_map(|(item, k)| k.then_some(item))
            .collect(),
    ))
}

/// `apoc.map.clean(map, keys, values)`: the map without the keys listed
/// and without the entries whose value is `null` or equals (as `=`
/// compares) one of the values listed; a `null` map gives an empty map,
/// as in APOC.
fn map_clean(map: CypherValue, keys: &CypherValue, values: &CypherValue) -> QResult<CypherValue> {
    let list = |v: &CypherValue, what: &str| match v {
        V::List(items) => Ok(items.clone()),
        V::Null => Ok(Vec::new()),
        other => Err(needs("apoc.map.clean", what, other)),
    };
    let (keys, values) = (
        list(keys, "a list of keys")?,
        list(values, "a list of values")?,
    );
    let entries = match map {
        V::Map(m) => m,
        V::Null => return Ok(V::Map(std::collections::BTreeMap::new())),
        other => return Err(needs("apoc.map.clean", "a map", &other)),
    };
    Ok(V::Map(
        entries
            .into_iter()
            .filter(|(k, v)| {
                !v.is_null()
                    && !keys.iter().any(|x| matches!(x, V::String(s) if s == k))
                    && !values.iter().any(|x| v.equals(x) == Some(true))
            })
            .collect(),
    ))
}
