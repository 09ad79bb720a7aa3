//! BERT's encoder on the CPU, written for sentence embeddings: the tokens
//! of a batch's texts are packed one after the other (no padding), every
//! linear layer is one matrix product over all of them (`gemm`), attention
//! runs per text at its own length, and the mean pooling and L2
//! normalisation follow. The element-wise steps (GELU's `erf`, softmax's
//! `exp`, layer norm) are branch-free loops the compiler vectorises.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

use crate::error::{Error, Result};

/// `config.json`: the fields of a Hugging Face BERT configuration the
/// encoder reads.
#[derive(Deserialize)]
pub(super) struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_position")]
    pub position_embedding_type: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

fn default_position() -> String {
    "absolute".into()
}

/// A layer norm's scale and shift.
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

/// A linear layer, its weight stored transposed (`inputs × outputs`, row
/// major) so that `x · w` is a plain product.
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

struct Layer {
    /// Query, key and value in one product (`hidden × 3 hidden`).
    qkv: Linear,
    out: Linear,
    norm1: Norm,
    up: Linear,
    down: Linear,
    norm2: Norm,
}

/// A loaded BERT encoder.
pub(super) struct Encoder {
    hidden: usize,
    heads: usize,
    eps: f32,
    word: Vec<f32>,
    position: Vec<f32>,
    /// Token type 0's embedding (sentence-transformers passes only type 0).
    token_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
    max_positions: usize,
}

/// Reads the tensors of a `model.safetensors` by name, as f32.
struct Weights<'a> {
    tensors: SafeTensors<'a>,
    /// `bert.` when the checkpoint was saved from a task model.
    prefix: &'static str,
    path: &'a Path,
}

fn bad(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Model {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

impl Weights<'_> {
    /// Tensor `name` as f32, which must have `shape`.
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let full = format!("{}{name}", self.prefix);
        let t = self.tensors.tensor(&full).map_err(|_| {
            bad(
                self.path,
                format!("does not fit config.json: no tensor {full}"),
            )
        })?;
        if t.shape() != shape {
            return Err(bad(
                self.path,
                format!(
                    "does not fit config.json: tensor {full} has shape {:?}, the configuration implies {shape:?}",
                    t.shape()
                ),
            ));
        }
        let bytes = t.data();
        let values: Vec<f32> = match t.dtype() {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            other => {
                return Err(bad(
                    self.path,
                    format!("tensor {full} is {other:?}; f32, f16 or bf16 expected"),
                ));
            }
        };
        if values.iter().any(|x| !x.is_finite()) {
            return Err(bad(
                self.path,
                format!("tensor {full} holds NaN or infinity"),
            ));
        }
        Ok(values)
    }

    fn norm(&self, name: &str, n: usize) -> Result<Norm> {
        Ok(Norm {
            gamma: self.get(&format!("{name}.weight"), &[n])?,
            beta: self.get(&format!("{name}.bias"), &[n])?,
        })
    }

    /// The linear layers `names` (each `outputs × inputs`, as `PyTorch`
    /// stores them), side by side in one transposed weight.
    fn linear(&self, names: &[&str], inputs: usize, outputs: usize) -> Result<Linear> {
        let total = outputs * names.len();
        let mut w = vec![0f32; inputs * total];
        let mut b = Vec::with_capacity(total);
        for (part, name) in names.iter().enumerate() {
            let weight = self.get(&format!("{name}.weight"), &[outputs, inputs])?;
            for o in 0..outputs {
                for i in 0..inputs {
                    w[i * total + part * outputs + o] = weight[o * inputs + i];
                }
            }
            b.extend(self.get(&format!("{name}.bias"), &[outputs])?);
        }
        Ok(Linear {
            w,
            b,
            inputs,
            outputs: total,
        })
    }
}

/// IEEE half to single precision.
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise.
            let shift = frac.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | ((frac << (shift + 13)) & 0x7f_ffff)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

