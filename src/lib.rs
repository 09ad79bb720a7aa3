//! # QuiverDB
//!
//! An embedded vector + property-graph database: one directory, opened
//! like SQLite, holding a property graph (labelled nodes, typed edges,
//! properties) and vector collections with HNSW indexes, in RocksDB,
//! written by the same atomic transactions and read from the same
//! snapshots.
//!
//! ```
//! use quiverdb::{Database, Direction, GraphRead, props};
//! use quiverdb::vector::{CollectionConfig, Metric, Search};
//!
//! # fn main() -> quiverdb::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let db = Database::open(dir.path().join("my.qdb"))?; // created if missing
//!
//! let mut w = db.begin_write()?;
//! w.create_unique_key("Person", "name")?;
//! let ada = w.add_node(&["Person"], props! {"name" => "Ada"})?;
//! let bob = w.add_node(&["Person"], props! {"name" => "Bob"})?;
//! w.add_edge(ada, bob, "KNOWS", props! {"since" => 1843})?;
//! // A collection bound to nodes: a point's key is a node id.
//! w.create_collection("bios", CollectionConfig::new(3, Metric::Cosine).bound_to_nodes())?;
//! w.upsert_vector("bios", ada.0, &[0.9, 0.1, 0.0], props! {})?;
//! w.upsert_vector("bios", bob.0, &[0.0, 0.2, 0.9], props! {})?;
//! w.commit()?; // one atomic, durable batch
//!
//! let r = db.begin_read()?; // a consistent snapshot, vectors included
//! assert_eq!(r.neighbors(ada, Direction::Out, Some("KNOWS"))?, vec![bob]);
//! assert_eq!(r.node_by_key("Person", "name", &"Bob".into())?, Some(bob));
//! let hits = r.collection("bios")?.search(&[1.0, 0.0, 0.0], &Search::k(1))?;
//! assert_eq!(hits.hits[0].key, ada.0);
//! # Ok(())
//! # }
//! ```
//!
//! ## Guarantees
//!
//! * A [`WriteTxn`] commits as one atomic RocksDB batch, or not at all;
//!   dropping it without `commit` leaves nothing behind.
//! * A [`ReadTxn`] sees one consistent snapshot — graph reads and vector
//!   searches alike; writers never block it.
//! * Bad input (an unknown node, a NaN property, a wrong dimension, a
//!   foreign or newer-format directory, a directory open elsewhere) is a
//!   typed [`Error`], never a panic.
//!
//! ## Layers
//!
//! `storage` (RocksDB) → `txn`, the transaction core ([`Database`],
//! [`ReadTxn`], [`WriteTxn`], commit generations, bulk ingest) → the two
//! data models, siblings: the graph ([`GraphRead`] and the writes on
//! [`WriteTxn`]) and [`vector`] collections → [`algo`], [`import`] and the
//! consistency check → the `quiver` command line (the `cli` feature).
//! `docs/ARCHITECTURE.md` has the tour, `docs/FORMAT.md` the on-disk
//! format.
//!
//! ## Graph algorithms
//!
//! Point queries ([`ReadTxn::shortest_path`]) read the snapshot's
//! adjacency directly, or a current cached projection when there is one.
//! Whole-graph algorithms ([`algo`]) run on a [`algo::Projection`], an
//! in-memory CSR snapshot that [`Database::projection`] caches until the
//! next commit.
//!
//! ## Features
//!
//! * `cli` (default): the `quiver` binary and its dependencies (`clap`,
//!   `indicatif`, `anyhow`). `quiverdb = { default-features = false }`
//!   builds the library alone.
//! * `failpoints`: `quiverdb::failpoint::arm`, for crash tests;
//!   never enabled by default.
//! * `embed` (default): `quiverdb::embed`'s built-in sentence embedder
//!   (Hugging Face's tokenizers, safetensors weights, our own BERT encoder
//!   on gemm); without it the `Embedder` trait stays.
//! * `fuzzing`: `quiverdb::fuzz`, the entry points of the fuzz targets in
//!   `tests/fuzz/`; never enabled by default.

#![deny(unsafe_code)]

// Modules in layer order, lowest first (tests/layers.rs checks that none
// names a higher one).
// 0: ids, crash points, the random generator, the parallel loops.
#[cfg(feature = "failpoints")]
pub mod failpoint;
#[cfg(not(feature = "failpoints"))]
mod failpoint;
mod ids;
mod parallel;
mod rng;
// 1: the error type.
mod error;
// 2: dates, times and durations (Cypher's temporal values).
pub mod temporal;
// 3: property values.
mod value;
// 4: storage, and text embeddings (which know nothing of storage).
pub mod embed;
mod storage;
// 5: the transaction core.
mod txn;
// 6: the data models, siblings.
pub mod fulltext;
mod graph;
pub mod vector;
// 7: built on the models.
pub mod algo;
mod check;
pub mod hybrid;
pub mod import;
// 8: Cypher.
pub mod query;
// 9: the assembly.
mod open;
// 10: the Bolt server.
#[cfg(feature = "server")]
pub mod server;
// 11: fuzz entry points.
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;

pub use check::{CheckReport, MAX_PROBLEMS};
pub use error::{BoxError, Error, Result};
pub use graph::{
    Census, Edge, EdgeIds, EdgeRef, Edges, ExistenceConstraint, GraphInfo, GraphRead, Node,
    NodeIds, PropertyIndex, PropertyValues,
};
pub use ids::{Direction, EdgeId, NodeId};
pub use txn::{Builder, Database, Durability, ReadTxn, UpdateCounts, WriteTxn};
pub use value::{Props, Value};

/// The on-disk format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = storage::schema::FORMAT_VERSION;
