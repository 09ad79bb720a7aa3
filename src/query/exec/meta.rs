//! The schema-introspection procedures that Neo4j integration code calls
//! before it writes a query: `apoc.meta.data` (the schema an LLM is
//! shown by `LangChain` and neo4j-graphrag), `db.schema.nodeTypeProperties`,
//! `db.schema.relTypeProperties` and `dbms.components` (the version
//! check). Each reads the statement's snapshot.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{Access, no_graph};
use crate::graph::dict::Kind;
use crate::graph::read::Reader;
use crate::query::error::{QResult, argument_error, type_error};
use crate::query::plan::procs::NEO4J_VERSION;
use crate::query::value::CypherValue as V;
use crate::temporal::Temporal;
use crate::{Direction, NodeId, Value};

/// `dbms.components()`: one row naming this engine, the Neo4j version
/// whose Cypher it speaks (what version checks in integration code read)
/// and the edition.
pub(crate) fn components() -> Vec<Vec<V>> {
    vec![vec![
        V::String("QuiverDB".to_owned()),
        V::List(vec![V::String(NEO4J_VERSION.to_owned())]),
        V::String("community".to_owned()),
    ]]
}

/// The configuration of `apoc.meta.data`.
struct MetaConfig {
    /// Read about one node in `count / sample` of each label (all when
    /// not positive).
    sample: i64,
    /// Relationships read per sampled node and type.
    max_rels: usize,
    include_labels: BTreeSet<String>,
    exclude_labels: BTreeSet<String>,
    include_rels: BTreeSet<String>,
    exclude_rels: BTreeSet<String>,
}

impl MetaConfig {
    const PROC: &'static str = "apoc.meta.data";

    fn read(args: &[V]) -> QResult<MetaConfig> {
        let mut config = MetaConfig {
            sample: 1000,
            max_rels: 100,
            include_labels: BTreeSet::new(),
            exclude_labels: BTreeSet::new(),
            include_rels: BTreeSet::new(),
            exclude_rels: BTreeSet::new(),
        };
        let Some(entries) = args
            .first()
            .map(|v| super::procs::map_argument(Self::PROC, "the configuration", v))
            .transpose()?
            .flatten()
        else {
            return Ok(config);
        };
        for (key, value) in entries {
            match key.as_str() {
                "sample" => config.sample = Self::int(key, value)?,
                "maxRels" => {
                    config.max_rels = usize::try_from(Self::int(key, value)?).unwrap_or(0);
                }
                "includeLabels" | "labels" => config.include_labels = Self::names(key, value)?,
                "excludeLabels" | "excludesLabels" | "excludes" => {
                    config.exclude_labels = Self::names(key, value)?;
                }
                "includeRels" | "rels" => config.include_rels = Self::names(key, value)?,
                "excludeRels" => config.exclude_rels = Self::names(key, value)?,
                // APOC ignores the keys it does not know.
                _ => {}
            }
        }
        Ok(config)
    }

    fn int(key: &str, value: &V) -> QResult<i64> {
        match value {
            V::Int(i) => Ok(*i),
            other => Err(argument_error(
                "InvalidArgumentValue",
                format!("{}: {key} is an integer, not {other}", Self::PROC),
            )),
        }
    }

    fn names(key: &str, value: &V) -> QResult<BTreeSet<String>> {
        let V::List(items) = value else {
            return Err(argument_error(
                "InvalidArgumentValue",
                format!("{}: {key} is a list of names, not {value}", Self::PROC),
            ));
        };
        items
            .iter()
            .map(|item| match item {
                V::String(s) => Ok(s.clone()),
                other => Err(argument_error(
                    "InvalidArgumentValue",
                    format!("{}: {key} holds names, not {other}", Self::PROC),
                )),
            })
            .collect()
    }

    fn wants_label(&self, label: &str) -> bool {
        !self.exclude_labels.contains(label)
            && (self.include_labels.is_empty() || self.include_labels.contains(label))
    }

    fn wants_rel(&self, rel_type: &str) -> bool {
        !self.exclude_rels.contains(rel_type)
            && (self.include_rels.is_empty() || self.include_rels.contains(rel_type))
    }
}

/// One row of `apoc.meta.data`.
#[derive(Default)]
struct MetaRow {
    count: i64,
    unique: bool,
    index: bool,
    ty: &'static str,
    array: bool,
    left: i64,
    right: i64,
    other: BTreeSet<String>,
    other_labels: BTreeSet<String>,
}

