//! A plain dense row-major matrix of `f64`, the exchange type between models, estimators and
//! reports (one row per sample, one column per unit of a representation).

use anyhow::{bail, Result};

#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    /// Row-major, `rows * cols` values.
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        if data.len() != rows * cols {
            bail!(
                "matrix of {rows} x {cols} needs {} values, got {}",
                rows * cols,
                data.len()
            );
        }
        Ok(Matrix { rows, cols, data })
    }

    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f64) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Matrix { rows, cols, data }
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows).map(|i| self.get(i, j)).collect()
    }

    /// The columns of `self` followed by those of `other` (same rows).
    pub fn hstack(&self, other: &Matrix) -> Result<Matrix> {
        if self.rows != other.rows {
            bail!(
                "cannot join representations with {} and {} rows",
                self.rows,
                other.rows
            );
        }
        Ok(Matrix::from_fn(
            self.rows,
            self.cols + other.cols,
            |i, j| {
                if j < self.cols {
                    self.get(i, j)
                } else {
                    other.get(i, j - self.cols)
                }
            },
        ))
    }
}

/// A CSV file that is not a numeric matrix, located to the line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl Matrix {
    /// Reads a headerless CSV of numbers, one row per sample. Errors ([`InputError`]) name the
    /// file, line and column of the first bad cell.
    pub fn read_csv(path: &std::path::Path) -> Result<Matrix> {
        let file = std::fs::File::open(path).map_err(|e| {
            anyhow::Error::new(InputError(format!("{}: cannot open: {e}", path.display())))
        })?;
        Matrix::parse_csv(std::io::BufReader::new(file), path)
    }

    /// Parses a headerless CSV of finite numbers from `input`; `path` names it in errors.
    pub fn parse_csv(input: impl std::io::Read, path: &std::path::Path) -> Result<Matrix> {
        let bad =
            |msg: String| anyhow::Error::new(InputError(format!("{}: {msg}", path.display())));
        // Flexible: a row of the wrong length is reported below, with its line.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut data = Vec::new();
        let mut cols = None;
        let mut rows = 0;
        // One record buffer for the whole file, fields parsed from bytes (the hot part of
        // `harness cce` on large inputs after the neighbour search).
        let mut record = csv::ByteRecord::new();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| bad(format!("not a readable CSV: {e}")))?
        {
            let line = record.position().map_or(rows + 1, |p| p.line() as usize);
            if let Some(j) = record.iter().position(|f| f.contains(&b'\n')) {
                return Err(bad(format!(
                    "line {line}, column {}: a quoted value runs over several lines (a `\"` not closed?)",
                    j + 1
                )));
            }
            if let Some(c) = cols.filter(|&c| c != record.len()) {
                let n = record.len();
                return Err(bad(format!(
                    "line {line}: {n} value{}, but the first row has {c}",
                    if n == 1 { "" } else { "s" }
                )));
            }
            cols = Some(record.len());
            for (j, field) in record.iter().enumerate() {
                let field = field.trim_ascii();
                let at = || format!("line {line}, column {}", j + 1);
                let v: f64 = std::str::from_utf8(field)
                    .ok()
                    .and_then(|f| f.parse().ok())
                    .ok_or_else(|| {
                        let hint = if field.iter().any(|b| b";\t ".contains(b)) {
                            " (separate values with commas)"
                        } else if line == 1 {
                            " (the file has no header row: every row is a sample)"
                        } else {
                            ""
                        };
                        if field.is_empty() {
                            bad(format!("{}: empty value", at()))
                        } else {
                            bad(format!(
                                "{}: `{}` is not a number{hint}",
                                at(),
                                String::from_utf8_lossy(field)
                            ))
                        }
                    })?;
                if !v.is_finite() {
                    return Err(bad(format!(
                        "{}: `{}` is not a finite number",
                        at(),
                        String::from_utf8_lossy(field)
                    )));
                }
                data.push(v);
            }
            rows += 1;
        }
        if rows == 0 {
            return Err(bad(
                "no rows: give one row per sample, numbers separated by commas".into(),
            ));
        }
        Matrix::new(rows, cols.unwrap_or(0), data)
    }
}
