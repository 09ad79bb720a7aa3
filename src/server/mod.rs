//! A Bolt server over an open [`Database`]: the protocol Neo4j's drivers,
//! shells and tools speak, so several processes (and languages) reach one
//! database directory, which one process holds.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use quiverdb::{Database, server::{Server, ServerConfig}};
//! let db = Arc::new(Database::open("my.qdb")?);
//! let server = Server::bind(db, ServerConfig::default())?; // 127.0.0.1:7687
//! println!("listening on {}", server.uris().join(", "));
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
pub mod net;
pub mod packstream;
pub mod session;
mod tls;
pub mod values;

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use crate::Database;
use crate::error::{Error, Result};
use crate::query::Interrupt;
use chunk::Outbox;
pub use client::{Client, ClientError};
use message::Request;
use net::{Listener, Stream};
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
    /// Where to listen for TCP connections. Default `127.0.0.1:7687`;
    /// `None` for none (then [`ServerConfig::unix`] is set).
    pub listen: Option<SocketAddr>,
    /// A Unix domain socket to listen on as well (or instead: see
    /// [`ServerConfig::listen`]); who may connect is what the socket
    /// file's permissions allow. Its connections are not encrypted.
    /// Default none.
    pub unix: Option<PathBuf>,
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
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 7687))),
            unix: None,
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
    /// The defaults, listening on `listen` (TCP).
    #[must_use]
    pub fn listen(listen: SocketAddr) -> ServerConfig {
        ServerConfig {
            listen: Some(listen),
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
    listeners: Arc<Vec<Listener>>,
    stop: Arc<AtomicBool>,
}

/// Stops a running server from another thread.
#[derive(Clone, Debug)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    listeners: Arc<Vec<Listener>>,
}

impl Stopper {
    /// Stops accepting connections and makes [`Server::run`] return once
    /// the open ones have closed (their transactions are rolled back when
    /// a client goes away).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        for listener in self.listeners.iter() {
            listener.wake();
        }
    }
}

