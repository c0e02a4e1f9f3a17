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
        let bad =
            |msg: String| anyhow::Error::new(InputError(format!("{}: {msg}", path.display())));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(path)
            .map_err(|e| bad(format!("cannot open: {e}")))?;
        let mut data = Vec::new();
        let mut cols = None;
        let mut rows = 0;
        // One record buffer for the whole file, fields parsed from bytes (the hot part of
        // `harness cce` on large inputs after the neighbour search).
        let mut record = csv::ByteRecord::new();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| bad(format!("{e}")))?
        {
            let line = record.position().map_or(rows + 1, |p| p.line() as usize);
            if cols.is_some_and(|c| c != record.len()) {
                return Err(bad(format!(
                    "line {line}: {} values, but the first row has {}",
                    record.len(),
                    cols.unwrap_or(0)
                )));
            }
            cols = Some(record.len());
            for (j, field) in record.iter().enumerate() {
                let field = field.trim_ascii();
                let v: f64 = std::str::from_utf8(field)
                    .ok()
                    .and_then(|f| f.parse().ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "line {line}, column {}: `{}` is not a number",
                            j + 1,
                            String::from_utf8_lossy(field)
                        ))
                    })?;
                data.push(v);
            }
            rows += 1;
        }
        if rows == 0 {
            return Err(bad("no rows".into()));
        }
        Matrix::new(rows, cols.unwrap_or(0), data)
    }
}
