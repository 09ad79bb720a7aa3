//! Recall per ef on small instances of the vector benchmark matrix's
//! distributions (`benches/peers/make_matrix.py`): clustered L2 with few
//! and with many clusters, uniform high-dimensional points, angular data
//! with skewed norms, and near-duplicates. Each set has its own floors, so
//! a change to the graph that helps one distribution and hurts another
//! fails here.
//!
//! Recall counts ties (a hit counts when its score is as good as the k-th
//! exact one), as `quiver search --gt-scores` does: the near-duplicate set
//! has exact copies, whose order no search can know. The floors sit a
//! little under what the graph measured on these seeds (the parallel build
//! varies run to run by about 0.005); set `QUIVER_RECALL_PRINT=1` to print
//! the measures.

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::Rng;

use quiverdb::Database;
use quiverdb::vector::{CollectionConfig, Metric, Quantization, Search};

/// A standard normal draw (Box–Muller).
fn gauss(rng: &mut Rng) -> f32 {
    let u = (f64::from(rng.unit()) + 1e-9).min(1.0);
    let v = f64::from(rng.unit());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

fn normal(rng: &mut Rng, dim: usize, scale: f32) -> Vec<f32> {
    (0..dim).map(|_| scale * gauss(rng)).collect()
}

/// An index below `weights.len()`, drawn in proportion to `weights`
/// (`cumulative`: their running sums).
fn pick(rng: &mut Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = f64::from(rng.unit()) * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len() - 1)
}

/// Running sums of `rank^-s` for `groups` ranks, shuffled.
fn zipf(rng: &mut Rng, groups: usize, s: f64) -> Vec<f64> {
    let mut w: Vec<f64> = (1..=groups).map(|r| (r as f64).powf(-s)).collect();
    for i in (1..w.len()).rev() {
        w.swap(i, rng.below(i as u64 + 1) as usize);
    }
    w.iter()
        .scan(0.0, |sum, x| {
            *sum += x;
            Some(*sum)
        })
        .collect()
}

/// A set: its metric, points and queries.
struct Set {
    name: &'static str,
    metric: Metric,
    points: Vec<Vec<f32>>,
    queries: Vec<Vec<f32>>,
}

const N: usize = 20_000;
const QUERIES: usize = 200;

/// Anisotropic Gaussian clusters of unequal size and per-axis spread.
fn few_clusters(rng: &mut Rng) -> Set {
    let (k, dim) = (12, 64);
    let centres: Vec<Vec<f32>> = (0..k).map(|_| normal(rng, dim, 3.0)).collect();
    let scales: Vec<Vec<f32>> = (0..k)
        .map(|_| (0..dim).map(|_| (-1.0 + 0.6 * gauss(rng)).exp()).collect())
        .collect();
    let weights = zipf(rng, k, 1.0);
    let draw = |rng: &mut Rng| {
        let c = pick(rng, &weights);
        (0..dim)
            .map(|j| centres[c][j] + scales[c][j] * gauss(rng))
            .collect()
    };
    Set {
        name: "few-clusters",
        metric: Metric::L2,
        points: (0..N).map(|_| draw(rng)).collect(),
        queries: (0..QUERIES).map(|_| draw(rng)).collect(),
    }
}

/// Many clusters of Zipf sizes and log-normal spreads.
fn many_clusters(rng: &mut Rng) -> Set {
    let (k, dim) = (1_000, 64);
    let centres: Vec<Vec<f32>> = (0..k).map(|_| normal(rng, dim, 1.0)).collect();
    let spread: Vec<f32> = (0..k)
        .map(|_| (0.25f32.ln() + 0.5 * gauss(rng)).exp())
        .collect();
    let weights = zipf(rng, k, 0.9);
    let draw = |rng: &mut Rng| {
        let c = pick(rng, &weights);
        (0..dim)
            .map(|j| centres[c][j] + spread[c] * gauss(rng))
            .collect()
    };
    Set {
        name: "many-clusters",
        metric: Metric::L2,
        points: (0..N).map(|_| draw(rng)).collect(),
        queries: (0..QUERIES).map(|_| draw(rng)).collect(),
    }
}

/// Uniform in the unit cube, many dimensions.
fn uniform(rng: &mut Rng) -> Set {
    let dim = 256;
    let draw = |rng: &mut Rng| (0..dim).map(|_| rng.unit()).collect();
    Set {
        name: "uniform-256",
        metric: Metric::L2,
        points: (0..N).map(|_| draw(rng)).collect(),
        queries: (0..QUERIES).map(|_| draw(rng)).collect(),
    }
}

/// Clustered directions with log-normal norms, searched by cosine.
fn angular_skewed(rng: &mut Rng) -> Set {
    let (k, dim) = (60, 100);
    let dirs: Vec<Vec<f32>> = (0..k)
        .map(|_| {
            let v = normal(rng, dim, 1.0);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / norm).collect()
        })
        .collect();
    let spread: Vec<f32> = (0..k)
        .map(|_| (0.6f32.ln() + 0.5 * gauss(rng)).exp() / (dim as f32).sqrt())
        .collect();
    let weights = zipf(rng, k, 1.1);
    let draw = |rng: &mut Rng| {
        let c = pick(rng, &weights);
        let x: Vec<f32> = (0..dim)
            .map(|j| dirs[c][j] + spread[c] * gauss(rng))
            .collect();
        let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt();
        let length = gauss(rng).exp();
        x.iter().map(|v| v / norm * length).collect()
    };
    Set {
        name: "angular-skewed",
        metric: Metric::Cosine,
        points: (0..N).map(|_| draw(rng)).collect(),
        queries: (0..QUERIES).map(|_| draw(rng)).collect(),
    }
}