impl Server {
    /// Binds `config.listen` (and `config.unix`) for `db`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a non-loopback address without
    /// [`ServerConfig::insecure`], no address at all, or authentication
    /// on with no user in the directory (add one with `quiver user DB add
    /// NAME`); the users file's errors; [`Error::Io`] when an address
    /// cannot be bound.
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
        if config.listen.is_none() && config.unix.is_none() {
            return Err(Error::InvalidArgument(
                "no address to listen on: a TCP address, a Unix socket or both".into(),
            ));
        }
        if let Some(listen) = config.listen
            && !listen.ip().is_loopback()
            && !config.insecure
            && (config.tls.is_none() || !config.auth)
        {
            return Err(Error::InvalidArgument(format!(
                "{listen} is not a loopback address: listening there needs TLS (--tls-cert, --tls-key) and authentication, or the insecure setting (--insecure)"
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
        let mut listeners = Vec::new();
        if let Some(listen) = config.listen {
            let listener = TcpListener::bind(listen).map_err(|e| Error::io(db.path(), e))?;
            let addr = listener.local_addr().map_err(|e| Error::io(db.path(), e))?;
            listeners.push(Listener::Tcp(listener, addr));
        }
        if let Some(path) = &config.unix {
            listeners.push(net::bind_unix(path).map_err(|e| Error::io(path, e))?);
        }
        let uris: Vec<String> = listeners
            .iter()
            .map(|l| l.uri(config.tls.is_some()))
            .collect();
        db.set_lock_note(&format!(
            "process {} serves it over Bolt at {}: connect to it there",
            std::process::id(),
            uris.join(" and ")
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
            listeners: Arc::new(listeners),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The TCP address it listens on (the port chosen when 0 was asked
    /// for); `None` when it listens on a Unix socket only.
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listeners.iter().find_map(|l| match l {
            Listener::Tcp(_, addr) => Some(*addr),
            #[cfg(unix)]
            Listener::Unix(..) => None,
        })
    }

    /// Where clients reach it, as URIs (`bolt://127.0.0.1:7687`,
    /// `bolt+s://...` with TLS, `unix:/path/to/socket`).
    #[must_use]
    pub fn uris(&self) -> Vec<String> {
        let tls = self.shared.config.tls.is_some();
        self.listeners.iter().map(|l| l.uri(tls)).collect()
    }

    /// A handle that stops the server.
    #[must_use]
    pub fn stopper(&self) -> Stopper {
        Stopper {
            stop: Arc::clone(&self.stop),
            listeners: Arc::clone(&self.listeners),
        }
    }

    /// Serves connections, a thread each, until stopped; then waits for
    /// the open connections to end, and removes its Unix socket file. A
    /// failed accept (out of descriptors, say) is waited out, a connection
    /// that fails or meets a bug is closed: neither ends the server.
    ///
    /// # Errors
    /// None yet; the `Result` leaves room for shutdown errors.
    pub fn run(self) -> Result<()> {
        let Server {
            db,
            shared,
            listeners,
            stop,
        } = self;
        let (db, shared, stop) = (&*db, &*shared, &*stop);
        std::thread::scope(|scope| {
            for listener in listeners.iter() {
                std::thread::Builder::new()
                    .name("bolt-accept".into())
                    .spawn_scoped(scope, move || accept(db, shared, listener, stop, scope))
                    .map_err(|e| Error::io(db.path(), e))?;
            }
            Ok::<(), Error>(())
        })?;
        #[cfg(unix)]
        for listener in listeners.iter() {
            if let Listener::Unix(_, path) = listener {
                let _ = std::fs::remove_file(path);
            }
        }
        Ok(())
    }
}

/// Accepts `listener`'s connections until `stop`, each served on a thread
/// of `scope`.
fn accept<'scope>(
    db: &'scope Database,
    shared: &'scope Shared,
    listener: &'scope Listener,
    stop: &'scope AtomicBool,
    scope: &'scope std::thread::Scope<'scope, '_>,
) {
    let tls = matches!(listener, Listener::Tcp(..)) && shared.tls.is_some();
    // The address a routing table names when the client names none.
    let local: Arc<str> = match listener {
        Listener::Tcp(_, addr) => addr.to_string().into(),
        #[cfg(unix)]
        Listener::Unix(..) => "localhost:7687".into(),
    };
    let mut backoff = Duration::from_millis(5);
    loop {
        let stream = listener.accept();
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors or memory, a connection that failed
            // before it was accepted: none of them ends the server. Wait a
            // little and go on.
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
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let local = Arc::clone(&local);
        let spawned = std::thread::Builder::new()
            .name(format!("bolt-{id}"))
            .spawn_scoped(scope, move || {
                let _slot = slot;
                // A connection's failure (or a bug it meets) is its own:
                // the server goes on.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    serve(db, shared, stream, tls, id, &local)
                }));
            });
        // No thread to be had: the connection closes (its slot is given
        // back with the closure).
        drop(spawned);
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

/// What a connection's threads and its socket share.
pub(crate) struct Link {
    /// RESETs read and not yet handled: the session ignores every request
    /// before them, and the statement running when one arrived stops.
    resets: AtomicUsize,
    /// Stops the session's running statement.
    interrupt: Interrupt,
    /// The client went away (its running statement stops).
    gone: AtomicBool,
    /// The connection is closing: both threads leave.
    closed: AtomicBool,
    /// The client has logged in (longer messages are read from then on).
    logged_in: AtomicBool,
    /// Requests read and not yet answered: while there are any the
    /// connection is not idle.
    pending: AtomicUsize,
    /// When the last request was answered, in milliseconds since `epoch`.
    answered_at: AtomicU64,
    /// How long the connection may idle now, in milliseconds.
    idle_limit: AtomicU64,
    epoch: Instant,
}

impl Link {
    fn new(idle_limit: Duration) -> Link {
        Link {
            resets: AtomicUsize::new(0),
            interrupt: Interrupt::new(),
            gone: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            logged_in: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
            answered_at: AtomicU64::new(0),
            idle_limit: AtomicU64::new(millis(idle_limit)),
            epoch: Instant::now(),
        }
    }

    /// The reading side met a RESET.
    fn reset_read(&self) {
        self.resets.fetch_add(1, Ordering::SeqCst);
        self.interrupt.interrupt();
    }

    /// The reading side met the end of the connection.
    fn hung_up(&self) {
        self.gone.store(true, Ordering::SeqCst);
        self.interrupt.interrupt();
    }

    /// The session handled a RESET: statements run again once no other
    /// is waiting (and the client is still there).
    fn reset_handled(&self) {
        let left = self
            .resets
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .map_or(0, |was| was - 1);
        if left == 0 && !self.gone.load(Ordering::SeqCst) {
            self.interrupt.clear();
            // A RESET read meanwhile interrupts again.
            if self.resets.load(Ordering::SeqCst) > 0 {
                self.interrupt.interrupt();
            }
        }
    }

    /// Whether a RESET is on its way: requests before it are ignored.
    fn interrupted(&self) -> bool {
        self.resets.load(Ordering::SeqCst) > 0
    }

    /// The handle a session's statements run with.
    fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// How long a read may wait for the client now; `None` once the
    /// connection has idled past its limit. While a request is pending
    /// the client has nothing to send: the read looks again each second.
    fn wait_limit(&self) -> Option<Duration> {
        if self.pending.load(Ordering::SeqCst) > 0 {
            return Some(Duration::from_secs(1));
        }
        let end = self
            .answered_at
            .load(Ordering::SeqCst)
            .saturating_add(self.idle_limit.load(Ordering::SeqCst));
        let now = millis(self.epoch.elapsed());
        (end > now).then(|| Duration::from_millis(end - now))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One connection: TLS if `tls`, the handshake, then requests until
/// GOODBYE, a fatal failure, the client closing, or a time limit.
fn serve(
    db: &Database,
    shared: &Shared,
    stream: Stream,
    tls: bool,
    id: u64,
    local: &str,
) -> io::Result<()> {
    stream.set_nodelay()?;
    // A client that does not read what it asked for is gone.
    stream.set_write_timeout(Some(shared.config.idle_timeout))?;
    let link = Arc::new(Link::new(shared.config.idle_timeout));
    let socket = Socket {
        stream: stream.try_clone()?,
        login_by: Instant::now() + shared.config.handshake_timeout,
        link: Arc::clone(&link),
        timeout: None,
    };
    let stream = Arc::new(stream);
    let conn = Conn {
        raw: &stream,
        link,
        id,
        local,
    };
    match &shared.tls {
        Some(config) if tls => {
            let session =
                rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
            let (reader, writer) = tls::split(session, socket, Arc::clone(&stream));
            talk(db, shared, reader, writer, &conn)
        }
        _ => {
            let writer = stream.try_clone()?;
            talk(db, shared, socket, writer, &conn)
        }
    }
}

/// A connection's socket as its reading side sees it. Until the client
/// has logged in, reads stop at the login deadline, so a client cannot
/// hold a connection by sending a byte now and then before it has; then
/// at the idle limit, counted from the last answer (a request that runs
/// long is not idleness).
struct Socket {
    stream: Stream,
    login_by: Instant,
    link: Arc<Link>,
    /// The read timeout set on the socket.
    timeout: Option<Duration>,
}

impl Socket {
    fn wait(&mut self, limit: Duration) -> io::Result<()> {
        if self.timeout != Some(limit) {
            self.stream.set_read_timeout(Some(limit))?;
            self.timeout = Some(limit);
        }
        Ok(())
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let limit = if self.link.logged_in.load(Ordering::SeqCst) {
                self.link
                    .wait_limit()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "idle past the limit"))?
            } else {
                let left = self.login_by.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "not logged in within the handshake time",
                    ));
                }
                left
            };
            self.wait(limit)?;
            match self.stream.read(buf) {
                // The limits are looked at again above.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) && !self.link.closed() => {}
                done => return done,
            }
        }
    }
}

