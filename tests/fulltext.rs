//! Full-text indexes: a model test against an in-memory inverted index
//! with exact BM25 (random writes, deletes, label changes, commits,
//! aborts, held snapshots and reopens; searches inside the write
//! transaction, on held snapshots and on the latest state), and the
//! behaviour users rely on — query syntax, Cypher DDL and procedures,
//! errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Rng;
use quiverdb::fulltext::bm25::{self, idf, norm_id, norm_length};
use quiverdb::fulltext::{Analyzer, FulltextConfig, FulltextHit};
use quiverdb::query::{CypherValue as V, Params};
use quiverdb::{Database, Error, GraphRead, NodeId, Props, Value, props};

const WORDS: [&str; 16] = [
    "graph", "vector", "search", "rust", "index", "query", "fast", "disk", "the", "of", "node",
    "edge", "text", "score", "block", "page",
];
const LABELS: [&str; 3] = ["Doc", "Note", "Other"];
const FIELDS: [&str; 2] = ["title", "body"];

/// A document's two fields as (term, position) lists.
type Fields = [Vec<(String, u32)>; 2];

/// One entity as the model keeps it: labels and the two text fields.
#[derive(Clone, Debug, Default)]
struct Entity {
    labels: BTreeSet<&'static str>,
    texts: [Option<String>; 2],
}

/// The model: every node, and exact BM25 over those the index holds
/// (labels `Doc` or `Note`, at least one text field).
#[derive(Clone, Debug, Default)]
struct Model {
    nodes: BTreeMap<u64, Entity>,
}

