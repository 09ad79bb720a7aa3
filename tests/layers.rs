//! The layers of the crate point one way. Every `crate::` path in the
//! code of `src/` (comments and doc links aside) must name a module of a
//! lower layer, or the module's own:
//!
//! ```text
//! 0  ids, failpoint, rng, parallel   what everyone shares:
//! 1  error                              ids, the error type,
//! 2  temporal                           dates, times, durations,
//! 3  value                              property values
//! 4  storage | embed                  RocksDB, keys, codec | text embeddings
//! 5  txn                              the transaction core
//! 6  graph | vector | fulltext        the data models, siblings
//! 7  algo | import | check | hybrid   built on the models
//! 8  query                            Cypher, over the models and algo
//! 9  open                             the assembly: names every model
//! 10 server                           the Bolt server, over Cypher
//! 11 fuzz                             fuzz entry points over all of it
//! ```
//!
//! (`lib.rs` re-exports; names it re-exports count as their module, and
//! the `props!` macro as `value`. The CLI in `src/bin` and the Python
//! bindings in `src/python` are separate crates on the public API.) A
//! module may not name a sibling of its own layer: the graph, the vector
//! and the full-text model cooperate through the core's links only.

#![allow(
    clippy::unwrap_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

fn layer(module: &str) -> Option<u32> {
    Some(match module {
        "ids" | "failpoint" | "rng" | "parallel" => 0,
        "error" => 1,
        "temporal" => 2,
        "value" => 3,
        "storage" | "embed" => 4,
        "txn" => 5,
        "graph" | "vector" | "fulltext" => 6,
        "algo" | "import" | "check" | "hybrid" => 7,
        "query" => 8,
        "open" => 9,
        "server" => 10,
        "fuzz" => 11,
        _ => return None,
    })
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // The CLI (src/bin) and the Python bindings (src/python) are
            // crates of their own over the public API; the Cypher parser
            // (src/open-cypher) is a crate below it.
            if !path.ends_with("bin") && !path.ends_with("python") && !path.ends_with("open-cypher")
            {
                files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module of a file under `src/`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The names `lib.rs` re-exports, with the module each comes from.
fn reexports(lib: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let flat = lib.replace('\n', " ");
    for stmt in flat.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let (module, names) = match rest.split_once("::{") {
            Some((m, names)) => (m, names.trim_end_matches('}')),
            None => match rest.rsplit_once("::") {
                Some((m, name)) => (m, name),
                None => continue,
            },
        };
        let module = module.split("::").next().unwrap().to_owned();
        for name in names.split(',') {
            let name = name.trim();
            if !name.is_empty() {
                out.insert(name.to_owned(), module.clone());
            }
        }
    }
    out
}

/// The code of a line, without its comment.
fn code(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    line.split("//").next().unwrap_or("")
}

/// The code of a file: its lines without their comments.
fn code_of(file: &Path) -> String {
    let mut joined = String::new();
    for line in fs::read_to_string(file).unwrap().lines() {
        joined.push_str(code(line));
        joined.push('\n');
    }
    joined
}

/// The identifiers following each `crate::` in `text`.
fn crate_paths(text: &str) -> Vec<String> {
    paths_after(text, "crate::")
}

/// The identifiers following each `prefix` (`crate::`, `super::`, ...)
/// in `text`; a use group gives each of its items.
fn paths_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        // `crate::` inside `a_crate::` or `super::` inside `nsuper::` is
        // another name.
        let glued = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &rest[at + prefix.len()..];
        if glued {
            rest = after;
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            // `crate::{a, b::{c, d}, e}`: each item's first segment.
            out.extend(group_items(group));
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
        rest = after;
    }
    out
}

