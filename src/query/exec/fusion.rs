//! `fusion.rrf(lists [, k])` and `fusion.weighted(lists [, weights])`:
//! ranked lists a statement gathered (vector hits, full-text hits, a graph
//! expansion, typically collected in the branches of a `CALL { … UNION …
//! }`) fused into one ranking, by the maths of
//! [`crate::fulltext::fusion`].
//!
//! Each list is best first. An element is a map with a `score` and the
//! entity under `node`, `relationship` or `item` (as
//! `collect({node: node, score: score})` makes), or — for `fusion.rrf`,
//! which reads ranks only — any value. The result is a list of maps, best
//! first, each with the entity under the key its input used (`item` for
//! plain values) and its fused `score`; equal entities (as `=` compares)
//! are one; ties keep the order of first appearance.

use std::collections::BTreeMap;

use super::eval::as_f64;
use crate::fulltext::fusion;
use crate::query::error::{QResult, argument_error, type_error};
use crate::query::value::CypherValue as V;

/// The keys under which an element map may hold its entity.
const ENTITY_KEYS: [&str; 3] = ["node", "relationship", "item"];

/// One list element: its entity, the key it was under, its score.
struct Element {
    entity: V,
    key: &'static str,
    score: Option<f64>,
}

fn element(function: &str, v: &V) -> QResult<Element> {
    if let V::Map(m) = v
        && let Some(key) = ENTITY_KEYS.into_iter().find(|k| m.contains_key(*k))
    {
        let score = match m.get("score") {
            None | Some(V::Null) => None,
            Some(s @ (V::Int(_) | V::Float(_))) => Some(as_f64(s)),
            Some(other) => {
                return Err(type_error(format!(
                    "{function}(): a score is a number, not {}",
                    other.type_name()
                )));
            }
        };
        return Ok(Element {
            entity: m[key].clone(),
            key,
            score,
        });
    }
    Ok(Element {
        entity: v.clone(),
        key: "item",
        score: None,
    })
}

