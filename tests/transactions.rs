//! Transaction semantics: atomic commit, abort and drop, snapshot
//! isolation, durability across reopen, and the refusals of the write API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    clippy::items_after_statements,
    clippy::too_many_lines,
    missing_docs,
    reason = "test and bench code: a panic is the failure report, exact floats are intended"
)]

use quiverdb::{Database, Direction, Durability, Error, GraphRead, NodeId, Value, props};

fn open() -> (tempfile::TempDir, Database) {
    let tmp = tempfile::tempdir().unwrap();
    let db = Database::open(tmp.path().join("db")).unwrap();
    (tmp, db)
}

#[test]
fn aborted_and_dropped_writes_leave_nothing_behind() {
    let (tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let keep = w.add_node(&["Keep"], props! {"n" => 1}).unwrap();
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&["Gone", "Also"], props! {"p" => "x"}).unwrap();
    w.add_edge(a, keep, "NEW_TYPE", props! {"w" => 2.0})
        .unwrap();
    w.set_node_property(keep, "n", 2).unwrap();
    w.create_index("Keep", "n").unwrap();
    w.abort();

    {
        let mut w = db.begin_write().unwrap();
        w.add_node(&["Dropped"], props! {}).unwrap();
        w.detach_delete_node(keep).unwrap();
        // dropped without commit
    }

    let check = |db: &Database| {
        let r = db.begin_read().unwrap();
        assert_eq!(r.node_ids().unwrap(), vec![keep]);
        assert_eq!(r.edge_count().unwrap(), 0);
        assert!(r.edge_ids().unwrap().is_empty());
        let node = r.node(keep).unwrap().unwrap();
        assert_eq!(node.props, props! {"n" => 1});
        assert!(r.nodes_with_label("Gone").unwrap().is_empty());
        assert!(r.nodes_with_label("Dropped").unwrap().is_empty());
        assert!(r.indexes().unwrap().is_empty());
        assert!(matches!(
            r.nodes_by_property("Keep", "n", &Value::Int(1)),
            Err(Error::NotIndexed { .. })
        ));
    };
    check(&db);
    db.close().unwrap();
    let db = Database::open(tmp.path().join("db")).unwrap();
    check(&db);

    // Names interned by the aborted transactions are gone: the next
    // transaction can use them afresh.
    let mut w = db.begin_write().unwrap();
    let n = w.add_node(&["Gone"], props! {}).unwrap();
    w.commit().unwrap();
    assert_eq!(
        db.begin_read().unwrap().nodes_with_label("Gone").unwrap(),
        vec![n]
    );
}

#[test]
fn snapshots_do_not_see_later_commits() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&["P"], props! {"v" => 1}).unwrap();
    w.commit().unwrap();

    let before = db.begin_read().unwrap();
    let mut w = db.begin_write().unwrap();
    let b = w.add_node(&["P"], props! {}).unwrap();
    w.add_edge(a, b, "T", props! {}).unwrap();
    w.set_node_property(a, "v", 2).unwrap();
    // The writer sees its own changes; the reader does not, even before commit.
    assert_eq!(w.neighbors(a, Direction::Out, None).unwrap(), vec![b]);
    assert!(
        before
            .neighbors(a, Direction::Out, None)
            .unwrap()
            .is_empty()
    );
    w.commit().unwrap();

    assert_eq!(before.node_ids().unwrap(), vec![a]);
    assert_eq!(before.node(a).unwrap().unwrap().props, props! {"v" => 1});
    assert_eq!(before.node_count().unwrap(), 1);
    let after = db.begin_read().unwrap();
    assert_eq!(after.node_ids().unwrap(), vec![a, b]);
    assert_eq!(after.node(a).unwrap().unwrap().props, props! {"v" => 2});
}

#[test]
fn readers_run_while_a_writer_is_open_on_another_thread() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&[], props! {}).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            // Not blocked by the open write transaction.
            let r = db.begin_read().unwrap();
            assert!(r.node(a).unwrap().is_none());
        })
        .join()
        .unwrap();
    });
    w.commit().unwrap();
}

