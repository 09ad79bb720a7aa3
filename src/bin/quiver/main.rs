//! `quiver`: the QuiverDB command-line tool.

#![allow(
    clippy::too_many_lines,
    clippy::struct_excessive_bools,
    reason = "each subcommand's `run` is one linear script, and clap flags are bools"
)]

mod algo;
mod check;
mod common;
mod components;
mod demo;
mod embed;
mod export;
mod import;
mod path;
mod query;
mod search;
mod serve;
mod shell;
mod stats;

use clap::{Parser, Subcommand};

/// QuiverDB: an embedded vector + property-graph database.
#[derive(Parser)]
#[command(name = "quiver", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import the bundled Debian slice into a temporary database and tour it.
    Demo(demo::Args),
    /// Bulk-load nodes, edges and vectors from files (all or nothing).
    Import(import::Args),
    /// Search a vector collection; with --queries and --gt, measure recall and speed.
    Search(search::Args),
    /// Shortest paths between nodes named by key.
    Path(path::Args),
    /// Weakly or strongly connected components.
    Components(components::Args),
    /// Run one graph kernel; per-node output in the Graphalytics format.
    Algo(algo::Args),
    /// Counts by label and edge type, collections, disk use.
    Stats(stats::Args),
    /// Verify the database's invariants (non-zero exit on a problem).
    Check(check::Args),
    /// Export a (sub)graph as DOT or GraphML.
    Export(export::Args),
    /// Embed texts with a sentence-transformers model folder into an .fvecs file.
    Embed(embed::Args),
    /// Run one Cypher statement (a table, --json or --csv).
    Query(query::Args),
    /// An interactive Cypher prompt (history, multi-line statements ended by ';').
    Shell(shell::Args),
    /// Serve the database over Bolt (Neo4j's drivers and tools) until interrupted.
    Serve(serve::Args),
    /// Add, change, remove or list the users `quiver serve` lets in.
    User(serve::UserArgs),
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Search(args) => search::run(&args),
        Command::Query(args) => query::run(&args),
        Command::Shell(args) => shell::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::User(args) => serve::user(&args),
        Command::Path(args) => path::run(&args),
        Command::Components(args) => components::run(&args),
        Command::Algo(args) => algo::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Embed(args) => embed::run(&args),
    }
}
