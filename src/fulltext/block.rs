//! A posting block: up to [`MAX_BLOCK`] documents of one term in one
//! field, in id order, each with its term frequency, its field length
//! (quantised, [`super::bm25::norm_id`]) and the term's positions.
//!
//! Layout (varints are LEB128):
//! `count · max_tf · min_norm u8 · (doc delta · tf · norm u8)* · positions`
//! where the first doc delta is from 0 and `positions` holds, per
//! document, its `tf` position deltas. The header bounds every score in
//! the block (block-max pruning reads it without decoding the rest).

use crate::error::{Error, Result};

/// A block splits in two when it grows past this many documents.
pub(crate) const MAX_BLOCK: usize = 256;
/// A bulk build writes blocks of this many documents (room to grow).
pub(crate) const BULK_BLOCK: usize = 128;

/// One document's posting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Posting {
    pub doc: u64,
    pub norm: u8,
    /// Positions, ascending; the term frequency is their number.
    pub positions: Vec<u32>,
}

impl Posting {
    pub(crate) fn tf(&self) -> u32 {
        self.positions.len() as u32
    }
}

/// A decoded block's documents, frequencies and norms (positions decoded
/// only when asked).
#[derive(Clone, Debug, Default)]
pub(crate) struct Block {
    pub docs: Vec<u64>,
    pub tfs: Vec<u32>,
    pub norms: Vec<u8>,
    /// Per document, where its positions start in `positions` (one more
    /// entry than documents), when decoded.
    pub starts: Vec<usize>,
    pub positions: Vec<u32>,
    /// Where the positions start in the block's bytes.
    pub positions_from: usize,
    /// Whether `starts` and `positions` hold this block's.
    pub has_positions: bool,
    /// One document's positions, read alone ([`Block::read_positions`]),
    /// and where the next document's start: its index and byte offset.
    pub one: Vec<u32>,
    next_doc: usize,
    next_at: usize,
}

/// The header: the bound on every document's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub count: usize,
    pub max_tf: u32,
    pub min_norm: u8,
}

pub(crate) fn encode(postings: &[Posting]) -> Vec<u8> {
    encode_by(postings.len(), |i| {
        let p = &postings[i];
        (p.doc, p.norm, p.positions.as_slice())
    })
}

/// Encodes the `count` postings `posting(i)` gives as `(doc, norm,
/// positions)`, in document order.
pub(crate) fn encode_by<'p>(
    count: usize,
    posting: impl Fn(usize) -> (u64, u8, &'p [u32]),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 6);
    let tf = |positions: &[u32]| positions.len() as u32;
    let max_tf = (0..count).map(|i| tf(posting(i).2)).max().unwrap_or(0);
    let min_norm = (0..count).map(|i| posting(i).1).min().unwrap_or(0);
    put_varint(&mut out, count as u64);
    put_varint(&mut out, u64::from(max_tf));
    out.push(min_norm);
    let mut last = 0u64;
    for i in 0..count {
        let (doc, norm, positions) = posting(i);
        put_varint(&mut out, doc - last);
        put_varint(&mut out, u64::from(tf(positions)));
        out.push(norm);
        last = doc;
    }
    for i in 0..count {
        let mut at = 0u32;
        for &pos in posting(i).2 {
            put_varint(&mut out, u64::from(pos - at));
            at = pos;
        }
    }
    out
}

pub(crate) fn header(bytes: &[u8]) -> Result<(Header, usize)> {
    let mut at = 0;
    let count = usize::try_from(varint(bytes, &mut at)?).map_err(|_| bad())?;
    let max_tf = u32::try_from(varint(bytes, &mut at)?).map_err(|_| bad())?;
    let min_norm = *bytes.get(at).ok_or_else(bad)?;
    if count == 0 || count > MAX_BLOCK * 2 {
        return Err(bad());
    }
    Ok((
        Header {
            count,
            max_tf,
            min_norm,
        },
        at + 1,
    ))
}

/// Decodes a block into `into` (its buffers reused).
pub(crate) fn decode(bytes: &[u8], with_positions: bool, into: &mut Block) -> Result<()> {
    let (head, mut at) = header(bytes)?;
    into.docs.clear();
    into.tfs.clear();
    into.norms.clear();
    into.starts.clear();
    into.positions.clear();
    let mut doc = 0u64;
    for i in 0..head.count {
        let delta = varint(bytes, &mut at)?;
        if i > 0 && delta == 0 {
            return Err(bad());
        }
        doc = doc.checked_add(delta).ok_or_else(bad)?;
        let tf = u32::try_from(varint(bytes, &mut at)?).map_err(|_| bad())?;
        let norm = *bytes.get(at).ok_or_else(bad)?;
        at += 1;
        if tf == 0 || tf > head.max_tf || norm < head.min_norm {
            return Err(bad());
        }
        into.docs.push(doc);
        into.tfs.push(tf);
        into.norms.push(norm);
    }
    into.positions_from = at;
    into.has_positions = false;
    into.next_doc = 0;
    into.next_at = at;
    if with_positions {
        decode_positions(bytes, into)?;
    }
    Ok(())
}