#[test]
fn a_write_transaction_moves_to_another_thread() {
    // A binding that releases the GIL, or an async task, begins a
    // transaction on one thread and finishes it on another.
    let (_dir, db) = open();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&["A"], props! {}).unwrap();
    let b = std::thread::scope(|s| {
        s.spawn(move || {
            let b = w.add_node(&["A"], props! {}).unwrap();
            w.add_edge(a, b, "R", props! {}).unwrap();
            w.commit().unwrap();
            b
        })
        .join()
        .unwrap()
    });
    let r = db.begin_read().unwrap();
    assert_eq!(r.neighbors(a, Direction::Out, None).unwrap(), vec![b]);
    drop(r);
    // The writer lock went with it: the next writer starts at once.
    db.begin_write().unwrap().abort();
}

#[test]
fn commits_survive_reopen_in_both_durability_modes() {
    for durability in [Durability::Immediate, Durability::Buffered] {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("db");
        let db = Database::builder()
            .durability(durability)
            .open(&path)
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..20 {
            let mut w = db.begin_write().unwrap();
            ids.push(w.add_node(&["N"], props! {"i" => i}).unwrap());
            w.commit().unwrap();
        }
        drop(db);
        let db = Database::open(&path).unwrap();
        let r = db.begin_read().unwrap();
        assert_eq!(r.nodes_with_label("N").unwrap(), ids, "{durability:?}");
    }
}

#[test]
fn ids_are_never_reused_after_delete_and_reopen() {
    let (tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&[], props! {}).unwrap();
    let b = w.add_node(&[], props! {}).unwrap();
    let e = w.add_edge(a, b, "T", props! {}).unwrap();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    w.detach_delete_node(b).unwrap();
    w.commit().unwrap();
    drop(db);
    let db = Database::open(tmp.path().join("db")).unwrap();
    let mut w = db.begin_write().unwrap();
    let c = w.add_node(&[], props! {}).unwrap();
    let e2 = w.add_edge(a, c, "T", props! {}).unwrap();
    assert!(c > b && e2 > e, "ids {c} {e2} reuse {b} {e}");
}

#[test]
fn delete_refusals_and_detach_delete() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&["A"], props! {}).unwrap();
    let b = w.add_node(&["B"], props! {}).unwrap();
    w.add_edge(a, b, "T", props! {}).unwrap();
    w.add_edge(a, b, "T", props! {}).unwrap(); // parallel
    w.add_edge(a, a, "LOOP", props! {}).unwrap(); // self-loop
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let err = w.delete_node(a).unwrap_err();
    assert!(matches!(err, Error::NodeHasEdges { edges: 3, .. }), "{err}");
    assert!(err.to_string().contains("detach_delete_node"), "{err}");
    // The failed call changed nothing; the transaction goes on.
    assert_eq!(w.edges(a, Direction::Both, None).unwrap().len(), 4); // loop twice
    assert_eq!(w.detach_delete_node(a).unwrap(), 3);
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(r.node_ids().unwrap(), vec![b]);
    assert!(r.edges(b, Direction::Both, None).unwrap().is_empty());
    assert_eq!(r.edge_count().unwrap(), 0);
}

#[test]
fn unknown_nodes_and_edges_are_typed_errors() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&[], props! {}).unwrap();
    let ghost = NodeId(999);
    assert!(
        matches!(w.add_edge(a, ghost, "T", props! {}), Err(Error::NodeNotFound(n)) if n == ghost)
    );
    assert!(matches!(
        w.add_edge(ghost, a, "T", props! {}),
        Err(Error::NodeNotFound(_))
    ));
    assert!(matches!(w.delete_node(ghost), Err(Error::NodeNotFound(_))));
    assert!(matches!(
        w.set_node_property(ghost, "k", 1),
        Err(Error::NodeNotFound(_))
    ));
    assert!(matches!(
        w.delete_edge(quiverdb::EdgeId(5)),
        Err(Error::EdgeNotFound(_))
    ));
    assert!(matches!(
        w.neighbors(ghost, Direction::Out, None),
        Err(Error::NodeNotFound(_))
    ));
    w.commit().unwrap();
    assert_eq!(db.begin_read().unwrap().edge_count().unwrap(), 0);
}

