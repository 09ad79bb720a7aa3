//! Community detection by modularity or CPM: Leiden (Traag, Waltman &
//! van Eck 2019) and Louvain (Blondel et al. 2008), with every level of
//! the hierarchy they build.
//!
//! Both read the projection as an undirected multigraph: each stored edge
//! is one undirected edge of its weight (1 when unweighted), so a pair
//! linked both ways is linked with twice the weight, and a self-loop adds
//! twice its weight to its node's degree — igraph's
//! `as_undirected(mode="each")`, on which igraph's `modularity`,
//! `community_leiden` and `community_multilevel` give the same numbers.

mod moving;
mod network;
mod refine;

use super::Projection;
use crate::error::{Error, Result};
use crate::parallel::Padded;
use crate::rng::Rng;
use moving::{Mover, Partition};
use network::{Aggregate, Base, Gather, Network, aggregate, meet, renumber, sum_by};
use refine::Refiner;

/// What the community search maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Objective {
    /// Modularity, `Q = 1/2m · Σ_c (A_c − γ·K_c² / 2m)` with `A_c` the
    /// adjacency weight inside community `c` (each internal edge counted at
    /// both ends), `K_c` the sum of its nodes' degrees and `m` the total
    /// edge weight. γ = 1 is Newman–Girvan modularity; larger γ gives
    /// smaller communities.
    #[default]
    Modularity,
    /// The constant Potts model, `1/2m · Σ_c (A_c − γ·n_c²)` with `n_c`
    /// the community's node count (igraph's CPM with unit node weights):
    /// a community's edge density must exceed γ. It has no resolution
    /// limit, so it suits finding small dense groups in a large graph.
    Cpm,
}

/// The parameters of [`leiden`] and [`louvain`].
///
/// The defaults: modularity, resolution 1, seed 0, three iterations,
/// randomness 0.01 (igraph's `community_leiden` runs two: a third costs
/// less than the second and raised the mean modularity on the graphs of
/// `docs/BENCHMARKS.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct LeidenConfig {
    objective: Objective,
    resolution: f64,
    seed: u64,
    iterations: u32,
    randomness: f64,
}

impl Default for LeidenConfig {
    fn default() -> Self {
        LeidenConfig {
            objective: Objective::Modularity,
            resolution: 1.0,
            seed: 0,
            iterations: 3,
            randomness: 0.01,
        }
    }
}

impl LeidenConfig {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// What to maximise.
    #[must_use]
    pub fn objective(mut self, objective: Objective) -> Self {
        self.objective = objective;
        self
    }

    /// The resolution γ (finite, not negative).
    #[must_use]
    pub fn resolution(mut self, gamma: f64) -> Self {
        self.resolution = gamma;
        self
    }

    /// The seed of the random node orders and choices: the same seed on
    /// the same projection gives the same communities.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many times to run the whole algorithm, each run starting from
    /// the last one's communities (a later run moves single nodes again,
    /// which the first run's upper levels could not); 0 runs until a run
    /// changes nothing, which leaves no node that could move for a gain.
    #[must_use]
    pub fn iterations(mut self, n: u32) -> Self {
        self.iterations = n;
        self
    }

    /// θ of Leiden's refinement (positive): how freely a node joins a
    /// part that is not the best for it. Louvain ignores it.
    #[must_use]
    pub fn randomness(mut self, theta: f64) -> Self {
        self.randomness = theta;
        self
    }

    fn check(&self) -> Result<()> {
        if !self.resolution.is_finite() || self.resolution < 0.0 {
            return Err(Error::InvalidArgument(format!(
                "resolution is a finite number >= 0, not {}",
                self.resolution
            )));
        }
        if !self.randomness.is_finite() || self.randomness <= 0.0 {
            return Err(Error::InvalidArgument(format!(
                "randomness is a finite number > 0, not {}",
                self.randomness
            )));
        }
        Ok(())
    }
}

