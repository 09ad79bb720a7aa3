//! Bolt's messages: the requests a client sends, read from `PackStream`
//! structures, and the four responses a server sends.

use std::io::Write;

use super::chunk::Outbox;
use super::packstream::{Encoder, Pack};

/// Request signatures.
mod sig {
    pub const HELLO: u8 = 0x01;
    pub const GOODBYE: u8 = 0x02;
    pub const RESET: u8 = 0x0F;
    pub const RUN: u8 = 0x10;
    pub const BEGIN: u8 = 0x11;
    pub const COMMIT: u8 = 0x12;
    pub const ROLLBACK: u8 = 0x13;
    pub const DISCARD: u8 = 0x2F;
    pub const PULL: u8 = 0x3F;
    pub const TELEMETRY: u8 = 0x54;
    pub const ROUTE: u8 = 0x66;
    pub const LOGON: u8 = 0x6A;
    pub const LOGOFF: u8 = 0x6B;
}

/// Response signatures.
mod reply {
    pub const SUCCESS: u8 = 0x70;
    pub const RECORD: u8 = 0x71;
    pub const IGNORED: u8 = 0x7E;
    pub const FAILURE: u8 = 0x7F;
}

/// A client's request.
#[derive(Debug, PartialEq)]
pub enum Request {
    /// Opens the connection: the client's agent, and (before Bolt 5.1)
    /// its credentials.
    Hello(Pack),
    /// Authenticates (Bolt 5.1 on).
    Logon(Pack),
    /// Forgets the authentication (Bolt 5.1 on).
    Logoff,
    /// Closes the connection.
    Goodbye,
    /// Ends any open result and transaction and clears a failure.
    Reset,
    /// Runs a statement: its text, parameters and options (`db`, `mode`,
    /// `bookmarks`, `tx_timeout`, `tx_metadata`).
    Run {
        /// The statement.
        query: String,
        /// Its parameters (a map).
        params: Pack,
        /// Options (a map).
        extra: Pack,
    },
    /// Opens an explicit transaction (options as [`Request::Run`]'s).
    Begin(Pack),
    /// Commits the explicit transaction.
    Commit,
    /// Rolls the explicit transaction back.
    Rollback,
    /// Drops up to `n` rows (-1: all) of result `qid` (-1: the last).
    Discard {
        /// How many rows.
        n: i64,
        /// Which result.
        qid: i64,
    },
    /// Sends up to `n` rows (-1: all) of result `qid` (-1: the last).
    Pull {
        /// How many rows.
        n: i64,
        /// Which result.
        qid: i64,
    },
    /// Asks for the routing table, with the routing context (a map; its
    /// `address` is the host and port the client used).
    Route(Pack),
    /// Reports which driver API a client used.
    Telemetry,
}

impl Request {
    /// The request a structure is, or why it is none.
    ///
    /// # Errors
    /// A message naming the signature and what is wrong with its fields.
    pub fn from_pack(p: Pack) -> Result<Request, String> {
        let Pack::Struct(tag, fields) = p else {
            return Err(format!("a message is a structure, not {p}"));
        };
        let mut fields = fields.into_iter();
        let mut next = |what: &str| {
            fields
                .next()
                .ok_or_else(|| format!("message 0x{tag:02X} lacks its {what}"))
        };
        let map = |p: Pack, what: &str| match p {
            Pack::Map(_) => Ok(p),
            Pack::Null => Ok(Pack::Map(Vec::new())),
            other => Err(format!(
                "the {what} of message 0x{tag:02X} is {other}, not a map"
            )),
        };
        Ok(match tag {
            sig::HELLO => Request::Hello(map(next("extra")?, "extra")?),
            sig::LOGON => Request::Logon(map(next("auth")?, "auth")?),
            sig::LOGOFF => Request::Logoff,
            sig::GOODBYE => Request::Goodbye,
            sig::RESET => Request::Reset,
            sig::RUN => {
                let query = match next("query")? {
                    Pack::String(s) => s,
                    other => return Err(format!("RUN's query is {other}, not a string")),
                };
                let params = map(next("parameters")?, "parameters")?;
                // Bolt 3 on sends the options; accept their absence.
                let extra = map(next("extra").unwrap_or(Pack::Null), "extra")?;
                Request::Run {
                    query,
                    params,
                    extra,
                }
            }
            sig::BEGIN => Request::Begin(map(next("extra").unwrap_or(Pack::Null), "extra")?),
            sig::COMMIT => Request::Commit,
            sig::ROLLBACK => Request::Rollback,
            sig::DISCARD | sig::PULL => {
                let extra = map(next("extra").unwrap_or(Pack::Null), "extra")?;
                let n = extra.get("n").and_then(Pack::as_int).unwrap_or(-1);
                let qid = extra.get("qid").and_then(Pack::as_int).unwrap_or(-1);
                if n == 0 || n < -1 {
                    return Err(format!("n is -1 or positive, not {n}"));
                }
                if tag == sig::PULL {
                    Request::Pull { n, qid }
                } else {
                    Request::Discard { n, qid }
                }
            }
            sig::ROUTE => Request::Route(map(next("routing").unwrap_or(Pack::Null), "routing")?),
            sig::TELEMETRY => Request::Telemetry,
            _ => return Err(format!("unknown message 0x{tag:02X}")),
        })
    }

