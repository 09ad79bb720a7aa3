//! Local clustering coefficient, as LDBC Graphalytics defines it.

use super::Projection;

/// Local clustering coefficient of every node, as LDBC Graphalytics defines
/// it: with `N(v)` the set of in- and out-neighbours of `v` (itself
/// excluded), `LCC(v) = Σ_{u ∈ N(v)} |N(v) ∩ N⁺(u)| / (|N(v)|·(|N(v)|-1))`,
/// and 0 when `|N(v)| ≤ 1`. With `directed`, `N⁺(u)` is the out-neighbour
/// set of `u`, so edge directions count; otherwise it is `N(u)` and the
/// result is the usual undirected coefficient. Parallel edges count once.
///
/// Complexity: `O(Σ_v Σ_{u ∈ N(v)} deg(u))` time, O(V) memory.
///
/// ```
/// # use quiverdb::{Database, GraphRead, props, algo::{self, ProjectionSpec}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let n: Vec<_> = (0..3).map(|_| w.add_node(&[], props! {})).collect::<Result<_, _>>()?;
/// w.add_edge(n[0], n[1], "T", props! {})?;
/// w.add_edge(n[1], n[2], "T", props! {})?;
/// w.add_edge(n[0], n[2], "T", props! {})?;
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// assert_eq!(algo::lcc(&p, false), vec![1.0, 1.0, 1.0]);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn lcc(p: &Projection, directed: bool) -> Vec<f64> {
    let n = p.node_count();
    // `member[w] == v + 1` marks w ∈ N(v); `seen[w] == u + 1` dedups N⁺(u).
    let mut member = vec![0u32; n];
    let mut seen = vec![0u32; n];
    let mut nbrs: Vec<u32> = Vec::new();
    let mut out = vec![0.0; n];
    for v in 0..n as u32 {
        nbrs.clear();
        for &w in p.out_neighbors(v).iter().chain(p.in_neighbors(v)) {
            if w != v && member[w as usize] != v + 1 {
                member[w as usize] = v + 1;
                nbrs.push(w);
            }
        }
        let d = nbrs.len();
        if d <= 1 {
            continue;
        }
        let mut links = 0u64;
        for &u in &nbrs {
            let succ = p.out_neighbors(u);
            let rest: &[u32] = if directed { &[] } else { p.in_neighbors(u) };
            for &w in succ.iter().chain(rest) {
                if w != u && member[w as usize] == v + 1 && seen[w as usize] != u + 1 {
                    seen[w as usize] = u + 1;
                    links += 1;
                }
            }
            // Reset the dedup marks of u's neighbours that were counted, so
            // the next u starts clean.
            for &w in succ.iter().chain(rest) {
                if seen[w as usize] == u + 1 {
                    seen[w as usize] = 0;
                }
            }
        }
        out[v as usize] = links as f64 / (d * (d - 1)) as f64;
    }
    out
}
