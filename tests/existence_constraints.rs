//! Existence constraints (`CREATE CONSTRAINT ... REQUIRE n.p IS NOT
//! NULL`, `WriteTxn::create_existence_constraint`): checked over the data
//! when made, then at every commit over what it writes — a commit that
//! would leave a node or relationship without the property writes
//! nothing — listed by `SHOW CONSTRAINTS`, dropped by name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use quiverdb::query::{CypherValue as V, ErrorKind, Params, QueryError, status};
use quiverdb::{Database, Error, GraphRead, NodeId, props};

fn open() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    (dir, db)
}

fn run(db: &Database, statement: &str) -> Vec<Vec<V>> {
    db.execute(statement, &Params::new())
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
        .into_rows()
}

fn fails(db: &Database, statement: &str) -> QueryError {
    match db.execute(statement, &Params::new()) {
        Ok(r) => panic!("{statement} ran: {:?}", r.rows()),
        Err(e) => e,
    }
}

fn count(db: &Database, statement: &str) -> i64 {
    match run(db, statement).as_slice() {
        [row] => match row[0] {
            V::Int(n) => n,
            ref other => panic!("{other:?}"),
        },
        rows => panic!("{rows:?}"),
    }
}

#[test]
fn writes_that_leave_a_required_property_missing_commit_nothing() {
    let (_dir, db) = open();
    run(
        &db,
        "CREATE CONSTRAINT person_name IF NOT EXISTS FOR (p:Person) REQUIRE p.name IS NOT NULL",
    );
    run(
        &db,
        "CREATE CONSTRAINT knows_since FOR ()-[k:KNOWS]-() REQUIRE k.since IS NOT NULL",
    );
    run(
        &db,
        "CREATE (:Person {name: 'Ann'})-[:KNOWS {since: 2020}]->(:Person {name: 'Bob'}), (:Pet)",
    );
    for statement in [
        "CREATE (:Person {age: 3})",
        "MATCH (p:Person {name: 'Ann'}) SET p.name = null",
        "MATCH (p:Person {name: 'Ann'}) REMOVE p.name",
        "MATCH (p:Person {name: 'Ann'}) SET p = {age: 30}",
        "MATCH (p:Pet) SET p:Person",
        "MATCH (a:Person {name: 'Ann'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS]->(b)",
        "MATCH ()-[k:KNOWS]->() REMOVE k.since",
        "UNWIND range(1, 3) AS i CREATE (:Person {name: 'P' + i}) WITH i WHERE i = 3 CREATE (:Person)",
    ] {
        let e = fails(&db, statement);
        assert_eq!(
            e.kind,
            ErrorKind::ConstraintVerificationFailed,
            "{statement}: {e}"
        );
        assert_eq!(
            e.status(),
            status::CONSTRAINT_VALIDATION_FAILED,
            "{statement}"
        );
    }
    // Nothing of those statements was written.
    assert_eq!(count(&db, "MATCH (p:Person) RETURN count(p)"), 2);
    assert_eq!(
        count(
            &db,
            "MATCH (p:Person) WHERE p.name IS NOT NULL RETURN count(p)"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "MATCH ()-[k:KNOWS]->() WHERE k.since = 2020 RETURN count(k)"
        ),
        1
    );
    assert_eq!(count(&db, "MATCH (p:Pet) RETURN count(p)"), 1);
    // Writes that keep the property, and ones outside the constraints, do.
    run(
        &db,
        "MATCH (p:Person {name: 'Ann'}) SET p.name = 'Anne', p.age = 30",
    );
    run(&db, "MATCH (p:Pet) SET p:Animal");
    run(&db, "MATCH (p:Person {name: 'Bob'}) DETACH DELETE p");
    run(
        &db,
        "CREATE (:Person {name: 'Cy'})-[:LIKES]->(:Person {name: 'Di'})",
    );
    assert_eq!(count(&db, "MATCH (p:Person) RETURN count(p)"), 3);
    // The schema an LLM is shown says which properties are required.
    run(
        &db,
        "MATCH (a:Person {name: 'Cy'}), (b:Person {name: 'Di'}) CREATE (a)-[:KNOWS {since: 2024}]->(b)",
    );
    let flags = run(
        &db,
        "CALL apoc.meta.data() YIELD label, property, existence, elementType \
         WHERE property IN ['name', 'age', 'since'] \
         RETURN label, property, existence ORDER BY label, property",
    );
    assert_eq!(
        flags,
        vec![
            vec!["KNOWS".into(), "since".into(), V::Bool(true)],
            vec!["Person".into(), "age".into(), V::Bool(false)],
            vec!["Person".into(), "name".into(), V::Bool(true)],
        ]
    );
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn the_check_is_at_commit_not_per_write() {
    let (_dir, db) = open();
    let mut w = db.begin_write().unwrap();
    w.create_existence_constraint("person_name", "Person", "name", false)
        .unwrap();
    // Made without the property, given it before the commit: fine.
    let ann = w.add_node(&["Person"], props! {}).unwrap();
    w.set_node_property(ann, "name", "Ann").unwrap();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    let nameless = w.add_node(&["Person"], props! {"age" => 3i64}).unwrap();
    w.add_node(&["Person"], props! {"name" => "ok"}).unwrap();
    let e = w.commit().unwrap_err();
    match &e {
        Error::MissingRequiredProperty {
            entity,
            owner,
            key,
            name,
        } => {
            assert_eq!(
                (entity.as_str(), owner.as_str(), key.as_str(), name.as_str()),
                (
                    format!("node {}", nameless.0).as_str(),
                    ":Person",
                    "name",
                    "person_name"
                )
            );
        }
        other => panic!("{other}"),
    }
    let r = db.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), 1);
    assert!(r.node(NodeId(ann.0)).unwrap().is_some());
}

