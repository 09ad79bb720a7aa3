//! Collection handles: a vector collection as one transaction sees it.

use std::sync::Arc;

use parking_lot::RwLock;

use super::index::{TopK, VectorIndex, Visibility};
use super::record::{CollectionRecord, StoredPoint, decode_payload, decode_point, point_key};
use super::state::{Delta, VectorModel, VectorTxn};
use super::{CollectionConfig, Search, SearchResult};
use crate::Props;
use crate::error::{Error, Result};
use crate::storage::keys::read_u64;
use crate::storage::{Cf, KvRead, Pages};
use crate::txn::{Database, ReadTxn, WriteTxn};

/// A stored point.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Point {
    /// Its key.
    pub key: u64,
    /// The vector as indexed (normalised, for a cosine collection).
    pub vector: Vec<f32>,
    /// Its payload properties.
    pub payload: Props,
    /// Its text, in a collection that knows its text.
    pub text: Option<String>,
}

impl From<StoredPoint> for Point {
    fn from(p: StoredPoint) -> Self {
        Point {
            key: p.key,
            vector: p.vector,
            payload: p.payload,
            text: p.text,
        }
    }
}

/// A collection's name, configuration and size.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CollectionInfo {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub config: CollectionConfig,
    /// Live points.
    pub count: u64,
    /// The embedder's name, for a collection that knows its text.
    pub text_model: Option<String>,
    /// The payload fields with an index
    /// ([`WriteTxn::create_payload_index`]), in the order declared.
    pub payload_indexes: Vec<String>,
}

/// A vector collection as one transaction sees it, from
/// [`ReadTxn::collection`] or [`WriteTxn::collection`]: its points, its
/// count and its searches all answer for that transaction's view.
///
/// On a read transaction, a search sees exactly the snapshot: points
/// committed later are invisible, and points deleted or updated later are
/// still found, with their old vectors, until the snapshot is dropped. In
/// a write transaction, it sees the transaction's own upserts and deletes.
///
/// ```
/// # use quiverdb::{Database, props, vector::{CollectionConfig, Metric, Search}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// w.create_collection("docs", CollectionConfig::new(2, Metric::Cosine))?;
/// w.upsert_vector("docs", 1, &[1.0, 0.0], props! {})?;
/// w.commit()?;
///
/// let r = db.begin_read()?; // a snapshot: key 1 only
/// let mut w = db.begin_write()?;
/// w.upsert_vector("docs", 2, &[0.9, 0.1], props! {})?;
/// w.delete_vector("docs", 1)?;
/// // The writer sees its own changes...
/// let mine = w.collection("docs")?.search(&[1.0, 0.0], &Search::k(5))?;
/// assert_eq!(mine.hits.iter().map(|h| h.key).collect::<Vec<_>>(), [2]);
/// w.commit()?;
/// // ...the older snapshot still sees key 1, and never key 2.
/// let old = r.collection("docs")?.search(&[1.0, 0.0], &Search::k(5))?;
/// assert_eq!(old.hits.iter().map(|h| h.key).collect::<Vec<_>>(), [1]);
/// # Ok::<(), quiverdb::Error>(())
/// ```
pub struct Collection<'t> {
    db: &'t Database,
    kv: &'t dyn KvRead,
    name: String,
    rec: CollectionRecord,
    config: CollectionConfig,
    /// `None` for a collection created by the transaction itself.
    index: Option<Arc<RwLock<VectorIndex>>>,
    generation: u64,
    /// The transaction's own changes to this collection.
    pending: Option<&'t Delta>,
}

