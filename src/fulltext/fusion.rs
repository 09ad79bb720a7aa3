//! Fusing ranked lists — full-text hits, vector hits, a graph expansion —
//! into one ranking.
//!
//! * [`reciprocal_rank`]: each list gives an entity `1 / (k + rank)` (rank
//!   from 1), summed over the lists it is in (Cormack et al. 2009; k = 60
//!   is the usual constant). Scores of different kinds never meet, so it
//!   needs no calibration.
//! * [`weighted`]: each list's scores are normalised to [0, 1] by its own
//!   minimum and maximum (a list whose scores are all equal gives 1), then
//!   summed with the list's weight.
//!
//! Both return the fused list best first, ties by id, cut to `limit`.

/// Reciprocal-rank fusion of `lists` (each best first) with constant `k`.
#[must_use]
pub fn reciprocal_rank(lists: &[Vec<u64>], k: f32, limit: usize) -> Vec<(u64, f32)> {
    let mut scores: std::collections::HashMap<u64, f32> = std::collections::HashMap::new();
    for list in lists {
        let mut seen = std::collections::HashSet::new();
        for (rank, id) in list.iter().enumerate() {
            // An id listed twice in one list counts at its best rank.
            if seen.insert(*id) {
                *scores.entry(*id).or_default() += 1.0 / (k + rank as f32 + 1.0);
            }
        }
    }
    ranked(scores, limit)
}

/// Normalised weighted-score fusion of `lists` (each `(id, score)`,
/// higher better), list `i` weighted `weights[i]` (1 when missing).
#[must_use]
pub fn weighted(lists: &[Vec<(u64, f32)>], weights: &[f32], limit: usize) -> Vec<(u64, f32)> {
    let mut scores: std::collections::HashMap<u64, f32> = std::collections::HashMap::new();
    for (i, list) in lists.iter().enumerate() {
        let w = weights.get(i).copied().unwrap_or(1.0);
        let lo = list.iter().map(|h| h.1).fold(f32::INFINITY, f32::min);
        let hi = list.iter().map(|h| h.1).fold(f32::NEG_INFINITY, f32::max);
        let mut seen = std::collections::HashSet::new();
        for &(id, score) in list {
            if !seen.insert(id) {
                continue;
            }
            let normal = if hi > lo {
                (score - lo) / (hi - lo)
            } else {
                1.0
            };
            *scores.entry(id).or_default() += w * normal;
        }
    }
    ranked(scores, limit)
}

fn ranked(scores: std::collections::HashMap<u64, f32>, limit: usize) -> Vec<(u64, f32)> {
    let mut out: Vec<(u64, f32)> = scores.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_rewards_agreement() {
        let fused = reciprocal_rank(&[vec![1, 2, 3], vec![3, 1, 4]], 60.0, 10);
        let ids: Vec<u64> = fused.iter().map(|f| f.0).collect();
        assert_eq!(ids, [1, 3, 2, 4]);
        let one = 1.0 / 61.0 + 1.0 / 62.0;
        assert!((fused[0].1 - one).abs() < 1e-7);
        assert_eq!(reciprocal_rank(&[vec![5, 5]], 60.0, 10).len(), 1);
        assert_eq!(reciprocal_rank(&[vec![1, 2, 3]], 60.0, 2).len(), 2);
    }

    #[test]
    fn weighted_normalises_each_list() {
        let text = vec![(1, 12.0), (2, 6.0), (3, 2.0)];
        let vector = vec![(3, 0.9), (1, 0.5)];
        let fused = weighted(&[text.clone(), vector.clone()], &[0.5, 0.5], 10);
        // 1: 0.5·1 + 0.5·0 = 0.5; 3: 0.5·0 + 0.5·1 = 0.5; 2: 0.5·0.4 = 0.2.
        assert_eq!(fused.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 3, 2]);
        assert!((fused[2].1 - 0.2).abs() < 1e-6);
        let fused = weighted(&[text, vector], &[0.2, 0.8], 1);
        assert_eq!(fused, [(3, 0.8)]);
        assert_eq!(weighted(&[vec![(7, 3.0)]], &[], 5), [(7, 1.0)]);
    }
}
