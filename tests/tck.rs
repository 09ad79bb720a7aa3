//! The openCypher TCK: every scenario of the feature files under
//! `QUIVER_TCK_DIR` (default `tests/tck/features`), run and compared by the
//! TCK's rules. Prints passed / failed / skipped per folder and one line
//! `tck: P passed, F failed, S skipped`; fails when any scenario fails
//! (each failure printed with its reason).
//!
//! Results are compared as the TCK says: rows as a multiset (`in any
//! order`) or a sequence (`in order`), lists inside them as multisets when
//! it says `ignoring element order for lists`, values by type and value
//! (`1` is not `1.0`). An expected error must match in class and phase
//! (compile time, run time, any time); its detail code is not compared.
//! Expected values are read by a parser of the TCK's notation (Cypher
//! literals plus `(:L {k: v})` nodes, `[:T {k: v}]` relationships and
//! `<(..)-[..]->(..)>` paths). Side effects are the TCK's: the difference
//! between the graph before and after the query in nodes, relationships,
//! labels in use and (entity, key, value) properties.
//!
//! Each scenario runs on a new database in a temporary directory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gherkin::{Feature, GherkinEnv, Step};
use quiverdb::query::{
    self, ArgType, CypherValue, ErrorKind, NodeValue, Params, PathValue, Phase, QueryError,
    RelValue, UserProcedure,
};
use quiverdb::{Database, EdgeId, GraphRead, NodeId};

/// One runnable scenario (an outline's example row is one).
struct Case {
    /// `folder/File.feature: [n] name` (and ` #row` for outlines).
    id: String,
    folder: String,
    steps: Vec<Step>,
    skipped: bool,
}

fn features_dir() -> PathBuf {
    std::env::var_os("QUIVER_TCK_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tck/features"),
        PathBuf::from,
    )
}

fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            feature_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "feature") {
            out.push(path);
        }
    }
}

