//! Reading datasets. Parsers here know nothing of the database: they turn
//! files into rows, or a typed error naming the file and the row.
//!
//! So far: the `fvecs` / `ivecs` vector formats (TEXMEX / ann-benchmarks).
//! The bulk graph and CSV/JSONL pipeline is the importer's next step.

mod vecs;

pub use vecs::{read_fvecs, read_ivecs};
