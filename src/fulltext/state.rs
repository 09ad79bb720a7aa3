//! The full-text model: index definitions (`meta/fulltext`), the part it
//! keeps in a write transaction, and how it follows graph writes.

use std::any::Any;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::bulk;
use super::index::{self, Doc};
use super::keys::{self, Stats};
use super::{Analyzer, Definition, FulltextConfig, FulltextIndexInfo};
use crate::error::{Error, Result};
use crate::storage::schema::meta;
use crate::storage::{Cf, Changes, KvRead, codec};
use crate::txn::{Database, Extension, TextWritten, TxnPart, WriteTxn, Written};

/// `meta/fulltext`: every index, the next id, and (format 13 on) the
/// indexes over a text collection's texts, by id.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Record {
    next_id: u32,
    indexes: Vec<DefinitionRecord>,
    collections: Vec<(u32, String)>,
}

/// [`Record`] as format 12 stored it: the same without `collections`, so
/// its bytes are a strict prefix of the newer layout's and neither
/// decodes as the other.
#[derive(Deserialize)]
struct Record12 {
    next_id: u32,
    indexes: Vec<DefinitionRecord>,
}

/// One index as stored (names, not ids: the analyzer by its name).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct DefinitionRecord {
    id: u32,
    name: String,
    relationships: bool,
    labels: Vec<String>,
    properties: Vec<String>,
    analyzer: String,
}

fn load(kv: &dyn KvRead) -> Result<Record> {
    let Some(bytes) = kv.get(Cf::Meta, meta::FULLTEXT)? else {
        return Ok(Record::default());
    };
    codec::decode(&bytes, "full-text index definitions").or_else(|e| {
        let older: Record12 =
            codec::decode(&bytes, "full-text index definitions").map_err(|_| e)?;
        Ok(Record {
            next_id: older.next_id,
            indexes: older.indexes,
            collections: Vec::new(),
        })
    })
}

/// The indexes of a view.
pub(crate) fn definitions(kv: &dyn KvRead) -> Result<Vec<Definition>> {
    let record = load(kv)?;
    let collection = |id: u32| {
        record
            .collections
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.1.clone())
    };
    record
        .indexes
        .iter()
        .cloned()
        .map(|r| {
            Ok(Definition {
                id: r.id,
                name: r.name,
                collection: collection(r.id),
                relationships: r.relationships,
                labels: r.labels,
                properties: r.properties,
                analyzer: Analyzer::from_name(&r.analyzer).map_err(|_| {
                    Error::corruption(format!(
                        "full-text index definitions name an unknown analyzer {:?}",
                        r.analyzer
                    ))
                })?,
            })
        })
        .collect()
}

/// An index's information in a view.
pub(crate) fn info(kv: &dyn KvRead, def: &Definition) -> Result<FulltextIndexInfo> {
    let documents = match kv.get(Cf::Fulltext, &keys::stats_key(def.id))? {
        Some(bytes) => Stats::decode(&bytes, def.properties.len())?.docs,
        None => 0,
    };
    Ok(FulltextIndexInfo {
        name: def.name.clone(),
        config: def.config(),
        documents,
    })
}

