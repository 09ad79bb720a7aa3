//! Every column family, its key and value layout, and its tuning — in one
//! table. `docs/FORMAT.md` is the prose version of this file; change both
//! together, and bump [`FORMAT_VERSION`] when a layout changes.

/// The on-disk format this build writes and the newest it can read.
///
/// History: 1 — graph column families; 2 — adds `collections`, `vectors`,
/// `vector_keys`; 3 — a collection's configuration (in `collections` and in
/// checkpoint envelopes) ends with its HNSW engine; 4 — `meta/graph`
/// (direction and weight property recorded at import), and the bulk-import
/// marker `meta/import_pending` holds a generic undo plan; 5 — a
/// collection record ends with its text model (collections that know
/// their text), and such a collection's points end with their text; 6 — a
/// collection record ends with its quantization; 7 — a collection record
/// ends with its payload indexes, kept in the new `payload_index` column
/// family, and a quantization may be binary; 8 — the `stats` column family
/// (counts kept by every commit). Older
/// directories open in place: a version-1 one gets the vector column
/// families, created empty; version-2 records still decode (their engine
/// is `hnsw_rs`); a version-3 import marker is read in its own shape;
/// version-3/4 collection records decode without a text model, version
/// 3-5 ones without quantization (none), version 3-6 ones without payload
/// indexes (and a version-6 directory gets `payload_index`, created
/// empty); a version-1-7 directory gets `stats`, counted from its data
/// at the first open; a version-8 one only has its version raised (9
/// added temporal property values, which an older build cannot decode;
/// 10 fed collections, 11 existence constraints in `meta/required`, which
/// an older build would not check; 12 full-text indexes in
/// `meta/fulltext` and the `fulltext` column family, created empty, which
/// an older build would not keep current; 13 full-text indexes over a text
/// collection's texts, which an older build would neither read nor keep
/// current); the stored version is raised.
/// `docs/FORMAT.md` has the details.
pub const FORMAT_VERSION: u32 = 13;

/// A column family. The discriminant indexes [`COLUMN_FAMILIES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cf {
    Meta = 0,
    Dict = 1,
    Nodes = 2,
    Edges = 3,
    Out = 4,
    In = 5,
    Labels = 6,
    Unique = 7,
    Index = 8,
    Collections = 9,
    Vectors = 10,
    VectorKeys = 11,
    PayloadIndex = 12,
    Stats = 13,
    Fulltext = 14,
}

/// How a column family is read, which decides its RocksDB options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tuning {
    /// A handful of small keys, read at open: defaults.
    Small,
    /// Random point reads by id: whole-key bloom filter, shared block cache.
    PointLookup,
    /// Prefix and range scans: no bloom filter (scans cannot use it), shared
    /// block cache, larger blocks.
    Scan,
}

/// One row of the table.
pub struct CfSpec {
    pub cf: Cf,
    /// The RocksDB column family name (part of the format).
    pub name: &'static str,
    /// Key layout; `·` is concatenation, integers are big-endian.
    pub key: &'static str,
    /// Value layout.
    pub value: &'static str,
    pub tuning: Tuning,
}