/// Decodes the positions of the block `into` holds the rest of (decoded
/// from `bytes` without them): a phrase asks only for the blocks where
/// its terms meet.
pub(crate) fn decode_positions(bytes: &[u8], into: &mut Block) -> Result<()> {
    let mut at = into.positions_from;
    into.starts.clear();
    into.positions.clear();
    for &tf in &into.tfs {
        into.starts.push(into.positions.len());
        let mut pos = 0u32;
        for _ in 0..tf {
            let delta = u32::try_from(varint(bytes, &mut at)?).map_err(|_| bad())?;
            pos = pos.checked_add(delta).ok_or_else(bad)?;
            into.positions.push(pos);
        }
    }
    into.starts.push(into.positions.len());
    if at != bytes.len() {
        return Err(bad());
    }
    into.has_positions = true;
    Ok(())
}

impl Block {
    /// The block's postings, positions included (decoded with them).
    pub(crate) fn postings(&self) -> Vec<Posting> {
        (0..self.docs.len())
            .map(|i| Posting {
                doc: self.docs[i],
                norm: self.norms[i],
                positions: self.positions_of(i).to_vec(),
            })
            .collect()
    }

    /// Reads the positions of the `i`th document alone into
    /// [`one`](Block::one), from `bytes` (the block this one was decoded
    /// from without positions): the documents since the last one read
    /// are skipped, their varints counted, not decoded — a phrase asks
    /// for the documents where its terms meet, in order.
    pub(crate) fn read_positions(&mut self, bytes: &[u8], i: usize) -> Result<()> {
        if i < self.next_doc {
            self.next_doc = 0;
            self.next_at = self.positions_from;
        }
        let mut at = self.next_at;
        let skip: u64 = self.tfs[self.next_doc..i]
            .iter()
            .map(|&t| u64::from(t))
            .sum();
        let mut ends = 0u64;
        while ends < skip {
            let b = *bytes.get(at).ok_or_else(bad)?;
            ends += u64::from(b < 0x80);
            at += 1;
        }
        self.one.clear();
        let mut pos = 0u32;
        for _ in 0..self.tfs[i] {
            let delta = u32::try_from(varint(bytes, &mut at)?).map_err(|_| bad())?;
            pos = pos.checked_add(delta).ok_or_else(bad)?;
            self.one.push(pos);
        }
        self.next_doc = i + 1;
        self.next_at = at;
        Ok(())
    }

    /// The positions of the `i`th document (decoded with positions).
    pub(crate) fn positions_of(&self, i: usize) -> &[u32] {
        &self.positions[self.starts[i]..self.starts[i + 1]]
    }
}

fn bad() -> Error {
    Error::corruption("a full-text posting block is damaged")
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
pub(crate) fn varint(bytes: &[u8], at: &mut usize) -> Result<u64> {
    // One byte: the common case (deltas and frequencies below 128).
    if let Some(&b) = bytes.get(*at)
        && b < 0x80
    {
        *at += 1;
        return Ok(u64::from(b));
    }
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at).ok_or_else(bad)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_and_damage_is_corruption() {
        let postings = vec![
            Posting {
                doc: 3,
                norm: 7,
                positions: vec![0, 5],
            },
            Posting {
                doc: 300,
                norm: 2,
                positions: vec![1],
            },
            Posting {
                doc: u64::MAX - 1,
                norm: 255,
                positions: vec![4, 9, 70_000],
            },
        ];
        let bytes = encode(&postings);
        let mut block = Block::default();
        decode(&bytes, true, &mut block).unwrap();
        assert_eq!(block.postings(), postings);
        assert_eq!(block.tfs, [2, 1, 3]);
        let (head, _) = header(&bytes).unwrap();
        assert_eq!((head.count, head.max_tf, head.min_norm), (3, 3, 2));
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], true, &mut block).is_err(),
                "cut at {cut}"
            );
        }
        let mut lazy = Block::default();
        decode(&bytes, false, &mut lazy).unwrap();
        assert!(!lazy.has_positions && lazy.tfs == block.tfs);
        for i in [1, 2, 0, 2] {
            lazy.read_positions(&bytes, i).unwrap();
            assert_eq!(lazy.one, postings[i].positions, "document {i}");
        }
        decode_positions(&bytes, &mut lazy).unwrap();
        assert_eq!(lazy.postings(), postings);
        assert!(lazy.read_positions(&bytes[..bytes.len() - 1], 2).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, true, &mut block).is_err());
    }
}