/// A connection's particulars.
struct Conn<'a> {
    /// Its socket, to close it.
    raw: &'a Stream,
    link: Arc<Link>,
    id: u64,
    /// The server's address as the routing table names it.
    local: &'a str,
}

/// The largest message before a client has logged in.
const MAX_MESSAGE_BEFORE_LOGIN: usize = 64 << 10;

/// Requests read ahead of the one being answered, at most: a RESET
/// behind more waits to be read.
const MAX_QUEUED: usize = 4;

/// A request as read: decoded, or why it could not be.
type Incoming = std::result::Result<Request, String>;

/// What a connection's two threads share. Each in turn reads requests
/// (the socket's reader) and answers them (the session's): whichever read
/// a request answers it when the session is free, while the other thread
/// reads on, so a RESET is seen while a statement runs, and a request
/// does not pass from thread to thread on its way.
struct Duplex<'db, R, W> {
    reading: Mutex<BufReader<R>>,
    queue: Mutex<VecDeque<Incoming>>,
    /// The queue has room again.
    room: Condvar,
    answering: Mutex<Answering<'db, W>>,
}

/// The session and where its answers go.
struct Answering<'db, W> {
    session: Session<'db>,
    writer: W,
    buffers: (Vec<u8>, Vec<u8>),
}

