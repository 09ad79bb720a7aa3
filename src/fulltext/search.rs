//! Answering a query on one view: the parsed query resolved against the
//! index (analysed words, fields, expanded wildcards and fuzzy words),
//! then either max-score top-k over term cursors — a disjunction of terms,
//! the common shape — or every match scored and the best kept.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Definition;
use super::block::{self, Block};
use super::bm25::{Weight, idf};
use super::keys::{self, Stats, TermInfo};
use super::query::{Occur, Query};
use crate::error::Result;
use crate::storage::keys::read_u64;
use crate::storage::{Cf, KvRead, Pages};

/// A hit: an entity's id (a `NodeId`'s or an `EdgeId`'s) and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct FulltextHit {
    /// The node's or relationship's id.
    pub id: u64,
    /// Its BM25 score.
    pub score: f32,
}

/// Fuzzy words expand to at most this many terms (Lucene's default).
const MAX_EXPANSIONS: usize = 50;

/// A query resolved against an index.
#[derive(Debug)]
enum Node {
    /// A term in a field, weighted.
    Term(Leaf),
    /// A phrase in a field: its terms with their offsets from the first.
    Phrase {
        field: u8,
        terms: Vec<(String, u32)>,
        slop: u32,
        boost: f32,
    },
    /// Documents holding any of `terms` in `field`, scored `boost`.
    Constant {
        field: u8,
        terms: Vec<String>,
        boost: f32,
    },
    Bool {
        must: Vec<Node>,
        should: Vec<Node>,
        must_not: Vec<Node>,
        boost: f32,
    },
    All(f32),
    Nothing,
}

#[derive(Debug)]
struct Leaf {
    field: u8,
    term: String,
    boost: f32,
}

struct Resolver<'a> {
    kv: &'a dyn KvRead,
    def: &'a Definition,
}

impl Resolver<'_> {
    /// The fields a clause searches: the one named, or all.
    fn fields(&self, field: Option<&String>) -> Vec<u8> {
        match field {
            None => (0..self.def.properties.len() as u8).collect(),
            Some(name) => self
                .def
                .properties
                .iter()
                .position(|p| p == name)
                .map(|f| vec![f as u8])
                .unwrap_or_default(),
        }
    }

    #[allow(clippy::too_many_lines, reason = "one arm per query kind")]
    fn resolve(&self, q: &Query) -> Result<Node> {
        Ok(match q {
            Query::Term { field, text, boost } => {
                let terms = self.def.analyzer.tokens(text);
                let mut should = Vec::new();
                for f in self.fields(field.as_ref()) {
                    for t in &terms {
                        should.push(Node::Term(Leaf {
                            field: f,
                            term: t.term.clone(),
                            boost: *boost,
                        }));
                    }
                }
                or(should)
            }
            Query::Phrase {
                field,
                text,
                slop,
                boost,
            } => {
                let tokens = self.def.analyzer.tokens(text);
                let Some(first) = tokens.first().map(|t| t.position) else {
                    return Ok(Node::Nothing);
                };
                let mut should = Vec::new();
                for f in self.fields(field.as_ref()) {
                    if tokens.len() == 1 {
                        should.push(Node::Term(Leaf {
                            field: f,
                            term: tokens[0].term.clone(),
                            boost: *boost,
                        }));
                    } else {
                        should.push(Node::Phrase {
                            field: f,
                            terms: tokens
                                .iter()
                                .map(|t| (t.term.clone(), t.position - first))
                                .collect(),
                            slop: *slop,
                            boost: *boost,
                        });
                    }
                }
                or(should)
            }
            Query::Wildcard {
                field,
                pattern,
                boost,
            } => {
                let pattern = self.def.analyzer.normalise(pattern);
                let literal: String = pattern
                    .chars()
                    .take_while(|c| *c != '*' && *c != '?')
                    .collect();
                let pattern: Vec<char> = pattern.chars().collect();
                let mut should = Vec::new();
                for f in self.fields(field.as_ref()) {
                    let mut terms = Vec::new();
                    self.each_term(f, &literal, &mut |term, _| {
                        if wildcard_match(&pattern, &term.chars().collect::<Vec<_>>()) {
                            terms.push(term.to_owned());
                        }
                    })?;
                    if !terms.is_empty() {
                        should.push(Node::Constant {
                            field: f,
                            terms,
                            boost: *boost,
                        });
                    }
                }
                or(should)
            }
            Query::Fuzzy {
                field,
                text,
                distance,
                boost,
            } => {
                let word: Vec<char> = self.def.analyzer.normalise(text).chars().collect();
                let mut should = Vec::new();
                for f in self.fields(field.as_ref()) {
                    // (edits, -df, term)
                    let mut found: Vec<(u8, i64, String)> = Vec::new();
                    self.each_term(f, "", &mut |term, info| {
                        let chars: Vec<char> = term.chars().collect();
                        if let Some(d) = edits_within(&word, &chars, *distance) {
                            found.push((d, -i64::from(info.df), term.to_owned()));
                        }
                    })?;
                    found.sort();
                    found.truncate(MAX_EXPANSIONS);
                    for (d, _, term) in found {
                        let shortest = word.len().min(term.chars().count()).max(1) as f32;
                        let similarity = (1.0 - f32::from(d) / shortest).max(0.0);
                        should.push(Node::Term(Leaf {
                            field: f,
                            term,
                            boost: boost * similarity,
                        }));
                    }
                }
                or(should)
            }
            Query::Boolean { clauses, boost } => {
                let (mut must, mut should, mut must_not) = (Vec::new(), Vec::new(), Vec::new());
                for (occur, q) in clauses {
                    let node = self.resolve(q)?;
                    match occur {
                        Occur::Must => must.push(node),
                        Occur::Should => should.push(node),
                        Occur::MustNot => must_not.push(node),
                    }
                }
                Node::Bool {
                    must,
                    should,
                    must_not,
                    boost: *boost,
                }
            }
            Query::All { boost } => Node::All(*boost),
        })
    }

    /// Calls `visit` for every term of `field` starting with `prefix`.
    fn each_term(
        &self,
        field: u8,
        prefix: &str,
        visit: &mut dyn FnMut(&str, TermInfo),
    ) -> Result<()> {
        let start = keys::term_key(self.def.id, field, prefix);
        self.kv.scan(Cf::Fulltext, &start, &mut |k, v| {
            visit(keys::term_of(k)?, TermInfo::decode(v)?);
            Ok(true)
        })
    }
}

