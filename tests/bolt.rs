//! The Bolt server: the protocol by hand over a socket (handshake, login,
//! statements, pulls in batches, failures and the refusals), and the
//! official Neo4j Python and JavaScript drivers against `quiver serve`
//! (`tests/bolt/driver_checks.py` and `.js`; they need `neo4j` in the
//! Python of `QUIVER_PYTHON` and `neo4j-driver` in the `node_modules` of
//! `QUIVER_NODE_MODULES`, else they are skipped with a message — never in
//! CI, which sets `QUIVER_REQUIRE_PYTHON=1` and `QUIVER_REQUIRE_NODE=1`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use quiverdb::server::auth::Users;
use quiverdb::server::packstream::{self, Encoder, Pack};
use quiverdb::server::{Server, ServerConfig, chunk};
use quiverdb::{Database, props};

const USER: &str = "ada";
const PASSWORD: &str = "correct horse";

/// A database with three people who know each other, and a user.
fn fixture(dir: &Path) -> Database {
    let db = Database::open(dir).unwrap();
    let mut w = db.begin_write().unwrap();
    let ada = w.add_node(&["Person"], props! {"name" => "ada"}).unwrap();
    let bob = w.add_node(&["Person"], props! {"name" => "bob"}).unwrap();
    let cy = w.add_node(&["Person"], props! {"name" => "cy"}).unwrap();
    w.add_edge(ada, bob, "KNOWS", props! {"since" => 2019})
        .unwrap();
    w.add_edge(ada, cy, "KNOWS", props! {"since" => 2020})
        .unwrap();
    w.add_edge(cy, bob, "KNOWS", props! {"since" => 2021})
        .unwrap();
    w.commit().unwrap();
    Users::load(dir)
        .unwrap()
        .set(USER, PASSWORD, false)
        .unwrap();
    db
}

/// A server on a free loopback port, run on a thread until the test ends.
struct Running {
    addr: SocketAddr,
    stopper: quiverdb::server::Stopper,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stopper.stop();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn start(db: Database, config: ServerConfig) -> Running {
    let server = Server::bind(Arc::new(db), config).unwrap();
    let (addr, stopper) = (server.local_addr().unwrap(), server.stopper());
    let thread = std::thread::spawn(move || server.run().unwrap());
    Running {
        addr,
        stopper,
        thread: Some(thread),
    }
}

fn any_port() -> ServerConfig {
    ServerConfig::listen("127.0.0.1:0".parse().unwrap())
}

/// A hand-driven client.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects and proposes `versions` (`[0, range, minor, major]` each).
    fn connect(addr: SocketAddr, versions: [[u8; 4]; 4]) -> (Client, [u8; 4]) {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut hello = vec![0x60, 0x60, 0xB0, 0x17];
        for v in versions {
            hello.extend_from_slice(&v);
        }
        stream.write_all(&hello).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut chosen = [0u8; 4];
        reader.read_exact(&mut chosen).unwrap();
        (Client { stream, reader }, chosen)
    }

    fn send(&mut self, tag: u8, fields: Vec<Pack>) {
        let mut msg = Vec::new();
        Encoder::new(&mut msg).pack(&Pack::Struct(tag, fields));
        let mut framed = Vec::new();
        chunk::frame(&msg, &mut framed);
        self.stream.write_all(&framed).unwrap();
    }

    /// The next response: (signature, fields), or `None` when closed.
    fn recv(&mut self) -> Option<(u8, Vec<Pack>)> {
        let mut buf = Vec::new();
        if !chunk::read_message(&mut self.reader, &mut buf, 1 << 26).ok()? {
            return None;
        }
        match packstream::decode(&buf).unwrap() {
            Pack::Struct(tag, fields) => Some((tag, fields)),
            other => panic!("a response that is not a structure: {other}"),
        }
    }

    fn expect_success(&mut self) -> Pack {
        let (tag, mut fields) = self.recv().expect("connection closed");
        assert_eq!(tag, 0x70, "not SUCCESS: {fields:?}");
        fields.remove(0)
    }

    fn login(addr: SocketAddr) -> Client {
        let (mut c, v) = Client::connect(addr, [[0, 4, 4, 5], [0, 0, 4, 4], [0; 4], [0; 4]]);
        assert_eq!(v, [0, 0, 4, 5]);
        c.send(0x01, vec![Pack::map([("user_agent", Pack::str("test/1"))])]);
        let hello = c.expect_success();
        assert!(
            hello
                .get("server")
                .and_then(Pack::as_str)
                .unwrap()
                .starts_with("Neo4j/")
        );
        c.send(
            0x6A,
            vec![Pack::map([
                ("scheme", Pack::str("basic")),
                ("principal", Pack::str(USER)),
                ("credentials", Pack::str(PASSWORD)),
            ])],
        );
        c.expect_success();
        c
    }
}

