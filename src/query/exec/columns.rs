//! Columns of a snapshot: every node's value of one property key, and
//! every member of one label, each read in one sequential scan and kept,
//! like the algorithms' projections, for the snapshots of the same
//! commit generation.
//!
//! A statement on a read snapshot that aggregates over a whole-label
//! scan (see `exec::counted_each`) reads the label's members from a
//! member list and the properties it groups and projects from columns
//! instead of one index entry and one record lookup per node: the first
//! such statement after a commit builds them (one pass over the label
//! index, one over the node records), the next ones find them.

use std::any::Any;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use fixedbitset::FixedBitSet;

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use super::graph::from_stored;
use super::packed::Packed;
use crate::algo::Projection;
use crate::graph::dict::Kind;
use crate::graph::keys::decode_adj;
use crate::graph::read::Reader;
use crate::graph::records::{decode_edge, decode_node};
use crate::graph::sealed::Sealed;
use crate::query::error::QResult;
use crate::query::value::CypherValue;
use crate::storage::Cf;
use crate::storage::keys::read_u64;
use crate::temporal::{DateTime, Temporal};
use crate::txn::{Extension, ReadTxn};
use crate::{NodeId, Value};

/// One property of every node that has it: by id offset when the ids
/// that have it are dense (the usual case: ids are handed out in order),
/// else hashed.
pub(crate) enum Column {
    /// `values` holds node `base + i`'s value at offset `i`.
    Dense {
        base: u64,
        values: Slots,
    },
    Sparse(FxHashMap<NodeId, CypherValue>),
}

/// The values of a dense column by offset, in the narrowest form that
/// holds them all: integers take 8 bytes a node and a property of a few
/// distinct strings 4, where a `CypherValue` takes 32 (and a string its
/// own allocation besides).
pub(crate) enum Slots {
    /// Integers only; `present` marks the offsets that have one.
    Ints {
        ints: Vec<i64>,
        present: FixedBitSet,
    },
    /// Strings only: each offset's string as its position in `dict` plus
    /// one (0: none).
    Coded {
        codes: Vec<u32>,
        dict: Vec<CypherValue>,
    },
    /// Zoned datetimes of one fixed offset (no zone name): each offset's
    /// instant in nanoseconds since 1970-01-01T00:00Z, whose order is
    /// the values' order; `present` marks the offsets that have one.
    Instants {
        nanos: Vec<i64>,
        present: FixedBitSet,
        /// Seconds east of UTC, shared by every value.
        offset: i32,
    },
    /// Any values (`Null`: none).
    Values(Vec<CypherValue>),
}

/// Distinct strings a coded column holds at most; past it, values.
const MAX_CODES: usize = 1 << 16;