fn or(mut should: Vec<Node>) -> Node {
    match should.len() {
        0 => Node::Nothing,
        1 => should.pop().unwrap_or(Node::Nothing),
        _ => Node::Bool {
            must: Vec::new(),
            should,
            must_not: Vec::new(),
            boost: 1.0,
        },
    }
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character).
fn wildcard_match(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The edit distance between `a` and `b` (a swap of neighbours is one
/// edit) if it is at most `max`.
fn edits_within(a: &[char], b: &[char], max: u8) -> Option<u8> {
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut rows = vec![vec![0usize; w]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate() {
        *cell = j;
    }
    // rows[0]: two rows back, rows[1]: previous, rows[2]: current.
    for i in 1..=a.len() {
        rows[2][0] = i;
        let mut best = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[1][j] + 1)
                .min(rows[2][j - 1] + 1)
                .min(rows[1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[0][j - 2] + 1);
            }
            rows[2][j] = d;
            best = best.min(d);
        }
        if best > max {
            return None;
        }
        rows.rotate_left(1);
    }
    let d = rows[1][b.len()];
    (d <= max).then_some(d as u8)
}

/// The statistics and term records a search reads.
struct Scorer<'a> {
    kv: &'a dyn KvRead,
    def: &'a Definition,
    stats: Stats,
}

