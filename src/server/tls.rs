//! TLS for the server: rustls with the ring provider, the certificate
//! chain and key read from PEM files once, when the server is bound; a
//! connection split into a reading and a writing side.

use std::io::{self, Read, Write};
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsFiles;
use super::net::Stream;
use crate::error::{Error, Result};

/// The cryptography: rustls's ring provider.
pub(super) fn provider() -> rustls::crypto::CryptoProvider {
    #[allow(
        deprecated,
        reason = "ring builds without cmake; its key exchanges (X25519, P-256, P-384) lack only the post-quantum hybrid, which would need aws-lc-rs"
    )]
    rustls::crypto::ring::default_provider()
}

/// The rustls configuration serving `files`' certificate.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the file when the chain or the key
/// cannot be read or parsed, or the key does not fit the certificate.
pub(super) fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>> {
    let bad = |what: &std::path::Path, why: String| {
        Error::InvalidArgument(format!("TLS file {}: {why}", what.display()))
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(&files.cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(&files.cert, "no certificate in it".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad(&files.key, e.to_string()))?;
    let provider = Arc::new(provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(&files.key, e.to_string()))?;
    Ok(Arc::new(config))
}

/// A TLS connection's two directions, for two threads: one reads requests
/// while the other writes responses. Both go through one rustls session
/// under a lock, taken for the cryptography only: the reading side waits
/// for the socket without it.
pub(super) fn split<S: Read>(
    session: rustls::ServerConnection,
    incoming: S,
    socket: Arc<Stream>,
) -> (TlsReader<S>, TlsWriter) {
    let session = Arc::new(Mutex::new(session));
    (
        TlsReader {
            session: Arc::clone(&session),
            incoming,
            socket: Arc::clone(&socket),
            raw: vec![0; 16 << 10],
        },
        TlsWriter { session, socket },
    )
}

/// The reading side of [`split`].
pub(super) struct TlsReader<S> {
    session: Arc<Mutex<rustls::ServerConnection>>,
    /// Where the encrypted bytes come from (the socket, with its login
    /// deadline).
    incoming: S,
    /// Where the handshake's and alerts' records go.
    socket: Arc<Stream>,
    raw: Vec<u8>,
}

/// The writing side of [`split`].
pub(super) struct TlsWriter {
    session: Arc<Mutex<rustls::ServerConnection>>,
    socket: Arc<Stream>,
}

/// Writes the records `session` has ready.
fn send_records(session: &mut rustls::ServerConnection, mut socket: &Stream) -> io::Result<()> {
    while session.wants_write() {
        session.write_tls(&mut socket)?;
    }
    Ok(())
}

impl<S: Read> Read for TlsReader<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            {
                let mut session = self.session.lock();
                match session.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    done => return done,
                }
            }
            let n = self.incoming.read(&mut self.raw)?;
            let mut session = self.session.lock();
            let mut bytes = &self.raw[..n];
            loop {
                // At the end, an empty read tells rustls the peer closed.
                let taken = session.read_tls(&mut bytes)?;
                let state = session.process_new_packets();
                // An alert for a bad record goes out before the error.
                send_records(&mut session, &self.socket)?;
                state.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                if bytes.is_empty() {
                    break;
                }
                if taken == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "TLS records the session cannot take",
                    ));
                }
            }
            if n == 0 {
                // The peer closed: what is left, then the end.
                return match session.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    done => done,
                };
            }
        }
    }
}

impl Write for TlsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut session = self.session.lock();
        let n = session.writer().write(buf)?;
        send_records(&mut session, &self.socket)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut session = self.session.lock();
        session.writer().flush()?;
        send_records(&mut session, &self.socket)
    }
}
