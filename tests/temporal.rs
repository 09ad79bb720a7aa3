//! Temporal values end to end: kept as properties across a reopen, found
//! by index lookups, ordered, read one "now" per statement, refused with
//! typed errors on bad input; the Rust API's `Value::Temporal`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use quiverdb::query::{CypherValue as V, ErrorKind, Params, QueryResult};
use quiverdb::temporal::Temporal;
use quiverdb::{Database, GraphRead, Value};

fn strings(r: &QueryResult) -> Vec<Vec<String>> {
    r.rows()
        .iter()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect()
}

fn run(db: &Database, q: &str) -> Vec<Vec<String>> {
    strings(&db.execute(q, &Params::new()).unwrap())
}

#[test]
fn temporal_properties_survive_a_reopen_and_are_found_by_index() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.execute(
            "UNWIND range(0, 29) AS i
             CREATE (:Event {i: i,
                             day: date('2024-01-01') + duration({days: i % 10}),
                             at: datetime({year: 2024, month: 3, day: 31, hour: i % 24, timezone: 'Europe/Berlin'}),
                             took: duration({minutes: i}),
                             slots: [localtime('09:00'), time('17:30+02:00')]})",
            &Params::new(),
        )
        .unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let q = "MATCH (e:Event) WHERE e.day = date('2024-01-04') RETURN count(e) AS n";
    assert_eq!(run(&db, q), [["3"]]);
    let mut w = db.begin_write().unwrap();
    w.create_index("Event", "day").unwrap();
    w.create_index("Event", "at").unwrap();
    w.commit().unwrap();
    // The same rows through the index.
    assert_eq!(run(&db, q), [["3"]]);
    // 02:00 does not exist that day in Berlin: it moves to 03:00 (+02:00),
    // as Java does, so hours 2 and 3 are one instant.
    let q = "MATCH (e:Event {at: datetime('2024-03-31T03:00+02:00[Europe/Berlin]')})
             RETURN e.i AS i ORDER BY i";
    assert_eq!(
        run(&db, q),
        [["2"], ["3"], ["26"], ["27"]].map(|r| r.map(str::to_owned))
    );
    let q = "MATCH (e:Event {i: 2}) RETURN toString(e.at) AS at, e.took AS took, e.slots AS s";
    assert_eq!(
        run(&db, q),
        [[
            "'2024-03-31T03:00+02:00[Europe/Berlin]'",
            "PT2M",
            "[09:00, 17:30+02:00]"
        ]]
    );
    // Read back through the Rust API.
    let r = db.begin_read().unwrap();
    let id = r.node_ids().unwrap().into_iter().next().unwrap();
    let node = r.node(id).unwrap().unwrap();
    assert_eq!(
        node.props.get("day"),
        Some(&Value::Temporal(
            Temporal::parse("date", "2024-01-01").unwrap()
        ))
    );
    // Ordering by instant, and comparisons.
    let q = "MATCH (e:Event) WHERE e.i < 4 AND e.at < datetime('2024-03-31T01:30Z')
             RETURN e.i AS i ORDER BY e.at DESC, i";
    assert_eq!(
        run(&db, q),
        [["2"], ["3"], ["1"], ["0"]].map(|r| r.map(str::to_owned))
    );
}

#[test]
fn a_statement_reads_one_clock() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let q = "UNWIND range(1, 2000) AS i WITH datetime() AS t, i
             RETURN count(DISTINCT t) AS n, duration.inSeconds(localtime(), localtime()) AS d";
    assert_eq!(run(&db, q), [["1", "PT0S"]]);
    // Two statements, two clocks (realtime moves within one).
    let a = db
        .execute("RETURN datetime() AS t", &Params::new())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let b = db
        .execute("RETURN datetime() AS t", &Params::new())
        .unwrap();
    assert_ne!(a.rows(), b.rows());
    let q =
        "RETURN timestamp() = datetime().epochMillis AS t, timestamp() > 1700000000000 AS recent";
    assert_eq!(run(&db, q), [["true", "true"]]);
    let q = "RETURN date() = date.statement() AS a, date.realtime() >= date() AS b";
    assert_eq!(run(&db, q), [["true", "true"]]);
    // Without a database too (the clock is the statement's, not 1970's).
    let r = quiverdb::query::run("RETURN date().year >= 2026 AS now", &Params::new()).unwrap();
    assert_eq!(strings(&r), [["true"]]);
}

#[test]
fn bad_temporal_input_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    for q in [
        "RETURN date('2015-02-30')",
        "RETURN date('not a date')",
        "RETURN datetime('2015-07-21T25:00')",
        "RETURN datetime({year: 2015, timezone: 'Mars/Olympus'})",
        "RETURN date({year: 1000000000})",
        "RETURN date({yaer: 2015})",
        "RETURN date({year: 'x'})",
        "RETURN duration({years: 1e300})",
        "RETURN duration('P1H')",
        "RETURN time({hour: 12, timezone: '+19:00'})",
        "RETURN date('+999999999-12-31') + duration({days: 1})",
        "RETURN duration({days: 1}) / 0",
        "RETURN date.truncate('fortnight', date())",
        "RETURN localtime.truncate('year', localtime())",
    ] {
        let e = db.execute(q, &Params::new()).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::ArgumentError | ErrorKind::TypeError),
            "{q}: {e}"
        );
    }
    // Type errors for operators that do not apply.
    for q in [
        "RETURN date() + date()",
        "RETURN duration({days: 1}) - date()",
        "RETURN 1 + date()",
    ] {
        let e = db.execute(q, &Params::new()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TypeError, "{q}");
    }
    // Arbitrary text into every parser: an error or a value, never a panic.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    // ASCII mostly, with characters of two and three bytes.
    let alphabet: Vec<char> = "0123456789-+:.,TWPYMDHSZz[]/ Eé٣".chars().collect();
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 24) as usize;
        let text: String = (0..len)
            .map(|i| alphabet[((seed >> (i % 8 * 8)) as usize + i * 7) % alphabet.len()])
            .collect();
        for kind in [
            "date",
            "localtime",
            "time",
            "localdatetime",
            "datetime",
            "duration",
        ] {
            if let Ok(t) = Temporal::parse(kind, &text) {
                // What parses prints back to the same value.
                assert_eq!(
                    Temporal::parse(kind, &t.to_string()).unwrap(),
                    t,
                    "{kind} {text:?}"
                );
            }
        }
    }
}

#[test]
fn parameters_and_results_carry_temporal_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let at = Temporal::parse("datetime", "2024-05-01T12:00+01:00").unwrap();
    let mut params = Params::new();
    params.insert("at".to_owned(), V::from(at.clone()));
    let r = db
        .execute(
            "CREATE (n:Log {at: $at}) RETURN n.at + duration('PT90M') AS later, n.at.hour AS h",
            &params,
        )
        .unwrap();
    assert_eq!(strings(&r), [["2024-05-01T13:30+01:00", "12"]]);
    let r = db
        .execute(
            "MATCH (n:Log) WHERE n.at = $at RETURN valueType(n.at) AS t",
            &params,
        )
        .unwrap();
    assert_eq!(strings(&r), [["'ZONED DATETIME NOT NULL'"]]);
}