fn pull(n: i64) -> Vec<Pack> {
    vec![Pack::map([("n", Pack::Int(n))])]
}

#[test]
fn statements_run_and_results_come_in_the_batches_pulled() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    let mut c = Client::login(server.addr);
    c.send(
        0x10,
        vec![
            Pack::str("UNWIND range(1, $n) AS i RETURN i, i * 2 AS twice"),
            Pack::map([("n", Pack::Int(2500))]),
            Pack::map([]),
        ],
    );
    let run = c.expect_success();
    assert_eq!(
        run.get("fields"),
        Some(&Pack::List(vec![Pack::str("i"), Pack::str("twice")]))
    );
    let mut seen = 0;
    for batch in 0..3 {
        c.send(0x3F, pull(1000));
        loop {
            let (tag, fields) = c.recv().unwrap();
            if tag == 0x71 {
                seen += 1;
                assert_eq!(
                    fields[0],
                    Pack::List(vec![Pack::Int(seen), Pack::Int(2 * seen)])
                );
                continue;
            }
            assert_eq!(tag, 0x70);
            let more = fields[0].get("has_more") == Some(&Pack::Bool(true));
            assert_eq!(more, batch < 2, "batch {batch}");
            break;
        }
    }
    assert_eq!(seen, 2500);
    // A node: labels, properties, element id.
    c.send(
        0x10,
        vec![
            Pack::str("MATCH (p:Person {name: 'bob'}) RETURN p"),
            Pack::map([]),
            Pack::map([]),
        ],
    );
    c.expect_success();
    c.send(0x3F, pull(-1));
    let (tag, fields) = c.recv().unwrap();
    assert_eq!(tag, 0x71);
    let Pack::List(row) = &fields[0] else {
        panic!()
    };
    let Pack::Struct(0x4E, node) = &row[0] else {
        panic!("{row:?}")
    };
    assert_eq!(node[1], Pack::List(vec![Pack::str("Person")]));
    assert_eq!(node[2].get("name"), Some(&Pack::str("bob")));
    assert_eq!(node[3], Pack::str(node[0].as_int().unwrap().to_string()));
    let done = c.expect_success();
    assert_eq!(done.get("type"), Some(&Pack::str("r")));
    c.send(0x02, vec![]);
    assert!(c.recv().is_none(), "GOODBYE closes");
}

#[test]
fn many_requests_sent_at_once_are_all_answered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    let mut c = Client::login(server.addr);
    // More than a connection reads ahead, in one write.
    let mut wire = Vec::new();
    for i in 0..40 {
        for (tag, fields) in [
            (
                0x10,
                vec![
                    Pack::str("RETURN $i AS i"),
                    Pack::map([("i", Pack::Int(i))]),
                    Pack::map([]),
                ],
            ),
            (0x3F, pull(-1)),
        ] {
            let mut msg = Vec::new();
            Encoder::new(&mut msg).pack(&Pack::Struct(tag, fields));
            chunk::frame(&msg, &mut wire);
        }
    }
    c.stream.write_all(&wire).unwrap();
    for i in 0..40 {
        c.expect_success();
        let (tag, fields) = c.recv().unwrap();
        assert_eq!((tag, &fields[0]), (0x71, &Pack::List(vec![Pack::Int(i)])));
        c.expect_success();
    }
}

#[test]
fn a_failure_ignores_requests_until_reset() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    let mut c = Client::login(server.addr);
    c.send(
        0x10,
        vec![Pack::str("RETURN 1 +"), Pack::map([]), Pack::map([])],
    );
    let (tag, fields) = c.recv().unwrap();
    assert_eq!(tag, 0x7F);
    assert_eq!(
        fields[0].get("code"),
        Some(&Pack::str("Neo.ClientError.Statement.SyntaxError"))
    );
    c.send(0x3F, pull(-1));
    assert_eq!(c.recv().unwrap().0, 0x7E, "IGNORED after a failure");
    c.send(0x0F, vec![]);
    c.expect_success();
    c.send(
        0x10,
        vec![Pack::str("RETURN 7 AS x"), Pack::map([]), Pack::map([])],
    );
    c.expect_success();
    c.send(0x3F, pull(-1));
    let (tag, fields) = c.recv().unwrap();
    assert_eq!((tag, &fields[0]), (0x71, &Pack::List(vec![Pack::Int(7)])));
    c.expect_success();
    // LOGOFF inside a transaction is refused; the RESET ends both.
    c.send(0x11, vec![Pack::map([])]);
    c.expect_success();
    c.send(0x6B, vec![]);
    let (tag, fields) = c.recv().unwrap();
    assert_eq!(tag, 0x7F);
    assert_eq!(
        fields[0].get("code"),
        Some(&Pack::str("Neo.ClientError.Request.Invalid"))
    );
    c.send(0x0F, vec![]);
    c.expect_success();
    c.send(0x6B, vec![]);
    c.expect_success();
}

