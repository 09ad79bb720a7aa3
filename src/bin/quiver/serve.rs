//! `quiver serve`: the Bolt server on one database directory, until
//! interrupted; `quiver user`: the users it lets in.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quiverdb::server::{Server, ServerConfig, TlsFiles, auth::Users};

use crate::common;

/// Arguments of `quiver serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// The TCP address to listen on [default: 127.0.0.1:7687, unless
    /// --unix is given alone].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Listen on this Unix domain socket (its file's permissions say who
    /// may connect); with --listen, on both.
    #[arg(long, value_name = "PATH")]
    pub unix: Option<PathBuf>,
    /// Let clients in without a user name and password.
    #[arg(long)]
    pub no_auth: bool,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow listening beyond the loopback interface without TLS or
    /// without authentication.
    #[arg(long)]
    pub insecure: bool,
    /// Connections served at once.
    #[arg(long, default_value_t = 256)]
    pub max_connections: usize,
    /// How long a write transaction waits for another one, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub write_wait: f64,
    /// Close connections idle for this long, in seconds.
    #[arg(long, default_value_t = 600.0, value_name = "SECONDS")]
    pub idle_timeout: f64,
    /// Create the database if the directory holds none.
    #[arg(long)]
    pub create: bool,
    /// The directory `LOAD CSV` reads `file:///` URLs from.
    #[arg(long, value_name = "DIR")]
    pub import_dir: Option<PathBuf>,
}

fn seconds(x: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(x)
        .with_context(|| format!("{what} is a number of seconds >= 0, not {x}"))
}

pub fn run(args: &Args) -> Result<()> {
    let db = common::open_for_queries(&args.db, args.create, args.import_dir.as_deref())?;
    let mut config = ServerConfig::default();
    if args.listen.is_some() || args.unix.is_some() {
        config.listen = args.listen;
    }
    config.unix.clone_from(&args.unix);
    config.auth = !args.no_auth;
    config.insecure = args.insecure;
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    config.max_connections = args.max_connections;
    config.write_wait = seconds(args.write_wait, "--write-wait")?;
    config.idle_timeout = seconds(args.idle_timeout, "--idle-timeout")?;
    let server = Server::bind(Arc::new(db), config)?;
    let uris = server.uris();
    // The lines a script waits for (the port, when 0 was asked for).
    for uri in &uris {
        println!("{uri}");
    }
    eprintln!(
        "quiver serve: {} on {}{} (Ctrl-C stops)",
        args.db.display(),
        uris.join(" and "),
        if args.no_auth {
            ", no authentication"
        } else {
            ""
        }
    );
    server.run()?;
    Ok(())
}

/// Arguments of `quiver user`.
#[derive(clap::Args)]
pub struct UserArgs {
    /// The database directory.
    pub db: PathBuf,
    #[command(subcommand)]
    pub action: UserAction,
}

/// What `quiver user` does.
#[derive(clap::Subcommand)]
pub enum UserAction {
    /// Add a user; the password is read from standard input (one line).
    Add {
        /// The user name.
        name: String,
    },
    /// Change a user's password (read from standard input).
    Passwd {
        /// The user name.
        name: String,
    },
    /// Remove a user.
    Remove {
        /// The user name.
        name: String,
    },
    /// List the users.
    List,
}

fn password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

pub fn user(args: &UserArgs) -> Result<()> {
    if !args.db.is_dir() {
        bail!("{} is not a database directory", args.db.display());
    }
    let mut users = Users::load(&args.db)?;
    match &args.action {
        UserAction::Add { name } => users.set(name, &password()?, false)?,
        UserAction::Passwd { name } => users.set(name, &password()?, true)?,
        UserAction::Remove { name } => users.remove(name)?,
        UserAction::List => {
            for name in users.names() {
                println!("{name}");
            }
        }
    }
    Ok(())
}