    /// The request's name, for logs and errors.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Request::Hello(_) => "HELLO",
            Request::Logon(_) => "LOGON",
            Request::Logoff => "LOGOFF",
            Request::Goodbye => "GOODBYE",
            Request::Reset => "RESET",
            Request::Run { .. } => "RUN",
            Request::Begin(_) => "BEGIN",
            Request::Commit => "COMMIT",
            Request::Rollback => "ROLLBACK",
            Request::Discard { .. } => "DISCARD",
            Request::Pull { .. } => "PULL",
            Request::Route(_) => "ROUTE",
            Request::Telemetry => "TELEMETRY",
        }
    }
}

/// Sends SUCCESS with `metadata` (a map).
pub fn success<W: Write>(o: &mut Outbox<W>, metadata: &Pack) {
    o.send(|e| {
        e.struct_header(reply::SUCCESS, 1);
        e.pack(metadata);
    });
}

/// Writes the header of a RECORD of `n` values (the values follow).
pub fn record_header(e: &mut Encoder<'_>, n: usize) {
    e.struct_header(reply::RECORD, 1);
    e.list_header(n);
}

/// Sends IGNORED.
pub fn ignored<W: Write>(o: &mut Outbox<W>) {
    o.send(|e| e.struct_header(reply::IGNORED, 0));
}

/// Sends FAILURE with a Neo4j status code and a message.
pub fn failure<W: Write>(o: &mut Outbox<W>, code: &str, message: &str) {
    o.send(|e| {
        e.struct_header(reply::FAILURE, 1);
        e.pack(&Pack::map([
            ("code", Pack::str(code)),
            ("message", Pack::str(message)),
        ]));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_with_their_fields_and_defaults() {
        let run = Pack::Struct(
            sig::RUN,
            vec![
                Pack::str("RETURN $x"),
                Pack::map([("x", Pack::Int(1))]),
                Pack::map([("mode", Pack::str("r"))]),
            ],
        );
        let Request::Run {
            query,
            params,
            extra,
        } = Request::from_pack(run).unwrap()
        else {
            panic!("not RUN");
        };
        assert_eq!(query, "RETURN $x");
        assert_eq!(params.get("x"), Some(&Pack::Int(1)));
        assert_eq!(extra.get("mode"), Some(&Pack::str("r")));
        let pull = Pack::Struct(sig::PULL, vec![Pack::map([("n", Pack::Int(1000))])]);
        assert_eq!(
            Request::from_pack(pull).unwrap(),
            Request::Pull { n: 1000, qid: -1 }
        );
        assert!(
            Request::from_pack(Pack::Struct(
                sig::PULL,
                vec![Pack::map([("n", Pack::Int(0))])]
            ))
            .is_err()
        );
        assert!(Request::from_pack(Pack::Struct(0x99, vec![])).is_err());
        assert!(Request::from_pack(Pack::Struct(sig::RUN, vec![Pack::Int(1)])).is_err());
        assert!(Request::from_pack(Pack::Int(1)).is_err());
    }
}
