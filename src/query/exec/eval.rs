//! Compiled expressions and their evaluation.
//!
//! Variables are resolved to slots at compile time: a slot below the row's
//! width reads the row, one above it a local of a comprehension,
//! quantifier or `reduce`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::graph::{Graph, no_graph};
use super::matcher::Matcher;
use super::run_query_read;
use crate::query::error::{ErrorKind, QResult, QueryError, argument_error, type_error};
use crate::query::plan::expr::{BinaryOp, Expr, Quantifier, Subquery, UnaryOp};
use crate::query::plan::func::Function;
use crate::query::value::CypherValue as V;
use crate::query::value::{CypherValue, NodeValue, Params, RelValue};

/// What an expression reads.
pub(crate) struct Env<'a> {
    pub row: &'a [CypherValue],
    pub locals: Vec<CypherValue>,
    pub aggregates: &'a [CypherValue],
    pub params: &'a Params,
    /// The graph, when the statement runs on a transaction.
    pub graph: Option<&'a Graph<'a>>,
}

impl<'a> Env<'a> {
    pub fn new(
        row: &'a [CypherValue],
        params: &'a Params,
        graph: Option<&'a Graph<'a>>,
    ) -> Env<'a> {
        Env {
            row,
            locals: Vec::new(),
            aggregates: &[],
            params,
            graph,
        }
    }

    fn graph(&self) -> QResult<&'a Graph<'a>> {
        self.graph.ok_or_else(no_graph)
    }

    /// The row with the locals after it: what a pattern inside an
    /// expression extends.
    fn whole_row(&self) -> Vec<CypherValue> {
        let mut row = self.row.to_vec();
        row.extend(self.locals.iter().cloned());
        row
    }

    fn get(&self, slot: usize) -> CypherValue {
        if slot < self.row.len() {
            self.row[slot].clone()
        } else {
            self.locals
                .get(slot - self.row.len())
                .cloned()
                .unwrap_or(V::Null)
        }
    }

    /// The value in `slot`, if it is in the row.
    fn peek(&self, slot: usize) -> Option<&'a CypherValue> {
        self.row.get(slot)
    }

    fn set(&mut self, slot: usize, value: CypherValue) {
        let i = slot.saturating_sub(self.row.len());
        if self.locals.len() <= i {
            self.locals.resize(i + 1, V::Null);
        }
        self.locals[i] = value;
    }
}

