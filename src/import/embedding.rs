//! Embedding a node column during an import: each node row's text in the
//! column is kept, embedded before the graph commits (so a failing model
//! leaves the database as it was), and stored with its vector in a
//! node-bound collection that knows its text.

use std::sync::Arc;

use super::{Parsed, RowError};
use crate::embed::{Embedder, embed_checked};
use crate::error::{Error, Result};
use crate::vector::CollectionConfig;
use crate::{Database, NodeId, Props, Value};

/// Texts per call of the embedder (and per progress step).
const EMBED_CHUNK: usize = 256;

/// Points per write transaction when storing them.
const STORE_BATCH: usize = 20_000;

/// One `--embed-column`: where the texts come from and go.
pub(super) struct TextJob {
    pub column: String,
    pub collection: String,
    pub config: CollectionConfig,
    pub embedder: Arc<dyn Embedder>,
    /// The node rows' texts, with their nodes.
    pub rows: Vec<(NodeId, String)>,
    /// Their vectors, once embedded.
    pub vectors: Vec<Vec<f32>>,
}

impl TextJob {
    /// The text of a node row's column: `None` when the row has none
    /// (missing, null or blank); a value that is not a string is a bad
    /// row.
    pub fn text_of(&self, props: &Props) -> Parsed<Option<String>> {
        match props.get(&self.column) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(RowError::new(format!(
                "column {:?} holds {other}, not a text to embed",
                self.column
            ))),
        }
    }

    /// Checks that collection `collection` can take this job's texts: it
    /// is missing, or knows its text with the same model.
    pub fn check_collection(&self, db: &Database) -> Result<()> {
        let r = db.begin_read()?;
        let Some(existing) = r
            .collections()?
            .into_iter()
            .find(|c| c.name == self.collection)
        else {
            return Ok(());
        };
        match existing.text_model {
            Some(_) => db.attach_embedder(&self.collection, Arc::clone(&self.embedder)),
            None => Err(Error::invalid(format!(
                "collection {:?} exists and holds vectors, not texts: embed into a new collection",
                self.collection
            ))),
        }
    }

    /// Embeds every kept text, calling `step(done, total)` after each
    /// chunk.
    pub fn embed(&mut self, mut step: impl FnMut(u64, u64)) -> Result<()> {
        let total = self.rows.len() as u64;
        self.vectors = Vec::with_capacity(self.rows.len());
        for chunk in self.rows.chunks(EMBED_CHUNK) {
            let texts: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
            self.vectors.extend(embed_checked(&*self.embedder, &texts)?);
            step(self.vectors.len() as u64, total);
        }
        Ok(())
    }

    /// Stores the embedded texts (after the graph committed), creating
    /// the collection if `create`.
    pub fn store(&self, db: &Database, create: bool, mut step: impl FnMut(u64, u64)) -> Result<()> {
        if create {
            let mut w = db.begin_write()?;
            w.create_text_collection(
                &self.collection,
                self.config.clone(),
                Arc::clone(&self.embedder),
            )?;
            w.commit()?;
        }
        let total = self.rows.len() as u64;
        let mut done = 0;
        for (rows, vectors) in self
            .rows
            .chunks(STORE_BATCH)
            .zip(self.vectors.chunks(STORE_BATCH))
        {
            let mut w = db.begin_write()?;
            w.upsert_embedded(
                &self.collection,
                rows.iter()
                    .zip(vectors)
                    .map(|((node, text), v)| (node.0, text.as_str(), v.as_slice())),
            )?;
            w.commit()?;
            done += rows.len() as u64;
            step(done, total);
        }
        Ok(())
    }
}