impl Slots {
    fn len(&self) -> usize {
        match self {
            Slots::Ints { ints, .. } => ints.len(),
            Slots::Coded { codes, .. } => codes.len(),
            Slots::Instants { nanos, .. } => nanos.len(),
            Slots::Values(values) => values.len(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<Cow<'_, CypherValue>> {
        match self {
            Slots::Ints { ints, present } => present
                .contains(i)
                .then(|| Cow::Owned(CypherValue::Int(ints[i]))),
            Slots::Coded { codes, dict } => match codes.get(i) {
                Some(&c) if c > 0 => Some(Cow::Borrowed(&dict[c as usize - 1])),
                _ => None,
            },
            Slots::Instants {
                nanos,
                present,
                offset,
            } => present.contains(i).then(|| {
                // The instant fitted when it was stored, so it fits again.
                let at = DateTime::at_offset(nanos[i], *offset);
                Cow::Owned(at.map_or(CypherValue::Null, |d| {
                    CypherValue::Temporal(Box::new(Temporal::DateTime(d)))
                }))
            }),
            Slots::Values(values) => values.get(i).filter(|v| !v.is_null()).map(Cow::Borrowed),
        }
    }

    /// Offset `i`'s instant, when the slots hold instants and it has one.
    #[inline]
    fn instant(&self, i: usize) -> Option<i64> {
        match self {
            Slots::Instants { nanos, present, .. } => present.contains(i).then(|| nanos[i]),
            _ => None,
        }
    }

    #[inline]
    fn int(&self, i: usize) -> Option<i64> {
        match self {
            Slots::Ints { ints, present } => present.contains(i).then(|| ints[i]),
            Slots::Coded { .. } | Slots::Instants { .. } => None,
            Slots::Values(values) => match values.get(i) {
                Some(CypherValue::Int(v)) => Some(*v),
                _ => None,
            },
        }
    }

    fn resize(&mut self, n: usize) {
        match self {
            Slots::Ints { ints, present } => {
                ints.resize(n, 0);
                present.grow(n);
            }
            Slots::Coded { codes, .. } => codes.resize(n, 0),
            Slots::Instants { nanos, present, .. } => {
                nanos.resize(n, 0);
                present.grow(n);
            }
            Slots::Values(values) => values.resize(n, CypherValue::Null),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Slots::Ints { ints, .. } => ints.shrink_to_fit(),
            Slots::Coded { codes, dict } => {
                codes.shrink_to_fit();
                dict.shrink_to_fit();
            }
            Slots::Instants { nanos, .. } => nanos.shrink_to_fit(),
            Slots::Values(values) => values.shrink_to_fit(),
        }
    }

    /// The values with their offsets, the slots emptied.
    fn drain(&mut self) -> Vec<(usize, CypherValue)> {
        let n = self.len();
        let out = (0..n)
            .filter_map(|i| self.get(i).map(|v| (i, v.into_owned())))
            .collect();
        *self = Slots::default();
        out
    }

    /// The slots as values of any type.
    fn widen(&mut self) {
        if !matches!(self, Slots::Values(_)) {
            let n = self.len();
            let mut values = vec![CypherValue::Null; n];
            for (i, v) in self.drain() {
                values[i] = v;
            }
            *self = Slots::Values(values);
        }
    }
}

impl Default for Slots {
    fn default() -> Slots {
        Slots::Ints {
            ints: Vec::new(),
            present: FixedBitSet::new(),
        }
    }
}

impl Column {
    /// Node `id`'s value, `None` if it has none.
    #[inline]
    pub fn get(&self, id: NodeId) -> Option<Cow<'_, CypherValue>> {
        match self {
            Column::Dense { base, values } => {
                values.get(usize::try_from(id.0.checked_sub(*base)?).ok()?)
            }
            Column::Sparse(map) => map.get(&id).map(Cow::Borrowed),
        }
    }

    /// Whether every value is an integer (an integer column).
    #[inline]
    pub fn all_ints(&self) -> bool {
        matches!(
            self,
            Column::Dense {
                values: Slots::Ints { .. },
                ..
            }
        )
    }

    /// Whether every value is a zoned datetime of one fixed offset (an
    /// instant column: see [`Column::instant`]).
    #[inline]
    pub fn all_instants(&self) -> bool {
        matches!(
            self,
            Column::Dense {
                values: Slots::Instants { .. },
                ..
            }
        )
    }

    /// The offset of an instant column's values.
    #[inline]
    pub fn instant_offset(&self) -> Option<i32> {
        match self {
            Column::Dense {
                values: Slots::Instants { offset, .. },
                ..
            } => Some(*offset),
            _ => None,
        }
    }

    /// Node `id`'s instant (nanoseconds since 1970-01-01T00:00Z) when the
    /// column is an instant column and the node has a value.
    #[inline]
    pub fn instant(&self, id: NodeId) -> Option<i64> {
        match self {
            Column::Dense { base, values } => {
                values.instant(usize::try_from(id.0.checked_sub(*base)?).ok()?)
            }
            Column::Sparse(_) => None,
        }
    }

    /// Whether every value is of one type whose equal values are equal
    /// in Cypher's grouping too: integers alone, strings alone, or
    /// datetimes of one offset alone.
    pub fn one_type(&self) -> bool {
        match self {
            Column::Dense { values, .. } => {
                matches!(
                    values,
                    Slots::Ints { .. } | Slots::Coded { .. } | Slots::Instants { .. }
                )
            }
            Column::Sparse(map) => {
                let mut kinds = map.values().map(|v| match v {
                    CypherValue::Int(_) => Some(0),
                    CypherValue::String(_) => Some(1),
                    _ => None,
                });
                match kinds.next() {
                    None => true,
                    Some(None) => false,
                    Some(first) => kinds.all(|k| k == first),
                }
            }
        }
    }

    /// Node `id`'s value when it is an integer.
    #[inline]
    pub fn int(&self, id: NodeId) -> Option<i64> {
        match self {
            Column::Dense { base, values } => {
                values.int(usize::try_from(id.0.checked_sub(*base)?).ok()?)
            }
            Column::Sparse(map) => match map.get(&id) {
                Some(CypherValue::Int(i)) => Some(*i),
                _ => None,
            },
        }
    }

    /// A column of `pairs` (distinct ids, any order).
    #[cfg(test)]
    fn of(mut pairs: Vec<(NodeId, CypherValue)>) -> Column {
        pairs.sort_by_key(|(id, _)| *id);
        let mut build = ColumnBuild::default();
        for (id, v) in pairs {
            build.push(id, v);
        }
        build.finish()
    }
}

/// The instant (nanoseconds since 1970-01-01T00:00Z) and offset of a
/// zoned datetime whose zone is an offset alone, when the instant fits
/// an `i64`: what an instant column holds.
#[inline]
pub(crate) fn fixed_instant(v: &CypherValue) -> Option<(i64, i32)> {
    match v {
        CypherValue::Temporal(t) => match &**t {
            Temporal::DateTime(d) => d.fixed_instant(),
            _ => None,
        },
        _ => None,
    }
}

/// The instant of a zoned datetime (any zone), when it fits an `i64`:
/// what it is compared by.
#[inline]
pub(crate) fn instant_of(v: &CypherValue) -> Option<i64> {
    match v {
        CypherValue::Temporal(t) => match &**t {
            Temporal::DateTime(d) => i64::try_from(d.instant_nanos()).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// A column built from values in ascending id order: by offset while the
/// ids stay dense enough, else hashed — without holding the pairs first
/// (a column of 1M nodes peaks at its own size, not twice it) — in the
/// narrowest slots its values allow so far.
#[derive(Default)]
struct ColumnBuild {
    base: u64,
    /// Node `base + i`'s value at offset `i`, while dense.
    values: Slots,
    /// The code of each string of coded slots.
    codes: FxHashMap<String, u32>,
    count: usize,
    sparse: Option<FxHashMap<NodeId, CypherValue>>,
}

/// Empty slots a dense column may have beyond half its values before it
/// is hashed instead.
const DENSE_SLACK: usize = 1024;

impl ColumnBuild {
    fn push(&mut self, id: NodeId, value: CypherValue) {
        if value.is_null() {
            return;
        }
        if let Some(map) = &mut self.sparse {
            map.insert(id, value);
            return;
        }
        if self.count == 0 {
            self.base = id.0;
        }
        let at = usize::try_from(id.0 - self.base).unwrap_or(usize::MAX);
        if at >= self.values.len() {
            if at / 2 > self.count + DENSE_SLACK {
                // Too many empty slots: hash what there is and go on so.
                let mut map = self.drain_to_map();
                map.insert(id, value);
                self.sparse = Some(map);
                return;
            }
            self.values.resize(at + 1);
        }
        self.set(at, value);
        self.count += 1;
    }

    /// Offset `at`'s value, the slots widened when they cannot hold it.
    fn set(&mut self, at: usize, value: CypherValue) {
        match (&mut self.values, value) {
            (Slots::Ints { ints, present }, CypherValue::Int(i)) => {
                ints[at] = i;
                present.insert(at);
            }
            (Slots::Ints { .. }, value) if self.count == 0 && fixed_instant(&value).is_some() => {
                let offset = fixed_instant(&value).map_or(0, |(_, o)| o);
                self.values = Slots::Instants {
                    nanos: vec![0; self.values.len()],
                    present: FixedBitSet::with_capacity(self.values.len()),
                    offset,
                };
                self.set(at, value);
            }
            (
                Slots::Instants {
                    nanos,
                    present,
                    offset,
                },
                value,
            ) if fixed_instant(&value).is_some_and(|(_, o)| o == *offset) => {
                nanos[at] = fixed_instant(&value).map_or(0, |(n, _)| n);
                present.insert(at);
            }
            (Slots::Ints { .. }, CypherValue::String(s)) if self.count == 0 => {
                self.values = Slots::Coded {
                    codes: vec![0; self.values.len()],
                    dict: Vec::new(),
                };
                self.set(at, CypherValue::String(s));
            }
            (Slots::Coded { codes, dict }, CypherValue::String(s))
                if dict.len() < MAX_CODES || self.codes.contains_key(&s) =>
            {
                let next = dict.len() as u32 + 1;
                let code = *self.codes.entry(s).or_insert_with_key(|s| {
                    dict.push(CypherValue::String(s.clone()));
                    next
                });
                codes[at] = code;
            }
            (Slots::Values(values), value) => values[at] = value,
            (_, value) => {
                self.values.widen();
                self.codes = FxHashMap::default();
                self.set(at, value);
            }
        }
    }

    fn drain_to_map(&mut self) -> FxHashMap<NodeId, CypherValue> {
        let base = self.base;
        self.codes = FxHashMap::default();
        self.values
            .drain()
            .into_iter()
            .map(|(i, v)| (NodeId(base + i as u64), v))
            .collect()
    }

    fn finish(mut self) -> Column {
        if let Some(map) = self.sparse {
            return Column::Sparse(map);
        }
        if self.count == 0 {
            return Column::Sparse(FxHashMap::default());
        }
        // Dense when at most half the slots are empty.
        if (self.values.len() - 1) / 2 < self.count {
            self.values.shrink_to_fit();
            Column::Dense {
                base: self.base,
                values: self.values,
            }
        } else {
            Column::Sparse(self.drain_to_map())
        }
    }
}

/// One numeric property of the relationships a CSR projection holds, in
/// the order of the projection's out lists (and, built on first use, of
/// its in lists): what a whole-graph aggregation reads of a relationship.
pub(crate) struct EdgeColumn {
    out: Numbers,
    inc: OnceLock<Numbers>,
}

/// Numbers of one type with their presence: integers, or floats by their
/// bits.
struct Numbers {
    ints: bool,
    bits: Packed,
    present: FixedBitSet,
}

impl Numbers {
    fn get(&self, at: usize) -> CypherValue {
        if !self.present.contains(at) {
            return CypherValue::Null;
        }
        let b = self.bits.get(at);
        if self.ints {
            CypherValue::Int(b as i64)
        } else {
            CypherValue::Float(f64::from_bits(b))
        }
    }
}

impl EdgeColumn {
    /// Whether the values are integers (else floats).
    #[inline]
    pub fn all_ints(&self) -> bool {
        self.out.ints
    }

    /// How many positions the column has.
    pub fn len(&self) -> usize {
        self.out.bits.len()
    }

    /// The integer of the relationship at position `at` of `csr`'s out
    /// lists; `None` when it has none or the column holds floats.
    #[inline]
    pub fn int_out(&self, at: usize) -> Option<i64> {
        (self.out.ints && self.out.present.contains(at)).then(|| self.out.bits.get(at) as i64)
    }

    /// The value of the relationship at position `at` of the out lists.
    pub fn out_value(&self, at: usize) -> CypherValue {
        self.out.get(at)
    }

    /// The value of the relationship at position `at` of the out lists
    /// (`out`) or of the in lists of `csr`.
    pub fn get(&self, csr: &Projection, out: bool, at: usize) -> CypherValue {
        if out {
            self.out.get(at)
        } else {
            self.inc
                .get_or_init(|| {
                    // The transpose's order, by the same counting sort.
                    let n = csr.node_count();
                    let inc = csr.inc();
                    let mut fill = inc.offsets.clone();
                    let mut bits = Packed::unset_like(&self.out.bits, self.out.bits.len());
                    let mut present = FixedBitSet::with_capacity(bits.len());
                    for s in 0..n {
                        for k in csr.out.range(s as u32) {
                            let t = csr.out.targets[k] as usize;
                            let at = fill[t];
                            fill[t] += 1;
                            bits.set(at, self.out.bits.get(k));
                            present.set(at, self.out.present.contains(k));
                        }
                    }
                    Numbers {
                        ints: self.out.ints,
                        bits,
                        present,
                    }
                })
                .get(at)
        }
    }

    /// The values of `key` on the relationships of `csr` (a projection of
    /// every node over `types`, none: every type): one pass over the
    /// relationship records, one over the `out` adjacency. `None` when
    /// the values are not all integers or all floats.
    /// The values of `key` on the relationships of `types` (none: every
    /// type) by relationship id, one pass over the relationship records,
    /// with whether they are integers and how many relationships of the
    /// types lack the key (`None`: not counted — no relationship has the
    /// key, and nothing is read); `None` when the values are not all
    /// integers or all floats.
    fn values_by_id(
        r: &ReadTxn<'_>,
        types: &[String],
        key: &str,
    ) -> QResult<Option<(ById, bool, Option<u64>)>> {
        let reader = r.reader();
        let type_ids = type_ids(&reader, types);
        let wanted = |t: u32| type_ids.as_ref().is_none_or(|ids| ids.contains(&t));
        // Values by relationship id: (id, bits), ascending.
        let mut by_id = ById::default();
        let mut kind: Option<bool> = None;
        let mut mixed = false;
        let mut missing = 0u64;
        let Some(k) = reader.names.id(Kind::PropKey, key) else {
            return Ok(Some((by_id, true, None)));
        };
        reader
            .kv
            .scan_bulk(Cf::Edges, &[], None, &mut |id, bytes| {
                let rec = decode_edge(bytes)?;
                if !wanted(rec.edge_type) {
                    return Ok(true);
                }
                let Some((_, v)) = rec.props.iter().find(|(p, _)| *p == k) else {
                    missing += 1;
                    return Ok(true);
                };
                let (ints, bits) = match v {
                    Value::Int(i) => (true, *i as u64),
                    Value::Float(f) => (false, f.to_bits()),
                    _ => {
                        mixed = true;
                        return Ok(false);
                    }
                };
                if *kind.get_or_insert(ints) != ints {
                    mixed = true;
                    return Ok(false);
                }
                by_id.push(read_u64(id, 0)?, bits);
                Ok(true)
            })?;
        Ok((!mixed).then(|| (by_id, kind.unwrap_or(true), Some(missing))))
    }

    fn build(
        r: &ReadTxn<'_>,
        csr: &Projection,
        types: &[String],
        key: &str,
    ) -> QResult<Option<EdgeColumn>> {
        let Some((values, ints, _)) = Self::values_by_id(r, types, key)? else {
            return Ok(None);
        };
        let reader = r.reader();
        let type_ids = type_ids(&reader, types);
        let wanted = |t: u32| type_ids.as_ref().is_none_or(|ids| ids.contains(&t));

        let mut bits = Packed::with_capacity(csr.edge_count());
        let mut present = FixedBitSet::with_capacity(csr.edge_count());
        reader.kv.scan_bulk(Cf::Out, &[], None, &mut |k, _| {
            let adj = decode_adj(k)?;
            if !wanted(adj.edge_type) || csr.index_of(adj.other).is_none() {
                return Ok(true);
            }
            let at = bits.len();
            match values.get(adj.edge.0) {
                Some(b) => {
                    bits.push(b);
                    present.grow(at + 1);
                    present.insert(at);
                }
                None => bits.push_unset(),
            }
            Ok(true)
        })?;
        if bits.len() != csr.edge_count() {
            return Ok(None);
        }
        present.grow(bits.len());
        Ok(Some(EdgeColumn {
            out: Numbers {
                ints,
                bits,
                present,
            },
            inc: OnceLock::new(),
        }))
    }
}

/// The ids of relationship `types` (`None`: every type, for none given).
fn type_ids(reader: &Reader<'_>, types: &[String]) -> Option<Vec<u32>> {
    (!types.is_empty()).then(|| {
        types
            .iter()
            .filter_map(|t| reader.names.id(Kind::EdgeType, t))
            .collect()
    })
}

/// Values by relationship id: by offset when the ids are dense (the
/// usual case: ids are handed out in order), else searched.
enum ById {
    Dense {
        base: u64,
        bits: Packed,
        present: FixedBitSet,
        /// How many values there are.
        count: usize,
    },
    Sorted(Vec<(u64, u64)>),
}

impl Default for ById {
    fn default() -> ById {
        ById::Dense {
            base: 0,
            bits: Packed::with_capacity(0),
            present: FixedBitSet::new(),
            count: 0,
        }
    }
}

impl ById {
    /// Adds relationship `id`'s value; ids come in ascending order. Kept
    /// by offset while at most about half the slots are empty, else as
    /// sorted pairs from then on.
    fn push(&mut self, id: u64, b: u64) {
        match self {
            ById::Sorted(pairs) => pairs.push((id, b)),
            ById::Dense {
                base,
                bits,
                present,
                count,
            } => {
                if *count == 0 {
                    *base = id;
                }
                let at = usize::try_from(id - *base).unwrap_or(usize::MAX);
                if at >= bits.len() && at / 2 > *count + 1024 {
                    let mut pairs: Vec<(u64, u64)> = present
                        .ones()
                        .map(|i| (*base + i as u64, bits.get(i)))
                        .collect();
                    pairs.push((id, b));
                    *self = ById::Sorted(pairs);
                    return;
                }
                if at >= bits.len() {
                    bits.grow(at + 1);
                    present.grow(at + 1);
                }
                bits.set(at, b);
                present.insert(at);
                *count += 1;
            }
        }
    }

    fn get(&self, id: u64) -> Option<u64> {
        match self {
            ById::Dense {
                base,
                bits,
                present,
                ..
            } => {
                let i = usize::try_from(id.checked_sub(*base)?).ok()?;
                present.contains(i).then(|| bits.get(i))
            }
            ById::Sorted(pairs) => pairs
                .binary_search_by_key(&id, |&(i, _)| i)
                .ok()
                .map(|i| pairs[i].1),
        }
    }
}

/// The relationship column of `key` over `types` for `r`'s snapshot and
/// its projection `csr`: cached, or built now (see `EdgeColumn::build`);
/// `None` when its values are not all integers or all floats.
pub(crate) fn edge_column(
    r: &ReadTxn<'_>,
    csr: &Projection,
    types: &[String],
    key: &str,
) -> QResult<Option<Arc<EdgeColumn>>> {
    let cache = r.db().extension::<ColumnCache>();
    cached_or(r, &cache.edges, types, key, || {
        EdgeColumn::build(r, csr, types, key)
    })
}

/// The values of a relationship property by relationship id (position:
/// the id less the first id that has the property), with how many
/// relationships of the types lack it.
pub(crate) struct IdColumn {
    pub column: Arc<EdgeColumn>,
    pub missing: u64,
}

/// The values of `key` on every relationship of `types` by relationship
/// id, for `r`'s snapshot: cached, or built now (one pass over the
/// relationship records; no projection). `None` when the values are not
/// all integers or all floats, no relationship has the key, or the ids
/// are too sparse to keep by offset.
pub(crate) fn edge_column_by_id(
    r: &ReadTxn<'_>,
    types: &[String],
    key: &str,
) -> QResult<Option<Arc<IdColumn>>> {
    let cache = r.db().extension::<ColumnCache>();
    cached_or(r, &cache.by_id, types, key, || {
        let Some((values, ints, Some(missing))) = EdgeColumn::values_by_id(r, types, key)? else {
            return Ok(None);
        };
        let ById::Dense { bits, present, .. } = values else {
            return Ok(None);
        };
        Ok(Some(IdColumn {
            column: Arc::new(EdgeColumn {
                out: Numbers {
                    ints,
                    bits,
                    present,
                },
                inc: OnceLock::new(),
            }),
            missing,
        }))
    })
}

/// A relationship column of `key` over `types` kept in `entries` for
/// `r`'s snapshot, or else `build`'s, kept from now.
fn cached_or<T>(
    r: &ReadTxn<'_>,
    entries: &Mutex<Vec<(u64, String, Arc<T>)>>,
    types: &[String],
    key: &str,
    build: impl FnOnce() -> QResult<Option<T>>,
) -> QResult<Option<Arc<T>>> {
    let generation = r.generation();
    let name = format!("{}\u{0}{key}", types.join("|"));
    let kept = entries
        .lock()
        .iter()
        .find(|(g, n, _)| *g == generation && *n == name)
        .map(|(_, _, c)| Arc::clone(c));
    if kept.is_some() {
        return Ok(kept);
    }
    let Some(value) = build()? else {
        return Ok(None);
    };
    let value = Arc::new(value);
    keep(entries, generation, &name, &value);
    Ok(Some(value))
}

/// A label's members, ascending.
pub(crate) type Members = Arc<[NodeId]>;

/// How many columns (and, apart, member lists) stay cached at once.
const MAX_CACHED: usize = 8;

/// The column cache: a model with no stored data, registered by the
/// assembly.
#[derive(Default)]
pub(crate) struct ColumnCache {
    /// `(generation, property key, column)`, oldest first.
    entries: Mutex<Vec<(u64, String, Arc<Column>)>>,
    /// `(generation, label, members)`, oldest first.
    members: Mutex<Vec<(u64, String, Members)>>,
    /// `(generation, types and key, relationship column)`, oldest first.
    edges: Mutex<Vec<(u64, String, Arc<EdgeColumn>)>>,
    /// The same, by relationship id.
    by_id: Mutex<Vec<(u64, String, Arc<IdColumn>)>>,
}

impl Extension for ColumnCache {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The column of `key` for `r`'s snapshot: cached, or built now (one
/// scan of the node records) and cached.
pub(crate) fn column(r: &ReadTxn<'_>, key: &str) -> QResult<Arc<Column>> {
    let cache = r.db().extension::<ColumnCache>();
    let generation = r.generation();
    if let Some((_, _, c)) = cache
        .entries
        .lock()
        .iter()
        .find(|(g, k, _)| *g == generation && k == key)
    {
        return Ok(Arc::clone(c));
    }
    let reader = r.reader();
    let mut build = ColumnBuild::default();
    if let Some(k) = reader.names.id(Kind::PropKey, key) {
        // A whole-range scan: the records' blocks do not stay in the
        // block cache, where they would hold memory point reads need.
        reader
            .kv
            .scan_bulk(Cf::Nodes, &[], None, &mut |id, bytes| {
                let rec = decode_node(bytes)?;
                if let Some(v) = rec.prop(k) {
                    build.push(NodeId(read_u64(id, 0)?), from_stored(v));
                }
                Ok(true)
            })?;
    }
    let column = Arc::new(build.finish());
    keep(&cache.entries, generation, key, &column);
    Ok(column)
}

/// The members of `label` in `r`'s snapshot: cached, or read now (one
/// scan of the label index) and cached.
pub(crate) fn members(r: &ReadTxn<'_>, label: &str) -> QResult<Members> {
    let cache = r.db().extension::<ColumnCache>();
    let generation = r.generation();
    if let Some((_, _, m)) = cache
        .members
        .lock()
        .iter()
        .find(|(g, l, _)| *g == generation && l == label)
    {
        return Ok(Arc::clone(m));
    }
    let ids = r.reader().nodes_with_label(label)?;
    let members: Members = ids.into();
    keep(&cache.members, generation, label, &members);
    Ok(members)
}

/// Caches `value` as `name`'s at `generation`, dropping entries of other
/// generations and the oldest past [`MAX_CACHED`].
fn keep<T: ?Sized>(
    entries: &Mutex<Vec<(u64, String, Arc<T>)>>,
    generation: u64,
    name: &str,
    value: &Arc<T>,
) {
    let mut entries = entries.lock();
    entries.retain(|(g, _, _)| *g == generation);
    if entries.len() >= MAX_CACHED {
        entries.remove(0);
    }
    entries.push((generation, name.to_owned(), Arc::clone(value)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(ids: &[u64]) -> Vec<(NodeId, CypherValue)> {
        ids.iter()
            .map(|&i| (NodeId(i), CypherValue::Int(i as i64 * 10)))
            .collect()
    }

    #[test]
    fn a_column_finds_each_nodes_value_dense_or_sparse() {
        let dense = Column::of(pairs(&[7, 8, 10, 11]));
        let sparse = Column::of(pairs(&[3, 1000, 5000]));
        assert!(matches!(dense, Column::Dense { base: 7, .. }));
        assert!(matches!(sparse, Column::Sparse(_)));
        for (column, ids) in [
            (&dense, &[7u64, 8, 10, 11][..]),
            (&sparse, &[3, 1000, 5000]),
        ] {
            for &i in ids {
                assert_eq!(
                    column.get(NodeId(i)).as_deref(),
                    Some(&CypherValue::Int(i as i64 * 10))
                );
            }
            for i in [0, 2, 9, 12, 999, 4999, 5001, u64::MAX] {
                if !ids.contains(&i) {
                    assert_eq!(column.get(NodeId(i)), None, "node {i}");
                }
            }
        }
        assert_eq!(Column::of(Vec::new()).get(NodeId(0)), None);
    }

    #[test]
    fn relationship_values_by_id_are_found_dense_or_sparse() {
        for ids in [
            vec![5u64, 6, 7, 9],
            (0..5000).map(|i| i * 7).collect(),
            (0..10).chain(1_000_000..1_000_005).collect::<Vec<u64>>(),
            vec![],
        ] {
            let mut by_id = ById::default();
            for &id in &ids {
                by_id.push(id, id * 2 + 1);
            }
            let last = ids.last().copied().unwrap_or(0);
            for id in (0..=last + 2).step_by(1 + (last / 20_000) as usize) {
                let want = ids.binary_search(&id).ok().map(|_| id * 2 + 1);
                assert_eq!(by_id.get(id), want, "id {id}");
            }
            for &id in &ids {
                assert_eq!(by_id.get(id), Some(id * 2 + 1));
            }
        }
    }

    /// The value of node `i` in the shapes of column the tests build.
    fn value(kind: usize, i: u64) -> CypherValue {
        match kind {
            0 => CypherValue::Int(i as i64 * 10 - 7),
            1 => CypherValue::from(format!("city{}", i % 13)),
            2 if i.is_multiple_of(5) => CypherValue::Float(i as f64 / 2.0),
            2 => CypherValue::Int(i as i64),
            3 if i % 7 == 3 => CypherValue::Int(1),
            3 => CypherValue::from(format!("s{}", i % 3)),
            // UTC datetimes, seconds apart: an instant column.
            5 => datetime(i as i64 * 1_000_000_007 - 5_000_000_000, 0),
            // Datetimes at two offsets: any values.
            6 => datetime(
                i as i64 * 60_000_000_000,
                if i % 9 == 4 { 3600 } else { -7200 },
            ),
            // Past the most distinct strings a coded column holds.
            _ => CypherValue::from(format!("n{i}")),
        }
    }

    fn datetime(nanos: i64, offset: i32) -> CypherValue {
        CypherValue::Temporal(Box::new(Temporal::DateTime(
            DateTime::at_offset(nanos, offset).unwrap(),
        )))
    }

    #[test]
    fn a_column_holds_what_was_pushed_in_every_form() {
        for ids in [
            vec![7u64, 8, 10, 11],
            vec![3, 1000, 5000],
            vec![0, 1, 2, 3, 5000, 5001],
            (0..3000).map(|i| i * 3).collect(),
            (0..100).chain(100_000..100_010).collect(),
            (0..(MAX_CODES as u64 + 100)).collect(),
            vec![],
        ] {
            for kind in 0..7 {
                let want: std::collections::BTreeMap<u64, CypherValue> =
                    ids.iter().map(|&i| (i, value(kind, i))).collect();
                let mut builder = ColumnBuild::default();
                for (&id, v) in &want {
                    builder.push(NodeId(id), v.clone());
                }
                let built = builder.finish();
                // Dense ids stay dense, in the narrowest slots.
                if ids.windows(2).all(|w| w[1] == w[0] + 1) && !ids.is_empty() {
                    let Column::Dense { values, .. } = &built else {
                        panic!("{kind}: dense ids hashed");
                    };
                    let form = match values {
                        Slots::Ints { .. } => 0,
                        Slots::Coded { .. } => 1,
                        Slots::Values(_) => 2,
                        Slots::Instants { .. } => 3,
                    };
                    let distinct = ids.len() > MAX_CODES;
                    let expected = match kind {
                        0 => 0,
                        1 => 1,
                        4 if !distinct => 1,
                        5 => 3,
                        6 if ids.iter().all(|i| i % 9 != 4) => 3,
                        _ => 2,
                    };
                    assert_eq!(form, expected, "kind {kind}, {} ids", ids.len());
                }
                let last = ids.last().copied().unwrap_or(0);
                let step = 1 + (last / 20_000) as usize;
                for i in (0..=last + 2).step_by(step).chain(ids.iter().copied()) {
                    let got = built.get(NodeId(i));
                    assert_eq!(got.as_deref(), want.get(&i), "kind {kind}, node {i}");
                    let int = match want.get(&i) {
                        Some(CypherValue::Int(v)) => Some(*v),
                        _ => None,
                    };
                    assert_eq!(built.int(NodeId(i)), int, "kind {kind}, node {i}");
                    if built.all_instants() {
                        let instant = want.get(&i).and_then(fixed_instant).map(|(n, _)| n);
                        assert_eq!(built.instant(NodeId(i)), instant, "kind {kind}, node {i}");
                    }
                }
            }
        }
    }
}
