//! The built-in embedder: a sentence-transformers BERT model (the encoder
//! in `encoder.rs`, the `tokenizers` crate for `WordPiece`), computed as
//! sentence-transformers computes it: the tokenizer's normalisation, the
//! text truncated to the model's `max_seq_length` tokens (special tokens
//! included), BERT's last hidden layer, the mean over the tokens of the
//! attention mask, L2 normalisation.
//!
//! A model folder holds `config.json` (BERT's shape), `tokenizer.json`,
//! `model.safetensors` (fp32, f16 or bf16 weights, computed in f32),
//! `sentence_bert_config.json` (`max_seq_length`) and, optionally,
//! `1_Pooling/config.json`, which must ask for mean pooling. Texts are
//! embedded in batches of similar length, the batches spread over every
//! core.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::Embedder;
use super::encoder::{Config, Encoder};
use crate::error::{Error, Result};
use crate::parallel;

/// The most texts in one forward pass. Batches are cut from the texts
/// sorted by length, so little is padding.
const BATCH: usize = 32;

/// The most tokens in one forward pass: enough rows for efficient matrix
/// products, few enough that a batch's buffers stay in cache.
const BATCH_TOKENS: usize = 1024;

/// A loaded sentence-transformers BERT model.
pub struct SentenceBert {
    model: Encoder,
    tokenizer: Tokenizer,
    max_tokens: usize,
    dim: usize,
    name: String,
    dir: PathBuf,
}

#[derive(Deserialize)]
struct SentenceConfig {
    max_seq_length: usize,
}

/// `1_Pooling/config.json`: which poolings are on (the file's own shape).
#[derive(Deserialize)]
#[allow(clippy::struct_excessive_bools, reason = "the file's layout")]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

/// The error for `file` of a model folder.
fn bad(file: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Model {
        path: file.to_owned(),
        reason: reason.to_string(),
    }
}

/// Reads and parses the JSON file `name` of `dir`.
fn json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<T> {
    let path = dir.join(name);
    let text =
        std::fs::read_to_string(&path).map_err(|e| bad(&path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| bad(&path, format!("malformed: {e}")))
}

impl SentenceBert {
    /// Loads the model in folder `dir`. A missing or malformed file, a
    /// tokenizer or weights that do not fit the configuration, or a
    /// pooling other than the mean is [`Error::Model`] naming the file.
    pub fn load(dir: impl AsRef<Path>) -> Result<SentenceBert> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(bad(dir, "not a folder"));
        }
        let config: Config = json(dir, "config.json")?;
        let sentence: SentenceConfig = json(dir, "sentence_bert_config.json")?;
        let pooling_file = dir.join("1_Pooling").join("config.json");
        if pooling_file.exists() {
            let p: PoolingConfig = json(dir, "1_Pooling/config.json")?;
            if !p.pooling_mode_mean_tokens
                || p.pooling_mode_cls_token
                || p.pooling_mode_max_tokens
                || p.pooling_mode_mean_sqrt_len_tokens
            {
                return Err(bad(
                    &pooling_file,
                    "only mean pooling (pooling_mode_mean_tokens alone) is supported",
                ));
            }
        }
        let max_tokens = sentence.max_seq_length.min(config.max_position_embeddings);
        if max_tokens < 3 {
            return Err(bad(
                &dir.join("sentence_bert_config.json"),
                format!(
                    "max_seq_length {} leaves no room for text",
                    sentence.max_seq_length
                ),
            ));
        }
        let tokenizer_file = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_file)
            .map_err(|e| bad(&tokenizer_file, format!("cannot load: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| bad(&tokenizer_file, e))?;
        tokenizer.with_padding(None);
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > config.vocab_size {
            return Err(bad(
                &tokenizer_file,
                format!(
                    "the tokenizer knows {vocab} tokens, the model's config.json {}",
                    config.vocab_size
                ),
            ));
        }
        let weights_file = dir.join("model.safetensors");
        let weights = std::fs::read(&weights_file)
            .map_err(|e| bad(&weights_file, format!("cannot read: {e}")))?;
        let identity = crc32fast::hash(&weights);
        let model = Encoder::load(&config, &weights, &weights_file)?;
        let folder = dir
            .file_name()
            .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned());
        Ok(SentenceBert {
            model,
            tokenizer,
            max_tokens,
            dim: config.hidden_size,
            name: format!(
                "{folder} (sentence-bert, {}-d, weights crc32 {identity:08x})",
                config.hidden_size
            ),
            dir: dir.to_owned(),
        })
    }

    /// The most tokens of a text the model reads (special tokens
    /// included); longer texts are truncated to them.
    #[must_use]
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The tokens of `text`, special tokens included, before truncation.
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        let mut untruncated = self.tokenizer.clone();
        untruncated
            .with_truncation(None)
            .map_err(|e| bad(&self.dir, e))?;
        let encoding = untruncated
            .encode(text, true)
            .map_err(|e| bad(&self.dir, format!("cannot tokenize: {e}")))?;
        Ok(encoding.len())
    }

    /// [`Embedder::embed`], also saying which texts were truncated (their
    /// indexes).
    pub fn embed_reporting(&self, texts: &[&str]) -> Result<(Vec<Vec<f32>>, Vec<usize>)> {
        if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
            return Err(Error::invalid(format!("text {i} is empty")));
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| bad(&self.dir, format!("cannot tokenize: {e}")))?;
        let truncated = encodings
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.get_overflowing().is_empty())
            .map(|(i, _)| i)
            .collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        let mut batches = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len()
                && end - start < BATCH
                && (end + 1 - start) * encodings[order[end]].len() <= BATCH_TOKENS
            {
                end += 1;
            }
            batches.push(&order[start..end]);
            start = end;
        }
        // The batches, spread over every core (each runs single-threaded
        // matrix products: small matrices gain nothing from splitting).
        let done = Mutex::new(&mut out);
        parallel::for_each(
            0..batches.len(),
            1,
            || (),
            |(), b| {
                let batch = batches[b];
                let ids: Vec<&[u32]> = batch.iter().map(|&i| encodings[i].get_ids()).collect();
                let vectors = self.model.embed(&ids);
                let mut out = done.lock();
                for (&i, v) in batch.iter().zip(vectors) {
                    out[i] = v;
                }
            },
        );
        Ok((out, truncated))
    }
}

impl Embedder for SentenceBert {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed_reporting(texts)?.0)
    }
}
