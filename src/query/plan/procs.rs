//! The procedures `CALL` names, with their arguments and output
//! columns. Run by `exec::procs`.

use crate::query::error::{ErrorKind, QueryError};
use crate::query::parse::{SHOW_CONSTRAINTS, SHOW_INDEXES};

/// A procedure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Procedure {
    VectorQueryNodes,
    Wcc,
    Scc,
    PageRank,
    Cdlp,
    Lcc,
    Kcore,
    PersonalizedPageRank,
    Leiden,
    Louvain,
    Bfs,
    Sssp,
    Labels,
    RelationshipTypes,
    PropertyKeys,
    MetaData,
    NodeTypeProperties,
    RelTypeProperties,
    Components,
    SetNodeVectorProperty,
    SetRelationshipVectorProperty,
    AddLabels,
    SetLabels,
    MergeNode,
    MergeRelationship,
    CreateNode,
    CreateRelationship,
    /// `apoc.refactor.mergeNodes`.
    MergeNodes,
    SchemaNodes,
    SubgraphNodes,
    SubgraphAll,
    /// `CREATE INDEX` (internal: no name to call it by).
    CreateIndex,
    /// `CREATE CONSTRAINT ... IS UNIQUE` (internal).
    CreateUniqueKey,
    /// `CREATE CONSTRAINT ... IS NOT NULL` (internal).
    CreateExistence,
    /// `DROP INDEX | CONSTRAINT` (internal).
    DropSchema,
    /// `SHOW INDEXES` (internal).
    ShowIndexes,
    /// `SHOW CONSTRAINTS` (internal).
    ShowConstraints,
    /// `CREATE VECTOR INDEX` (internal) and
    /// `db.index.vector.createNodeIndex`.
    CreateVectorIndex,
    CreateNodeVectorIndex,
    VectorQueryRelationships,
    /// `CREATE FULLTEXT INDEX` (internal) and
    /// `db.index.fulltext.createNodeIndex` / `createRelationshipIndex`.
    CreateFulltextIndex,
    CreateFulltextNodeIndex,
    CreateFulltextRelationshipIndex,
    FulltextQueryNodes,
    FulltextQueryRelationships,
    FulltextListAnalyzers,
    HybridQueryNodes,
    AwaitIndexes,
    MetaGraph,
    SchemaVisualization,
    DistinctValues,
    MetaSchema,
    /// `LOAD CSV` (internal): the rows of a file of the import directory.
    LoadCsv,
    /// A procedure the application registered (`CallPlan::user`).
    User,
}

/// The columns of `apoc.meta.data`, as APOC names them.
const META_DATA: &[&str] = &[
    "label",
    "property",
    "count",
    "unique",
    "index",
    "existence",
    "type",
    "array",
    "sample",
    "left",
    "right",
    "other",
    "otherLabels",
    "elementType",
];

/// The columns of `apoc.schema.nodes`.
const SCHEMA_NODES: &[&str] = &[
    "name",
    "label",
    "properties",
    "status",
    "type",
    "failure",
    "populationProgress",
    "size",
    "valuesSelectivity",
    "userDescription",
];

/// The Neo4j version `dbms.components()` reports: the release whose
/// Cypher this engine follows (5.26, the last 5.x long-term release).
/// Integration code reads it to choose its syntax; what is not supported
/// yet is listed in `docs/QUERY.md`.
pub(crate) const NEO4J_VERSION: &str = "5.26.0";