impl Encoder {
    /// Loads the encoder of `config` from the bytes of `model.safetensors`
    /// (at `path`, for errors).
    pub fn load(config: &Config, bytes: &[u8], path: &Path) -> Result<Encoder> {
        if !config.hidden_act.starts_with("gelu") || config.hidden_act == "gelu_new" {
            return Err(bad(
                path,
                format!(
                    "hidden_act {:?}: only BERT's exact gelu is supported",
                    config.hidden_act
                ),
            ));
        }
        if config.position_embedding_type != "absolute" {
            return Err(bad(path, "only absolute position embeddings are supported"));
        }
        let (h, heads) = (config.hidden_size, config.num_attention_heads);
        if h == 0 || heads == 0 || !h.is_multiple_of(heads) || config.intermediate_size == 0 {
            return Err(bad(
                path,
                format!("hidden_size {h} does not split into {heads} attention heads"),
            ));
        }
        let tensors =
            SafeTensors::deserialize(bytes).map_err(|e| bad(path, format!("malformed: {e}")))?;
        let prefix = if tensors
            .tensor("bert.embeddings.word_embeddings.weight")
            .is_ok()
        {
            "bert."
        } else {
            ""
        };
        let w = Weights {
            tensors,
            prefix,
            path,
        };
        let token_types = w
            .tensors
            .tensor(&format!("{prefix}embeddings.token_type_embeddings.weight"))
            .map_or(0, |t| t.shape().first().copied().unwrap_or(0));
        let mut token_type = w.get(
            "embeddings.token_type_embeddings.weight",
            &[token_types.max(1), h],
        )?;
        token_type.truncate(h);
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let a = format!("{p}.attention");
            layers.push(Layer {
                qkv: w.linear(
                    &[
                        &format!("{a}.self.query"),
                        &format!("{a}.self.key"),
                        &format!("{a}.self.value"),
                    ],
                    h,
                    h,
                )?,
                out: w.linear(&[&format!("{a}.output.dense")], h, h)?,
                norm1: w.norm(&format!("{a}.output.LayerNorm"), h)?,
                up: w.linear(
                    &[&format!("{p}.intermediate.dense")],
                    h,
                    config.intermediate_size,
                )?,
                down: w.linear(&[&format!("{p}.output.dense")], config.intermediate_size, h)?,
                norm2: w.norm(&format!("{p}.output.LayerNorm"), h)?,
            });
        }
        Ok(Encoder {
            hidden: h,
            heads,
            eps: config.layer_norm_eps as f32,
            word: w.get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: w.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            token_type,
            norm: w.norm("embeddings.LayerNorm", h)?,
            layers,
            max_positions: config.max_position_embeddings,
        })
    }

    /// The mean-pooled, L2-normalised last hidden states of `texts` (token
    /// ids, each at most `max_positions` long and below the vocabulary).
    pub fn embed(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let vocab = self.word.len() / h;
        let lens: Vec<usize> = texts
            .iter()
            .map(|t| t.len().min(self.max_positions))
            .collect();
        let total: usize = lens.iter().sum();
        let mut x = vec![0f32; total * h];
        let mut row = 0;
        for ids in texts {
            for (p, &id) in ids.iter().take(self.max_positions).enumerate() {
                let id = (id as usize).min(vocab - 1);
                let out = &mut x[row * h..(row + 1) * h];
                let word = &self.word[id * h..(id + 1) * h];
                let pos = &self.position[p * h..(p + 1) * h];
                for (((o, w), p), t) in out.iter_mut().zip(word).zip(pos).zip(&self.token_type) {
                    *o = w + p + t;
                }
                row += 1;
            }
        }
        layer_norm(&mut x, &self.norm, self.eps);
        let longest = lens.iter().copied().max().unwrap_or(0);
        let inter = self.layers.first().map_or(0, |l| l.up.outputs);
        let mut qkv = vec![0f32; total * 3 * h];
        let mut ctx = vec![0f32; total * h];
        let mut tmp = vec![0f32; total * h];
        let mut up = vec![0f32; total * inter];
        let mut scores = vec![0f32; longest * longest];
        for layer in &self.layers {
            linear(&x, total, &layer.qkv, &mut qkv);
            self.attention(&qkv, &lens, &mut scores, &mut ctx);
            linear(&ctx, total, &layer.out, &mut tmp);
            add_assign(&mut tmp, &x);
            layer_norm(&mut tmp, &layer.norm1, self.eps);
            std::mem::swap(&mut x, &mut tmp);
            linear(&x, total, &layer.up, &mut up);
            gelu(&mut up);
            linear(&up, total, &layer.down, &mut tmp);
            add_assign(&mut tmp, &x);
            layer_norm(&mut tmp, &layer.norm2, self.eps);
            std::mem::swap(&mut x, &mut tmp);
        }
        // Mean over each text's tokens, then L2 normalisation (at least
        // 1e-12, as torch's F.normalize).
        let mut out = Vec::with_capacity(texts.len());
        let mut start = 0;
        for &len in &lens {
            let mut mean = vec![0f32; h];
            for t in start..start + len {
                for (m, v) in mean.iter_mut().zip(&x[t * h..(t + 1) * h]) {
                    *m += v;
                }
            }
            let count = len.max(1) as f32;
            for m in &mut mean {
                *m /= count;
            }
            let norm = mean.iter().map(|m| m * m).sum::<f32>().sqrt().max(1e-12);
            for m in &mut mean {
                *m /= norm;
            }
            out.push(mean);
            start += len;
        }
        out
    }

    /// Self-attention of each text over its own tokens: `qkv` holds every
    /// token's query, key and value (`3 × hidden` a row); writes each
    /// head's output into its columns of `ctx`.
    #[allow(
        clippy::many_single_char_names,
        reason = "the attention formula's names"
    )]
    fn attention(&self, qkv: &[f32], lens: &[usize], scores: &mut [f32], ctx: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let mut start = 0;
        for &len in lens {
            let rows = &qkv[start * 3 * h..(start + len) * 3 * h];
            let out = &mut ctx[start * h..(start + len) * h];
            let s = &mut scores[..len * len];
            for head in 0..self.heads {
                let q = &rows[head * d..];
                let k = &rows[h + head * d..];
                let v = &rows[2 * h + head * d..];
                // scores = q · kᵀ (len × len).
                matmul(
                    len,
                    len,
                    d,
                    s,
                    len,
                    &Mat {
                        data: q,
                        rs: 3 * h,
                        cs: 1,
                    },
                    &Mat {
                        data: k,
                        rs: 1,
                        cs: 3 * h,
                    },
                );
                for row in s.chunks_exact_mut(len) {
                    softmax(row, scale);
                }
                // ctx(head) = scores · v (len × d), in the head's columns.
                matmul(
                    len,
                    d,
                    len,
                    &mut out[head * d..],
                    h,
                    &Mat {
                        data: s,
                        rs: len,
                        cs: 1,
                    },
                    &Mat {
                        data: v,
                        rs: 3 * h,
                        cs: 1,
                    },
                );
            }
            start += len;
        }
    }
}