/// The rows of `apoc.meta.data`, keyed by (label or type, property or
/// type), for nodes and for relationships.
#[derive(Default)]
struct Meta {
    node: BTreeMap<(String, String), MetaRow>,
    rel: BTreeMap<(String, String), MetaRow>,
}

impl Meta {
    /// The rows; `required` holds the `(relationship?, label or type,
    /// key)` of the existence constraints.
    fn rows(self, required: &[(bool, String, String)]) -> Vec<Vec<V>> {
        let names = |set: BTreeSet<String>| V::List(set.into_iter().map(V::String).collect());
        let node = self.node.into_iter().map(|k| (k, "node"));
        let rel = self.rel.into_iter().map(|k| (k, "relationship"));
        node.chain(rel)
            .map(|(((label, property), row), element)| {
                let exists = required.iter().any(|(rel, owner, key)| {
                    *rel == (element == "relationship") && *owner == label && *key == property
                });
                vec![
                    V::String(label),
                    V::String(property),
                    V::Int(row.count),
                    V::Bool(row.unique),
                    V::Bool(row.index),
                    V::Bool(exists),
                    V::String(row.ty.to_owned()),
                    V::Bool(row.array),
                    V::Null,
                    V::Int(row.left),
                    V::Int(row.right),
                    names(row.other),
                    names(row.other_labels),
                    V::String(element.to_owned()),
                ]
            })
            .collect()
    }
}

/// `apoc.meta.data([config])`: for each label, the properties of its
/// nodes (with their type and whether a unique key or an index covers
/// them) and the relationship types leaving them (type `RELATIONSHIP`,
/// with the labels at the far end in `other`); for each relationship
/// type, its properties and the labels it leaves. Read from a sample of
/// each label's nodes as APOC does: about `sample` of them (default
/// 1,000; `-1` reads all), evenly spread, and up to `maxRels` (default
/// 100) relationships of each type per sampled node. `count` is how many
/// sampled elements showed the row (relationships for a `RELATIONSHIP`
/// row); `left` is the most relationships of the type that left one
/// sampled node and `right` the most that entered one node at their far
/// end (counted up to `maxRels`); `otherLabels` of a unique key's row
/// are the other labels its sampled nodes carry; `existence` says
/// whether an existence constraint requires the property, and `sample`
/// is null, as in APOC.
pub(crate) fn meta_data(args: &[V], access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let config = MetaConfig::read(args)?;
    let r = access.reader().ok_or_else(no_graph)?;
    let schema = r.schema()?;
    let census = r.census()?;
    let mut meta = Meta::default();
    let label_name = |id: u32| r.names.name(Kind::Label, id);
    let key_name = |id: u32| r.names.name(Kind::PropKey, id);
    for (label, _) in census.labels.iter().filter(|(l, _)| config.wants_label(l)) {
        let Some(label_id) = r.names.id(Kind::Label, label) else {
            continue;
        };
        let ids = r.nodes_with_label(label)?;
        let stride = match usize::try_from(config.sample) {
            Ok(s) if s > 0 => (ids.len() / s).max(1),
            _ => 1,
        };
        let sampled: Vec<NodeId> = ids.iter().copied().step_by(stride).collect();
        let mut records = Vec::with_capacity(sampled.len());
        r.each_node(&sampled, &mut |id, rec| {
            records.push((id, rec));
            Ok(())
        })?;
        for (id, rec) in records {
            for (key, value) in &rec.props {
                let Some((ty, array)) = apoc_type(value) else {
                    continue;
                };
                let row = meta
                    .node
                    .entry((label.clone(), key_name(*key)?))
                    .or_default();
                row.count += 1;
                if row.ty.is_empty() {
                    row.ty = ty;
                    row.array = array;
                    row.unique = schema.unique.contains(&(label_id, *key));
                    row.index = row.unique || schema.indexed.contains(&(label_id, *key));
                }
                if row.unique {
                    for &other in rec.labels.iter().filter(|&&l| l != label_id) {
                        row.other_labels.insert(label_name(other)?);
                    }
                }
            }
            relationships(&r, &config, label, id, &mut meta)?;
        }
    }
    let required: Vec<(bool, String, String)> = r
        .required()?
        .rules
        .into_iter()
        .map(|rule| (rule.relationship, rule.owner_name, rule.key_name))
        .collect();
    Ok(meta.rows(&required))
}

