//! The public configuration of a collection, and the parameters and
//! results of a search. The stored forms are private (`record.rs`), so
//! these can grow without a format change.

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use super::Metric;
use super::payload::Condition;
use crate::error::{Error, Result};
use crate::{Props, Value};

/// Which HNSW implementation indexes a collection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IndexEngine {
    /// The `hnsw_rs` crate: checkpointed, reopened without re-inserting,
    /// but it keeps a second copy of every vector (for exact search and
    /// exact scores) and deletes stay tombstones until a rebuild.
    /// Collections of format 2 use it.
    HnswRs,
    /// QuiverDB's own HNSW (`src/vector/native/`, the default): flat
    /// neighbour lists, AVX-512 or AVX2/FMA distances, faster to search
    /// and build, deleted points unlinked at compaction, vectors held once
    /// and memory-mapped from the checkpoint at reopen.
    #[default]
    Native,
}

impl IndexEngine {
    /// The engine's name as the command line spells it: `native` or
    /// `hnsw-rs`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            IndexEngine::Native => "native",
            IndexEngine::HnswRs => "hnsw-rs",
        }
    }

    /// The engine called `name` (`native`, `hnsw-rs` or `hnsw_rs`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<IndexEngine> {
        match name {
            "native" => Some(IndexEngine::Native),
            "hnsw-rs" | "hnsw_rs" => Some(IndexEngine::HnswRs),
            _ => None,
        }
    }
}

/// How a collection's graph walk reads its vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Quantization {
    /// The walk reads the `f32` vectors (the default).
    #[default]
    None,
    /// The walk reads one byte per component (scalar codes with a range
    /// per dimension, learned from the vectors) and re-ranks its best
    /// candidates with the `f32` vectors: a quarter of the bytes per
    /// visited point. Needs the native engine; a graph of fewer than
    /// 1,000 points walks on the `f32` vectors until it grows.
    Int8,
    /// The walk reads one bit per component (`RaBitQ`-style codes: the
    /// signs of the randomly rotated offset from the nearest of about √n
    /// centroids, with a distance estimate and an error bound) and
    /// re-ranks its candidates with the `f32` vectors, in the order of
    /// their bounds: a thirty-second of the bytes per visited point. It
    /// suits embeddings of a few hundred dimensions or more (the Debian
    /// set's 384: recall@10 0.95 at about ef 48); with fewer dimensions
    /// the estimates are coarse and a walk needs a far larger ef (choose
    /// it with [`Search::recall`]) — prefer `Int8` there. Needs the native
    /// engine; a graph of fewer than 1,000 points walks on the `f32`
    /// vectors until it grows.
    Binary,
}

impl Quantization {
    /// The name as the command line spells it: `none`, `int8` or
    /// `binary`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::Int8 => "int8",
            Quantization::Binary => "binary",
        }
    }

    /// The quantization called `name` (`none`, `int8` or `binary`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Quantization> {
        match name {
            "none" => Some(Quantization::None),
            "int8" => Some(Quantization::Int8),
            "binary" => Some(Quantization::Binary),
            _ => None,
        }
    }
}

/// The configuration of a vector collection, fixed at creation. Build it
/// with [`CollectionConfig::new`] and the setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CollectionConfig {
    /// Number of components of every vector (1..=65,536).
    pub dim: usize,
    /// The metric.
    pub metric: Metric,
    /// HNSW: neighbours kept per node and layer (2..=256). Default 16.
    pub m: usize,
    /// HNSW: candidates explored while inserting. Default 200.
    pub ef_construction: usize,
    /// Whether point keys are graph `NodeId`s: then upserting a point for a
    /// missing node is an error, and deleting the node deletes its point in
    /// the same commit. Default false (keys are the application's own u64s).
    pub bound_to_nodes: bool,
    /// The HNSW implementation. Default [`IndexEngine::Native`].
    pub engine: IndexEngine,
    /// What the graph walk reads. Default [`Quantization::None`].
    pub quantization: Quantization,
    /// Where the points come from when the graph feeds the collection
    /// (Cypher's `CREATE VECTOR INDEX`); `None` (the default) for points
    /// the application upserts itself. See [`VectorSource`].
    pub source: Option<VectorSource>,
}