/// A matrix operand: element (i, j) at `data[i * rs + j * cs]`.
struct Mat<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

/// `dst (m × n, row stride dst_rs) = a (m × k) · b (k × n)`,
/// single-threaded (texts are spread over threads instead).
#[allow(clippy::many_single_char_names, reason = "BLAS's names")]
fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], dst_rs: usize, a: &Mat<'_>, b: &Mat<'_>) {
    if m == 0 || n == 0 {
        return;
    }
    // Every element read or written lies inside its slice.
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(
        last(m, n, dst_rs, 1) < dst.len()
            && (k == 0 || last(m, k, a.rs, a.cs) < a.data.len())
            && (k == 0 || last(k, n, b.rs, b.cs) < b.data.len()),
        "matmul operands out of bounds"
    );
    #[allow(
        unsafe_code,
        reason = "gemm takes raw pointers and strides; the bounds are checked above"
    )]
    #[allow(
        clippy::cast_possible_wrap,
        reason = "strides are far below isize::MAX"
    )]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            false,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `dst = x · w + b` for `rows` rows of `x`.
fn linear(x: &[f32], rows: usize, l: &Linear, dst: &mut [f32]) {
    let dst = &mut dst[..rows * l.outputs];
    matmul(
        rows,
        l.outputs,
        l.inputs,
        dst,
        l.outputs,
        &Mat {
            data: &x[..rows * l.inputs],
            rs: l.inputs,
            cs: 1,
        },
        &Mat {
            data: &l.w,
            rs: l.outputs,
            cs: 1,
        },
    );
    for row in dst.chunks_exact_mut(l.outputs) {
        for (y, b) in row.iter_mut().zip(&l.b) {
            *y += b;
        }
    }
}

fn add_assign(dst: &mut [f32], x: &[f32]) {
    for (d, v) in dst.iter_mut().zip(x) {
        *d += v;
    }
}