#[test]
fn a_constraint_over_data_that_breaks_it_is_refused_and_ddl_behaves_as_neo4j() {
    let (_dir, db) = open();
    run(
        &db,
        "CREATE (:Doc {id: 1}), (:Doc), (:Doc {id: 3})-[:CITES]->(:Doc {id: 4})",
    );
    let e = fails(
        &db,
        "CREATE CONSTRAINT doc_id FOR (d:Doc) REQUIRE d.id IS NOT NULL",
    );
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed, "{e}");
    let e = fails(
        &db,
        "CREATE CONSTRAINT cites_at FOR ()-[c:CITES]-() REQUIRE c.at IS NOT NULL",
    );
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed, "{e}");
    assert!(
        db.begin_read()
            .unwrap()
            .existence_constraints()
            .unwrap()
            .is_empty()
    );
    run(&db, "MATCH (d:Doc) WHERE d.id IS NULL SET d.id = 2");
    run(
        &db,
        "CREATE CONSTRAINT doc_id FOR (d:Doc) REQUIRE d.id IS NOT NULL",
    );
    // The same again, by name or by what it covers.
    run(
        &db,
        "CREATE CONSTRAINT doc_id IF NOT EXISTS FOR (d:Doc) REQUIRE d.id IS NOT NULL",
    );
    run(
        &db,
        "CREATE CONSTRAINT other IF NOT EXISTS FOR (d:Doc) REQUIRE d.id IS NOT NULL",
    );
    let e = fails(
        &db,
        "CREATE CONSTRAINT doc_id FOR (x:X) REQUIRE x.y IS NOT NULL",
    );
    assert_eq!(e.detail, "EquivalentSchemaRuleAlreadyExists");
    let e = fails(
        &db,
        "CREATE CONSTRAINT doc_id FOR (x:X) REQUIRE x.y IS UNIQUE",
    );
    assert_eq!(e.detail, "EquivalentSchemaRuleAlreadyExists");
    // Unnamed: a generated name.
    run(&db, "MATCH ()-[c:CITES]->() SET c.w = 1");
    run(
        &db,
        "CREATE CONSTRAINT FOR ()-[c:CITES]-() REQUIRE c.w IS NOT NULL",
    );
    let shown = run(
        &db,
        "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties, createStatement \
         RETURN name, type, entityType, labelsOrTypes, properties, createStatement ORDER BY type",
    );
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert_eq!(shown[0][1], V::from("NODE_PROPERTY_EXISTENCE"));
    assert_eq!(shown[0][0], V::from("doc_id"));
    assert_eq!(shown[0][3], V::List(vec![V::from("Doc")]));
    assert_eq!(
        shown[0][5],
        V::from("CREATE CONSTRAINT `doc_id` FOR (n:`Doc`) REQUIRE (n.`id`) IS NOT NULL")
    );
    assert_eq!(shown[1][1], V::from("RELATIONSHIP_PROPERTY_EXISTENCE"));
    assert_eq!(shown[1][2], V::from("RELATIONSHIP"));
    let V::String(generated) = &shown[1][0] else {
        panic!("{shown:?}")
    };
    assert!(generated.starts_with("constraint_"), "{generated}");
    // Not shown as indexes; filtered by kind.
    assert!(run(&db, "SHOW INDEXES").is_empty());
    assert_eq!(run(&db, "SHOW UNIQUE CONSTRAINTS").len(), 0);
    // The relationship constraint was checked over the CITES there is.
    let e = fails(
        &db,
        "MATCH (a:Doc {id: 1}), (b:Doc {id: 2}) CREATE (a)-[:CITES]->(b)",
    );
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed, "{e}");
    // Dropped by name, the writes go through.
    run(&db, &format!("DROP CONSTRAINT {generated}"));
    run(&db, "DROP CONSTRAINT doc_id");
    run(&db, "DROP CONSTRAINT doc_id IF EXISTS");
    assert_eq!(
        fails(&db, "DROP CONSTRAINT doc_id").detail,
        "SchemaRuleNotFound"
    );
    run(
        &db,
        "MATCH (a:Doc {id: 1}), (b:Doc {id: 2}) CREATE (a)-[:CITES]->(b)",
    );
    run(&db, "CREATE (:Doc)");
    assert!(
        db.begin_read()
            .unwrap()
            .existence_constraints()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_bulk_import_refuses_a_database_with_existence_constraints() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    run(&db, "CREATE CONSTRAINT p FOR (n:P) REQUIRE n.x IS NOT NULL");
    let nodes = dir.path().join("nodes.csv");
    std::fs::write(&nodes, "id\n1\n2\n").unwrap();
    let loaded = quiverdb::import::Importer::new(&db, quiverdb::import::ImportOptions::default())
        .and_then(|mut import| {
            import.nodes(&nodes, quiverdb::import::Format::Csv)?;
            import.finish()
        });
    let Err(e) = loaded else {
        panic!("the import ran");
    };
    assert!(e.to_string().contains("existence constraints"), "{e}");
}