impl Scorer<'_> {
    fn info(&self, field: u8, term: &str) -> Result<Option<TermInfo>> {
        self.kv
            .get(Cf::Fulltext, &keys::term_key(self.def.id, field, term))?
            .map(|b| TermInfo::decode(&b))
            .transpose()
    }

    fn weight(&self, field: u8, idf: f32, boost: f32) -> Weight {
        Weight::new(idf, boost, self.stats.average(usize::from(field)))
    }

    fn cursor(&self, leaf: &Leaf) -> Result<Option<Cursor<'_>>> {
        let Some(info) = self.info(leaf.field, &leaf.term)? else {
            return Ok(None);
        };
        let weight = self.weight(
            leaf.field,
            idf(u64::from(info.df), self.stats.docs),
            leaf.boost,
        );
        let bound = weight.bound(info.max_tf, info.min_norm);
        let prefix = keys::postings_prefix(self.def.id, leaf.field, &leaf.term);
        let mut c = Cursor {
            pages: Pages::prefix(self.kv, Cf::Fulltext, &prefix),
            block: Block::default(),
            at: 0,
            weight,
            bound,
            df: info.df,
            raw: Vec::new(),
            last: 0,
            block_bound: 0.0,
            decoded: false,
            done: false,
        };
        c.load_next(0)?;
        Ok(Some(c))
    }

    /// Every match of `node` with its score, by document.
    fn all(&self, node: &Node) -> Result<Vec<(u64, f32)>> {
        match node {
            Node::Nothing => Ok(Vec::new()),
            Node::All(boost) => {
                let mut out = Vec::new();
                let prefix = keys::docs_prefix(self.def.id);
                self.kv.scan(Cf::Fulltext, &prefix, &mut |k, _| {
                    out.push((read_u64(k, prefix.len())?, *boost));
                    Ok(true)
                })?;
                Ok(out)
            }
            Node::Term(leaf) => {
                let mut out = Vec::new();
                if let Some(mut c) = self.cursor(leaf)? {
                    while let Some(doc) = c.doc() {
                        out.push((doc, c.score()));
                        c.next()?;
                    }
                }
                Ok(out)
            }
            Node::Constant {
                field,
                terms,
                boost,
            } => {
                let mut docs = Vec::new();
                for term in terms {
                    let leaf = Leaf {
                        field: *field,
                        term: term.clone(),
                        boost: 1.0,
                    };
                    if let Some(mut c) = self.cursor(&leaf)? {
                        while let Some(doc) = c.doc() {
                            docs.push(doc);
                            c.next()?;
                        }
                    }
                }
                docs.sort_unstable();
                docs.dedup();
                Ok(docs.into_iter().map(|d| (d, *boost)).collect())
            }
            Node::Phrase {
                field,
                terms,
                slop,
                boost,
            } => self.phrase(*field, terms, *slop, *boost),
            Node::Bool {
                must,
                should,
                must_not,
                boost,
            } => {
                let mut result: Option<Vec<(u64, f32)>> = None;
                for m in must {
                    let next = self.all(m)?;
                    result = Some(match result {
                        None => next,
                        Some(acc) => intersect(&acc, &next),
                    });
                }
                let mut optional: Vec<(u64, f32)> = Vec::new();
                for s in should {
                    optional = union(&optional, &self.all(s)?);
                }
                let mut out = match result {
                    // Required clauses decide; optional ones add scores.
                    Some(required) => add_matching(&required, &optional),
                    // Lucene: a query of only exclusions matches nothing.
                    None => optional,
                };
                for n in must_not {
                    let excluded = self.all(n)?;
                    out = subtract(&out, &excluded);
                }
                for hit in &mut out {
                    hit.1 *= boost;
                }
                Ok(out)
            }
        }
    }

    /// A phrase's matches: documents with its terms at their offsets
    /// (within `slop` moves in all), scored with the sum of the terms'
    /// idf and the phrase's frequency.
    fn phrase(
        &self,
        field: u8,
        terms: &[(String, u32)],
        slop: u32,
        boost: f32,
    ) -> Result<Vec<(u64, f32)>> {
        let mut cursors = Vec::with_capacity(terms.len());
        let mut idf_sum = 0.0f32;
        for (term, _) in terms {
            let leaf = Leaf {
                field,
                term: term.clone(),
                boost: 1.0,
            };
            let Some(c) = self.cursor(&leaf)? else {
                return Ok(Vec::new());
            };
            idf_sum += idf(u64::from(c.df), self.stats.docs);
            cursors.push(c);
        }
        let weight = self.weight(field, idf_sum, boost);
        let mut out = Vec::new();
        'docs: loop {
            // Align every cursor on one document.
            let mut target = 0u64;
            for c in &cursors {
                match c.doc() {
                    Some(d) => target = target.max(d),
                    None => break 'docs,
                }
            }
            let mut aligned = true;
            for c in &mut cursors {
                c.advance(target)?;
                match c.doc() {
                    Some(d) if d == target => {}
                    Some(_) => aligned = false,
                    None => break 'docs,
                }
            }
            if !aligned {
                continue;
            }
            for c in &mut cursors {
                c.read_positions()?;
            }
            let positions: Vec<&[u32]> = cursors.iter().map(|c| c.block.one.as_slice()).collect();
            let freq = phrase_frequency(&positions, terms, slop);
            if freq > 0 {
                out.push((target, weight.score(freq, cursors[0].norm())));
            }
            for c in &mut cursors {
                c.next()?;
            }
        }
        Ok(out)
    }

    /// The best `k` of a disjunction of terms, by max-score (Turtle and
    /// Flood): the terms sorted by the bound on their scores, those
    /// whose bounds together cannot reach the `k`th best score so far are
    /// *non-essential* — a document only they hold cannot enter — so
    /// candidates come from the essential terms alone, and the others are
    /// moved to a candidate (skipping whole blocks undecoded) only while
    /// they could still lift it over the threshold.
    fn top_k(&self, leaves: &[&Leaf], k: usize, admit: Option<&[u64]>) -> Result<Vec<(u64, f32)>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut cursors = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            if let Some(c) = self.cursor(leaf)? {
                cursors.push(c);
            }
        }
        cursors.sort_by(|a, b| a.bound.total_cmp(&b.bound));
        // bounds[i]: the sum of the bounds of cursors[..i].
        let mut bounds = vec![0.0f32; cursors.len() + 1];
        for (i, c) in cursors.iter().enumerate() {
            bounds[i + 1] = bounds[i] + c.bound;
        }
        let mut top: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k.min(4096) + 1);
        let mut threshold = f32::NEG_INFINITY;
        // cursors[..essential] are non-essential.
        let mut essential = 0;
        'candidates: while let Some(doc) = cursors[essential..].iter().filter_map(Cursor::doc).min()
        {
            if admit.is_some_and(|keys| keys.binary_search(&doc).is_err()) {
                // Filtered out: not scored, and never raises the threshold.
                for c in &mut cursors[essential..] {
                    if c.doc() == Some(doc) {
                        c.next()?;
                    }
                }
                continue;
            }
            let mut score = 0.0f32;
            for c in &mut cursors[essential..] {
                if c.doc() == Some(doc) {
                    score += c.score();
                    c.next()?;
                }
            }
            for i in (0..essential).rev() {
                if score + bounds[i + 1] < threshold {
                    continue 'candidates;
                }
                let c = &mut cursors[i];
                // Block-max: the bound of the block that would hold the
                // document, before decoding it.
                c.shallow(doc)?;
                if c.done {
                    continue;
                }
                if score + bounds[i] + c.block_bound < threshold {
                    continue 'candidates;
                }
                c.advance(doc)?;
                if c.doc() == Some(doc) {
                    score += c.score();
                }
            }
            offer(&mut top, k, doc, score);
            if top.len() == k {
                threshold = top.peek().map_or(threshold, |r| r.score);
                while essential < cursors.len() && bounds[essential + 1] < threshold {
                    essential += 1;
                }
            }
        }
        Ok(top.into_iter().map(|r| (r.doc, r.score)).collect())
    }
}