impl Expr {
    /// Evaluates the expression.
    #[allow(clippy::too_many_lines, reason = "one arm per expression form")]
    pub fn eval(&self, env: &mut Env<'_>) -> QResult<CypherValue> {
        Ok(match self {
            Expr::Const(v) => v.clone(),
            Expr::Slot(s) => env.get(*s),
            Expr::Param(name) => env.params.get(name).cloned().ok_or_else(|| {
                QueryError::runtime(
                    ErrorKind::ParameterMissing,
                    "MissingParameter",
                    format!("parameter ${name} was not given"),
                )
            })?,
            Expr::List(items) => {
                V::List(items.iter().map(|e| e.eval(env)).collect::<QResult<_>>()?)
            }
            Expr::Map(entries) => {
                let mut map = BTreeMap::new();
                for (k, e) in entries {
                    map.insert(k.clone(), e.eval(env)?);
                }
                V::Map(map)
            }
            Expr::Property(base, key) => {
                // A variable's property reads the variable in place.
                if let Expr::Slot(s) = **base
                    && let Some(v) = env.peek(s)
                {
                    return match v {
                        V::Node(n) => env.graph()?.node_property(n.id, key),
                        V::Relationship(r) => env.graph()?.edge_property(r.id, key),
                        other => property(other, key),
                    };
                }
                let base = base.eval(env)?;
                match &base {
                    V::Node(n) => env.graph()?.node_property(n.id, key)?,
                    V::Relationship(r) => env.graph()?.edge_property(r.id, key)?,
                    _ => property(&base, key)?,
                }
            }
            Expr::Index(base, index) => {
                let base = base.eval(env)?;
                let index = index.eval(env)?;
                match (&base, &index) {
                    (V::Node(n), V::String(key)) => env.graph()?.node_property(n.id, key)?,
                    (V::Relationship(r), V::String(key)) => {
                        env.graph()?.edge_property(r.id, key)?
                    }
                    _ => index_value(&base, &index)?,
                }
            }
            Expr::Slice(base, lo, hi) => {
                let base = base.eval(env)?;
                let lo = lo.as_ref().map(|e| e.eval(env)).transpose()?;
                let hi = hi.as_ref().map(|e| e.eval(env)).transpose()?;
                slice(&base, lo.as_ref(), hi.as_ref())?
            }
            Expr::Unary(op, e) => unary(*op, e.eval(env)?)?,
            Expr::Binary(op, a, b) => match op {
                BinaryOp::And => {
                    let a = truth(&a.eval(env)?)?;
                    if a == Some(false) {
                        return Ok(V::Bool(false));
                    }
                    three(and(a, truth(&b.eval(env)?)?))
                }
                BinaryOp::Or => {
                    let a = truth(&a.eval(env)?)?;
                    if a == Some(true) {
                        return Ok(V::Bool(true));
                    }
                    three(or(a, truth(&b.eval(env)?)?))
                }
                _ => binary(*op, &a.eval(env)?, &b.eval(env)?)?,
            },
            Expr::IsNull(e, negated) => V::Bool(e.eval(env)?.is_null() != *negated),
            Expr::Call(f, args) => {
                let args: Vec<CypherValue> =
                    args.iter().map(|e| e.eval(env)).collect::<QResult<_>>()?;
                match graph_call(*f, &args, env.graph)? {
                    Some(v) => v,
                    None => f.call(args)?,
                }
            }
            Expr::HasLabels(e, labels) => match e.eval(env)? {
                V::Null => V::Null,
                V::Node(n) => {
                    let g = env.graph()?;
                    let mut all = true;
                    for label in labels {
                        all &= g.has_label(n.id, label)?;
                    }
                    V::Bool(all)
                }
                V::Relationship(r) => {
                    let t = rel_type(&r, env.graph)?;
                    V::Bool(labels.iter().all(|l| *l == t))
                }
                other => {
                    return Err(type_error(format!(
                        "a label predicate needs a node, not {}",
                        other.type_name()
                    )));
                }
            },
            Expr::Scoped { width, expr } => {
                let row = &env.row[..(*width).min(env.row.len())];
                expr.eval(&mut Env::new(row, env.params, env.graph))?
            }
            Expr::PatternExists(p) => {
                let row = env.whole_row();
                V::Bool(Matcher::new(env.graph()?, env.params).exists(p, &row)?)
            }
            Expr::Subquery(kind, plan) => {
                let row = env.whole_row();
                let rows = run_query_read(plan, &row, env.params, env.graph()?, None)?;
                match kind {
                    Subquery::Exists => V::Bool(!rows.is_empty()),
                    Subquery::Count => V::Int(rows.len() as i64),
                    Subquery::Collect => V::List(
                        rows.into_iter()
                            .map(|r| r.into_iter().next().unwrap_or(V::Null))
                            .collect(),
                    ),
                }
            }
            Expr::PatternList(p, map) => {
                let row = env.whole_row();
                let g = env.graph()?;
                let mut out = Vec::new();
                let params = env.params;
                Matcher::new(g, params).run(p, &row, &mut |found, _| {
                    out.push(map.eval(&mut Env::new(found, params, Some(g)))?);
                    Ok(true)
                })?;
                V::List(out)
            }
            Expr::Case {
                operand,
                arms,
                default,
            } => {
                let operand = operand.as_ref().map(|e| e.eval(env)).transpose()?;
                for (when, then) in arms {
                    let w = when.eval(env)?;
                    let hit = match &operand {
                        Some(o) => o.equals(&w) == Some(true),
                        None => w == V::Bool(true),
                    };
                    if hit {
                        return then.eval(env);
                    }
                }
                match default {
                    Some(e) => e.eval(env)?,
                    None => V::Null,
                }
            }
            Expr::Comprehension {
                slot,
                list,
                filter,
                map,
            } => {
                let Some(items) = list_of(list.eval(env)?, "a list comprehension")? else {
                    return Ok(V::Null);
                };
                let mut out = Vec::new();
                for item in items {
                    env.set(*slot, item.clone());
                    if let Some(f) = filter
                        && f.eval(env)? != V::Bool(true)
                    {
                        continue;
                    }
                    out.push(match map {
                        Some(m) => m.eval(env)?,
                        None => item,
                    });
                }
                V::List(out)
            }
            Expr::Quantified {
                kind,
                slot,
                list,
                predicate,
            } => {
                let Some(items) = list_of(list.eval(env)?, &format!("{kind:?}()"))? else {
                    return Ok(V::Null);
                };
                let (mut yes, mut unknown) = (0usize, 0usize);
                for item in items {
                    env.set(*slot, item);
                    match truth(&predicate.eval(env)?)? {
                        Some(true) => yes += 1,
                        None => unknown += 1,
                        Some(false) => {
                            if *kind == Quantifier::All {
                                return Ok(V::Bool(false));
                            }
                        }
                    }
                }
                three(match kind {
                    Quantifier::All => (unknown == 0).then_some(true),
                    Quantifier::Any => {
                        if yes > 0 {
                            Some(true)
                        } else {
                            (unknown == 0).then_some(false)
                        }
                    }
                    Quantifier::None => {
                        if yes > 0 {
                            Some(false)
                        } else {
                            (unknown == 0).then_some(true)
                        }
                    }
                    Quantifier::Single => {
                        if yes > 1 {
                            Some(false)
                        } else if unknown > 0 {
                            None
                        } else {
                            Some(yes == 1)
                        }
                    }
                })
            }
            Expr::Reduce {
                acc,
                init,
                slot,
                list,
                expr,
            } => {
                let start = init.eval(env)?;
                let Some(items) = list_of(list.eval(env)?, "reduce()")? else {
                    return Ok(V::Null);
                };
                env.set(*acc, start);
                for item in items {
                    env.set(*slot, item);
                    let next = expr.eval(env)?;
                    env.set(*acc, next);
                }
                env.get(*acc)
            }
            Expr::MapProjection { base, all, items } => {
                let base = base.eval(env)?;
                let source = match base {
                    V::Null => return Ok(V::Null),
                    V::Map(m) => m,
                    V::Node(n) => env.graph()?.node_properties(n.id)?,
                    V::Relationship(r) => env.graph()?.edge_properties(r.id)?,
                    other => {
                        return Err(type_error(format!(
                            "a map projection needs a map, node or relationship, not {}",
                            other.type_name()
                        )));
                    }
                };
                let mut out = if *all {
                    source.clone()
                } else {
                    BTreeMap::new()
                };
                for (key, e) in items {
                    let v = match e {
                        Expr::Const(V::String(k)) if k == key && !*all => {
                            source.get(k).cloned().unwrap_or(V::Null)
                        }
                        e => e.eval(env)?,
                    };
                    out.insert(key.clone(), v);
                }
                V::Map(out)
            }
            Expr::Aggregate(i) => env.aggregates.get(*i).cloned().unwrap_or(V::Null),
        })
    }
}

