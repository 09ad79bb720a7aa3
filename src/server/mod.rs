//! A Bolt server over an open [`Database`]: the protocol Neo4j's drivers,
//! shells and tools speak, so several processes (and languages) reach one
//! database directory, which one process holds.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use quiverdb::{Database, server::{Server, ServerConfig}};
//! let db = Arc::new(Database::open("my.qdb")?);
//! let server = Server::bind(db, ServerConfig::default())?; // 127.0.0.1:7687
//! println!("listening on {}", server.local_addr());
//! server.run()?; // until server.stopper().stop() is called
//! # Ok::<(), quiverdb::Error>(())
//! ```
//!
//! Each connection gets a thread; reads run on snapshots in parallel, one
//! write transaction at a time (a session waits for the writer up to
//! [`ServerConfig::write_wait`], then gets a transient error the drivers
//! retry). Authentication is on by default, against the users of the
//! database directory ([`auth::Users`], `quiver user DB add NAME`); TLS
//! with a certificate ([`ServerConfig::tls`]); a server listening beyond
//! the loopback interface needs both, or [`ServerConfig::insecure`]. The
//! protocol coverage and what is not built yet: `docs/SERVER.md`.

pub mod auth;
pub mod chunk;
pub mod message;
pub mod packstream;
pub mod session;
mod tls;
pub mod values;

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::RwLock;

use crate::Database;
use crate::error::{Error, Result};
use chunk::Outbox;
use message::Request;
use session::{Next, Session};

/// The server's agent string in HELLO's reply. Drivers and tools read a
/// Neo4j version from it (`Neo4j/5.x`) to choose the Cypher they send.
pub const AGENT: &str = "Neo4j/5.26.0";

/// The bookmark every commit returns: one server shows every commit to
/// every later transaction, so a bookmark has nothing to wait for.
pub const BOOKMARK: &str = "quiverdb:1";

/// The Bolt versions this server speaks, newest first: (major, minor).
pub const VERSIONS: [(u8, u8); 6] = [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0), (4, 4)];

/// A TLS certificate chain and its private key, PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS #8, PKCS #1 or SEC1).
    pub key: PathBuf,
}

/// How a server listens and what it allows.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where to listen. Default `127.0.0.1:7687`.
    pub listen: SocketAddr,
    /// Serve TLS with this certificate (clients connect with
    /// `bolt+s://`, or `bolt+ssc://` for a self-signed one). Default none.
    pub tls: Option<TlsFiles>,
    /// Whether clients must log in as a user of the database directory.
    /// Default `true`.
    pub auth: bool,
    /// Allows listening beyond the loopback interface without TLS or
    /// without authentication. Default `false`.
    pub insecure: bool,
    /// Connections served at once; more are closed at once. Default 256.
    pub max_connections: usize,
    /// The largest request message, in bytes. Default 16 MiB.
    pub max_message_bytes: usize,
    /// A connection idle this long is closed (drivers are told, and ping
    /// before). Default 10 minutes.
    pub idle_timeout: Duration,
    /// The time a client has to complete the handshake and HELLO.
    /// Default 10 s.
    pub handshake_timeout: Duration,
    /// How long a session waits for another session's write transaction
    /// before its own fails with a transient error. Default 10 s.
    pub write_wait: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 7687)),
            tls: None,
            auth: true,
            insecure: false,
            max_connections: 256,
            max_message_bytes: 16 << 20,
            idle_timeout: Duration::from_secs(600),
            handshake_timeout: Duration::from_secs(10),
            write_wait: Duration::from_secs(10),
        }
    }
}

impl ServerConfig {
    /// The defaults, listening on `listen`.
    #[must_use]
    pub fn listen(listen: SocketAddr) -> ServerConfig {
        ServerConfig {
            listen,
            ..ServerConfig::default()
        }
    }
}

/// What every connection of a server shares.
pub struct Shared {
    config: ServerConfig,
    tls: Option<Arc<rustls::ServerConfig>>,
    users: RwLock<auth::Users>,
    connections: AtomicUsize,
    next_id: AtomicU64,
}

/// A bound server; [`Server::run`] serves until stopped.
pub struct Server {
    db: Arc<Database>,
    shared: Arc<Shared>,
    listener: TcpListener,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

/// Stops a running server from another thread.
#[derive(Clone, Debug)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
}