/// The text as the Gherkin grammar requires: a scenario's first step, when
/// it is an `And` (a few TCK scenarios begin so), spelled `Given`, and
/// backslashes in table cells escaped.
fn first_steps_given(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_scenario = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("Scenario") {
            after_scenario = true;
        } else if after_scenario && !trimmed.is_empty() && !trimmed.starts_with('#') {
            after_scenario = false;
            if let Some(rest) = trimmed.strip_prefix("And ") {
                let indent = &line[..line.len() - trimmed.len()];
                out.push_str(indent);
                out.push_str("Given ");
                out.push_str(rest);
                out.push('\n');
                continue;
            }
        }
        if trimmed.starts_with('|') {
            // Table cells: a backslash is Gherkin's escape, so one that
            // escapes nothing Gherkin knows (the TCK writes Cypher's `\'`)
            // is doubled to reach the cell as written.
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                out.push(c);
                if c == '\\' {
                    match chars.peek() {
                        Some('|' | '\\') => out.extend(chars.next()),
                        _ => out.push('\\'),
                    }
                }
            }
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn substitute(text: &str, names: &[String], values: &[String]) -> String {
    let mut out = text.to_owned();
    for (n, v) in names.iter().zip(values) {
        out = out.replace(&format!("<{n}>"), v);
    }
    out
}

fn cases(root: &Path) -> Vec<Case> {
    let mut files = Vec::new();
    feature_files(root, &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let feature = Feature::parse(first_steps_given(&text), GherkinEnv::default())
            .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
        let relative = file.strip_prefix(root).unwrap_or(&file);
        let folder = relative
            .parent()
            .map_or_else(String::new, |p| p.display().to_string());
        let name = relative.display().to_string();
        let background: Vec<Step> = feature
            .background
            .as_ref()
            .map(|b| b.steps.clone())
            .unwrap_or_default();
        for scenario in &feature.scenarios {
            let skipped = scenario
                .tags
                .iter()
                .chain(&feature.tags)
                .any(|t| t == "skip" || t == "ignore" || t == "fails");
            let base = format!("{name}: {}", scenario.name);
            let steps: Vec<Step> = background.iter().chain(&scenario.steps).cloned().collect();
            if scenario.examples.is_empty() {
                out.push(Case {
                    id: base,
                    folder: folder.clone(),
                    steps,
                    skipped,
                });
                continue;
            }
            let mut row_no = 0;
            for examples in &scenario.examples {
                let Some(table) = &examples.table else {
                    continue;
                };
                let Some((header, rows)) = table.rows.split_first() else {
                    continue;
                };
                for row in rows {
                    row_no += 1;
                    let steps = steps
                        .iter()
                        .map(|s| {
                            let mut s = s.clone();
                            s.value = substitute(&s.value, header, row);
                            s.docstring = s.docstring.map(|d| substitute(&d, header, row));
                            if let Some(t) = &mut s.table {
                                for cells in &mut t.rows {
                                    for c in cells.iter_mut() {
                                        *c = substitute(c, header, row);
                                    }
                                }
                            }
                            s
                        })
                        .collect();
                    out.push(Case {
                        id: format!("{base} #{row_no}"),
                        folder: folder.clone(),
                        steps,
                        skipped,
                    });
                }
            }
        }
    }
    out
}

/// A docstring as the TCK means it (the crate keeps its indentation).
fn docstring(step: &Step) -> String {
    step.docstring.clone().unwrap_or_default().trim().to_owned()
}

/// A TCK cell read as a value.
fn literal(cell: &str) -> Result<CypherValue, String> {
    let mut p = Cell {
        s: cell.trim().as_bytes(),
        at: 0,
    };
    let v = p.value()?;
    p.space();
    if p.at != p.s.len() {
        return Err(format!("cannot read the expected value {cell}"));
    }
    Ok(v)
}

/// A parser of the TCK's value notation.
struct Cell<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cell<'_> {
    fn space(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> u8 {
        self.space();
        self.s.get(self.at).copied().unwrap_or(0)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == c {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", c as char, self.at))
        }
    }

    fn name(&mut self) -> Result<String, String> {
        self.space();
        if self.eat(b'`') {
            let start = self.at;
            while self.at < self.s.len() && self.s[self.at] != b'`' {
                self.at += 1;
            }
            let name = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
            self.at += 1;
            return Ok(name);
        }
        let start = self.at;
        while self.at < self.s.len()
            && (self.s[self.at].is_ascii_alphanumeric()
                || self.s[self.at] == b'_'
                || self.s[self.at] >= 0x80)
        {
            self.at += 1;
        }
        if start == self.at {
            return Err(format!("expected a name at {}", self.at));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.at]).into_owned())
    }

    fn map(&mut self) -> Result<BTreeMap<String, CypherValue>, String> {
        self.expect(b'{')?;
        let mut out = BTreeMap::new();
        if self.eat(b'}') {
            return Ok(out);
        }
        loop {
            let key = self.name()?;
            self.expect(b':')?;
            out.insert(key, self.value()?);
            if self.eat(b'}') {
                return Ok(out);
            }
            self.expect(b',')?;
        }
    }

    fn node(&mut self) -> Result<NodeValue, String> {
        self.expect(b'(')?;
        let mut labels = Vec::new();
        while self.eat(b':') {
            labels.push(self.name()?);
        }
        labels.sort();
        let properties = if self.peek() == b'{' {
            self.map()?
        } else {
            BTreeMap::new()
        };
        self.expect(b')')?;
        Ok(NodeValue {
            id: NodeId(0),
            labels,
            properties,
        })
    }

    /// `[:T {..}]` (the `[` already read).
    fn rel(&mut self) -> Result<RelValue, String> {
        self.expect(b':')?;
        let rel_type = self.name()?;
        let properties = if self.peek() == b'{' {
            self.map()?
        } else {
            BTreeMap::new()
        };
        self.expect(b']')?;
        Ok(RelValue {
            id: EdgeId(0),
            start: NodeId(0),
            end: NodeId(1),
            rel_type,
            properties,
        })
    }

    #[allow(clippy::too_many_lines, reason = "one arm per notation")]
    fn value(&mut self) -> Result<CypherValue, String> {
        match self.peek() {
            b'(' => Ok(CypherValue::Node(Box::new(self.node()?))),
            b'[' => {
                self.at += 1;
                if self.peek() == b':' {
                    return Ok(CypherValue::Relationship(Box::new(self.rel()?)));
                }
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(CypherValue::List(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']') {
                        return Ok(CypherValue::List(items));
                    }
                    self.expect(b',')?;
                }
            }
            b'{' => Ok(CypherValue::Map(self.map()?)),
            b'<' => {
                self.at += 1;
                let mut nodes = vec![self.node()?];
                let mut relationships = Vec::new();
                while !self.eat(b'>') {
                    let backward = self.eat(b'<');
                    self.expect(b'-')?;
                    self.expect(b'[')?;
                    let mut rel = self.rel()?;
                    self.expect(b'-')?;
                    if !backward {
                        self.expect(b'>')?;
                    }
                    let i = nodes.len() as u64;
                    let mut node = self.node()?;
                    node.id = NodeId(i);
                    (rel.start, rel.end) = if backward {
                        (NodeId(i), NodeId(i - 1))
                    } else {
                        (NodeId(i - 1), NodeId(i))
                    };
                    nodes.push(node);
                    relationships.push(rel);
                }
                Ok(CypherValue::Path(Box::new(PathValue {
                    nodes,
                    relationships,
                })))
            }
            b'\'' | b'"' => {
                let quote = self.s[self.at];
                self.at += 1;
                let mut out = Vec::new();
                while self.at < self.s.len() && self.s[self.at] != quote {
                    if self.s[self.at] == b'\\' && self.at + 1 < self.s.len() {
                        self.at += 1;
                        out.push(match self.s[self.at] {
                            b'n' => b'\n',
                            b't' => b'\t',
                            b'r' => b'\r',
                            other => other,
                        });
                    } else {
                        out.push(self.s[self.at]);
                    }
                    self.at += 1;
                }
                self.at += 1;
                Ok(CypherValue::String(
                    String::from_utf8_lossy(&out).into_owned(),
                ))
            }
            _ => {
                let start = self.at;
                while self.at < self.s.len()
                    && !matches!(self.s[self.at], b',' | b']' | b'}' | b')')
                    && !self.s[self.at].is_ascii_whitespace()
                {
                    self.at += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default();
                Ok(match word {
                    "null" => CypherValue::Null,
                    "true" => CypherValue::Bool(true),
                    "false" => CypherValue::Bool(false),
                    "NaN" => CypherValue::Float(f64::NAN),
                    "Inf" | "Infinity" => CypherValue::Float(f64::INFINITY),
                    "-Inf" | "-Infinity" => CypherValue::Float(f64::NEG_INFINITY),
                    _ => {
                        if let Ok(i) = word.parse::<i64>() {
                            CypherValue::Int(i)
                        } else if let Ok(f) = word.parse::<f64>() {
                            CypherValue::Float(f)
                        } else if let Some(h) = word.strip_prefix("0x") {
                            CypherValue::Int(i64::from_str_radix(h, 16).map_err(|e| e.to_string())?)
                        } else {
                            return Err(format!("cannot read the value {word:?}"));
                        }
                    }
                })
            }
        }
    }
}

