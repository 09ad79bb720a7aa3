//! The optimiser's rules against the plain plan: random statements over
//! random graphs, each run as optimised and with `QueryOptions::naive`
//! (no rules), must give the same rows — and raise the same errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::cmp::Ordering;

use common::Rng;
use quiverdb::query::{CypherValue as V, Params, QueryOptions};
use quiverdb::{Database, NodeId, Props, ReadTxn, Value};

/// A random graph: nodes labelled `A`, `B`, both or neither, with an
/// integer `x` (sometimes missing), a number `y` that is an integer or a
/// float, a string `s` (sometimes missing), a datetime `t` (sometimes
/// missing; with `mixed_times`, also at another offset, in a named zone,
/// or a date); relationships `R` and `S` between random nodes,
/// self-loops and parallel ones included.
fn random_graph(db: &Database, rng: &mut Rng, nodes: usize, edges: usize, mixed_times: bool) {
    let mut w = db.begin_write().unwrap();
    let mut ids: Vec<NodeId> = Vec::new();
    for _ in 0..nodes {
        let labels: &[&str] = match rng.below(6) {
            0 => &[],
            1 => &["A", "B"],
            2 | 3 => &["A"],
            _ => &["B"],
        };
        let mut props = Props::new();
        if rng.below(10) != 0 {
            props.insert("x".to_owned(), Value::Int(rng.below(10) as i64));
        }
        props.insert(
            "y".to_owned(),
            if rng.below(2) == 0 {
                Value::Int(rng.below(5) as i64)
            } else {
                Value::Float(rng.below(10) as f64 / 2.0)
            },
        );
        if rng.below(5) != 0 {
            let s = ["a", "b", "c"][rng.below(3) as usize];
            props.insert("s".to_owned(), Value::String(s.to_owned()));
        }
        let (day, hour) = (1 + rng.below(3), rng.below(24));
        let t = match (rng.below(8), mixed_times) {
            (0, _) => None,
            (1, true) => Some(("date", format!("2024-12-{day:02}"))),
            (2, true) => Some(("datetime", format!("2024-12-{day:02}T{hour:02}:00+02:00"))),
            (3, true) => Some((
                "datetime",
                format!("2024-12-{day:02}T{hour:02}:00[Europe/Stockholm]"),
            )),
            _ => Some(("datetime", format!("2024-12-{day:02}T{hour:02}:00Z"))),
        };
        if let Some((kind, text)) = t {
            let value = quiverdb::temporal::Temporal::parse(kind, &text).unwrap();
            props.insert("t".to_owned(), Value::Temporal(value));
        }
        ids.push(w.add_node(labels, props).unwrap());
    }
    for _ in 0..edges {
        let from = ids[rng.below(nodes as u64) as usize];
        let to = if rng.below(20) == 0 {
            from
        } else {
            ids[rng.below(nodes as u64) as usize]
        };
        let ty = if rng.below(3) == 0 { "S" } else { "R" };
        let mut props = Props::new();
        if rng.below(8) != 0 {
            props.insert("w".to_owned(), Value::Int(rng.below(6) as i64));
        }
        props.insert("f".to_owned(), Value::Float(rng.below(8) as f64 / 4.0));
        // Integers on some relationships, floats on others.
        props.insert(
            "m".to_owned(),
            if rng.below(2) == 0 {
                Value::Int(rng.below(3) as i64)
            } else {
                Value::Float(0.5)
            },
        );
        w.add_edge(from, to, ty, props).unwrap();
    }
    w.commit().unwrap();
}