/// The functions of graph values (and `keys` / `properties` of a node or
/// relationship); `None` for the others.
fn graph_call(
    f: Function,
    args: &[CypherValue],
    graph: Option<&Graph<'_>>,
) -> QResult<Option<CypherValue>> {
    use Function as F;
    let Some(x) = args.first() else {
        return Ok(None);
    };
    let g = || graph.ok_or_else(no_graph);
    let wrong = |what: &str| type_error(format!("{f:?}() needs {what}, not {}", x.type_name()));
    let node = |id| V::Node(Box::new(NodeValue::bare(id)));
    Ok(Some(match (f, x) {
        (_, V::Null) if f.reads_graph() => V::Null,
        (F::Id, V::Node(n)) => V::Int(n.id.0 as i64),
        (F::Id, V::Relationship(r)) => V::Int(r.id.0 as i64),
        (F::ElementId, V::Node(n)) => V::String(n.id.0.to_string()),
        (F::ElementId, V::Relationship(r)) => V::String(r.id.0.to_string()),
        (F::Id | F::ElementId, _) => return Err(wrong("a node or relationship")),
        (F::Labels, V::Node(n)) => {
            V::List(g()?.node_labels(n.id)?.into_iter().map(V::String).collect())
        }
        (F::Labels, _) => return Err(wrong("a node")),
        (F::Type, V::Relationship(r)) => V::String(rel_type(r, graph)?),
        (F::Keys | F::Properties, V::Node(n)) => {
            let props = g()?.node_properties(n.id)?;
            keys_or_map(f, props)
        }
        (F::Keys | F::Properties, V::Relationship(r)) => {
            let props = g()?.edge_properties(r.id)?;
            keys_or_map(f, props)
        }
        (F::Properties, V::Map(_)) => x.clone(),
        (F::Properties, _) => return Err(wrong("a node, relationship or map")),
        (F::StartNode, V::Relationship(r)) => node(r.start),
        (F::EndNode, V::Relationship(r)) => node(r.end),
        (F::Type | F::StartNode | F::EndNode, _) => return Err(wrong("a relationship")),
        (F::Nodes, V::Path(p)) => V::List(
            p.nodes
                .iter()
                .map(|n| V::Node(Box::new(n.clone())))
                .collect(),
        ),
        (F::Relationships, V::Path(p)) => V::List(
            p.relationships
                .iter()
                .map(|r| V::Relationship(Box::new(r.clone())))
                .collect(),
        ),
        (F::Length, V::Path(p)) => V::Int(p.relationships.len() as i64),
        (F::Nodes | F::Relationships | F::Length, _) => return Err(wrong("a path")),
        (F::AnyProperty, _) => {
            let key = match args.get(1) {
                Some(V::String(k)) => k.as_str(),
                Some(V::Null) => return Ok(Some(V::Null)),
                other => {
                    return Err(type_error(format!(
                        "apoc.any.property() needs a string key, not {}",
                        other.map_or("nothing", CypherValue::type_name)
                    )));
                }
            };
            match x {
                V::Node(n) => g()?.node_property(n.id, key)?,
                V::Relationship(r) => g()?.edge_property(r.id, key)?,
                V::Map(m) => m.get(key).cloned().unwrap_or(V::Null),
                _ => return Err(wrong("a node, relationship or map")),
            }
        }
        _ => return Ok(None),
    }))
}