/// A property of the graph that feeds a collection: every write that
/// gives an entity of the source's label (or relationship type) a value
/// of the property, changes it, removes it, removes the label or deletes
/// the entity upserts or deletes that entity's point in the same commit.
/// The point's key is the entity's id ([`NodeId`](crate::NodeId) or
/// [`EdgeId`](crate::EdgeId)); its vector is the property's value, a list
/// of numbers of the collection's dimension — any other value (another
/// length, a string, a list holding a string) is refused at the write with
/// [`Error::InvalidArgument`] saying which entity and index, so the graph
/// and the index never disagree. Creating the collection fills it from
/// the entities already there (refused the same way if one holds a bad
/// value). Such a collection takes no points from
/// [`upsert_vector`](crate::WriteTxn::upsert_vector) or
/// [`delete_vector`](crate::WriteTxn::delete_vector): the graph is its
/// only writer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VectorSource {
    /// Property `property` of the nodes carrying `label`.
    NodeProperty {
        /// The label.
        label: String,
        /// The property key.
        property: String,
    },
    /// Property `property` of the relationships of type `edge_type`.
    EdgeProperty {
        /// The relationship type.
        edge_type: String,
        /// The property key.
        property: String,
    },
}

impl VectorSource {
    /// Property `property` of the nodes labelled `label`.
    #[must_use]
    pub fn node_property(label: &str, property: &str) -> Self {
        VectorSource::NodeProperty {
            label: label.to_owned(),
            property: property.to_owned(),
        }
    }

    /// Property `property` of the relationships of type `edge_type`.
    #[must_use]
    pub fn edge_property(edge_type: &str, property: &str) -> Self {
        VectorSource::EdgeProperty {
            edge_type: edge_type.to_owned(),
            property: property.to_owned(),
        }
    }

    /// Whether relationships (not nodes) feed it.
    #[must_use]
    pub fn on_edges(&self) -> bool {
        matches!(self, VectorSource::EdgeProperty { .. })
    }

    /// The label or relationship type.
    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            VectorSource::NodeProperty { label, .. } => label,
            VectorSource::EdgeProperty { edge_type, .. } => edge_type,
        }
    }

    /// The property key.
    #[must_use]
    pub fn property(&self) -> &str {
        match self {
            VectorSource::NodeProperty { property, .. }
            | VectorSource::EdgeProperty { property, .. } => property,
        }
    }
}

/// The largest dimension accepted.
pub const MAX_DIM: usize = 65_536;

impl CollectionConfig {
    /// `dim` components compared by `metric`, `M = 16`,
    /// `ef_construction = 200`, not bound to nodes, the native engine.
    #[must_use]
    pub fn new(dim: usize, metric: Metric) -> Self {
        CollectionConfig {
            dim,
            metric,
            m: 16,
            ef_construction: 200,
            bound_to_nodes: false,
            engine: IndexEngine::Native,
            quantization: Quantization::None,
            source: None,
        }
    }

    /// Feeds the collection from a graph property (node sources also bind
    /// the keys to nodes).
    #[must_use]
    pub fn fed_by(mut self, source: VectorSource) -> Self {
        self.bound_to_nodes = !source.on_edges();
        self.source = Some(source);
        self
    }

    /// Picks what the graph walk reads (int8 codes need the native
    /// engine).
    #[must_use]
    pub fn quantization(mut self, quantization: Quantization) -> Self {
        self.quantization = quantization;
        self
    }

    /// Picks the HNSW implementation.
    #[must_use]
    pub fn engine(mut self, engine: IndexEngine) -> Self {
        self.engine = engine;
        self
    }

    /// Sets the HNSW parameters.
    #[must_use]
    pub fn hnsw(mut self, m: usize, ef_construction: usize) -> Self {
        self.m = m;
        self.ef_construction = ef_construction;
        self
    }

