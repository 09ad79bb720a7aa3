//! Vector collections — one of the two data models over the transaction
//! core: points `(key, vector, payload)` stored in RocksDB, indexed in
//! memory by an HNSW graph that is derived from RocksDB and rebuilt from
//! it.
//!
//! * Writes are methods of [`WriteTxn`](crate::WriteTxn)
//!   ([`create_collection`](crate::WriteTxn::create_collection),
//!   [`upsert_vector`](crate::WriteTxn::upsert_vector),
//!   [`delete_vector`](crate::WriteTxn::delete_vector)), in the same atomic
//!   batch as graph changes; the index is updated once the batch is
//!   durable (`write.rs`, `state.rs`).
//! * Reads and searches go through a [`Collection`] handle from either
//!   transaction ([`ReadTxn::collection`](crate::ReadTxn::collection),
//!   [`WriteTxn::collection`](crate::WriteTxn::collection)): a search on a
//!   read transaction answers for exactly its snapshot — every index row
//!   carries the commit generations that created and removed it — and a
//!   search in a write transaction sees its own upserts and deletes.
//!   [`Database::search`](crate::Database::search) is the shorthand on a
//!   fresh snapshot.
//! * The metric's maths is in one place (`metric.rs`); the HNSW engines
//!   sit behind one trait (`engine.rs`): QuiverDB's own (`native/`, the
//!   default) and `hnsw_rs` (`hnsw_rs.rs`).
//! * Filters: an explicit key set, a label (node-bound collections; the
//!   graph answers through the core's links), payload conditions
//!   (equality and ranges, read from a payload index when the field has
//!   one — `payload.rs` — else from the payloads), a payload predicate
//!   (reads payloads), a score threshold. The admitted points restrict the
//!   walk; very selective filters search exactly; a result says whether
//!   it was exact.
//! * Checkpoints ([`Database::checkpoint`](crate::Database::checkpoint),
//!   close and drop) dump every changed graph next to the database with a
//!   verified envelope; open loads it and replays later points from
//!   RocksDB, or rebuilds when the checkpoint is missing or damaged —
//!   never fails because of it (`checkpoint.rs`).

mod checkpoint;
mod collection;
mod config;
mod db;
mod engine;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
mod hnsw_rs;
mod index;
mod metric;
mod native;
pub(crate) mod payload;
pub(crate) mod record;
mod simd;
pub(crate) mod source;
pub(crate) mod state;
mod text;
mod write;

pub use collection::{Collection, CollectionInfo, Point, Points};
pub use config::{
    CollectionConfig, DEFAULT_EF, Hit, IndexEngine, MAX_DIM, PayloadFilter, Quantization,
    RejectedPoint, Search, SearchResult, UpsertReport, VectorSource,
};
pub use index::REBUILD_DEAD_FRACTION;
pub use metric::Metric;
pub use simd::{SIMD_ENV, describe as kernels};
pub(crate) use source::{entity_written, watches};
pub(crate) use write::{collection_texts, node_deleted};

/// How a collection's index stands: see
/// [`Database::vector_index_info`](crate::Database::vector_index_info).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VectorIndexInfo {
    /// Live points.
    pub points: usize,
    /// Points in the HNSW graph, removed ones included.
    pub graph_points: usize,
    /// Whether the graph was loaded from a checkpoint at open.
    pub from_checkpoint: bool,
    /// Points replayed from storage on top of the checkpoint.
    pub replayed: usize,
    /// Why the graph was built instead of loaded (`None` if loaded).
    pub built_because: Option<String>,
    /// Whether the graph changed since its last checkpoint.
    pub dirty: bool,
    /// Bytes of memory the index holds (graph, vectors, key tables), or
    /// `None` for the `hnsw_rs` engine, whose graph does not tell.
    pub memory_bytes: Option<u64>,
    /// Bytes of vectors mapped from the checkpoint instead (native engine):
    /// in the page cache, read on demand, not counted above.
    pub mapped_bytes: u64,
    /// Bytes a search's walk reads (native engine; `None` for `hnsw_rs`):
    /// the neighbour lists, plus the codes of a quantised walk or else the
    /// vectors (held or mapped). A quantised walk reads the vectors only
    /// to re-rank its best candidates, so they may stay cold; labels, the
    /// key table and row versions are read per result, per write.
    pub walk_bytes: Option<u64>,
    /// The `ef` a search of k = 10 walks with when it names none (see
    /// [`Search::ef`]).
    pub default_ef: usize,
    /// Whether that `ef` comes from a calibration of the collection
    /// (else it is [`DEFAULT_EF`]).
    pub calibrated: bool,
}
