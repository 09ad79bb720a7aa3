//! Fuzz entry points over the full-text model's stored bytes
//! (`crate::fuzz` drives them): posting blocks, term records and
//! statistics.

use super::block::{self, Block, Posting};
use super::keys::{Stats, TermInfo};

/// Stored bytes of one kind, chosen by the first byte: 0 a posting block
/// (decoded with and without positions; a block that decodes must encode
/// back to the same postings), 1 a term record, 2 statistics of as many
/// fields as the second byte says.
pub(crate) fn records(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 3 {
        0 => {
            let mut b = Block::default();
            let _ = block::header(rest);
            let _ = block::decode(rest, false, &mut b);
            if block::decode(rest, true, &mut b).is_ok() {
                let postings = b.postings();
                let again = block::encode(&postings);
                let mut c = Block::default();
                assert!(
                    block::decode(&again, true, &mut c).is_ok() && c.postings() == postings,
                    "a decoded block does not survive its own encoding"
                );
            }
        }
        1 => {
            if let Ok(info) = TermInfo::decode(rest) {
                assert_eq!(TermInfo::decode(&info.encode()).ok(), Some(info));
            }
        }
        _ => {
            let Some((&fields, rest)) = rest.split_first() else {
                return;
            };
            if let Ok(stats) = Stats::decode(rest, usize::from(fields)) {
                assert_eq!(stats.encode(), rest);
                let _ = stats.average(0);
            }
        }
    }
}

/// Valid records to start from.
pub(crate) fn seeds() -> Vec<Vec<u8>> {
    let postings = vec![
        Posting {
            doc: 3,
            norm: 7,
            positions: vec![0, 5],
        },
        Posting {
            doc: 300,
            norm: 40,
            positions: vec![1],
        },
    ];
    let info = TermInfo {
        df: 2,
        max_tf: 2,
        min_norm: 7,
    };
    let stats = Stats {
        docs: 2,
        tokens: vec![12, 80],
    };
    vec![
        [vec![0], block::encode(&postings)].concat(),
        [vec![1], info.encode().to_vec()].concat(),
        [vec![2, 2], stats.encode()].concat(),
    ]
}
