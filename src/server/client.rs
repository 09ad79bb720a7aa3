//! A small Bolt client, for reaching a running server (`quiver serve`,
//! or any server speaking Bolt 5.0–5.4) from the library and the
//! command line: log in, run statements, get their rows as
//! [`CypherValue`]s. Over TCP, TLS (`bolt+s://`, the certificate checked
//! against the system's roots; `bolt+ssc://`, any certificate) or a Unix
//! socket (`unix:PATH`).
//!
//! ```no_run
//! # use quiverdb::{query::Params, server::Client};
//! let mut c = Client::open("bolt://127.0.0.1:7687", "ada", "secret")?;
//! let result = c.run("MATCH (p:Package) RETURN count(p) AS n", &Params::new())?;
//! println!("{:?}", result.rows());
//! # Ok::<(), quiverdb::server::ClientError>(())
//! ```

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use super::chunk;
use super::packstream::{self, Encoder, Pack};
use super::values::tag;
use crate::query::{CypherValue, NodeValue, Params, PathValue, QueryResult, RelValue};
use crate::{EdgeId, NodeId, UpdateCounts};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The connection failed or closed.
    #[error("connection to the server: {0}")]
    Io(#[from] io::Error),
    /// The server answered something this client does not understand.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server refused the request: its Neo4j status code and message.
    #[error("{code}: {message}")]
    Failure {
        /// The status code (`Neo.ClientError.Statement.SyntaxError`, ...).
        code: String,
        /// The server's message.
        message: String,
    },
}

/// A connection's bytes, whichever way they travel.
trait Wire: Read + Write + Send {}

impl<T: Read + Write + Send> Wire for T {}

/// A logged-in connection to a Bolt server.
pub struct Client {
    conn: BufReader<Box<dyn Wire>>,
    buf: Vec<u8>,
}

/// The URI schemes [`Client::open`] takes.
pub const SCHEMES: &str =
    "bolt://, neo4j://, bolt+s://, neo4j+s://, bolt+ssc://, neo4j+ssc:// or unix:";