    /// Binds point keys to graph nodes.
    #[must_use]
    pub fn bound_to_nodes(mut self) -> Self {
        self.bound_to_nodes = true;
        self
    }

    /// Sets the dimension.
    #[must_use]
    pub fn dim(mut self, dim: usize) -> Self {
        self.dim = dim;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.dim == 0 || self.dim > MAX_DIM {
            return Err(Error::invalid(format!(
                "dimension {} is out of range 1..={MAX_DIM}",
                self.dim
            )));
        }
        if !(2..=256).contains(&self.m) {
            return Err(Error::invalid(format!(
                "M = {} is out of range 2..=256",
                self.m
            )));
        }
        if !(1..=10_000).contains(&self.ef_construction) {
            return Err(Error::invalid(format!(
                "ef_construction = {} is out of range 1..=10000",
                self.ef_construction
            )));
        }
        if let Some(source) = &self.source {
            if source.label().is_empty() || source.property().is_empty() {
                return Err(Error::invalid(
                    "a vector source needs a label (or relationship type) and a property key",
                ));
            }
            if self.bound_to_nodes == source.on_edges() {
                return Err(Error::invalid(
                    "a collection fed by node properties is bound to nodes; one fed by relationship properties is not",
                ));
            }
        }
        if self.quantization != Quantization::None && self.engine != IndexEngine::Native {
            return Err(Error::invalid(format!(
                "{} quantization needs the native engine, not {}",
                self.quantization.name(),
                self.engine.name()
            )));
        }
        Ok(())
    }
}

/// A predicate on point payloads, for [`Search::payload`].
#[derive(Clone)]
pub struct PayloadFilter(pub(crate) Arc<dyn Fn(&Props) -> bool + Send + Sync>);

impl fmt::Debug for PayloadFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PayloadFilter(..)")
    }
}

impl PartialEq for PayloadFilter {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Parameters of a search. Start from [`Search::k`].
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    pub(crate) k: usize,
    pub(crate) ef: Option<usize>,
    pub(crate) keys: Option<Vec<u64>>,
    pub(crate) label: Option<String>,
    pub(crate) payload: Option<PayloadFilter>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) threshold: Option<f32>,
    pub(crate) exact: bool,
    pub(crate) with_payload: bool,
    pub(crate) recall: Option<f64>,
}

/// The `ef` a search names neither an `ef` nor a recall target walks
/// with (the larger of this and `k`) until its collection is calibrated
/// — after that, the calibrated `ef` for recall@10 0.95 (see
/// [`Search::ef`]); always for inner-product collections. Measured on the
/// Debian `MiniLM` embeddings (63,666 × 384, cosine, M = 16,
/// `ef_construction` = 200) over three independent builds: recall@10
/// 0.944–0.970 at ef 32 and 0.959–0.975 at ef 48 (docs/BENCHMARKS.md).
pub const DEFAULT_EF: usize = 48;

impl Search {
    /// The `k` best points.
    #[must_use]
    pub fn k(k: usize) -> Self {
        Search {
            k,
            ef: None,
            keys: None,
            label: None,
            payload: None,
            conditions: Vec::new(),
            threshold: None,
            exact: false,
            with_payload: false,
            recall: None,
        }
    }

    /// Chooses `ef` for a recall@k target instead of taking one: the
    /// smallest `ef` of the ladder 10, 16, 24, 32, 48, 64, 96, 128, 192,
    /// 256, 384, 512 whose recall@k, measured on the collection itself,
    /// reaches `target` (0 < target ≤ 1) less two standard errors of the
    /// measure (from how the queries' recalls spread) — exact search if
    /// none does. The
    /// measure (a calibration) runs at the first such search of each `k`:
    /// 100 of the collection's points, spread evenly, as queries against
    /// the others, each answered by brute force and by the walk at every
    /// `ef` of the ladder; it is kept (in checkpoints too) until a tenth
    /// of the points measured have been inserted or removed since. It costs 100 brute-force scans (about 0.5 s for 63,666 ×
    /// 384 on 2 cores). [`SearchResult::ef`] says which `ef` was used.
    /// An explicit [`ef`](Self::ef) takes precedence.
    #[must_use]
    pub fn recall(mut self, target: f64) -> Self {
        self.recall = Some(target);
        self
    }

