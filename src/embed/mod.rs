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

use crate::error::{Error, Result};

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

    /// The vector of one text; an empty or blank text is
    /// [`Error::InvalidArgument`].
    fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        check_text(text)?;
        let mut vectors = embed_checked(self, &[text])?;
        Ok(vectors.pop().unwrap_or_default())
    }
}

/// Refuses a text no model can embed.
pub(crate) fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::invalid("the text is empty"));
    }
    Ok(())
}

/// [`Embedder::embed`], checked to return one vector per text.
pub(crate) fn embed_checked<E: Embedder + ?Sized>(
    embedder: &E,
    texts: &[&str],
) -> Result<Vec<Vec<f32>>> {
    let vectors = embedder.embed(texts)?;
    if vectors.len() != texts.len() {
        return Err(Error::invalid(format!(
            "the embedder {:?} returned {} vectors for {} texts",
            embedder.name(),
            vectors.len(),
            texts.len()
        )));
    }
    Ok(vectors)
}