/// A value in a canonical form for comparison: lists sorted when their
/// order is ignored; integers and floats kept apart; nodes and
/// relationships by labels, type and properties (not ids).
fn canonical(v: &CypherValue, unordered_lists: bool) -> String {
    let map = |m: &BTreeMap<String, CypherValue>| {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, x)| format!("{k}: {}", canonical(x, unordered_lists)))
            .collect();
        format!("{{{}}}", parts.join(", "))
    };
    let node = |n: &NodeValue| {
        let mut labels = n.labels.clone();
        labels.sort();
        format!("(:{} {})", labels.join(":"), map(&n.properties))
    };
    let rel = |r: &RelValue| format!("[:{} {}]", r.rel_type, map(&r.properties));
    match v {
        CypherValue::Int(i) => format!("int {i}"),
        CypherValue::Float(f) if f.is_nan() => "float NaN".to_owned(),
        // By value: -0.0 is 0.0.
        CypherValue::Float(f) => format!("float {}", query::format_float(*f + 0.0)),
        CypherValue::List(items) => {
            let mut parts: Vec<String> = items
                .iter()
                .map(|x| canonical(x, unordered_lists))
                .collect();
            if unordered_lists {
                parts.sort();
            }
            format!("[{}]", parts.join(", "))
        }
        CypherValue::Map(m) => map(m),
        // The TCK writes temporal values as their strings.
        CypherValue::Temporal(t) => canonical(&CypherValue::String(t.to_string()), false),
        CypherValue::Node(n) => node(n),
        CypherValue::Relationship(r) => rel(r),
        CypherValue::Path(p) => {
            let mut out = String::from("<");
            for (i, n) in p.nodes.iter().enumerate() {
                if i > 0 {
                    let r = &p.relationships[i - 1];
                    let forward = r.start == p.nodes[i - 1].id;
                    if forward {
                        write!(out, "-{}->", rel(r)).unwrap();
                    } else {
                        write!(out, "<-{}-", rel(r)).unwrap();
                    }
                }
                out.push_str(&node(n));
            }
            out.push('>');
            out
        }
        other => other.to_string(),
    }
}