impl<'t> Collection<'t> {
    fn open(
        db: &'t Database,
        kv: &'t dyn KvRead,
        name: &str,
        generation: u64,
        txn: Option<&'t VectorTxn>,
    ) -> Result<Collection<'t>> {
        let rec = CollectionRecord::load(kv, name)?;
        let model = db.extension::<VectorModel>();
        // The index holds every commit up to this view's (the newest one
        // may still be being applied).
        model.wait_applied(generation);
        let pending = txn.and_then(|t| t.delta(rec.id));
        let index = model.get(rec.id);
        if index.is_none() && pending.is_none_or(|d| d.created.is_none()) {
            return Err(Error::corruption(format!(
                "collection {name:?} has no index in memory"
            )));
        }
        Ok(Collection {
            db,
            kv,
            name: name.to_owned(),
            config: rec.config(),
            rec,
            index,
            generation,
            pending,
        })
    }

    /// The collection's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The collection's configuration.
    #[must_use]
    pub fn config(&self) -> &CollectionConfig {
        &self.config
    }

    /// The number of points.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.rec.count
    }

    /// The point `key`, or `None`.
    pub fn get(&self, key: u64) -> Result<Option<Point>> {
        Ok(self.stored(key)?.map(Point::from))
    }

    /// The stored point `key`, or `None`.
    fn stored(&self, key: u64) -> Result<Option<StoredPoint>> {
        self.stored_bytes(key)?
            .map(|bytes| decode_point(&bytes, self.config.dim))
            .transpose()
    }

    /// The `vectors` value of point `key`, or `None`.
    fn stored_bytes(&self, key: u64) -> Result<Option<Vec<u8>>> {
        let Some(slot) = self.kv.get(Cf::VectorKeys, &point_key(self.rec.id, key))? else {
            return Ok(None);
        };
        let slot = read_u64(&slot, 0)?;
        let bytes = self
            .kv
            .get(Cf::Vectors, &point_key(self.rec.id, slot))?
            .ok_or_else(|| {
                Error::corruption(format!(
                    "point {key} of {:?} maps to a missing slot",
                    self.name
                ))
            })?;
        Ok(Some(bytes))
    }

    /// Whether point `key` exists.
    pub fn contains(&self, key: u64) -> Result<bool> {
        Ok(self
            .kv
            .get(Cf::VectorKeys, &point_key(self.rec.id, key))?
            .is_some())
    }

    /// Every point, in the order they were written (oldest first), read
    /// lazily a page at a time.
    #[must_use]
    pub fn iter(&self) -> Points<'t> {
        Points {
            pages: Pages::prefix(self.kv, Cf::Vectors, &self.rec.id.to_be_bytes()),
            dim: self.config.dim,
        }
    }

    /// The points nearest to `query` under `params` (see [`Search`]).
    ///
    /// Fails with [`Error::DimensionMismatch`] for a query of the wrong
    /// length, and [`Error::InvalidArgument`] for a non-finite query, a
    /// zero query under cosine, or a label filter on a collection not
    /// bound to nodes.
    pub fn search(&self, query: &[f32], params: &Search) -> Result<SearchResult> {
        let q = self.config.metric.prepare(self.config.dim, query)?;
        if params.k == 0 {
            return Ok(SearchResult {
                hits: Vec::new(),
                exact: true,
                ef: None,
            });
        }
        let keys = self.admitted(params)?;
        let admits = |key: u64| keys.as_ref().is_none_or(|k| k.binary_search(&key).is_ok());
        let metric = self.config.metric;
        let mut result = if let Some(index) = &self.index {
            let extra: Vec<(f32, u64)> = self
                .pending
                .into_iter()
                .flat_map(|d| &d.inserts)
                .filter(|p| admits(p.1))
                .map(|(_, key, v)| (metric.distance(&q, v), *key))
                .collect();
            let visible = Visibility {
                generation: self.generation,
                hidden: self.pending.map(|d| &d.removed),
            };
            let index = index.read();
            let ef = match params.recall_target()? {
                Some(target) => index.ef_for_recall(params.k, target),
                None => Some(
                    params
                        .ef
                        .map_or_else(|| index.default_ef(params.k), |ef| ef.max(params.k)),
                ),
            };
            index.search(
                &q,
                params.k,
                ef.unwrap_or(params.k),
                params.exact || ef.is_none(),
                keys.as_deref(),
                visible,
                &extra,
            )
        } else {
            // Created by this transaction: every point is pending.
            let mut top = TopK::new(params.k);
            for (_, key, v) in self.pending.into_iter().flat_map(|d| &d.inserts) {
                if admits(*key) {
                    top.push(metric.distance(&q, v), *key);
                }
            }
            SearchResult {
                hits: top.hits(&self.config),
                exact: true,
                ef: None,
            }
        };
        if let Some(t) = params.threshold {
            result.hits.retain(|h| metric.passes(h.score, t));
        }
        if params.with_payload {
            for hit in &mut result.hits {
                let point = self.stored(hit.key)?.ok_or_else(|| {
                    Error::corruption(format!(
                        "search hit {} of {:?} has no stored point",
                        hit.key, self.name
                    ))
                })?;
                hit.payload = Some(point.payload);
                hit.text = point.text;
            }
        }
        Ok(result)
    }

    /// The database.
    pub(super) fn db(&self) -> &'t Database {
        self.db
    }

    /// The collection's record as this view holds it.
    pub(super) fn record(&self) -> &CollectionRecord {
        &self.rec
    }

    /// [`search`](Self::search), always by brute force (exact).
    pub fn search_exact(&self, query: &[f32], params: &Search) -> Result<SearchResult> {
        self.search(query, &params.clone().exact())
    }

    /// The keys a search's filters admit (its key set, its label, its
    /// payload conditions and predicate, intersected), sorted; `None` when
    /// unfiltered. Indexed payload conditions are read from their
    /// indexes; the other payload filters then read the payloads of the
    /// keys admitted so far, or of every point when nothing narrowed yet.
    pub(crate) fn admitted(&self, params: &Search) -> Result<Option<Vec<u64>>> {
        let mut keys = params.keys.clone();
        if let Some(label) = &params.label {
            // Keyed by node ids: bound to nodes, or fed by a node property.
            let nodes =
                self.config.bound_to_nodes || self.rec.source.as_ref().is_some_and(|s| !s.edges);
            if !nodes {
                return Err(Error::invalid(format!(
                    "collection {:?} is not keyed by nodes: it cannot be filtered by label",
                    self.name
                )));
            }
            let nodes = (self.db.links().nodes_with_label)(self.db, self.kv, label)?;
            narrow(&mut keys, nodes.into_iter().map(|n| n.0).collect());
        }
        let mut unindexed = Vec::new();
        for condition in &params.conditions {
            condition.validate()?;
            if !self
                .rec
                .payload_indexes
                .iter()
                .any(|f| f == condition.field())
            {
                unindexed.push(condition.matcher());
                continue;
            }
            let found = condition.lookup(self.rec.id, &mut |start, end, visit| {
                self.kv
                    .scan_range(Cf::PayloadIndex, start, end, &mut |k, _| {
                        visit(k)?;
                        Ok(true)
                    })
            })?;
            narrow(&mut keys, found);
        }
        let predicate = params.payload.as_ref();
        if unindexed.is_empty() && predicate.is_none() {
            return Ok(keys);
        }
        let admits = |payload: &Props| {
            unindexed.iter().all(|c| c.matches(payload)) && predicate.is_none_or(|p| (p.0)(payload))
        };
        // Payloads only: the vectors are not decoded.
        let dim = self.config.dim;
        let mut admitted = Vec::new();
        if let Some(candidates) = &keys {
            for &key in candidates {
                if let Some(bytes) = self.stored_bytes(key)?
                    && admits(&decode_payload(&bytes, dim)?.1)
                {
                    admitted.push(key);
                }
            }
        } else {
            let mut pages = Pages::prefix(self.kv, Cf::Vectors, &self.rec.id.to_be_bytes());
            while let Some(entry) = pages.next_entry() {
                let (key, payload) = decode_payload(entry?.1, dim)?;
                if admits(&payload) {
                    admitted.push(key);
                }
            }
            admitted.sort_unstable();
        }
        Ok(Some(admitted))
    }
}