/// The relationships leaving one sampled node of `label`, into `meta`.
fn relationships(
    r: &Reader<'_>,
    config: &MetaConfig,
    label: &str,
    node: NodeId,
    meta: &mut Meta,
) -> QResult<()> {
    let mut by_type: BTreeMap<String, Vec<crate::EdgeId>> = BTreeMap::new();
    for e in r.edges(node, Direction::Out, None)? {
        if config.wants_rel(&e.edge_type) {
            by_type.entry(e.edge_type).or_default().push(e.id);
        }
    }
    for (rel_type, edges) in by_type {
        let out = edges.len() as i64;
        let type_id = r.names.id(Kind::EdgeType, &rel_type);
        for edge in edges.into_iter().take(config.max_rels) {
            let rec = r.require_edge(edge)?;
            let target = r.require_node(rec.dst)?;
            let mut target_labels = BTreeSet::new();
            for &l in &target.labels {
                target_labels.insert(r.names.name(Kind::Label, l)?);
            }
            let mut incoming = 0i64;
            r.scan_adjacency(rec.dst, Direction::In, type_id, &mut |_, _| {
                incoming += 1;
                Ok((incoming as usize) < config.max_rels.max(1))
            })?;
            for row in [
                meta.node.entry((label.to_owned(), rel_type.clone())),
                meta.rel.entry((rel_type.clone(), label.to_owned())),
            ] {
                let row = row.or_default();
                row.ty = "RELATIONSHIP";
                row.count += 1;
                row.left = row.left.max(out);
                row.right = row.right.max(incoming);
                row.other.extend(target_labels.iter().cloned());
            }
            for (key, value) in &rec.props {
                let Some((ty, array)) = apoc_type(value) else {
                    continue;
                };
                let key = r.names.name(Kind::PropKey, *key)?;
                let row = meta.rel.entry((rel_type.clone(), key)).or_default();
                row.count += 1;
                if row.ty.is_empty() {
                    (row.ty, row.array) = (ty, array);
                }
            }
        }
    }
    Ok(())
}

/// APOC's name of a stored value's type, and whether it is a list.
fn apoc_type(value: &Value) -> Option<(&'static str, bool)> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(_) => ("BOOLEAN", false),
        Value::Int(_) => ("INTEGER", false),
        Value::Float(_) => ("FLOAT", false),
        Value::String(_) => ("STRING", false),
        Value::Bytes(_) | Value::List(_) => ("LIST", true),
        Value::Temporal(t) => (
            match t {
                Temporal::Date(_) => "DATE",
                Temporal::LocalTime(_) => "LOCAL_TIME",
                Temporal::Time(_) => "TIME",
                Temporal::LocalDateTime(_) => "LOCAL_DATE_TIME",
                Temporal::DateTime(_) => "DATE_TIME",
                Temporal::Duration(_) => "DURATION",
            },
            false,
        ),
    })
}

/// Neo4j's name of a stored value's type in `db.schema.*Properties`.
fn schema_type(value: &Value) -> Option<String> {
    let scalar = |v: &Value| -> Option<&'static str> {
        Some(match v {
            Value::Null | Value::List(_) => return None,
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Long",
            Value::Float(_) => "Double",
            Value::String(_) => "String",
            Value::Bytes(_) => "ByteArray",
            Value::Temporal(t) => match t {
                Temporal::Date(_) => "Date",
                Temporal::LocalTime(_) => "LocalTime",
                Temporal::Time(_) => "Time",
                Temporal::LocalDateTime(_) => "LocalDateTime",
                Temporal::DateTime(_) => "DateTime",
                Temporal::Duration(_) => "Duration",
            },
        })
    };
    match value {
        Value::Null => None,
        Value::List(items) => {
            let mut kinds = items.iter().map(scalar);
            let first = kinds.next().flatten();
            match first {
                Some(k) if k != "ByteArray" && kinds.all(|x| x == Some(k)) => {
                    Some(format!("{k}Array"))
                }
                _ => Some("List".to_owned()),
            }
        }
        other => scalar(other).map(str::to_owned),
    }
}

/// What one group (a label combination or a relationship type) shows of
/// a property: its types and on how many of the group's elements.
#[derive(Default)]
struct Seen {
    elements: u64,
    props: BTreeMap<String, (BTreeSet<String>, u64)>,
}

