//! `harness export`: a cached member's tensors and metrics, or a pair's inputs and values, as
//! plain files for other tools. The cache entry of a member is a safetensors file with the
//! tensors `repr` (N_test × width, the hidden representation of the test inputs) and
//! `param.<name>` (the parameters), all f64, and the metrics as one JSON string under the
//! metadata key `metrics`; an export writes each tensor to `<key>.csv` or `<key>.npy` and the
//! rest to `member.json`.
//!
//! - CSV: shortest round-trip decimals (reading them back gives the same f64 bits), no
//!   header; a 2-D tensor row by row, a 1-D tensor one value per row, a tensor of more
//!   dimensions with its first dimension as rows (the rest flattened in row-major order; the
//!   shape is in `member.json`).
//! - NPY: format version 1.0, little-endian f64 (`<f8`), C order, written by [`npy`] here.
//!
//! A pair export holds both members (`a/`, `b/`), the estimator's inputs `a.csv` and `b.csv`
//! (the live units: dead units, constant on every test input, are dropped as the pair unit
//! drops them) and `pair.json`: the pair's values as stored, its tie-breaking seed, and the
//! `harness cce`/`harness align` command lines that reproduce them exactly.

use crate::alignment::PairResult;
use crate::cache::write_atomic;
use crate::estimators::Projection;
use crate::matrix::Matrix;
use crate::representations::{live_columns, live_units, MemberResult};
use anyhow::Result;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The file format of exported tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Npy,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Npy => "npy",
        }
    }

    fn encode(self, shape: &[usize], values: &[f64]) -> Vec<u8> {
        match self {
            Format::Csv => csv_tensor(shape, values),
            Format::Npy => npy(shape, values),
        }
    }
}

/// An `.npy` file (format 1.0) of little-endian f64 values in C order: the magic string, the
/// version, the header length, a Python dict literal padded with spaces to a multiple of 64
/// bytes and ended by a newline, then the data.
pub fn npy(shape: &[usize], values: &[f64]) -> Vec<u8> {
    let dims = match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {dims}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 8 * values.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// A tensor as a headerless CSV (see the module's doc for the layout).
fn csv_tensor(shape: &[usize], values: &[f64]) -> Vec<u8> {
    let rows = shape.first().copied().unwrap_or(1).max(1);
    let cols = if values.is_empty() {
        0
    } else {
        values.len() / rows
    };
    let mut out = String::new();
    for row in values.chunks(cols.max(1)) {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// A matrix as a headerless CSV of shortest round-trip decimals: what `harness cce` reads.
pub fn matrix_csv(m: &Matrix) -> Vec<u8> {
    csv_tensor(&[m.rows, m.cols], &m.data)
}

/// A number for JSON: itself when finite, else its name as a string (JSON has no NaN).
fn number(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        json!(v.to_string())
    }
}

/// What identifies an exported member.
pub struct MemberInfo<'a> {
    pub experiment: &'a str,
    pub manifest_sha256: &'a str,
    pub unit: &'a str,
    /// As `harness plan` shows it, e.g. `snr=2 n=32 replica=0 member=1`.
    pub label: String,
    /// The unit's description, whose SHA-256 is `unit`.
    pub spec: Value,
    /// The cache entry it was read from.
    pub cache_entry: PathBuf,
}

/// Writes a member's tensors and `member.json` to `dir`; returns the files written.
pub fn write_member(
    dir: &Path,
    info: &MemberInfo,
    member: &MemberResult,
    format: Format,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut tensors = serde_json::Map::new();
    let mut put = |key: &str, shape: &[usize], values: &[f64]| -> Result<()> {
        let file = format!("{key}.{}", format.ext());
        let path = dir.join(&file);
        write_atomic(&path, &format.encode(shape, values))?;
        tensors.insert(key.to_string(), json!({"shape": shape, "file": file}));
        written.push(path);
        Ok(())
    };
    put(
        "repr",
        &[member.repr.rows, member.repr.cols],
        &member.repr.data,
    )?;
    for (name, (shape, values)) in &member.params {
        put(&format!("param.{name}"), shape, values)?;
    }
    let mut metrics = serde_json::Map::new();
    metrics.insert("gen_error".into(), number(member.gen_error));
    metrics.insert("train_loss".into(), number(member.train_loss));
    metrics.insert("steps".into(), json!(member.steps));
    metrics.insert("stop".into(), json!(member.stop.name()));
    for (name, v) in &member.extra {
        metrics.insert(format!("extra.{name}"), number(*v));
    }
    let live = live_units(&member.repr);
    let dead: Vec<usize> = (0..member.repr.cols)
        .filter(|c| !live.contains(c))
        .collect();
    let record = json!({
        "experiment": info.experiment,
        "manifest_sha256": info.manifest_sha256,
        "unit": info.unit,
        "label": info.label,
        "spec": info.spec,
        "cache_entry": info.cache_entry.display().to_string(),
        "format": format.ext(),
        "tensors": tensors,
        "metrics": metrics,
        "dead_units": dead,
    });
    let path = dir.join("member.json");
    write_atomic(&path, &serde_json::to_vec_pretty(&record)?)?;
    written.push(path);
    Ok(written)
}

/// What identifies an exported pair and how it was estimated.
pub struct PairInfo<'a> {
    pub experiment: &'a str,
    pub manifest_sha256: &'a str,
    pub unit: &'a str,
    pub tie_seed: u64,
    pub k: usize,
    pub project: Projection,
    pub spec: Value,
}