#[test]
fn an_explicit_transaction_commits_or_rolls_back_and_a_dropped_one_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    let count = |c: &mut Client| {
        c.send(
            0x10,
            vec![
                Pack::str("MATCH (t:T) RETURN count(t)"),
                Pack::map([]),
                Pack::map([]),
            ],
        );
        c.expect_success();
        c.send(0x3F, pull(-1));
        let (_, fields) = c.recv().unwrap();
        c.expect_success();
        fields[0].clone()
    };
    let mut c = Client::login(server.addr);
    for (end, kept) in [(0x13u8, 0), (0x12u8, 1)] {
        c.send(0x11, vec![Pack::map([])]);
        c.expect_success();
        c.send(
            0x10,
            vec![Pack::str("CREATE (:T)"), Pack::map([]), Pack::map([])],
        );
        assert!(c.expect_success().get("qid").is_some());
        c.send(0x3F, pull(-1));
        c.expect_success();
        c.send(end, vec![]);
        c.expect_success();
        assert_eq!(count(&mut c), Pack::List(vec![Pack::Int(kept)]));
    }
    // A client that goes away inside a transaction: rolled back, and the
    // writer is free for the next one.
    let mut gone = Client::login(server.addr);
    gone.send(0x11, vec![Pack::map([])]);
    gone.expect_success();
    gone.send(
        0x10,
        vec![Pack::str("CREATE (:T)"), Pack::map([]), Pack::map([])],
    );
    gone.expect_success();
    drop(gone);
    c.send(0x11, vec![Pack::map([])]);
    c.expect_success();
    c.send(0x12, vec![]);
    c.expect_success();
    assert_eq!(count(&mut c), Pack::List(vec![Pack::Int(1)]));
}

#[test]
fn a_reset_or_a_client_leaving_stops_the_running_statement() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    // Each runs for minutes unless stopped; the client waits 30 s at most
    // for an answer.
    let long_read = "UNWIND range(1, 100000) AS i UNWIND range(1, 100000) AS j \
                     WITH j WHERE j < 0 RETURN count(j)";
    let long_write = "UNWIND range(1, 100000) AS i UNWIND range(1, 100000) AS j \
                      WITH j WHERE j < 0 CREATE (:T) RETURN count(*)";
    let run =
        |c: &mut Client, q: &str| c.send(0x10, vec![Pack::str(q), Pack::map([]), Pack::map([])]);
    let mut c = Client::login(server.addr);
    // A read streams: its work is in the PULL, which the RESET stops.
    run(&mut c, long_read);
    c.send(0x3F, pull(-1));
    c.expect_success();
    std::thread::sleep(Duration::from_millis(300));
    c.send(0x0F, vec![]);
    assert_eq!(c.recv().unwrap().0, 0x7E, "the interrupted PULL is IGNORED");
    c.expect_success();
    run(&mut c, "RETURN 1 AS x");
    c.send(0x3F, pull(-1));
    c.expect_success();
    assert_eq!(c.recv().unwrap().1[0], Pack::List(vec![Pack::Int(1)]));
    c.expect_success();
    // A write in an explicit transaction runs in its RUN; the RESET stops
    // it, and what was pipelined before the RESET is ignored.
    c.send(0x11, vec![Pack::map([])]);
    run(&mut c, long_write);
    c.send(0x3F, pull(-1));
    std::thread::sleep(Duration::from_millis(300));
    c.send(0x0F, vec![]);
    c.expect_success();
    assert_eq!(c.recv().unwrap().0, 0x7E, "the interrupted RUN is IGNORED");
    assert_eq!(c.recv().unwrap().0, 0x7E, "the PULL behind it too");
    c.expect_success();
    // A client that leaves while its write runs: the write stops and the
    // writer is free long before another session's wait for it (10 s)
    // runs out.
    let mut gone = Client::login(server.addr);
    run(&mut gone, long_write);
    gone.send(0x3F, pull(-1));
    std::thread::sleep(Duration::from_millis(300));
    drop(gone);
    c.send(0x11, vec![Pack::map([])]);
    c.expect_success();
    run(&mut c, "CREATE (:T)");
    c.send(0x3F, pull(-1));
    c.expect_success();
    c.expect_success();
    c.send(0x12, vec![]);
    c.expect_success();
}

