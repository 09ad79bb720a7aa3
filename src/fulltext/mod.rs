//! Full-text indexes: BM25 keyword search over node or relationship text
//! properties, answering for a transaction's snapshot as vector search
//! does.
//!
//! An index covers one or more labels (or relationship types) and one or
//! more string properties (a list of strings is indexed item by item);
//! each property is a field with its own statistics, scored apart and
//! summed, as Lucene and tantivy score several fields. Its records —
//! posting blocks, term records and statistics in the `fulltext` column
//! family — are written in the same transaction as the graph writes that
//! change the indexed text, so:
//!
//! * a search on a [`ReadTxn`] sees exactly its snapshot (later commits
//!   are invisible), and one in a [`WriteTxn`] sees that transaction's
//!   own writes;
//! * a crash loses an index change only with the write that made it;
//! * the index is derived: `quiver check` compares it with the documents
//!   the graph makes, and dropping and creating it again rebuilds it.
//!
//! Queries use Lucene's classic syntax ([`query`]); scoring is BM25
//! ([`bm25`]); a disjunction of terms is answered top-k with block-max
//! max-score pruning, other shapes by scoring every match.
//!
//! ```
//! # use quiverdb::{Database, props};
//! # use quiverdb::fulltext::{Analyzer, FulltextConfig};
//! # let dir = tempfile::tempdir().unwrap();
//! # let db = Database::open(dir.path()).unwrap();
//! let mut w = db.begin_write()?;
//! let a = w.add_node(&["Doc"], props! {"title" => "Graph databases in Rust"})?;
//! w.add_node(&["Doc"], props! {"title" => "A cookbook of soups"})?;
//! w.create_fulltext_index(
//!     "titles",
//!     FulltextConfig::nodes(&["Doc"], &["title"]).analyzer(Analyzer::English),
//! )?;
//! w.commit()?;
//!
//! let r = db.begin_read()?;
//! let hits = r.fulltext("titles")?.search("database OR rusty", 10)?;
//! assert_eq!(hits[0].id, a.0);
//! # Ok::<(), quiverdb::Error>(())
//! ```

mod analyzer;
mod block;
pub mod bm25;
mod bulk;
pub mod fusion;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
mod index;
mod keys;
pub mod query;
mod search;
mod state;
mod verify;

pub use analyzer::{Analyzer, Token, stop_words};
pub use search::FulltextHit;

pub(crate) use state::{
    FulltextModel, collection_dropped, entity_written, text_written, watches, watches_texts,
};
pub(crate) use verify::verify;

use crate::error::{Error, Result};
use crate::storage::KvRead;
use crate::txn::{ReadTxn, WriteTxn};

/// What a full-text index covers and how it reads text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FulltextConfig {
    /// Over relationships (of the types in `labels`) instead of nodes.
    pub relationships: bool,
    /// Over the texts of this text collection instead of the graph (a
    /// document's id is its point's key; one field, `text`).
    pub collection: Option<String>,
    /// The labels (relationship types) whose entities are indexed: an
    /// entity with any of them is.
    pub labels: Vec<String>,
    /// The properties indexed, each a field.
    pub properties: Vec<String>,
    /// How text becomes terms.
    pub analyzer: Analyzer,
}

impl FulltextConfig {
    /// An index over the nodes with any of `labels`, on `properties`,
    /// with the default analyzer.
    #[must_use]
    pub fn nodes(labels: &[&str], properties: &[&str]) -> FulltextConfig {
        FulltextConfig {
            relationships: false,
            collection: None,
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            properties: properties.iter().map(|s| (*s).to_owned()).collect(),
            analyzer: Analyzer::default(),
        }
    }

    /// An index over the relationships of any of `types`, on
    /// `properties`, with the default analyzer.
    #[must_use]
    pub fn relationships(types: &[&str], properties: &[&str]) -> FulltextConfig {
        FulltextConfig {
            relationships: true,
            ..FulltextConfig::nodes(types, properties)
        }
    }

    /// An index over the texts of text collection `collection` (one
    /// created with an embedder), with the default analyzer: a document
    /// is a point, its id the point's key, its one field `text`. It
    /// follows the collection's upserts and deletes in their commits, and
    /// [`crate::hybrid`] fuses it with the collection's vector search.
    #[must_use]
    pub fn collection(collection: &str) -> FulltextConfig {
        FulltextConfig {
            relationships: false,
            collection: Some(collection.to_owned()),
            labels: Vec::new(),
            properties: vec!["text".to_owned()],
            analyzer: Analyzer::default(),
        }
    }