/// The communities found by [`leiden`] or [`louvain`], at every level.
///
/// Level 0 is the finest; each level's communities are unions of the
/// level below's, and the last level is the result ([`membership`]). At
/// each level communities are numbered `0..count` in order of their first
/// node (by projection index), so node 0 is always in community 0.
///
/// [`membership`]: Communities::membership
#[derive(Clone, Debug, PartialEq)]
pub struct Communities {
    levels: Vec<Vec<u32>>,
    counts: Vec<usize>,
    quality: f64,
}

impl Communities {
    /// The community of each node (by projection index) at the last level.
    #[must_use]
    pub fn membership(&self) -> &[u32] {
        self.levels.last().map_or(&[], Vec::as_slice)
    }

    /// The community of node `i` at the last level.
    #[must_use]
    pub fn community_of(&self, i: u32) -> u32 {
        self.membership()[i as usize]
    }

    /// The number of communities at the last level.
    #[must_use]
    pub fn count(&self) -> usize {
        self.counts.last().copied().unwrap_or(0)
    }

    /// The number of levels (at least 1 when there are nodes).
    #[must_use]
    pub fn levels(&self) -> usize {
        self.levels.len()
    }

    /// The community of each node at `level` (0 the finest).
    ///
    /// # Panics
    /// If `level >= self.levels()`.
    #[must_use]
    pub fn level(&self, level: usize) -> &[u32] {
        &self.levels[level]
    }

    /// The number of communities at `level`.
    ///
    /// # Panics
    /// If `level >= self.levels()`.
    #[must_use]
    pub fn level_count(&self, level: usize) -> usize {
        self.counts[level]
    }

    /// The objective at the last level: modularity, or the CPM quality, as
    /// [`Objective`] defines them (0 on a graph without edges).
    #[must_use]
    pub fn quality(&self) -> f64 {
        self.quality
    }
}

/// Leiden community detection: fast local moving, refinement and
/// aggregation, repeated on the aggregate graph until no community can be
/// split or merged for a gain. Every community it returns is connected
/// (the refinement only merges a node into a part it has edges to), and so
/// is every community at every level.
///
/// Arguments: the projection (read as undirected, see the [module
/// docs](self)) and the parameters. Returns the communities at each level.
/// Deterministic for a seed; different seeds give different, comparably
/// good partitions.
///
/// Complexity: O(E) per pass of moving; in practice a few passes per
/// level and O(log V) levels, so near-linear time. O(V + E) memory besides
/// the projection.
///
/// # Errors
/// [`Error::InvalidArgument`] for a resolution that is negative or not
/// finite, or a randomness that is not positive and finite.
///
/// ```
/// # use quiverdb::{Database, GraphRead, props, algo::{self, LeidenConfig, ProjectionSpec}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let n: Vec<_> = (0..6).map(|_| w.add_node(&[], props! {})).collect::<Result<_, _>>()?;
/// // Two triangles joined by one edge.
/// for (a, b) in [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)] {
///     w.add_edge(n[a], n[b], "T", props! {})?;
/// }
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// let c = algo::leiden(&p, &LeidenConfig::new())?;
/// assert_eq!(c.membership(), &[0, 0, 0, 1, 1, 1]);
/// assert!((c.quality() - 5.0 / 14.0).abs() < 1e-12);
/// # Ok::<(), quiverdb::Error>(())
/// ```
pub fn leiden(p: &Projection, config: &LeidenConfig) -> Result<Communities> {
    config.check()?;
    Ok(Search::new(p, config).run(true))
}

/// Louvain community detection: local moving, then aggregation of the
/// communities into nodes, repeated until nothing moves (and the whole
/// repeated `iterations` times, as [`leiden`]). Faster than [`leiden`] by
/// skipping the refinement, but a community may end up internally
/// disconnected (a bridge node moved away); use Leiden when that matters.
/// Arguments, levels and determinism as [`leiden`]; the randomness is not
/// used.
///
/// Complexity: as [`leiden`].
///
/// # Errors
/// As [`leiden`].
pub fn louvain(p: &Projection, config: &LeidenConfig) -> Result<Communities> {
    config.check()?;
    Ok(Search::new(p, config).run(false))
}