#[test]
fn bad_clients_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = any_port();
    config.max_message_bytes = 4096;
    let server = start(fixture(dir.path()), config);
    // No version in common: all zeros back, then closed.
    let (mut c, v) = Client::connect(server.addr, [[0, 0, 0, 3], [0; 4], [0; 4], [0; 4]]);
    assert_eq!(v, [0; 4]);
    assert!(c.recv().is_none());
    // A wrong password: FAILURE, then closed.
    let (mut c, _) = Client::connect(server.addr, [[0, 0, 4, 5], [0; 4], [0; 4], [0; 4]]);
    c.send(0x01, vec![Pack::map([])]);
    c.expect_success();
    c.send(
        0x6A,
        vec![Pack::map([
            ("scheme", Pack::str("basic")),
            ("principal", Pack::str(USER)),
            ("credentials", Pack::str("wrong")),
        ])],
    );
    let (tag, fields) = c.recv().unwrap();
    assert_eq!(tag, 0x7F);
    assert_eq!(
        fields[0].get("code"),
        Some(&Pack::str("Neo.ClientError.Security.Unauthorized"))
    );
    assert!(c.recv().is_none());
    // A statement before logging in.
    let (mut c, _) = Client::connect(server.addr, [[0, 0, 4, 5], [0; 4], [0; 4], [0; 4]]);
    c.send(0x01, vec![Pack::map([])]);
    c.expect_success();
    c.send(
        0x10,
        vec![Pack::str("RETURN 1"), Pack::map([]), Pack::map([])],
    );
    assert_eq!(c.recv().unwrap().0, 0x7F);
    assert!(c.recv().is_none());
    // A message over the limit: closed without reading it all.
    let mut c = Client::login(server.addr);
    c.send(
        0x10,
        vec![Pack::str("x".repeat(10_000)), Pack::map([]), Pack::map([])],
    );
    assert!(c.recv().is_none());
    // Bytes that are not PackStream: FAILURE, closed.
    let mut c = Client::login(server.addr);
    let mut framed = Vec::new();
    chunk::frame(&[0xC7, 0x01], &mut framed);
    c.stream.write_all(&framed).unwrap();
    assert_eq!(c.recv().unwrap().0, 0x7F);
    assert!(c.recv().is_none());
    // The server still serves.
    let mut c = Client::login(server.addr);
    c.send(
        0x10,
        vec![Pack::str("RETURN 1"), Pack::map([]), Pack::map([])],
    );
    c.expect_success();
}

#[test]
fn unsafe_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::open(dir.path()).unwrap());
    // Authentication on, no users.
    let e = Server::bind(Arc::clone(&db), any_port()).err().unwrap();
    assert!(e.to_string().contains("add NAME"), "{e}");
    // Beyond loopback without the insecure setting.
    Users::load(dir.path())
        .unwrap()
        .set("u", "p", false)
        .unwrap();
    let wide = ServerConfig::listen("0.0.0.0:0".parse().unwrap());
    let e = Server::bind(db, wide).err().unwrap();
    assert!(e.to_string().contains("insecure"), "{e}");
}

/// The Python to run the driver checks with, or why there is none.
fn python_with_driver() -> Result<String, String> {
    let python = std::env::var("QUIVER_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import neo4j"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(python)
    } else {
        Err(format!(
            "{python} cannot import the neo4j driver (pip install neo4j==6.4.1)"
        ))
    }
}

