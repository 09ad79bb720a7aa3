//! The `fulltext` column family's keys. Every key starts with the index
//! id (u32 BE) and a kind byte:
//!
//! * `'S'` → the index's statistics: documents u64 · per field, its
//!   tokens u64 (BE).
//! * `'D'` · doc u64 → the document's field lengths, u32 BE each (every
//!   document of the index, for `*:*` and the checker).
//! * `'T'` · field u8 · term → the term's record in that field: document
//!   frequency u32 · greatest frequency u32 · least norm u8 (the last two
//!   bound its scores; kept as bounds, not lowered by deletes).
//! * `'P'` · field u8 · term length u16 · term · last doc u64 → a posting
//!   block ([`super::block`]); the last block of a term is keyed
//!   `u64::MAX`, so a document is always in the first block whose key is
//!   at least its id.

use crate::error::{Error, Result};

pub(crate) const STATS: u8 = b'S';
pub(crate) const DOC: u8 = b'D';
pub(crate) const TERM: u8 = b'T';
pub(crate) const POSTINGS: u8 = b'P';

/// The last block's key suffix.
pub(crate) const OPEN_BLOCK: u64 = u64::MAX;

/// Every key of index `index`.
pub(crate) fn index_prefix(index: u32) -> Vec<u8> {
    index.to_be_bytes().to_vec()
}

pub(crate) fn stats_key(index: u32) -> Vec<u8> {
    let mut k = index_prefix(index);
    k.push(STATS);
    k
}

/// Every document's key.
pub(crate) fn docs_prefix(index: u32) -> Vec<u8> {
    let mut k = index_prefix(index);
    k.push(DOC);
    k
}

pub(crate) fn doc_key(index: u32, doc: u64) -> Vec<u8> {
    let mut k = docs_prefix(index);
    k.extend_from_slice(&doc.to_be_bytes());
    k
}

/// A document's record: its field lengths.
pub(crate) fn doc_value(lengths: impl Iterator<Item = u32>) -> Vec<u8> {
    lengths.flat_map(u32::to_be_bytes).collect()
}

/// The term record of `term` in `field` (the records of `field` whose
/// term starts with `term`, as a prefix).
pub(crate) fn term_key(index: u32, field: u8, term: &str) -> Vec<u8> {
    let mut k = index_prefix(index);
    k.push(TERM);
    k.push(field);
    k.extend_from_slice(term.as_bytes());
    k
}

/// The term of a term record's key.
pub(crate) fn term_of(key: &[u8]) -> Result<&str> {
    key.get(6..)
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| Error::corruption("a full-text term key is damaged"))
}

/// The posting blocks of `term` in `field`.
pub(crate) fn postings_prefix(index: u32, field: u8, term: &str) -> Vec<u8> {
    let mut k = index_prefix(index);
    k.push(POSTINGS);
    k.push(field);
    let len = u16::try_from(term.len()).unwrap_or(u16::MAX);
    k.extend_from_slice(&len.to_be_bytes());
    k.extend_from_slice(&term.as_bytes()[..usize::from(len)]);
    k
}

pub(crate) fn block_key(prefix: &[u8], last_doc: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 8);
    k.extend_from_slice(prefix);
    k.extend_from_slice(&last_doc.to_be_bytes());
    k
}

/// A term's record: document frequency and score bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TermInfo {
    pub df: u32,
    pub max_tf: u32,
    pub min_norm: u8,
}

impl TermInfo {
    pub(crate) fn encode(self) -> [u8; 9] {
        let mut out = [0u8; 9];
        out[..4].copy_from_slice(&self.df.to_be_bytes());
        out[4..8].copy_from_slice(&self.max_tf.to_be_bytes());
        out[8] = self.min_norm;
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<TermInfo> {
        let bad = || Error::corruption("a full-text term record is damaged");
        if bytes.len() != 9 {
            return Err(bad());
        }
        let df = crate::storage::keys::read_u32(bytes, 0)?;
        let max_tf = crate::storage::keys::read_u32(bytes, 4)?;
        if df == 0 || max_tf == 0 {
            return Err(bad());
        }
        Ok(TermInfo {
            df,
            max_tf,
            min_norm: bytes[8],
        })
    }
}

/// An index's statistics: its documents, and each field's tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub docs: u64,
    pub tokens: Vec<u64>,
}

impl Stats {
    pub(crate) fn empty(fields: usize) -> Stats {
        Stats {
            docs: 0,
            tokens: vec![0; fields],
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 * (1 + self.tokens.len()));
        out.extend_from_slice(&self.docs.to_be_bytes());
        for t in &self.tokens {
            out.extend_from_slice(&t.to_be_bytes());
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8], fields: usize) -> Result<Stats> {
        if bytes.len() != 8 * (1 + fields) {
            return Err(Error::corruption(
                "a full-text index's statistics record is damaged",
            ));
        }
        let read = |i: usize| crate::storage::keys::read_u64(bytes, 8 * i);
        Ok(Stats {
            docs: read(0)?,
            tokens: (1..=fields).map(read).collect::<Result<_>>()?,
        })
    }

    /// The average length of field `f` (at least a token: an empty
    /// index scores nothing anyway).
    pub(crate) fn average(&self, f: usize) -> f32 {
        if self.docs == 0 {
            return 1.0;
        }
        let avg = self.tokens.get(f).copied().unwrap_or(0) as f32 / self.docs as f32;
        if avg > 0.0 { avg } else { 1.0 }
    }
}
