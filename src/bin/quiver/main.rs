//! `quiver`: the QuiverDB command-line tool.

mod demo;

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
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(&args),
    }
}
