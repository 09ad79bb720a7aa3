//! The sockets a server listens on and its connections come through:
//! TCP, or a Unix domain socket (whose file's permissions say who may
//! connect).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A connection's socket.
#[derive(Debug)]
pub enum Stream {
    /// Over TCP.
    Tcp(TcpStream),
    /// Over a Unix domain socket.
    #[cfg(unix)]
    Unix(UnixStream),
}

/// The same call on whichever socket it is.
macro_rules! each {
    ($s:expr, $x:ident => $e:expr) => {
        match $s {
            Stream::Tcp($x) => $e,
            #[cfg(unix)]
            Stream::Unix($x) => $e,
        }
    };
}

impl Stream {
    /// Another handle to the same socket.
    ///
    /// # Errors
    /// The system's, when the handle cannot be made.
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            #[cfg(unix)]
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    /// Sets the time a read waits (`None`: for ever).
    ///
    /// # Errors
    /// The system's.
    pub fn set_read_timeout(&self, limit: Option<Duration>) -> io::Result<()> {
        each!(self, s => s.set_read_timeout(limit))
    }

    /// Sets the time a write waits (`None`: for ever).
    ///
    /// # Errors
    /// The system's.
    pub fn set_write_timeout(&self, limit: Option<Duration>) -> io::Result<()> {
        each!(self, s => s.set_write_timeout(limit))
    }

    /// Sends small messages at once (TCP; nothing to do on a Unix socket).
    ///
    /// # Errors
    /// The system's.
    pub fn set_nodelay(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nodelay(true),
            #[cfg(unix)]
            Stream::Unix(_) => Ok(()),
        }
    }

    /// Closes both directions, waking a thread that waits on a read.
    ///
    /// # Errors
    /// The system's.
    pub fn shutdown(&self) -> io::Result<()> {
        each!(self, s => s.shutdown(Shutdown::Both))
    }
}

impl Read for &Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        each!(*self, s => (&*s).read(buf))
    }
}

impl Write for &Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        each!(*self, s => (&*s).write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        each!(*self, s => (&*s).flush())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

/// A socket a server accepts connections on.
#[derive(Debug)]
pub(super) enum Listener {
    Tcp(TcpListener, SocketAddr),
    #[cfg(unix)]
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// The next connection.
    pub(super) fn accept(&self) -> io::Result<Stream> {
        Ok(match self {
            Listener::Tcp(l, _) => Stream::Tcp(l.accept()?.0),
            #[cfg(unix)]
            Listener::Unix(l, _) => Stream::Unix(l.accept()?.0),
        })
    }

    /// Wakes a thread waiting in [`Listener::accept`].
    pub(super) fn wake(&self) {
        match self {
            Listener::Tcp(_, addr) => {
                let _ = TcpStream::connect_timeout(addr, Duration::from_secs(1));
            }
            #[cfg(unix)]
            Listener::Unix(_, path) => {
                let _ = UnixStream::connect(path);
            }
        }
    }

    /// Where clients reach it, as a URI (`bolt://127.0.0.1:7687`,
    /// `unix:/run/quiver.sock`).
    pub(super) fn uri(&self, tls: bool) -> String {
        match self {
            Listener::Tcp(_, addr) if tls => format!("bolt+s://{addr}"),
            Listener::Tcp(_, addr) => format!("bolt://{addr}"),
            #[cfg(unix)]
            Listener::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }
}

/// Listens on the Unix socket `path`. A socket file left by a server that
/// is gone is replaced; one a server still answers on, or a file that is
/// not a socket, is an error.
#[cfg(unix)]
pub(super) fn bind_unix(path: &Path) -> io::Result<Listener> {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a file that is not a socket is there",
            ));
        }
        if UnixStream::connect(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "a server is listening there",
            ));
        }
        std::fs::remove_file(path)?;
    }
    Ok(Listener::Unix(UnixListener::bind(path)?, path.to_owned()))
}

/// Unix sockets do not exist on this system.
#[cfg(not(unix))]
pub(super) fn bind_unix(_: &Path) -> io::Result<Listener> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "Unix domain sockets are not available on this system",
    ))
}