/// Layer norm of each `gamma.len()`-wide row, in place.
fn layer_norm(x: &mut [f32], n: &Norm, eps: f32) {
    let h = n.gamma.len();
    let mut centred = vec![0f32; h];
    for row in x.chunks_exact_mut(h) {
        let mean = sum(row) / h as f32;
        for (c, v) in centred.iter_mut().zip(row.iter()) {
            *c = (v - mean) * (v - mean);
        }
        let var = sum(&centred) / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(&n.gamma).zip(&n.beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// Softmax of `scale · row`, in place.
fn softmax(row: &mut [f32], scale: f32) {
    let top = max(row) * scale;
    for v in row.iter_mut() {
        *v = exp(*v * scale - top);
    }
    let inv = 1.0 / sum(row);
    for v in row {
        *v *= inv;
    }
}

/// BERT's exact GELU, `x/2 · (1 + erf(x/√2))`, in place.
fn gelu(x: &mut [f32]) {
    for v in x {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// `e^x` to about one ulp for x in [-87, 88] (0 below), branch-free:
/// `x = n ln2 + r`, a degree-6 polynomial for `e^r`, `2^n` in the exponent
/// bits (Cephes' `expf`). `n` is rounded by adding 1.5 · 2^23, which also
/// leaves it in the low bits of the sum: integer work the compiler
/// vectorises, where `round` and a float-to-int cast are not.
#[inline]
#[allow(clippy::many_single_char_names, reason = "the formula's names")]
fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e = p * r * r + r + 1.0;
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    e * f32::from_bits(n_bits.wrapping_add(127) << 23)
}

/// The sum of `xs` over 8 lanes (so it vectorises; the order of the
/// additions differs from a plain loop's by rounding only).
#[inline]
fn sum(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

/// The largest of `xs` (none NaN) over 8 lanes.
#[inline]
fn max(xs: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = if v > *l { v } else { *l };
        }
    }
    lanes
        .iter()
        .chain(rest)
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

/// `erf(x)` by Abramowitz and Stegun 7.1.26 (1.5e-7 in exact arithmetic,
/// under 6e-7 in f32: the test measures it), branch-free.
#[inline]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let y = 1.0
        - (((((1.061_405_4 * t - 1.453_152_1) * t) + 1.421_413_7) * t - 0.284_496_74) * t
            + 0.254_829_6)
            * t
            * exp(-a * a);
    y.copysign(x)
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the values compared are exact")]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_match_the_standard_library_and_libm_closely() {
        let mut worst_exp = 0f64;
        let mut worst_erf = 0f64;
        for i in -20_000..=20_000 {
            let x = i as f32 * 0.004; // -80..80
            let want = f64::from(x).exp();
            worst_exp = worst_exp.max(((f64::from(exp(x)) - want) / want).abs());
            let y = i as f32 * 0.0005; // -10..10
            worst_erf = worst_erf.max((f64::from(erf(y)) - erf64(f64::from(y))).abs());
        }
        assert!(worst_exp < 3e-7, "exp relative error {worst_exp}");
        assert!(worst_erf < 6e-7, "erf absolute error {worst_erf}");
        assert_eq!(exp(-200.0), exp(-87.0));
        assert!(exp(-87.0) > 0.0 && exp(-87.0) < 1e-37);
    }

    /// erf in f64 by its Maclaurin series (|x| < 3) or continued fraction
    /// tail — an independent reference.
    fn erf64(x: f64) -> f64 {
        if x.abs() > 5.0 {
            return x.signum();
        }
        let mut sum = 0.0f64;
        let mut term = x;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs().max(1e-300) || n < 3.0 {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
            if n > 400.0 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn half_precision_converts_exactly() {
        for (h, f) in [
            (0x3c00u16, 1.0f32),
            (0xc000, -2.0),
            (0x0000, 0.0),
            (0x7bff, 65504.0),
            (0x0001, 5.960_464_5e-8),
            (0x3555, 0.333_251_95),
        ] {
            assert_eq!(f16_to_f32(h), f, "{h:#06x}");
        }
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn matmul_follows_the_strides() {
        // a = [[1, 2], [3, 4]] row-major; b = aᵀ read through strides.
        let a = [1.0, 2.0, 3.0, 4.0];
        let mut dst = [0.0; 4];
        matmul(
            2,
            2,
            2,
            &mut dst,
            2,
            &Mat {
                data: &a,
                rs: 2,
                cs: 1,
            },
            &Mat {
                data: &a,
                rs: 1,
                cs: 2,
            },
        );
        assert_eq!(dst, [5.0, 11.0, 11.0, 25.0]);
    }
}
