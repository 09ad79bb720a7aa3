//! `quiver`: the QuiverDB command-line tool.

mod demo;
mod import;
mod search;

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
    /// Build a small package graph in a temporary database and tour it.
    Demo(demo::Args),
    /// Load data into a database (for now: vectors from an .fvecs file).
    Import(import::Args),
    /// Search a vector collection; with --queries and --gt, measure recall and speed.
    Search(search::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Search(args) => search::run(&args),
    }
}