impl Stopper {
    /// Stops accepting connections and makes [`Server::run`] return once
    /// the open ones have closed (their transactions are rolled back when
    /// a client goes away).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept call.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

impl Server {
    /// Binds `config.listen` for `db`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a non-loopback address without
    /// [`ServerConfig::insecure`], or authentication on with no user in
    /// the directory (add one with `quiver user DB add NAME`); the users file's
    /// errors; [`Error::Io`] when the address cannot be bound.
    pub fn bind(db: Arc<Database>, config: ServerConfig) -> Result<Server> {
        if !config.listen.ip().is_loopback()
            && !config.insecure
            && (config.tls.is_none() || !config.auth)
        {
            return Err(Error::InvalidArgument(format!(
                "{} is not a loopback address: listening there needs TLS (--tls-cert, --tls-key) and authentication, or the insecure setting (--insecure)",
                config.listen
            )));
        }
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        let users = auth::Users::load(db.path())?;
        if config.auth && users.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "authentication is on and {} has no users: add one with `quiver user {} add NAME`, or turn authentication off",
                db.path().display(),
                db.path().display()
            )));
        }
        let listener = TcpListener::bind(config.listen).map_err(|e| Error::io(db.path(), e))?;
        let addr = listener.local_addr().map_err(|e| Error::io(db.path(), e))?;
        let scheme = if config.tls.is_some() {
            "bolt+s"
        } else {
            "bolt"
        };
        db.set_lock_note(&format!(
            "process {} serves it over Bolt at {scheme}://{addr}: connect to it there",
            std::process::id()
        ))?;
        Ok(Server {
            db,
            shared: Arc::new(Shared {
                config,
                tls,
                users: RwLock::new(users),
                connections: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
            }),
            listener,
            addr,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The address it listens on (the port chosen when 0 was asked for).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops the server.
    #[must_use]
    pub fn stopper(&self) -> Stopper {
        Stopper {
            stop: Arc::clone(&self.stop),
            addr: self.addr,
        }
    }

    /// Serves connections, a thread each, until stopped; then waits for
    /// the open connections to end.
    ///
    /// # Errors
    /// [`Error::Io`] when accepting fails for a reason other than a
    /// connection's own.
    pub fn run(self) -> Result<()> {
        let Server {
            db,
            shared,
            listener,
            addr,
            stop,
        } = self;
        std::thread::scope(|scope| {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let stream = match stream {
                    Ok(s) => s,
                    Err(e) if is_transient(&e) => continue,
                    Err(e) => return Err(Error::io(db.path(), e)),
                };
                let open = shared.connections.fetch_add(1, Ordering::SeqCst);
                if open >= shared.config.max_connections {
                    shared.connections.fetch_sub(1, Ordering::SeqCst);
                    drop(stream);
                    continue;
                }
                let (db, shared) = (&*db, &*shared);
                let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                scope.spawn(move || {
                    // A connection's failure is its own: the server goes on.
                    let _ = serve(db, shared, stream, id, addr);
                    shared.connections.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Ok(())
        })
    }
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The magic bytes a Bolt client opens with.
const MAGIC: [u8; 4] = [0x60, 0x60, 0xB0, 0x17];

/// The version to speak, from a client's four proposals (each `[0,
/// range, minor, major]`: major.minor down to major.(minor - range)), or
/// `None` when no proposal holds one of [`VERSIONS`].
#[must_use]
pub fn negotiate(proposals: &[u8; 16]) -> Option<(u8, u8)> {
    proposals.chunks_exact(4).find_map(|p| {
        let (range, minor, major) = (p[1], p[2], p[3]);
        VERSIONS
            .iter()
            .copied()
            .find(|&(ma, mi)| ma == major && mi <= minor && mi >= minor.saturating_sub(range))
    })
}

/// One connection: TLS if configured, the handshake, then requests until
/// GOODBYE, a fatal failure, the client closing, or the idle limit.
fn serve(
    db: &Database,
    shared: &Shared,
    stream: TcpStream,
    id: u64,
    local: SocketAddr,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(shared.config.handshake_timeout))?;
    let raw = stream.try_clone()?;
    match &shared.tls {
        Some(config) => {
            let tls =
                rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
            talk(
                db,
                shared,
                rustls::StreamOwned::new(tls, stream),
                &raw,
                id,
                local,
            )
        }
        None => talk(db, shared, stream, &raw, id, local),
    }
}

/// The Bolt conversation over `conn` (`raw` is its socket, for timeouts).
fn talk<S: Read + Write>(
    db: &Database,
    shared: &Shared,
    conn: S,
    raw: &TcpStream,
    id: u64,
    local: SocketAddr,
) -> io::Result<()> {
    let config = &shared.config;
    // Reads through the buffer, writes past it: a request is read whole
    // before its responses are written.
    let mut conn = BufReader::new(conn);
    let mut hello = [0u8; 20];
    conn.read_exact(&mut hello)?;
    if hello[..4] != MAGIC {
        return Ok(());
    }
    let mut proposals = [0u8; 16];
    proposals.copy_from_slice(&hello[4..]);
    let Some(version) = negotiate(&proposals) else {
        conn.get_mut().write_all(&[0, 0, 0, 0])?;
        conn.get_mut().flush()?;
        return Ok(());
    };
    conn.get_mut().write_all(&[0, 0, version.1, version.0])?;
    conn.get_mut().flush()?;
    raw.set_read_timeout(Some(config.idle_timeout))?;
    let mut session = Session::new(db, shared, version, id, local.to_string());
    let mut buf = Vec::new();
    let mut buffers = (Vec::new(), Vec::new());
    loop {
        if !chunk::read_message(&mut conn, &mut buf, config.max_message_bytes)? {
            return Ok(());
        }
        let request = packstream::decode(&buf)
            .map_err(|e| e.to_string())
            .and_then(Request::from_pack);
        let mut out: session::Out<'_> =
            Outbox::with_buffers(conn.get_mut() as &mut dyn Write, buffers);
        let next = match request {
            Ok(request) => session.handle(request, &mut out),
            Err(why) => {
                message::failure(&mut out, session::code::INVALID_FORMAT, &why);
                Next::Close
            }
        };
        let flushed = out.flush();
        buffers = out.into_buffers();
        flushed?;
        if next == Next::Close {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_version_a_proposal_holds_is_chosen() {
        // 5.4 down to 5.0, then 4.4.
        let p = [0, 4, 4, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(negotiate(&p), Some((5, 4)));
        // 5.8 down to 5.5 holds none; 4.4 does.
        let p = [0, 3, 8, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(negotiate(&p), Some((4, 4)));
        // 5.8 down to 5.0: 5.4.
        let p = [0, 8, 8, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(negotiate(&p), Some((5, 4)));
        // Bolt 3 only.
        let p = [0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(negotiate(&p), None);
    }
}
