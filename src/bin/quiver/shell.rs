//! `quiver shell`: an interactive Cypher prompt on one database, a
//! directory or a running server.
//!
//! Lines are edited and kept in a history file with rustyline; a
//! statement may span lines and ends with `;` (outside quotes and
//! comments). Each statement runs in a transaction of its own
//! (`Database::execute_with`, or an auto-commit statement on the server)
//! and prints an aligned table and its time.
//! Commands start with `:` (see `HELP`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use quiverdb::query::{Params, QueryOptions, split_statements};
use rustyline::error::ReadlineError;

use crate::query::{Target, options, parse_params, print_plan, print_table};

/// Arguments of `quiver shell`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory, or a running server (`bolt://host:port`
    /// and the other forms `quiver query` takes; the user from --user or
    /// `QUIVER_USER`, the password from `QUIVER_PASSWORD`).
    pub db: PathBuf,
    /// The user to log in to a server as (default: `QUIVER_USER`).
    #[arg(long)]
    pub user: Option<String>,
    /// Stop each statement after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// The history file (default: `~/.quiver_history`; `none` keeps none).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Create the database if the directory holds none.
    #[arg(long)]
    pub create: bool,
    /// The directory `LOAD CSV` reads `file:///` URLs from (without it,
    /// `LOAD CSV` is refused).
    #[arg(long, value_name = "DIR")]
    pub import_dir: Option<PathBuf>,
}

const HELP: &str = "\
Statements end with ';' and may span lines. Commands:
  :explain <statement>   the plan of a statement, without running it
  :schema                labels, relationship types and property keys in use
  :param name=value      set a parameter ($name) for the next statements
  :params                the parameters set
  :timeout <seconds>     a time limit per statement (0: none)
  :help                  this text
  :quit                  leave (also Ctrl-D)";

/// The shell's state between statements.
struct Session {
    db: Target,
    params: Params,
    options: QueryOptions,
}

pub fn run(args: &Args) -> Result<()> {
    let db = Target::open(
        &args.db,
        args.user.as_deref(),
        args.create,
        args.import_dir.as_deref(),
    )?;
    let mut session = Session {
        db,
        params: Params::new(),
        options: options(args.timeout)?,
    };
    let history = match &args.history {
        Some(p) if p.as_os_str() == "none" => None,
        Some(p) => Some(p.clone()),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".quiver_history")),
    };
    let mut editor = rustyline::DefaultEditor::new()?;
    if let Some(h) = &history {
        // A missing history file is the first session.
        let _ = editor.load_history(h);
    }
    eprintln!(
        "quiver shell on {} — statements end with ';', :help for commands",
        args.db.display()
    );
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            "quiver> "
        } else {
            "   ...> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        if pending.is_empty() && line.trim_start().starts_with(':') {
            let _ = editor.add_history_entry(line.as_str());
            match session.command(line.trim()) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => eprintln!("error: {e:#}"),
            }
            continue;
        }
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        let (statements, rest) = split_statements(&pending);
        for statement in &statements {
            let _ = editor.add_history_entry(format!("{statement};"));
            session.statement(statement);
        }
        pending = rest;
    }
    if !pending.trim().is_empty() {
        session.statement(pending.trim());
    }
    if let Some(h) = &history
        && let Err(e) = editor.save_history(h)
    {
        eprintln!("could not save the history to {}: {e}", h.display());
    }
    Ok(())
}

impl Session {
    /// Runs one statement and prints its rows, or its error.
    fn statement(&mut self, text: &str) {
        let started = Instant::now();
        match self.db.run(text, &self.params, &self.options) {
            Ok(result) => {
                let ms = started.elapsed().as_secs_f64() * 1e3;
                if let Some(plan) = result.plan()
                    && let Err(e) = print_plan(plan)
                {
                    eprintln!("error: {e:#}");
                }
                if let Err(e) = print_table(&result) {
                    eprintln!("error: {e:#}");
                }
                let n = result.rows().len();
                eprintln!("{n} row{} in {ms:.3} ms", if n == 1 { "" } else { "s" });
            }
            Err(e) => eprintln!("{e:#}"),
        }
    }

    /// Runs a `:` command; `false` to leave.
    fn command(&mut self, line: &str) -> Result<bool> {
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim().trim_end_matches(';');
        match name {
            ":quit" | ":exit" | ":q" => return Ok(false),
            ":help" | ":h" => println!("{HELP}"),
            ":explain" => {
                if rest.is_empty() {
                    bail!(":explain needs a statement");
                }
                self.statement(&format!("EXPLAIN {rest}"));
            }
            ":schema" => {
                for (title, statement) in [
                    (
                        "labels",
                        "CALL db.labels() YIELD label RETURN label ORDER BY label",
                    ),
                    (
                        "relationship types",
                        "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType ORDER BY relationshipType",
                    ),
                    (
                        "property keys",
                        "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey ORDER BY propertyKey",
                    ),
                ] {
                    let result = self.db.run(statement, &Params::new(), &self.options)?;
                    let names: Vec<String> = result
                        .rows()
                        .iter()
                        .map(|row| crate::query::cell(&row[0]))
                        .collect();
                    println!("{title}: {}", names.join(", "));
                }
            }
            ":param" => {
                let set = parse_params(&[rest.to_owned()])?;
                self.params.extend(set);
            }
            ":params" => {
                let mut names: Vec<_> = self.params.iter().collect();
                names.sort_by(|a, b| a.0.cmp(b.0));
                for (name, value) in names {
                    println!("${name} = {}", crate::query::cell(value));
                }
            }
            ":timeout" => {
                let seconds: f64 = rest
                    .parse()
                    .map_err(|_| anyhow::anyhow!(":timeout {rest}: expected seconds"))?;
                self.options = options((seconds > 0.0).then_some(seconds))?;
            }
            other => bail!("unknown command {other} (:help lists them)"),
        }
        Ok(true)
    }
}