/// Statements over the random graphs: shapes the rules take and shapes
/// they leave to the plain path.
const STATEMENTS: &[&str] = &[
    "MATCH (n:A) RETURN n.s AS s, count(*) AS c",
    "MATCH (n) WHERE n.x > $k RETURN count(n) AS c",
    "MATCH (n:A:B) RETURN count(*) AS c",
    "MATCH (n:A) RETURN n.x / 2 AS h, sum(n.y) AS sy, sum(n.x) AS sx, min(n.y) AS mn, max(n.s) AS mx",
    "MATCH (n:B) WHERE n.x IS NULL OR n.s = 'c' RETURN n.s AS s, count(*) AS c, avg(n.x) AS a",
    "MATCH (a:A)-[:R]->(b:B) RETURN a.x AS x, count(*) AS c, sum(b.x) AS sx, min(b.s) AS mn, max(b.x) AS mx",
    "MATCH (a)<-[:R]-(b:A) RETURN a AS node, count(*) AS c",
    "MATCH (a:A)-[]-(b) WHERE a.s = b.s RETURN count(*) AS c",
    "MATCH (a:A)-[:R|S]->(b) WHERE a.x < 5 AND b.x >= 2 OR a.s = 'c' RETURN b.s AS s, count(*) AS c, avg(a.x) AS ax",
    "MATCH (a)-[:R]->(b)-[:R]->(a) RETURN count(*) AS c",
    "MATCH (a:B)<-[:S]-(b)<-[:S]-(a) RETURN a.x AS x, count(*) AS c",
    "MATCH (a)-[:R]->(b)-[:S]->(a) RETURN count(*) AS c",
    "MATCH (a:A {s: 'a'})-[:R]->(b) RETURN b.x % 3 AS m, count(*) AS c",
    "MATCH (a:A {x: $k})-[:R]->(b) RETURN count(b) AS c",
    "MATCH (p:A)<-[:R]-(:B) RETURN p.x AS id, count(*) AS n ORDER BY n DESC, id LIMIT 3",
    "MATCH (a)<-[:R]-(b) RETURN a AS node, count(*) AS c ORDER BY c DESC, node LIMIT 3",
    "MATCH (a)<-[:R]-(b) RETURN a AS node, count(*) AS c ORDER BY c DESC, node LIMIT 9223372036854775807",
    "MATCH (a:A)-[:R]->() RETURN a.s AS s, count(*) AS c ORDER BY c DESC, s SKIP 1 LIMIT 100000000000",
    "MATCH (a:A)-[:R|S]->(b) RETURN a AS node, count(*) AS c, sum(b.x) AS s, max(b.s) AS m ORDER BY s DESC, c, node SKIP 1 LIMIT 4",
    "MATCH (a)-[r:R]->(b) RETURN count(r) AS c",
    "MATCH (a:A)-[:R]->(b) RETURN count(DISTINCT b) AS c",
    "MATCH (a)-[:R]->(b) WHERE a.x IS NULL RETURN count(*) AS c",
    "MATCH (a:A)-[:R]->(b:A) RETURN a.x + b.x AS t, count(*) AS c",
    "MATCH (a)-[:R]->(b) RETURN b.x AS k, count(*) AS c, max(a.s) AS s",
    "MATCH (a)-[:NOPE]->(b) RETURN count(*) AS c",
    "MATCH (a:Missing) RETURN count(*) AS c, sum(a.x) AS s",
    "MATCH (a)-[:R]->(b) WHERE a.x = b.x RETURN a.s AS s, b.s AS t, count(*) AS c ORDER BY c DESC, s, t",
    "MATCH (a:A)-[:S]->(b) RETURN count(*) * 2 AS twice, count(*) + sum(b.x) AS mixed",
    "MATCH (a)-[:R]-(b) RETURN a.s AS s, count(*) AS c",
    "MATCH (a:A)-[:R]->(b) WITH a.s AS s, count(*) AS c WHERE c > 1 RETURN s, c",
    "MATCH (a:A)-[:R]->(b) RETURN DISTINCT count(*) AS c",
    "MATCH (n) RETURN n.y AS y, count(*) AS c",
    // No hop, one key, only counts: counted into a table by code or value.
    "MATCH (n:A) RETURN n.x / 3 AS k, count(*) AS c, count(n) AS d",
    "MATCH (n) RETURN n.x - 5 AS k, count(*) AS c",
    "MATCH (n:B) RETURN n.s AS s, count(n) AS c ORDER BY c DESC, s LIMIT 2",
    "MATCH (n) RETURN n.y * 2 AS k, count(*) AS c",
    // A relationship's integer as the one key, counted into a table.
    "MATCH (a:A)-[r:R]->(b:B) RETURN r.w AS w, count(*) AS c, count(b) AS d",
    "MATCH (a)-[r:R|S]->(b) WHERE a.x > 2 RETURN r.w AS w, count(*) AS c ORDER BY c DESC, w",
    "MATCH (a)<-[r:S]-(b) RETURN r.w AS w, count(*) AS c",
    "MATCH (a)-[r]->(b) RETURN r.m AS m, count(*) AS c",
    // Start-node comparisons with a literal, decided column by column.
    "MATCH (a:A)-[:R]->(b) WHERE a.x >= 3 AND a.s <> 'b' AND 7 > a.x RETURN b.s AS s, count(*) AS c",
    "MATCH (n) WHERE n.s = 'zzz' RETURN count(*) AS c",
    "MATCH (n:A) WHERE n.s <> 'zzz' RETURN n.x AS x, count(*) AS c",
    "MATCH (n) WHERE n.y = 1 AND n.x <> 4 RETURN n.s AS s, count(*) AS c, sum(n.x) AS t",
    "MATCH (a)-[r:R]->(b) RETURN r.w AS w, count(*) AS c",
    "MATCH (a:A)<-[r:R]-(b) WHERE r.w > 2 RETURN a.s AS s, sum(r.w) AS sw, min(r.f) AS mf",
    "MATCH (a)-[r {w: 1}]-(b) RETURN b.s AS s, count(*) AS c",
    "MATCH (a)-[r:S]->(b:B) RETURN avg(r.f) AS af, max(r.w) AS mw",
    "MATCH (a)-[r]->(b) RETURN sum(r.m) AS sm, count(r.m) AS cm",
    "MATCH (a:A)-[r:R|S]->(b) WHERE r.w = b.x RETURN r.w + a.x AS t, count(*) AS c",
    "MATCH (a)-[r:R]->(b) RETURN r.nothing AS n, count(*) AS c",
    // Open chains of two hops, counted through their middle nodes.
    "MATCH (a)-[:R]->(b)-[:R]->(c) RETURN count(*) AS c",
    "MATCH (a:A)-[:R]->(b)<-[:R]-(c:B) RETURN count(*) AS c",
    "MATCH (a)-[:R]-(b:B)-[:R]-(c) WHERE b.x > 2 RETURN count(*) AS c",
    "MATCH (a)<-[:R]-(b)-[:R]-(c:A) RETURN a.s AS s, count(*) AS c",
    "MATCH (a:A)-[:R]->(b)-[:S]->(c) RETURN c.x AS x, count(c) AS n",
    "MATCH (a)-[:R|S]->(b)-[:S|R]->(c:A) WHERE a.x < $k RETURN a AS node, count(*) AS c ORDER BY c DESC, node LIMIT 3",
    "MATCH (a:A)-[]-(b)-[]->(c) WHERE c.s = 'a' RETURN b.s AS s, count(*) AS c",
    "MATCH (a)-[:R|S]->(b)-[:R]->(c) RETURN count(*) AS c",
    "MATCH (a:B)<-[:R]-(b)<-[:R]-(c) RETURN c.x AS x, count(*) AS c ORDER BY c DESC, x LIMIT 2",
    // Pattern predicates of one hop, decided along a projection.
    "MATCH (n:A) WHERE NOT (n)-[:R]->(:B) RETURN count(*) AS c",
    "MATCH (n) WHERE (n)<-[:S]-() RETURN n.s AS s, count(*) AS c",
    "MATCH (a)-[:R]->(b) WHERE (b)-[]-(:A:B) AND NOT (a)-[:S]->(:A) RETURN a.x AS x, count(*) AS c",
    "MATCH (n:B) WHERE (n)-[:R|S]-() OR n.x > 3 RETURN count(*) AS c",
    "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE NOT (b)-[:S]->() RETURN count(*) AS c",
    "MATCH (n) WHERE (n)-[:R]-(n) RETURN count(*) AS c",
    // DISTINCT counts, integer folds, relationship comparisons.
    "MATCH (n:A) RETURN n.s AS s, count(DISTINCT n.x) AS d, min(DISTINCT n.y) AS m",
    "MATCH (a)-[:R]->(b:B) RETURN a.s AS s, count(DISTINCT b) AS d, count(DISTINCT b.y) AS y",
    "MATCH (a)-[:R]->(b)-[:R]->(a) RETURN count(DISTINCT b.s) AS d",
    "MATCH (a)-[r:R]->(b) WHERE r.w >= 2 AND r.w <> $k RETURN count(*) AS c",
    "MATCH (a:A)-[r:R]->(b:B) WHERE 2 < r.w AND r.w <= 4 RETURN count(*) AS c",
    "MATCH (a)-[r:R|S]->(b) WHERE r.w > 1 RETURN a AS node, count(b) AS c ORDER BY c DESC, node LIMIT 4",
    "MATCH (a)<-[r:S]-(b) WHERE r.w = 1 RETURN a.s AS s, count(*) AS c",
    "MATCH (n) RETURN sum(n.x) AS s, avg(n.x) AS a, min(n.x) AS lo, max(n.x) AS hi, min(n.y) AS ly, max(n.y) AS hy",
    "MATCH (n:B) WHERE n.x > 2 RETURN count(DISTINCT n.s) AS d, count(n.x) AS c, min(n.x) AS lo, max(n.x) AS hi, avg(n.x) AS a, sum(n.x) AS s, count(*) AS n",
    "MATCH (n) RETURN count(DISTINCT n.s) AS d, max(n.s) AS m, count(n.s) AS c",
    // Top rows by property: sort keys that order every row.
    "MATCH (n:A) RETURN n AS node ORDER BY n.x DESC, node LIMIT 5",
    "MATCH (n) WHERE n.s <> 'b' RETURN id(n) AS i, n.y AS y ORDER BY y, n.x DESC, n SKIP 2 LIMIT 4",
    "MATCH (n:B) WHERE NOT (n)-[:R]->() RETURN n.x AS x, id(n) AS i ORDER BY x, n LIMIT 3",
    "MATCH (n:A) RETURN n.s AS s, id(n) AS i ORDER BY s DESC, n.x + 1, n LIMIT 1000",
    "MATCH (n:A) WITH n ORDER BY n.x, n LIMIT 3 RETURN n.x AS x, id(n) AS i",
    "MATCH (n:A) RETURN id(n) AS i ORDER BY n DESC LIMIT $k",
    // Datetimes: compared, ordered and taken apart over instant columns
    // (or over any values where the offsets differ).
    "MATCH (n:A) WHERE n.t >= datetime('2024-12-02T00:00Z') AND n.t < datetime('2024-12-03T00:00Z') RETURN count(*) AS c",
    "MATCH (n) WHERE n.t > datetime('2024-12-01T22:00:00+02:00') AND n.t <= $t RETURN n.x AS x, count(*) AS c",
    "MATCH (n) WHERE n.t = datetime('2024-12-02T05:00Z') OR n.t <> $t RETURN count(*) AS c",
    "MATCH (n) WHERE n.t < date('2024-12-02') RETURN count(*) AS c",
    "MATCH (n:B) RETURN n.t.day AS d, n.t.hour AS h, count(*) AS c",
    "MATCH (n) RETURN n.t.year AS y, n.t.month AS m, count(*) AS c ORDER BY c DESC, y",
    "MATCH (n) RETURN n.t AS t, count(*) AS c ORDER BY t",
    "MATCH (a)-[:R]->(b) WHERE a.t < b.t RETURN b.t.day AS d, count(*) AS c",
    "MATCH (n) RETURN id(n) AS i ORDER BY n.t DESC, i LIMIT 3",
    "MATCH (n:A) WHERE n.t >= $t RETURN id(n) AS i, n.t AS t ORDER BY n.t, i LIMIT 4",
    "MATCH (n) WHERE n.t >= datetime('2024-12-02T00:00Z') AND n.t < datetime('2024-12-02T12:00Z') RETURN id(n) AS i ORDER BY i",
    "MATCH (n) WHERE n.x > 3 AND n.x <= 7 AND n.x <> 5 RETURN id(n) AS i, n.t AS t ORDER BY t DESC, i",
    // Rows neither aggregated nor ordered: the start nodes filtered over
    // columns first (ColumnarFilter).
    "MATCH (n:A) WHERE n.x > 2 AND n.x <= $k RETURN id(n) AS i, n.s AS s",
    "MATCH (n:B) WHERE n.s = 'a' AND n.t < $t RETURN id(n) AS i",
    "MATCH (n:B) WHERE n.s <> 'b' AND 4 > n.x RETURN id(n) AS i, n.x AS x",
    "MATCH (n:A) WHERE n.t >= datetime('2024-12-02T00:00Z') AND n.y > 1 RETURN id(n) AS i",
    "MATCH (n:A)-[:R]->(m) WHERE n.x >= 4 AND m.x < 5 RETURN id(n) AS i, id(m) AS j",
    "MATCH (n:A:B) WHERE n.x = $k OR n.x = 1 RETURN id(n) AS i",
    "UNWIND [1, 5] AS k MATCH (n:A) WHERE n.x = k RETURN k, id(n) AS i",
    // Several chains, run from what is bound, then by the fewest start
    // nodes (ChainOrder): a relationship is still used once per match.
    "MATCH (a:A)-[:R]->(b), (b)-[:S]->(c:B {x: 1}) RETURN count(*) AS c",
    "MATCH (a)-[:R]->(b), (c:B {s: 'a'}) WHERE a.x = c.x RETURN id(a) AS a, id(b) AS b, id(c) AS c",
    "MATCH (a:A), (b:B {x: $k})-[:R]->(c) RETURN count(*) AS c",
    "MATCH (a)-[:R]->(b), (b)-[:R]->(c), (c {x: 2}) RETURN id(a) AS a, count(*) AS n",
    "MATCH (a:A)-[r:R]->(b), (b)<-[s:R]-(c:B) WHERE a.s = c.s RETURN count(*) AS c",
    "MATCH (n:B) WITH n LIMIT 3 MATCH (a)-[:R]->(n), (m:A {x: 3}) RETURN id(n) AS n, id(a) AS a, id(m) AS m",
    "MATCH p = shortestPath((a)-[*..3]-(b)), (a:A {x: 1}), (b:B {x: 2}) RETURN length(p) AS l, id(a) AS a, id(b) AS b",
    "MATCH (a:A)-[:S]->(b) OPTIONAL MATCH (b)-[:R]->(c), (d:B {x: 4}) RETURN id(a) AS a, id(c) AS c, id(d) AS d",
    // WHERE conjuncts checked as soon as what they read is bound
    // (PredicatePushdown), and WHEREs that may fail, left whole.
    "MATCH (a)-[:R]->(b)-[r:S]->(c) WHERE a.x > 3 AND r.w <> b.x AND (c:A OR c.s STARTS WITH 'a') RETURN id(a) AS a, id(c) AS c",
    "MATCH (a:A)-[:R]->(b), (c:B) WHERE a.s = c.s AND NOT b.x IS NULL AND b.y < c.y RETURN count(*) AS c",
    "MATCH (a)-[:R*1..2]->(b)-[:S]->(c) WHERE b.x = 2 XOR c.x = 3 RETURN id(a) AS a, id(c) AS c",
    "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE a.x = $k AND c.s = a.s AND b <> c RETURN count(*) AS c",
    "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE a.x > 2 AND b.x / 0 > 1 RETURN count(*) AS c",
    "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE c.x / 0 = 1 AND a.x < 0 RETURN count(*) AS c",
    "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE c.x < 1 AND a.s + 1 = 'a1' RETURN count(*) AS c",
    "UNWIND [1, 'x'] AS k MATCH (a:A)-[:R]->(b) WHERE b.x = k AND a.y > 1 RETURN k, count(*) AS c",
    // Nodes named by id (NodeByIdSeek).
    "MATCH (n) WHERE id(n) = $k RETURN id(n) AS i, n.x AS x",
    "MATCH (n:A) WHERE elementId(n) = toString($k) RETURN id(n) AS i",
    "MATCH (n) WHERE id(n) IN [1, 3, 3, 2.0, -4, 'x', null, 1000000] RETURN id(n) AS i",
    "MATCH (n:B) WHERE 3 = id(n) OR id(n) = 4 RETURN id(n) AS i",
    "MATCH (a)-[:R]->(b) WHERE id(a) IN [2, 5, 7] RETURN id(a) AS a, id(b) AS b",
    "MATCH (n) WHERE id(n) IN $k RETURN id(n) AS i",
    "MATCH (n) WHERE elementId(n) IN ['1', '01', '2', 2] RETURN id(n) AS i",
    "UNWIND [1, 2, 1] AS k MATCH (n) WHERE id(n) = k AND n.x > 0 RETURN k, id(n) AS i",
    "MATCH (a)-[:R]->(b) WHERE id(b) = $k RETURN id(a) AS a, id(b) AS b",
    "MATCH (a:A)-[:R]->(b)-[:S]->(c) WHERE elementId(c) IN ['3', '4'] RETURN id(a) AS a, id(c) AS c",
];