impl Model {
    fn docs(&self) -> Vec<(u64, Fields)> {
        self.nodes
            .iter()
            .filter(|(_, e)| {
                (e.labels.contains("Doc") || e.labels.contains("Note"))
                    && e.texts.iter().any(Option::is_some)
            })
            .map(|(id, e)| {
                let tokens = |t: &Option<String>| {
                    t.as_deref()
                        .map(|t| {
                            Analyzer::StandardNoStopWords
                                .tokens(t)
                                .into_iter()
                                .map(|t| (t.term, t.position))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                (*id, [tokens(&e.texts[0]), tokens(&e.texts[1])])
            })
            .collect()
    }

    /// Every document matching the disjunction of `terms`, with its score.
    fn or(&self, terms: &[&str]) -> BTreeMap<u64, f32> {
        self.scored(terms, |_, matched| matched > 0)
    }

    /// Documents holding every one of `terms` (in any field).
    fn and(&self, terms: &[&str]) -> BTreeMap<u64, f32> {
        self.scored(terms, |per_term, _| per_term.iter().all(|m| *m))
    }

    fn scored(&self, terms: &[&str], keep: impl Fn(&[bool], usize) -> bool) -> BTreeMap<u64, f32> {
        let docs = self.docs();
        let n = docs.len() as u64;
        let avg: Vec<f32> = (0..2)
            .map(|f| {
                let total: usize = docs.iter().map(|(_, d)| d[f].len()).sum();
                if n == 0 || total == 0 {
                    1.0
                } else {
                    total as f32 / n as f32
                }
            })
            .collect();
        let mut out = BTreeMap::new();
        for (id, fields) in &docs {
            let mut score = 0.0f32;
            let mut per_term = vec![false; terms.len()];
            let mut matched = 0;
            for f in 0..2 {
                for (i, t) in terms.iter().enumerate() {
                    let tf = fields[f].iter().filter(|(w, _)| w == t).count() as u32;
                    if tf == 0 {
                        continue;
                    }
                    per_term[i] = true;
                    matched += 1;
                    let df = docs
                        .iter()
                        .filter(|(_, d)| d[f].iter().any(|(w, _)| w == t))
                        .count();
                    let norm = norm_length(norm_id(fields[f].len() as u32)) as f32;
                    let k = bm25::K1 * (1.0 - bm25::B + bm25::B * norm / avg[f]);
                    score += idf(df as u64, n) * (1.0 + bm25::K1) * (tf as f32 / (tf as f32 + k));
                }
            }
            if keep(&per_term, matched) {
                out.insert(*id, score);
            }
        }
        out
    }

    /// Documents with `a` directly followed by `b` in one field.
    fn phrase(&self, a: &str, b: &str) -> BTreeSet<u64> {
        self.docs()
            .into_iter()
            .filter(|(_, fields)| {
                fields.iter().any(|tokens| {
                    tokens
                        .iter()
                        .any(|(w, p)| w == a && tokens.iter().any(|(v, q)| v == b && *q == p + 1))
                })
            })
            .map(|(id, _)| id)
            .collect()
    }
}

/// Checks whose disjunction matched several documents (the model test
/// must not pass on empty results).
static MATCHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1e-3)
}

/// Checks every search shape against the model on one view.
fn check_view(
    what: &str,
    search: &dyn Fn(&str, usize) -> Vec<FulltextHit>,
    model: &Model,
    rng: &mut Rng,
) {
    for _ in 0..4 {
        let terms: Vec<&str> = (0..=rng.below(3))
            .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
            .filter(|w| *w != "the" && *w != "of")
            .collect();
        if terms.is_empty() {
            continue;
        }
        // Every match of the disjunction, with its exact score.
        let query = terms.join(" ");
        let want = model.or(&terms);
        if want.len() > 1 {
            MATCHED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let got = search(&query, usize::MAX);
        let got_map: BTreeMap<u64, f32> = got.iter().map(|h| (h.id, h.score)).collect();
        assert_eq!(
            got_map.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{what}: {query}"
        );
        for (id, s) in &want {
            assert!(
                close(got_map[id], *s),
                "{what}: {query}: {id}: {} vs {s}",
                got_map[id]
            );
        }
        // Best first.
        assert!(
            got.windows(2).all(|w| w[0].score >= w[1].score),
            "{what}: {got:?}"
        );
        // Top-k by WAND: the k best scores.
        let k = 1 + rng.below(4) as usize;
        let top = search(&query, k);
        let mut best: Vec<f32> = want.values().copied().collect();
        best.sort_by(|a, b| b.total_cmp(a));
        best.truncate(k);
        assert_eq!(top.len(), best.len(), "{what}: top {k} of {query}");
        for (h, s) in top.iter().zip(&best) {
            assert!(
                close(h.score, *s),
                "{what}: top {k} of {query}: {top:?} vs {best:?}"
            );
            assert!(close(h.score, want[&h.id]));
        }
        // Conjunction.
        let and = terms
            .iter()
            .map(|t| format!("+{t}"))
            .collect::<Vec<_>>()
            .join(" ");
        let want_and = model.and(&terms);
        let got_and: BTreeMap<u64, f32> = search(&and, usize::MAX)
            .iter()
            .map(|h| (h.id, h.score))
            .collect();
        assert_eq!(
            got_and.keys().collect::<Vec<_>>(),
            want_and.keys().collect::<Vec<_>>(),
            "{what}: {and}"
        );
        for (id, s) in &want_and {
            assert!(close(got_and[id], *s), "{what}: {and}");
        }
        // Exclusion.
        if terms.len() >= 2 {
            let not = format!("{} -{}", terms[0], terms[1]);
            let excluded = model.or(&terms[1..2]);
            let want_not: BTreeSet<u64> = model
                .or(&terms[..1])
                .into_keys()
                .filter(|id| !excluded.contains_key(id))
                .collect();
            let got_not: BTreeSet<u64> = search(&not, usize::MAX).iter().map(|h| h.id).collect();
            assert_eq!(got_not, want_not, "{what}: {not}");
            // Phrase.
            let phrase = format!("\"{} {}\"", terms[0], terms[1]);
            let got_phrase: BTreeSet<u64> =
                search(&phrase, usize::MAX).iter().map(|h| h.id).collect();
            assert_eq!(
                got_phrase,
                model.phrase(terms[0], terms[1]),
                "{what}: {phrase}"
            );
        }
    }
}

fn sentence(rng: &mut Rng) -> String {
    (0..rng.below(9))
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(if rng.below(4) == 0 { ", " } else { " " })
}

fn node_props(e: &Entity) -> Props {
    let mut p = Props::new();
    for (f, t) in e.texts.iter().enumerate() {
        if let Some(t) = t {
            p.insert(FIELDS[f].to_owned(), Value::from(t.as_str()));
        }
    }
    p
}

/// One random change, made in `w` and in `model`.
fn change(w: &mut quiverdb::WriteTxn<'_>, model: &mut Model, rng: &mut Rng) {
    let ids: Vec<u64> = model.nodes.keys().copied().collect();
    let pick = |rng: &mut Rng| ids[rng.below(ids.len() as u64) as usize];
    match rng.below(7) {
        0 | 1 if !ids.is_empty() => {
            let id = pick(rng);
            let f = rng.below(2) as usize;
            let text = (rng.below(5) > 0).then(|| sentence(rng));
            let value = text.clone().map(Value::from);
            w.set_node_property(NodeId(id), FIELDS[f], value.unwrap_or(Value::Null))
                .unwrap();
            model.nodes.get_mut(&id).unwrap().texts[f] = text;
        }
        2 if !ids.is_empty() => {
            let id = pick(rng);
            w.detach_delete_node(NodeId(id)).unwrap();
            model.nodes.remove(&id);
        }
        3 if !ids.is_empty() => {
            let id = pick(rng);
            let label = LABELS[rng.below(3) as usize];
            let e = model.nodes.get_mut(&id).unwrap();
            if e.labels.contains(label) {
                w.remove_label(NodeId(id), label).unwrap();
                e.labels.remove(label);
            } else {
                w.add_label(NodeId(id), label).unwrap();
                e.labels.insert(label);
            }
        }
        _ => {
            let mut e = Entity::default();
            e.labels.insert(LABELS[rng.below(3) as usize]);
            for f in 0..2 {
                if rng.below(4) > 0 {
                    e.texts[f] = Some(sentence(rng));
                }
            }
            // A number where text is expected is not indexed.
            let mut p = node_props(&e);
            if e.texts[1].is_none() && rng.below(2) == 0 {
                p.insert("body".to_owned(), Value::from(7));
            }
            let labels: Vec<&str> = e.labels.iter().copied().collect();
            let id = w.add_node(&labels, p).unwrap();
            model.nodes.insert(id.0, e);
        }
    }
}

fn search_fn<'a>(
    index: &'a quiverdb::fulltext::FulltextIndex<'a>,
) -> impl Fn(&str, usize) -> Vec<FulltextHit> + 'a {
    move |q, k| index.search(q, k).unwrap()
}

