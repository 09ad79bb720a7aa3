//! Opening a database: the transaction core, with the data models
//! registered and wired to each other. This is the one place that names
//! them all; below it, the core knows no model and the models do not know
//! each other.

use std::path::Path;

use crate::algo::ProjectionCache;
use crate::error::Result;
use crate::graph::state::{self, GraphModel};
use crate::txn::{Builder, Database, Links, TextWatcher, Watcher};
use crate::vector::state::VectorModel;

impl Builder {
    /// Opens the database in directory `path`, creating it if allowed.
    ///
    /// Refuses, with a typed error and without writing anything: a path
    /// that is not a directory, a non-empty directory that is not a
    /// QuiverDB database ([`Error::NotADatabase`](crate::Error::NotADatabase)),
    /// a database in a newer on-disk format
    /// ([`Error::UnsupportedFormat`](crate::Error::UnsupportedFormat)), and a
    /// directory another handle has open
    /// ([`Error::Locked`](crate::Error::Locked)). An older format is
    /// upgraded in place; a bulk import that did not commit is removed.
    pub fn open(self, path: impl AsRef<Path>) -> Result<Database> {
        let links = Links {
            node_exists: state::node_exists,
            nodes_with_label: state::nodes_with_label,
            node_deleted: vec![crate::vector::node_deleted],
            adjacency_loaded: crate::algo::adjacency_loaded,
            watchers: vec![
                Watcher {
                    watches: crate::vector::watches,
                    entity_written: crate::vector::entity_written,
                },
                Watcher {
                    watches: crate::fulltext::watches,
                    entity_written: crate::fulltext::entity_written,
                },
            ],
            property_values: crate::graph::watch::property_values,
            text_watchers: vec![TextWatcher {
                watches: crate::fulltext::watches_texts,
                text_written: crate::fulltext::text_written,
                collection_dropped: crate::fulltext::collection_dropped,
            }],
            collection_texts: crate::vector::collection_texts,
        };
        let mut db = Database::open_core(path.as_ref(), &self, links, GraphModel::init)?;
        let graph = GraphModel::load(&db)?;
        db.register(graph);
        let vectors = VectorModel::load(&db)?;
        db.register(vectors);
        db.register(crate::fulltext::FulltextModel);
        db.register(ProjectionCache::new(self.stored_projections));
        db.register(crate::query::exec::columns::ColumnCache::default());
        db.register(crate::query::cache::PlanCache::default());
        Ok(db)
    }
}

#[cfg(test)]
mod power_loss;

impl Database {
    /// Opens the database in `path` with default options, creating it if
    /// the directory is missing or empty. See [`Builder::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Builder::default().open(path)
    }
}