/// Rows sorted by the global order, floats compared to 1e-9 relative
/// (sums may add in another order).
fn same_rows(a: &[Vec<V>], b: &[Vec<V>]) -> bool {
    fn sorted(rows: &[Vec<V>]) -> Vec<Vec<V>> {
        let mut rows = rows.to_vec();
        rows.sort_by(|x, y| {
            x.iter()
                .zip(y)
                .map(|(p, q)| p.order(q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        rows
    }
    fn close(p: &V, q: &V) -> bool {
        match (p, q) {
            (V::Float(x), V::Float(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => p == q,
        }
    }
    let (a, b) = (sorted(a), sorted(b));
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q)))
}

/// Runs `statement` on `r` as optimised and without rules and panics,
/// naming `what`, unless both give the same rows or the same error; the
/// plain rows when it succeeded.
fn agree(r: &ReadTxn<'_>, statement: &str, params: &Params, what: &str) -> Option<Vec<Vec<V>>> {
    let fast = r.query_with(statement, params, &QueryOptions::default());
    let plain = r.query_with(statement, params, &QueryOptions::default().without_rules());
    match (fast, plain) {
        (Ok(fast), Ok(plain)) => {
            assert!(
                same_rows(fast.rows(), plain.rows()),
                "{what}\n optimised: {:?}\n plain: {:?}",
                fast.rows(),
                plain.rows()
            );
            Some(plain.into_rows())
        }
        (Err(a), Err(b)) => {
            assert_eq!((a.kind, a.detail), (b.kind, b.detail), "{what}");
            None
        }
        (a, b) => panic!("{what}: {a:?} vs {b:?}"),
    }
}

#[test]
fn rules_give_the_rows_the_plain_plan_gives() {
    let seed = common::seed(0x0b5e_55ed);
    let mut rng = Rng(seed);
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let n = 20 + 40 * round;
        random_graph(&db, &mut rng, n, n * 3, round % 2 == 1);
        let t = quiverdb::temporal::Temporal::parse("datetime", "2024-12-02T17:00Z").unwrap();
        let params = Params::from([
            ("k".to_owned(), V::Int(rng.below(10) as i64)),
            ("t".to_owned(), V::from(Value::Temporal(t))),
        ]);
        for statement in STATEMENTS {
            let r = db.begin_read().unwrap();
            let what = format!("seed {seed}, round {round}: {statement}");
            let plain = agree(&r, statement, &params, &what);
            // PROFILE runs the same operators and returns the same rows.
            if let Some(plain) = plain {
                let profiled = r
                    .query(&format!("PROFILE {statement}"), &params)
                    .unwrap_or_else(|e| panic!("{statement}: {e}"));
                assert!(same_rows(profiled.rows(), &plain), "PROFILE {what}");
            }
        }
    }
}

/// Range `WHERE`s over indexed properties (numbers of both types,
/// strings, datetimes at several offsets and of other types) start from
/// the index on the row path: the same rows as without the rules.
#[test]
fn index_range_starts_give_the_rows_a_label_scan_gives() {
    let seed = common::seed(0x0a11_ce55);
    let mut rng = Rng(seed);
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let n = 30 + 50 * round;
        random_graph(&db, &mut rng, n, n * 2, round % 2 == 1);
        let mut w = db.begin_write().unwrap();
        for (label, key) in [("A", "x"), ("A", "y"), ("B", "s"), ("B", "t"), ("A", "t")] {
            w.create_index(label, key).unwrap();
        }
        w.commit().unwrap();
        let t = quiverdb::temporal::Temporal::parse("datetime", "2024-12-02T10:00+01:00").unwrap();
        let params = Params::from([
            ("k".to_owned(), V::Int(rng.below(10) as i64)),
            ("f".to_owned(), V::Float(rng.below(10) as f64 / 2.0 - 0.25)),
            ("t".to_owned(), V::from(Value::Temporal(t))),
        ]);
        for statement in [
            "MATCH (n:A) WHERE n.x > $k RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x >= 3 AND n.x < $k RETURN id(n) AS i",
            "MATCH (n:A) WHERE $k <= n.x AND n.x <> 5 RETURN id(n) AS i, n.x AS x",
            "MATCH (n:A) WHERE n.y > $f AND n.y <= 3 RETURN id(n) AS i, n.y AS y",
            "MATCH (n:A) WHERE n.y >= 2 RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.y < 2.5 RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x > 2.5 AND n.x < 7.0 RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.s >= 'b' RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.s > 'a' AND n.s < 'c' RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.t >= $t RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.t > datetime('2024-12-02T00:00Z') AND n.t < datetime('2024-12-03T00:00:00+02:00') RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.t < date('2024-12-03') RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x > 'a' RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x > null RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x > 2 AND n.x < 'z' RETURN id(n) AS i",
            "MATCH (n:A)-[:R]->(m) WHERE n.x >= $k RETURN id(n) AS i, id(m) AS j",
            "MATCH (m:B), (n:A) WHERE n.x > m.x RETURN id(m) AS i, id(n) AS j",
            "MATCH (n:A) WHERE n.x > 3 RETURN n.s AS s, count(*) AS c",
            "MATCH (n:A:B) WHERE n.x < 4 AND n.t > $t RETURN id(n) AS i",
            // Equalities: the range of one value (1 = 1.0 included).
            "MATCH (n:A) WHERE n.x = $k RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.y = 2 RETURN id(n) AS i",
            "MATCH (n:A) WHERE 2.0 = n.y AND n.x <> 3 RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.y = 2.5 RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.s = 'b' RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.t = datetime('2024-12-02T11:00:00+02:00') RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x = 'a' OR n.x = 1 RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x = null RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x = [1] RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x = $k AND n.x > 100 RETURN id(n) AS i",
            "MATCH (m:B), (n:A) WHERE n.x = m.x RETURN id(m) AS i, id(n) AS j",
            "MATCH (m:B) MATCH (n:A) WHERE n.y = m.x + 1 RETURN id(m) AS i, id(n) AS j",
            "MATCH (m:B) MATCH (n:A) WHERE n.x = m.x * 9223372036854775807 RETURN count(*) AS c",
            // IN lists: a range of one value per item, each node once.
            "MATCH (n:A) WHERE n.x IN [1, 3, 3, 2.0, null, 'a', {k: 1}] RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.y IN [2, 2.5] AND n.x <> 1 RETURN id(n) AS i",
            "MATCH (n:B) WHERE n.s IN ['a', 'c'] RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x IN [[1]] RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x IN null RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x IN 5 RETURN id(n) AS i",
            "MATCH (n:A) WHERE n.x IN [] RETURN id(n) AS i",
            "MATCH (m:B) MATCH (n:A) WHERE n.x IN [m.x, m.x + 1] RETURN id(m) AS i, id(n) AS j",
            // A start chosen by what the WHERE seeks.
            "MATCH (m:B)-[:R]->(n:A) WHERE n.x = $k RETURN id(m) AS i, id(n) AS j",
            "MATCH (m)-[:R|S]-(n:A) WHERE n.y IN [1, 2.5] AND m.x > 1 RETURN id(m) AS i, id(n) AS j",
            "MATCH (m:B)-[:R]->(n:A), (o:B) WHERE o.s = 'a' AND n.x = o.x RETURN count(*) AS c",
        ] {
            let r = db.begin_read().unwrap();
            let what = format!("seed {seed}, round {round}: {statement}");
            agree(&r, statement, &params, &what);
        }
    }
}

/// Variable-length hops whose trails only matter by the node they reach
/// (`PruningVarExpand`: a breadth-first search per start) against every
/// trail enumerated, on small graphs with cycles, self-loops and parallel
/// relationships — a start node reached again only by a closed trail
/// included. Each statement says whether the rule must take it.
#[test]
fn pruned_variable_length_hops_reach_what_every_trail_reaches() {
    const PRUNED: &[(&str, bool)] = &[
        (
            "MATCH (a)-[*]-(b) RETURN DISTINCT id(a) AS a, id(b) AS b",
            true,
        ),
        (
            "MATCH (a:A)-[:R*]->(b) RETURN id(a) AS a, count(DISTINCT b) AS n",
            true,
        ),
        (
            "MATCH (a)<-[:R|S*0..]-(b:B) RETURN DISTINCT id(a) AS a, id(b) AS b",
            true,
        ),
        (
            "MATCH (a)-[*1..2]-(b) WHERE b.x > 2 RETURN a.s AS s, count(DISTINCT b) AS n, min(b.x) AS lo",
            true,
        ),
        (
            "MATCH (a)-[*..3]-(b) RETURN id(a) AS a, count(DISTINCT b) AS n, max(id(b)) AS hi",
            true,
        ),
        (
            "MATCH p = (a:B)-[r:S*..3]-(b) RETURN DISTINCT id(a) AS a, id(b) AS b ORDER BY a, b",
            true,
        ),
        (
            "MATCH (a)-[r*1..3 {w: 1}]->(b) RETURN DISTINCT id(a) AS a, id(b) AS b",
            true,
        ),
        (
            "MATCH (a {x: 1})-[*0..1]-(b) RETURN DISTINCT id(b) AS b",
            true,
        ),
        (
            "MATCH (a)-[*0..0]-(b) RETURN DISTINCT id(a) = id(b) AS same",
            true,
        ),
        (
            "MATCH (n:B) MATCH (n)-[*2..2]-(m) RETURN DISTINCT id(n) AS n, id(m) AS m",
            false,
        ),
        (
            "MATCH (n:B) MATCH (n)-[*1..]-(m) WITH n, collect(DISTINCT id(m)) AS c RETURN id(n) AS n, size(c) AS s",
            true,
        ),
        (
            "MATCH (a:A) OPTIONAL MATCH (a)-[:S*]->(b:B) RETURN DISTINCT id(a) AS a, id(b) AS b",
            true,
        ),
        (
            "MATCH (n) WITH collect(n) AS nodes CALL { WITH nodes UNWIND nodes AS s MATCH path = (s)-[*]-(c) WITH s, COLLECT(DISTINCT c) AS component RETURN component } RETURN size(component) AS n",
            true,
        ),
        (
            "MATCH p = (a)-[*1..2]-(b) RETURN DISTINCT length(p) AS l, id(a) AS a",
            false,
        ),
        (
            "MATCH (a)-[r*1..2]->(b) RETURN DISTINCT size(r) AS n, id(b) AS b",
            false,
        ),
        (
            "MATCH (a)-[*1..2]->(b) RETURN id(a) AS a, count(b) AS n",
            false,
        ),
        (
            "MATCH (a)-[*1..2]->(b)-[:R]->(c) RETURN DISTINCT id(a) AS a, id(c) AS c",
            false,
        ),
        (
            "MATCH (a)-[r*1..2]->(b) WHERE size(r) > 1 RETURN DISTINCT id(a) AS a, id(b) AS b",
            false,
        ),
    ];
    let seed = common::seed(0x0b0f_5ea5);
    let mut rng = Rng(seed);
    for round in 0..24 {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let n = 5 + (round % 8) as usize;
        let edges = n + rng.below(5) as usize;
        random_graph(&db, &mut rng, n, edges, false);
        let r = db.begin_read().unwrap();
        for &(statement, pruned) in PRUNED {
            let what = format!("seed {seed}, round {round}: {statement}");
            agree(&r, statement, &Params::new(), &what);
            // EXPLAIN lists a subquery call as one step.
            if round == 0 && !statement.contains("CALL {") {
                let plan = r
                    .query(&format!("EXPLAIN {statement}"), &Params::new())
                    .unwrap();
                let steps = plan.plan().unwrap_or_default();
                let named = steps.iter().any(|s| s.details.contains("PruningVarExpand"));
                assert_eq!(named, pruned, "EXPLAIN {statement}: {steps:?}");
            }
        }
    }
}

/// A pattern's chains run from what the statistics say reads least
/// (`ChainOrder`): EXPLAIN names the order, PROFILE shows the scan of the
/// large label avoided, and the rows are the statement order's.
#[test]
fn chains_run_from_the_cheapest_start() {
    let (_dir, db) = with_unique_key("Hub", "k");
    let mut w = db.begin_write().unwrap();
    let hubs: Vec<NodeId> = (0..5)
        .map(|k| {
            w.add_node(&["Hub"], Props::from([("k".to_owned(), Value::Int(k))]))
                .unwrap()
        })
        .collect();
    for i in 0..2000 {
        let big = w
            .add_node(&["Big"], Props::from([("i".to_owned(), Value::Int(i))]))
            .unwrap();
        w.add_edge(big, hubs[(i % 5) as usize], "R", Props::new())
            .unwrap();
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let reordered =
        "MATCH (a:Big)-[:R]->(h), (h:Hub {k: 2})<-[:R]-(b:Big {i: 7}) RETURN count(*) AS n";
    let rows = agree(&r, reordered, &Params::new(), reordered).unwrap();
    assert_eq!(rows, vec![vec![V::Int(399)]]);
    let explained = r
        .query(&format!("EXPLAIN {reordered}"), &Params::new())
        .unwrap();
    let details = &explained.plan().unwrap()[0].details;
    assert!(
        details.contains("rule ChainOrder: chains run in the order 2, 1"),
        "{details}"
    );
    let profiled = r
        .query(&format!("PROFILE {reordered}"), &Params::new())
        .unwrap();
    let reads = profiled.plan().unwrap()[0].reads.unwrap();
    // The hub's 400 relationships, not the 2,000 :Big nodes and theirs.
    assert!(reads.entries < 1000, "{reads:?}");
    // A :Big node named by the WHERE through an index: the chain starts
    // there, though :Hub is the smaller label.
    let mut w = db.begin_write().unwrap();
    w.create_index("Big", "i").unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let sought = "MATCH (h:Hub)<-[:R]-(a:Big) WHERE a.i = 7 RETURN h.k AS k";
    let rows = agree(&r, sought, &Params::new(), sought).unwrap();
    assert_eq!(rows, vec![vec![V::Int(2)]]);
    let profiled = r
        .query(&format!("PROFILE {sought}"), &Params::new())
        .unwrap();
    let step = &profiled.plan().unwrap()[0];
    assert!(
        step.details.contains("estimated start: node 2"),
        "{}",
        step.details
    );
    assert!(step.reads.unwrap().entries < 100, "{:?}", step.reads);
    let written = "MATCH (h:Hub {k: 2}), (a:Big)-[:R]->(h) RETURN count(*) AS n";
    let explained = r
        .query(&format!("EXPLAIN {written}"), &Params::new())
        .unwrap();
    assert!(!explained.plan().unwrap()[0].details.contains("ChainOrder"));
}

/// A new database whose nodes labelled `label` have the unique key `key`.
fn with_unique_key(label: &str, key: &str) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_unique_key(label, key).unwrap();
    w.commit().unwrap();
    (dir, db)
}

#[test]
fn a_top_k_over_many_start_nodes_keeps_the_rows_it_must() {
    // More start nodes than the rule keeps rows of before it cuts them to
    // the ones that can still be returned (twice 4,096).
    let (_dir, db) = with_unique_key("P", "i");
    let n = 12_000;
    db.execute(
        "UNWIND range(0, $n - 1) AS i CREATE (:P {i: i, g: i % 7})",
        &Params::from([("n".to_owned(), V::Int(n))]),
    )
    .unwrap();
    for (m, add) in [(7919, 13), (104_729, 5), (31, 0)] {
        db.execute(
            "UNWIND range(0, $n - 1) AS i MATCH (a:P {i: i}) \
             MATCH (b:P {i: (i * $m + $add) % ($n / (1 + i % 3))}) CREATE (a)-[:R]->(b)",
            &Params::from([
                ("n".to_owned(), V::Int(n)),
                ("m".to_owned(), V::Int(m)),
                ("add".to_owned(), V::Int(add)),
            ]),
        )
        .unwrap();
    }
    let r = db.begin_read().unwrap();
    for statement in [
        "MATCH (p:P)<-[:R]-() RETURN p AS n, count(*) AS c ORDER BY c DESC, n LIMIT 5",
        "MATCH (p:P)<-[:R]-(q) RETURN p.i AS i, count(*) AS c, sum(q.g) AS s ORDER BY s DESC, c, i SKIP 3 LIMIT 7",
        "MATCH (p:P)-[:R]->(q) RETURN p.i AS i, min(q.i) AS m ORDER BY m, i DESC LIMIT 10",
        "MATCH (p:P)<-[:R]-() RETURN p.i AS i, count(*) AS c ORDER BY c LIMIT 9000",
        // A free last hop counted by the rule, enumerated without it.
        "MATCH (p:P)<-[:R]-() RETURN count(*) AS c",
        "MATCH (p)-[:R]->() WITH p, count(*) AS c RETURN max(c) AS m, count(*) AS k",
    ] {
        let rows = agree(&r, statement, &Params::new(), statement).unwrap();
        assert!(!rows.is_empty(), "{statement}");
    }
}

#[test]
fn datetime_filters_over_many_start_nodes_keep_the_rows_they_must() {
    // More start nodes than one pass of the column filter takes (65,536),
    // each at second `i` after 2024-01-01T00:00Z, with `h` = i mod 3.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let n: i64 = 70_000;
    db.execute(
        "UNWIND range(0, $n - 1) AS i \
         CREATE (:E {i: i, h: i % 3, t: datetime('2024-01-01T00:00Z') + duration({seconds: i})})",
        &Params::from([("n".to_owned(), V::Int(n))]),
    )
    .unwrap();
    let r = db.begin_read().unwrap();
    let ints = |rows: &[Vec<V>]| -> Vec<i64> {
        rows.iter()
            .map(|row| match row[0] {
                V::Int(i) => i,
                ref other => panic!("{other:?}"),
            })
            .collect()
    };
    // Seconds 1,000 to 68,999: an hour is 3,600 of them.
    let count = "MATCH (e:E) WHERE e.t >= datetime('2024-01-01T00:16:40Z') \
                 AND e.t < datetime('2024-01-01T19:09:59Z') AND e.h <> 1 RETURN count(*) AS c";
    let want = (1_000..68_999).filter(|i| i % 3 != 1).count() as i64;
    assert_eq!(
        ints(&agree(&r, count, &Params::new(), count).unwrap()),
        [want]
    );
    let rows = "MATCH (e:E) WHERE e.t > datetime('2024-01-01T19:26:30+01:00') \
                RETURN e.i AS i ORDER BY e.t DESC";
    let want: Vec<i64> = (66_391..n).rev().collect();
    assert_eq!(ints(&agree(&r, rows, &Params::new(), rows).unwrap()), want);
    let years = "MATCH (e:E) RETURN e.t.hour AS h, count(*) AS c ORDER BY h";
    let got = agree(&r, years, &Params::new(), years).unwrap();
    assert_eq!(got.len(), 20, "seconds 0 to 69,999 span hours 0 to 19");
    assert_eq!(got[19][1], V::Int(n - 19 * 3600));
    let latest = "MATCH (e:E) WHERE e.h = 0 RETURN e.i AS i ORDER BY e.t DESC LIMIT 3";
    assert_eq!(
        ints(&agree(&r, latest, &Params::new(), latest).unwrap()),
        [69_999, 69_996, 69_993]
    );
}

#[test]
fn a_unique_key_that_holds_1_and_1_0_groups_them_as_cypher_does() {
    // The unique constraint keeps an integer and its equal float apart;
    // grouping does not.
    let (_dir, db) = with_unique_key("U", "k");
    db.execute(
        "CREATE (a:U {k: 1}), (b:U {k: 1.0}), (c:U {k: 2}), (d:U {k: 'x'}), \
         (a)<-[:R]-(c), (b)<-[:R]-(c), (c)<-[:R]-(a), (d)<-[:R]-(a)",
        &Params::new(),
    )
    .unwrap();
    let r = db.begin_read().unwrap();
    for statement in [
        "MATCH (u:U)<-[:R]-() RETURN u.k AS k, count(*) AS c",
        "MATCH (u:U)<-[:R]-() RETURN u.k AS k, count(*) AS c ORDER BY c DESC LIMIT 2",
    ] {
        let rows = agree(&r, statement, &Params::new(), statement).unwrap();
        assert!(rows.len() <= 3, "{statement}: {rows:?}");
    }
}

#[test]
fn a_rule_that_meets_a_bad_value_raises_what_the_plain_plan_raises() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "CREATE (:A {v: 1}), (:A {v: 'text'}), (:A {v: 9223372036854775807}), (:A {v: [1, 2]})",
        &Params::new(),
    )
    .unwrap();
    for statement in [
        "MATCH (n:A) RETURN sum(n.v) AS s",
        "MATCH (n:A) WHERE n.v > 0 RETURN count(*) AS c",
        "MATCH (n:A) RETURN n.v + 1 AS w, count(*) AS c",
        "MATCH (n:A) RETURN min(n.v) AS m",
    ] {
        let r = db.begin_read().unwrap();
        agree(&r, statement, &Params::new(), statement);
    }
}

