//! The functions and aggregates a compiled expression calls, by name.
//! Run by `exec::func`.

use crate::query::error::{ErrorKind, QueryError, semantic};
use crate::temporal::Kind;
use crate::temporal::arith::Between;

/// A scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    Abs,
    Ceil,
    Floor,
    Round,
    Sign,
    Sqrt,
    Exp,
    Log,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Degrees,
    Radians,
    Pi,
    E,
    Rand,
    IsNaN,
    Size,
    Head,
    Last,
    Tail,
    Reverse,
    Range,
    Keys,
    Coalesce,
    ToString,
    ToInteger,
    ToFloat,
    ToBoolean,
    ToUpper,
    ToLower,
    Trim,
    LTrim,
    RTrim,
    Replace,
    Substring,
    Left,
    Right,
    Split,
    ValueType,
    Id,
    /// `elementId(x)`: the id as a string (Neo4j's opaque form).
    ElementId,
    Labels,
    Type,
    Properties,
    StartNode,
    EndNode,
    Nodes,
    Relationships,
    Length,
    SimilarityCosine,
    SimilarityEuclidean,
    /// `fusion.rrf(lists [, k])`: reciprocal-rank fusion of ranked lists.
    FusionRrf,
    /// `fusion.weighted(lists [, weights])`: normalised weighted-score
    /// fusion of ranked lists.
    FusionWeighted,
    /// `apoc.map.merge(a, b)`: `a`'s entries with `b`'s over them.
    MapMerge,
    /// `apoc.coll.toSet(list)`: the list without repeats, first
    /// occurrences kept in order.
    CollToSet,
    /// `apoc.map.clean(map, keys, values)`: without the keys listed, the
    /// entries holding `null` or one of the values listed.
    MapClean,
    /// `apoc.any.property(x, key)`: property `key` of a node or
    /// relationship, or entry `key` of a map.
    AnyProperty,
    /// `date(...)`, `datetime(...)`, ...: from a map, a string or another
    /// temporal value; the statement's time without an argument.
    Temporal(Kind),
    /// `date.statement()` and its relatives (`transaction`, the same
    /// clock here; `realtime`, the clock read at the call).
    Clock(Kind, bool),
    /// `date.truncate(unit, value[, map])`, ...
    Truncate(Kind),
    /// `datetime.fromepoch(seconds, nanoseconds)`.
    FromEpoch,
    /// `datetime.fromepochmillis(milliseconds)`.
    FromEpochMillis,
    /// `duration.between` and its relatives.
    Between(Between),
    /// `timestamp()`: the statement's time in milliseconds since
    /// 1970-01-01T00:00Z.
    Timestamp,
}

impl Function {
    /// Whether it reads nodes, relationships or paths (run with the
    /// graph, in `expr::graph_call`).
    pub fn reads_graph(self) -> bool {
        use Function as F;
        matches!(
            self,
            F::Id
                | F::ElementId
                | F::Labels
                | F::Type
                | F::Properties
                | F::StartNode
                | F::EndNode
                | F::Nodes
                | F::Relationships
                | F::Length
                | F::AnyProperty
        )
    }