#[test]
fn bad_values_and_names_are_refused() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let err = w.add_node(&["A"], props! {"x" => f64::NAN}).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument(_)) && err.to_string().contains("NaN"),
        "{err}"
    );
    let nested = Value::List(vec![Value::Float(f64::NAN)]);
    assert!(w.add_node(&[], props! {"x" => nested}).is_err());
    assert!(matches!(
        w.add_node(&[""], props! {}),
        Err(Error::InvalidArgument(_))
    ));
    let a = w.add_node(&[], props! {}).unwrap();
    assert!(matches!(
        w.add_edge(a, a, "", props! {}),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.set_node_property(a, "", 1),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.set_node_property(a, "x", f64::NAN),
        Err(Error::InvalidArgument(_))
    ));
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(r.node_ids().unwrap(), vec![a]);
    assert!(r.node(a).unwrap().unwrap().props.is_empty());
}

#[test]
fn unique_keys_and_indexes() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let ada = w
        .add_node(&["Person"], props! {"name" => "Ada", "city" => "London"})
        .unwrap();
    let bob = w
        .add_node(&["Person"], props! {"name" => "Bob", "city" => "London"})
        .unwrap();
    w.create_unique_key("Person", "name").unwrap();
    w.create_index("Person", "city").unwrap();
    let err = w
        .add_node(&["Person"], props! {"name" => "Ada"})
        .unwrap_err();
    assert!(
        matches!(&err, Error::UniqueViolation { existing, .. } if *existing == ada),
        "{err}"
    );
    // Another label is not constrained; a node without the key is not either.
    let robot = w.add_node(&["Robot"], props! {"name" => "Ada"}).unwrap();
    w.add_node(&["Person"], props! {}).unwrap();
    // Gaining the label brings the constraint.
    assert!(matches!(
        w.add_label(robot, "Person"),
        Err(Error::UniqueViolation { .. })
    ));
    // Renaming frees the old value.
    w.set_node_property(ada, "name", "Augusta").unwrap();
    assert_eq!(
        w.node_by_key("Person", "name", &"Ada".into()).unwrap(),
        None
    );
    w.add_label(robot, "Person").unwrap();
    w.commit().unwrap();

    let r = db.begin_read().unwrap();
    assert_eq!(
        r.node_by_key("Person", "name", &"Ada".into()).unwrap(),
        Some(robot)
    );
    assert_eq!(
        r.node_by_key("Person", "name", &"Augusta".into()).unwrap(),
        Some(ada)
    );
    assert_eq!(
        r.nodes_by_property("Person", "city", &"London".into())
            .unwrap(),
        vec![ada, bob]
    );
    assert!(matches!(
        r.node_by_key("Person", "city", &"London".into()),
        Err(Error::NotIndexed { .. })
    ));
    assert!(matches!(
        r.nodes_by_property("Person", "age", &Value::Int(3)),
        Err(Error::NotIndexed { .. })
    ));

    // Declaring a unique key over existing duplicates fails and changes nothing.
    let mut w = db.begin_write().unwrap();
    assert!(matches!(
        w.create_unique_key("Person", "city"),
        Err(Error::UniqueViolation { .. })
    ));
    assert_eq!(w.indexes().unwrap().len(), 2);
    assert_eq!(
        w.nodes_by_property("Person", "city", &"London".into())
            .unwrap(),
        vec![ada, bob]
    );
    assert!(w.drop_index("Person", "city").unwrap());
    assert!(!w.drop_index("Person", "city").unwrap());
    w.commit().unwrap();
    assert!(matches!(
        db.begin_read()
            .unwrap()
            .nodes_by_property("Person", "city", &"London".into()),
        Err(Error::NotIndexed { .. })
    ));
}