/// What the TCK compares as side effects: the graph's nodes,
/// relationships, labels in use and properties.
#[derive(Default)]
struct Snapshot {
    nodes: BTreeSet<u64>,
    rels: BTreeSet<u64>,
    labels: BTreeSet<String>,
    props: BTreeSet<(bool, u64, String, String)>,
}

fn snapshot(db: &Database) -> Snapshot {
    let r = db.begin_read().unwrap();
    let mut s = Snapshot::default();
    for id in r.node_ids().unwrap() {
        let node = r.node(id).unwrap().unwrap();
        s.nodes.insert(id.0);
        s.labels.extend(node.labels);
        for (k, v) in node.props {
            s.props
                .insert((true, id.0, k, canonical(&CypherValue::from(v), false)));
        }
    }
    for id in r.edge_ids().unwrap() {
        let edge = r.edge(id).unwrap().unwrap();
        s.rels.insert(id.0);
        for (k, v) in edge.props {
            s.props
                .insert((false, id.0, k, canonical(&CypherValue::from(v), false)));
        }
    }
    s
}

/// The side effects from `a` to `b`, by the TCK's names.
fn side_effects(a: &Snapshot, b: &Snapshot) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    let mut put = |k: &'static str, n: usize| {
        if n > 0 {
            out.insert(k, n);
        }
    };
    put("+nodes", b.nodes.difference(&a.nodes).count());
    put("-nodes", a.nodes.difference(&b.nodes).count());
    put("+relationships", b.rels.difference(&a.rels).count());
    put("-relationships", a.rels.difference(&b.rels).count());
    put("+labels", b.labels.difference(&a.labels).count());
    put("-labels", a.labels.difference(&b.labels).count());
    put("+properties", b.props.difference(&a.props).count());
    put("-properties", a.props.difference(&b.props).count());
    out
}

enum Outcome {
    Pass,
    Fail(String),
}