fn keys_or_map(f: Function, props: BTreeMap<String, CypherValue>) -> CypherValue {
    if f == Function::Keys {
        V::List(props.into_keys().map(V::String).collect())
    } else {
        V::Map(props)
    }
}

/// A relationship's type (read from the graph when the value does not
/// carry it).
fn rel_type(r: &RelValue, graph: Option<&Graph<'_>>) -> QResult<String> {
    if !r.rel_type.is_empty() {
        return Ok(r.rel_type.clone());
    }
    let g = graph.ok_or_else(no_graph)?;
    Ok(g.relationship(r.id)?
        .map(|x| x.rel_type)
        .unwrap_or_default())
}

/// The items of a list, `None` for `null`; `what` needs a list.
fn list_of(v: CypherValue, what: &str) -> QResult<Option<Vec<CypherValue>>> {
    match v {
        V::Null => Ok(None),
        V::List(items) => Ok(Some(items)),
        other => Err(type_error(format!(
            "{what} needs a list, not {}",
            other.type_name()
        ))),
    }
}

/// A value as a three-valued boolean: `None` is `null`.
pub(crate) fn truth(v: &CypherValue) -> QResult<Option<bool>> {
    match v {
        V::Bool(b) => Ok(Some(*b)),
        V::Null => Ok(None),
        other => Err(type_error(format!(
            "a boolean was expected, not {}",
            other.type_name()
        ))),
    }
}

fn three(b: Option<bool>) -> CypherValue {
    b.map_or(V::Null, V::Bool)
}

fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

pub(super) fn property(base: &CypherValue, key: &str) -> QResult<CypherValue> {
    match base {
        V::Null => Ok(V::Null),
        V::Map(m) => Ok(m.get(key).cloned().unwrap_or(V::Null)),
        V::Temporal(t) => super::temporal::component(t, key),
        other => Err(type_error(format!(
            "cannot read property {key} of {}",
            other.type_name()
        ))),
    }
}