#[test]
fn searches_answer_exactly_for_every_view_as_writes_commit_abort_and_reopen() {
    let seed = common::seed(0x005E_A4C4);
    for case in 0..6 {
        let mut rng = Rng(seed + case);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut db = Database::open(&path).unwrap();
        let mut model = Model::default();
        // Some data before the index exists: the creation fills it.
        {
            let mut w = db.begin_write().unwrap();
            for _ in 0..10 {
                change(&mut w, &mut model, &mut rng);
            }
            w.commit().unwrap();
        }
        {
            let mut w = db.begin_write().unwrap();
            let config = FulltextConfig::nodes(&["Doc", "Note"], &FIELDS);
            let indexed = w.create_fulltext_index("docs", config).unwrap();
            assert_eq!(indexed, model.docs().len() as u64);
            w.commit().unwrap();
        }
        for step in 0..40 {
            let what = format!("seed {} step {step}", seed + case);
            match rng.below(10) {
                0 => {
                    // Reopen.
                    db.close().unwrap();
                    db = Database::open(&path).unwrap();
                }
                1 => {
                    // Abort: nothing of it stays.
                    let mut w = db.begin_write().unwrap();
                    let mut scratch = model.clone();
                    for _ in 0..3 {
                        change(&mut w, &mut scratch, &mut rng);
                    }
                    w.abort();
                }
                _ => {
                    // A held snapshot, writes seen inside the transaction,
                    // then the commit; the snapshot still answers for its
                    // own state.
                    let held = db.begin_read().unwrap();
                    let held_model = model.clone();
                    let mut w = db.begin_write().unwrap();
                    for _ in 0..=rng.below(6) {
                        change(&mut w, &mut model, &mut rng);
                    }
                    {
                        let index = w.fulltext("docs").unwrap();
                        check_view(
                            &format!("{what} (in the write)"),
                            &search_fn(&index),
                            &model,
                            &mut rng,
                        );
                    }
                    w.commit().unwrap();
                    let index = held.fulltext("docs").unwrap();
                    check_view(
                        &format!("{what} (held)"),
                        &search_fn(&index),
                        &held_model,
                        &mut rng,
                    );
                }
            }
            let r = db.begin_read().unwrap();
            let index = r.fulltext("docs").unwrap();
            check_view(&what, &search_fn(&index), &model, &mut rng);
            assert_eq!(
                index.info().unwrap().documents,
                model.docs().len() as u64,
                "{what}"
            );
        }
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
    }
    let matched = MATCHED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        matched > 500,
        "only {matched} checks matched several documents"
    );
}

