//! Hybrid retrieval: a full-text search and a vector search of the same
//! entities on one view (a `ReadTxn`'s snapshot, or a `WriteTxn` with its
//! own writes), fused into one ranking ([`crate::fulltext::fusion`]).
//!
//! The full-text index and the vector collection must key the same
//! things: a full-text index over nodes with a collection bound to nodes
//! (or fed by a node property), or one over relationships with a
//! collection fed by a relationship property.
//!
//! ```
//! # use quiverdb::{Database, props};
//! # use quiverdb::fulltext::FulltextConfig;
//! # use quiverdb::hybrid::HybridSearch;
//! # use quiverdb::vector::{CollectionConfig, Metric};
//! # let dir = tempfile::tempdir().unwrap();
//! # let db = Database::open(dir.path()).unwrap();
//! let mut w = db.begin_write()?;
//! let a = w.add_node(&["Doc"], props! {"text" => "rust graph engine"})?;
//! let b = w.add_node(&["Doc"], props! {"text" => "soup recipes"})?;
//! w.create_fulltext_index("text", FulltextConfig::nodes(&["Doc"], &["text"]))?;
//! w.create_collection("emb", CollectionConfig::new(2, Metric::Cosine).bound_to_nodes())?;
//! w.upsert_vector("emb", a.0, &[1.0, 0.0], props! {})?;
//! w.upsert_vector("emb", b.0, &[0.0, 1.0], props! {})?;
//! w.commit()?;
//!
//! let r = db.begin_read()?;
//! let hits = r.hybrid_search("text", "emb", "graph", Some(&[0.9, 0.1]), &HybridSearch::new(2))?;
//! assert_eq!(hits[0].id, a.0);
//! # Ok::<(), quiverdb::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::fulltext::{self, FulltextIndex, fusion};
use crate::storage::KvRead;
use crate::txn::{Database, ReadTxn, WriteTxn};
use crate::vector::{Collection, Search};

/// How two ranked lists become one.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Fusion {
    /// Reciprocal-rank fusion with constant `k` (60 is usual).
    ReciprocalRank {
        /// The constant added to each rank.
        k: f32,
    },
    /// Min-max normalised scores, weighted.
    Weighted {
        /// The full-text list's weight.
        text: f32,
        /// The vector list's weight.
        vector: f32,
    },
}

/// A hybrid search's parameters.
///
/// Filters go in [`vector_search`](Self::vector_search): its key set,
/// label and payload conditions and predicate are resolved once, on the
/// search's view, and applied inside both lists — the full-text top-k
/// skips entities they refuse as the vector walk does — so a filtered
/// hybrid search returns `limit` hits whenever `limit` entities pass the
/// filters and match either way.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HybridSearch {
    /// Hits returned.
    pub limit: usize,
    /// How deep each list is read (`None`: the larger of `limit` and 100:
    /// a deeper list anchors weighted fusion's normalisation lower, which on
    /// the Debian queries lifted its MRR@10 from 0.922 to 0.928).
    pub candidates: Option<usize>,
    /// The fusion.
    pub fusion: Fusion,
    /// The vector search's settings: its filters apply to both lists; its
    /// `ef`, recall target, exactness and score threshold to the vector
    /// list; its `k` is replaced by the lists' depth.
    pub vector: Search,
}

impl HybridSearch {
    /// The best `limit`, by reciprocal-rank fusion (k = 60).
    #[must_use]
    pub fn new(limit: usize) -> HybridSearch {
        HybridSearch {
            limit,
            candidates: None,
            fusion: Fusion::ReciprocalRank { k: 60.0 },
            vector: Search::k(0),
        }
    }

    /// The same, with the vector search's settings and filters of
    /// `search` (see [`HybridSearch::vector`]), e.g.
    /// `HybridSearch::new(10).vector_search(Search::k(0).label("Doc").payload_eq("lang", "en"))`.
    #[must_use]
    pub fn vector_search(mut self, search: Search) -> HybridSearch {
        self.vector = search;
        self
    }