/// All column families. Order matches the `Cf` discriminants.
pub const COLUMN_FAMILIES: [CfSpec; 15] = [
    CfSpec {
        cf: Cf::Meta,
        name: "meta",
        key: "ASCII name",
        value: "format_version: u32 BE; counters: u64 BE; schema: codec(Schema); graph: codec(GraphInfoRecord); import_pending: codec(Marker)",
        tuning: Tuning::Small,
    },
    CfSpec {
        cf: Cf::Dict,
        name: "dict",
        key: "kind u8 (0 label, 1 edge type, 2 property key) · UTF-8 name",
        value: "id u32 BE (dense per kind, from 0)",
        tuning: Tuning::Small,
    },
    CfSpec {
        cf: Cf::Nodes,
        name: "nodes",
        key: "node u64",
        value: "codec(NodeRecord { labels, props })",
        tuning: Tuning::PointLookup,
    },
    CfSpec {
        cf: Cf::Edges,
        name: "edges",
        key: "edge u64",
        value: "codec(EdgeRecord { src, dst, edge_type, props })",
        tuning: Tuning::PointLookup,
    },
    CfSpec {
        cf: Cf::Out,
        name: "out",
        key: "src u64 · edge_type u32 · dst u64 · edge u64",
        value: "numeric edge properties: (key u32 · f64 bits u64)*, sorted by key",
        tuning: Tuning::Scan,
    },
    CfSpec {
        cf: Cf::In,
        name: "in",
        key: "dst u64 · edge_type u32 · src u64 · edge u64",
        value: "numeric edge properties: (key u32 · f64 bits u64)*, sorted by key",
        tuning: Tuning::Scan,
    },
    CfSpec {
        cf: Cf::Labels,
        name: "labels",
        key: "label u32 · node u64",
        value: "empty",
        tuning: Tuning::Scan,
    },
    CfSpec {
        cf: Cf::Unique,
        name: "unique",
        key: "label u32 · key u32 · value-key",
        value: "node u64",
        tuning: Tuning::PointLookup,
    },
    CfSpec {
        cf: Cf::Index,
        name: "index",
        key: "label u32 · key u32 · value-key · node u64",
        value: "empty",
        tuning: Tuning::Scan,
    },
    CfSpec {
        cf: Cf::Collections,
        name: "collections",
        key: "collection name, UTF-8",
        value: "codec(CollectionRecord { id, config, next_slot, count, text_model, quantization, payload_indexes })",
        tuning: Tuning::Small,
    },
    CfSpec {
        cf: Cf::Vectors,
        name: "vectors",
        key: "collection u32 · slot u64",
        value: "point key u64 · dim × f32 LE · codec(payload props) [· codec(text)]",
        tuning: Tuning::Scan,
    },
    CfSpec {
        cf: Cf::VectorKeys,
        name: "vector_keys",
        key: "collection u32 · point key u64",
        value: "slot u64",
        tuning: Tuning::PointLookup,
    },
    CfSpec {
        cf: Cf::PayloadIndex,
        name: "payload_index",
        key: "collection u32 · field length u8 · field UTF-8 · value-key · point key u64",
        value: "empty",
        tuning: Tuning::Scan,
    },
    CfSpec {
        cf: Cf::Stats,
        name: "stats",
        key: "'V' (marker: counts complete) | 'L' · label u32 | 'T' · type u32 | 'P' · source label u32 · type u32 · target label u32 (u32::MAX: no label) | 'D' · label u32 · key u32",
        value: "u64 BE (the marker: the statistics' version; a count: nodes, relationships or distinct values; absent = 0)",
        tuning: Tuning::Small,
    },
    CfSpec {
        cf: Cf::Fulltext,
        name: "fulltext",
        key: "index u32 · ('S' | 'D' · doc u64 | 'T' · field u8 · term UTF-8 | 'P' · field u8 · term length u16 · term · last doc u64 (u64::MAX: a term's open block))",
        value: "'S': documents u64 · tokens u64 per field; 'D': length u32 per field; 'T': df u32 · max tf u32 · min norm u8; 'P': a posting block (src/fulltext/block.rs)",
        tuning: Tuning::Scan,
    },
];

/// Number of column families.
pub const CF_COUNT: usize = COLUMN_FAMILIES.len();

impl Cf {
    /// The spec row of this column family.
    pub fn spec(self) -> &'static CfSpec {
        &COLUMN_FAMILIES[self as usize]
    }

    /// Column family names, in table order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        COLUMN_FAMILIES.iter().map(|s| s.name)
    }
}

/// Names of keys in the `meta` column family, with the module that owns
/// each (all in one list, so two owners never pick the same name).
pub mod meta {
    /// The transaction core: the stored format version.
    pub const FORMAT_VERSION: &[u8] = b"format_version";
    /// The graph: id counters and counts.
    pub const NEXT_NODE: &[u8] = b"next_node";
    pub const NEXT_EDGE: &[u8] = b"next_edge";
    pub const NODE_COUNT: &[u8] = b"node_count";
    pub const EDGE_COUNT: &[u8] = b"edge_count";
    /// The graph: declared unique keys and indexes.
    pub const SCHEMA: &[u8] = b"schema";
    /// The graph: names given to unique keys and indexes (Cypher's
    /// `CREATE INDEX name ...`); absent until one is named.
    pub const SCHEMA_NAMES: &[u8] = b"schema-names";
    /// The graph: existence constraints (format 11); absent until one is
    /// declared.
    pub const REQUIRED: &[u8] = b"required";
    /// The graph: range indexes declared but not materialised (over
    /// relationship properties, or several node properties), recorded
    /// only; absent until one is declared. No format change: older builds
    /// ignore the key.
    pub const DECLARED_INDEXES: &[u8] = b"declared-indexes";
    /// The graph: direction and weight property, as imported (format 4).
    pub const GRAPH: &[u8] = b"graph";
    /// The full-text model: index definitions (format 12); absent until
    /// one is created.
    pub const FULLTEXT: &[u8] = b"fulltext";
    /// The vector model: the next collection id.
    pub const NEXT_COLLECTION: &[u8] = b"next_collection";
    /// The transaction core: present only while a bulk import is being
    /// ingested — what to remove if it did not commit (see `txn/bulk.rs`).
    pub const IMPORT_PENDING: &[u8] = b"import_pending";
}

/// The key in `stats` that says its counts are complete (the graph's; the
/// transaction core deletes it when it undoes an import behind the
/// graph's back, so the counts are made again at open).
pub const STATS_COMPLETE: &[u8] = b"V";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_discriminants() {
        for (i, spec) in COLUMN_FAMILIES.iter().enumerate() {
            assert_eq!(spec.cf as usize, i, "{} is out of place", spec.name);
        }
        let mut names: Vec<_> = Cf::names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CF_COUNT, "column family names must be unique");
    }
}