/// The modularity of a partition of the projection (read as undirected,
/// see the [module docs](self)) at resolution γ: equal to igraph's
/// `modularity(membership, resolution=γ)` on `as_undirected(mode="each")`.
/// `membership[i]` is node i's community (any numbering); 0 on a graph
/// without edges.
///
/// Complexity: O(V + E).
///
/// # Errors
/// [`Error::InvalidArgument`] if `membership` does not have one entry per
/// node.
pub fn modularity(p: &Projection, membership: &[u32], resolution: f64) -> Result<f64> {
    if membership.len() != p.node_count() {
        return Err(Error::InvalidArgument(format!(
            "membership has {} entries for {} nodes",
            membership.len(),
            p.node_count()
        )));
    }
    let base = Base::new(p);
    let degrees = &base.degrees;
    let two_m: f64 = degrees.iter().sum();
    // Any numbering: renumber densely.
    let mut number = std::collections::HashMap::new();
    let of: Vec<u32> = membership
        .iter()
        .map(|&c| {
            let next = number.len() as u32;
            *number.entry(c).or_insert(next)
        })
        .collect();
    Ok(quality(&base, &of, degrees, resolution / two_m, two_m))
}

/// `1/2m · Σ_c (A_c − γ'·W_c²)` with `W_c` summed from `node_weight`
/// (degrees for modularity, with γ' = γ / 2m; ones for CPM, γ' = γ).
fn quality<N: Network>(g: &N, of: &[u32], node_weight: &[f64], gamma: f64, two_m: f64) -> f64 {
    if two_m <= 0.0 {
        return 0.0;
    }
    let mut inside = 0.0;
    for v in 0..g.len() as u32 {
        inside += g.self_weight(v);
        let c = of[v as usize];
        g.arcs(v, |u, w| {
            if of[u as usize] == c {
                inside += w;
            }
        });
    }
    let groups = of.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let penalty: f64 = sum_by(of, node_weight, groups).iter().map(|w| w * w).sum();
    (inside - gamma * penalty) / two_m
}

/// One run of Leiden or Louvain over a projection.
struct Search<'a> {
    base: Base,
    /// The base nodes' weights for the objective: degrees (modularity) or
    /// ones (CPM).
    weights: Vec<f64>,
    config: &'a LeidenConfig,
    rng: Rng,
    scratch: Scratch,
}

/// The steps' scratch, sized for the first level (the largest) and kept
/// across levels and iterations: allocated and faulted in once per run,
/// not once per level.
struct Scratch {
    mover: Mover,
    /// One per thread.
    refiners: Vec<Padded<Refiner>>,
    /// One per thread.
    gathers: Vec<Padded<Gather>>,
}

/// One level's graph: the projection, or an aggregate.
enum Level<'a> {
    Base(&'a Base),
    Aggregate(Aggregate),
}

impl Network for Level<'_> {
    fn len(&self) -> usize {
        match self {
            Level::Base(g) => g.len(),
            Level::Aggregate(g) => g.len(),
        }
    }

    fn degree(&self, v: u32) -> usize {
        match self {
            Level::Base(g) => g.degree(v),
            Level::Aggregate(g) => g.degree(v),
        }
    }

    #[inline]
    fn arcs(&self, v: u32, f: impl FnMut(u32, f64)) {
        match self {
            Level::Base(g) => g.arcs(v, f),
            Level::Aggregate(g) => g.arcs(v, f),
        }
    }

    fn self_weight(&self, v: u32) -> f64 {
        match self {
            Level::Base(g) => g.self_weight(v),
            Level::Aggregate(g) => g.self_weight(v),
        }
    }
}