    /// HNSW candidate list size (recall/speed trade-off). By default the
    /// collection's own: the smallest `ef` whose recall@k reaches 0.95 by
    /// the calibration [`recall`](Self::recall) uses (for this `k` if one
    /// was measured, else for k = 10; at least `k`), which every
    /// checkpoint measures again once a tenth of the points changed since
    /// the last and keeps in the checkpoint; max([`DEFAULT_EF`], k) before
    /// the first, and for inner-product collections (whose calibration
    /// asks for far more `ef` than real queries need). A search never
    /// waits for a calibration unless it asks for a recall target.
    /// [`SearchResult::ef`] says which `ef` was used.
    #[must_use]
    pub fn ef(mut self, ef: usize) -> Self {
        self.ef = Some(ef);
        self
    }

    /// Only points with these keys.
    #[must_use]
    pub fn keys(mut self, keys: impl IntoIterator<Item = u64>) -> Self {
        let mut keys: Vec<u64> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        self.keys = Some(keys);
        self
    }

    /// Only points whose node has `label` (node-bound collections only;
    /// [`Error::InvalidArgument`] otherwise). Resolved through the label
    /// index of the same transaction's view as the search.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Only points whose payload field `field` equals `value`. Integers
    /// and floats compare as numbers (`3` equals `3.0`); other types
    /// within their own type only; a point without the field never
    /// matches. With a payload index on the field
    /// ([`WriteTxn::create_payload_index`](crate::WriteTxn::create_payload_index))
    /// the admitted points are read from the index, O(matches); without
    /// one, from every point's payload. Several conditions (and
    /// [`payload`](Self::payload), [`keys`](Self::keys),
    /// [`label`](Self::label)) must all hold. A NaN value is
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) at search.
    ///
    /// ```
    /// # use quiverdb::{Database, props};
    /// # use quiverdb::vector::{CollectionConfig, Metric, Search};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path())?;
    /// let mut w = db.begin_write()?;
    /// w.create_collection("docs", CollectionConfig::new(2, Metric::Cosine))?;
    /// w.create_payload_index("docs", "lang")?;
    /// w.upsert_vector("docs", 1, &[1.0, 0.0], props! {"lang" => "en", "year" => 2021})?;
    /// w.upsert_vector("docs", 2, &[0.9, 0.1], props! {"lang" => "de", "year" => 2024})?;
    /// w.commit()?;
    /// let found = db.search("docs", &[1.0, 0.0], &Search::k(5).payload_eq("lang", "de"))?;
    /// assert_eq!(found.hits[0].key, 2);
    /// let recent = Search::k(5).payload_range("year", 2022..);
    /// assert_eq!(db.search("docs", &[1.0, 0.0], &recent)?.hits.len(), 1);
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    #[must_use]
    pub fn payload_eq(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.conditions.push(Condition::Eq {
            field: field.into(),
            value: value.into(),
        });
        self
    }

    /// Only points whose payload field `field` lies in `range` (`a..b`,
    /// `a..=b`, `a..`, `..b`; a range with no bound, or bounds of two
    /// types other than integer and float, is
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) at search).
    /// Compared as in [`payload_eq`](Self::payload_eq): numbers as
    /// numbers, strings by their UTF-8 bytes; values of another type than
    /// the bounds' never match. Read from the field's payload index when
    /// it has one.
    #[must_use]
    pub fn payload_range<V: Into<Value> + Clone>(
        mut self,
        field: impl Into<String>,
        range: impl RangeBounds<V>,
    ) -> Self {
        let value = |b: Bound<&V>| match b {
            Bound::Included(v) => Bound::Included(v.clone().into()),
            Bound::Excluded(v) => Bound::Excluded(v.clone().into()),
            Bound::Unbounded => Bound::Unbounded,
        };
        self.conditions.push(Condition::Range {
            field: field.into(),
            lo: value(range.start_bound()),
            hi: value(range.end_bound()),
        });
        self
    }

    /// Only points whose payload satisfies `predicate`. The admitted keys
    /// are found by reading the payloads of every point (or, when other
    /// filters narrow the search first, of the points they admit) in the
    /// transaction's view; then the search proceeds as with
    /// [`keys`](Self::keys). Prefer [`payload_eq`](Self::payload_eq) and
    /// [`payload_range`](Self::payload_range) on an indexed field: O(matches).
    #[must_use]
    pub fn payload(mut self, predicate: impl Fn(&Props) -> bool + Send + Sync + 'static) -> Self {
        self.payload = Some(PayloadFilter(Arc::new(predicate)));
        self
    }

    /// Only hits at least this good: a minimum similarity (cosine, dot) or
    /// a maximum distance (L2).
    #[must_use]
    pub fn threshold(mut self, score: f32) -> Self {
        self.threshold = Some(score);
        self
    }

    /// Force an exact (brute-force) search.
    #[must_use]
    pub fn exact(mut self) -> Self {
        self.exact = true;
        self
    }

    /// Each hit carries its point's payload and, in a collection that
    /// knows its text, its text ([`Hit::payload`], [`Hit::text`]): one
    /// read per hit, from the search's own view.
    #[must_use]
    pub fn with_payload(mut self) -> Self {
        self.with_payload = true;
        self
    }

    /// The recall target, if the `ef` is to be chosen by one.
    pub(crate) fn recall_target(&self) -> Result<Option<f64>> {
        match self.recall {
            Some(t) if self.ef.is_none() => {
                if t > 0.0 && t <= 1.0 {
                    Ok(Some(t))
                } else {
                    Err(Error::invalid(format!(
                        "a recall target must be in (0, 1], not {t}"
                    )))
                }
            }
            _ => Ok(None),
        }
    }
}

