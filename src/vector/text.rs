//! Collections that know their text: created with an [`Embedder`], they
//! take texts (embedded in-process, stored with their point) and answer
//! searches by text.
//!
//! The collection's record holds the embedder's name; the embedder itself
//! lives in the process and is attached to the collection by
//! [`WriteTxn::create_text_collection`] or, after a reopen,
//! [`Database::attach_embedder`] — which refuses a model with another
//! name. Each use checks the attached model against the record again.

use std::sync::Arc;

use super::collection::Collection;
use super::record::CollectionRecord;
use super::state::VectorModel;
use super::{CollectionConfig, RejectedPoint, Search, SearchResult, UpsertReport};
use crate::Props;
use crate::embed::{Embedder, check_text, embed_checked};
use crate::error::{Error, Result};
use crate::txn::{Database, WriteTxn};

/// Texts embedded per call of the embedder by a batch upsert: enough for
/// the embedder to sort them into length buckets, few enough to keep the
/// vectors of one call small.
const EMBED_BATCH: usize = 256;

/// The text model collection `name` (record `rec`) was created with.
fn text_model<'r>(name: &str, rec: &'r CollectionRecord) -> Result<&'r str> {
    rec.text_model.as_deref().ok_or_else(|| {
        Error::invalid(format!(
            "collection {name:?} was created without an embedder: it holds vectors, not texts"
        ))
    })
}

/// The embedder attached to collection `name` (record `rec`), checked
/// against the record.
fn embedder_of(db: &Database, name: &str, rec: &CollectionRecord) -> Result<Arc<dyn Embedder>> {
    let model = text_model(name, rec)?;
    let embedder = db
        .extension::<VectorModel>()
        .embedder(rec.id)
        .ok_or_else(|| Error::EmbedderMissing {
            collection: name.to_owned(),
            model: model.to_owned(),
        })?;
    check_model(name, rec, &*embedder)?;
    Ok(embedder)
}

/// Whether `embedder` is the model collection `name` was created with.
fn check_model(name: &str, rec: &CollectionRecord, embedder: &dyn Embedder) -> Result<()> {
    let model = text_model(name, rec)?;
    if model == embedder.name() && rec.config().dim == embedder.dim() {
        return Ok(());
    }
    Err(Error::EmbedderMismatch {
        collection: name.to_owned(),
        recorded: model.to_owned(),
        given: embedder.name().to_owned(),
    })
}

impl Database {
    /// Attaches `embedder` to collection `name`, which was created with a
    /// model of the same name ([`Embedder::name`]) and dimension — needed
    /// once per process (after each open) before the collection takes or
    /// searches texts. Another model is [`Error::EmbedderMismatch`]: the
    /// vectors it makes would not be comparable with the stored ones.
    pub fn attach_embedder(&self, name: &str, embedder: Arc<dyn Embedder>) -> Result<()> {
        let rec = CollectionRecord::load(self.begin_read()?.kv(), name)?;
        check_model(name, &rec, &*embedder)?;
        self.extension::<VectorModel>().attach(rec.id, embedder);
        Ok(())
    }

    /// Embeds `text` and searches collection `name` with it, on a fresh
    /// snapshot: the shorthand for
    /// `db.begin_read()?.collection(name)?.search_text(text, params)`.
    pub fn search_text(&self, name: &str, text: &str, params: &Search) -> Result<SearchResult> {
        self.begin_read()?
            .collection(name)?
            .search_text(text, params)
    }
}