impl Procedure {
    /// The procedure called `name`, its least and most arguments and its
    /// output columns.
    pub fn lookup(name: &str) -> Option<(Procedure, usize, usize, &'static [&'static str])> {
        use Procedure as P;
        Some(match name {
            "db.index.vector.queryNodes" => (P::VectorQueryNodes, 3, 4, &["node", "score"]),
            "db.index.vector.queryRelationships" => (
                P::VectorQueryRelationships,
                3,
                3,
                &["relationship", "score"],
            ),
            "db.index.vector.createNodeIndex" => (P::CreateNodeVectorIndex, 5, 5, &[]),
            "db.index.fulltext.queryNodes" => (P::FulltextQueryNodes, 2, 3, &["node", "score"]),
            "db.index.fulltext.queryRelationships" => (
                P::FulltextQueryRelationships,
                2,
                3,
                &["relationship", "score"],
            ),
            "db.index.hybrid.queryNodes" => (P::HybridQueryNodes, 4, 5, &["node", "score"]),
            "db.index.fulltext.createNodeIndex" => (P::CreateFulltextNodeIndex, 3, 4, &[]),
            "db.index.fulltext.createRelationshipIndex" => {
                (P::CreateFulltextRelationshipIndex, 3, 4, &[])
            }
            "db.index.fulltext.listAvailableAnalyzers" => (
                P::FulltextListAnalyzers,
                0,
                0,
                &["analyzer", "description", "stopwords"],
            ),
            "db.awaitIndexes" => (P::AwaitIndexes, 0, 1, &[]),
            "apoc.meta.graphSample" | "apoc.meta.graph" => {
                (P::MetaGraph, 0, 1, &["nodes", "relationships"])
            }
            "db.schema.visualization" => {
                (P::SchemaVisualization, 0, 0, &["nodes", "relationships"])
            }
            "apoc.schema.properties.distinct" => (P::DistinctValues, 2, 2, &["value"]),
            "apoc.meta.schema" => (P::MetaSchema, 0, 1, &["value"]),
            "db.awaitIndex" => (P::AwaitIndexes, 1, 2, &[]),
            // What `SHOW INDEXES` / `SHOW CONSTRAINTS ... YIELD` run.
            "quiver.showIndexes" => (P::ShowIndexes, 0, 1, SHOW_INDEXES),
            "quiver.showConstraints" => (P::ShowConstraints, 0, 1, SHOW_CONSTRAINTS),
            "algo.wcc" => (P::Wcc, 0, 0, &["node", "component"]),
            "algo.scc" => (P::Scc, 0, 0, &["node", "component"]),
            "algo.pagerank" => (P::PageRank, 0, 2, &["node", "score"]),
            "algo.cdlp" => (P::Cdlp, 0, 1, &["node", "community"]),
            "algo.lcc" => (P::Lcc, 0, 0, &["node", "coefficient"]),
            "algo.kcore" => (P::Kcore, 0, 0, &["node", "coreness"]),
            "algo.pagerank.personalized" => (P::PersonalizedPageRank, 1, 2, &["node", "score"]),
            "algo.leiden" => (P::Leiden, 0, 1, &["node", "community", "level"]),
            "algo.louvain" => (P::Louvain, 0, 1, &["node", "community", "level"]),
            "algo.bfs" => (P::Bfs, 1, 1, &["node", "depth"]),
            "algo.sssp" => (P::Sssp, 2, 2, &["node", "distance"]),
            "db.labels" => (P::Labels, 0, 0, &["label"]),
            "db.relationshipTypes" => (P::RelationshipTypes, 0, 0, &["relationshipType"]),
            "db.propertyKeys" => (P::PropertyKeys, 0, 0, &["propertyKey"]),
            "apoc.meta.data" => (P::MetaData, 0, 1, META_DATA),
            "db.schema.nodeTypeProperties" => (
                P::NodeTypeProperties,
                0,
                0,
                &[
                    "nodeType",
                    "nodeLabels",
                    "propertyName",
                    "propertyTypes",
                    "mandatory",
                ],
            ),
            "db.schema.relTypeProperties" => (
                P::RelTypeProperties,
                0,
                0,
                &["relType", "propertyName", "propertyTypes", "mandatory"],
            ),
            "dbms.components" => (P::Components, 0, 0, &["name", "versions", "edition"]),
            "db.create.setNodeVectorProperty" => (P::SetNodeVectorProperty, 3, 3, &[]),
            "db.create.setRelationshipVectorProperty" => {
                (P::SetRelationshipVectorProperty, 3, 3, &[])
            }
            "apoc.schema.nodes" => (P::SchemaNodes, 0, 1, SCHEMA_NODES),
            "apoc.path.subgraphNodes" => (P::SubgraphNodes, 2, 2, &["node"]),
            "apoc.path.subgraphAll" => (P::SubgraphAll, 2, 2, &["nodes", "relationships"]),
            "apoc.create.addLabels" => (P::AddLabels, 2, 2, &["node"]),
            "apoc.create.setLabels" => (P::SetLabels, 2, 2, &["node"]),
            "apoc.create.node" => (P::CreateNode, 2, 2, &["node"]),
            "apoc.create.relationship" => (P::CreateRelationship, 4, 4, &["rel"]),
            "apoc.merge.node" => (P::MergeNode, 2, 4, &["node"]),
            "apoc.merge.relationship" => (P::MergeRelationship, 5, 6, &["rel"]),
            "apoc.refactor.mergeNodes" => (P::MergeNodes, 1, 2, &["node"]),
            _ => return None,
        })
    }
}

impl Procedure {
    /// Whether the procedure writes (it then runs as a writing step).
    pub fn writes(self) -> bool {
        use Procedure as P;
        matches!(
            self,
            P::SetNodeVectorProperty
                | P::SetRelationshipVectorProperty
                | P::AddLabels
                | P::SetLabels
                | P::MergeNode
                | P::MergeRelationship
                | P::CreateNode
                | P::CreateRelationship
                | P::MergeNodes
                | P::CreateIndex
                | P::CreateUniqueKey
                | P::CreateExistence
                | P::DropSchema
                | P::CreateVectorIndex
                | P::CreateNodeVectorIndex
                | P::CreateFulltextIndex
                | P::CreateFulltextNodeIndex
                | P::CreateFulltextRelationshipIndex
        )
    }
}

/// The error of an unknown procedure.
pub(crate) fn unknown_procedure(name: &str) -> QueryError {
    QueryError::compile(
        ErrorKind::ProcedureError,
        "ProcedureNotFound",
        format!(
            "there is no procedure {name}; see docs/QUERY.md for those that exist (or register one: Database::register_procedure)"
        ),
    )
}
