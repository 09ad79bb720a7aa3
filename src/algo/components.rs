//! Connected components: weakly (union-find) and strongly (iterative
//! Tarjan) connected.

use super::Projection;

/// A partition of a projection's nodes into components.
///
/// Components are numbered `0..count()` by decreasing size (ties: by the
/// smallest dense index in the component), so component 0 is the largest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Components {
    of: Vec<u32>,
    sizes: Vec<usize>,
}

impl Components {
    /// Renumbers an arbitrary labelling (`raw[i]` < n names i's component).
    fn from_raw(raw: &[u32]) -> Components {
        let n = raw.len();
        let mut size = vec![0usize; n];
        let mut first = vec![u32::MAX; n];
        for (i, &r) in raw.iter().enumerate() {
            size[r as usize] += 1;
            if first[r as usize] == u32::MAX {
                first[r as usize] = i as u32;
            }
        }
        let mut reps: Vec<u32> = (0..n as u32).filter(|&r| size[r as usize] > 0).collect();
        reps.sort_unstable_by_key(|&r| (std::cmp::Reverse(size[r as usize]), first[r as usize]));
        let mut number = vec![0u32; n];
        for (c, &r) in reps.iter().enumerate() {
            number[r as usize] = c as u32;
        }
        Components {
            of: raw.iter().map(|&r| number[r as usize]).collect(),
            sizes: reps.iter().map(|&r| size[r as usize]).collect(),
        }
    }

    /// The number of components.
    #[must_use]
    pub fn count(&self) -> usize {
        self.sizes.len()
    }

    /// Component sizes, largest first (`sizes()[c]` is the size of component `c`).
    #[must_use]
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The size of the largest component (0 for an empty graph).
    #[must_use]
    pub fn largest(&self) -> usize {
        self.sizes.first().copied().unwrap_or(0)
    }

    /// The component of each node, by dense index.
    #[must_use]
    pub fn labels(&self) -> &[u32] {
        &self.of
    }

    /// The component of dense node `i`.
    #[must_use]
    pub fn component_of(&self, i: u32) -> u32 {
        self.of[i as usize]
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize]; // path halving
        x = p;
    }
    x
}

/// Weakly connected components (edge direction ignored), by union-find with
/// union by size and path halving.
///
/// Complexity: O((V + E) α(V)) time, O(V) extra memory.
///
/// ```
/// # use quiverdb::{Database, GraphRead, props, algo::ProjectionSpec};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let a = w.add_node(&[], props! {})?;
/// let b = w.add_node(&[], props! {})?;
/// let c = w.add_node(&[], props! {})?;
/// w.add_edge(b, a, "T", props! {})?;
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// let wcc = quiverdb::algo::weakly_connected_components(&p);
/// assert_eq!(wcc.sizes(), &[2, 1]);
/// assert_eq!(wcc.component_of(p.require(c)?), 1);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn weakly_connected_components(p: &Projection) -> Components {
    let n = p.node_count();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut size = vec![1u32; n];
    for s in 0..n as u32 {
        for &t in p.out_neighbors(s) {
            let (a, b) = (find(&mut parent, s), find(&mut parent, t));
            if a != b {
                let (big, small) = if size[a as usize] >= size[b as usize] {
                    (a, b)
                } else {
                    (b, a)
                };
                parent[small as usize] = big;
                size[big as usize] += size[small as usize];
            }
        }
    }
    let raw: Vec<u32> = (0..n as u32).map(|i| find(&mut parent, i)).collect();
    Components::from_raw(&raw)
}

/// Weakly connected components by breadth-first search over out- and
/// in-edges. Same result as [`weakly_connected_components`]; kept as an
/// independent cross-check.
///
/// Complexity: O(V + E) time, O(V) extra memory.
#[must_use]
pub fn weakly_connected_components_bfs(p: &Projection) -> Components {
    let n = p.node_count();
    let mut raw = vec![u32::MAX; n];
    let mut queue = std::collections::VecDeque::new();
    for root in 0..n as u32 {
        if raw[root as usize] != u32::MAX {
            continue;
        }
        raw[root as usize] = root;
        queue.push_back(root);
        while let Some(v) = queue.pop_front() {
            for &w in p.out_neighbors(v).iter().chain(p.in_neighbors(v)) {
                if raw[w as usize] == u32::MAX {
                    raw[w as usize] = root;
                    queue.push_back(w);
                }
            }
        }
    }
    Components::from_raw(&raw)
}

/// Strongly connected components, by Tarjan's algorithm written
/// iteratively (an explicit stack instead of recursion, so a deep graph
/// cannot overflow the thread's stack — petgraph's `tarjan_scc` recurses).
///
/// Complexity: O(V + E) time, O(V) extra memory.
///
/// ```
/// # use quiverdb::{Database, GraphRead, props, algo::ProjectionSpec};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let a = w.add_node(&[], props! {})?;
/// let b = w.add_node(&[], props! {})?;
/// let c = w.add_node(&[], props! {})?;
/// w.add_edge(a, b, "T", props! {})?;
/// w.add_edge(b, a, "T", props! {})?;
/// w.add_edge(b, c, "T", props! {})?;
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// let scc = quiverdb::algo::strongly_connected_components(&p);
/// assert_eq!(scc.sizes(), &[2, 1]);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn strongly_connected_components(p: &Projection) -> Components {
    const UNSEEN: u32 = u32::MAX;
    let n = p.node_count();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut raw = vec![0u32; n];
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut counter = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        index[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        calls.push((root, p.out.offsets[root as usize]));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let end = p.out.offsets[v as usize + 1];
            if *pos < end {
                let w = p.out.targets[*pos];
                *pos += 1;
                if index[w as usize] == UNSEEN {
                    index[w as usize] = counter;
                    low[w as usize] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, p.out.offsets[w as usize]));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if low[v as usize] == index[v as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    raw[w as usize] = v;
                    if w == v {
                        break;
                    }
                }
            }
            if let Some(&(u, _)) = calls.last() {
                low[u as usize] = low[u as usize].min(low[v as usize]);
            }
        }
    }
    Components::from_raw(&raw)
}
