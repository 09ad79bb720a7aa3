//! Text embeddings: texts in, unit-length vectors out.
//!
//! [`Embedder`] is what a collection that knows its text needs from a
//! model; `SentenceBert` (feature `embed`, on by default) is the built-in
//! one, running sentence-transformers BERT models (all-MiniLM-L6-v2 and its
//! kin) in pure Rust from a local model folder — it never reaches the
//! network. Without the feature, the trait stays: bring your own model.
//!
//! ```no_run
//! use quiverdb::embed::{Embedder, SentenceBert};
//! let model = SentenceBert::load("/models/all-MiniLM-L6-v2")?;
//! let vectors = model.embed(&["HTTP client library", "a web server"])?;
//! assert_eq!(vectors[0].len(), model.dim());
//! # Ok::<(), quiverdb::Error>(())
//! ```

#[cfg(feature = "embed")]
mod bert;
#[cfg(feature = "embed")]
mod encoder;

#[cfg(feature = "embed")]
pub use bert::SentenceBert;

use crate::error::Result;

/// A text-embedding model.
pub trait Embedder: Send + Sync {
    /// What identifies the model: recorded with a collection embedding
    /// with it, so that a different model is refused at reopen.
    fn name(&self) -> &str;

    /// The length of its vectors.
    fn dim(&self) -> usize;

    /// One vector per text, in order, each of length [`dim`](Self::dim)
    /// and unit length. An empty text is an error.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}