/// A hit in the heap of the best so far: the heap's top is the worst
/// (lowest score; among equal scores, the highest id).
struct Ranked {
    score: f32,
    doc: u64,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        // Greater = worse.
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}

fn offer(top: &mut BinaryHeap<Ranked>, k: usize, doc: u64, score: f32) {
    let r = Ranked { score, doc };
    if top.len() < k {
        top.push(r);
    } else if top.peek().is_some_and(|worst| r < *worst) {
        top.pop();
        top.push(r);
    }
}

/// A term's postings, read a block at a time. A block is first only
/// reached (its bytes and its header's score bound, [`shallow`]) and
/// decoded when a document of it is asked for.
///
/// [`shallow`]: Cursor::shallow
struct Cursor<'a> {
    pages: Pages<'a>,
    block: Block,
    at: usize,
    weight: Weight,
    bound: f32,
    /// The term's document frequency (a phrase sums the terms' idf).
    df: u32,
    /// The current block's bytes, its key (its last document, or
    /// `u64::MAX`) and the bound on its scores.
    raw: Vec<u8>,
    last: u64,
    block_bound: f32,
    decoded: bool,
    done: bool,
}

impl Cursor<'_> {
    /// The current document (once decoded: after `next` or `advance`).
    fn doc(&self) -> Option<u64> {
        if self.done {
            return None;
        }
        self.block.docs.get(self.at).copied()
    }

    fn score(&self) -> f32 {
        self.weight
            .score(self.block.tfs[self.at], self.block.norms[self.at])
    }

    fn norm(&self) -> u8 {
        self.block.norms[self.at]
    }

    /// Reads the current document's positions into `block.one`.
    fn read_positions(&mut self) -> Result<()> {
        self.block.read_positions(&self.raw, self.at)
    }

    fn next(&mut self) -> Result<()> {
        self.at += 1;
        if self.at >= self.block.docs.len() {
            self.load_next(0)?;
        }
        Ok(())
    }

    /// Reaches the next block whose key is at least `target`, skipping
    /// the others; nothing is decoded.
    fn load_raw(&mut self, target: u64) -> Result<()> {
        loop {
            let Some(entry) = self.pages.next_entry() else {
                self.done = true;
                self.block.docs.clear();
                return Ok(());
            };
            let (key, value) = entry?;
            let last = read_u64(key, key.len().saturating_sub(8))?;
            if last < target {
                continue;
            }
            let (head, _) = block::header(value)?;
            self.raw.clear();
            self.raw.extend_from_slice(value);
            self.last = last;
            self.block_bound = self.weight.bound(head.max_tf, head.min_norm);
            self.decoded = false;
            self.at = 0;
            return Ok(());
        }
    }

    fn decode(&mut self) -> Result<()> {
        if !self.decoded && !self.done {
            block::decode(&self.raw, false, &mut self.block)?;
            self.decoded = true;
            self.at = 0;
        }
        Ok(())
    }

    /// Decodes the next block whose key is at least `target`.
    fn load_next(&mut self, target: u64) -> Result<()> {
        self.load_raw(target)?;
        self.decode()
    }

    /// Moves to the block that holds (or would hold) `target`, without
    /// decoding it: [`block_bound`](Self::block_bound) then bounds the
    /// score `target` could get.
    fn shallow(&mut self, target: u64) -> Result<()> {
        if !self.done && self.last < target {
            self.load_raw(target)?;
        }
        Ok(())
    }

    /// Moves to the first document at or after `target`.
    fn advance(&mut self, target: u64) -> Result<()> {
        self.shallow(target)?;
        self.decode()?;
        loop {
            match self.block.docs.last() {
                None => return Ok(()),
                Some(&last) if last >= target => {
                    let from = self.at;
                    self.at = from + self.block.docs[from..].partition_point(|&d| d < target);
                    return Ok(());
                }
                Some(_) => self.load_next(target)?,
            }
        }
    }
}

