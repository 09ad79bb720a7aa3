//! Keeping an index's records: the document an entity makes, and the
//! changes to postings, term records and statistics when a document
//! appears, changes or goes — in a write transaction's buffered changes,
//! so the index commits with the writes that changed it and the
//! transaction's own searches see them.

use std::collections::BTreeMap;

use super::Definition;
use super::block::{self, Block, MAX_BLOCK, Posting};
use super::bm25::norm_id;
use super::keys::{self, OPEN_BLOCK, Stats, TermInfo};
use crate::Value;
use crate::error::Result;
use crate::storage::keys::prefix_end;
use crate::storage::{Cf, KvRead};
use crate::txn::{EntityView, WriteTxn};

/// Terms longer than this many bytes are not indexed (a `keyword` index
/// over long texts): they would only ever match themselves.
pub(crate) const MAX_TERM: usize = 1024;

/// One field of a document: its length in tokens and each term's
/// positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldDoc {
    pub length: u32,
    pub terms: BTreeMap<String, Vec<u32>>,
}

/// The document an entity makes for an index: one field per indexed
/// property.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Doc {
    pub fields: Vec<FieldDoc>,
}

impl Doc {
    /// The document's record: its field lengths.
    pub(crate) fn lengths(&self) -> Vec<u8> {
        keys::doc_value(self.fields.iter().map(|f| f.length))
    }
}

/// The text an entity gives an index: per property, its string (a list
/// of strings is its items in order); `None` when the entity is not in
/// the index (no label or type of it, or no indexed property is text).
pub(crate) fn texts(def: &Definition, view: &dyn EntityView) -> Option<Vec<Vec<String>>> {
    if !def.labels.iter().any(|l| view.has_label(l)) {
        return None;
    }
    let values: Vec<Vec<String>> = def
        .properties
        .iter()
        .map(|k| view.property(k).map(items).unwrap_or_default())
        .collect();
    values.iter().any(|v| !v.is_empty()).then_some(values)
}

