//! One Bolt connection's conversation: authentication, statements in
//! auto-commit or explicit transactions, results pulled in batches, and
//! the failure state that ignores requests until a RESET.
//!
//! A read runs on a snapshot and its rows are produced as they are
//! pulled (a client pulling 1,000 rows of a large result makes the engine
//! read about a batch); a statement that writes runs in a write
//! transaction to its end, and its rows are held until pulled.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::chunk::Outbox;
use super::message::{self, Request};
use super::packstream::Pack;
use super::values::{self, Dialect};
use super::{Link, Shared};
use crate::query::{CypherValue, Params, QueryError, QueryOptions, QueryRows};
use crate::{Database, ReadTxn, UpdateCounts, WriteTxn};

/// Neo4j status codes the protocol layer answers with.
pub mod code {
    /// Wrong credentials, or no authentication where it is required.
    pub const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";
    /// A request the state or the protocol does not allow.
    pub const REQUEST_INVALID: &str = "Neo.ClientError.Request.Invalid";
    /// A database name other than this server's.
    pub const DATABASE_NOT_FOUND: &str = "Neo.ClientError.Database.DatabaseNotFound";
    /// A parameter of a type the server does not read.
    pub const INVALID_FORMAT: &str = "Neo.ClientError.Request.InvalidFormat";
    /// The writer stayed busy for the whole wait: drivers retry it.
    pub const LOCK_TIMEOUT: &str = "Neo.TransientError.Transaction.LockAcquisitionTimeout";
    /// Storage failed underneath.
    pub const UNKNOWN: &str = "Neo.DatabaseError.General.UnknownError";
}

/// The database name clients may ask for (Neo4j's default), besides
/// none.
pub const DATABASE: &str = "neo4j";

self_cell::self_cell!(
    /// A read result still being produced, with the snapshot it reads.
    struct Stream<'db> {
        owner: Arc<ReadTxn<'db>>,
        #[not_covariant]
        dependent: QueryRows,
    }
);

/// Where a result's rows come from.
enum Rows<'db> {
    /// Produced as they are pulled.
    Stream(Stream<'db>),
    /// Computed already (a write statement's).
    Held(VecDeque<Vec<CypherValue>>),
}

/// An open result.
struct Open<'db> {
    qid: i64,
    rows: Rows<'db>,
    /// `r`, `w` or `rw`.
    kind: &'static str,
    /// What the statement wrote, for its summary.
    updates: UpdateCounts,
}

enum Tx<'db> {
    Read(Arc<ReadTxn<'db>>),
    Write(Box<WriteTxn<'db>>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for HELLO.
    Connected,
    /// HELLO done, waiting for LOGON (Bolt 5.1 on).
    Authentication,
    Ready,
    Failed,
    /// Closed by GOODBYE, a failed login or a broken protocol.
    Defunct,
}

/// Where a session's messages go.
pub type Out<'a> = Outbox<&'a mut dyn std::io::Write>;

/// What the connection loop does after a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Reads the next request.
    Continue,
    /// Closes the connection (after sending what was written).
    Close,
}

/// A connection's session state.
pub struct Session<'db> {
    db: &'db Database,
    shared: &'db Shared,
    /// The negotiated version, (major, minor).
    version: (u8, u8),
    dialect: Dialect,
    state: State,
    tx: Option<Tx<'db>>,
    /// Open results, oldest first (several in an explicit transaction).
    results: Vec<Open<'db>>,
    next_qid: i64,
    /// The statement time limit of the explicit transaction.
    tx_timeout: Option<Duration>,
    connection_id: String,
    /// The routing table's address of this server.
    address: String,
    /// RESETs on their way, and the interrupt statements run with.
    link: Arc<Link>,
}