/// One search hit.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Hit {
    /// The point's key (a `NodeId`'s integer for node-bound collections).
    pub key: u64,
    /// Cosine similarity, inner product, or L2 distance.
    pub score: f32,
    /// The point's payload, when the search asked for it
    /// ([`Search::with_payload`]).
    pub payload: Option<Props>,
    /// The point's text, when the search asked for payloads and the
    /// collection knows its text.
    pub text: Option<String>,
}

impl Hit {
    pub(crate) fn new(key: u64, score: f32) -> Hit {
        Hit {
            key,
            score,
            payload: None,
            text: None,
        }
    }
}

/// What a batch upsert did.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct UpsertReport {
    /// Points that were new.
    pub inserted: usize,
    /// Points that replaced an existing one with the same key.
    pub updated: usize,
    /// Points refused, with their position in the batch, key and reason;
    /// nothing of them was written.
    pub rejected: Vec<RejectedPoint>,
}

/// A point refused by a batch upsert.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RejectedPoint {
    /// Its position in the batch.
    pub index: usize,
    /// Its key.
    pub key: u64,
    /// Why (the error's message).
    pub reason: String,
}

/// The hits of a search, best first, and how they were found.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SearchResult {
    /// Best first.
    pub hits: Vec<Hit>,
    /// Whether the search was exact (brute force over the matching points)
    /// rather than approximate (HNSW).
    pub exact: bool,
    /// The walk's `ef` (`None` when exact).
    pub ef: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_names_round_trip_and_unknown_names_are_refused() {
        for e in [IndexEngine::Native, IndexEngine::HnswRs] {
            assert_eq!(IndexEngine::from_name(e.name()), Some(e));
        }
        assert_eq!(IndexEngine::from_name("hnsw_rs"), Some(IndexEngine::HnswRs));
        assert_eq!(IndexEngine::from_name("faiss"), None);
    }
}