#[allow(clippy::too_many_lines, reason = "one arm per step")]
fn run_case(case: &Case) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut params = Params::new();
    let mut last: Option<Result<query::QueryResult, QueryError>> = None;
    let mut effects = BTreeMap::new();
    for step in &case.steps {
        let value = step.value.trim();
        if value == "an empty graph" || value == "any graph" {
            continue;
        }
        if let Some(name) = value
            .strip_prefix("the ")
            .and_then(|v| v.strip_suffix(" graph"))
        {
            let path = graphs_dir().join(name).join(format!("{name}.cypher"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                return Outcome::Fail(format!("named graph {name} not found"));
            };
            if let Err(e) = db.execute(&text, &Params::new()) {
                return Outcome::Fail(format!("graph {name}: {}", first_line(&e)));
            }
            continue;
        }
        if let Some(signature) = value.strip_prefix("there exists a procedure") {
            match table_procedure(signature, step) {
                Ok(p) => {
                    if let Err(e) = db.register_procedure(p) {
                        return Outcome::Fail(format!("procedure: {}", first_line(&e)));
                    }
                }
                Err(e) => return Outcome::Fail(e),
            }
            continue;
        }
        if value == "having executed:" {
            if let Err(e) = db.execute(&docstring(step), &params) {
                return Outcome::Fail(format!("set-up: {}", first_line(&e)));
            }
            continue;
        }
        if value == "parameters are:" {
            for row in step
                .table
                .as_ref()
                .map(|t| t.rows.as_slice())
                .unwrap_or_default()
            {
                if let [name, cell] = row.as_slice() {
                    match literal(cell) {
                        Ok(v) => {
                            params.insert(name.clone(), v);
                        }
                        Err(e) => return Outcome::Fail(e),
                    }
                }
            }
            continue;
        }
        if value == "executing query:" || value == "executing control query:" {
            let before = snapshot(&db);
            last = Some(db.execute(&docstring(step), &params));
            effects = side_effects(&before, &snapshot(&db));
            continue;
        }
        if let Some(rest) = value.strip_prefix("the result should be") {
            let result = match last.take() {
                Some(Ok(r)) => r,
                Some(Err(e)) => return Outcome::Fail(format!("error: {}", first_line(&e))),
                None => return Outcome::Fail("no query".to_owned()),
            };
            if let Err(reason) = compare(rest, step, &result) {
                return Outcome::Fail(reason);
            }
            continue;
        }
        if let Some(rest) = value.strip_prefix("a ") {
            if let Err(reason) = expect_error(rest, last.take()) {
                return Outcome::Fail(reason);
            }
            continue;
        }
        if value == "no side effects" {
            if !effects.is_empty() {
                return Outcome::Fail(format!("side effects {effects:?}, expected none"));
            }
            continue;
        }
        if value == "the side effects should be:" {
            let mut expected = BTreeMap::new();
            for row in step
                .table
                .as_ref()
                .map(|t| t.rows.as_slice())
                .unwrap_or_default()
            {
                if let [name, n] = row.as_slice() {
                    let n: usize = n.trim().parse().unwrap_or(usize::MAX);
                    if n > 0 {
                        expected.insert(name.trim().to_owned(), n);
                    }
                }
            }
            let actual: BTreeMap<String, usize> =
                effects.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
            if actual != expected {
                return Outcome::Fail(format!("side effects {actual:?}, expected {expected:?}"));
            }
            continue;
        }
        return Outcome::Fail(format!("unknown step: {value}"));
    }
    Outcome::Pass
}

/// The TCK's test procedure `signature` (`name(in :: TYPE?, ...) ::
/// (out :: TYPE?, ...):`) answering from the step's table: the rows whose
/// input cells equal the arguments, their output cells.
fn table_procedure(signature: &str, step: &Step) -> Result<UserProcedure, String> {
    let signature = signature.trim().trim_end_matches(':').trim();
    let (name, rest) = signature
        .split_once('(')
        .ok_or_else(|| format!("procedure signature {signature}"))?;
    let (inputs, rest) = rest
        .split_once(')')
        .ok_or_else(|| format!("procedure signature {signature}"))?;
    let outputs = rest
        .trim()
        .trim_start_matches("::")
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')');
    let fields = |list: &str| -> Result<Vec<(String, ArgType)>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| {
                let (n, t) = f.split_once("::").ok_or_else(|| format!("field {f}"))?;
                let ty = ArgType::from_name(t).ok_or_else(|| format!("type {t}"))?;
                Ok((n.trim().to_owned(), ty))
            })
            .collect()
    };
    let (inputs, outputs) = (fields(inputs)?, fields(outputs)?);
    let rows = step
        .table
        .as_ref()
        .map(|t| t.rows.as_slice())
        .unwrap_or_default();
    let mut table: Vec<Vec<CypherValue>> = Vec::new();
    for row in rows.iter().skip(1) {
        table.push(row.iter().map(|c| literal(c)).collect::<Result<_, _>>()?);
    }
    let n = inputs.len();
    let input_refs: Vec<(&str, ArgType)> = inputs.iter().map(|(s, t)| (s.as_str(), *t)).collect();
    let output_names: Vec<&str> = outputs.iter().map(|(s, _)| s.as_str()).collect();
    Ok(UserProcedure::new(
        name.trim(),
        &input_refs,
        &output_names,
        move |args| {
            Ok(table
                .iter()
                .filter(|row| row.len() >= n && row[..n] == *args)
                .map(|row| row[n..].to_vec())
                .collect())
        },
    ))
}

