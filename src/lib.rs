//! # QuiverDB
//!
//! An embedded vector + property-graph database: one directory, opened
//! like SQLite, holding a property graph (labelled nodes, typed edges,
//! properties) in RocksDB.
//!
//! ```
//! use quiverdb::{Database, Direction, GraphRead, props};
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
//! w.commit()?; // one atomic, durable batch
//!
//! let r = db.begin_read()?; // a consistent snapshot
//! assert_eq!(r.neighbors(ada, Direction::Out, Some("KNOWS"))?, vec![bob]);
//! assert_eq!(r.node_by_key("Person", "name", &"Bob".into())?, Some(bob));
//! # Ok(())
//! # }
//! ```
//!
//! ## Guarantees
//!
//! * A [`WriteTxn`] commits as one atomic RocksDB batch, or not at all;
//!   dropping it without `commit` leaves nothing behind.
//! * A [`ReadTxn`] sees one consistent snapshot; writers never block it.
//! * Bad input (an unknown node, a NaN property, a foreign or newer-format
//!   directory, a directory open elsewhere) is a typed [`Error`], never a
//!   panic.
//!
//! ## Graph algorithms
//!
//! Point queries ([`GraphRead::shortest_path`]) read the snapshot's
//! adjacency directly, or a current cached projection when there is one.
//! Whole-graph algorithms ([`algo`]) run on a [`algo::Projection`], an
//! in-memory CSR snapshot that [`Database::projection`] caches until the
//! next commit.
//!
//! See `docs/ARCHITECTURE.md` for the tour of the code and
//! `docs/FORMAT.md` for the on-disk format.

#![deny(unsafe_code)]

pub mod algo;
mod check;
mod db;
mod error;
mod graph;
mod ids;
pub mod import;
mod storage;
mod value;
pub mod vector;

pub use check::{CheckReport, MAX_PROBLEMS};
pub use db::{Builder, Database, Durability, ReadTxn};
pub use error::{Error, Result};
pub use graph::{Census, Edge, EdgeRef, GraphRead, IndexInfo, Node, WriteTxn};
pub use ids::{Direction, EdgeId, NodeId};
pub use value::{Props, Value};

/// The on-disk format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = storage::schema::FORMAT_VERSION;