fn open() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    (dir, db)
}

fn run(db: &Database, statement: &str) -> Vec<Vec<V>> {
    db.execute(statement, &Params::new())
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
        .into_rows()
}

fn ids(hits: &[FulltextHit]) -> Vec<u64> {
    hits.iter().map(|h| h.id).collect()
}

#[test]
fn lucene_syntax_finds_what_it_says() {
    let (_dir, db) = open();
    let mut w = db.begin_write().unwrap();
    let texts = [
        (
            "Graph databases in Rust",
            "An embedded engine for graphs and vectors",
        ),
        (
            "Vector search",
            "Approximate nearest neighbours over HNSW graphs",
        ),
        ("Cooking with rice", "Recipes: fried rice, rice pudding"),
        ("Rusty nails", "Hardware for the home"),
    ];
    let mut nodes = Vec::new();
    for (title, body) in texts {
        nodes.push(
            w.add_node(&["Doc"], props! {"title" => title, "body" => body})
                .unwrap()
                .0,
        );
    }
    w.create_fulltext_index(
        "docs",
        FulltextConfig::nodes(&["Doc"], &["title", "body"]).analyzer(Analyzer::English),
    )
    .unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let index = r.fulltext("docs").unwrap();
    let find = |q: &str| {
        let mut found = ids(&index.search(q, 10).unwrap());
        found.sort_unstable();
        found
    };
    // Stemming: "graphs" and "graph" are one term.
    assert_eq!(find("graph"), [nodes[0], nodes[1]]);
    assert_eq!(find("title:graph"), [nodes[0]]);
    assert_eq!(find("graph AND rust"), [nodes[0]]);
    assert_eq!(find("graph -vector"), Vec::<u64>::new());
    assert_eq!(find("graph NOT hnsw"), [nodes[0]]);
    assert_eq!(find("\"fried rice\""), [nodes[2]]);
    assert_eq!(find("\"rice fried\""), Vec::<u64>::new());
    assert_eq!(find("\"rice pudding\"~0 OR nail*"), [nodes[2], nodes[3]]);
    // "nails" stems to "nail": one swap away.
    assert_eq!(find("nial~1"), [nodes[3]]);
    assert_eq!(find("vectr~"), [nodes[0], nodes[1]]);
    assert_eq!(find("*:*").len(), 4);
    assert_eq!(find("the"), Vec::<u64>::new());
    // A boost moves a document up.
    let ranked = ids(&index.search("rust^10 OR hnsw", 10).unwrap());
    assert_eq!(ranked, [nodes[0], nodes[1]]);
    let ranked = ids(&index.search("rust OR hnsw^10", 10).unwrap());
    assert_eq!(ranked, [nodes[1], nodes[0]]);
    // Paging.
    let all = ids(&index.search("graph OR rice", 10).unwrap());
    assert_eq!(
        ids(&index.search_page("graph OR rice", 1, 1).unwrap()),
        &all[1..2]
    );
    // Errors carry the position.
    match index.search("graph AND (rust", 10) {
        Err(Error::FulltextQuery { position, .. }) => assert_eq!(position, 10),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        r.fulltext("nope"),
        Err(Error::FulltextIndexNotFound(_))
    ));
}

