//! Shorthands on the database for vector work outside a transaction.

use super::record::CollectionRecord;
use super::state::VectorModel;
use super::{Search, SearchResult, VectorIndexInfo};
use crate::error::{Error, Result};
use crate::txn::Database;

impl Database {
    /// Searches the vector collection `name` for the points nearest to
    /// `query`, on a fresh snapshot: the shorthand for
    /// `db.begin_read()?.collection(name)?.search(query, params)`. For many
    /// searches, hold one [`Collection`](super::Collection) instead.
    ///
    /// ```
    /// # use quiverdb::{Database, props, vector::{CollectionConfig, Metric, Search}};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// let mut w = db.begin_write()?;
    /// w.create_collection("docs", CollectionConfig::new(3, Metric::Cosine))?;
    /// w.upsert_vector("docs", 1, &[1.0, 0.0, 0.0], props! {"title" => "x"})?;
    /// w.upsert_vector("docs", 2, &[0.0, 1.0, 0.0], props! {})?;
    /// w.commit()?;
    /// let found = db.search("docs", &[0.9, 0.1, 0.0], &Search::k(1))?;
    /// assert_eq!(found.hits[0].key, 1);
    /// assert!(found.exact); // a small collection is searched exactly
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    pub fn search(&self, name: &str, query: &[f32], params: &Search) -> Result<SearchResult> {
        self.begin_read()?.collection(name)?.search(query, params)
    }

    /// [`search`](Self::search), always by brute force (exact).
    pub fn search_exact(&self, name: &str, query: &[f32], params: &Search) -> Result<SearchResult> {
        self.search(name, query, &params.clone().exact())
    }

    /// Compacts the HNSW graph of collection `name`: reclaims what no open
    /// snapshot can see any more, then, for the native engine, reconnects
    /// the neighbours of removed points in place so no walk passes through
    /// them and gives their rows back (the rows kept are renumbered; no
    /// point is re-inserted); for `hnsw_rs`, rebuilds the graph from the
    /// points still visible. The same happens by itself once a quarter of
    /// the graph's points are reclaimed. Searches wait while it runs.
    pub fn compact_collection(&self, name: &str) -> Result<()> {
        let rec = CollectionRecord::load(self.store(), name)?;
        let horizon = self.generations().horizon();
        self.extension::<VectorModel>()
            .maintain(horizon, Some(rec.id));
        Ok(())
    }

    /// How the index of vector collection `name` stands: sizes, whether it
    /// was loaded from a checkpoint (or why it was rebuilt), and whether it
    /// changed since its last checkpoint.
    pub fn vector_index_info(&self, name: &str) -> Result<VectorIndexInfo> {
        let rec = CollectionRecord::load(self.store(), name)?;
        self.extension::<VectorModel>()
            .info(rec.id)
            .ok_or_else(|| Error::CollectionNotFound(name.to_owned()))
    }
}
