//! `quiver query`: run one Cypher statement.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::Database;
use quiverdb::query::{CypherValue, NodeValue, Params, QueryOptions, QueryResult, RelValue};
use quiverdb::server::Client;
use serde_json::json;

use crate::common;

/// Arguments of `quiver query`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory, or a running server: `bolt://host:port`
    /// (also `neo4j://`, `bolt+s://` for TLS, `bolt+ssc://` for TLS with a
    /// self-signed certificate, `unix:PATH`; the user from --user or
    /// `QUIVER_USER`, the password from `QUIVER_PASSWORD`).
    pub db: PathBuf,
    /// The user to log in to a server as (default: `QUIVER_USER`).
    #[arg(long)]
    pub user: Option<String>,
    /// The statement.
    pub statement: String,
    /// A parameter, `name=value`; the value is read as a Cypher literal
    /// (`42`, `'text'`, `[1, 2]`, `{k: 1}`), else taken as a string.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Print one JSON document: `columns`, `rows`, `elapsed_ms`.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV: a header line, then one line a row.
    #[arg(long)]
    pub csv: bool,
    /// Run the statement this many times (in one transaction each) and
    /// report the median time; the rows printed are the last run's.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Stop the statement after this many seconds (a write statement
    /// then commits nothing).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Create the database if the directory holds none (without it, a
    /// mistyped path is an error, not a new empty database).
    #[arg(long)]
    pub create: bool,
    /// The directory `LOAD CSV` reads `file:///` URLs from (without it,
    /// `LOAD CSV` is refused).
    #[arg(long, value_name = "DIR")]
    pub import_dir: Option<PathBuf>,
}

/// The statement options the arguments ask for.
pub fn options(timeout: Option<f64>) -> Result<QueryOptions> {
    Ok(match timeout {
        None => QueryOptions::default(),
        Some(s) if s.is_finite() && s > 0.0 => {
            QueryOptions::timeout(std::time::Duration::from_secs_f64(s))
        }
        Some(s) => bail!("--timeout {s}: expected a positive number of seconds"),
    })
}

/// Reads `name=value` parameters.
pub fn parse_params(items: &[String]) -> Result<Params> {
    let mut params = Params::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            bail!("--param {item}: expected NAME=VALUE");
        };
        let parsed = quiverdb::query::run(&format!("RETURN {value} AS v"), &Params::new())
            .ok()
            .and_then(|r| r.into_rows().pop())
            .and_then(|mut row| row.pop())
            .unwrap_or_else(|| CypherValue::String(value.to_owned()));
        params.insert(name.trim_start_matches('$').to_owned(), parsed);
    }
    Ok(params)
}

/// Where statements run: an open directory, or a server.
pub enum Target {
    Local(Box<Database>),
    Remote(Client),
}

impl Target {
    /// The server `db` names (`bolt://host:port` and the other URIs
    /// [`Client::open`] takes), logged in to as `user` (or `QUIVER_USER`)
    /// with the password in `QUIVER_PASSWORD`; else the directory `db`,
    /// opened.
    pub fn open(
        db: &std::path::Path,
        user: Option<&str>,
        create: bool,
        import_dir: Option<&std::path::Path>,
    ) -> Result<Target> {
        let uri = db
            .to_str()
            .filter(|s| s.contains("://") || s.starts_with("unix:"));
        let Some(uri) = uri else {
            return Ok(Target::Local(Box::new(common::open_for_queries(
                db, create, import_dir,
            )?)));
        };
        let user = match user {
            Some(u) => u.to_owned(),
            None => std::env::var("QUIVER_USER").context("a server needs --user or QUIVER_USER")?,
        };
        let password =
            std::env::var("QUIVER_PASSWORD").context("a server needs QUIVER_PASSWORD")?;
        let client = Client::open(uri, &user, &password)
            .with_context(|| format!("cannot log in to {uri} as {user}"))?;
        Ok(Target::Remote(client))
    }

    /// Runs one statement in a transaction of its own.
    pub fn run(
        &mut self,
        text: &str,
        params: &Params,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        match self {
            Target::Local(db) => db
                .execute_with(text, params, options)
                .map_err(|e| anyhow::anyhow!("{e}")),
            Target::Remote(client) => client
                .run_within(text, params, options.timeout)
                .map_err(|e| anyhow::anyhow!("{e}")),
        }
    }
}