impl WriteTxn<'_> {
    /// Creates collection `name` knowing its text: its points come from
    /// [`upsert_text`](Self::upsert_text), embedded by `embedder`, whose
    /// name is recorded (a reopened database takes the same model back
    /// with [`Database::attach_embedder`]). `config`'s dimension must be
    /// the embedder's.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use quiverdb::{Database, props, embed::SentenceBert, vector::{CollectionConfig, Metric, Search}};
    /// # let db = Database::open("/tmp/db")?;
    /// let model = Arc::new(SentenceBert::load("/models/all-MiniLM-L6-v2")?);
    /// let mut w = db.begin_write()?;
    /// w.create_text_collection("docs", CollectionConfig::new(384, Metric::Cosine), model)?;
    /// w.upsert_text("docs", 1, "a command-line HTTP client", props! {"name" => "curl"})?;
    /// w.commit()?;
    /// let found = db.search_text("docs", "download files from the web", &Search::k(5).with_payload())?;
    /// println!("{:?}", found.hits[0].text);
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    pub fn create_text_collection(
        &mut self,
        name: &str,
        config: CollectionConfig,
        embedder: Arc<dyn Embedder>,
    ) -> Result<()> {
        if config.dim != embedder.dim() {
            return Err(Error::DimensionMismatch {
                expected: config.dim,
                found: embedder.dim(),
            });
        }
        if embedder.name().is_empty() {
            return Err(Error::invalid("an embedder's name must not be empty"));
        }
        let id = self.create(name, config, Some(embedder.name().to_owned()))?;
        self.db().extension::<VectorModel>().attach(id, embedder);
        Ok(())
    }

    /// Embeds `text` and inserts or replaces the point `key` of collection
    /// `name` with it: the text, its vector and `payload` are written
    /// together, in this transaction. Returns whether the point was new.
    /// An empty text is [`Error::InvalidArgument`]; a text longer than the
    /// model reads is truncated (as sentence-transformers does).
    pub fn upsert_text(
        &mut self,
        name: &str,
        key: u64,
        text: &str,
        payload: Props,
    ) -> Result<bool> {
        let rec = CollectionRecord::load(self.kv(), name)?;
        let embedder = embedder_of(self.db(), name, &rec)?;
        let vector = embedder.embed_one(text)?;
        self.put_point(name, rec, key, &vector, payload, Some(text))
    }

    /// [`upsert_text`](Self::upsert_text) for many points, embedded in
    /// batches (by length, on every core). A point that fails validation
    /// (empty text, NaN payload, missing node) is rejected and reported,
    /// the others go in. A failing model or storage aborts the whole call.
    pub fn upsert_texts<'s>(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = (u64, &'s str, Props)>,
    ) -> Result<UpsertReport> {
        let rec = CollectionRecord::load(self.kv(), name)?;
        let embedder = embedder_of(self.db(), name, &rec)?;
        let mut report = UpsertReport::default();
        let mut points = points.into_iter().enumerate().peekable();
        while points.peek().is_some() {
            let mut batch = Vec::with_capacity(EMBED_BATCH);
            for (index, (key, text, payload)) in points.by_ref() {
                match check_text(text) {
                    Ok(()) => batch.push((index, key, text, payload)),
                    Err(e) => report.rejected.push(RejectedPoint {
                        index,
                        key,
                        reason: e.to_string(),
                    }),
                }
                if batch.len() == EMBED_BATCH {
                    break;
                }
            }
            let texts: Vec<&str> = batch.iter().map(|p| p.2).collect();
            let vectors = embed_checked(&*embedder, &texts)?;
            for ((index, key, text, payload), vector) in batch.into_iter().zip(vectors) {
                let rec = CollectionRecord::load(self.kv(), name)?;
                match self.put_point(name, rec, key, &vector, payload, Some(text)) {
                    Ok(true) => report.inserted += 1,
                    Ok(false) => report.updated += 1,
                    Err(e @ (Error::InvalidArgument(_) | Error::NodeNotFound(_))) => {
                        report.rejected.push(RejectedPoint {
                            index,
                            key,
                            reason: e.to_string(),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        report.rejected.sort_by_key(|r| r.index);
        Ok(report)
    }
}

impl Collection<'_> {
    /// Embeds `text` with the collection's model and searches with it
    /// (see [`search`](Self::search)); with
    /// [`Search::with_payload`], each hit carries its stored text and
    /// payload.
    pub fn search_text(&self, text: &str, params: &Search) -> Result<SearchResult> {
        let embedder = embedder_of(self.db(), self.name(), self.record())?;
        self.search(&embedder.embed_one(text)?, params)
    }
}

impl WriteTxn<'_> {
    /// Stores points whose texts were embedded already, by the model of
    /// collection `name` (the importer embeds before its graph commits).
    /// Any invalid point fails the call.
    pub(crate) fn upsert_embedded<'s>(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = (u64, &'s str, &'s [f32])>,
    ) -> Result<()> {
        let rec = CollectionRecord::load(self.kv(), name)?;
        embedder_of(self.db(), name, &rec)?;
        for (key, text, vector) in points {
            check_text(text)?;
            let rec = CollectionRecord::load(self.kv(), name)?;
            self.put_point(name, rec, key, vector, Props::new(), Some(text))?;
        }
        Ok(())
    }
}