impl<'db> Session<'db> {
    /// A session speaking Bolt `version` over connection `id`, reachable
    /// at `address` (`host:port`), told of RESETs and a client gone by
    /// `link`.
    pub(crate) fn new(
        db: &'db Database,
        shared: &'db Shared,
        version: (u8, u8),
        id: u64,
        address: String,
        link: Arc<Link>,
    ) -> Session<'db> {
        Session {
            db,
            shared,
            version,
            dialect: Dialect {
                element_ids: version.0 >= 5,
                utc: version.0 >= 5,
            },
            state: State::Connected,
            tx: None,
            results: Vec::new(),
            next_qid: 0,
            tx_timeout: None,
            connection_id: format!("bolt-{id}"),
            address,
            link,
        }
    }

    /// Whether the client has logged in (and the connection is open).
    #[must_use]
    pub fn logged_in(&self) -> bool {
        matches!(self.state, State::Ready | State::Failed)
    }

    /// Whether the session holds the database's writer (an explicit
    /// write transaction is open).
    #[must_use]
    pub fn holds_writer(&self) -> bool {
        matches!(self.tx, Some(Tx::Write(_)))
    }

    /// Handles one request, writing its responses.
    pub fn handle(&mut self, request: Request, e: &mut Out<'_>) -> Next {
        let next = self.answer(request, e);
        // Before the answer goes out: the next message is read with the
        // limit of a client logged in or not.
        self.link
            .logged_in
            .store(self.logged_in(), std::sync::atomic::Ordering::SeqCst);
        next
    }

    fn answer(&mut self, request: Request, e: &mut Out<'_>) -> Next {
        if matches!(request, Request::Goodbye) {
            self.end_all();
            self.state = State::Defunct;
            return Next::Close;
        }
        if matches!(request, Request::Reset) {
            self.link.reset_handled();
            if self.state == State::Defunct {
                return Next::Close;
            }
            self.end_all();
            if self.state != State::Connected && self.state != State::Authentication {
                self.state = State::Ready;
            }
            message::success(e, &Pack::map([]));
            return Next::Continue;
        }
        match self.state {
            State::Defunct => return Next::Close,
            // Interrupted by a RESET still to come, or failed: ignored
            // until a RESET.
            State::Failed => {
                message::ignored(e);
                return Next::Continue;
            }
            _ if self.link.interrupted() && self.logged_in() => {
                message::ignored(e);
                return Next::Continue;
            }
            _ => {}
        }
        match self.dispatch(request, e) {
            Ok(()) => Next::Continue,
            Err(f) if !f.fatal && self.link.interrupted() => {
                // A RESET stopped it: ignored, like what follows it.
                self.end_all();
                self.state = State::Failed;
                message::ignored(e);
                Next::Continue
            }
            Err(f) => {
                message::failure(e, f.code, &f.message);
                if f.fatal {
                    self.end_all();
                    self.state = State::Defunct;
                    Next::Close
                } else {
                    // A failed statement ends its transaction.
                    self.end_all();
                    self.state = State::Failed;
                    Next::Continue
                }
            }
        }
    }

    /// Drops every result and rolls back an open transaction.
    fn end_all(&mut self) {
        self.results.clear();
        self.tx = None;
        self.tx_timeout = None;
    }

    fn dispatch(&mut self, request: Request, e: &mut Out<'_>) -> Result<(), Failure> {
        match (self.state, request) {
            (State::Connected, Request::Hello(extra)) => self.hello(&extra, e),
            (State::Connected, r) => Err(Failure::fatal(
                code::REQUEST_INVALID,
                format!("{} before HELLO", r.name()),
            )),
            (State::Authentication, Request::Logon(auth)) => {
                self.login(&auth)?;
                self.state = State::Ready;
                message::success(e, &Pack::map([]));
                Ok(())
            }
            (State::Authentication, r) => Err(Failure::fatal(
                code::UNAUTHORIZED,
                format!("{} before LOGON", r.name()),
            )),
            (_, Request::Logoff) if self.version >= (5, 1) => {
                if self.tx.is_some() || !self.results.is_empty() {
                    return Err(Failure::new(
                        code::REQUEST_INVALID,
                        "LOGOFF inside a transaction or with a result open",
                    ));
                }
                self.end_all();
                self.state = State::Authentication;
                message::success(e, &Pack::map([]));
                Ok(())
            }
            (_, Request::Telemetry) => {
                message::success(e, &Pack::map([]));
                Ok(())
            }
            (_, Request::Route(routing)) => {
                // One server, which routes, reads and writes, named as the
                // client reached it.
                let address = routing
                    .get("address")
                    .and_then(Pack::as_str)
                    .unwrap_or(&self.address);
                message::success(e, &routing_table(address));
                Ok(())
            }
            (
                _,
                Request::Run {
                    query,
                    params,
                    extra,
                },
            ) => self.run(&query, params, &extra, e),
            (_, Request::Pull { n, qid }) => self.pull(n, qid, true, e),
            (_, Request::Discard { n, qid }) => self.pull(n, qid, false, e),
            (_, Request::Begin(extra)) => self.begin(&extra, e),
            (_, Request::Commit) => self.commit(e),
            (_, Request::Rollback) => {
                if self.tx.is_none() {
                    return Err(Failure::new(
                        code::REQUEST_INVALID,
                        "ROLLBACK without a transaction",
                    ));
                }
                self.end_all();
                message::success(e, &Pack::map([]));
                Ok(())
            }
            (_, r) => Err(Failure::new(
                code::REQUEST_INVALID,
                format!("{} is not expected now", r.name()),
            )),
        }
    }

    fn hello(&mut self, extra: &Pack, e: &mut Out<'_>) -> Result<(), Failure> {
        if self.version < (5, 1) {
            // Credentials travel in HELLO before Bolt 5.1.
            self.login(extra)?;
            self.state = State::Ready;
        } else {
            self.state = State::Authentication;
        }
        let mut meta = vec![
            ("server".to_owned(), Pack::str(super::AGENT)),
            (
                "connection_id".to_owned(),
                Pack::str(self.connection_id.clone()),
            ),
        ];
        if self.version.0 == 4 {
            let utc = matches!(extra.get("patch_bolt"), Some(Pack::List(p)) if p.iter().any(|x| x.as_str() == Some("utc")));
            if utc {
                self.dialect.utc = true;
                meta.push(("patch_bolt".to_owned(), Pack::List(vec![Pack::str("utc")])));
            }
        }
        message::success(e, &Pack::Map(meta));
        Ok(())
    }

    fn login(&self, auth: &Pack) -> Result<(), Failure> {
        let scheme = auth.get("scheme").and_then(Pack::as_str).unwrap_or("none");
        if !self.shared.config.auth {
            return Ok(());
        }
        let denied = || {
            Failure::fatal(
                code::UNAUTHORIZED,
                "The client is unauthorized due to authentication failure.",
            )
        };
        if scheme != "basic" {
            return Err(denied());
        }
        let user = auth.get("principal").and_then(Pack::as_str).unwrap_or("");
        let password = auth.get("credentials").and_then(Pack::as_str).unwrap_or("");
        if self.shared.verify(self.db, user, password) {
            Ok(())
        } else {
            // A slower answer to a wrong password slows guessing.
            std::thread::sleep(Duration::from_millis(250));
            Err(denied())
        }
    }

    fn check_db(extra: &Pack) -> Result<(), Failure> {
        match extra.get("db") {
            None | Some(Pack::Null) => Ok(()),
            Some(Pack::String(s)) if s == DATABASE || s.is_empty() => Ok(()),
            Some(other) => {
                // The client's text, cut short.
                let name: String = other.to_string().chars().take(100).collect();
                Err(Failure::new(
                    code::DATABASE_NOT_FOUND,
                    format!(
                        "Database does not exist. Database name: {name}; this server has '{DATABASE}'"
                    ),
                ))
            }
        }
    }

    fn timeout(extra: &Pack) -> Option<Duration> {
        match extra.get("tx_timeout").and_then(Pack::as_int) {
            Some(ms) if ms > 0 => Some(Duration::from_millis(ms.unsigned_abs())),
            _ => None,
        }
    }

    fn begin(&mut self, extra: &Pack, e: &mut Out<'_>) -> Result<(), Failure> {
        if self.tx.is_some() || !self.results.is_empty() {
            return Err(Failure::new(
                code::REQUEST_INVALID,
                "BEGIN while a transaction or a result is open",
            ));
        }
        Self::check_db(extra)?;
        let read = extra.get("mode").and_then(Pack::as_str) == Some("r");
        self.tx = Some(if read {
            Tx::Read(Arc::new(self.db.begin_read().map_err(Failure::storage)?))
        } else {
            Tx::Write(Box::new(self.begin_write()?))
        });
        self.tx_timeout = Self::timeout(extra);
        message::success(e, &Pack::map([]));
        Ok(())
    }

    /// The database's writer, waited for up to the configured time in
    /// one wait (waiters are served about in turn; a RESET meanwhile takes
    /// effect when the wait ends).
    fn begin_write(&self) -> Result<WriteTxn<'db>, Failure> {
        self.db
            .begin_write_within(self.shared.config.write_wait)
            .map_err(|err| match err {
                crate::Error::WriterBusy { .. } => {
                    Failure::new(code::LOCK_TIMEOUT, err.to_string())
                }
                other => Failure::storage(other),
            })
    }

    fn commit(&mut self, e: &mut Out<'_>) -> Result<(), Failure> {
        let Some(tx) = self.tx.take() else {
            return Err(Failure::new(
                code::REQUEST_INVALID,
                "COMMIT without a transaction",
            ));
        };
        self.results.clear();
        self.tx_timeout = None;
        if let Tx::Write(w) = tx {
            w.commit().map_err(Failure::storage)?;
        }
        message::success(e, &Pack::map([("bookmark", Pack::str(super::BOOKMARK))]));
        Ok(())
    }

    fn run(
        &mut self,
        query: &str,
        params: Pack,
        extra: &Pack,
        e: &mut Out<'_>,
    ) -> Result<(), Failure> {
        let started = Instant::now();
        let params = match values::read(params) {
            Ok(CypherValue::Map(m)) => m.into_iter().collect::<Params>(),
            Ok(_) => Params::new(),
            Err(message) => return Err(Failure::new(code::INVALID_FORMAT, message)),
        };
        let explicit = self.tx.is_some();
        if !explicit {
            if !self.results.is_empty() {
                return Err(Failure::new(
                    code::REQUEST_INVALID,
                    "RUN while the last result is open: PULL or DISCARD it first",
                ));
            }
            Self::check_db(extra)?;
        }
        let timeout = if explicit {
            self.tx_timeout
        } else {
            Self::timeout(extra)
        };
        let options = timeout
            .map_or_else(QueryOptions::default, QueryOptions::timeout)
            .with_interrupt(self.link.interrupt().clone());
        let none = UpdateCounts::default();
        let (columns, rows, kind, updates) = match &mut self.tx {
            Some(Tx::Read(r)) => {
                let (columns, stream) = stream(Arc::clone(r), query, &params, &options)?;
                (columns, Rows::Stream(stream), "r", none)
            }
            Some(Tx::Write(w)) => {
                let result = w
                    .query_with(query, &params, &options)
                    .map_err(Failure::query)?;
                let (columns, updates) = (result.columns().to_vec(), *result.updates());
                (
                    columns,
                    Rows::Held(result.into_rows().into()),
                    "rw",
                    updates,
                )
            }
            None => {
                let read_mode = extra.get("mode").and_then(Pack::as_str) == Some("r");
                let writes =
                    crate::query::writes(self.db, query, &params).map_err(Failure::query)?;
                if writes && !read_mode {
                    let mut w = self.begin_write()?;
                    let result = w
                        .query_with(query, &params, &options)
                        .map_err(Failure::query)?;
                    w.commit().map_err(Failure::storage)?;
                    let (columns, updates) = (result.columns().to_vec(), *result.updates());
                    (
                        columns,
                        Rows::Held(result.into_rows().into()),
                        "rw",
                        updates,
                    )
                } else {
                    // A write statement in read mode is refused here.
                    let r = Arc::new(self.db.begin_read().map_err(Failure::storage)?);
                    let (columns, stream) = stream(r, query, &params, &options)?;
                    (columns, Rows::Stream(stream), "r", none)
                }
            }
        };
        let qid = self.next_qid;
        self.next_qid += 1;
        self.results.push(Open {
            qid,
            rows,
            kind,
            updates,
        });
        let mut meta = vec![
            (
                "fields".to_owned(),
                Pack::List(columns.into_iter().map(Pack::String).collect()),
            ),
            ("t_first".to_owned(), Pack::Int(millis(started))),
        ];
        if explicit {
            meta.push(("qid".to_owned(), Pack::Int(qid)));
        }
        message::success(e, &Pack::Map(meta));
        Ok(())
    }

    fn pull(&mut self, n: i64, qid: i64, send: bool, e: &mut Out<'_>) -> Result<(), Failure> {
        let started = Instant::now();
        // -1: the last RUN's result (not an older one still open).
        let want = if qid == -1 { self.next_qid - 1 } else { qid };
        let at = self.results.iter().position(|r| r.qid == want);
        let Some(at) = at else {
            return Err(Failure::new(
                code::REQUEST_INVALID,
                if qid == -1 {
                    "PULL or DISCARD without an open result".to_owned()
                } else {
                    format!("no open result {qid}")
                },
            ));
        };
        let dialect = self.dialect;
        let open = &mut self.results[at];
        let mut left = if n == -1 { u64::MAX } else { n.unsigned_abs() };
        if !send && n == -1 {
            // DISCARD of all: drop the rows unread.
            left = 0;
        }
        let mut more = left > 0;
        while left > 0 {
            let row = match &mut open.rows {
                Rows::Held(rows) => rows.pop_front().map(Ok),
                Rows::Stream(s) => s.with_dependent_mut(|_, rows| rows.next()),
            };
            match row {
                None => {
                    more = false;
                    break;
                }
                Some(Err(err)) => return Err(Failure::query(err)),
                Some(Ok(row)) => {
                    if send {
                        e.send(|e| {
                            message::record_header(e, row.len());
                            for v in &row {
                                values::write(e, v, dialect);
                            }
                        });
                        if e.broken() {
                            // The client is gone: stop reading.
                            return Ok(());
                        }
                    }
                    left -= 1;
                }
            }
        }
        if let Rows::Held(rows) = &open.rows {
            more = more && !rows.is_empty();
        }
        if more {
            // The next row decides whether there is one: peeking would
            // make the engine read it now; has_more may be true for a
            // result whose rows just ran out, and the next PULL ends it.
            message::success(e, &Pack::map([("has_more", Pack::Bool(true))]));
            return Ok(());
        }
        let (kind, updates) = (open.kind, open.updates);
        self.results.remove(at);
        let mut meta = vec![
            ("type".to_owned(), Pack::str(kind)),
            ("t_last".to_owned(), Pack::Int(millis(started))),
            ("db".to_owned(), Pack::str(DATABASE)),
        ];
        let counted = updates.named();
        if !counted.is_empty() {
            let stats = counted
                .into_iter()
                .map(|(name, n)| {
                    (
                        name.to_owned(),
                        Pack::Int(i64::try_from(n).unwrap_or(i64::MAX)),
                    )
                })
                .collect();
            meta.push(("stats".to_owned(), Pack::Map(stats)));
        }
        if self.tx.is_none() {
            meta.push(("bookmark".to_owned(), Pack::str(super::BOOKMARK)));
        }
        message::success(e, &Pack::Map(meta));
        Ok(())
    }
}