impl<'a> Search<'a> {
    fn new(p: &'a Projection, config: &'a LeidenConfig) -> Search<'a> {
        let base = Base::new(p);
        let weights = match config.objective {
            Objective::Modularity => base.degrees.clone(),
            Objective::Cpm => vec![1.0; base.degrees.len()],
        };
        let n = base.len();
        let threads = crate::parallel::threads();
        Search {
            base,
            weights,
            config,
            rng: Rng::spread(config.seed),
            scratch: Scratch {
                mover: Mover::new(n),
                refiners: (0..threads).map(|_| Padded(Refiner::new(n))).collect(),
                gathers: (0..threads).map(|_| Padded(Gather::new(n))).collect(),
            },
        }
    }

    fn run(mut self, refine: bool) -> Communities {
        let n = self.weights.len();
        let two_m: f64 = self.base.degrees.iter().sum();
        let gamma = match self.config.objective {
            Objective::Modularity if two_m > 0.0 => self.config.resolution / two_m,
            Objective::Modularity => 0.0,
            Objective::Cpm => self.config.resolution,
        };
        let runs = self.config.iterations;
        let mut start: Vec<u32> = (0..n as u32).collect();
        let mut run = 0;
        let mut first: Option<Vec<(Vec<u32>, usize)>> = None;
        let mut levels = loop {
            run += 1;
            let (levels, moved) = self.pass(&start, gamma, refine);
            if (runs != 0 && run >= runs) || !moved || run >= 1000 {
                break levels;
            }
            start = levels.last().map(|l| l.0.clone()).unwrap_or_default();
            first.get_or_insert(levels);
        };
        // A later Louvain run starts from the last result, so its first
        // aggregation is that result and it has one level: the hierarchy is
        // the first run's levels, each cut by the final communities so
        // every level still nests in the next.
        if let (false, Some(first)) = (refine, first) {
            let last = levels.pop().unwrap_or_default();
            levels = Vec::new();
            for (level, _) in &first {
                let cut = meet(level, &last.0);
                if cut.1 != last.1
                    && levels
                        .last()
                        .is_none_or(|l: &(Vec<u32>, usize)| l.1 != cut.1)
                {
                    levels.push(cut);
                }
            }
            levels.push(last);
        }
        let (levels, counts): (Vec<Vec<u32>>, Vec<usize>) = levels.into_iter().unzip();
        let quality = quality(
            &self.base,
            levels.last().map_or(&[], Vec::as_slice),
            &self.weights,
            gamma,
            two_m,
        );
        Communities {
            levels,
            counts,
            quality,
        }
    }

    /// One run from the partition `start` of the base nodes: the levels it
    /// builds (base node → community, renumbered, and the number of
    /// communities), and whether any node moved.
    fn pass(&mut self, start: &[u32], gamma: f64, refine: bool) -> (Vec<(Vec<u32>, usize)>, bool) {
        let mut level = Level::Base(&self.base);
        let mut node_weight = self.weights.clone();
        let mut part = Partition::new(start.to_vec(), &node_weight);
        // Base node → node of the current level.
        let mut at: Vec<u32> = (0..node_weight.len() as u32).collect();
        let mut levels: Vec<(Vec<u32>, usize)> = Vec::new();
        let mut moved_any = false;
        loop {
            moved_any |=
                self.scratch
                    .mover
                    .run(&level, &node_weight, &mut part, gamma, &mut self.rng);
            let len = part.of.len();
            if part.count() == len {
                break;
            }
            let mut groups_of = if refine {
                let (theta, seed) = (self.config.randomness, self.rng.next_u64());
                renumber(&refine::refine(
                    &level,
                    &node_weight,
                    &part,
                    gamma,
                    theta,
                    seed,
                    &mut self.scratch.refiners,
                ))
            } else {
                renumber(&part.of)
            };
            if groups_of.1 == len {
                // The refinement merged nothing: aggregate by the
                // communities themselves, as leidenalg does, so the next
                // level is smaller.
                groups_of = renumber(&part.of);
            }
            let (of, groups) = groups_of;
            for a in &mut at {
                *a = of[*a as usize];
            }
            levels.push(renumber(&at));
            let next = aggregate(&level, &of, groups, &mut self.scratch.gathers);
            node_weight = sum_by(&of, &node_weight, groups);
            // Each aggregate node starts in the community of its members.
            let mut start = vec![0u32; groups];
            for (v, &a) in of.iter().enumerate() {
                start[a as usize] = part.of[v];
            }
            part = Partition::new(renumber(&start).0, &node_weight);
            level = Level::Aggregate(next);
        }
        let last: Vec<u32> = at.iter().map(|&a| part.of[a as usize]).collect();
        let last = renumber(&last);
        if levels.last().map(|l| &l.0) != Some(&last.0) {
            levels.push(last);
        }
        (levels, moved_any)
    }
}