/// The Bolt conversation: the handshake, then requests on two threads
/// (one if a second cannot be had).
fn talk<R: Read + Send, W: Write + Send>(
    db: &Database,
    shared: &Shared,
    reader: R,
    mut writer: W,
    conn: &Conn<'_>,
) -> io::Result<()> {
    let mut reader = BufReader::new(reader);
    let mut hello = [0u8; 20];
    reader.read_exact(&mut hello)?;
    if hello[..4] != MAGIC {
        return Ok(());
    }
    let mut proposals = [0u8; 16];
    proposals.copy_from_slice(&hello[4..]);
    let Some(version) = negotiate(&proposals) else {
        writer.write_all(&[0, 0, 0, 0])?;
        return writer.flush();
    };
    writer.write_all(&[0, 0, version.1, version.0])?;
    writer.flush()?;
    let session = Session::new(
        db,
        shared,
        version,
        conn.id,
        conn.local.to_owned(),
        Arc::clone(&conn.link),
    );
    let duplex = Duplex {
        reading: Mutex::new(reader),
        queue: Mutex::new(VecDeque::new()),
        room: Condvar::new(),
        answering: Mutex::new(Answering {
            session,
            writer,
            buffers: (Vec::new(), Vec::new()),
        }),
    };
    let config = &shared.config;
    std::thread::scope(|scope| {
        let duplex = &duplex;
        let other = std::thread::Builder::new()
            .name(format!("bolt-{}b", conn.id))
            .spawn_scoped(scope, move || work(duplex, conn, config));
        let worked = work(duplex, conn, config);
        if let Ok(other) = other {
            // Its failure is the connection's end too.
            let _ = other.join();
        }
        worked
    })
}