fn index_value(base: &CypherValue, index: &CypherValue) -> QResult<CypherValue> {
    match (base, index) {
        (V::Null, _) | (_, V::Null) => Ok(V::Null),
        (V::List(items), V::Int(i)) => {
            let len = items.len() as i64;
            let at = if *i < 0 { len + i } else { *i };
            Ok(if (0..len).contains(&at) {
                items[at as usize].clone()
            } else {
                V::Null
            })
        }
        (V::Map(m), V::String(k)) => Ok(m.get(k).cloned().unwrap_or(V::Null)),
        (V::Map(_), other) => Err(QueryError::runtime(
            ErrorKind::TypeError,
            "MapElementAccessByNonString",
            format!("a map is indexed by a string, not {}", other.type_name()),
        )),
        (V::List(_), other) => Err(type_error(format!(
            "a list is indexed by an integer, not {}",
            other.type_name()
        ))),
        (other, _) => Err(type_error(format!("cannot index {}", other.type_name()))),
    }
}

fn slice(
    base: &CypherValue,
    lo: Option<&CypherValue>,
    hi: Option<&CypherValue>,
) -> QResult<CypherValue> {
    let items = match base {
        V::Null => return Ok(V::Null),
        V::List(items) => items,
        other => return Err(type_error(format!("cannot slice {}", other.type_name()))),
    };
    let len = items.len() as i64;
    let bound = |b: Option<&CypherValue>, default: i64| -> QResult<Option<i64>> {
        match b {
            None => Ok(Some(default)),
            Some(V::Null) => Ok(None),
            Some(V::Int(i)) => Ok(Some(if *i < 0 {
                (len + i).max(0)
            } else {
                (*i).min(len)
            })),
            Some(other) => Err(type_error(format!(
                "a slice bound must be an integer, not {}",
                other.type_name()
            ))),
        }
    };
    let (Some(lo), Some(hi)) = (bound(lo, 0)?, bound(hi, len)?) else {
        return Ok(V::Null);
    };
    Ok(V::List(if lo < hi {
        items[lo as usize..hi as usize].to_vec()
    } else {
        Vec::new()
    }))
}

fn unary(op: UnaryOp, v: CypherValue) -> QResult<CypherValue> {
    Ok(match (op, v) {
        (_, V::Null) => V::Null,
        (UnaryOp::Not, V::Bool(b)) => V::Bool(!b),
        (UnaryOp::Neg, V::Int(i)) => V::Int(i.checked_neg().ok_or_else(overflow)?),
        (UnaryOp::Neg, V::Float(f)) => V::Float(-f),
        (UnaryOp::Plus, v @ (V::Int(_) | V::Float(_))) => v,
        (op, v) => {
            return Err(type_error(format!("{op:?} cannot take {}", v.type_name())));
        }
    })
}

fn overflow() -> QueryError {
    QueryError::runtime(
        ErrorKind::ArithmeticError,
        "IntegerOverflow",
        "integer overflow",
    )
}