/// The first segment of each top-level item of a `use` group whose text
/// starts after its `{`: `a, b::{c, d}, e}` gives `a`, `b`, `e` (nested
/// groups are skipped whole, up to their matching `}`).
fn group_items(group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut item = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            item.push(c);
        }
    }
    out.push(item);
    out.into_iter()
        .filter_map(|i| {
            let name = i.trim().split("::").next().unwrap_or("").trim().to_owned();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[test]
fn use_groups_are_read_to_their_matching_brace() {
    assert_eq!(
        crate_paths("use crate::{graph::{a, b}, vector::X, query};"),
        ["graph", "vector", "query"]
    );
    assert_eq!(crate_paths("crate::{error::{Error, Result}}"), ["error"]);
    assert_eq!(crate_paths("x = crate::storage::Cf::Out;"), ["storage"]);
}

#[test]
fn lower_layers_never_name_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut names = reexports(&lib);
    names.insert("props".into(), "value".into());
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &all {
        let module = module_of(&src, file);
        if module == "lib" {
            continue;
        }
        let own = layer(&module).unwrap_or_else(|| {
            panic!(
                "{} is in no layer: add its module to this test",
                file.display()
            )
        });
        let joined = code_of(file);
        for name in crate_paths(&joined) {
            let target = names.get(&name).cloned().unwrap_or_else(|| name.clone());
            let Some(theirs) = layer(&target) else {
                problems.push(format!("{}: crate::{name} is in no layer", file.display()));
                continue;
            };
            checked += 1;
            if target != module && theirs >= own {
                problems.push(format!(
                    "{} (layer {own}, {module}) names crate::{name} (layer {theirs}, {target})",
                    file.display()
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} paths were found: is the scan broken?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The stages of `src/query`, in the order a statement passes them:
///
/// ```text
/// 0  error, value       what every stage shares
/// 1  result             the rows and plan steps a statement returns
/// 2  parse              text -> syntax tree (the only file naming the parser)
/// 3  plan               the plan types, no behaviour
/// 4  compile            syntax tree -> plan
/// 5  optimise           rewrite rules; the cost-based start choice
/// 6  exec               runs a plan
/// 7  explain | cache    describes a plan | keeps compiled plans
/// ```
///
/// (`mod.rs` assembles them and names every stage; `tests.rs` is its
/// test module.)
fn stage(name: &str) -> Option<u32> {
    Some(match name {
        "error" | "value" => 0,
        "result" => 1,
        "parse" => 2,
        "plan" => 3,
        "compile" => 4,
        "optimise" => 5,
        "exec" => 6,
        "explain" | "cache" => 7,
        _ => return None,
    })
}

/// The stages a file of `src/query` names: `crate::query::x` anywhere,
/// `super::x` from a file right in `query/` or a stage folder's `mod.rs`
/// (elsewhere in a stage folder, `super::` is the stage itself).
fn stages_named(rel: &Path, text: &str) -> Vec<String> {
    let mut out = paths_after(text, "crate::query::");
    let parts: Vec<_> = rel.components().collect();
    let in_query_dir = parts.len() == 1;
    let stage_root = parts.len() == 2 && rel.ends_with("mod.rs");
    if in_query_dir || stage_root {
        out.extend(paths_after(text, "super::"));
    } else if text.contains("super::super::") {
        out.push("super".to_owned());
    }
    out
}

#[test]
fn query_stages_point_one_way() {
    let query = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/query");
    let mut all = Vec::new();
    files(&query, &mut all);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &all {
        let rel = file.strip_prefix(&query).unwrap();
        let own = module_of(&query, file);
        if own == "mod" || own == "tests" {
            continue;
        }
        let own_stage = stage(&own).unwrap_or_else(|| {
            panic!(
                "{} is in no stage of src/query: add it to this test",
                file.display()
            )
        });
        let joined = code_of(file);
        if joined.contains("open_cypher") && rel != Path::new("parse.rs") {
            problems.push(format!(
                "{} names the parser crate: only parse.rs does",
                file.display()
            ));
        }
        for name in stages_named(rel, &joined) {
            // `super::*` in a test module, and the stage itself.
            if name.is_empty() || name == own {
                continue;
            }
            let Some(theirs) = stage(&name) else {
                problems.push(format!(
                    "{}: names {name}, which is no stage of src/query (from a stage folder, \
                     name another stage as crate::query::<stage>)",
                    file.display()
                ));
                continue;
            };
            checked += 1;
            if theirs >= own_stage {
                problems.push(format!(
                    "{} (stage {own_stage}, {own}) names {name} (stage {theirs})",
                    file.display()
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} paths between stages were found: is the scan broken?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn stage_paths_are_read_from_where_the_file_is() {
    let text = "use super::value::V; use crate::query::plan::{expr::Expr, Plan};";
    assert_eq!(
        stages_named(Path::new("explain.rs"), text),
        ["plan", "value"]
    );
    assert_eq!(stages_named(Path::new("exec/matcher.rs"), text), ["plan"]);
    assert_eq!(
        stages_named(Path::new("exec/mod.rs"), text),
        ["plan", "value"]
    );
    assert_eq!(
        stages_named(Path::new("exec/eval.rs"), "use super::super::plan::X;"),
        ["super"]
    );
    assert_eq!(paths_after("a_crate::x; crate::y", "crate::"), ["y"]);
}

#[test]
fn the_scan_sees_what_it_must() {
    assert_eq!(
        crate_paths("use crate::graph::x; crate::{Direction, vector::y};"),
        ["graph", "Direction", "vector"]
    );
    assert_eq!(
        code("let a = crate::txn::X; // crate::algo"),
        "let a = crate::txn::X; "
    );
    assert_eq!(code("    /// [`A`](crate::algo::A)"), "");
    let names = reexports("pub use graph::{GraphRead, Node};\npub use txn::Database;");
    assert_eq!(names.get("GraphRead").map(String::as_str), Some("graph"));
    assert_eq!(names.get("Database").map(String::as_str), Some("txn"));
}
