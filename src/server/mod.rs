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
mod client;
pub mod message;
pub mod packstream;
pub mod session;
mod tls;
pub mod values;

use std::cell::Cell;
use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use crate::Database;
use crate::error::{Error, Result};
use chunk::Outbox;
pub use client::{Client, ClientError};
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
    /// A connection idle this long is closed, as is one that does not
    /// read what it is sent for this long. Default 10 minutes; set a
    /// driver's connection lifetime below it.
    pub idle_timeout: Duration,
    /// The time a client has from connecting to being logged in (TLS,
    /// the Bolt handshake, HELLO and LOGON; messages before then are
    /// limited to 64 KiB). Default 10 s.
    pub handshake_timeout: Duration,
    /// A session holding the database's writer (an explicit write
    /// transaction) that sends nothing for this long is closed and its
    /// transaction rolled back, so one idle client cannot block every
    /// writer. Default 60 s.
    pub write_idle_timeout: Duration,
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
            write_idle_timeout: Duration::from_secs(60),
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
    /// The users file's modification time when it was read.
    users_read: parking_lot::Mutex<Option<std::time::SystemTime>>,
    /// Password checks running (each Argon2id takes ~19 MiB and a core's
    /// time), at most one per core.
    checking: parking_lot::Mutex<usize>,
    checked: parking_lot::Condvar,
    connections: AtomicUsize,
    next_id: AtomicU64,
}

fn users_mtime(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(dir.join("users"))
        .and_then(|m| m.modified())
        .ok()
}

impl Shared {
    /// Whether `user` and `password` are a user's, as the users file says
    /// now (it is read again when it changed, so `quiver user` takes
    /// effect without a restart), with at most one check per core at a
    /// time.
    fn verify(&self, db: &Database, user: &str, password: &str) -> bool {
        {
            let mut read = self.users_read.lock();
            let now = users_mtime(db.path());
            if now != *read {
                // A file that cannot be read now lets nobody in.
                match auth::Users::load(db.path()) {
                    Ok(users) => *self.users.write() = users,
                    Err(_) => return false,
                }
                *read = now;
            }
        }
        let cores = crate::parallel::threads();
        {
            let mut running = self.checking.lock();
            while *running >= cores {
                self.checked.wait(&mut running);
            }
            *running += 1;
        }
        let ok = self.users.read().verify(user, password);
        *self.checking.lock() -= 1;
        self.checked.notify_one();
        ok
    }
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
        for (what, limit) in [
            ("idle_timeout", config.idle_timeout),
            ("handshake_timeout", config.handshake_timeout),
            ("write_idle_timeout", config.write_idle_timeout),
        ] {
            if limit.is_zero() {
                return Err(Error::InvalidArgument(format!(
                    "{what} is a positive time, not 0"
                )));
            }
        }
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
        let users_read = users_mtime(db.path());
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
                users_read: parking_lot::Mutex::new(users_read),
                checking: parking_lot::Mutex::new(0),
                checked: parking_lot::Condvar::new(),
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
    /// the open connections to end. A failed accept (out of descriptors,
    /// say) is waited out, a connection that fails or meets a bug is
    /// closed: neither ends the server.
    ///
    /// # Errors
    /// None yet; the `Result` leaves room for shutdown errors.
    pub fn run(self) -> Result<()> {
        let Server {
            db,
            shared,
            listener,
            addr,
            stop,
        } = self;
        std::thread::scope(|scope| {
            let mut backoff = Duration::from_millis(5);
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else {
                    // Out of descriptors or memory, a connection that
                    // failed before it was accepted: none of them ends
                    // the server. Wait a little and go on.
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                };
                backoff = Duration::from_millis(5);
                let slot = Slot::take(&shared.connections, shared.config.max_connections);
                let Some(slot) = slot else {
                    drop(stream);
                    continue;
                };
                let (db, shared) = (&*db, &*shared);
                let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                let spawned = std::thread::Builder::new()
                    .name(format!("bolt-{id}"))
                    .spawn_scoped(scope, move || {
                        let _slot = slot;
                        // A connection's failure (or a bug it meets) is
                        // its own: the server goes on.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            serve(db, shared, stream, id, addr)
                        }));
                    });
                // No thread to be had: the connection closes (its slot is
                // given back with the closure).
                drop(spawned);
            }
        });
        Ok(())
    }
}

/// One of the server's connection slots, given back when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(open: &'a AtomicUsize, max: usize) -> Option<Slot<'a>> {
        let was = open.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(open);
        (was < max).then_some(slot)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
/// GOODBYE, a fatal failure, the client closing, or a time limit.
fn serve(
    db: &Database,
    shared: &Shared,
    stream: TcpStream,
    id: u64,
    local: SocketAddr,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // A client that does not read what it asked for is gone.
    stream.set_write_timeout(Some(shared.config.idle_timeout))?;
    let deadline = Rc::new(Cell::new(Some(
        Instant::now() + shared.config.handshake_timeout,
    )));
    let socket = Socket {
        stream,
        deadline: Rc::clone(&deadline),
    };
    let raw = socket.stream.try_clone()?;
    match &shared.tls {
        Some(config) => {
            let tls =
                rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
            let conn = rustls::StreamOwned::new(tls, socket);
            talk(db, shared, conn, &raw, &deadline, id, local)
        }
        None => talk(db, shared, socket, &raw, &deadline, id, local),
    }
}

/// A connection's socket, whose reads stop at a deadline while there is
/// one (from connecting to logging in): a client cannot hold a connection
/// by sending a byte now and then before it has logged in.
struct Socket {
    stream: TcpStream,
    deadline: Rc<Cell<Option<Instant>>>,
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(at) = self.deadline.get() {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "not logged in within the handshake time",
                ));
            }
            self.stream.set_read_timeout(Some(left))?;
        }
        self.stream.read(buf)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// The largest message before a client has logged in.
const MAX_MESSAGE_BEFORE_LOGIN: usize = 64 << 10;

/// The Bolt conversation over `conn` (`raw` is its socket, for timeouts;
/// `deadline` the login deadline its reads keep).
fn talk<S: Read + Write>(
    db: &Database,
    shared: &Shared,
    conn: S,
    raw: &TcpStream,
    deadline: &Cell<Option<Instant>>,
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
    let mut session = Session::new(db, shared, version, id, local.to_string());
    let mut buf = Vec::new();
    let mut buffers = (Vec::new(), Vec::new());
    let mut idle = None;
    loop {
        let max = if session.logged_in() {
            deadline.set(None);
            let now = if session.holds_writer() {
                config.write_idle_timeout.min(config.idle_timeout)
            } else {
                config.idle_timeout
            };
            if idle != Some(now) {
                raw.set_read_timeout(Some(now))?;
                idle = Some(now);
            }
            config.max_message_bytes
        } else {
            MAX_MESSAGE_BEFORE_LOGIN.min(config.max_message_bytes)
        };
        if !chunk::read_message(&mut conn, &mut buf, max)? {
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