impl Client {
    /// Connects to the server `uri` names and logs in as `user`:
    /// `bolt://host:port` (or `neo4j://`: one server), `bolt+s://` (TLS,
    /// the certificate checked against the system's roots), `bolt+ssc://`
    /// (TLS, any certificate: self-signed ones), `unix:PATH` (a Unix
    /// socket). The port defaults to 7687.
    ///
    /// # Errors
    /// [`ClientError::Protocol`] for a URI of another form, and those of
    /// [`Client::connect`].
    pub fn open(uri: &str, user: &str, password: &str) -> Result<Client, ClientError> {
        #[cfg(unix)]
        if let Some(path) = uri.strip_prefix("unix:") {
            let stream = std::os::unix::net::UnixStream::connect(path)?;
            return Client::login(Box::new(stream), user, password);
        }
        let Some((scheme, rest)) = uri.split_once("://") else {
            return Err(ClientError::Protocol(format!(
                "{uri} is not a server URI ({SCHEMES})"
            )));
        };
        let host_port = rest.split(['/', '?']).next().unwrap_or(rest);
        let address = if host_port
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host_port.to_owned()
        } else {
            format!("{host_port}:7687")
        };
        let tls = match scheme {
            "bolt" | "neo4j" => None,
            "bolt+s" | "neo4j+s" => Some(false),
            "bolt+ssc" | "neo4j+ssc" => Some(true),
            _ => {
                return Err(ClientError::Protocol(format!(
                    "{uri}: the scheme is not one of {SCHEMES}"
                )));
            }
        };
        let stream = TcpStream::connect(&address)?;
        stream.set_nodelay(true)?;
        match tls {
            None => Client::login(Box::new(stream), user, password),
            Some(any_certificate) => {
                let host = host_port
                    .rsplit_once(':')
                    .map_or(host_port, |(h, _)| h)
                    .trim_matches(['[', ']']);
                let wire = tls_client(stream, host, any_certificate)?;
                Client::login(wire, user, password)
            }
        }
    }

    /// Connects to `address` (`host:port`) over plain TCP and logs in as
    /// `user`.
    ///
    /// # Errors
    /// [`ClientError::Io`] when the server cannot be reached,
    /// [`ClientError::Failure`] when it refuses the credentials,
    /// [`ClientError::Protocol`] when it speaks no Bolt 5.x.
    pub fn connect(address: &str, user: &str, password: &str) -> Result<Client, ClientError> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Client::login(Box::new(stream), user, password)
    }

    /// The handshake and login over `wire`.
    fn login(wire: Box<dyn Wire>, user: &str, password: &str) -> Result<Client, ClientError> {
        let mut c = Client {
            conn: BufReader::new(wire),
            buf: Vec::new(),
        };
        let mut hello = vec![0x60, 0x60, 0xB0, 0x17, 0, 4, 4, 5];
        hello.extend_from_slice(&[0; 12]);
        c.conn.get_mut().write_all(&hello)?;
        c.conn.get_mut().flush()?;
        let mut version = [0u8; 4];
        c.conn.read_exact(&mut version)?;
        if version[3] != 5 {
            return Err(ClientError::Protocol(format!(
                "the server speaks no Bolt 5.0-5.4 (answered {version:?})"
            )));
        }
        let agent = Pack::str(concat!("quiverdb/", env!("CARGO_PKG_VERSION")));
        let auth = [
            ("scheme", Pack::str("basic")),
            ("principal", Pack::str(user)),
            ("credentials", Pack::str(password)),
        ];
        if version[2] >= 1 {
            c.send(&[
                Pack::Struct(0x01, vec![Pack::map([("user_agent", agent)])]),
                Pack::Struct(0x6A, vec![Pack::map(auth)]),
            ])?;
            c.summary()?;
        } else {
            let mut extra = vec![("user_agent".to_owned(), agent)];
            extra.extend(auth.into_iter().map(|(k, v)| (k.to_owned(), v)));
            c.send(&[Pack::Struct(0x01, vec![Pack::Map(extra)])])?;
        }
        c.summary()?;
        Ok(c)
    }

    /// Runs one statement in a transaction of its own and returns all its
    /// rows.
    ///
    /// # Errors
    /// [`ClientError::Failure`] for a statement the server refuses (the
    /// session is reset and stays usable), or the connection's errors.
    pub fn run(&mut self, text: &str, params: &Params) -> Result<QueryResult, ClientError> {
        self.run_within(text, params, None)
    }

    /// [`Client::run`] with a time limit the server stops the statement
    /// at (`None`: the server's default, none).
    ///
    /// # Errors
    /// As [`Client::run`]; a statement past its limit is a
    /// [`ClientError::Failure`] with `Neo.ClientError.Transaction.TransactionTimedOut`.
    pub fn run_within(
        &mut self,
        text: &str,
        params: &Params,
        timeout: Option<std::time::Duration>,
    ) -> Result<QueryResult, ClientError> {
        // RUN, its parameters written straight from the statement values.
        let mut run = Vec::new();
        let mut e = Encoder::new(&mut run);
        e.struct_header(0x10, 3);
        e.string(text);
        e.map_header(params.len());
        for (k, v) in params {
            if matches!(
                v,
                CypherValue::Node(_) | CypherValue::Relationship(_) | CypherValue::Path(_)
            ) {
                return Err(ClientError::Protocol(
                    "a node, relationship or path cannot be a parameter".into(),
                ));
            }
            e.string(k);
            super::values::write(&mut e, v, BOLT5);
        }
        match timeout {
            Some(limit) => {
                e.map_header(1);
                e.string("tx_timeout");
                e.int(i64::try_from(limit.as_millis()).unwrap_or(i64::MAX).max(1));
            }
            None => e.map_header(0),
        }
        let mut framed = Vec::new();
        chunk::frame(&run, &mut framed);
        self.conn.get_mut().write_all(&framed)?;
        self.send(&[Pack::Struct(0x3F, vec![Pack::map([("n", Pack::Int(-1))])])])?;
        let ran = match self.summary() {
            Ok(meta) => meta,
            Err(e) => {
                // The PULL was ignored; clear the failure for the next call.
                let _ = self.recv();
                self.send(&[Pack::Struct(0x0F, vec![])])?;
                self.summary()?;
                return Err(e);
            }
        };
        let columns = match ran.get("fields") {
            Some(Pack::List(f)) => f
                .iter()
                .filter_map(Pack::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let mut rows = Vec::new();
        let updates = loop {
            let (signature, mut fields) = self.recv()?;
            match (signature, fields.pop()) {
                (0x71, Some(Pack::List(values))) => {
                    rows.push(
                        values
                            .into_iter()
                            .map(from_pack)
                            .collect::<Result<_, _>>()?,
                    );
                }
                (0x70, meta) => break meta.as_ref().map(read_updates).unwrap_or_default(),
                (0x7F, Some(meta)) => {
                    self.send(&[Pack::Struct(0x0F, vec![])])?;
                    self.summary()?;
                    return Err(failure(&meta));
                }
                (s, _) => {
                    return Err(ClientError::Protocol(format!(
                        "unexpected message 0x{s:02X}"
                    )));
                }
            }
        };
        Ok(QueryResult {
            columns,
            rows,
            plan: None,
            updates,
        })
    }

    fn send(&mut self, messages: &[Pack]) -> Result<(), ClientError> {
        let mut framed = Vec::new();
        for m in messages {
            let mut msg = Vec::new();
            Encoder::new(&mut msg).pack(m);
            chunk::frame(&msg, &mut framed);
        }
        let wire = self.conn.get_mut();
        wire.write_all(&framed)?;
        wire.flush()?;
        Ok(())
    }

    fn recv(&mut self) -> Result<(u8, Vec<Pack>), ClientError> {
        if !chunk::read_message(&mut self.conn, &mut self.buf, 1 << 30)? {
            return Err(ClientError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        match packstream::decode(&self.buf).map_err(|e| ClientError::Protocol(e.to_string()))? {
            Pack::Struct(signature, fields) => Ok((signature, fields)),
            other => Err(ClientError::Protocol(format!("a response that is {other}"))),
        }
    }

    /// The next SUCCESS's metadata, or the FAILURE as an error.
    fn summary(&mut self) -> Result<Pack, ClientError> {
        let (signature, mut fields) = self.recv()?;
        let meta = fields.pop().unwrap_or(Pack::Null);
        match signature {
            0x70 => Ok(meta),
            0x7F => Err(failure(&meta)),
            0x7E => Err(ClientError::Protocol("the request was ignored".into())),
            s => Err(ClientError::Protocol(format!(
                "unexpected message 0x{s:02X}"
            ))),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.send(&[Pack::Struct(0x02, vec![])]);
    }
}

/// A TLS session over `stream` to `host`, whose certificate is checked
/// against the system's roots, or taken as it is (`any_certificate`).
fn tls_client(
    stream: TcpStream,
    host: &str,
    any_certificate: bool,
) -> Result<Box<dyn Wire>, ClientError> {
    let tls_error = |e: &dyn std::fmt::Display| ClientError::Protocol(format!("TLS: {e}"));
    let provider = Arc::new(super::tls::provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?;
    let config = if any_certificate {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        if roots.is_empty() {
            return Err(ClientError::Protocol(
                "TLS: no root certificates on this system to check the server's against (bolt+ssc:// takes any)".into(),
            ));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    let name =
        rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| tls_error(&e))?;
    let session =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| tls_error(&e))?;
    Ok(Box::new(rustls::StreamOwned::new(session, stream)))
}

/// Takes any certificate whose signatures hold (`bolt+ssc://`): the
/// connection is encrypted, the server not authenticated.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A summary's `stats` as counts (those it does not name are 0).
fn read_updates(meta: &Pack) -> UpdateCounts {
    let mut u = UpdateCounts::default();
    if let Some(Pack::Map(stats)) = meta.get("stats") {
        for (name, n) in stats {
            let n = n.as_int().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
            u.set_named(name, n);
        }
    }
    u
}

fn failure(meta: &Pack) -> ClientError {
    let get = |k: &str| meta.get(k).and_then(Pack::as_str).unwrap_or("").to_owned();
    ClientError::Failure {
        code: get("code"),
        message: get("message"),
    }
}

/// How Bolt 5 shapes values (the versions this client speaks).
const BOLT5: super::values::Dialect = super::values::Dialect {
    element_ids: true,
    utc: true,
};

fn bad(what: &str) -> ClientError {
    ClientError::Protocol(format!("a malformed {what} in a result"))
}

fn props(p: Pack) -> Result<BTreeMap<String, CypherValue>, ClientError> {
    match p {
        Pack::Map(entries) => entries
            .into_iter()
            .map(|(k, v)| Ok((k, from_pack(v)?)))
            .collect(),
        _ => Err(bad("property map")),
    }
}

fn uid(p: &Pack) -> Result<u64, ClientError> {
    p.as_int()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| bad("id"))
}

fn node(fields: Vec<Pack>) -> Result<NodeValue, ClientError> {
    let mut f = fields.into_iter();
    let id = uid(&f.next().ok_or_else(|| bad("node"))?)?;
    let labels = match f.next() {
        Some(Pack::List(l)) => l
            .into_iter()
            .map(|x| match x {
                Pack::String(s) => Ok(s),
                _ => Err(bad("label")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad("node")),
    };
    let properties = props(f.next().ok_or_else(|| bad("node"))?)?;
    Ok(NodeValue {
        id: NodeId(id),
        labels,
        properties,
    })
}

/// A result value from the wire.
fn from_pack(p: Pack) -> Result<CypherValue, ClientError> {
    super::values::read_with(p, &mut structure)
}

/// A node, relationship, path or temporal value of a result.
fn structure(t: u8, fields: Vec<Pack>) -> Result<CypherValue, ClientError> {
    Ok(match t {
        tag::NODE => CypherValue::Node(Box::new(node(fields)?)),
        tag::RELATIONSHIP => {
            let mut f = fields.into_iter();
            let mut next = || f.next().ok_or_else(|| bad("relationship"));
            let (id, start, end) = (uid(&next()?)?, uid(&next()?)?, uid(&next()?)?);
            let Pack::String(rel_type) = next()? else {
                return Err(bad("relationship"));
            };
            CypherValue::Relationship(Box::new(RelValue {
                id: EdgeId(id),
                start: NodeId(start),
                end: NodeId(end),
                rel_type,
                properties: props(next()?)?,
            }))
        }
        tag::PATH => path(fields)?,
        _ => CypherValue::Temporal(Box::new(
            super::values::read_temporal(t, &fields).map_err(ClientError::Protocol)?,
        )),
    })
}

/// A path from its distinct nodes, relationships without endpoints and
/// the indices that walk them.
fn path(fields: Vec<Pack>) -> Result<CypherValue, ClientError> {
    let mut f = fields.into_iter();
    let (Some(Pack::List(nodes)), Some(Pack::List(rels)), Some(Pack::List(indices))) =
        (f.next(), f.next(), f.next())
    else {
        return Err(bad("path"));
    };
    let nodes: Vec<NodeValue> = nodes
        .into_iter()
        .map(|n| match n {
            Pack::Struct(tag::NODE, fields) => node(fields),
            _ => Err(bad("path node")),
        })
        .collect::<Result<_, _>>()?;
    let rels: Vec<(u64, String, BTreeMap<String, CypherValue>)> = rels
        .into_iter()
        .map(|r| match r {
            Pack::Struct(tag::UNBOUND_RELATIONSHIP, fields) => {
                let mut f = fields.into_iter();
                let id = uid(&f.next().ok_or_else(|| bad("path relationship"))?)?;
                let Some(Pack::String(t)) = f.next() else {
                    return Err(bad("path relationship"));
                };
                Ok((
                    id,
                    t,
                    props(f.next().ok_or_else(|| bad("path relationship"))?)?,
                ))
            }
            _ => Err(bad("path relationship")),
        })
        .collect::<Result<_, _>>()?;
    let first = nodes.first().cloned().ok_or_else(|| bad("path"))?;
    let mut out = PathValue {
        nodes: vec![first],
        relationships: Vec::new(),
    };
    for step in indices.chunks(2) {
        let (Some(r), Some(n)) = (
            step.first().and_then(Pack::as_int),
            step.get(1).and_then(Pack::as_int),
        ) else {
            return Err(bad("path"));
        };
        let rel = usize::try_from(r.unsigned_abs() - 1)
            .ok()
            .and_then(|i| rels.get(i))
            .ok_or_else(|| bad("path"))?;
        let next = usize::try_from(n)
            .ok()
            .and_then(|i| nodes.get(i))
            .ok_or_else(|| bad("path"))?;
        let prev = out.nodes.last().map_or(NodeId(0), |p| p.id);
        let (start, end) = if r > 0 {
            (prev, next.id)
        } else {
            (next.id, prev)
        };
        out.relationships.push(RelValue {
            id: EdgeId(rel.0),
            start,
            end,
            rel_type: rel.1.clone(),
            properties: rel.2.clone(),
        });
        out.nodes.push(next.clone());
    }
    Ok(CypherValue::Path(Box::new(out)))
}