#[test]
fn a_write_transaction_sees_its_own_writes_in_an_aggregation() {
    // The rule runs on committed snapshots only; a write transaction's
    // view (with its uncommitted writes) takes the plain path.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute("CREATE (:A {x: 1})-[:R]->(:A {x: 2})", &Params::new())
        .unwrap();
    let mut w = db.begin_write().unwrap();
    w.query("CREATE (:A {x: 3})-[:R]->(:A {x: 4})", &Params::new())
        .unwrap();
    let seen = w
        .query(
            "MATCH (a:A)-[:R]->(b:A) RETURN count(*) AS c, sum(b.x) AS s",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(seen.rows(), [vec![V::Int(2), V::Int(6)]]);
    drop(w);
    let committed = db
        .execute(
            "MATCH (a:A)-[:R]->(b:A) RETURN count(*) AS c, sum(b.x) AS s",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(committed.rows(), [vec![V::Int(1), V::Int(2)]]);
}

/// Write statements over the random graphs: the ones `SET` and `REMOVE`
/// run in bulk (no value reads the graph) and ones they leave to the row
/// path, with errors, repeated targets and removals among them.
const WRITES: &[&str] = &[
    "MATCH (n:A) SET n.flag = true",
    "MATCH (n) WHERE n.x > $k SET n.x = $k, n.t = 'seen'",
    "MATCH (n:B) SET n.u = id(n)",
    "MATCH (n:B) SET n.u = 1",
    "MATCH (n) SET n.y = null",
    "MATCH (n:A) REMOVE n.s, n.nothing",
    "MATCH (a)-[r:R]->(b) SET r.w = 7, a.z = 1",
    "MATCH (a)-[r:S]->(b) REMOVE r.f, b.x",
    "MATCH (a)-[:R]->(b) SET b.c = a.x",
    "UNWIND [1, 2, 3] AS i MATCH (n:A) SET n.last = i, n.x = i * 10",
    "MATCH (n:A) SET n.v = [1, 2], n.f = 2.5",
    "MATCH (n:A) SET n.bad = 0.0 / 0.0",
    "MATCH (n:A) SET n.m = {a: 1}",
    "MATCH (n:A) WITH n, {k: n.x} AS m SET n.k2 = m.k",
    "OPTIONAL MATCH (n:Missing) SET n.x = 1",
    "MATCH (n:B) SET n.s = 'b' RETURN n.s AS s, count(*) AS c",
    "MATCH (n:A) SET n.x = 1 WITH n MATCH (n)-[:R]->(m) SET m.seen = n.x",
    // Whole labels written without rows (the rule LabelWrite): an indexed
    // key, a unique key, removals, temporal values kept, a bad value, a
    // label nobody has, a subquery.
    "MATCH (n:A) SET n.x = $k, n.x = 3, n.z = [1.5]",
    "MATCH (n:B) SET n.t = null, n.s = 'z'",
    "MATCH (n:B) SET n.q = $k",
    "MATCH (n:A) REMOVE n.t, n.y",
    "MATCH (n:Missing) SET n.m = {a: 1}",
    "MATCH (n:B) SET n.m = [1, 'a']",
    "CALL { MATCH (n:B) SET n.w = 'w' }",
];

/// Every node's and relationship's id, labels or type, and properties.
fn dump(db: &Database) -> Vec<Vec<V>> {
    let mut rows = db
        .execute(
            "MATCH (n) RETURN id(n) AS i, labels(n) AS l, properties(n) AS p ORDER BY i",
            &Params::new(),
        )
        .unwrap()
        .into_rows();
    rows.extend(
        db.execute(
            "MATCH ()-[r]->() RETURN id(r) AS i, type(r) AS t, properties(r) AS p ORDER BY i",
            &Params::new(),
        )
        .unwrap()
        .into_rows(),
    );
    rows
}

#[test]
fn bulk_writes_leave_the_graph_the_row_path_leaves() {
    let seed = common::seed(0x5e7_b01c);
    let mut rng = Rng(seed);
    for round in 0..3 {
        let n = 15 + 30 * round;
        let graph_seed = rng.next();
        let params = Params::from([("k".to_owned(), V::Int(rng.below(10) as i64))]);
        for statement in WRITES {
            let what = format!("seed {seed}, round {round}: {statement}");
            // The same graph twice, with an index and a unique key whose
            // entries bulk writes must move.
            let (dirs, dbs): (Vec<_>, Vec<_>) = (0..2)
                .map(|_| {
                    let dir = tempfile::tempdir().unwrap();
                    let db = Database::open(dir.path()).unwrap();
                    random_graph(&db, &mut Rng(graph_seed), n, n * 3, round % 2 == 0);
                    let mut w = db.begin_write().unwrap();
                    w.create_index("A", "x").unwrap();
                    w.create_unique_key("B", "u").unwrap();
                    w.commit().unwrap();
                    (dir, db)
                })
                .unzip();
            let run = |db: &Database, options: &QueryOptions| {
                let mut w = db.begin_write().unwrap();
                let result = w.query_with(statement, &params, options);
                w.commit().unwrap();
                result
            };
            let fast = run(&dbs[0], &QueryOptions::default());
            let plain = run(&dbs[1], &QueryOptions::default().without_rules());
            match (&fast, &plain) {
                (Ok(f), Ok(p)) => assert!(same_rows(f.rows(), p.rows()), "{what}"),
                (Err(a), Err(b)) => assert_eq!((a.kind, a.detail), (b.kind, b.detail), "{what}"),
                _ => panic!("{what}: {fast:?} vs {plain:?}"),
            }
            assert_eq!(dump(&dbs[0]), dump(&dbs[1]), "{what}");
            // The index answers for the values written.
            for (db, x) in dbs.iter().flat_map(|db| [1, 3, 10, 30].map(|x| (db, x))) {
                let count = |statement: &str| {
                    let params = Params::from([("x".to_owned(), V::Int(x))]);
                    db.execute(statement, &params).unwrap().into_rows()
                };
                assert_eq!(
                    count("MATCH (n:A) WHERE n.x = $x RETURN count(*) AS c"),
                    count("MATCH (n:A) WHERE n.x + 0 = $x RETURN count(*) AS c"),
                    "{what}"
                );
            }
            drop(dirs);
        }
    }
}

/// A write over a whole label inside a transaction sees what the
/// transaction wrote before it — new members, changed records, labels
/// added — whether the label is read from its index (a small label) or
/// found by reading every record (most of the nodes), as the row path
/// does.
#[test]
fn a_label_write_sees_its_transactions_writes() {
    let seed = common::seed(0x0001_abe1);
    let statements = [
        "UNWIND range(1, 3) AS i CREATE (:C {i: i})",
        "MATCH (n:A) WITH n ORDER BY id(n) LIMIT 2 SET n:C, n.x = 40",
        "MATCH (n:C) SET n.flag = 1",
        "MATCH (n:A) SET n.flag = 2, n.x = null",
        "MATCH (n:B) WITH n ORDER BY id(n) LIMIT 3 REMOVE n:B",
        "MATCH (n:B) REMOVE n.s",
    ];
    let dumps: Vec<_> = [
        QueryOptions::default(),
        QueryOptions::default().without_rules(),
    ]
    .iter()
    .map(|options| {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        random_graph(&db, &mut Rng(seed), 60, 100, true);
        let mut w = db.begin_write().unwrap();
        let mut views = Vec::new();
        for statement in statements {
            w.query_with(statement, &Params::new(), options).unwrap();
            let rows = w
                .query(
                    "MATCH (n) RETURN id(n) AS i, labels(n) AS l, properties(n) AS p ORDER BY i",
                    &Params::new(),
                )
                .unwrap();
            views.push(rows.rows().to_vec());
        }
        w.commit().unwrap();
        (views, dump(&db))
    })
    .collect();
    assert!(dumps[0] == dumps[1], "seed {seed}");
    let flagged = dumps[0]
        .1
        .iter()
        .filter(|row| matches!(&row[2], V::Map(m) if m.get("flag") == Some(&V::Int(1))));
    assert_eq!(flagged.count(), 3, "seed {seed}");
}

/// A relationship histogram counted by relationship id (no projection)
/// when the statistics say every relationship of the type joins the two
/// labels, gives the plain plan's rows — keys small, negative and large,
/// parallel relationships, either direction written, a constant `WHERE`
/// — and still does once a relationship breaks the labels, lacks the
/// property or holds a float (then the projection's path runs).
#[test]
fn relationships_counted_by_id_give_the_plain_rows() {
    let seed = common::seed(0x7e1a);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    let a: Vec<NodeId> = (0..30)
        .map(|_| w.add_node(&["A"], Props::new()).unwrap())
        .collect();
    let b: Vec<NodeId> = (0..20)
        .map(|_| w.add_node(&["B"], Props::new()).unwrap())
        .collect();
    for _ in 0..400 {
        let y = [0, 1, 5, 9, -3, 70_000, 1 << 40][rng.below(7) as usize];
        let mut props = Props::new();
        props.insert("y".to_owned(), Value::Int(y));
        let (from, to) = (a[rng.below(30) as usize], b[rng.below(20) as usize]);
        w.add_edge(from, to, "T", props).unwrap();
    }
    w.add_edge(a[0], a[1], "U", Props::new()).unwrap();
    w.commit().unwrap();
    let statements = [
        "MATCH (:A)-[t:T]->(:B) RETURN t.y AS y, count(*) AS c",
        "MATCH (b:B)<-[t:T]-(a:A) RETURN t.y AS y, count(a) AS c ORDER BY c DESC, y LIMIT 4",
        "MATCH ()-[t:T]->() WHERE $k > 3 RETURN t.y AS y, count(*) AS c",
        "MATCH (:B)-[t:T]->(:A) RETURN t.y AS y, count(*) AS c",
        "MATCH (:A)-[t:T|U]->() RETURN t.y AS y, count(*) AS c",
    ];
    let check = |stage: &str| {
        let r = db.begin_read().unwrap();
        for k in [2, 7] {
            let params = Params::from([("k".to_owned(), V::Int(k))]);
            for statement in statements {
                let what = format!("seed {seed}, {stage}, k {k}: {statement}");
                agree(&r, statement, &params, &what);
            }
        }
    };
    check("labels implied");
    let mut w = db.begin_write().unwrap();
    let mut props = Props::new();
    props.insert("y".to_owned(), Value::Int(5));
    w.add_edge(b[0], a[0], "T", props).unwrap();
    w.commit().unwrap();
    check("one relationship the other way");
    let mut w = db.begin_write().unwrap();
    w.add_edge(a[2], b[2], "T", Props::new()).unwrap();
    w.commit().unwrap();
    check("one without the property");
    let mut w = db.begin_write().unwrap();
    let mut props = Props::new();
    props.insert("y".to_owned(), Value::Float(0.5));
    w.add_edge(a[3], b[3], "T", props).unwrap();
    w.commit().unwrap();
    check("one float");
}
