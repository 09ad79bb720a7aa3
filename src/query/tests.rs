//! Statements and their answers.

use super::*;
use crate::query::plan::Step;

fn rows(text: &str) -> Vec<Vec<String>> {
    rows_with(text, &Params::new())
}

fn rows_with(text: &str, params: &Params) -> Vec<Vec<String>> {
    match run(text, params) {
        Ok(r) => r
            .rows()
            .iter()
            .map(|row| row.iter().map(ToString::to_string).collect())
            .collect(),
        Err(e) => panic!("{text}: {e}"),
    }
}

fn one(text: &str) -> String {
    let mut r = rows(text);
    assert_eq!(r.len(), 1, "{text}");
    let mut row = r.remove(0);
    assert_eq!(row.len(), 1, "{text}");
    row.remove(0)
}

fn error(text: &str) -> QueryError {
    match run(text, &Params::new()) {
        Ok(r) => panic!("{text}: expected an error, got {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn expressions_follow_cyphers_rules() {
    assert_eq!(one("RETURN 1 + 2 * 3"), "7");
    assert_eq!(one("RETURN 7 / 2"), "3");
    assert_eq!(one("RETURN 7 / 2.0"), "3.5");
    assert_eq!(one("RETURN -7 % 3"), "-1");
    assert_eq!(one("RETURN 2 ^ 3"), "8.0");
    assert_eq!(one("RETURN 'a' + 1"), "'a1'");
    assert_eq!(one("RETURN [1] + 2"), "[1, 2]");
    assert_eq!(one("RETURN null AND false"), "false");
    assert_eq!(one("RETURN null OR false"), "null");
    assert_eq!(one("RETURN true XOR null"), "null");
    assert_eq!(one("RETURN 1 = 1.0"), "true");
    assert_eq!(one("RETURN [1, null] = [1, null]"), "null");
    assert_eq!(one("RETURN 2 IN [1, null]"), "null");
    assert_eq!(one("RETURN 1 IN [1, null]"), "true");
    assert_eq!(one("RETURN 'abc' STARTS WITH 'ab'"), "true");
    assert_eq!(one("RETURN 'abc' =~ 'a.c'"), "true");
    assert_eq!(one("RETURN 1 < 'a'"), "null");
    assert_eq!(one("RETURN null IS NULL"), "true");
    assert_eq!(one("RETURN [1, 2, 3][-1]"), "3");
    assert_eq!(one("RETURN [1, 2, 3, 4][1..3]"), "[2, 3]");
    assert_eq!(one("RETURN {a: 1, b: 'x'}.b"), "'x'");
    assert_eq!(
        one("RETURN CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END"),
        "'two'"
    );
    assert_eq!(
        one("RETURN [x IN range(1, 5) WHERE x % 2 = 1 | x * 10]"),
        "[10, 30, 50]"
    );
    assert_eq!(one("RETURN reduce(s = 0, x IN [1, 2, 3] | s + x)"), "6");
    assert_eq!(one("RETURN all(x IN [1, 2] WHERE x > 0)"), "true");
    assert_eq!(one("RETURN single(x IN [1, 2] WHERE x > 1)"), "true");
    assert_eq!(one("RETURN none(x IN [1, null] WHERE x > 1)"), "null");
    assert_eq!(rows("RETURN toInteger('42'), toFloat(2)"), [["42", "2.0"]]);
    assert_eq!(one("RETURN -9223372036854775808"), "-9223372036854775808");
    assert_eq!(one("RETURN 0x1F"), "31");
    assert_eq!(one("RETURN round(-2.5)"), "-2.0");
    assert_eq!(one("RETURN {a: 1, b: 2} {.a, c: 3}"), "{a: 1, c: 3}");
}

#[test]
fn projections_group_sort_and_page() {
    let r = rows(
        "UNWIND [3, 1, 2, 1, null] AS x
         WITH x WHERE x IS NOT NULL
         RETURN x, count(*) AS n ORDER BY x DESC",
    );
    assert_eq!(r, [["3", "1"], ["2", "1"], ["1", "2"]]);
    assert_eq!(
        rows("UNWIND [1, 2, 3, 4] AS x RETURN x ORDER BY x SKIP 1 LIMIT 2"),
        [["2"], ["3"]]
    );
    assert_eq!(rows("UNWIND [1, 1.0, 2] AS x RETURN DISTINCT x").len(), 2);
    assert_eq!(
        rows("UNWIND [] AS x RETURN count(x), sum(x), collect(x), avg(x)"),
        [["0", "0", "[]", "null"]]
    );
    assert_eq!(
        rows(
            "UNWIND [1, 2, 2, 3] AS x RETURN count(DISTINCT x), percentileDisc(x, 0.5), stDev(x) > 0"
        ),
        [["3", "2", "true"]]
    );
    // ORDER BY reads variables that are not projected.
    assert_eq!(
        rows("UNWIND [{a: 2, b: 'x'}, {a: 1, b: 'y'}] AS m RETURN m.b AS b ORDER BY m.a"),
        [["'y'"], ["'x'"]]
    );
    assert_eq!(
        rows("RETURN 1 AS a UNION RETURN 1 AS a UNION RETURN 2 AS a").len(),
        2
    );
    assert_eq!(rows("RETURN 1 AS a UNION ALL RETURN 1 AS a").len(), 2);
    let mut params = Params::new();
    params.insert(
        "xs".into(),
        CypherValue::List(vec![1i64.into(), 2i64.into()]),
    );
    assert_eq!(
        rows_with("UNWIND $xs AS x RETURN x * 2 AS y", &params),
        [["2"], ["4"]]
    );
}

#[test]
fn bad_statements_are_classified_and_placed() {
    let e = error("RETURN 1 +\n  FROM");
    assert_eq!((e.kind, e.phase), (ErrorKind::SyntaxError, Phase::Compile));
    assert!(e.position.is_some(), "{e}");
    let e = error("WITH 1 AS a\nRETURN b");
    assert_eq!(
        (e.kind, e.detail),
        (ErrorKind::SyntaxError, "UndefinedVariable")
    );
    assert_eq!(e.position, Some((2, 8)), "{e}");
    assert!(e.to_string().contains("RETURN b\n       ^"), "{e}");
    assert_eq!(error("WITH 1 + 1 RETURN 1").detail, "NoExpressionAlias");
    assert_eq!(error("RETURN 1 AS a, 2 AS a").detail, "ColumnNameConflict");
    assert_eq!(error("RETURN count(count(1))").detail, "NestedAggregation");
    assert_eq!(
        error("UNWIND [1] AS x WITH x WHERE count(x) > 0 RETURN x").detail,
        "InvalidAggregation"
    );
    assert_eq!(
        error("RETURN 1 AS a UNION RETURN 2 AS b").detail,
        "DifferentColumnsInUnion"
    );
    assert_eq!(error("RETURN $missing").kind, ErrorKind::ParameterMissing);
    assert_eq!(error("RETURN 1 LIMIT -1").detail, "NegativeIntegerArgument");
    assert_eq!(error("RETURN nosuch(1)").detail, "UnknownFunction");
    let e = error("RETURN 1 / 0");
    assert_eq!(
        (e.kind, e.phase),
        (ErrorKind::ArithmeticError, Phase::Runtime)
    );
    let e = error("RETURN 9223372036854775807 + 1");
    assert_eq!(e.kind, ErrorKind::ArithmeticError);
    // A literal of the wrong type is refused before running, a value met
    // while running when it is met.
    let e = error("RETURN true AND 1");
    assert_eq!(
        (e.kind, e.phase, e.detail),
        (
            ErrorKind::SyntaxError,
            Phase::Compile,
            "InvalidArgumentType"
        )
    );
    let e = error("UNWIND [1, 'a'] AS x RETURN true AND x");
    assert_eq!((e.kind, e.phase), (ErrorKind::TypeError, Phase::Runtime));
    // A variable bound to the elements of a list of one type has it.
    for text in [
        "UNWIND [1] AS x RETURN true AND x",
        "RETURN [x IN ['a', 'b'] WHERE x % 2 = 0]",
        "RETURN any(x IN [true] WHERE -x > 0)",
        "RETURN all(x IN 7 WHERE x > 0)",
    ] {
        let e = error(text);
        assert_eq!(
            (e.kind, e.phase, e.detail),
            (
                ErrorKind::SyntaxError,
                Phase::Compile,
                "InvalidArgumentType"
            ),
            "{text}"
        );
    }
    assert_eq!(
        one("RETURN [x IN [1, 'a', null] WHERE x IS NULL]"),
        "[null]"
    );
    // CREATE takes label names only (MATCH takes any label expression).
    assert_eq!(error("CREATE (n:!A)").kind, ErrorKind::Unsupported);
    // With no database, a graph clause is an error, not an empty result.
    let e = error("MATCH (n) RETURN n");
    assert_eq!((e.kind, e.detail), (ErrorKind::SemanticError, "NoGraph"));
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("RETURN {}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = error(&deep);
    assert_eq!(
        (e.kind, e.detail),
        (ErrorKind::SyntaxError, "NestingTooDeep")
    );
    let fine = format!("RETURN {}1{}", "(".repeat(50), ")".repeat(50));
    assert_eq!(one(&fine), "1");
    assert_eq!(one("RETURN '((((' + '[[['"), "'(((([[['");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    /// Any text gives an answer or an error, never a panic.
    #[test]
    fn no_text_panics(text in "(RETURN|WITH|UNWIND|MATCH|AS|x|n|1|0\\.5|'s'|\\[|\\]|\\(|\\)|\\{|\\}|,|:|\\+|-|\\*|/|%|\\^|=|<|>|AND|OR|NOT|IN|null|true|\\$p|\\.|\\|| |count|range|ORDER BY|LIMIT|SKIP|DISTINCT|UNION|CASE|WHEN|THEN|ELSE|END){0,24}") {
        let _ = run(&text, &Params::new());
    }

    /// Statements made of valid pieces with random values run or fail
    /// with an error.
    #[test]
    fn random_expressions_never_panic(
        a in proptest::num::i64::ANY,
        b in proptest::num::i64::ANY,
        f in proptest::num::f64::ANY,
        op in "[-+*/%^]|=|<>|<|<=|AND|OR|XOR|IN|STARTS WITH|CONTAINS",
    ) {
        for text in [
            format!("RETURN {a} {op} {b}"),
            format!("RETURN {a} {op} {f:?}"),
            format!("RETURN [{a}, {b}][{b}..{a}]"),
            format!("UNWIND range({a} % 100, {b} % 100) AS x RETURN x {op} {a} AS y ORDER BY y LIMIT 3"),
            format!("RETURN substring('abc', {a}, {b}), left('abc', {a}), round({f:?})"),
        ] {
            let _ = run(&text, &Params::new());
        }
    }
}

#[test]
fn vector_similarities_are_neo4js() {
    assert_eq!(
        one("RETURN vector.similarity.cosine([1, 0], [0, 1])"),
        "0.5"
    );
    assert_eq!(
        one("RETURN vector.similarity.cosine([1.0, 0.0], [2.0, 0.0])"),
        "1.0"
    );
    assert_eq!(
        one("RETURN vector.similarity.euclidean([0, 0], [3, 4])"),
        format_float(1.0 / 26.0)
    );
    assert_eq!(one("RETURN vector.similarity.cosine(null, [1])"), "null");
    let e = error("RETURN vector.similarity.euclidean([1, 2], [1])");
    assert_eq!(e.kind, ErrorKind::ArgumentError);
    let e = error("RETURN vector.similarity.cosine(['a'], [1])");
    assert_eq!(e.kind, ErrorKind::TypeError);
}

#[test]
fn statements_end_at_semicolons_outside_strings_and_comments() {
    let (done, rest) =
        super::split_statements("RETURN 1; RETURN ';' AS s;\nMATCH (n) // a; b\nRETURN n");
    assert_eq!(done, ["RETURN 1", "RETURN ';' AS s"]);
    assert_eq!(rest, "MATCH (n) // a; b\nRETURN n");
    let (done, rest) = super::split_statements("RETURN /* ; */ 'it\\'s;' AS `a;b`;  ;");
    assert_eq!(done, ["RETURN /* ; */ 'it\\'s;' AS `a;b`"]);
    assert!(rest.is_empty());
}

#[test]
fn a_projected_expression_written_again_reads_its_column() {
    // After an aggregation or DISTINCT the input is hidden, but an
    // expression written as a projected one (spacing aside) reads it.
    assert_eq!(
        rows(
            "UNWIND [{k: 'a'}, {k: 'b'}, {k: 'b'}] AS m
             WITH m.k AS k, count(*) AS n
             ORDER BY m . k + 'x' DESC, count( * )
             RETURN k, n"
        ),
        [["'b'", "2"], ["'a'", "1"]]
    );
    assert_eq!(
        rows(
            "UNWIND [{k: 'a'}, {k: 'b'}, {k: 'b'}] AS m
             WITH DISTINCT m.k AS k WHERE m.k = 'b' RETURN k"
        ),
        [["'b'"]]
    );
    assert_eq!(
        rows("UNWIND [1, 2, 3] AS x WITH avg(x) AS a ORDER BY 1 - avg(x) RETURN a"),
        [["2.0"]]
    );
    // Outside an aggregate, a sort key reads only columns and keys
    // projected on their own; an aggregate must be projected.
    for (text, detail) in [
        (
            "UNWIND [{a: 1, b: 2}] AS m WITH m.a + m.b AS s, count(*) AS n ORDER BY m.a + m.b + count(*) RETURN s",
            "AmbiguousAggregationExpression",
        ),
        (
            "UNWIND [1] AS x WITH count(*) AS n ORDER BY sum(x) RETURN n",
            "InvalidAggregation",
        ),
        ("RETURN count(rand())", "NonConstantExpression"),
        (
            "UNWIND [1] AS x RETURN sum(x * rand())",
            "NonConstantExpression",
        ),
    ] {
        let e = error(text);
        assert_eq!(
            (e.kind, e.detail, e.phase),
            (ErrorKind::SyntaxError, detail, Phase::Compile),
            "{text}"
        );
    }
}

#[test]
fn neo4j_prefixes_are_read_off_before_parsing() {
    // A version, options, and EXPLAIN / PROFILE in either order.
    assert_eq!(one("CYPHER 25 RETURN 1 AS x"), "1");
    assert_eq!(one("cypher 5 RETURN 2 AS x"), "2");
    assert_eq!(
        one("CYPHER runtime=slotted planner=cost RETURN 3 AS x"),
        "3"
    );
    assert_eq!(one("CYPHER 25 runtime=parallel\nRETURN 4 AS x"), "4");
    for text in [
        "CYPHER 25 EXPLAIN RETURN 1 AS x",
        "EXPLAIN CYPHER 5 RETURN 1 AS x",
        "explain\nCYPHER RETURN 1 AS x",
    ] {
        let r = run(text, &Params::new()).unwrap();
        assert!(r.rows().is_empty() && r.plan().is_some(), "{text}");
    }
    let profiled = run("CYPHER 25 PROFILE RETURN 1 AS x", &Params::new()).unwrap();
    assert_eq!(profiled.rows().len(), 1);
    assert!(profiled.plan().is_some_and(|p| p[0].rows == Some(1)));
    // A word that only looks like a prefix is the statement's.
    assert_eq!(one("RETURN 5 AS cypher"), "5");
    assert_eq!(error("CYPHER RETURN").kind, ErrorKind::SyntaxError);
    // A version this engine does not speak is refused, at the version.
    let e = error("CYPHER 3.5 RETURN 1");
    assert_eq!(
        (e.kind, e.detail, e.position),
        (
            ErrorKind::SyntaxError,
            "UnsupportedCypherVersion",
            Some((1, 8))
        )
    );
    // Errors after the prefixes point into the text as given.
    let e = error("CYPHER 25 EXPLAIN RETURN x");
    assert_eq!((e.detail, e.position), ("UndefinedVariable", Some((1, 26))));
    // Each prefix at most once.
    assert_eq!(
        error("EXPLAIN PROFILE RETURN 1").kind,
        ErrorKind::SyntaxError
    );
}

// The whole-graph rules take these shapes and give the plain path's rows.

/// `text` parsed, compiled and optimised.
fn optimised(text: &str, params: &Params) -> plan::Plan {
    let parsed = parse::parse(text).unwrap();
    let mut plan = compile::compile(
        &parsed.text,
        &parsed.body,
        params,
        &crate::query::plan::user::UserProcedures::default(),
    )
    .unwrap();
    optimise::optimise(&mut plan);
    plan
}

/// Rows as sorted strings, to compare row sets (a node by its id: the
/// rule's rows hold bare nodes, filled in later).
fn sorted(rows: &[Vec<CypherValue>]) -> Vec<String> {
    let text = |v: &CypherValue| match v {
        CypherValue::Node(n) => format!("node {}", n.id.0),
        other => format!("{other:?}"),
    };
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| r.iter().map(text).collect::<Vec<_>>().join(", "))
        .collect();
    out.sort();
    out
}

#[test]
fn open_chains_and_pattern_predicates_give_the_rows_of_the_plain_path() {
    use crate::{Props, Value};
    let dir = tempfile::tempdir().unwrap();
    let db = crate::Database::open(dir.path()).unwrap();
    let mut rng = crate::rng::Rng::new(0x0be7);
    let mut w = db.begin_write().unwrap();
    let mut ids = Vec::new();
    for i in 0..60 {
        let labels: &[&str] = match i % 4 {
            0 => &["A", "B"],
            1 => &["A"],
            2 => &["B"],
            _ => &[],
        };
        let mut props = Props::new();
        props.insert("x".to_owned(), Value::Int(rng.below(5) as i64));
        ids.push(w.add_node(labels, props).unwrap());
    }
    // Self-loops and parallel relationships included.
    for _ in 0..240 {
        let from = ids[rng.below(60) as usize];
        let to = if rng.below(8) == 0 {
            from
        } else {
            ids[rng.below(60) as usize]
        };
        let ty = if rng.below(3) == 0 { "S" } else { "R" };
        w.add_edge(from, to, ty, Props::new()).unwrap();
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let params = Params::new();
    for text in [
        "MATCH (a)-[:R]->(b)-[:R]->(c) RETURN count(*) AS n",
        "MATCH (a)-[:R]->(b)<-[:R]-(c) RETURN count(*) AS n",
        "MATCH (a)<-[:R]-(b)-[:R]->(c) RETURN count(*) AS n",
        "MATCH (a)-[:R]-(b)-[:R]-(c) RETURN count(*) AS n",
        "MATCH (a)-[:R]-(b)-[:R]->(c) RETURN count(*) AS n",
        "MATCH (a)<-[:R]-(b)-[:R]-(c) RETURN count(*) AS n",
        "MATCH (a:A)-[:R]->(b:B)-[:R]->(c:A) WHERE b.x > 1 RETURN count(*) AS n",
        "MATCH (a)-[:R]->(b)-[:S]->(c) RETURN count(*) AS n",
        "MATCH (a)-[:R|S]->(b)-[:S|R]->(c) RETURN count(*) AS n",
        "MATCH (a:A)-[:R]->(b)-[:R]->(c) WHERE c.x < 3 RETURN a.x AS k, count(*) AS n",
        "MATCH (a)-[:R]-(b)-[:R]-(c:B) RETURN a AS k, count(c) AS n",
        "MATCH (a:B)<-[:R]-(b)-[:R]->(c) WHERE a.x <> 2 RETURN c AS k, count(*) AS n",
        "MATCH (a)-[:R]->(b)-[:R]-(c) WHERE a.x = 1 RETURN c.x AS k, count(*) AS n",
        "MATCH (a)<-[:R]-(b)<-[:R]-(c) RETURN b.x AS k, count(a) AS n",
        "MATCH (a)-[:R|S]-(b)-[:S|R]-(c) RETURN a.x AS k, count(*) AS n",
        // Pattern predicates of one hop.
        "MATCH (a:A) WHERE NOT (a)-[:R]->(:B) RETURN count(*) AS n",
        "MATCH (a) WHERE (a)<-[:S]-() RETURN a.x AS k, count(*) AS n",
        "MATCH (a)-[:R]->(b) WHERE (b)-[]-(:A:B) AND NOT (a)-[:S]->(:A) RETURN a.x AS k, count(*) AS n",
        "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE NOT (b)-[:S]->() RETURN count(*) AS n",
        // DISTINCT counts and integer folds.
        "MATCH (a:A)-[:R]->(b) RETURN a.x AS k, count(DISTINCT b) AS n, count(DISTINCT b.x) AS m",
        "MATCH (a) RETURN min(a.x) AS lo, max(a.x) AS hi, sum(a.x) AS s, count(DISTINCT a.x) AS n",
    ] {
        let plan = optimised(text, &params);
        let [
            Step::Match {
                aggregate: Some(shape),
                ..
            },
            Step::Project(p),
            ..,
        ] = plan.branches[0].as_slice()
        else {
            panic!("the rule does not take {text}");
        };
        assert_eq!(
            shape.open,
            text.contains("]-(c") || text.contains("]->(c"),
            "{text}"
        );
        assert_eq!(
            !shape.exists.is_empty(),
            text.contains("WHERE (") || text.contains("NOT ("),
            "{text}"
        );
        let out = exec::columnar::run(&r, shape, p, &params, None)
            .unwrap()
            .unwrap_or_else(|| panic!("the rule gave up on {text}"));
        let naive = r
            .query_with(text, &params, &QueryOptions::default().without_rules())
            .unwrap();
        assert_eq!(sorted(&out.rows), sorted(naive.rows()), "{text}");
    }
}

#[test]
fn top_rows_are_chosen_over_columns_as_the_plain_path_orders_them() {
    use crate::{Props, Value};
    let dir = tempfile::tempdir().unwrap();
    let db = crate::Database::open(dir.path()).unwrap();
    let mut rng = crate::rng::Rng::new(0x70b);
    let mut w = db.begin_write().unwrap();
    for i in 0..300 {
        let mut props = Props::new();
        // Ties, missing values, integers and floats in one key.
        if i % 7 != 0 {
            props.insert("x".to_owned(), Value::Int(rng.below(20) as i64));
        }
        props.insert(
            "y".to_owned(),
            if i % 2 == 0 {
                Value::Int(rng.below(9) as i64)
            } else {
                Value::Float(rng.below(18) as f64 / 2.0)
            },
        );
        w.add_node(if i % 3 == 0 { &["A"] } else { &["A", "B"] }, props)
            .unwrap();
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let params = Params::new();
    for text in [
        "MATCH (n:A) RETURN n.x AS x ORDER BY x DESC, n LIMIT 7",
        "MATCH (n) WHERE n.y < 3 RETURN n.y AS y ORDER BY y, n.x DESC, n SKIP 3 LIMIT 5",
        "MATCH (n:B) WITH n ORDER BY n.x + n.y, n LIMIT 200 RETURN n.x AS x",
        "MATCH (n:A) RETURN n ORDER BY n DESC LIMIT 1",
    ] {
        let plan = optimised(text, &params);
        let [
            Step::Match {
                pattern,
                top: Some(top),
                ..
            },
            Step::Project(p),
            ..,
        ] = plan.branches[0].as_slice()
        else {
            panic!("the rule does not take {text}");
        };
        let slot = pattern.chains[0].nodes[0].slot;
        let kept = exec::columnar::top_k(&r, top, p, (pattern.width, slot), &params, None)
            .unwrap()
            .unwrap_or_else(|| panic!("the rule gave up on {text}"));
        let (skip, limit) = exec::paging(p, &params, None).unwrap();
        assert_eq!(kept.len(), skip + limit.unwrap(), "{text}");
        let fast = r
            .query_with(text, &params, &QueryOptions::default())
            .unwrap();
        let naive = r
            .query_with(text, &params, &QueryOptions::default().without_rules())
            .unwrap();
        assert_eq!(fast.rows(), naive.rows(), "{text}");
    }
}

#[test]
fn a_temporal_literal_is_parsed_once_and_a_bad_one_still_fails_when_run() {
    // Folded at compile time: the plan holds the value, not the call.
    let params = Params::new();
    let parsed = parse::parse("RETURN datetime('2023-03-01T12:00:00Z') AS t").unwrap();
    let plan = compile::compile(
        &parsed.text,
        &parsed.body,
        &params,
        &crate::query::plan::user::UserProcedures::default(),
    )
    .unwrap();
    let text = format!("{plan:?}");
    assert!(text.contains("Const(Temporal"), "{text}");
    assert!(!text.contains("Call(Temporal"), "{text}");
    // The same value as the call made at run time from a computed string.
    assert_eq!(
        one("RETURN datetime('2023-03-01T12:00:00Z') = datetime(toString('2023-03-01T12:00:00Z'))"),
        "true"
    );
    // Arithmetic with a folded value is still temporal arithmetic.
    assert_eq!(
        one("RETURN date('2024-01-01') - duration('P1D')"),
        "2023-12-31"
    );
    // A string that does not parse is not folded: its error is the run's.
    let e = error("RETURN datetime('not a date')");
    assert_eq!(e.phase, Phase::Runtime, "{e}");
}