    /// The same, fused by `fusion`.
    #[must_use]
    pub fn fusion(mut self, fusion: Fusion) -> HybridSearch {
        self.fusion = fusion;
        self
    }

    /// The same, each list read `n` deep.
    #[must_use]
    pub fn candidates(mut self, n: usize) -> HybridSearch {
        self.candidates = Some(n);
        self
    }

    fn depth(&self) -> usize {
        self.candidates.unwrap_or(self.limit.max(100))
    }
}

/// A fused hit.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct HybridHit {
    /// The entity's id (the collection's point key).
    pub id: u64,
    /// The fused score (higher is better).
    pub score: f32,
    /// Its rank in the full-text list (from 1), if there.
    pub text_rank: Option<usize>,
    /// Its rank in the vector list (from 1), if there.
    pub vector_rank: Option<usize>,
}

fn run(
    text_index: &FulltextIndex<'_>,
    collection: &Collection<'_>,
    text: &str,
    vector: Option<&[f32]>,
    params: &HybridSearch,
) -> Result<Vec<HybridHit>> {
    let depth = params.depth();
    let mut search = params.vector.clone();
    search.k = depth;
    // The filters, resolved once, narrow both lists.
    let admitted = collection.admitted(&search)?;
    if let Some(keys) = &admitted {
        search.keys = Some(keys.clone());
        search.label = None;
        search.payload = None;
        search.conditions.clear();
    }
    let keyword: Vec<(u64, f32)> = text_index
        .search_within(text, depth, admitted.as_deref())?
        .into_iter()
        .map(|h| (h.id, h.score))
        .collect();
    let found = match vector {
        Some(v) => collection.search(v, &search)?,
        None => collection.search_text(text, &search)?,
    };
    // Higher is better in both lists.
    let sign = if collection.config().metric.higher_is_better() {
        1.0
    } else {
        -1.0
    };
    let semantic: Vec<(u64, f32)> = found.hits.iter().map(|h| (h.key, sign * h.score)).collect();
    let fused = match params.fusion {
        Fusion::ReciprocalRank { k } => {
            let ids = |l: &[(u64, f32)]| l.iter().map(|h| h.0).collect::<Vec<_>>();
            fusion::reciprocal_rank(&[ids(&keyword), ids(&semantic)], k, params.limit)
        }
        Fusion::Weighted { text, vector } => fusion::weighted(
            &[keyword.clone(), semantic.clone()],
            &[text, vector],
            params.limit,
        ),
    };
    let rank = |l: &[(u64, f32)], id: u64| l.iter().position(|h| h.0 == id).map(|p| p + 1);
    Ok(fused
        .into_iter()
        .map(|(id, score)| HybridHit {
            id,
            score,
            text_rank: rank(&keyword, id),
            vector_rank: rank(&semantic, id),
        })
        .collect())
}

impl ReadTxn<'_> {
    /// The best `params.limit` entities for `text` in full-text index
    /// `fulltext` and for `vector` (or, `None`, `text` embedded by the
    /// collection's embedder) in `collection`, fused; on this snapshot.
    ///
    /// # Errors
    /// As the full-text and vector searches: an unknown index or
    /// collection, a query syntax error, a vector of the wrong dimension.
    pub fn hybrid_search(
        &self,
        fulltext: &str,
        collection: &str,
        text: &str,
        vector: Option<&[f32]>,
        params: &HybridSearch,
    ) -> Result<Vec<HybridHit>> {
        run(
            &self.fulltext(fulltext)?,
            &self.collection(collection)?,
            text,
            vector,
            params,
        )
    }
}

/// The full-text index over text collection `collection`'s texts.
fn text_index<'t>(kv: &'t dyn KvRead, collection: &str) -> Result<FulltextIndex<'t>> {
    fulltext::over_collection(kv, collection)?.ok_or_else(|| {
        Error::invalid(format!(
            "collection {collection:?} has no full-text index over its texts: create one with FulltextConfig::collection({collection:?})"
        ))
    })
}