/// One of a connection's threads: reads requests, and answers them when
/// the session is free, until the connection closes.
fn work<R: Read, W: Write>(
    duplex: &Duplex<'_, R, W>,
    conn: &Conn<'_>,
    config: &ServerConfig,
) -> io::Result<()> {
    let link = &*conn.link;
    let close = || {
        link.closed.store(true, Ordering::SeqCst);
        // Wakes the other thread if it waits for the client or for room.
        let _ = conn.raw.shutdown();
        duplex.room.notify_all();
    };
    while !link.closed() {
        if !read_some(duplex, link, config) {
            close();
            return Ok(());
        }
        // Answer what was read, unless the other thread is answering
        // (it takes these too).
        while let Some(mut answering) = duplex.answering.try_lock() {
            while let Some(request) = next_request(duplex) {
                if link.closed() {
                    return Ok(());
                }
                let answered = answer(&mut answering, request, link, config);
                link.pending.fetch_sub(1, Ordering::SeqCst);
                link.answered_at
                    .store(millis(link.epoch.elapsed()), Ordering::SeqCst);
                match answered {
                    Ok(Next::Continue) => {}
                    Ok(Next::Close) => {
                        close();
                        return Ok(());
                    }
                    Err(e) => {
                        close();
                        return Err(e);
                    }
                }
            }
            drop(answering);
            // One read while this thread answered the last: answer it.
            if duplex.queue.lock().is_empty() {
                break;
            }
        }
    }
    Ok(())
}

/// The next request to answer, if one was read.
fn next_request<R, W>(duplex: &Duplex<'_, R, W>) -> Option<Incoming> {
    let next = duplex.queue.lock().pop_front();
    duplex.room.notify_all();
    next
}

/// Reads a request, and those already buffered behind it, into the
/// queue (waiting for the other thread's reading, and for room);
/// `false` at the end of the connection.
fn read_some<R: Read, W>(duplex: &Duplex<'_, R, W>, link: &Link, config: &ServerConfig) -> bool {
    let mut reader = duplex.reading.lock();
    let mut first = true;
    while first || chunk::holds_message(reader.buffer()) {
        {
            let mut queue = duplex.queue.lock();
            while queue.len() >= MAX_QUEUED && !link.closed() {
                if !duplex.answering.is_locked() {
                    // Nobody answers them: this thread does, first.
                    return true;
                }
                duplex.room.wait_for(&mut queue, Duration::from_millis(100));
            }
        }
        if link.closed() {
            return false;
        }
        // The limit when the message starts: a LOGON's answer has set it
        // by the time the client sends more.
        if first && reader.fill_buf().is_err() {
            link.hung_up();
            return false;
        }
        let max = if link.logged_in.load(Ordering::SeqCst) {
            config.max_message_bytes
        } else {
            MAX_MESSAGE_BEFORE_LOGIN.min(config.max_message_bytes)
        };
        let mut buf = Vec::new();
        // The end, a broken or oversized message, or too long idle.
        if !matches!(chunk::read_message(&mut *reader, &mut buf, max), Ok(true)) {
            link.hung_up();
            return false;
        }
        let request = packstream::decode(&buf)
            .map_err(|e| e.to_string())
            .and_then(Request::from_pack);
        if matches!(request, Ok(Request::Reset)) {
            link.reset_read();
        }
        link.pending.fetch_add(1, Ordering::SeqCst);
        duplex.queue.lock().push_back(request);
        first = false;
    }
    true
}

/// Answers one request; what the connection does next.
fn answer<W: Write>(
    a: &mut Answering<'_, W>,
    request: Incoming,
    link: &Link,
    config: &ServerConfig,
) -> io::Result<Next> {
    let buffers = std::mem::take(&mut a.buffers);
    let mut out: session::Out<'_> = Outbox::with_buffers(&mut a.writer as &mut dyn Write, buffers);
    let next = match request {
        Ok(request) => a.session.handle(request, &mut out),
        Err(why) => {
            message::failure(&mut out, session::code::INVALID_FORMAT, &why);
            Next::Close
        }
    };
    let idle = if a.session.holds_writer() {
        config.write_idle_timeout.min(config.idle_timeout)
    } else {
        config.idle_timeout
    };
    link.idle_limit.store(millis(idle), Ordering::SeqCst);
    let flushed = out.flush();
    a.buffers = out.into_buffers();
    flushed.map(|()| next)
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