pub fn run(args: &Args) -> Result<()> {
    let params = parse_params(&args.params)?;
    let options = options(args.timeout)?;
    let mut target = Target::open(
        &args.db,
        args.user.as_deref(),
        args.create,
        args.import_dir.as_deref(),
    )?;
    if let Target::Local(db) = &target
        && args.csv
        && args.repeat <= 1
        && stream_csv(db, &args.statement, &params, &options)?
    {
        return Ok(());
    }
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let r = target
            .run(&args.statement, &params, &options)
            .context("the statement failed")?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        result = Some(r);
    }
    let Some(result) = result else {
        bail!("the statement did not run");
    };
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    if args.json {
        let rows: Vec<serde_json::Value> = result
            .rows()
            .iter()
            .map(|row| serde_json::Value::Array(row.iter().map(to_json).collect()))
            .collect();
        let mut doc = json!({
            "columns": result.columns(),
            "rows": rows,
            "elapsed_ms": median,
        });
        if args.repeat > 1 {
            doc["runs_ms"] = json!(times);
        }
        if let Some(plan) = result.plan() {
            doc["plan"] = plan
                .iter()
                .map(|s| {
                    json!({
                        "branch": s.branch,
                        "depth": s.depth,
                        "operator": s.operator,
                        "details": s.details,
                        "rows": s.rows,
                        "elapsed_ms": s.elapsed_ms,
                        "reads": s.reads.map(|r| json!({
                            "lookups": r.lookups, "seeks": r.seeks, "entries": r.entries,
                        })),
                    })
                })
                .collect();
        }
        println!("{doc}");
    } else if args.csv {
        print_csv(&result)?;
    } else {
        if let Some(plan) = result.plan() {
            print_plan(plan)?;
        }
        print_table(&result)?;
        eprintln!(
            "{} row{} in {median:.3} ms{}",
            result.rows().len(),
            if result.rows().len() == 1 { "" } else { "s" },
            if args.repeat > 1 {
                format!(" (median of {})", args.repeat)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

fn node_json(n: &NodeValue) -> serde_json::Value {
    json!({
        "id": n.id.0,
        "labels": n.labels,
        "properties": map_json(&n.properties),
    })
}

fn rel_json(r: &RelValue) -> serde_json::Value {
    json!({
        "id": r.id.0,
        "type": r.rel_type,
        "start": r.start.0,
        "end": r.end.0,
        "properties": map_json(&r.properties),
    })
}

fn map_json(m: &std::collections::BTreeMap<String, CypherValue>) -> serde_json::Value {
    serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
}

/// A result value as JSON: nodes, relationships and paths as objects.
pub fn to_json(v: &CypherValue) -> serde_json::Value {
    match v {
        CypherValue::Bool(b) => json!(b),
        CypherValue::Int(i) => json!(i),
        CypherValue::Float(f) if f.is_finite() => json!(f),
        CypherValue::Float(f) => json!(quiverdb::query::format_float(*f)),
        CypherValue::String(s) => json!(s),
        CypherValue::Bytes(b) => json!(b),
        CypherValue::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        CypherValue::Map(m) => map_json(m),
        CypherValue::Node(n) => node_json(n),
        CypherValue::Relationship(r) => rel_json(r),
        CypherValue::Path(p) => json!({
            "nodes": p.nodes.iter().map(node_json).collect::<Vec<_>>(),
            "relationships": p.relationships.iter().map(rel_json).collect::<Vec<_>>(),
        }),
        CypherValue::Temporal(t) => json!(t.to_string()),
        _ => serde_json::Value::Null,
    }
}

/// A value as a table cell: strings bare, everything else in Cypher's
/// notation.
pub fn cell(v: &CypherValue) -> String {
    match v {
        CypherValue::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_csv(result: &QueryResult) -> Result<()> {
    let lines = result
        .rows()
        .iter()
        .map(|row| csv_line(row.iter().map(cell)));
    let header = csv_line(result.columns().iter().cloned());
    common::print_lines(std::iter::once(header).chain(lines))
}

/// Prints a read-only statement's rows as CSV while they are read (the
/// rows are never all in memory); `false` for a statement that writes.
fn stream_csv(
    db: &quiverdb::Database,
    statement: &str,
    params: &Params,
    options: &QueryOptions,
) -> Result<bool> {
    let r = db.begin_read()?;
    let rows = match r.stream(statement, params, options) {
        Ok(rows) => rows,
        Err(e) if e.status() == quiverdb::query::status::ACCESS_MODE => return Ok(false),
        Err(e) => return Err(anyhow::anyhow!("{e}")).context("the statement failed"),
    };
    let header = csv_line(rows.columns().iter().cloned());
    let mut failure = None;
    let lines = rows.map_while(|row| match row {
        Ok(row) => Some(csv_line(row.iter().map(cell))),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    common::print_lines(std::iter::once(header).chain(lines))?;
    match failure {
        Some(e) => Err(anyhow::anyhow!("{e}")).context("the statement failed"),
        None => Ok(true),
    }
}

/// One CSV line of cells (column names or values).
fn csv_line(cells: impl IntoIterator<Item = String>) -> String {
    cells
        .into_iter()
        .map(|s| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Prints a plan's steps, one a line, with rows and time when profiled.
pub fn print_plan(plan: &[quiverdb::query::PlanStep]) -> Result<()> {
    let lines = plan.iter().enumerate().map(|(i, s)| {
        let measured = match (s.rows, s.elapsed_ms, s.reads) {
            (Some(rows), Some(ms), Some(r)) => format!(
                "  [{rows} rows, {ms:.3} ms; reads: {} lookups, {} seeks, {} entries]",
                r.lookups, r.seeks, r.entries
            ),
            (Some(rows), Some(ms), None) => format!("  [{rows} rows, {ms:.3} ms]"),
            _ => String::new(),
        };
        let indent = "   ".repeat(s.depth);
        format!(
            "{:>2}. {indent}{} {}{measured}",
            i + 1,
            s.operator,
            s.details
        )
    });
    common::print_lines(lines)
}

/// Prints an aligned table (long cells cut at 60 characters).
pub fn print_table(result: &QueryResult) -> Result<()> {
    const MAX: usize = 60;
    let cut = |s: String| {
        if s.chars().count() > MAX {
            let mut t: String = s.chars().take(MAX - 1).collect();
            t.push('…');
            t
        } else {
            s
        }
    };
    let cells: Vec<Vec<String>> = result
        .rows()
        .iter()
        .map(|row| row.iter().map(|v| cut(cell(v))).collect())
        .collect();
    let mut widths: Vec<usize> = result.columns().iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |items: &[String]| {
        items
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_owned()
    };
    if result.columns().is_empty() {
        return Ok(());
    }
    let header = line(result.columns());
    let rule = widths
        .iter()
        .map(|w| "-".repeat(*w))
        .collect::<Vec<_>>()
        .join("-+-");
    let body = cells.iter().map(|row| line(row));
    common::print_lines([header, rule].into_iter().chain(body))
}
