//! The Bolt server's own cost, on loopback, with a minimal client written
//! against the protocol (so the client's cost is small and the same for
//! every measure):
//!
//! * a point query (`MATCH (p:Person {id: $id}) RETURN p.name`, unique
//!   index) over Bolt against the same statement embedded
//!   (`Database::execute`): criterion medians of both, and the
//!   difference printed;
//! * read scaling: point queries from one session, then from two
//!   sessions on two threads, as statements per second;
//! * streaming: `UNWIND range(1, 1000000) AS i RETURN i, i + 1` pulled in
//!   batches of 10,000 and decoded, as values per second.
//!
//! Data: 100,000 `Person` nodes, generated (`QUIVER_BENCH_PEOPLE`
//! changes the count).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::many_single_char_names,
    missing_docs,
    reason = "bench code: a panic is the failure report"
)]

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use quiverdb::query::Params;
use quiverdb::server::auth::Users;
use quiverdb::server::packstream::{self, Encoder, Pack};
use quiverdb::server::{Server, ServerConfig, chunk};
use quiverdb::{Database, Durability, props};

/// A client speaking Bolt 5.4 by hand.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut hello = vec![0x60, 0x60, 0xB0, 0x17, 0, 0, 4, 5];
        hello.extend_from_slice(&[0; 12]);
        stream.write_all(&hello).unwrap();
        let mut reader = BufReader::with_capacity(1 << 16, stream.try_clone().unwrap());
        let mut v = [0u8; 4];
        reader.read_exact(&mut v).unwrap();
        assert_eq!(v, [0, 0, 4, 5]);
        let mut c = Client {
            stream,
            reader,
            buf: Vec::new(),
        };
        c.send(&[
            Pack::Struct(
                0x01,
                vec![Pack::map([("user_agent", Pack::str("bench/1"))])],
            ),
            Pack::Struct(
                0x6A,
                vec![Pack::map([
                    ("scheme", Pack::str("basic")),
                    ("principal", Pack::str("bench")),
                    ("credentials", Pack::str("bench")),
                ])],
            ),
        ]);
        c.expect(0x70);
        c.expect(0x70);
        c
    }

    fn send(&mut self, messages: &[Pack]) {
        let mut framed = Vec::new();
        for m in messages {
            let mut msg = Vec::new();
            Encoder::new(&mut msg).pack(m);
            chunk::frame(&msg, &mut framed);
        }
        self.stream.write_all(&framed).unwrap();
    }

    fn recv(&mut self) -> (u8, Vec<Pack>) {
        assert!(chunk::read_message(&mut self.reader, &mut self.buf, 1 << 26).unwrap());
        match packstream::decode(&self.buf).unwrap() {
            Pack::Struct(tag, fields) => (tag, fields),
            other => panic!("{other}"),
        }
    }

    fn expect(&mut self, tag: u8) -> Vec<Pack> {
        let (t, f) = self.recv();
        assert_eq!(t, tag, "{f:?}");
        f
    }

    /// RUN and PULL pipelined, as drivers send them; returns the rows.
    fn query(&mut self, text: &str, params: Pack, batch: i64) -> usize {
        self.send(&[
            Pack::Struct(0x10, vec![Pack::str(text), params, Pack::map([])]),
            Pack::Struct(0x3F, vec![Pack::map([("n", Pack::Int(batch))])]),
        ]);
        self.expect(0x70);
        let mut rows = 0;
        loop {
            let (tag, fields) = self.recv();
            match tag {
                0x71 => rows += 1,
                0x70 if fields[0].get("has_more") == Some(&Pack::Bool(true)) => {
                    self.send(&[Pack::Struct(
                        0x3F,
                        vec![Pack::map([("n", Pack::Int(batch))])],
                    )]);
                }
                0x70 => return rows,
                _ => panic!("{fields:?}"),
            }
        }
    }
}

const POINT: &str = "MATCH (p:Person {id: $id}) RETURN p.name AS name";

fn people() -> i64 {
    std::env::var("QUIVER_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn server_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let n = people();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(dir.path())
        .unwrap();
    db.execute(
        "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (p:Person) REQUIRE p.id IS UNIQUE",
        &Params::new(),
    )
    .unwrap();
    let mut w = db.begin_write().unwrap();
    for i in 0..n {
        w.add_node(&["Person"], props! {"id" => i, "name" => format!("p{i}")})
            .unwrap();
    }
    w.commit().unwrap();
    Users::load(dir.path())
        .unwrap()
        .set("bench", "bench", false)
        .unwrap();
    let db = Arc::new(db);
    let server = Server::bind(
        Arc::clone(&db),
        ServerConfig::listen("127.0.0.1:0".parse().unwrap()),
    )
    .unwrap();
    let (addr, stopper) = (server.local_addr().unwrap(), server.stopper());
    let running = std::thread::spawn(move || server.run().unwrap());

    let mut g = c.benchmark_group("server");
    let mut i = 0i64;
    g.bench_function("point_query_embedded", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            let params = Params::from([("id".to_owned(), i.into())]);
            db.execute(POINT, &params).unwrap()
        });
    });
    let mut client = Client::connect(addr);
    g.bench_function("point_query_bolt", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            client.query(POINT, Pack::map([("id", Pack::Int(i))]), 1000)
        });
    });
    g.finish();

    // Read scaling: statements per second from one and two sessions.
    let rate = |sessions: usize| {
        let window = Duration::from_secs(3);
        let counts: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..sessions)
                .map(|k| {
                    s.spawn(move || {
                        let mut c = Client::connect(addr);
                        let (start, mut done, mut j) = (Instant::now(), 0u64, k as i64 * 31);
                        while start.elapsed() < window {
                            j = (j + 7919) % n;
                            c.query(POINT, Pack::map([("id", Pack::Int(j))]), 1000);
                            done += 1;
                        }
                        done
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        counts.iter().sum::<u64>() as f64 / window.as_secs_f64()
    };
    let (one, two) = (rate(1), rate(2));
    eprintln!(
        "server: point queries over Bolt, 1 session {one:.0}/s, 2 sessions {two:.0}/s ({:.2}x)",
        two / one
    );

    // Streaming: values per second of a 1M-row, 2-column result.
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let rows = client.query(
            "UNWIND range(1, 1000000) AS i RETURN i, i + 1 AS j",
            Pack::map([]),
            10_000,
        );
        assert_eq!(rows, 1_000_000);
        best = best.min(t.elapsed().as_secs_f64());
    }
    eprintln!(
        "server: streamed 2,000,000 values in {:.3} s (best of 3): {:.2}M values/s",
        best,
        2.0 / best
    );
    drop(client);
    stopper.stop();
    running.join().unwrap();
}

criterion_group!(benches, server_benches);
criterion_main!(benches);