impl Seen {
    fn observe(&mut self, r: &Reader<'_>, props: &[(u32, Value)]) -> QResult<()> {
        self.elements += 1;
        for (key, value) in props {
            if let Some(ty) = schema_type(value) {
                let entry = self
                    .props
                    .entry(r.names.name(Kind::PropKey, *key)?)
                    .or_default();
                entry.0.insert(ty);
                entry.1 += 1;
            }
        }
        Ok(())
    }

    /// One row per property (`name, types, mandatory`), or one row of
    /// nulls when the group has none.
    fn rows(self) -> Vec<(V, V, V)> {
        if self.props.is_empty() {
            return vec![(V::Null, V::Null, V::Bool(false))];
        }
        self.props
            .into_iter()
            .map(|(name, (types, n))| {
                let types = types.into_iter().map(V::String).collect();
                (V::String(name), V::List(types), V::Bool(n == self.elements))
            })
            .collect()
    }
}

/// Neo4j's text of a label combination or a type: each name after a
/// colon, in backquotes (a backquote in a name doubled).
fn type_text(names: &[String]) -> String {
    let mut text = String::new();
    for n in names {
        text.push_str(":`");
        text.push_str(&n.replace('`', "``"));
        text.push('`');
    }
    text
}

/// `db.schema.nodeTypeProperties()`: for each combination of labels that
/// nodes carry, each property found on them with the names of its types
/// and whether every such node has it; a combination whose nodes have no
/// properties gives one row with nulls. Reads every node.
pub(crate) fn node_type_properties(access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let r = access.reader().ok_or_else(no_graph)?;
    let mut groups: BTreeMap<Vec<String>, Seen> = BTreeMap::new();
    let ids = r.node_ids()?;
    let mut failure = None;
    r.each_node(&ids, &mut |_, rec| {
        let mut labels = rec
            .labels
            .iter()
            .map(|&l| r.names.name(Kind::Label, l))
            .collect::<crate::Result<Vec<_>>>()?;
        labels.sort_unstable();
        if let Err(e) = groups.entry(labels).or_default().observe(&r, &rec.props) {
            failure = Some(e);
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut rows = Vec::new();
    for (labels, seen) in groups {
        let node_type = V::String(type_text(&labels));
        let label_list = V::List(labels.into_iter().map(V::String).collect());
        for (name, types, mandatory) in seen.rows() {
            rows.push(vec![
                node_type.clone(),
                label_list.clone(),
                name,
                types,
                mandatory,
            ]);
        }
    }
    Ok(rows)
}

/// `db.schema.relTypeProperties()`: for each relationship type, each
/// property found on its relationships with the names of its types and
/// whether every relationship of the type has it (one row of nulls for a
/// type without properties). Reads every relationship.
pub(crate) fn rel_type_properties(access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let r = access.reader().ok_or_else(no_graph)?;
    let mut groups: BTreeMap<String, Seen> = BTreeMap::new();
    for id in r.edge_ids()? {
        let rec = r.require_edge(id)?;
        let name = r.names.name(Kind::EdgeType, rec.edge_type)?;
        groups.entry(name).or_default().observe(&r, &rec.props)?;
    }
    let mut rows = Vec::new();
    for (rel_type, seen) in groups {
        let text = V::String(type_text(std::slice::from_ref(&rel_type)));
        for (name, types, mandatory) in seen.rows() {
            rows.push(vec![text.clone(), name, types, mandatory]);
        }
    }
    Ok(rows)
}

/// `SHOW [kind] INDEXES` / `SHOW [kind] CONSTRAINTS` (`args[0]`: the kind
/// written, or null): a row per property index and unique key (a unique
/// key's index, named as the constraint, owned by it), or per unique key,
/// in Neo4j 5's columns. Every index here is a range index on one node
/// property and always online; a kind other than `ALL`, `RANGE` (indexes)
/// or `UNIQUE`, `NODE UNIQUE` (constraints) lists nothing.
pub(crate) fn show_schema(
    constraints: bool,
    args: &[V],
    access: &Access<'_, '_>,
) -> QResult<Vec<Vec<V>>> {
    let r = access.reader().ok_or_else(no_graph)?;
    let kind = match args.first() {
        Some(V::String(k)) => Some(k.as_str()),
        _ => None,
    };
    let listed = matches!(
        (constraints, kind),
        (_, None | Some("ALL")) | (false, Some("RANGE")) | (true, Some("UNIQUE" | "NODE"))
    );
    let vectors = !constraints && matches!(kind, None | Some("ALL" | "VECTOR"));
    let strings = |s: &str| V::List(vec![V::String(s.to_owned())]);
    let mut rows = Vec::new();
    let indexes = r.indexes()?;
    for (i, index) in indexes.iter().enumerate().filter(|_| listed) {
        let id = V::Int(i as i64 + 1);
        let name = V::String(index.name.clone());
        let (label, key) = (&index.label, &index.key);
        let options = |provider: &str| {
            V::Map(BTreeMap::from([
                ("indexProvider".to_owned(), V::String(provider.to_owned())),
                ("indexConfig".to_owned(), V::Map(BTreeMap::new())),
            ]))
        };
        if constraints {
            if index.unique {
                rows.push(vec![
                    id,
                    name.clone(),
                    V::String("UNIQUENESS".to_owned()),
                    V::String("NODE".to_owned()),
                    strings(label),
                    strings(key),
                    name,
                    V::Null,
                    options("range-1.0"),
                    V::String(create_statement(index)),
                ]);
            }
        } else {
            rows.push(vec![
                id,
                name.clone(),
                V::String("ONLINE".to_owned()),
                V::Float(100.0),
                V::String("RANGE".to_owned()),
                V::String("NODE".to_owned()),
                strings(label),
                strings(key),
                V::String("range-1.0".to_owned()),
                if index.unique { name } else { V::Null },
                V::Null,
                V::Null,
                V::Null,
                options("range-1.0"),
                V::String(String::new()),
                V::String(create_statement(index)),
            ]);
        }
    }
    let mut listed_before = indexes.len();
    if !constraints && matches!(kind, None | Some("ALL" | "RANGE")) {
        for (i, index) in r.declared_indexes()?.indexes.iter().enumerate() {
            rows.push(declared_index_row((indexes.len() + i) as i64 + 1, index));
            listed_before += 1;
        }
    }
    if vectors {
        rows.extend(super::vector_index::show_rows(
            access,
            listed_before as i64 + 1,
        )?);
    }
    if !constraints && matches!(kind, None | Some("ALL" | "FULLTEXT")) {
        let first = rows.len() as i64 + 1;
        rows.extend(super::fulltext::show_rows(access, first)?);
    }
    if constraints {
        rows.extend(existence_rows(&r, kind, indexes.len())?);
    }
    Ok(rows)
}

/// `SHOW CONSTRAINTS`' rows of the existence constraints that `kind`
/// asks for, numbered after the `before` rows listed ahead of them.
fn existence_rows(
    r: &crate::graph::read::Reader<'_>,
    kind: Option<&str>,
    before: usize,
) -> QResult<Vec<Vec<V>>> {
    let strings = |s: &str| V::List(vec![V::String(s.to_owned())]);
    let mut rows = Vec::new();
    for (i, rule) in r.required()?.rules.iter().enumerate() {
        let entity = if rule.relationship {
            "RELATIONSHIP"
        } else {
            "NODE"
        };
        let wanted = match kind {
            None | Some("ALL" | "EXIST" | "EXISTS" | "EXISTENCE" | "PROPERTY") => true,
            Some(k) => k == entity,
        };
        if !wanted {
            continue;
        }
        let (name, owner, key) = (&rule.name, &rule.owner_name, &rule.key_name);
        let (pattern, var) = if rule.relationship {
            (format!("()-[r:`{owner}`]-()"), "r")
        } else {
            (format!("(n:`{owner}`)"), "n")
        };
        rows.push(vec![
            V::Int((before + i) as i64 + 1),
            V::String(name.clone()),
            V::String(format!("{entity}_PROPERTY_EXISTENCE")),
            V::String(entity.to_owned()),
            strings(owner),
            strings(key),
            V::Null,
            V::Null,
            V::Map(BTreeMap::new()),
            V::String(format!(
                "CREATE CONSTRAINT `{name}` FOR {pattern} REQUIRE ({var}.`{key}`) IS NOT NULL"
            )),
        ]);
    }
    Ok(rows)
}

/// `SHOW INDEXES`' row of a range index declared but not materialised
/// (over relationship properties, or several node properties): its
/// provider says so — `relationship-scan` or `label-scan`, what a lookup
/// by its properties does.
fn declared_index_row(id: i64, index: &crate::graph::records::DeclaredIndex) -> Vec<V> {
    let strings = |items: &[String]| V::List(items.iter().map(|s| V::String(s.clone())).collect());
    let (entity, provider) = if index.relationship {
        ("RELATIONSHIP", "relationship-scan")
    } else {
        ("NODE", "label-scan")
    };
    let (name, owner) = (&index.name, &index.owner);
    let (pattern, var) = if index.relationship {
        (format!("()-[r:`{owner}`]-()"), "r")
    } else {
        (format!("(n:`{owner}`)"), "n")
    };
    let keys: Vec<String> = index.keys.iter().map(|k| format!("{var}.`{k}`")).collect();
    vec![
        V::Int(id),
        V::String(name.clone()),
        V::String("ONLINE".to_owned()),
        V::Float(100.0),
        V::String("RANGE".to_owned()),
        V::String(entity.to_owned()),
        strings(std::slice::from_ref(owner)),
        strings(&index.keys),
        V::String(provider.to_owned()),
        V::Null,
        V::Null,
        V::Null,
        V::Null,
        V::Map(BTreeMap::from([
            ("indexProvider".to_owned(), V::String(provider.to_owned())),
            ("indexConfig".to_owned(), V::Map(BTreeMap::new())),
        ])),
        V::String(String::new()),
        V::String(format!(
            "CREATE RANGE INDEX `{name}` FOR {pattern} ON ({})",
            keys.join(", ")
        )),
    ]
}

/// The statement that makes a property index or unique key again, as
/// `SHOW … YIELD createStatement` gives it.
fn create_statement(index: &crate::graph::PropertyIndex) -> String {
    let (name, label, key) = (&index.name, &index.label, &index.key);
    if index.unique {
        format!("CREATE CONSTRAINT `{name}` FOR (n:`{label}`) REQUIRE (n.`{key}`) IS UNIQUE")
    } else {
        format!("CREATE RANGE INDEX `{name}` FOR (n:`{label}`) ON (n.`{key}`)")
    }
}

/// `apoc.schema.nodes([config])`: a row per property index (`type`
/// `RANGE`) and unique key (`UNIQUENESS`) with APOC's columns: `size` is
/// the number of the label's nodes holding the property and
/// `valuesSelectivity` its distinct values over `size` (1.0 for none),
/// counted now over the snapshot; every one is `ONLINE`, 100% populated.
/// The configuration (`labels`, `excludeLabels`) is not read.
pub(crate) fn schema_nodes(access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let r = access.reader().ok_or_else(no_graph)?;
    let mut rows = Vec::new();
    for index in r.indexes()? {
        let ids = r.nodes_with_label(&index.label)?;
        let key = r.names.id(Kind::PropKey, &index.key);
        // Each value's grouping key (as DISTINCT compares values).
        let mut values: Vec<Vec<u8>> = Vec::new();
        r.each_node(&ids, &mut |_, rec| {
            if let Some(v) = key.and_then(|k| rec.prop(k)) {
                let mut bytes = Vec::new();
                super::encode(&super::graph::from_stored(v), &mut bytes);
                values.push(bytes);
            }
            Ok(())
        })?;
        let size = values.len();
        values.sort_unstable();
        values.dedup();
        let selectivity = if size == 0 {
            1.0
        } else {
            values.len() as f64 / size as f64
        };
        rows.push(vec![
            V::String(format!(":{}({})", index.label, index.key)),
            V::String(index.label),
            V::List(vec![V::String(index.key)]),
            V::String("ONLINE".to_owned()),
            V::String(if index.unique { "UNIQUENESS" } else { "RANGE" }.to_owned()),
            V::String("NO FAILURE".to_owned()),
            V::Float(100.0),
            V::Int(size as i64),
            V::Float(selectivity),
            V::String(format!(
                "name='{}', type='{}'",
                index.name,
                if index.unique { "UNIQUENESS" } else { "RANGE" }
            )),
        ]);
    }
    Ok(rows)
}

/// `apoc.meta.graphSample()` / `apoc.meta.graph()`: one row of `nodes`, a
/// map per label (`name`, `count`: its nodes), and `relationships`, a map
/// per (label, type, label) pattern (`type`, `count`, `start`, `end`: the
/// labels; `''` for nodes without one) — from the kept statistics, so
/// nothing is sampled. APOC returns virtual nodes and relationships with
/// these properties; maps carry the same keys (`x.name`, `x['count']`,
/// `apoc.any.property(x, 'type')` read them alike).
pub(crate) fn meta_graph(access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let r = access.reader().ok_or_else(no_graph)?;
    let census = r.census()?;
    let count = |n: u64| V::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let nodes = census
        .labels
        .iter()
        .map(|(label, n)| {
            V::Map(BTreeMap::from([
                ("name".to_owned(), V::String(label.clone())),
                ("count".to_owned(), count(*n)),
            ]))
        })
        .collect();
    let relationships = census
        .patterns
        .iter()
        .map(|(start, t, end, n)| {
            V::Map(BTreeMap::from([
                ("type".to_owned(), V::String(t.clone())),
                ("count".to_owned(), count(*n)),
                ("start".to_owned(), V::String(start.clone())),
                ("end".to_owned(), V::String(end.clone())),
            ]))
        })
        .collect();
    Ok(vec![vec![V::List(nodes), V::List(relationships)]])
}

/// `db.schema.visualization()`: one row of `nodes`, a map per label
/// (`name`, `indexes`: its indexed keys, `constraints`: its unique keys),
/// and `relationships`, a map per (label, type, label) pattern seen
/// (`type`, `start`, `end`). Neo4j returns virtual nodes and
/// relationships; maps carry the same names.
pub(crate) fn schema_visualization(access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let r = access.reader().ok_or_else(no_graph)?;
    let census = r.census()?;
    let indexes = r.indexes()?;
    let keys = |label: &str, unique: bool| {
        V::List(
            indexes
                .iter()
                .filter(|i| i.label == label && i.unique == unique)
                .map(|i| V::String(i.key.clone()))
                .collect(),
        )
    };
    let nodes = census
        .labels
        .iter()
        .map(|(label, _)| {
            V::Map(BTreeMap::from([
                ("name".to_owned(), V::String(label.clone())),
                ("indexes".to_owned(), keys(label, false)),
                ("constraints".to_owned(), keys(label, true)),
            ]))
        })
        .collect();
    let relationships = census
        .patterns
        .iter()
        .filter(|(start, _, end, _)| !start.is_empty() && !end.is_empty())
        .map(|(start, t, end, _)| {
            V::Map(BTreeMap::from([
                ("type".to_owned(), V::String(t.clone())),
                ("start".to_owned(), V::String(start.clone())),
                ("end".to_owned(), V::String(end.clone())),
            ]))
        })
        .collect();
    Ok(vec![vec![V::List(nodes), V::List(relationships)]])
}

/// `apoc.schema.properties.distinct(label, key)`: one row, `value`, the
/// distinct values of `key` over the nodes labelled `label` (in the order
/// first met, by node id), read from the snapshot.
pub(crate) fn distinct_values(args: &[V], access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    const PROC: &str = "apoc.schema.properties.distinct";
    let r = access.reader().ok_or_else(no_graph)?;
    let text = |i: usize| match args.get(i) {
        Some(V::String(s)) => Ok(s.clone()),
        other => Err(type_error(format!(
            "{PROC}: the label and key are strings, not {}",
            other.map_or("nothing", V::type_name)
        ))),
    };
    let (label, key) = (text(0)?, text(1)?);
    let mut values = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(k) = r.names.id(Kind::PropKey, &key) {
        let ids = r.nodes_with_label(&label)?;
        r.each_node(&ids, &mut |_, rec| {
            if let Some(v) = rec.prop(k) {
                let value = super::graph::from_stored(v);
                let mut bytes = Vec::new();
                super::encode(&value, &mut bytes);
                if seen.insert(bytes) {
                    values.push(value);
                }
            }
            Ok(())
        })?;
    }
    Ok(vec![vec![V::List(values)]])
}

/// `apoc.meta.schema([config])`: one row, `value`, APOC's map of the
/// schema, folded from the rows of `apoc.meta.data` with the same
/// configuration and sample: per label `{type: 'node', count, labels,
/// properties: {key: {type, indexed, unique, existence, array}},
/// relationships: {TYPE: {direction, count, labels, properties}}}` (a
/// type leaving the label is `'out'`, one only entering it `'in'`), per
/// relationship type `{type: 'relationship', count, properties}`;
/// `count` is the label's nodes or the type's relationships (the kept
/// statistics), a relationship entry's under a label its sampled count.
pub(crate) fn meta_schema(args: &[V], access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    let rows = meta_data(args, access)?;
    let r = access.reader().ok_or_else(no_graph)?;
    let census = r.census()?;
    let count = |n: u64| V::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let (nodes, mut rels) = fold_meta_rows(&rows);
    let mut value = BTreeMap::new();
    for (label, entity) in nodes {
        let n = census
            .labels
            .iter()
            .find(|(l, _)| *l == label)
            .map_or(0, |(_, c)| *c);
        let relationships = entity
            .relationships
            .into_iter()
            .map(|(rel_type, (direction, labels, n))| {
                let properties = V::Map(
                    rels.get(&rel_type)
                        .map_or_else(BTreeMap::new, |e| e.properties.clone()),
                );
                let entry = V::Map(BTreeMap::from([
                    ("direction".to_owned(), V::String(direction.to_owned())),
                    ("count".to_owned(), n),
                    ("labels".to_owned(), labels),
                    ("properties".to_owned(), properties),
                ]));
                (rel_type, entry)
            })
            .collect();
        let entry = BTreeMap::from([
            ("type".to_owned(), V::String("node".to_owned())),
            ("count".to_owned(), count(n)),
            (
                "labels".to_owned(),
                V::List(entity.labels.into_iter().map(V::String).collect()),
            ),
            ("properties".to_owned(), V::Map(entity.properties)),
            ("relationships".to_owned(), V::Map(relationships)),
        ]);
        value.insert(label, V::Map(entry));
    }
    for (rel_type, n) in &census.edge_types {
        let properties = rels
            .remove(rel_type)
            .map(|e| e.properties)
            .unwrap_or_default();
        let entry = BTreeMap::from([
            ("type".to_owned(), V::String("relationship".to_owned())),
            ("count".to_owned(), count(*n)),
            ("properties".to_owned(), V::Map(properties)),
        ]);
        value.entry(rel_type.clone()).or_insert(V::Map(entry));
    }
    Ok(vec![vec![V::Map(value)]])
}

/// `apoc.meta.data`'s rows as per-label and per-type entries (a type that
/// only enters a label is listed under it as `'in'`).
fn fold_meta_rows(rows: &[Vec<V>]) -> (BTreeMap<String, Entity>, BTreeMap<String, Entity>) {
    let text = |v: &V| match v {
        V::String(s) => s.clone(),
        _ => String::new(),
    };
    let strings = |v: &V| match v {
        V::List(items) => items.iter().map(text).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let mut nodes: BTreeMap<String, Entity> = BTreeMap::new();
    let mut rels: BTreeMap<String, Entity> = BTreeMap::new();
    let mut incoming: Vec<(String, String, String, V)> = Vec::new();
    for row in rows {
        let [
            label,
            property,
            n,
            unique,
            index,
            existence,
            ty,
            array,
            _,
            _,
            _,
            other,
            other_labels,
            element,
        ] = row.as_slice()
        else {
            continue;
        };
        let (label, property, ty) = (text(label), text(property), text(ty));
        let describe = || {
            V::Map(BTreeMap::from([
                ("type".to_owned(), V::String(ty.clone())),
                ("indexed".to_owned(), index.clone()),
                ("unique".to_owned(), unique.clone()),
                ("existence".to_owned(), existence.clone()),
                ("array".to_owned(), array.clone()),
            ]))
        };
        if text(element) == "relationship" {
            rels.entry(label)
                .or_default()
                .properties
                .insert(property, describe());
            continue;
        }
        let entity = nodes.entry(label.clone()).or_default();
        entity.labels.extend(strings(other_labels));
        if ty == "RELATIONSHIP" {
            let far = strings(other);
            for m in &far {
                incoming.push((m.clone(), property.clone(), label.clone(), n.clone()));
            }
            entity.relationships.insert(
                property,
                (
                    "out",
                    V::List(far.into_iter().map(V::String).collect()),
                    n.clone(),
                ),
            );
        } else {
            entity.properties.insert(property, describe());
        }
    }
    for (target, rel_type, source, n) in incoming {
        let entity = nodes.entry(target).or_default();
        entity
            .relationships
            .entry(rel_type)
            .or_insert_with(|| ("in", V::List(vec![V::String(source)]), n));
    }
    (nodes, rels)
}

/// A label's or relationship type's part of `apoc.meta.schema`.
#[derive(Default)]
struct Entity {
    labels: BTreeSet<String>,
    properties: BTreeMap<String, V>,
    /// Type → (direction, far labels, count).
    relationships: BTreeMap<String, (&'static str, V, V)>,
}