    /// The function called `name` (case-insensitive) and the numbers of
    /// arguments it takes.
    pub fn lookup(name: &str) -> Option<(Function, usize, usize)> {
        use Function as F;
        Some(match name.to_ascii_lowercase().as_str() {
            "abs" => (F::Abs, 1, 1),
            "ceil" => (F::Ceil, 1, 1),
            "floor" => (F::Floor, 1, 1),
            "round" => (F::Round, 1, 3),
            "sign" => (F::Sign, 1, 1),
            "sqrt" => (F::Sqrt, 1, 1),
            "exp" => (F::Exp, 1, 1),
            "log" => (F::Log, 1, 1),
            "log10" => (F::Log10, 1, 1),
            "sin" => (F::Sin, 1, 1),
            "cos" => (F::Cos, 1, 1),
            "tan" => (F::Tan, 1, 1),
            "asin" => (F::Asin, 1, 1),
            "acos" => (F::Acos, 1, 1),
            "atan" => (F::Atan, 1, 1),
            "atan2" => (F::Atan2, 2, 2),
            "degrees" => (F::Degrees, 1, 1),
            "radians" => (F::Radians, 1, 1),
            "pi" => (F::Pi, 0, 0),
            "e" => (F::E, 0, 0),
            "rand" => (F::Rand, 0, 0),
            "isnan" => (F::IsNaN, 1, 1),
            "size" => (F::Size, 1, 1),
            "head" => (F::Head, 1, 1),
            "last" => (F::Last, 1, 1),
            "tail" => (F::Tail, 1, 1),
            "reverse" => (F::Reverse, 1, 1),
            "range" => (F::Range, 2, 3),
            "keys" => (F::Keys, 1, 1),
            "coalesce" => (F::Coalesce, 1, usize::MAX),
            "tostring" => (F::ToString, 1, 1),
            "tointeger" => (F::ToInteger, 1, 1),
            "tofloat" => (F::ToFloat, 1, 1),
            "toboolean" => (F::ToBoolean, 1, 1),
            "toupper" => (F::ToUpper, 1, 1),
            "tolower" => (F::ToLower, 1, 1),
            "trim" => (F::Trim, 1, 1),
            "ltrim" => (F::LTrim, 1, 1),
            "rtrim" => (F::RTrim, 1, 1),
            "replace" => (F::Replace, 3, 3),
            "substring" => (F::Substring, 2, 3),
            "left" => (F::Left, 2, 2),
            "right" => (F::Right, 2, 2),
            "split" => (F::Split, 2, 2),
            "valuetype" => (F::ValueType, 1, 1),
            "id" => (F::Id, 1, 1),
            "elementid" => (F::ElementId, 1, 1),
            "labels" => (F::Labels, 1, 1),
            "type" => (F::Type, 1, 1),
            "properties" => (F::Properties, 1, 1),
            "startnode" => (F::StartNode, 1, 1),
            "endnode" => (F::EndNode, 1, 1),
            "nodes" => (F::Nodes, 1, 1),
            "relationships" => (F::Relationships, 1, 1),
            "length" => (F::Length, 1, 1),
            "vector.similarity.cosine" => (F::SimilarityCosine, 2, 2),
            "vector.similarity.euclidean" => (F::SimilarityEuclidean, 2, 2),
            "fusion.rrf" => (F::FusionRrf, 1, 2),
            "fusion.weighted" => (F::FusionWeighted, 1, 2),
            "apoc.map.merge" => (F::MapMerge, 2, 2),
            "apoc.coll.toset" => (F::CollToSet, 1, 1),
            "apoc.map.clean" => (F::MapClean, 3, 3),
            "apoc.any.property" => (F::AnyProperty, 2, 2),
            "timestamp" => (F::Timestamp, 0, 0),
            "datetime.fromepoch" => (F::FromEpoch, 2, 2),
            "datetime.fromepochmillis" => (F::FromEpochMillis, 1, 1),
            "duration.between" => (F::Between(Between::All), 2, 2),
            "duration.inmonths" => (F::Between(Between::Months), 2, 2),
            "duration.indays" => (F::Between(Between::Days), 2, 2),
            "duration.inseconds" => (F::Between(Between::Seconds), 2, 2),
            other => return temporal(other),
        })
    }
}

/// `date`, `date.truncate`, `date.statement`, ... by name (lower case).
fn temporal(name: &str) -> Option<(Function, usize, usize)> {
    let (head, tail) = name.split_once('.').unwrap_or((name, ""));
    let kind = Kind::of_function(head)?;
    Some(match (kind, tail) {
        (_, "") => (Function::Temporal(kind), 0, 1),
        (Kind::Duration, _) => return None,
        (_, "truncate") => (Function::Truncate(kind), 2, 3),
        (_, "statement" | "transaction") => (Function::Clock(kind, false), 0, 1),
        (_, "realtime") => (Function::Clock(kind, true), 0, 1),
        _ => return None,
    })
}

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aggregate {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Collect,
    StDev,
    StDevP,
    PercentileCont,
    PercentileDisc,
}

impl Aggregate {
    /// The aggregate called `name`, with its number of arguments.
    pub fn lookup(name: &str) -> Option<(Aggregate, usize)> {
        use Aggregate as A;
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => (A::Count, 1),
            "sum" => (A::Sum, 1),
            "avg" => (A::Avg, 1),
            "min" => (A::Min, 1),
            "max" => (A::Max, 1),
            "collect" => (A::Collect, 1),
            "stdev" => (A::StDev, 1),
            "stdevp" => (A::StDevP, 1),
            "percentilecont" => (A::PercentileCont, 2),
            "percentiledisc" => (A::PercentileDisc, 2),
            _ => return None,
        })
    }
}

/// Refuses a call of an unknown function.
pub(crate) fn unknown_function(name: &str) -> QueryError {
    semantic("UnknownFunction", format!("unknown function {name}()"))
}

/// Refuses a call with the wrong number of arguments.
pub(crate) fn wrong_arity(name: &str, got: usize) -> QueryError {
    QueryError::compile(
        ErrorKind::SyntaxError,
        "InvalidNumberOfArguments",
        format!("{name}() does not take {got} argument(s)"),
    )
}
