//! Building a whole index at once (a new index over existing data): the
//! documents' texts analysed on every core a chunk at a time, each term's
//! postings gathered into flat arrays (no per-document maps, no per-posting
//! allocation), then written as term records and blocks of
//! [`BULK_BLOCK`] documents in key order.
//!
//! It writes exactly what [`super::index::analyse`] and the incremental
//! path would: `quiver check` compares the two.

use rustc_hash::FxHashMap;

use super::Definition;
use super::block::{self, BULK_BLOCK};
use super::bm25::norm_id;
use super::index::MAX_TERM;
use super::keys::{self, OPEN_BLOCK, Stats, TermInfo};
use crate::storage::{Cf, Changes};

/// Documents analysed between progress reports.
const CHUNK: usize = 8192;

/// One term's postings in one field, in document order, flat.
#[derive(Default)]
struct Postings {
    docs: Vec<u64>,
    norms: Vec<u8>,
    /// Per document, the end of its positions in `positions`.
    ends: Vec<u32>,
    positions: Vec<u32>,
}

impl Postings {
    fn append(&mut self, mut other: Postings) {
        let base = self.positions.len() as u32;
        self.docs.append(&mut other.docs);
        self.norms.append(&mut other.norms);
        self.ends.extend(other.ends.iter().map(|e| e + base));
        self.positions.append(&mut other.positions);
    }

    fn positions_of(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.positions[start..self.ends[i] as usize]
    }
}

/// One field's terms: each term's number, and the postings by number.
#[derive(Default)]
struct Terms {
    ids: FxHashMap<String, u32>,
    postings: Vec<Postings>,
}

impl Terms {
    /// The number of `term`, given one if new.
    fn id(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.ids.insert(term.to_owned(), id);
        self.postings.push(Postings::default());
        id
    }
}

/// What a run of documents gives: per field, each term's postings, and
/// each document's field lengths.
struct Part {
    fields: Vec<Terms>,
    lengths: Vec<(u64, Vec<u32>)>,
}

impl Part {
    fn new(fields: usize) -> Part {
        Part {
            fields: (0..fields).map(|_| Terms::default()).collect(),
            lengths: Vec::new(),
        }
    }

    /// Appends `later` (documents after this part's).
    fn append(&mut self, later: Part) {
        for (mine, theirs) in self.fields.iter_mut().zip(later.fields) {
            let mut postings: Vec<Option<Postings>> =
                theirs.postings.into_iter().map(Some).collect();
            for (term, id) in theirs.ids {
                if let Some(p) = postings[id as usize].take() {
                    let at = mine.id(&term) as usize;
                    mine.postings[at].append(p);
                }
            }
        }
        self.lengths.extend(later.lengths);
    }
}

/// Analyses `docs` (in id order) into a part, as
/// [`super::index::analyse`] reads texts: items of a list a position gap
/// apart, terms longer than [`MAX_TERM`] counted but not kept.
fn analyse(def: &Definition, docs: &[(u64, Vec<Vec<String>>)]) -> Part {
    let mut part = Part::new(def.properties.len());
    // (term number, position) of one field of one document.
    let mut tokens: Vec<(u32, u32)> = Vec::new();
    for (id, texts) in docs {
        let mut lengths = Vec::with_capacity(texts.len());
        for (f, items) in texts.iter().enumerate().take(part.fields.len()) {
            let terms = &mut part.fields[f];
            tokens.clear();
            let mut length = 0u32;
            let mut offset = 0u32;
            for text in items {
                let mut last = 0u32;
                def.analyzer.each(text, &mut |term, position| {
                    let at = offset.saturating_add(position);
                    last = last.max(at);
                    length += 1;
                    if term.len() <= MAX_TERM {
                        tokens.push((terms.id(term), at));
                    }
                });
                offset = last.saturating_add(2);
            }
            lengths.push(length);
            tokens.sort_unstable();
            let norm = norm_id(length);
            let mut i = 0;
            while i < tokens.len() {
                let term = tokens[i].0;
                let mut j = i + 1;
                while j < tokens.len() && tokens[j].0 == term {
                    j += 1;
                }
                let p = &mut terms.postings[term as usize];
                p.docs.push(*id);
                p.norms.push(norm);
                p.positions.extend(tokens[i..j].iter().map(|t| t.1));
                p.ends.push(p.positions.len() as u32);
                i = j;
            }
        }
        part.lengths.push((*id, lengths));
    }
    part
}