#[test]
fn bulk_property_writes_apply_in_order_and_all_or_nothing() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let ada = w
        .add_node(&["Person"], props! {"name" => "Ada", "age" => 36})
        .unwrap();
    let bob = w
        .add_node(&["Person"], props! {"name" => "Bob", "city" => "Oslo"})
        .unwrap();
    let cy = w.add_node(&["Robot"], props! {"name" => "Cy"}).unwrap();
    w.create_unique_key("Person", "name").unwrap();
    w.create_index("Person", "city").unwrap();
    w.commit().unwrap();

    // Each node's writes land in the order given, wherever they sit in
    // the input; a removal of a key the node lacks changes nothing.
    let mut w = db.begin_write().unwrap();
    let changed = w
        .set_node_properties([
            (bob, "age", Some(Value::Int(1))),
            (ada, "age", Some(Value::Int(2))),
            (bob, "age", Some(Value::Int(3))),
            (ada, "age", None),
            (bob, "city", Some(Value::from("Rome"))),
            (cy, "nothing", None),
        ])
        .unwrap();
    assert_eq!(changed, 2);
    assert_eq!(w.node(ada).unwrap().unwrap().props.get("age"), None);
    assert_eq!(
        w.node(bob).unwrap().unwrap().props.get("age"),
        Some(&Value::Int(3))
    );
    // The index follows an indexed key.
    assert_eq!(
        w.nodes_by_property("Person", "city", &"Rome".into())
            .unwrap(),
        vec![bob]
    );
    assert!(
        w.nodes_by_property("Person", "city", &"Oslo".into())
            .unwrap()
            .is_empty()
    );
    w.commit().unwrap();

    // A unique key taken by a later write of the same call, an unknown
    // node, a NaN: each fails and leaves the transaction as it was.
    let mut w = db.begin_write().unwrap();
    w.set_node_property(cy, "mark", 1).unwrap();
    let err = w
        .set_node_properties([
            (ada, "name", Some(Value::from("Eve"))),
            (bob, "name", Some(Value::from("Eve"))),
        ])
        .unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err}");
    let err = w
        .set_node_properties([
            (ada, "age", Some(Value::Int(9))),
            (NodeId(999), "age", Some(Value::Int(9))),
        ])
        .unwrap_err();
    assert!(matches!(err, Error::NodeNotFound(NodeId(999))), "{err}");
    let err = w
        .set_node_properties([
            (ada, "age", Some(Value::Int(9))),
            (bob, "age", Some(Value::Float(f64::NAN))),
        ])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert_eq!(
        w.node_by_key("Person", "name", &"Ada".into()).unwrap(),
        Some(ada)
    );
    assert_eq!(
        w.node_by_key("Person", "name", &"Eve".into()).unwrap(),
        None
    );
    assert_eq!(w.node(ada).unwrap().unwrap().props.get("age"), None);
    // What came before the failed calls is kept.
    assert_eq!(
        w.node(cy).unwrap().unwrap().props.get("mark"),
        Some(&Value::Int(1))
    );
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.node(bob).unwrap().unwrap().props.get("name"),
        Some(&Value::from("Bob"))
    );
}