impl Database {
    /// [`ReadTxn::hybrid_search_text`] on a fresh snapshot.
    ///
    /// # Errors
    /// As [`ReadTxn::hybrid_search_text`].
    pub fn hybrid_search_text(
        &self,
        collection: &str,
        text: &str,
        params: &HybridSearch,
    ) -> Result<Vec<HybridHit>> {
        self.begin_read()?
            .hybrid_search_text(collection, text, params)
    }
}

impl ReadTxn<'_> {
    /// Keyword and vector search of a text collection, fused: `text`
    /// searched in the full-text index over the collection's texts
    /// ([`FulltextConfig::collection`](crate::fulltext::FulltextConfig::collection);
    /// the first by name if several) and, embedded by the collection's
    /// model, in the collection; on this snapshot.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use quiverdb::{Database, props};
    /// # use quiverdb::fulltext::FulltextConfig;
    /// # use quiverdb::hybrid::HybridSearch;
    /// # use quiverdb::vector::{CollectionConfig, Metric, Search};
    /// # struct Model;
    /// # impl quiverdb::embed::Embedder for Model {
    /// #     fn name(&self) -> &str { "lengths" }
    /// #     fn dim(&self) -> usize { 2 }
    /// #     fn embed(&self, texts: &[&str]) -> quiverdb::Result<Vec<Vec<f32>>> {
    /// #         Ok(texts.iter().map(|t| vec![t.len() as f32, 1.0]).collect())
    /// #     }
    /// # }
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// # let model = Arc::new(Model);
    /// let mut w = db.begin_write()?;
    /// w.create_text_collection("docs", CollectionConfig::new(2, Metric::Cosine), model)?;
    /// w.create_fulltext_index("docs_text", FulltextConfig::collection("docs"))?;
    /// w.upsert_text("docs", 1, "an HTTP client for the command line", props! {"lang" => "en"})?;
    /// w.upsert_text("docs", 2, "ein HTTP-Server", props! {"lang" => "de"})?;
    /// w.commit()?;
    ///
    /// let english = HybridSearch::new(5).vector_search(Search::k(0).payload_eq("lang", "en"));
    /// let hits = db.hybrid_search_text("docs", "http", &english)?;
    /// assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [1]);
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the collection has no full-text
    /// index over its texts; otherwise as [`ReadTxn::hybrid_search`].
    pub fn hybrid_search_text(
        &self,
        collection: &str,
        text: &str,
        params: &HybridSearch,
    ) -> Result<Vec<HybridHit>> {
        run(
            &text_index(self.kv(), collection)?,
            &self.collection(collection)?,
            text,
            None,
            params,
        )
    }
}

impl WriteTxn<'_> {
    /// [`ReadTxn::hybrid_search_text`] in this transaction's view (its
    /// own writes included).
    ///
    /// # Errors
    /// As [`ReadTxn::hybrid_search_text`].
    pub fn hybrid_search_text(
        &self,
        collection: &str,
        text: &str,
        params: &HybridSearch,
    ) -> Result<Vec<HybridHit>> {
        run(
            &text_index(self.kv(), collection)?,
            &self.collection(collection)?,
            text,
            None,
            params,
        )
    }

    /// [`ReadTxn::hybrid_search`] in this transaction's view (its own
    /// writes included).
    ///
    /// # Errors
    /// As [`ReadTxn::hybrid_search`].
    pub fn hybrid_search(
        &self,
        fulltext: &str,
        collection: &str,
        text: &str,
        vector: Option<&[f32]>,
        params: &HybridSearch,
    ) -> Result<Vec<HybridHit>> {
        run(
            &self.fulltext(fulltext)?,
            &self.collection(collection)?,
            text,
            vector,
            params,
        )
    }
}