    /// The same, with `analyzer`.
    #[must_use]
    pub fn analyzer(mut self, analyzer: Analyzer) -> FulltextConfig {
        self.analyzer = analyzer;
        self
    }
}

/// A full-text index's name, configuration and size.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FulltextIndexInfo {
    /// Its name.
    pub name: String,
    /// What it covers.
    pub config: FulltextConfig,
    /// The entities it holds (those with a label of it and text in one of
    /// its properties).
    pub documents: u64,
}

/// An index as stored: its id and configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Definition {
    pub id: u32,
    pub name: String,
    pub relationships: bool,
    pub collection: Option<String>,
    pub labels: Vec<String>,
    pub properties: Vec<String>,
    pub analyzer: Analyzer,
}

impl Definition {
    fn config(&self) -> FulltextConfig {
        FulltextConfig {
            relationships: self.relationships,
            collection: self.collection.clone(),
            labels: self.labels.clone(),
            properties: self.properties.clone(),
            analyzer: self.analyzer,
        }
    }
}

/// A full-text index as one transaction sees it, from
/// [`ReadTxn::fulltext`] or [`WriteTxn::fulltext`].
pub struct FulltextIndex<'t> {
    kv: &'t dyn KvRead,
    def: Definition,
}

impl FulltextIndex<'_> {
    /// The `k` best entities for `query` (Lucene syntax), best first
    /// (ties by id), with their BM25 scores.
    ///
    /// # Errors
    /// [`Error::FulltextQuery`] for a query that is not valid syntax,
    /// with the position; storage errors.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<FulltextHit>> {
        self.search_page(query, 0, k)
    }

    /// The hits ranked `skip + 1` to `skip + limit`.
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub fn search_page(&self, query: &str, skip: usize, limit: usize) -> Result<Vec<FulltextHit>> {
        let parsed = query::parse(query)?;
        search::run(self.kv, &self.def, &parsed, skip, limit, None)
    }

    /// The `k` best entities for `query` among `admit` (sorted ids),
    /// filtered inside the top-k (so `k` come back when `k` match).
    pub(crate) fn search_within(
        &self,
        query: &str,
        k: usize,
        admit: Option<&[u64]>,
    ) -> Result<Vec<FulltextHit>> {
        let parsed = query::parse(query)?;
        search::run(self.kv, &self.def, &parsed, 0, k, admit)
    }

    /// The collection whose texts the index holds, if it is over one.
    #[must_use]
    pub fn collection(&self) -> Option<&str> {
        self.def.collection.as_deref()
    }

    /// The index's name, configuration and size in this view.
    ///
    /// # Errors
    /// Storage errors.
    pub fn info(&self) -> Result<FulltextIndexInfo> {
        state::info(self.kv, &self.def)
    }
}

impl ReadTxn<'_> {
    /// The full-text index `name` as this snapshot sees it.
    ///
    /// # Errors
    /// [`Error::FulltextIndexNotFound`]; storage errors.
    pub fn fulltext(&self, name: &str) -> Result<FulltextIndex<'_>> {
        handle(self.kv(), name)
    }

    /// Every full-text index of this snapshot, by name.
    ///
    /// # Errors
    /// Storage errors.
    pub fn fulltext_indexes(&self) -> Result<Vec<FulltextIndexInfo>> {
        state::infos(self.kv())
    }
}

impl WriteTxn<'_> {
    /// The full-text index `name` as this transaction sees it (its own
    /// writes included).
    ///
    /// # Errors
    /// [`Error::FulltextIndexNotFound`]; storage errors.
    pub fn fulltext(&self, name: &str) -> Result<FulltextIndex<'_>> {
        handle(self.kv(), name)
    }

    /// Every full-text index in this transaction's view, by name.
    ///
    /// # Errors
    /// Storage errors.
    pub fn fulltext_indexes(&self) -> Result<Vec<FulltextIndexInfo>> {
        state::infos(self.kv())
    }
}

/// The first index (by name) over collection `collection`'s texts, in a
/// view.
pub(crate) fn over_collection<'t>(
    kv: &'t dyn KvRead,
    collection: &str,
) -> Result<Option<FulltextIndex<'t>>> {
    let mut defs: Vec<Definition> = state::definitions(kv)?
        .into_iter()
        .filter(|d| d.collection.as_deref() == Some(collection))
        .collect();
    defs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(defs.into_iter().next().map(|def| FulltextIndex { kv, def }))
}

fn handle<'t>(kv: &'t dyn KvRead, name: &str) -> Result<FulltextIndex<'t>> {
    let def = state::definitions(kv)?
        .into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| Error::FulltextIndexNotFound(name.to_owned()))?;
    Ok(FulltextIndex { kv, def })
}
