//! `quiver export`: a (sub)graph as DOT or GraphML, to look at.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use quiverdb::{Direction, EdgeId, GraphRead, NodeId};

use crate::common::{self, Naming};

/// Arguments of `quiver export`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// dot or graphml.
    #[arg(long, default_value = "dot")]
    pub format: String,
    /// Export only the nodes within --hops of this node (by key),
    /// following edges both ways.
    #[arg(long)]
    pub around: Option<String>,
    /// The radius of --around.
    #[arg(long, default_value_t = 1)]
    pub hops: u32,
    /// Refuse to export more nodes than this.
    #[arg(long, default_value_t = 10_000)]
    pub max_nodes: usize,
    /// Write here instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub naming: Naming,
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn dot(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn run(args: &Args) -> Result<()> {
    let db = common::open(&args.db)?;
    let r = db.begin_read()?;
    let nodes: BTreeSet<NodeId> = if let Some(key) = &args.around {
        {
            let start = args.naming.node(&r, key)?;
            let mut seen = BTreeSet::from([start]);
            let mut queue = VecDeque::from([(start, 0)]);
            while let Some((v, d)) = queue.pop_front() {
                if d == args.hops {
                    continue;
                }
                for n in r.neighbors(v, Direction::Both, None)? {
                    if seen.insert(n) {
                        if seen.len() > args.max_nodes {
                            bail!(
                                "more than {} nodes within {} hops; lower --hops or raise --max-nodes",
                                args.max_nodes,
                                args.hops
                            );
                        }
                        queue.push_back((n, d + 1));
                    }
                }
            }
            seen
        }
    } else {
        {
            let all = r.node_ids()?;
            if all.len() > args.max_nodes {
                bail!(
                    "the graph has {} nodes; pick a part with --around, or raise --max-nodes",
                    all.len()
                );
            }
            all.into_iter().collect()
        }
    };
    let mut edges: BTreeMap<EdgeId, (NodeId, NodeId, String)> = BTreeMap::new();
    for &v in &nodes {
        for e in r.edges(v, Direction::Out, None)? {
            if nodes.contains(&e.target) {
                edges.insert(e.id, (e.source, e.target, e.edge_type.clone()));
            }
        }
    }
    let mut out = String::new();
    let graphml = match args.format.as_str() {
        "dot" => false,
        "graphml" => true,
        other => bail!("unknown format {other:?}: use dot or graphml"),
    };
    if graphml {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n");
        out.push_str("  <key id=\"key\" for=\"node\" attr.name=\"key\" attr.type=\"string\"/>\n  <key id=\"labels\" for=\"node\" attr.name=\"labels\" attr.type=\"string\"/>\n  <key id=\"type\" for=\"edge\" attr.name=\"type\" attr.type=\"string\"/>\n");
        out.push_str("  <graph id=\"G\" edgedefault=\"directed\">\n");
    } else {
        out.push_str("digraph quiver {\n  node [shape=box];\n");
    }
    for &v in &nodes {
        let node = r.node(v)?.with_context(|| format!("node {v} vanished"))?;
        let key = node
            .props
            .get(&args.naming.key)
            .map_or_else(|| format!("#{}", v.0), common::show);
        let labels = node.labels.join(":");
        if graphml {
            writeln!(
                out,
                "    <node id=\"n{}\"><data key=\"key\">{}</data><data key=\"labels\">{}</data></node>",
                v.0,
                xml(&key),
                xml(&labels)
            )?;
        } else {
            writeln!(
                out,
                "  n{} [label=\"{}\\n{}\"];",
                v.0,
                dot(&key),
                dot(&labels)
            )?;
        }
    }
    for (id, (s, d, t)) in &edges {
        if graphml {
            writeln!(
                out,
                "    <edge id=\"e{}\" source=\"n{}\" target=\"n{}\"><data key=\"type\">{}</data></edge>",
                id.0,
                s.0,
                d.0,
                xml(t)
            )?;
        } else {
            writeln!(out, "  n{} -> n{} [label=\"{}\"];", s.0, d.0, dot(t))?;
        }
    }
    out.push_str(if graphml {
        "  </graph>\n</graphml>\n"
    } else {
        "}\n"
    });
    match &args.output {
        Some(path) => {
            std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
        }
        None => common::print_lines(std::iter::once(out))?,
    }
    Ok(())
}