/// A fifth originals, the rest perturbed (5 % exact) copies of them with
/// Zipf-distributed counts; queries are perturbed copies too.
fn near_dups(rng: &mut Rng) -> Set {
    let (k, dim) = (100, 64);
    let centres: Vec<Vec<f32>> = (0..k).map(|_| normal(rng, dim, 1.0)).collect();
    let originals: Vec<Vec<f32>> = (0..N / 5)
        .map(|_| {
            let c = rng.below(k as u64) as usize;
            (0..dim).map(|j| centres[c][j] + 0.5 * gauss(rng)).collect()
        })
        .collect();
    let weights = zipf(rng, originals.len(), 1.0);
    let mut points = originals.clone();
    while points.len() < N {
        let parent = &originals[pick(rng, &weights)];
        let exact = rng.unit() < 0.05;
        points.push(
            parent
                .iter()
                .map(|x| if exact { *x } else { x + 0.01 * gauss(rng) })
                .collect(),
        );
    }
    for i in (1..points.len()).rev() {
        points.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let queries = (0..QUERIES)
        .map(|_| {
            let p = &points[rng.below(N as u64) as usize];
            p.iter().map(|x| x + 0.01 * gauss(rng)).collect()
        })
        .collect();
    Set {
        name: "near-dups",
        metric: Metric::Cosine,
        points,
        queries,
    }
}

/// Recall@10 of `set` at each of `efs`, counting ties, on a collection of
/// `quantization` built in one commit (M 16, `ef_construction` 200).
fn recall_per_ef(set: &Set, quantization: Quantization, efs: &[usize]) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let config = CollectionConfig::new(set.points[0].len(), set.metric)
        .hnsw(16, 200)
        .quantization(quantization);
    let mut w = db.begin_write().unwrap();
    w.create_collection("v", config).unwrap();
    for (i, p) in set.points.iter().enumerate() {
        w.upsert_vector("v", i as u64, p, quiverdb::props! {})
            .unwrap();
    }
    w.commit().unwrap();
    let k = 10;
    let higher = set.metric.higher_is_better();
    let truth: Vec<f32> = set
        .queries
        .iter()
        .map(|q| {
            let exact = db.search_exact("v", q, &Search::k(k)).unwrap();
            exact.hits[k - 1].score
        })
        .collect();
    efs.iter()
        .map(|&ef| {
            let mut hits = 0;
            for (q, &kth) in set.queries.iter().zip(&truth) {
                let found = db.search("v", q, &Search::k(k).ef(ef)).unwrap();
                assert!(!found.exact, "{}: searched exactly", set.name);
                let slack = 1e-5 * kth.abs().max(1.0);
                hits += found
                    .hits
                    .iter()
                    .filter(|h| {
                        if higher {
                            h.score >= kth - slack
                        } else {
                            h.score <= kth + slack
                        }
                    })
                    .count();
            }
            hits as f64 / (k * set.queries.len()) as f64
        })
        .collect()
}

/// Checks `set`'s recall at ef 16 and 32 against its floors (`[f32 walk,
/// int8 walk]`, each `[ef 16, ef 32]`). The floors are the measures of
/// this code less 0.01–0.015. Uniform points in 256 dimensions are the hard
/// case for every HNSW graph (at 200,000 such points hnswlib and faiss
/// find 0.11 of the ten at ef 32): checked so it does not get worse.
fn check(set: &Set, floors: [[f64; 2]; 2]) {
    let efs = [16, 32];
    let mut failed = Vec::new();
    for (quantization, floor) in [Quantization::None, Quantization::Int8]
        .into_iter()
        .zip(floors)
    {
        let got = recall_per_ef(set, quantization, &efs);
        if std::env::var_os("QUIVER_RECALL_PRINT").is_some() {
            eprintln!("{} {quantization:?}: {got:?}", set.name);
        }
        for ((ef, r), f) in efs.iter().zip(&got).zip(floor) {
            if *r < f {
                failed.push(format!("{quantization:?} ef {ef}: {r:.4} < {f}"));
            }
        }
    }
    assert!(failed.is_empty(), "{}: {}", set.name, failed.join("; "));
}

#[test]
fn few_clusters_recall() {
    check(
        &few_clusters(&mut Rng(0x5eed_0001)),
        [[0.895, 0.96], [0.89, 0.96]],
    );
}

#[test]
fn many_clusters_recall() {
    check(
        &many_clusters(&mut Rng(0x5eed_0002)),
        [[0.93, 0.975], [0.935, 0.975]],
    );
}

#[test]
fn uniform_high_dimensional_recall() {
    check(
        &uniform(&mut Rng(0x5eed_0003)),
        [[0.235, 0.36], [0.23, 0.36]],
    );
}

#[test]
fn angular_skewed_norms_recall() {
    check(
        &angular_skewed(&mut Rng(0x5eed_0004)),
        [[0.78, 0.89], [0.77, 0.885]],
    );
}

#[test]
fn near_duplicates_recall() {
    check(
        &near_dups(&mut Rng(0x5eed_0005)),
        [[0.985, 0.985], [0.97, 0.98]],
    );
}