/// A binary operator other than AND and OR (which short-circuit).
pub(crate) fn binary(op: BinaryOp, a: &CypherValue, b: &CypherValue) -> QResult<CypherValue> {
    use BinaryOp as B;
    Ok(match op {
        B::Eq => three(a.equals(b)),
        B::Ne => three(a.equals(b).map(|e| !e)),
        B::Lt | B::Le | B::Gt | B::Ge => match a.compare(b) {
            // NaN is unordered against every number: false, not unknown.
            None if is_number(a) && is_number(b) => V::Bool(false),
            None => V::Null,
            Some(o) => V::Bool(match op {
                B::Lt => o == Ordering::Less,
                B::Le => o != Ordering::Greater,
                B::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
        },
        B::Xor => match (truth(a)?, truth(b)?) {
            (Some(x), Some(y)) => V::Bool(x != y),
            _ => V::Null,
        },
        B::And | B::Or => {
            let (x, y) = (truth(a)?, truth(b)?);
            three(if op == B::And { and(x, y) } else { or(x, y) })
        }
        B::In => match b {
            V::Null => V::Null,
            V::List(items) => {
                let mut unknown = false;
                for item in items {
                    match a.equals(item) {
                        Some(true) => return Ok(V::Bool(true)),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { V::Null } else { V::Bool(false) }
            }
            other => {
                return Err(type_error(format!(
                    "IN needs a list on its right, not {}",
                    other.type_name()
                )));
            }
        },
        B::StartsWith | B::EndsWith | B::Contains => match (a, b) {
            (V::String(s), V::String(t)) => V::Bool(match op {
                B::StartsWith => s.starts_with(t.as_str()),
                B::EndsWith => s.ends_with(t.as_str()),
                _ => s.contains(t.as_str()),
            }),
            _ => V::Null,
        },
        B::Regex => match (a, b) {
            (V::String(s), V::String(pattern)) => {
                let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                    argument_error(
                        "InvalidArgumentValue",
                        format!("invalid regular expression: {e}"),
                    )
                })?;
                V::Bool(re.is_match(s))
            }
            _ => V::Null,
        },
        B::Add => add(a, b)?,
        B::Sub | B::Mul | B::Div | B::Rem | B::Pow => arithmetic(op, a, b)?,
    })
}

fn add(a: &CypherValue, b: &CypherValue) -> QResult<CypherValue> {
    Ok(match (a, b) {
        (V::List(x), V::List(y)) => V::List(x.iter().chain(y).cloned().collect()),
        (V::List(x), y) => {
            let mut out = x.clone();
            out.push(y.clone());
            V::List(out)
        }
        (x, V::List(y)) => {
            let mut out = vec![x.clone()];
            out.extend(y.iter().cloned());
            V::List(out)
        }
        (V::Null, _) | (_, V::Null) => V::Null,
        (V::String(x), V::String(y)) => V::String(format!("{x}{y}")),
        (V::String(x), y @ (V::Int(_) | V::Float(_) | V::Bool(_))) => {
            V::String(format!("{x}{}", plain(y)))
        }
        (x @ (V::Int(_) | V::Float(_) | V::Bool(_)), V::String(y)) => {
            V::String(format!("{}{y}", plain(x)))
        }
        _ => arithmetic(BinaryOp::Add, a, b)?,
    })
}

/// A value as `toString` writes it.
pub(crate) fn plain(v: &CypherValue) -> String {
    match v {
        V::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn arithmetic(op: BinaryOp, a: &CypherValue, b: &CypherValue) -> QResult<CypherValue> {
    use BinaryOp as B;
    if let Some(result) = super::temporal::arithmetic(op, a, b) {
        return result;
    }
    Ok(match (a, b) {
        (V::Null, _) | (_, V::Null) => V::Null,
        (V::Int(x), V::Int(y)) => match op {
            B::Add => V::Int(x.checked_add(*y).ok_or_else(overflow)?),
            B::Sub => V::Int(x.checked_sub(*y).ok_or_else(overflow)?),
            B::Mul => V::Int(x.checked_mul(*y).ok_or_else(overflow)?),
            B::Div | B::Rem => {
                if *y == 0 {
                    return Err(QueryError::runtime(
                        ErrorKind::ArithmeticError,
                        "DivisionByZero",
                        "integer division by zero",
                    ));
                }
                V::Int(if op == B::Div {
                    x.checked_div(*y).ok_or_else(overflow)?
                } else {
                    x.checked_rem(*y).unwrap_or(0)
                })
            }
            _ => V::Float((*x as f64).powf(*y as f64)),
        },
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
            let (x, y) = (as_f64(a), as_f64(b));
            V::Float(match op {
                B::Add => x + y,
                B::Sub => x - y,
                B::Mul => x * y,
                B::Div => x / y,
                B::Rem => x % y,
                _ => x.powf(y),
            })
        }
        _ => {
            return Err(type_error(format!(
                "{op:?} cannot take {} and {}",
                a.type_name(),
                b.type_name()
            )));
        }
    })
}

fn is_number(v: &CypherValue) -> bool {
    matches!(v, V::Int(_) | V::Float(_))
}

/// A number as a float (`NaN` for anything else).
pub(crate) fn as_f64(v: &CypherValue) -> f64 {
    match v {
        V::Int(i) => *i as f64,
        V::Float(f) => *f,
        _ => f64::NAN,
    }
}