/// Writes index `def` over `docs` (each a document's texts, per property,
/// in id order) into `changes`, calling `progress(analysed, total)`;
/// returns the number of documents.
pub(crate) fn build(
    changes: &mut Changes,
    def: &Definition,
    docs: &[(u64, Vec<Vec<String>>)],
    progress: &mut dyn FnMut(u64, u64),
) -> u64 {
    let fields = def.properties.len();
    let total = docs.len() as u64;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    progress(0, total);
    let mut all = Part::new(fields);
    let mut done = 0u64;
    for chunk in docs.chunks(CHUNK) {
        let share = chunk.len().div_ceil(threads);
        let parts = crate::parallel::map(chunk.len().div_ceil(share), |t| {
            analyse(def, &chunk[t * share..((t + 1) * share).min(chunk.len())])
        });
        for part in parts {
            all.append(part);
        }
        done += chunk.len() as u64;
        progress(done, total);
    }
    let mut stats = Stats::empty(fields);
    stats.docs = total;
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(docs.len() * 2);
    for (id, lengths) in &all.lengths {
        for (f, l) in lengths.iter().enumerate() {
            stats.tokens[f] += u64::from(*l);
        }
        out.push((
            keys::doc_key(def.id, *id),
            keys::doc_value(lengths.iter().copied()),
        ));
    }
    for (f, terms) in all.fields.into_iter().enumerate() {
        let mut postings: Vec<Option<Postings>> = terms.postings.into_iter().map(Some).collect();
        let mut terms: Vec<(String, Postings)> = terms
            .ids
            .into_iter()
            .filter_map(|(term, id)| Some((term, postings[id as usize].take()?)))
            .collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        #[allow(clippy::cast_possible_truncation, reason = "at most 255 fields")]
        let field = f as u8;
        for (term, p) in terms {
            let tf = |i: usize| p.positions_of(i).len() as u32;
            let info = TermInfo {
                df: p.docs.len() as u32,
                max_tf: (0..p.docs.len()).map(tf).max().unwrap_or(1),
                min_norm: p.norms.iter().copied().min().unwrap_or(0),
            };
            out.push((keys::term_key(def.id, field, &term), info.encode().to_vec()));
            let prefix = keys::postings_prefix(def.id, field, &term);
            let mut start = 0;
            while start < p.docs.len() {
                let end = (start + BULK_BLOCK).min(p.docs.len());
                let last = if end == p.docs.len() {
                    OPEN_BLOCK
                } else {
                    p.docs[end - 1]
                };
                let bytes = block::encode_by(end - start, |i| {
                    (
                        p.docs[start + i],
                        p.norms[start + i],
                        p.positions_of(start + i),
                    )
                });
                out.push((keys::block_key(&prefix, last), bytes));
                start = end;
            }
        }
    }
    out.push((keys::stats_key(def.id), stats.encode()));
    changes.put_all(Cf::Fulltext, out);
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fulltext::Analyzer;
    use crate::fulltext::block::Posting;
    use crate::fulltext::index;

    /// The records the documents make, written the plain way: every
    /// document analysed alone, every term's postings gathered and cut
    /// into blocks.
    fn plain(def: &Definition, docs: &[(u64, Vec<Vec<String>>)]) -> Changes {
        let mut stats = Stats::empty(def.properties.len());
        stats.docs = docs.len() as u64;
        let mut changes = Changes::default();
        let mut terms: Vec<std::collections::BTreeMap<String, Vec<Posting>>> =
            vec![std::collections::BTreeMap::new(); def.properties.len()];
        for (id, texts) in docs {
            let doc = index::analyse(def, texts);
            changes.put(Cf::Fulltext, keys::doc_key(def.id, *id), doc.lengths());
            for (f, field) in doc.fields.into_iter().enumerate() {
                stats.tokens[f] += u64::from(field.length);
                for (term, positions) in field.terms {
                    terms[f].entry(term).or_default().push(Posting {
                        doc: *id,
                        norm: norm_id(field.length),
                        positions,
                    });
                }
            }
        }
        for (f, terms) in terms.into_iter().enumerate() {
            for (term, postings) in terms {
                let info = TermInfo {
                    df: postings.len() as u32,
                    max_tf: postings.iter().map(Posting::tf).max().unwrap_or(1),
                    min_norm: postings.iter().map(|p| p.norm).min().unwrap_or(0),
                };
                changes.put(
                    Cf::Fulltext,
                    keys::term_key(def.id, f as u8, &term),
                    info.encode(),
                );
                let prefix = keys::postings_prefix(def.id, f as u8, &term);
                let blocks: Vec<&[Posting]> = postings.chunks(BULK_BLOCK).collect();
                for (i, chunk) in blocks.iter().enumerate() {
                    let last = if i + 1 == blocks.len() {
                        OPEN_BLOCK
                    } else {
                        chunk[chunk.len() - 1].doc
                    };
                    changes.put(
                        Cf::Fulltext,
                        keys::block_key(&prefix, last),
                        block::encode(chunk),
                    );
                }
            }
        }
        changes.put(Cf::Fulltext, keys::stats_key(def.id), stats.encode());
        changes
    }

    #[test]
    fn the_bulk_build_writes_what_the_documents_make() {
        let def = Definition {
            id: 3,
            name: "t".into(),
            relationships: false,
            collection: None,
            labels: vec!["Doc".into()],
            properties: vec!["a".into(), "b".into()],
            analyzer: Analyzer::Standard,
        };
        let words = [
            "graph", "the", "Rust", "engine", "of", "soup", "x", "vector",
        ];
        let mut rng = crate::rng::Rng::new(7);
        // More documents than a chunk, so parts and chunks are merged.
        let docs: Vec<(u64, Vec<Vec<String>>)> = (0..(CHUNK as u64 * 2 + 500))
            .map(|id| {
                let mut text = || {
                    let n = rng.below(12);
                    (0..n)
                        .map(|_| words[rng.below(words.len() as u64) as usize])
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let a = vec![text()];
                let b = if id % 3 == 0 {
                    vec![text(), text()]
                } else {
                    Vec::new()
                };
                (id * 2 + 1, vec![a, b])
            })
            .collect();
        let mut bulk = Changes::default();
        let mut reports = Vec::new();
        let count = build(&mut bulk, &def, &docs, &mut |done, total| {
            reports.push((done, total));
        });
        assert_eq!(count, docs.len() as u64);
        assert_eq!(reports.last(), Some(&(count, count)));
        let want = plain(&def, &docs);
        let records = |c: &Changes| {
            c.iter()
                .map(|(cf, k, v)| (cf, k.to_vec(), v.map(<[u8]>::to_vec)))
                .collect::<Vec<_>>()
        };
        assert_eq!(records(&bulk), records(&want));
    }
}