/// Narrows the sorted key set `keys` (`None`: every key) to the sorted
/// `found`.
fn narrow(keys: &mut Option<Vec<u64>>, found: Vec<u64>) {
    *keys = Some(match keys.take() {
        Some(k) => k
            .into_iter()
            .filter(|x| found.binary_search(x).is_ok())
            .collect(),
        None => found,
    });
}

impl<'t> IntoIterator for &Collection<'t> {
    type Item = Result<Point>;
    type IntoIter = Points<'t>;

    fn into_iter(self) -> Points<'t> {
        self.iter()
    }
}

/// The points of a collection, from [`Collection::iter`].
pub struct Points<'t> {
    pages: Pages<'t>,
    dim: usize,
}

impl Iterator for Points<'_> {
    type Item = Result<Point>;

    fn next(&mut self) -> Option<Result<Point>> {
        let dim = self.dim;
        let entry = self.pages.next_entry()?;
        Some(entry.and_then(|(_, v)| Ok(decode_point(v, dim)?.into())))
    }
}

/// The collections of a view.
fn infos(kv: &dyn KvRead) -> Result<Vec<CollectionInfo>> {
    Ok(CollectionRecord::all(kv)?
        .into_iter()
        .map(|(name, rec)| CollectionInfo {
            name,
            config: rec.config(),
            count: rec.count,
            text_model: rec.text_model,
            payload_indexes: rec.payload_indexes,
        })
        .collect())
}

impl ReadTxn<'_> {
    /// The vector collection `name` as this snapshot holds it, or
    /// [`Error::CollectionNotFound`].
    pub fn collection(&self, name: &str) -> Result<Collection<'_>> {
        Collection::open(self.db(), self.kv(), name, self.generation(), None)
    }

    /// The vector collections.
    pub fn collections(&self) -> Result<Vec<CollectionInfo>> {
        infos(self.kv())
    }
}

impl WriteTxn<'_> {
    /// The vector collection `name` as this transaction sees it (with its
    /// own uncommitted changes), or [`Error::CollectionNotFound`].
    pub fn collection(&self, name: &str) -> Result<Collection<'_>> {
        let generation = self.db().generations().published();
        Collection::open(
            self.db(),
            self.kv(),
            name,
            generation,
            self.part::<VectorTxn>(),
        )
    }

    /// The vector collections, as this transaction sees them.
    pub fn collections(&self) -> Result<Vec<CollectionInfo>> {
        infos(self.kv())
    }
}