fn graphs_dir() -> PathBuf {
    features_dir()
        .parent()
        .map_or_else(|| PathBuf::from("graphs"), |p| p.join("graphs"))
}

/// Checks `result` against the step `the result should be<rest>`.
fn compare(rest: &str, step: &Step, result: &query::QueryResult) -> Result<(), String> {
    if rest.trim() == "empty" {
        return if result.rows().is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} rows where none were expected",
                result.rows().len()
            ))
        };
    }
    let ordered = rest.contains("in order");
    let unordered_lists = rest.contains("ignoring element order for lists");
    let table = step.table.as_ref().ok_or("no expected table")?;
    let (header, expected_rows) = table.rows.split_first().ok_or("empty expected table")?;
    if result.columns() != header.as_slice() {
        return Err(format!(
            "columns {:?}, expected {header:?}",
            result.columns()
        ));
    }
    let mut expected = Vec::new();
    for row in expected_rows {
        let cells = row
            .iter()
            .map(|cell| literal(cell).map(|v| canonical(&v, unordered_lists)))
            .collect::<Result<Vec<_>, _>>()?;
        expected.push(cells);
    }
    let mut actual: Vec<Vec<String>> = result
        .rows()
        .iter()
        .map(|r| r.iter().map(|v| canonical(v, unordered_lists)).collect())
        .collect();
    if !ordered {
        expected.sort();
        actual.sort();
    }
    if actual == expected {
        Ok(())
    } else {
        Err(format!("rows {actual:?}, expected {expected:?}"))
    }
}

/// Checks the step `a <Class> should be raised at <phase>: <Detail>`.
fn expect_error(
    rest: &str,
    last: Option<Result<query::QueryResult, QueryError>>,
) -> Result<(), String> {
    let (head, _) = rest.split_once(':').unwrap_or((rest, ""));
    let class = head.split_whitespace().next().unwrap_or_default();
    let phase = if head.contains("compile time") {
        Some(Phase::Compile)
    } else if head.contains("runtime") {
        Some(Phase::Runtime)
    } else {
        None
    };
    match last {
        Some(Err(e)) if e.kind == ErrorKind::Unsupported => Err(first_line(&e)),
        Some(Err(e)) => {
            if e.kind.name() != class || phase.is_some_and(|p| p != e.phase) {
                Err(format!(
                    "raised {} at {:?} ({}), expected {head}",
                    e.kind.name(),
                    e.phase,
                    e.detail
                ))
            } else {
                Ok(())
            }
        }
        Some(Ok(_)) => Err(format!("no error, expected {head}")),
        None => Err("no query".to_owned()),
    }
}

fn first_line(e: &QueryError) -> String {
    let text = e.to_string();
    text.lines().next().unwrap_or_default().to_owned()
}

fn main() -> std::process::ExitCode {
    let root = features_dir();
    let mut per_folder: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in cases(&root) {
        let counts = per_folder.entry(case.folder.clone()).or_default();
        if case.skipped {
            counts[2] += 1;
            continue;
        }
        match std::panic::catch_unwind(|| run_case(&case)) {
            Ok(Outcome::Pass) => counts[0] += 1,
            Ok(Outcome::Fail(reason)) => {
                counts[1] += 1;
                failures.push(format!("{}: {reason}", case.id));
            }
            Err(_) => {
                counts[1] += 1;
                failures.push(format!("{}: PANICKED", case.id));
            }
        }
    }
    let (mut p, mut f, mut s) = (0, 0, 0);
    for (folder, [passed, failed, skipped]) in &per_folder {
        println!("{folder}: {passed} passed, {failed} failed, {skipped} skipped");
        p += passed;
        f += failed;
        s += skipped;
    }
    for failure in &failures {
        println!("FAILED: {failure}");
    }
    println!("tck: {p} passed, {f} failed, {s} skipped");
    if failures.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