/// Writes a pair's members (`a/`, `b/`), the estimator's inputs (`a.csv`, `b.csv`) and
/// `pair.json` to `dir`; returns the files written.
pub fn write_pair(
    dir: &Path,
    info: &PairInfo,
    members: [(&MemberInfo, &MemberResult); 2],
    result: &PairResult,
    format: Format,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut sides = serde_json::Map::new();
    for ((side, (minfo, member)), input) in ["a", "b"].iter().zip(members).zip(["a.csv", "b.csv"]) {
        written.extend(write_member(&dir.join(side), minfo, member, format)?);
        let path = dir.join(input);
        write_atomic(&path, &matrix_csv(&live_columns(&member.repr)))?;
        written.push(path);
        sides.insert(
            side.to_string(),
            json!({"unit": minfo.unit, "label": minfo.label, "folder": side, "input": input}),
        );
    }
    let project = match info.project {
        Projection::None => String::new(),
        p => format!(" --project {p}"),
    };
    let mut values = serde_json::Map::new();
    for (estimator, v) in &result.estimates {
        let args = format!(
            "a.csv b.csv --estimator {estimator} --k {} --seed {}{project}",
            info.k, info.tie_seed
        );
        values.insert(
            estimator.name().to_string(),
            json!({
                "cce_a_given_b": number(v.cce_a_given_b),
                "cce_b_given_a": number(v.cce_b_given_a),
                "mutual_information": number(v.mutual_information),
                "symmetric_cce": number(v.symmetric_cce),
                "reproduce": {
                    "cce_a_given_b": format!("harness cce {args}"),
                    "both_directions": format!("harness align --measure cce {args}"),
                    "mutual_information": format!("harness align --measure mi {args}"),
                },
            }),
        );
    }
    let record = json!({
        "experiment": info.experiment,
        "manifest_sha256": info.manifest_sha256,
        "unit": info.unit,
        "spec": info.spec,
        "tie_seed": info.tie_seed,
        "k": info.k,
        "project": info.project.to_string(),
        "members": sides,
        "estimates": values,
        "exact_cce": result.exact_cce.map(number),
        "note": "a.csv and b.csv are the estimator's inputs: each member's representation \
                 without its dead units (constant columns). Run the commands from this folder. \
                 CCE(b|a), the pairs.csv row with the members swapped, is the `CCE(B|A)` line of \
                 `both_directions` (ties are broken per side: `harness cce b.csv a.csv` \
                 draws them differently).",
    });
    let path = dir.join("pair.json");
    write_atomic(&path, &serde_json::to_vec_pretty(&record)?)?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads an `.npy` file as the format defines it: (shape, values).
    fn read_npy(bytes: &[u8]) -> (Vec<usize>, Vec<f64>) {
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + len) % 64, 0, "the data starts 64-byte aligned");
        let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
        assert!(header.ends_with('\n'));
        assert!(header.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': ("));
        let dims = header.split("'shape': (").nth(1).unwrap();
        let dims = &dims[..dims.find(')').unwrap()];
        let shape: Vec<usize> = dims
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.parse().unwrap())
            .collect();
        let values = bytes[10 + len..]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        (shape, values)
    }

    #[test]
    fn npy_files_hold_the_shape_and_the_exact_values() {
        let values = [0.1, -2.5e-300, f64::MAX, -0.0, 1.0 / 3.0, 7.0];
        for shape in [vec![6], vec![2, 3], vec![3, 1, 2]] {
            let bytes = npy(&shape, &values);
            let (s, v) = read_npy(&bytes);
            assert_eq!(s, shape);
            assert_eq!(
                v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                values.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
        // numpy's own header for a (2, 3) f8 array, byte for byte.
        let bytes = npy(&[2, 3], &values);
        let mut want =
            b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
                .to_vec();
        want.resize(127, b' ');
        want.push(b'\n');
        assert_eq!(&bytes[..128], &want[..]);
        // A 1-D shape is a one-element tuple, `(6,)`.
        assert!(String::from_utf8_lossy(&npy(&[6], &values)[..128]).contains("'shape': (6,), }"));
    }

    #[test]
    fn csv_tensors_read_back_bit_for_bit() {
        let values = vec![0.1, -2.5e-300, f64::MAX, -0.0, 1.0 / 3.0, 7.0];
        let m = Matrix::new(3, 2, values.clone()).unwrap();
        let back = Matrix::parse_csv(&matrix_csv(&m)[..], Path::new("t.csv")).unwrap();
        assert_eq!((back.rows, back.cols), (3, 2));
        assert_eq!(
            back.data.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        // A vector is a column; more dimensions keep the first as rows.
        let column = String::from_utf8(csv_tensor(&[3], &values[..3])).unwrap();
        assert_eq!(column.lines().count(), 3);
        let deep = String::from_utf8(csv_tensor(&[3, 1, 2], &values)).unwrap();
        assert_eq!(
            deep.lines()
                .map(|l| l.split(',').count())
                .collect::<Vec<_>>(),
            [2, 2, 2]
        );
    }
}
