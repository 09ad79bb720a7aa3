//! `quiver check` for full-text indexes: every index's records against
//! the documents the graph makes now, on one snapshot.

use std::collections::{BTreeMap, BTreeSet};

use super::block::{self, Block, Posting};
use super::bm25::norm_id;
use super::keys::{self, Stats, TermInfo};
use super::state::{definitions, existing_documents};
use crate::error::Result;
use crate::storage::keys::{read_u32, read_u64};
use crate::storage::{Cf, KvRead};
use crate::txn::Database;

/// The problems found in the full-text indexes of `kv` (at most `limit`),
/// and the number of documents checked.
#[allow(clippy::too_many_lines, reason = "one record kind after another")]
pub(crate) fn verify(db: &Database, kv: &dyn KvRead, limit: usize) -> Result<(u64, Vec<String>)> {
    let mut problems = Vec::new();
    let mut checked = 0;
    let defs = definitions(kv)?;
    let ids: BTreeSet<u32> = defs.iter().map(|d| d.id).collect();
    // Records of no index (a drop that left some behind).
    let mut orphans = 0u64;
    kv.scan(Cf::Fulltext, &[], &mut |k, _| {
        if read_u32(k, 0).is_ok_and(|id| !ids.contains(&id)) {
            orphans += 1;
        }
        Ok(true)
    })?;
    if orphans > 0 {
        problems.push(format!("{orphans} full-text records belong to no index"));
    }
    for def in &defs {
        let name = &def.name;
        let docs = existing_documents(db, kv, def)?;
        checked += docs.len() as u64;
        let fields = def.properties.len();
        // Statistics.
        let mut want = Stats::empty(fields);
        want.docs = docs.len() as u64;
        for (_, doc) in &docs {
            for (f, field) in doc.fields.iter().enumerate() {
                want.tokens[f] += u64::from(field.length);
            }
        }
        let stored = match kv.get(Cf::Fulltext, &keys::stats_key(def.id))? {
            Some(b) => Stats::decode(&b, fields)?,
            None => Stats::empty(fields),
        };
        if stored != want {
            problems.push(format!(
                "full-text index {name}: statistics {stored:?}, the graph makes {want:?}"
            ));
        }
        // Document records.
        let mut stored_docs = BTreeMap::new();
        let prefix = keys::docs_prefix(def.id);
        kv.scan(Cf::Fulltext, &prefix, &mut |k, v| {
            stored_docs.insert(read_u64(k, prefix.len())?, v.to_vec());
            Ok(true)
        })?;
        let want_docs: BTreeMap<u64, Vec<u8>> =
            docs.iter().map(|(id, d)| (*id, d.lengths())).collect();
        if stored_docs != want_docs {
            let missing = want_docs
                .keys()
                .filter(|id| !stored_docs.contains_key(id))
                .count();
            let extra = stored_docs
                .keys()
                .filter(|id| !want_docs.contains_key(id))
                .count();
            problems.push(format!(
                "full-text index {name}: {missing} documents missing, {extra} that the graph does not make, or lengths that differ"
            ));
        }
        // Postings and term records, field by field.
        for f in 0..fields {
            let mut want_terms: BTreeMap<&str, Vec<Posting>> = BTreeMap::new();
            for (id, doc) in &docs {
                if let Some(field) = doc.fields.get(f) {
                    for (term, positions) in &field.terms {
                        want_terms.entry(term).or_default().push(Posting {
                            doc: *id,
                            norm: norm_id(field.length),
                            positions: positions.clone(),
                        });
                    }
                }
            }
            let mut stored_terms: Vec<(String, TermInfo)> = Vec::new();
            let term_prefix = keys::term_key(def.id, f as u8, "");
            kv.scan(Cf::Fulltext, &term_prefix, &mut |k, v| {
                stored_terms.push((keys::term_of(k)?.to_owned(), TermInfo::decode(v)?));
                Ok(true)
            })?;
            if stored_terms.len() != want_terms.len() {
                problems.push(format!(
                    "full-text index {name}, field {}: {} terms stored, the graph makes {}",
                    def.properties[f],
                    stored_terms.len(),
                    want_terms.len()
                ));
            }
            for (term, info) in &stored_terms {
                let Some(want) = want_terms.get(term.as_str()) else {
                    problems.push(format!(
                        "full-text index {name}: term {term:?} is stored but in no document"
                    ));
                    continue;
                };
                let mut got = Vec::new();
                let mut b = Block::default();
                kv.scan(
                    Cf::Fulltext,
                    &keys::postings_prefix(def.id, f as u8, term),
                    &mut |_, v| {
                        block::decode(v, true, &mut b)?;
                        got.extend(b.postings());
                        Ok(true)
                    },
                )?;
                let max_tf = want.iter().map(Posting::tf).max().unwrap_or(0);
                let min_norm = want.iter().map(|p| p.norm).min().unwrap_or(0);
                if &got != want
                    || info.df as usize != want.len()
                    || info.max_tf < max_tf
                    || info.min_norm > min_norm
                {
                    problems.push(format!(
                        "full-text index {name}: the postings of {term:?} in {} differ from the documents the graph makes",
                        def.properties[f]
                    ));
                }
                if problems.len() >= limit {
                    return Ok((checked, problems));
                }
            }
        }
    }
    Ok((checked, problems))
}