/// The lists' elements, each entity numbered by first appearance.
struct Gathered {
    entities: Vec<(V, &'static str)>,
    lists: Vec<Vec<(u64, Option<f64>)>>,
}

fn gather(function: &str, lists: &V) -> QResult<Option<Gathered>> {
    let lists = match lists {
        V::Null => return Ok(None),
        V::List(lists) => lists,
        other => {
            return Err(type_error(format!(
                "{function}() needs a list of ranked lists, not {}",
                other.type_name()
            )));
        }
    };
    let mut flat: Vec<(usize, Element)> = Vec::new();
    for (i, list) in lists.iter().enumerate() {
        match list {
            V::Null => {}
            V::List(items) => {
                for item in items {
                    flat.push((i, element(function, item)?));
                }
            }
            other => {
                return Err(type_error(format!(
                    "{function}() needs a list of ranked lists, not a list holding {}",
                    other.type_name()
                )));
            }
        }
    }
    // Number equal entities alike: sorted by value then position, the
    // first of each run of equal values is its first appearance.
    let mut order: Vec<usize> = (0..flat.len()).collect();
    order.sort_by(|&a, &b| flat[a].1.entity.order(&flat[b].1.entity).then(a.cmp(&b)));
    let mut first = vec![0usize; flat.len()];
    for (i, &at) in order.iter().enumerate() {
        first[at] = if i > 0 && flat[order[i - 1]].1.entity.equivalent(&flat[at].1.entity) {
            first[order[i - 1]]
        } else {
            at
        };
    }
    let mut number: BTreeMap<usize, u64> = BTreeMap::new();
    let mut entities = Vec::new();
    let mut out = vec![Vec::new(); lists.len()];
    for (at, (list, e)) in flat.into_iter().enumerate() {
        let id = *number.entry(first[at]).or_insert_with(|| {
            entities.push((e.entity.clone(), e.key));
            entities.len() as u64 - 1
        });
        out[list].push((id, e.score));
    }
    Ok(Some(Gathered {
        entities,
        lists: out,
    }))
}

fn ranking(g: &Gathered, fused: Vec<(u64, f32)>) -> V {
    V::List(
        fused
            .into_iter()
            .map(|(id, score)| {
                let (entity, key) = &g.entities[id as usize];
                V::Map(BTreeMap::from([
                    ((*key).to_owned(), entity.clone()),
                    ("score".to_owned(), V::Float(f64::from(score))),
                ]))
            })
            .collect(),
    )
}

/// `fusion.rrf(lists [, k])`: reciprocal-rank fusion, constant `k`
/// (default 60).
pub(crate) fn rrf(lists: &V, k: &V) -> QResult<V> {
    const F: &str = "fusion.rrf";
    let k = match k {
        V::Null => 60.0,
        V::Int(_) | V::Float(_) if as_f64(k).is_finite() && as_f64(k) >= 0.0 => as_f64(k),
        other => {
            return Err(argument_error(
                "InvalidArgumentValue",
                format!("{F}(): k is a non-negative number, not {other}"),
            ));
        }
    };
    let Some(g) = gather(F, lists)? else {
        return Ok(V::Null);
    };
    let ids: Vec<Vec<u64>> = g
        .lists
        .iter()
        .map(|l| l.iter().map(|e| e.0).collect())
        .collect();
    #[allow(clippy::cast_possible_truncation, reason = "a fusion constant")]
    let fused = fusion::reciprocal_rank(&ids, k as f32, usize::MAX);
    Ok(ranking(&g, fused))
}

/// `fusion.weighted(lists [, weights])`: each list's scores min-max
/// normalised, weighted (default 1 each), summed.
pub(crate) fn weighted(lists: &V, weights: &V) -> QResult<V> {
    const F: &str = "fusion.weighted";
    let bad_weights = |what: &V| {
        argument_error(
            "InvalidArgumentValue",
            format!("{F}(): weights are a list of non-negative numbers, not {what}"),
        )
    };
    let weights: Vec<f32> = match weights {
        V::Null => Vec::new(),
        V::List(items) => items
            .iter()
            .map(|w| match w {
                V::Int(_) | V::Float(_) if as_f64(w).is_finite() && as_f64(w) >= 0.0 =>
                {
                    #[allow(clippy::cast_possible_truncation, reason = "a weight")]
                    Ok(as_f64(w) as f32)
                }
                _ => Err(bad_weights(weights)),
            })
            .collect::<QResult<_>>()?,
        other => return Err(bad_weights(other)),
    };
    let Some(g) = gather(F, lists)? else {
        return Ok(V::Null);
    };
    let scored = g
        .lists
        .iter()
        .map(|l| {
            l.iter()
                .map(|&(id, score)| {
                    let score = score.filter(|s| s.is_finite()).ok_or_else(|| {
                        type_error(format!(
                            "{F}() needs each element to be a map with a finite score and a node, relationship or item"
                        ))
                    })?;
                    #[allow(clippy::cast_possible_truncation, reason = "a score")]
                    Ok((id, score as f32))
                })
                .collect::<QResult<Vec<_>>>()
        })
        .collect::<QResult<Vec<_>>>()?;
    let fused = fusion::weighted(&scored, &weights, usize::MAX);
    Ok(ranking(&g, fused))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(key: &str, id: i64, score: f64) -> V {
        V::Map(BTreeMap::from([
            (key.to_owned(), V::Int(id)),
            ("score".to_owned(), V::Float(score)),
        ]))
    }

    fn items(v: &V, key: &str) -> Vec<(i64, f64)> {
        let V::List(l) = v else { panic!("{v:?}") };
        l.iter()
            .map(|m| {
                let V::Map(m) = m else { panic!("{m:?}") };
                let V::Int(id) = m[key] else { panic!("{m:?}") };
                let V::Float(s) = m["score"] else {
                    panic!("{m:?}")
                };
                (id, s)
            })
            .collect()
    }

    #[test]
    fn rrf_numbers_equal_values_once_and_keeps_first_appearance_on_ties() {
        let lists = V::List(vec![
            V::List(vec![V::Int(1), V::Int(2)]),
            V::List(vec![V::Int(2), V::Int(1), V::Int(3)]),
        ]);
        // 1 and 2 tie (1/61 + 1/62): first seen first.
        let fused = items(&rrf(&lists, &V::Null).unwrap(), "item");
        assert_eq!(fused.iter().map(|h| h.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 62.0)).abs() < 1e-6);
        assert!((fused[2].1 - 1.0 / 63.0).abs() < 1e-6);
        assert_eq!(rrf(&V::Null, &V::Null).unwrap(), V::Null);
        assert!(rrf(&V::Int(1), &V::Null).is_err());
        assert!(rrf(&lists, &V::Float(-1.0)).is_err());
    }

    #[test]
    fn weighted_normalises_and_keeps_the_entity_key() {
        let lists = V::List(vec![
            V::List(vec![
                hit("node", 1, 12.0),
                hit("node", 2, 6.0),
                hit("node", 3, 2.0),
            ]),
            V::List(vec![hit("node", 3, 0.9), hit("node", 1, 0.5)]),
        ]);
        let weights = V::List(vec![V::Float(0.2), V::Float(0.8)]);
        let fused = items(&weighted(&lists, &weights).unwrap(), "node");
        assert_eq!(fused.iter().map(|h| h.0).collect::<Vec<_>>(), [3, 1, 2]);
        assert!((fused[0].1 - 0.8).abs() < 1e-6 && (fused[2].1 - 0.08).abs() < 1e-6);
        let plain = V::List(vec![V::List(vec![V::Int(1)])]);
        assert!(weighted(&plain, &V::Null).is_err());
        assert!(weighted(&lists, &V::List(vec![V::String("x".into())])).is_err());
    }
}