/// The same properties on many nodes: by ids and by label, each label
/// found both ways (from its index when it is a small part of the
/// nodes, by reading every record when it is most of them), on records
/// the transaction has already changed, with values spliced into
/// records of every kind — and all-or-nothing.
#[test]
fn properties_set_on_many_nodes_at_once() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let mut people = Vec::new();
    for i in 0..40 {
        let mut props = props! {"i" => i, "tags" => Value::List(vec!["a".into(), Value::Int(i)])};
        if i % 3 == 0 {
            props.insert(
                "day".into(),
                Value::Temporal(quiverdb::temporal::Temporal::parse("date", "2024-05-01").unwrap()),
            );
        }
        people.push(w.add_node(&["Person"], props).unwrap());
    }
    let robot = w.add_node(&["Robot"], props! {"i" => 99}).unwrap();
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    // Pending before the bulk writes: a new member, a changed one.
    let late = w
        .add_node(&["Person", "Robot"], props! {"i" => 100})
        .unwrap();
    w.set_node_property(people[1], "i", -1).unwrap();
    let members = w
        .set_properties_of_label("Person", &[("flag", Some(Value::Bool(true))), ("i", None)])
        .unwrap();
    assert_eq!(members, 41);
    let robots = w
        .set_properties_of_label("Robot", &[("kind", Some("metal".into()))])
        .unwrap();
    assert_eq!(robots, 2);
    assert_eq!(
        w.set_properties_of_label("Nobody", &[("x", None)]).unwrap(),
        0
    );
    let changed = w
        .set_properties_of_nodes(
            &[people[5], people[2], people[5]],
            &[("n", Some(Value::Int(7)))],
        )
        .unwrap();
    assert_eq!(changed, 2);
    w.commit().unwrap();

    let r = db.begin_read().unwrap();
    for (k, &id) in people.iter().enumerate() {
        let props = r.node(id).unwrap().unwrap().props;
        assert_eq!(props.get("flag"), Some(&Value::Bool(true)));
        assert_eq!(props.get("i"), None);
        assert_eq!(props.contains_key("day"), k % 3 == 0, "{k}");
        assert_eq!(
            props["tags"],
            Value::List(vec!["a".into(), Value::Int(k as i64)])
        );
        assert_eq!(
            props.get("n"),
            [2, 5].contains(&k).then_some(&Value::Int(7))
        );
    }
    let late = r.node(late).unwrap().unwrap().props;
    assert_eq!(
        (late.get("flag"), late.get("kind")),
        (Some(&Value::Bool(true)), Some(&"metal".into()))
    );
    let robot = r.node(robot).unwrap().unwrap().props;
    assert_eq!(
        (robot.get("flag"), robot.get("i")),
        (None, Some(&Value::Int(99)))
    );
    drop(r);

    // A unique key two members would share, an unknown node, a NaN:
    // each fails and leaves the transaction as it was.
    let mut w = db.begin_write().unwrap();
    w.create_unique_key("Person", "code").unwrap();
    let err = w
        .set_properties_of_label("Person", &[("code", Some(Value::Int(1)))])
        .unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err}");
    let err = w
        .set_properties_of_nodes(&[people[0], NodeId(999)], &[("n", Some(Value::Int(1)))])
        .unwrap_err();
    assert!(matches!(err, Error::NodeNotFound(NodeId(999))), "{err}");
    let err = w
        .set_properties_of_label("Person", &[("n", Some(Value::Float(f64::NAN)))])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    for &id in &people {
        let props = w.node(id).unwrap().unwrap().props;
        assert_eq!(
            (props.get("code"), props.contains_key("n")),
            (
                None,
                [2, 5].contains(&people.iter().position(|p| *p == id).unwrap())
            )
        );
    }
    w.commit().unwrap();
}