/// The texts a property value gives: a string, or a list's strings.
pub(crate) fn items(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::List(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Analyses an entity's texts into its document. The items of a list
/// follow one another with a one-position gap.
pub(crate) fn analyse(def: &Definition, texts: &[Vec<String>]) -> Doc {
    let fields = texts
        .iter()
        .map(|items| {
            let mut field = FieldDoc::default();
            let mut offset = 0u32;
            for text in items {
                let mut last = 0u32;
                def.analyzer.each(text, &mut |term, position| {
                    let at = offset.saturating_add(position);
                    last = last.max(at);
                    field.length += 1;
                    if term.len() <= MAX_TERM {
                        match field.terms.get_mut(term) {
                            Some(positions) => positions.push(at),
                            None => {
                                field.terms.insert(term.to_owned(), vec![at]);
                            }
                        }
                    }
                });
                offset = last.saturating_add(2);
            }
            field
        })
        .collect();
    Doc { fields }
}

/// One change to one term's postings in one field.
type TermChange<'a> = Option<&'a Posting>;

/// Applies the change of document `id` from `old` to `new` (`None`:
/// absent) to index `def` in `txn`'s buffered changes.
pub(crate) fn update(
    txn: &mut WriteTxn<'_>,
    def: &Definition,
    id: u64,
    old: Option<&Doc>,
    new: Option<&Doc>,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let fields = def.properties.len();
    let stats_key = keys::stats_key(def.id);
    let mut stats = match txn.kv().get(Cf::Fulltext, &stats_key)? {
        Some(bytes) => Stats::decode(&bytes, fields)?,
        None => Stats::empty(fields),
    };
    if old.is_some() {
        stats.docs = stats.docs.saturating_sub(1);
    }
    if new.is_some() {
        stats.docs += 1;
    }
    let empty = FieldDoc::default();
    for f in 0..fields {
        let before = old.and_then(|d| d.fields.get(f)).unwrap_or(&empty);
        let after = new.and_then(|d| d.fields.get(f)).unwrap_or(&empty);
        stats.tokens[f] =
            stats.tokens[f].saturating_sub(u64::from(before.length)) + u64::from(after.length);
        let (norm_before, norm_after) = (norm_id(before.length), norm_id(after.length));
        let mut changes: Vec<(&str, Option<Posting>)> = Vec::new();
        for term in before.terms.keys() {
            if !after.terms.contains_key(term) {
                changes.push((term, None));
            }
        }
        for (term, positions) in &after.terms {
            let same = norm_before == norm_after && before.terms.get(term) == Some(positions);
            if !same {
                changes.push((
                    term,
                    Some(Posting {
                        doc: id,
                        norm: norm_after,
                        positions: positions.clone(),
                    }),
                ));
            }
        }
        for (term, change) in changes {
            change_term(txn, def.id, f as u8, term, id, change.as_ref())?;
        }
    }
    let changes = txn.changes();
    changes.put(Cf::Fulltext, stats_key, stats.encode());
    let doc_key = keys::doc_key(def.id, id);
    match new {
        Some(doc) => changes.put(Cf::Fulltext, doc_key, doc.lengths()),
        None => changes.delete(Cf::Fulltext, doc_key),
    }
    Ok(())
}

/// Puts (or, `None`, removes) document `doc`'s posting of `term` and
/// keeps the term's record.
fn change_term(
    txn: &mut WriteTxn<'_>,
    index: u32,
    field: u8,
    term: &str,
    doc: u64,
    posting: TermChange<'_>,
) -> Result<()> {
    let prefix = keys::postings_prefix(index, field, term);
    let found = first_block_from(txn.kv(), &prefix, doc)?;
    let mut postings = Vec::new();
    let old_key = match &found {
        Some((key, bytes)) => {
            let mut b = Block::default();
            block::decode(bytes, true, &mut b)?;
            postings = b.postings();
            Some(key.clone())
        }
        None => None,
    };
    let at = postings.binary_search_by_key(&doc, |p| p.doc);
    let existed = at.is_ok();
    match (at, posting.cloned()) {
        (Ok(i), Some(p)) => postings[i] = p,
        (Ok(i), None) => {
            postings.remove(i);
        }
        (Err(i), Some(p)) => postings.insert(i, p),
        (Err(_), None) => return Ok(()),
    }
    // The term's record.
    let term_key = keys::term_key(index, field, term);
    let mut info = match txn.kv().get(Cf::Fulltext, &term_key)? {
        Some(bytes) => TermInfo::decode(&bytes)?,
        None => TermInfo {
            df: 0,
            max_tf: 0,
            min_norm: u8::MAX,
        },
    };
    match (posting, existed) {
        (Some(p), was) => {
            info.df += u32::from(!was);
            info.max_tf = info.max_tf.max(p.tf());
            info.min_norm = info.min_norm.min(p.norm);
        }
        (None, _) => info.df = info.df.saturating_sub(1),
    }
    let changes = txn.changes();
    if info.df == 0 {
        changes.delete(Cf::Fulltext, term_key);
    } else {
        changes.put(Cf::Fulltext, term_key, info.encode().to_vec());
    }
    // The block: its key is its last document's, or the open one's.
    let open = old_key
        .as_deref()
        .is_none_or(|k| k.ends_with(&OPEN_BLOCK.to_be_bytes()));
    if let Some(k) = &old_key {
        changes.delete(Cf::Fulltext, k.clone());
    }
    if postings.is_empty() {
        return Ok(());
    }
    let halves: Vec<&[Posting]> = if postings.len() > MAX_BLOCK {
        let (a, b) = postings.split_at(postings.len() / 2);
        vec![a, b]
    } else {
        vec![&postings]
    };
    let last_half = halves.len() - 1;
    for (i, half) in halves.into_iter().enumerate() {
        let last = if open && i == last_half {
            OPEN_BLOCK
        } else {
            half[half.len() - 1].doc
        };
        changes.put(
            Cf::Fulltext,
            keys::block_key(&prefix, last),
            block::encode(half),
        );
    }
    Ok(())
}

/// The first block of a term whose key is at least `doc`: the block that
/// holds (or would hold) it.
fn first_block_from(
    kv: &dyn KvRead,
    prefix: &[u8],
    doc: u64,
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let start = keys::block_key(prefix, doc);
    let end = prefix_end(prefix);
    let mut found = None;
    kv.scan_range(Cf::Fulltext, &start, end.as_deref(), &mut |k, v| {
        found = Some((k.to_vec(), v.to_vec()));
        Ok(false)
    })?;
    Ok(found)
}

/// Deletes every record of index `index` (a dropped index).
pub(crate) fn clear(txn: &mut WriteTxn<'_>, index: u32) -> Result<()> {
    let prefix = keys::index_prefix(index);
    let mut found = Vec::new();
    txn.kv().scan(Cf::Fulltext, &prefix, &mut |k, _| {
        found.push(k.to_vec());
        Ok(true)
    })?;
    let changes = txn.changes();
    for k in found {
        changes.delete(Cf::Fulltext, k);
    }
    Ok(())
}
