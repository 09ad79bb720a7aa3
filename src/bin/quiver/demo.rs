//! `quiver demo`: a guided tour on a small package graph.

use anyhow::{Context, Result};
use quiverdb::{Database, Direction, GraphRead, NodeId, Value, props};

/// Arguments of `quiver demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Keep the database in this directory instead of a temporary one.
    #[arg(long)]
    pub db: Option<std::path::PathBuf>,
}

/// A few real Debian packages and their dependencies.
const PACKAGES: &[(&str, &str, &str)] = &[
    ("libc6", "libs", "GNU C Library: Shared libraries"),
    ("zlib1g", "libs", "compression library - runtime"),
    (
        "libssl3",
        "libs",
        "Secure Sockets Layer toolkit - shared libraries",
    ),
    ("ca-certificates", "misc", "Common CA certificates"),
    (
        "libcurl4",
        "libs",
        "easy-to-use client-side URL transfer library",
    ),
    (
        "curl",
        "web",
        "command line tool for transferring data with URL syntax",
    ),
    (
        "git",
        "vcs",
        "fast, scalable, distributed revision control system",
    ),
    ("less", "text", "pager program similar to more"),
];

const DEPENDS: &[(&str, &str, &str)] = &[
    ("zlib1g", "libc6", "DEPENDS"),
    ("libssl3", "libc6", "DEPENDS"),
    ("libcurl4", "libssl3", "DEPENDS"),
    ("libcurl4", "zlib1g", "DEPENDS"),
    ("libcurl4", "ca-certificates", "RECOMMENDS"),
    ("curl", "libcurl4", "DEPENDS"),
    ("curl", "zlib1g", "DEPENDS"),
    ("git", "libcurl4", "DEPENDS"),
    ("git", "zlib1g", "DEPENDS"),
    ("git", "less", "RECOMMENDS"),
];

fn by_name(db: &impl GraphRead, name: &str) -> Result<NodeId> {
    db.node_by_key("Package", "name", &Value::from(name))?
        .with_context(|| format!("package {name} is missing"))
}

fn name_of(db: &impl GraphRead, id: NodeId) -> Result<String> {
    let node = db
        .node(id)?
        .with_context(|| format!("node {id} is missing"))?;
    Ok(node
        .props
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned())
}

pub fn run(args: &Args) -> Result<()> {
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let path = args
        .db
        .clone()
        .unwrap_or_else(|| tmp.path().join("demo.qdb"));
    println!("QuiverDB demo: database at {}", path.display());

    let db = Database::open(&path)?;
    let mut w = db.begin_write()?;
    w.create_unique_key("Package", "name")?;
    w.create_index("Package", "section")?;
    for (name, section, description) in PACKAGES {
        w.add_node(
            &["Package"],
            props! {"name" => *name, "section" => *section, "description" => *description},
        )?;
    }
    for (src, dst, kind) in DEPENDS {
        let (s, d) = (by_name(&w, src)?, by_name(&w, dst)?);
        let weight = if *kind == "DEPENDS" { 1.0 } else { 2.0 };
        w.add_edge(s, d, kind, props! {"weight" => weight})?;
    }
    w.commit()?;
    println!(
        "committed {} packages and {} dependency edges in one transaction",
        PACKAGES.len(),
        DEPENDS.len()
    );

    // Close and reopen: what was committed is on disk.
    db.close()?;
    let db = Database::open(&path)?;
    let r = db.begin_read()?;
    println!(
        "reopened: {} nodes, {} edges, {} bytes on disk",
        r.node_count()?,
        r.edge_count()?,
        db.disk_usage()?
    );

    let curl = by_name(&r, "libcurl4")?;
    let deps: Vec<String> = r
        .neighbors(curl, Direction::Out, Some("DEPENDS"))?
        .into_iter()
        .map(|n| name_of(&r, n))
        .collect::<Result<_>>()?;
    println!("libcurl4 depends on: {}", deps.join(", "));
    let users: Vec<String> = r
        .neighbors(curl, Direction::In, None)?
        .into_iter()
        .map(|n| name_of(&r, n))
        .collect::<Result<_>>()?;
    println!("needed by: {}", users.join(", "));
    let libs = r.nodes_by_property("Package", "section", &Value::from("libs"))?;
    println!("{} packages in section libs (indexed lookup)", libs.len());

    // A refused write leaves nothing behind.
    let mut w = db.begin_write()?;
    match w.add_node(&["Package"], props! {"name" => "curl"}) {
        Err(err) => println!("duplicate refused: {err}"),
        Ok(id) => anyhow::bail!("the unique key accepted a second curl ({id})"),
    }
    w.abort();

    // Writers never disturb a snapshot already open.
    let mut w = db.begin_write()?;
    w.detach_delete_node(by_name(&w, "less")?)?;
    w.commit()?;
    println!(
        "after deleting less: snapshot still sees {} nodes, a new one sees {}",
        r.node_count()?,
        db.begin_read()?.node_count()?
    );
    Ok(())
}