/// How often the phrase occurs: starts of its first term from which
/// every term lies at its offset, its distances from there summing to at
/// most `slop`.
fn phrase_frequency(positions: &[&[u32]], terms: &[(String, u32)], slop: u32) -> u32 {
    let mut freq = 0;
    for &start in positions[0] {
        let mut moves = 0u32;
        let mut ok = true;
        for (i, ps) in positions.iter().enumerate().skip(1) {
            let want = i64::from(start) + i64::from(terms[i].1);
            let nearest = ps
                .iter()
                .map(|&p| (i64::from(p) - want).unsigned_abs())
                .min()
                .unwrap_or(u64::MAX);
            if nearest > u64::from(slop) {
                ok = false;
                break;
            }
            moves += nearest as u32;
        }
        if ok && moves <= slop {
            freq += 1;
        }
    }
    freq
}

fn intersect(a: &[(u64, f32)], b: &[(u64, f32)]) -> Vec<(u64, f32)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn union(left: &[(u64, f32)], right: &[(u64, f32)]) -> Vec<(u64, f32)> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
    loop {
        let next = match (l.peek(), r.peek()) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                let both = (x.0, x.1 + y.1);
                l.next();
                r.next();
                both
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                let one = **x;
                l.next();
                one
            }
            (Some(x), None) => {
                let one = **x;
                l.next();
                one
            }
            (_, Some(y)) => {
                let one = **y;
                r.next();
                one
            }
            (None, None) => return out,
        };
        out.push(next);
    }
}

