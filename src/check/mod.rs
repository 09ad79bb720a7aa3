//! The consistency check: every invariant of `docs/FORMAT.md`, verified on
//! one snapshot — the graph's (`graph.rs`), the vectors' (`vector.rs`)
//! and the full-text indexes' (`fulltext::verify`).
//! What a record implies is derived by the models' own functions (the
//! graph's `entries.rs`), so the check compares storage with exactly what
//! the writer and the bulk loader write.

mod graph;
mod vector;

use crate::error::Result;
use crate::graph::state::reader;
use crate::txn::Database;

/// What [`Database::check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckReport {
    /// Nodes checked.
    pub nodes: u64,
    /// Edges checked.
    pub edges: u64,
    /// Vector points checked.
    pub points: u64,
    /// Every inconsistency found (empty when the database is consistent);
    /// at most [`MAX_PROBLEMS`] are listed.
    pub problems: Vec<String>,
}

/// The most problems a report lists.
pub const MAX_PROBLEMS: usize = 1_000;

impl CheckReport {
    /// Whether no inconsistency was found.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line: what was checked and the verdict, e.g. "12 nodes, 30
    /// edges, 5 vector points: consistent".
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} nodes, {} edges, {} vector points: {}",
            self.nodes,
            self.edges,
            self.points,
            if self.is_ok() {
                "consistent"
            } else {
                "INCONSISTENT"
            }
        )
    }

    fn problem(&mut self, what: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(what);
        }
    }
}

impl Database {
    /// Verifies the stored data against every invariant of the on-disk
    /// format on one consistent snapshot: edges ↔ both adjacency entries
    /// (with their numeric properties) ↔ existing endpoints; labels, unique
    /// keys and indexes ↔ nodes and schema; counters ↔ contents;
    /// dictionary ids; existence constraints ↔ the nodes and relationships
    /// they cover; vector keys ↔ points ↔ collection counts; node-bound
    /// points ↔ live nodes; in-memory vector indexes ↔ stored counts;
    /// full-text postings, terms and statistics ↔ the documents the
    /// graph's text makes.
    ///
    /// Storage errors are returned as errors; inconsistencies are listed in
    /// the report. Reads everything once: O(V + E + points).
    pub fn check(&self) -> Result<CheckReport> {
        let r = self.begin_read()?;
        let mut report = CheckReport::default();
        graph::check(&reader(&r), &mut report)?;
        vector::check(self, &r, &mut report)?;
        let (_, problems) = crate::fulltext::verify(self, r.kv(), MAX_PROBLEMS)?;
        for p in problems {
            report.problem(p);
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::dict::Kind;
    use crate::graph::keys;
    use crate::graph::state::GraphModel;
    use crate::props;
    use crate::storage::schema::meta;
    use crate::storage::{Cf, Changes};
    use crate::vector::payload;
    use crate::vector::record::point_key;
    use crate::vector::{CollectionConfig, Metric};

    #[test]
    fn the_check_finds_damage_that_the_api_cannot_make() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let mut w = db.begin_write().unwrap();
        w.create_unique_key("P", "name").unwrap();
        let a = w.add_node(&["P"], props! {"name" => "a"}).unwrap();
        let b = w.add_node(&["P"], props! {"name" => "b"}).unwrap();
        let edge = w.add_edge(a, b, "T", props! {"w" => 2.0}).unwrap();
        w.create_collection("v", CollectionConfig::new(2, Metric::L2).bound_to_nodes())
            .unwrap();
        w.upsert_vector("v", a.0, &[1.0, 2.0], props! {}).unwrap();
        w.create_collection("p", CollectionConfig::new(2, Metric::L2))
            .unwrap();
        w.create_payload_index("p", "n").unwrap();
        w.upsert_vector("p", 1, &[1.0, 2.0], props! {"n" => 1})
            .unwrap();
        w.upsert_vector("p", 2, &[1.0, 2.0], props! {"n" => 2})
            .unwrap();
        w.commit().unwrap();
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!((report.nodes, report.edges, report.points), (2, 1, 3));

        // Drop an adjacency entry, a label entry, a vector key and a
        // payload index entry; add a stale one; make the node counter
        // wrong.
        let dict = &db.extension::<GraphModel>().dict;
        let ty = dict.read().id(Kind::EdgeType, "T").unwrap();
        let label = dict.read().id(Kind::Label, "P").unwrap();
        let mut damage = Changes::default();
        damage.delete(Cf::In, keys::adj(b, ty, a, edge));
        damage.delete(Cf::Labels, keys::label(label, b));
        damage.delete(Cf::VectorKeys, point_key(0, a.0));
        damage.put(Cf::Meta, meta::NODE_COUNT, 5u64.to_be_bytes());
        damage.delete(Cf::PayloadIndex, payload::entry(1, "n", &1.into(), 1));
        damage.put(Cf::PayloadIndex, payload::entry(1, "n", &7.into(), 2), []);
        // An existence constraint the nodes do not meet.
        let age = dict.read().id(Kind::PropKey, "w").unwrap();
        let required = crate::graph::records::Required {
            rules: vec![crate::graph::records::RequiredRule {
                relationship: false,
                owner: label,
                key: age,
                name: "p_w".into(),
                owner_name: "P".into(),
                key_name: "w".into(),
            }],
        };
        damage.put(
            Cf::Meta,
            meta::REQUIRED,
            crate::storage::codec::encode(&required).unwrap(),
        );
        db.store().write(&damage, true).unwrap();
        let all = db.check().unwrap().problems.join("\n");
        for expected in [
            "its in entry is missing",
            "label entry",
            "is not what its key maps to",
            "node_count is 5",
            "1 payload index entries match no point's payload",
            "1 points' payload values are missing from their payload indexes",
            "node 0 has no property w, which the existence constraint p_w requires of every :P",
        ] {
            assert!(
                all.contains(expected),
                "{expected:?} not reported in:\n{all}"
            );
        }
    }
}