#[test]
#[allow(clippy::too_many_lines, reason = "one statement after another")]
fn cypher_creates_shows_queries_and_drops_full_text_indexes() {
    let (_dir, db) = open();
    run(
        &db,
        "CREATE (:Movie {title: 'The Matrix', plot: 'A hacker learns about reality'}),
                (:Movie {title: 'Matrix Reloaded'}),
                (:Book {title: 'Neuromancer', plot: 'A hacker in cyberspace'}),
                (:Person {name: 'Keanu'})-[:REVIEWED {text: 'a mind-bending classic'}]->(:Movie {title: 'Speed'})",
    );
    run(
        &db,
        "CREATE FULLTEXT INDEX titles IF NOT EXISTS FOR (n:Movie|Book) ON EACH [n.title, n.plot]
         OPTIONS {indexConfig: {`fulltext.analyzer`: 'english', `fulltext.eventually_consistent`: true}}",
    );
    run(
        &db,
        "CREATE FULLTEXT INDEX reviews FOR ()-[r:REVIEWED]-() ON EACH [r.text]",
    );
    // The same again is a no-op with IF NOT EXISTS, an error without.
    run(
        &db,
        "CREATE FULLTEXT INDEX titles IF NOT EXISTS FOR (n:Movie) ON EACH [n.title]",
    );
    assert!(
        db.execute(
            "CREATE FULLTEXT INDEX titles FOR (n:Movie) ON EACH [n.title]",
            &Params::new()
        )
        .is_err()
    );
    let rows = run(
        &db,
        "SHOW FULLTEXT INDEXES YIELD name, type, entityType, labelsOrTypes, properties
         RETURN name, type, entityType, labelsOrTypes, properties ORDER BY name",
    );
    assert_eq!(
        rows,
        [
            vec![
                V::String("reviews".into()),
                V::String("FULLTEXT".into()),
                V::String("RELATIONSHIP".into()),
                common::strings(&["REVIEWED"]),
                common::strings(&["text"]),
            ],
            vec![
                V::String("titles".into()),
                V::String("FULLTEXT".into()),
                V::String("NODE".into()),
                common::strings(&["Movie", "Book"]),
                common::strings(&["title", "plot"]),
            ],
        ]
    );
    let rows = run(
        &db,
        "CALL db.index.fulltext.queryNodes('titles', 'matrix') YIELD node, score
         RETURN node.title AS title, score ORDER BY score DESC, title",
    );
    let titles: Vec<&V> = rows.iter().map(|r| &r[0]).collect();
    // "the" is an English stop word: "The Matrix" is the shorter title.
    assert_eq!(
        titles,
        [
            &V::String("The Matrix".into()),
            &V::String("Matrix Reloaded".into())
        ]
    );
    let rows = run(
        &db,
        "CALL db.index.fulltext.queryNodes('titles', 'hacker', {limit: 1}) YIELD node RETURN labels(node) AS l",
    );
    assert_eq!(rows.len(), 1);
    let rows = run(
        &db,
        "CALL db.index.fulltext.queryRelationships('reviews', 'classic') YIELD relationship, score
         RETURN startNode(relationship).name, endNode(relationship).title",
    );
    assert_eq!(
        rows,
        [vec![V::String("Keanu".into()), V::String("Speed".into())]]
    );
    // A write in the same statement's transaction is searchable at once.
    let rows = run(
        &db,
        "CREATE (:Movie {title: 'Matrix Resurrections'}) WITH 1 AS x
         CALL db.index.fulltext.queryNodes('titles', 'resurrections') YIELD node RETURN node.title",
    );
    assert_eq!(rows, [vec![V::String("Matrix Resurrections".into())]]);
    let e = db
        .execute(
            "CALL db.index.fulltext.queryNodes('titles', 'matrix AND (') YIELD node RETURN node",
            &Params::new(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("character"), "{e}");
    let e = db
        .execute(
            "CALL db.index.fulltext.queryNodes('reviews', 'x') YIELD node RETURN node",
            &Params::new(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("queryRelationships"), "{e}");
    run(&db, "DROP INDEX titles");
    assert!(
        db.execute(
            "CALL db.index.fulltext.queryNodes('titles', 'matrix') YIELD node RETURN node",
            &Params::new()
        )
        .is_err()
    );
    let left = run(&db, "SHOW FULLTEXT INDEXES YIELD name RETURN name");
    assert_eq!(left, [vec![V::String("reviews".into())]]);
    let analyzers = run(
        &db,
        "CALL db.index.fulltext.listAvailableAnalyzers() YIELD analyzer RETURN analyzer",
    );
    assert!(analyzers.contains(&vec![V::String("english".into())]));
    assert!(analyzers.contains(&vec![V::String("cjk".into())]));
}

/// The `cjk` analyzer, as `LightRAG` creates its entity-name index: a
/// Chinese name is found by any two adjacent characters of it, Latin
/// words as with the standard analyzers.
#[test]
fn a_cjk_index_finds_chinese_names_by_their_bigrams() {
    let (_dir, db) = open();
    run(
        &db,
        "CREATE FULLTEXT INDEX entity_id_fulltext_idx_base FOR (n:`base`) ON EACH [n.entity_id] \
         OPTIONS { indexConfig: { `fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: true } }",
    );
    run(
        &db,
        "UNWIND ['图灵测试', '图灵机', '测试用例', 'Alan Turing', 'Enigma'] AS id CREATE (:base {entity_id: id})",
    );
    let found = |q: &str| -> std::collections::BTreeSet<String> {
        run(
            &db,
            &format!(
                "CALL db.index.fulltext.queryNodes('entity_id_fulltext_idx_base', '{q}') YIELD node \
                 RETURN node.entity_id"
            ),
        )
        .into_iter()
        .map(|r| match &r[0] {
            V::String(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
    };
    let set = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(found("图灵"), set(&["图灵机", "图灵测试"]));
    assert_eq!(found("测试"), set(&["测试用例", "图灵测试"]));
    assert_eq!(found("\"图灵测试\""), set(&["图灵测试"]));
    assert_eq!(found("turing"), set(&["Alan Turing"]));
    let s = |x: &str| V::String(x.into());
    let shown = run(
        &db,
        "SHOW FULLTEXT INDEXES YIELD name, options RETURN options.indexConfig.`fulltext.analyzer`",
    );
    assert_eq!(shown, [vec![s("cjk")]]);
}

#[test]
fn a_dropped_index_leaves_nothing_and_reopens_clean() {
    let (dir, db) = open();
    let mut w = db.begin_write().unwrap();
    for i in 0..300 {
        w.add_node(&["Doc"], props! {"text" => format!("word{} common", i % 7)})
            .unwrap();
    }
    w.create_fulltext_index("a", FulltextConfig::nodes(&["Doc"], &["text"]))
        .unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.fulltext("a")
            .unwrap()
            .search("common", 1000)
            .unwrap()
            .len(),
        300
    );
    let mut w = db.begin_write().unwrap();
    assert!(w.drop_fulltext_index("a").unwrap());
    assert!(!w.drop_fulltext_index("a").unwrap());
    w.commit().unwrap();
    // The held snapshot still answers.
    assert_eq!(
        r.fulltext("a")
            .unwrap()
            .search("word3", 1000)
            .unwrap()
            .len(),
        43
    );
    drop(r);
    db.close().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    assert!(
        db.begin_read()
            .unwrap()
            .fulltext_indexes()
            .unwrap()
            .is_empty()
    );
    let mut w = db.begin_write().unwrap();
    assert!(matches!(
        w.create_fulltext_index("", FulltextConfig::nodes(&["Doc"], &["text"])),
        Err(Error::InvalidArgument(_))
    ));
    w.create_fulltext_index("b", FulltextConfig::nodes(&["Doc"], &["text"]))
        .unwrap();
    assert!(matches!(
        w.create_fulltext_index("b", FulltextConfig::nodes(&["Doc"], &["text"])),
        Err(Error::FulltextIndexExists(_))
    ));
    w.commit().unwrap();
    assert_eq!(
        db.begin_read()
            .unwrap()
            .fulltext("b")
            .unwrap()
            .search("word3", 1000)
            .unwrap()
            .len(),
        43
    );
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let _ = GraphRead::node_count(&db.begin_read().unwrap());
}

/// neo4j-graphrag's `HybridRetriever` statement (Neo4j 5.23+ form, as its
/// `_get_hybrid_query` builds it), unchanged: a vector and a full-text
/// search inside `CALL () { ... UNION ... }`, each max-normalised.
#[test]
fn neo4j_graphrag_hybrid_retriever_statement_runs_unchanged() {
    let (_dir, db) = open();
    run(
        &db,
        "CREATE (:Chunk {text: 'graph databases store nodes and relationships', embedding: [1.0, 0.0, 0.0]}),
                (:Chunk {text: 'vector search finds nearest neighbours', embedding: [0.0, 1.0, 0.0]}),
                (:Chunk {text: 'soup recipes with rice', embedding: [0.0, 0.0, 1.0]})",
    );
    run(
        &db,
        "CREATE VECTOR INDEX chunk_emb IF NOT EXISTS FOR (c:Chunk) ON (c.embedding)
         OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.similarity_function`: 'cosine'}}",
    );
    run(
        &db,
        "CREATE FULLTEXT INDEX chunk_text IF NOT EXISTS FOR (c:Chunk) ON EACH [c.text]",
    );
    let statement = "CALL () { CALL db.index.vector.queryNodes($vector_index_name, $top_k * $effective_search_ratio, $query_vector) \
        YIELD node, score WITH node, score LIMIT $top_k \
        WITH collect({node:node, score:score}) AS nodes, max(score) AS vector_index_max_score \
        UNWIND nodes AS n RETURN n.node AS node, (n.score / vector_index_max_score) AS score UNION \
        CALL db.index.fulltext.queryNodes($fulltext_index_name, $query_text, {limit: $top_k}) YIELD node, score \
        WITH collect({node:node, score:score}) AS nodes, max(score) AS ft_index_max_score \
        UNWIND nodes AS n RETURN n.node AS node, (n.score / ft_index_max_score) AS score } \
        WITH node, max(score) AS score ORDER BY score DESC LIMIT $top_k \
        RETURN node { .*, `None`: null } AS node, labels(node) AS nodeLabels, elementId(node) AS elementId, score";
    let params = common::params(&[
        ("vector_index_name", V::String("chunk_emb".into())),
        ("fulltext_index_name", V::String("chunk_text".into())),
        ("query_text", V::String("vector search".into())),
        ("query_vector", common::floats(&[0.1, 0.9, 0.0])),
        ("top_k", V::Int(2)),
        ("effective_search_ratio", V::Int(1)),
    ]);
    let rows = db.execute(statement, &params).unwrap().into_rows();
    assert_eq!(rows.len(), 2, "{rows:?}");
    // The chunk both searches rank first scores 1 (the maximum of its
    // normalised scores); then the vector search's second.
    let text = |row: &Vec<V>| match &row[0] {
        V::Map(m) => m.get("text").cloned(),
        _ => None,
    };
    assert_eq!(
        text(&rows[0]),
        Some(V::String("vector search finds nearest neighbours".into()))
    );
    assert_eq!(rows[0][3], V::Float(1.0));
    assert_eq!(
        text(&rows[1]),
        Some(V::String(
            "graph databases store nodes and relationships".into()
        ))
    );
}