/// `required`, each with the score of its match in `optional` added.
fn add_matching(required: &[(u64, f32)], optional: &[(u64, f32)]) -> Vec<(u64, f32)> {
    let mut j = 0;
    required
        .iter()
        .map(|&(doc, score)| {
            j += optional[j..].partition_point(|o| o.0 < doc);
            match optional.get(j) {
                Some(o) if o.0 == doc => (doc, score + o.1),
                _ => (doc, score),
            }
        })
        .collect()
}

fn subtract(a: &[(u64, f32)], b: &[(u64, f32)]) -> Vec<(u64, f32)> {
    let mut j = 0;
    a.iter()
        .filter(|&&(doc, _)| {
            j += b[j..].partition_point(|o| o.0 < doc);
            b.get(j).is_none_or(|o| o.0 != doc)
        })
        .copied()
        .collect()
}

/// The leaves of a pure disjunction of terms (max-score answers it), or
/// `None` for any other shape.
fn disjunction(node: &Node) -> Option<Vec<&Leaf>> {
    match node {
        Node::Term(leaf) => Some(vec![leaf]),
        Node::Bool {
            must,
            should,
            must_not,
            boost,
        } if must.is_empty() && must_not.is_empty() && (*boost - 1.0).abs() < f32::EPSILON => {
            let mut out = Vec::new();
            for s in should {
                out.extend(disjunction(s)?);
            }
            Some(out)
        }
        Node::Nothing => Some(Vec::new()),
        _ => None,
    }
}

/// Runs `query` on `def` in `kv`: hits ranked `skip + 1 ..= skip + limit`
/// among the documents `admit` holds (sorted; `None`: all).
pub(crate) fn run(
    kv: &dyn KvRead,
    def: &Definition,
    query: &Query,
    skip: usize,
    limit: usize,
    admit: Option<&[u64]>,
) -> Result<Vec<FulltextHit>> {
    let stats = match kv.get(Cf::Fulltext, &keys::stats_key(def.id))? {
        Some(bytes) => Stats::decode(&bytes, def.properties.len())?,
        None => Stats::empty(def.properties.len()),
    };
    let node = Resolver { kv, def }.resolve(query)?;
    let scorer = Scorer { kv, def, stats };
    let k = skip.saturating_add(limit);
    let mut hits = if let Some(leaves) = disjunction(&node) {
        scorer.top_k(&leaves, k, admit)?
    } else {
        let mut all = scorer.all(&node)?;
        if let Some(keys) = admit {
            all.retain(|h| keys.binary_search(&h.0).is_ok());
        }
        all
    };
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(hits
        .into_iter()
        .skip(skip)
        .take(limit)
        .map(|(id, score)| FulltextHit { id, score })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn wildcards_and_edit_distances() {
        assert!(wildcard_match(&chars("lib*"), &chars("libssl")));
        assert!(wildcard_match(&chars("*ssl"), &chars("libssl")));
        assert!(wildcard_match(&chars("l?b*l"), &chars("libssl")));
        assert!(!wildcard_match(&chars("l?b"), &chars("libssl")));
        assert_eq!(edits_within(&chars("roam"), &chars("roam"), 2), Some(0));
        assert_eq!(edits_within(&chars("roam"), &chars("foam"), 2), Some(1));
        assert_eq!(edits_within(&chars("roam"), &chars("raom"), 2), Some(1));
        assert_eq!(edits_within(&chars("roam"), &chars("roaming"), 2), None);
        assert_eq!(edits_within(&chars("kitten"), &chars("sitting"), 2), None);
        assert_eq!(edits_within(&chars("kitten"), &chars("sitten"), 1), Some(1));
    }

    #[test]
    fn phrase_frequency_counts_starts() {
        let terms = vec![("a".to_owned(), 0), ("b".to_owned(), 1)];
        assert_eq!(phrase_frequency(&[&[0, 5, 9], &[1, 6, 20]], &terms, 0), 2);
        assert_eq!(phrase_frequency(&[&[0], &[3]], &terms, 1), 0);
        assert_eq!(phrase_frequency(&[&[0], &[3]], &terms, 2), 1);
    }
}