/// The routing table of one server at `address`: it routes, reads and
/// writes.
fn routing_table(address: &str) -> Pack {
    let servers = ["ROUTE", "READ", "WRITE"]
        .into_iter()
        .map(|role| {
            Pack::map([
                ("addresses", Pack::List(vec![Pack::str(address)])),
                ("role", Pack::str(role)),
            ])
        })
        .collect();
    Pack::map([(
        "rt",
        Pack::map([
            ("ttl", Pack::Int(300)),
            ("db", Pack::str(DATABASE)),
            ("servers", Pack::List(servers)),
        ]),
    )])
}

/// A read statement's rows on a snapshot, streamed.
fn stream<'db>(
    r: Arc<ReadTxn<'db>>,
    query: &str,
    params: &Params,
    options: &QueryOptions,
) -> Result<(Vec<String>, Stream<'db>), Failure> {
    let stream =
        Stream::try_new(r, |r| r.stream(query, params, options)).map_err(Failure::query)?;
    let columns = stream.with_dependent(|_, rows| rows.columns().to_vec());
    Ok((columns, stream))
}

fn millis(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// A FAILURE to send.
#[derive(Debug)]
pub struct Failure {
    code: &'static str,
    message: String,
    /// The connection closes after it.
    fatal: bool,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            fatal: false,
        }
    }

    fn fatal(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            fatal: true,
            ..Failure::new(code, message)
        }
    }

    #[allow(
        clippy::needless_pass_by_value,
        reason = "the map_err(Failure::query) form"
    )]
    fn query(e: QueryError) -> Failure {
        Failure::new(e.status(), e.to_string())
    }

    fn storage(e: crate::Error) -> Failure {
        Failure::query(QueryError::from(e))
    }
}