/// Every index's information in a view, by name.
pub(crate) fn infos(kv: &dyn KvRead) -> Result<Vec<FulltextIndexInfo>> {
    let mut out = definitions(kv)?
        .iter()
        .map(|d| info(kv, d))
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The model's state for the life of a database: nothing but a marker
/// that it is registered (definitions are read from each view, so a
/// snapshot sees its own).
#[derive(Default)]
pub(crate) struct FulltextModel;

impl Extension for FulltextModel {
    fn begin_write(&self, txn: &WriteTxn<'_>) -> Result<Option<Box<dyn TxnPart>>> {
        Ok(Some(Box::new(FulltextTxn {
            defs: Arc::new(definitions(txn.kv())?),
        })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The indexes as a write transaction sees them.
pub(crate) struct FulltextTxn {
    defs: Arc<Vec<Definition>>,
}

impl TxnPart for FulltextTxn {
    fn save(&self, _db: &Database) -> Box<dyn Any + Send + Sync> {
        Box::new(Arc::clone(&self.defs))
    }

    fn restore(&mut self, saved: Box<dyn Any + Send + Sync>, _db: &Database) {
        if let Ok(defs) = saved.downcast::<Arc<Vec<Definition>>>() {
            self.defs = *defs;
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// [`Links`](crate::txn::Links)' `watches` for full-text indexes: whether
/// one reads nodes (`edges` false) or relationships, and property `key`
/// when given.
pub(crate) fn watches(txn: &WriteTxn<'_>, edges: bool, key: Option<&str>) -> bool {
    txn.part::<FulltextTxn>().is_some_and(|p| {
        p.defs.iter().any(|d| {
            d.collection.is_none()
                && d.relationships == edges
                && key.is_none_or(|k| d.properties.iter().any(|p| p == k))
        })
    })
}

/// [`Links`](crate::txn::Links)' `entity_written`: brings every index the
/// write concerns up to the entity's new text (nothing to check first:
/// any value is accepted, text or not).
pub(crate) fn entity_written(txn: &mut WriteTxn<'_>, w: &Written<'_>, apply: bool) -> Result<()> {
    if !apply {
        return Ok(());
    }
    let Some(defs) = txn.part::<FulltextTxn>().map(|p| Arc::clone(&p.defs)) else {
        return Ok(());
    };
    for def in defs
        .iter()
        .filter(|d| d.collection.is_none() && d.relationships == w.edge)
    {
        let before = w.before.and_then(|v| index::texts(def, v));
        let after = w.after.and_then(|v| index::texts(def, v));
        if before == after {
            continue;
        }
        let old = before.map(|t| index::analyse(def, &t));
        let new = after.map(|t| index::analyse(def, &t));
        index::update(txn, def, w.id, old.as_ref(), new.as_ref())?;
    }
    Ok(())
}

/// [`Links`](crate::txn::Links)' text watcher: whether an index reads
/// collection `collection`'s texts.
pub(crate) fn watches_texts(txn: &WriteTxn<'_>, collection: &str) -> bool {
    txn.part::<FulltextTxn>().is_some_and(|p| {
        p.defs
            .iter()
            .any(|d| d.collection.as_deref() == Some(collection))
    })
}

/// [`Links`](crate::txn::Links)' text watcher: brings every index over the
/// point's collection up to its new text.
pub(crate) fn text_written(txn: &mut WriteTxn<'_>, w: &TextWritten<'_>) -> Result<()> {
    let Some(defs) = txn.part::<FulltextTxn>().map(|p| Arc::clone(&p.defs)) else {
        return Ok(());
    };
    let texts = |t: Option<&str>| t.map(|t| vec![vec![t.to_owned()]]);
    for def in defs
        .iter()
        .filter(|d| d.collection.as_deref() == Some(w.collection))
    {
        let old = texts(w.before).map(|t| index::analyse(def, &t));
        let new = texts(w.after).map(|t| index::analyse(def, &t));
        index::update(txn, def, w.key, old.as_ref(), new.as_ref())?;
    }
    Ok(())
}

/// [`Links`](crate::txn::Links)' text watcher: empties every index over
/// the dropped collection (their definitions stay, and follow a
/// collection of the same name if one is created).
pub(crate) fn collection_dropped(txn: &mut WriteTxn<'_>, collection: &str) -> Result<()> {
    let Some(defs) = txn.part::<FulltextTxn>().map(|p| Arc::clone(&p.defs)) else {
        return Ok(());
    };
    for def in defs
        .iter()
        .filter(|d| d.collection.as_deref() == Some(collection))
    {
        index::clear(txn, def.id)?;
    }
    Ok(())
}

impl WriteTxn<'_> {
    /// Creates full-text index `name` and fills it from the graph in bulk;
    /// returns the number of entities it holds. Searchable in this
    /// transaction at once, by others once it commits.
    ///
    /// # Errors
    /// [`Error::FulltextIndexExists`]; [`Error::InvalidArgument`] for no
    /// label or property, an empty name, or more than 255 properties;
    /// storage errors.
    pub fn create_fulltext_index(&mut self, name: &str, config: FulltextConfig) -> Result<u64> {
        self.create_fulltext_index_with(name, config, &mut |_, _| {})
    }

    /// [`create_fulltext_index`](Self::create_fulltext_index), calling
    /// `progress(analysed, total)` as the existing entities are analysed.
    ///
    /// # Errors
    /// As [`create_fulltext_index`](Self::create_fulltext_index).
    pub fn create_fulltext_index_with(
        &mut self,
        name: &str,
        config: FulltextConfig,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        if name.is_empty() {
            return Err(Error::invalid("a full-text index needs a name"));
        }
        if let Some(collection) = &config.collection {
            if !config.labels.is_empty() || config.relationships {
                return Err(Error::invalid(format!(
                    "full-text index {name}: an index over collection {collection:?}'s texts names no label or relationship type"
                )));
            }
        } else if config.labels.is_empty() || config.labels.iter().any(String::is_empty) {
            return Err(Error::invalid(format!(
                "full-text index {name}: name at least one {}",
                if config.relationships {
                    "relationship type"
                } else {
                    "label"
                }
            )));
        }
        if config.properties.is_empty() || config.properties.len() > 255 {
            return Err(Error::invalid(format!(
                "full-text index {name}: index between 1 and 255 properties, not {}",
                config.properties.len()
            )));
        }
        let mut record = load(self.kv())?;
        if record.indexes.iter().any(|d| d.name == name) {
            return Err(Error::FulltextIndexExists(name.to_owned()));
        }
        let def = Definition {
            id: record.next_id,
            name: name.to_owned(),
            relationships: config.relationships,
            collection: config.collection,
            labels: dedup(config.labels),
            properties: dedup(config.properties),
            analyzer: config.analyzer,
        };
        let texts = texts(self.db(), self.kv(), &def, false)?;
        let count = bulk::build(self.changes(), &def, &texts, progress);
        record.next_id += 1;
        if let Some(collection) = &def.collection {
            record.collections.push((def.id, collection.clone()));
        }
        record.indexes.push(DefinitionRecord {
            id: def.id,
            name: def.name.clone(),
            relationships: def.relationships,
            labels: def.labels.clone(),
            properties: def.properties.clone(),
            analyzer: def.analyzer.name().to_owned(),
        });
        store(self.changes(), &record)?;
        self.with_part(|_, part: &mut FulltextTxn| {
            let mut defs = (*part.defs).clone();
            defs.push(def);
            part.defs = Arc::new(defs);
            Ok(())
        })?;
        self.count().indexes_added += 1;
        Ok(count)
    }

    /// Drops full-text index `name` and its records; returns whether it
    /// existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn drop_fulltext_index(&mut self, name: &str) -> Result<bool> {
        let mut record = load(self.kv())?;
        let Some(at) = record.indexes.iter().position(|d| d.name == name) else {
            return Ok(false);
        };
        let gone = record.indexes.remove(at);
        record.collections.retain(|c| c.0 != gone.id);
        index::clear(self, gone.id)?;
        store(self.changes(), &record)?;
        self.with_part(|_, part: &mut FulltextTxn| {
            let defs = part
                .defs
                .iter()
                .filter(|d| d.id != gone.id)
                .cloned()
                .collect();
            part.defs = Arc::new(defs);
            Ok(())
        })?;
        self.count().indexes_removed += 1;
        Ok(true)
    }
}

fn store(changes: &mut Changes, record: &Record) -> Result<()> {
    changes.put(Cf::Meta, meta::FULLTEXT, codec::encode(record)?);
    Ok(())
}

fn dedup(mut names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// The documents the graph (or, for an index over a collection's texts,
/// the collection) makes for `def` now, in id order, analysed on every
/// core (`quiver check` compares them with the index). A missing
/// collection makes none.
pub(crate) fn existing_documents(
    db: &Database,
    kv: &dyn KvRead,
    def: &Definition,
) -> Result<Vec<(u64, Doc)>> {
    let texts = texts(db, kv, def, true)?;
    let mut docs = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(4096) {
        let analysed = crate::parallel::map(chunk.len(), |i| index::analyse(def, &chunk[i].1));
        docs.extend(chunk.iter().map(|(id, _)| *id).zip(analysed));
    }
    Ok(docs)
}

/// The texts of the entities (or points) `def` covers in a view, per
/// property, in id order.
fn texts(
    db: &Database,
    kv: &dyn KvRead,
    def: &Definition,
    missing_ok: bool,
) -> Result<Vec<(u64, Vec<Vec<String>>)>> {
    use std::collections::BTreeMap;
    let values = db.links().property_values;
    let fields = def.properties.len();
    let mut texts: BTreeMap<u64, Vec<Vec<String>>> = BTreeMap::new();
    if let Some(collection) = &def.collection {
        let found = (db.links().collection_texts)(db, kv, collection, &mut |key, text| {
            texts.insert(key, vec![vec![text.to_owned()]]);
            Ok(())
        });
        match found {
            Err(Error::CollectionNotFound(_)) if missing_ok => {}
            other => other?,
        }
    }
    for label in &def.labels {
        for (f, key) in def.properties.iter().enumerate() {
            values(db, kv, def.relationships, label, key, &mut |id, value| {
                let items = index::items(value);
                if !items.is_empty() {
                    let slot = texts.entry(id).or_insert_with(|| vec![Vec::new(); fields]);
                    slot[f] = items;
                }
                Ok(())
            })?;
        }
    }
    Ok(texts.into_iter().collect())
}
