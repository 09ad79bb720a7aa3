//! `quiver embed`: the sentence embeddings of texts, as an `.fvecs` file.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quiverdb::embed::{Embedder, SentenceBert};

/// Texts embedded per progress step.
const CHUNK: usize = 256;

/// Arguments of `quiver embed`.
#[derive(clap::Args)]
pub struct Args {
    #[arg(
        long,
        help = "The model folder (config.json, tokenizer.json, model.safetensors, \
                sentence_bert_config.json); default: $QUIVER_MODEL"
    )]
    pub model: Option<PathBuf>,
    /// A text to embed (repeatable).
    #[arg(long, conflicts_with = "input")]
    pub text: Vec<String>,
    /// A file of texts, one a line.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The `.fvecs` file to write, row i the embedding of text i.
    #[arg(long)]
    pub output: PathBuf,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// The model folder: `--model`, else `$QUIVER_MODEL`.
pub fn model_dir(model: Option<&PathBuf>) -> Result<PathBuf> {
    model
        .cloned()
        .or_else(|| std::env::var_os("QUIVER_MODEL").map(PathBuf::from))
        .context(
            "no model folder: pass --model DIR or set QUIVER_MODEL \
             (data/models/fetch-minilm.sh fetches all-MiniLM-L6-v2)",
        )
}

/// Loads the model of `--model` (else `$QUIVER_MODEL`); returns it and the
/// seconds loading took.
pub fn load_model(model: Option<&PathBuf>) -> Result<(Arc<SentenceBert>, f64)> {
    let dir = model_dir(model)?;
    let started = Instant::now();
    let model = SentenceBert::load(&dir)?;
    Ok((Arc::new(model), started.elapsed().as_secs_f64()))
}

/// The texts of `--text` or of the `--input` file (each line must be
/// UTF-8 and not blank).
fn texts(args: &Args) -> Result<Vec<String>> {
    let Some(path) = &args.input else {
        if args.text.is_empty() {
            bail!("nothing to embed: give --text or --input");
        }
        return Ok(args.text.clone());
    };
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        let text = String::from_utf8(line)
            .map_err(|_| anyhow::anyhow!("{}, line {}: not valid UTF-8", path.display(), i + 1))?;
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            bail!("{}, line {}: the line is empty", path.display(), i + 1);
        }
        out.push(text.to_owned());
    }
    if out.is_empty() {
        bail!("{} holds no text", path.display());
    }
    Ok(out)
}

pub fn run(args: &Args) -> Result<()> {
    let texts = texts(args)?;
    let (model, load_secs) = load_model(args.model.as_ref())?;
    let bar = ProgressBar::new(texts.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("embedding [{bar:30}] {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = Instant::now();
    let mut vectors = Vec::with_capacity(texts.len());
    let mut truncated = 0;
    for (c, chunk) in texts.chunks(CHUNK).enumerate() {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let (v, t) = model
            .embed_reporting(&refs)
            .with_context(|| format!("embedding texts {}..", c * CHUNK + 1))?;
        vectors.extend(v);
        truncated += t.len();
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    quiverdb::import::write_fvecs(&args.output, &vectors)?;
    let per_sec = texts.len() as f64 / secs.max(1e-9);
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "texts": texts.len(), "dim": model.dim(), "truncated": truncated,
                "max_tokens": model.max_tokens(), "model": model.name(),
                "load_seconds": load_secs, "embed_seconds": secs, "texts_per_second": per_sec,
                "output": args.output,
            })
        );
    } else {
        println!(
            "embedded {} texts ({}-d) in {secs:.2} s: {per_sec:.1} texts/s; model loaded in {load_secs:.2} s",
            texts.len(),
            model.dim()
        );
        if truncated > 0 {
            println!(
                "{truncated} texts were longer than {} tokens and were truncated",
                model.max_tokens()
            );
        }
        println!("wrote {}", args.output.display());
    }
    Ok(())
}