/// A driver found, or `None` after saying why the test is skipped; a
/// failure when `require` (an environment variable) is set, as in CI.
fn required<T>(found: Result<T, String>, require: &str) -> Option<T> {
    match found {
        Ok(t) => Some(t),
        Err(why) if std::env::var(require).is_ok() => panic!("{why} ({require} is set)"),
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `quiver serve` on the fixture at a free port; returns the
/// process and its `bolt://` URI.
fn quiver_serve(dir: &Path) -> (Serve, String) {
    drop(fixture(dir));
    spawn_serve(dir)
}

/// Starts `quiver serve` on the database in `dir`, as [`quiver_serve`].
fn spawn_serve(dir: &Path) -> (Serve, String) {
    let mut child = Serve(
        Command::new(env!("CARGO_BIN_EXE_quiver"))
            .arg("serve")
            .arg(dir)
            // A short wait for the writer: the drivers' checks see a
            // transient error and their managed transactions retry.
            .args(["--listen", "127.0.0.1:0", "--write-wait", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let uri = line.trim().to_owned();
    assert!(uri.starts_with("bolt://127.0.0.1:"), "{uri:?}");
    (child, uri)
}

/// Runs a driver's checks (`command` with the script, then the URI, user
/// and password) over `bolt://` and `neo4j://`.
fn run_checks(mut command: impl FnMut() -> Command, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (_server, uri) = quiver_serve(dir.path());
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bolt")
        .join(script);
    for scheme_uri in [uri.clone(), uri.replace("bolt://", "neo4j://")] {
        let out = command()
            .arg(&script)
            .args([&scheme_uri, USER, PASSWORD])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{scheme_uri}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_process_that_finds_the_directory_held_is_told_where_the_server_is() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, uri) = quiver_serve(dir.path());
    match Database::open(dir.path()) {
        Err(quiverdb::Error::Locked { holder, .. }) => {
            let holder = holder.unwrap();
            assert!(holder.contains(&uri), "{holder}");
        }
        other => panic!("opened a held directory: {:?}", other.map(|_| ())),
    }
}

#[test]
fn the_neo4j_python_driver_works_against_quiver_serve() {
    let Some(python) = required(python_with_driver(), "QUIVER_REQUIRE_PYTHON") else {
        return;
    };
    run_checks(|| Command::new(&python), "driver_checks.py");
}

/// The `node_modules` holding neo4j-driver (`QUIVER_NODE_MODULES`), or
/// why there is none.
fn node_with_driver() -> Result<String, String> {
    let Ok(modules) = std::env::var("QUIVER_NODE_MODULES") else {
        return Err(
            "QUIVER_NODE_MODULES does not name a node_modules with neo4j-driver \
                    (npm install neo4j-driver@6.3.0)"
                .into(),
        );
    };
    let ok = Command::new("node")
        .args(["-e", "require('neo4j-driver')"])
        .env("NODE_PATH", &modules)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(modules)
    } else {
        Err(format!("node cannot load neo4j-driver from {modules}"))
    }
}

#[test]
fn the_neo4j_javascript_driver_works_against_quiver_serve() {
    let Some(modules) = required(node_with_driver(), "QUIVER_REQUIRE_NODE") else {
        return;
    };
    run_checks(
        || {
            let mut c = Command::new("node");
            c.env("NODE_PATH", &modules);
            c
        },
        "driver_checks.js",
    );
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written to
/// `dir` as PEM files.
fn self_signed(dir: &Path) -> quiverdb::server::TlsFiles {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    quiverdb::server::TlsFiles { cert, key }
}

#[test]
fn tls_serves_drivers_and_refuses_plaintext_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let files = self_signed(certs.path());
    // A key that is not PEM: refused at bind, naming the file.
    let mut bad = any_port();
    bad.tls = Some(quiverdb::server::TlsFiles {
        cert: files.cert.clone(),
        key: files.cert.clone(),
    });
    let db = Arc::new(fixture(dir.path()));
    let e = Server::bind(Arc::clone(&db), bad).err().unwrap();
    assert!(e.to_string().contains("cert.pem"), "{e}");
    // Beyond loopback with TLS and authentication: allowed.
    let mut wide = ServerConfig::listen("0.0.0.0:0".parse().unwrap());
    wide.tls = Some(files.clone());
    drop(Server::bind(Arc::clone(&db), wide).unwrap());
    drop(db);
    let dir2 = tempfile::tempdir().unwrap();
    let mut config = any_port();
    config.tls = Some(files);
    let server = start(fixture(dir2.path()), config);
    // A client speaking plain Bolt to a TLS port gets nowhere.
    let mut plain = TcpStream::connect(server.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    plain
        .write_all(&[
            0x60, 0x60, 0xB0, 0x17, 0, 0, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ])
        .unwrap();
    let mut answer = [0u8; 4];
    let got = plain.read(&mut answer).unwrap_or(0);
    assert!(
        got == 0 || answer != [0, 0, 4, 5],
        "a plaintext handshake was answered"
    );
    // The library's client: encrypted and taking any certificate with
    // bolt+ssc://; refusing one no root vouches for with bolt+s://.
    {
        use quiverdb::query::{CypherValue, Params};
        use quiverdb::server::Client;
        let port = server.addr.port();
        let mut c = Client::open(&format!("bolt+ssc://localhost:{port}"), USER, PASSWORD).unwrap();
        let n = c
            .run("MATCH (p:Person) RETURN count(p)", &Params::new())
            .unwrap();
        assert_eq!(n.rows(), [vec![CypherValue::Int(3)]]);
        let e = Client::open(&format!("bolt+s://localhost:{port}"), USER, PASSWORD)
            .err()
            .unwrap();
        assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
        let e = Client::open(&format!("http://localhost:{port}"), USER, PASSWORD)
            .err()
            .unwrap();
        assert!(e.to_string().contains("bolt://"), "{e}");
    }
    // The Python driver over TLS, trusting the self-signed certificate.
    let Some(python) = required(python_with_driver(), "QUIVER_REQUIRE_PYTHON") else {
        return;
    };
    let script = format!(
        "from neo4j import GraphDatabase\n\
         with GraphDatabase.driver('bolt+ssc://localhost:{}', auth=('{USER}', '{PASSWORD}')) as d:\n\
         \x20   r, _, _ = d.execute_query('MATCH (p:Person) RETURN count(p) AS n')\n\
         \x20   assert r[0]['n'] == 3, r\n\
         print('ok')\n",
        server.addr.port()
    );
    let out = Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_client_that_has_not_logged_in_gets_little_time_and_room() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = any_port();
    config.handshake_timeout = Duration::from_millis(1500);
    let server = start(fixture(dir.path()), config);
    // NOOPs keep nothing open past the login deadline.
    let (mut c, _) = Client::connect(server.addr, [[0, 0, 4, 5], [0; 4], [0; 4], [0; 4]]);
    let started = std::time::Instant::now();
    for _ in 0..6 {
        if c.stream.write_all(&[0, 0]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(c.recv().is_none());
    assert!(started.elapsed() < Duration::from_secs(10));
    // A 100 KiB HELLO before logging in: closed unread.
    let (mut c, _) = Client::connect(server.addr, [[0, 0, 4, 5], [0; 4], [0; 4], [0; 4]]);
    c.send(
        0x01,
        vec![Pack::map([(
            "user_agent",
            Pack::str("x".repeat(100 << 10)),
        )])],
    );
    assert!(c.recv().is_none());
    // Logged in, the same message is served.
    let mut c = Client::login(server.addr);
    c.send(
        0x10,
        vec![
            Pack::str("RETURN size($s) AS n"),
            Pack::map([("s", Pack::str("x".repeat(100 << 10)))]),
            Pack::map([]),
        ],
    );
    c.expect_success();
    c.send(0x3F, pull(-1));
    let (tag, fields) = c.recv().unwrap();
    assert_eq!(
        (tag, &fields[0]),
        (0x71, &Pack::List(vec![Pack::Int(100 << 10)]))
    );
}

#[test]
fn bad_parameters_fail_the_statement_not_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    let mut c = Client::login(server.addr);
    for bad in [
        Pack::Struct(0x44, vec![Pack::Int(i64::MAX)]),
        Pack::Struct(0x64, vec![Pack::Int(0), Pack::Int(i64::MAX)]),
        Pack::Struct(
            0x46,
            vec![Pack::Int(i64::MIN), Pack::Int(0), Pack::Int(3600)],
        ),
        Pack::Struct(0x49, vec![Pack::Int(0), Pack::Int(0), Pack::Int(100_000)]),
        Pack::Struct(0x4E, vec![Pack::Int(1), Pack::List(vec![]), Pack::map([])]),
    ] {
        c.send(
            0x10,
            vec![
                Pack::str("RETURN $x"),
                Pack::map([("x", bad)]),
                Pack::map([]),
            ],
        );
        let (tag, fields) = c.recv().unwrap();
        assert_eq!(tag, 0x7F, "{fields:?}");
        c.send(0x0F, vec![]);
        c.expect_success();
    }
    c.send(
        0x10,
        vec![Pack::str("RETURN 1"), Pack::map([]), Pack::map([])],
    );
    c.expect_success();
}

#[test]
fn an_idle_writer_is_closed_and_a_removed_user_is_refused_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = any_port();
    config.write_idle_timeout = Duration::from_secs(1);
    config.write_wait = Duration::from_secs(20);
    let server = start(fixture(dir.path()), config);
    let mut idle = Client::login(server.addr);
    idle.send(0x11, vec![Pack::map([])]);
    idle.expect_success();
    // Another writer gets the writer once the idle one is closed.
    let mut c = Client::login(server.addr);
    let started = std::time::Instant::now();
    c.send(
        0x10,
        vec![Pack::str("CREATE (:W)"), Pack::map([]), Pack::map([])],
    );
    c.expect_success();
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(idle.recv().is_none(), "the idle writer was not closed");
    // The users file changes under the running server.
    Users::load(dir.path()).unwrap().remove(USER).unwrap();
    let (mut late, _) = Client::connect(server.addr, [[0, 0, 4, 5], [0; 4], [0; 4], [0; 4]]);
    late.send(0x01, vec![Pack::map([])]);
    late.expect_success();
    late.send(
        0x6A,
        vec![Pack::map([
            ("scheme", Pack::str("basic")),
            ("principal", Pack::str(USER)),
            ("credentials", Pack::str(PASSWORD)),
        ])],
    );
    assert_eq!(late.recv().unwrap().0, 0x7F);
}

#[test]
fn the_library_client_and_quiver_query_reach_a_running_server() {
    use quiverdb::query::{CypherValue, Params};
    use quiverdb::server::{Client, ClientError};
    let dir = tempfile::tempdir().unwrap();
    let (server, uri) = quiver_serve(dir.path());
    let address = uri.trim_start_matches("bolt://");
    let mut c = Client::connect(address, USER, PASSWORD).unwrap();
    // What comes back equals what the embedded call answers.
    let text = "MATCH p = (a:Person {name: $n})-[:KNOWS]->(b)<-[:KNOWS]-(c) \
                RETURN a, p, date('2024-02-29') AS d, datetime({year: 2024, month: 6, day: 1, \
                timezone: 'Europe/Stockholm'}) AS z, duration('P1M2DT3.5S') AS u, $x AS x";
    let params = Params::from([
        ("n".to_owned(), CypherValue::from("ada")),
        (
            "x".to_owned(),
            CypherValue::List(vec![CypherValue::Int(1), CypherValue::Bytes(vec![0, 9])]),
        ),
    ]);
    let remote = c.run(text, &params).unwrap();
    assert_eq!(remote.columns(), ["a", "p", "d", "z", "u", "x"]);
    assert!(!remote.rows().is_empty());
    drop(c);
    let mut refused = Client::connect(address, USER, "wrong").err().unwrap();
    assert!(
        matches!(refused, ClientError::Failure { ref code, .. } if code.contains("Unauthorized")),
        "{refused}"
    );
    // A failed statement leaves the client usable.
    let mut c = Client::connect(address, USER, PASSWORD).unwrap();
    refused = c.run("RETURN 1 +", &Params::new()).err().unwrap();
    assert!(refused.to_string().contains("SyntaxError"), "{refused}");
    let one = c.run("RETURN 1 AS one", &Params::new()).unwrap();
    assert_eq!(one.rows(), [vec![CypherValue::Int(1)]]);
    assert!(one.updates().is_empty());
    // A write's summary counts what it did, as the embedded call does.
    let made = c
        .run("CREATE (:Temp {a: 1, b: 2})", &Params::new())
        .unwrap();
    assert_eq!(
        made.updates().named(),
        [
            ("nodes-created", 1),
            ("properties-set", 2),
            ("labels-added", 1)
        ]
    );
    c.run("MATCH (t:Temp) DELETE t", &Params::new()).unwrap();
    // The embedded answer, once the server is gone.
    drop(c);
    drop(server);
    let db = Database::open(dir.path()).unwrap();
    let local = db.execute(text, &params).unwrap();
    assert_eq!(remote.rows(), local.rows());
    drop(db);
    // quiver query against a server.
    let (_server, uri) = spawn_serve(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args([
            "query",
            &uri,
            "MATCH (p:Person) RETURN p.name AS name ORDER BY name",
            "--json",
        ])
        .env("QUIVER_USER", USER)
        .env("QUIVER_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"ada\"") && text.contains("\"cy\""),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn a_unix_socket_serves_and_its_file_is_handled_with_care() {
    use quiverdb::query::{CypherValue, Params};
    use quiverdb::server::Client;
    let dir = tempfile::tempdir().unwrap();
    let sockets = tempfile::tempdir().unwrap();
    let sock = sockets.path().join("quiver.sock");
    let db = Arc::new(fixture(dir.path()));
    let mut config = ServerConfig::default();
    config.listen = None;
    config.unix = Some(sock.clone());
    // A file that is not a socket is left alone.
    std::fs::write(&sock, "mine").unwrap();
    let e = Server::bind(Arc::clone(&db), config.clone()).err().unwrap();
    assert!(e.to_string().contains("not a socket"), "{e}");
    assert_eq!(std::fs::read_to_string(&sock).unwrap(), "mine");
    // A socket file whose server is gone is replaced.
    std::fs::remove_file(&sock).unwrap();
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    let server = Server::bind(Arc::clone(&db), config.clone()).unwrap();
    assert_eq!(server.local_addr(), None);
    assert_eq!(server.uris(), [format!("unix:{}", sock.display())]);
    let stopper = server.stopper();
    let thread = std::thread::spawn(move || server.run().unwrap());
    let uri = format!("unix:{}", sock.display());
    let mut c = Client::open(&uri, USER, PASSWORD).unwrap();
    let n = c
        .run("MATCH (p:Person) RETURN count(p)", &Params::new())
        .unwrap();
    assert_eq!(n.rows(), [vec![CypherValue::Int(3)]]);
    // One a server answers on is not taken over.
    let e = Server::bind(Arc::clone(&db), config).err().unwrap();
    assert!(e.to_string().contains("listening"), "{e}");
    drop(c);
    stopper.stop();
    thread.join().unwrap();
    assert!(!sock.exists(), "the socket file outlived the server");
}

#[cfg(unix)]
#[test]
fn quiver_shell_reaches_a_server_over_a_unix_socket() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    drop(fixture(dir.path()));
    let sock = dir.path().join("bolt.sock");
    let mut server = Serve(
        Command::new(env!("CARGO_BIN_EXE_quiver"))
            .arg("serve")
            .arg(dir.path())
            .arg("--unix")
            .arg(&sock)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let uri = line.trim().to_owned();
    assert_eq!(uri, format!("unix:{}", sock.display()));
    let mut shell = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(["shell", &uri, "--history", "none"])
        .env("QUIVER_USER", USER)
        .env("QUIVER_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = "MATCH (p:Person)\n  RETURN p.name AS name ORDER BY name;\n\
                 :schema\n\
                 CREATE (:Person {name: 'dee'});\n\
                 RETURN 1/0;\n\
                 :timeout 0.05\n\
                 UNWIND range(1, 5000) AS a UNWIND range(1, 5000) AS b WITH a WHERE a = b RETURN count(*);\n\
                 MATCH (p:Person) RETURN count(p) AS people;\n";
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = shell.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    for expected in ["ada", "cy", "labels: Person", "KNOWS", "4"] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from\n{stdout}"
        );
    }
    assert!(
        stderr.contains("ArithmeticError") || stderr.contains("zero"),
        "{stderr}"
    );
    assert!(stderr.contains("TransactionTimedOut"), "{stderr}");
}

#[test]
fn results_in_a_transaction_are_pulled_by_qid_and_discarded_unread() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(fixture(dir.path()), any_port());
    let mut c = Client::login(server.addr);
    c.send(0x11, vec![Pack::map([("mode", Pack::str("r"))])]);
    c.expect_success();
    for text in [
        "UNWIND [1, 2] AS i RETURN i",
        "UNWIND [7, 8, 9] AS i RETURN i",
    ] {
        c.send(0x10, vec![Pack::str(text), Pack::map([]), Pack::map([])]);
        c.expect_success();
    }
    let rows = |c: &mut Client| {
        let mut got = Vec::new();
        loop {
            let (tag, fields) = c.recv().unwrap();
            match tag {
                0x71 => got.push(fields[0].clone()),
                0x70 => return (got, fields[0].get("has_more").is_some()),
                _ => panic!("{fields:?}"),
            }
        }
    };
    // -1 is the last RUN's result; the first is reached by its qid.
    c.send(0x3F, vec![Pack::map([("n", Pack::Int(1))])]);
    assert_eq!(rows(&mut c), (vec![Pack::List(vec![Pack::Int(7)])], true));
    c.send(
        0x3F,
        vec![Pack::map([("n", Pack::Int(-1)), ("qid", Pack::Int(0))])],
    );
    let (first, more) = rows(&mut c);
    assert_eq!(first.len(), 2);
    assert!(!more);
    // DISCARD of the rest ends it; then -1 names no open result.
    c.send(0x2F, vec![Pack::map([("n", Pack::Int(-1))])]);
    assert_eq!(rows(&mut c), (vec![], false));
    c.send(0x3F, vec![Pack::map([("n", Pack::Int(-1))])]);
    assert_eq!(c.recv().unwrap().0, 0x7F);
}