#[test]
fn statistics_follow_every_commit_and_only_commits() {
    let (_tmp, db) = open();
    let mut w = db.begin_write().unwrap();
    let ada = w.add_node(&["Person"], props! {"name" => "Ada"}).unwrap();
    let bob = w
        .add_node(&["Person", "Admin"], props! {"name" => "Bob"})
        .unwrap();
    let box_ = w.add_node(&[], props! {"name" => "Box"}).unwrap();
    w.add_edge(ada, bob, "KNOWS", props! {}).unwrap();
    w.add_edge(bob, box_, "OWNS", props! {}).unwrap();
    let lone = w.add_edge(ada, ada, "LIKES", props! {}).unwrap();
    w.create_index("Person", "name").unwrap();
    w.commit().unwrap();

    let pattern = |census: &quiverdb::Census, s: &str, t: &str, d: &str| {
        census
            .patterns
            .iter()
            .find(|(a, b, c, _)| (a.as_str(), b.as_str(), c.as_str()) == (s, t, d))
            .map_or(0, |p| p.3)
    };
    let c = db.begin_read().unwrap().census().unwrap();
    assert_eq!(
        c.labels,
        [("Person".to_owned(), 2), ("Admin".to_owned(), 1)]
    );
    assert_eq!(pattern(&c, "Person", "KNOWS", "Person"), 1);
    assert_eq!(pattern(&c, "Person", "KNOWS", "Admin"), 1);
    assert_eq!(pattern(&c, "Admin", "OWNS", ""), 1);
    assert_eq!(pattern(&c, "Person", "LIKES", "Person"), 1);
    assert_eq!(c.distinct, [("Person".to_owned(), "name".to_owned(), 2)]);

    // A label change moves the counts of the node's relationships, a
    // self-loop's both ends; an aborted transaction moves nothing.
    let mut w = db.begin_write().unwrap();
    w.add_label(ada, "Admin").unwrap();
    w.remove_label(bob, "Person").unwrap();
    w.add_label(box_, "Thing").unwrap();
    w.set_node_property(box_, "name", "Ada").unwrap();
    w.abort();
    assert_eq!(db.begin_read().unwrap().census().unwrap(), c);
    let before = db.begin_read().unwrap();
    let mut w = db.begin_write().unwrap();
    w.add_label(ada, "Admin").unwrap();
    w.remove_label(bob, "Person").unwrap();
    w.add_label(box_, "Thing").unwrap();
    w.delete_edge(lone).unwrap();
    w.set_node_property(bob, "name", "Ada").unwrap(); // no longer indexed
    w.commit().unwrap();
    let c = db.begin_read().unwrap().census().unwrap();
    assert_eq!(pattern(&c, "Person", "KNOWS", "Admin"), 1);
    assert_eq!(pattern(&c, "Admin", "KNOWS", "Admin"), 1);
    assert_eq!(pattern(&c, "Person", "KNOWS", "Person"), 0);
    assert_eq!(pattern(&c, "Admin", "OWNS", "Thing"), 1);
    assert_eq!(pattern(&c, "Admin", "OWNS", ""), 0);
    assert_eq!(pattern(&c, "Person", "LIKES", "Person"), 0);
    assert_eq!(c.distinct, [("Person".to_owned(), "name".to_owned(), 1)]);
    // The snapshot taken before keeps its own counts.
    assert_eq!(pattern(&before.census().unwrap(), "Admin", "OWNS", ""), 1);
    assert!(db.check().unwrap().is_ok());
}

/// `set_node_properties` writes a large batch a chunk of nodes at a time
/// on its per-node path (a written key that an index reads): a failure in
/// a late chunk still leaves the transaction as it was before the call.
#[test]
fn a_bulk_property_write_that_fails_late_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_unique_key("P", "k").unwrap();
    let ids: Vec<NodeId> = (0..3000i64)
        .map(|i| w.add_node(&["P"], props! {"k" => i}).unwrap())
        .collect();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    // Every node gets k + 10,000; the last one the value node 0 gets.
    let writes: Vec<(NodeId, &str, Option<Value>)> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let k = if i == ids.len() - 1 {
                10_000
            } else {
                10_000 + i as i64
            };
            (id, "k", Some(Value::Int(k)))
        })
        .collect();
    let err = w.set_node_properties(writes).unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err}");
    for &id in &ids[..5] {
        let k = w.node(id).unwrap().unwrap().props["k"].clone();
        assert_eq!(k, Value::Int(i64::try_from(id.0).unwrap()));
    }
    assert_eq!(w.node_by_key("P", "k", &Value::Int(10_000)).unwrap(), None);
    // The same batch without the clash goes through whole.
    let writes: Vec<(NodeId, &str, Option<Value>)> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, "k", Some(Value::Int(10_000 + i as i64))))
        .collect();
    assert_eq!(w.set_node_properties(writes).unwrap(), 3000);
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.node_by_key("P", "k", &Value::Int(12_999)).unwrap(),
        Some(ids[2999])
    );
}
