//! The UCI 8×8 handwritten digits (Alpaydin & Kaynak, 1998; CC BY 4.0), embedded in the
//! binary from `harness/data/digits.csv.gz` so that `digits` works offline and from any
//! working folder. Attribution: `harness/data/README.md`.

use super::{ImageShape, RawImages, CLASSES};
use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use std::io::Read;

/// The gzip-compressed CSV: 1797 rows of 64 pixel counts (0..16) and the label.
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits.csv.gz");
/// SHA-256 of [`DIGITS_CSV_GZ`], as published with the file.
pub const DIGITS_SHA256: &str = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22";
/// Number of images.
pub const ROWS: usize = 1797;

/// Decodes the embedded file (pixel counts 0..16, `max_value` 16).
pub fn load() -> Result<RawImages> {
    let mut text = String::new();
    GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .context("embedded digits.csv.gz does not decompress")?;
    parse(&text)
}

fn parse(text: &str) -> Result<RawImages> {
    let shape = ImageShape {
        channels: 1,
        height: 8,
        width: 8,
    };
    let mut pixels = Vec::with_capacity(ROWS * 64);
    let mut labels = Vec::with_capacity(ROWS);
    for (i, line) in text.lines().enumerate() {
        let values: Vec<u8> = line
            .split(',')
            .map(|v| v.trim().parse::<u8>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("digits.csv line {}: not 65 small integers", i + 1))?;
        if values.len() != 65
            || values[..64].iter().any(|&p| p > 16)
            || values[64] as usize >= CLASSES
        {
            bail!(
                "digits.csv line {}: expected 64 pixels in 0..=16 and a label in 0..=9",
                i + 1
            );
        }
        pixels.extend_from_slice(&values[..64]);
        labels.push(values[64]);
    }
    if labels.len() != ROWS {
        bail!("digits.csv has {} rows, expected {ROWS}", labels.len());
    }
    Ok(RawImages {
        shape,
        pixels,
        labels,
        max_value: 16.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::sha256_hex;

    #[test]
    fn embedded_file_is_the_published_one() {
        assert_eq!(sha256_hex(DIGITS_CSV_GZ), DIGITS_SHA256);
        let d = load().unwrap();
        assert_eq!(d.labels.len(), ROWS);
        assert_eq!(d.pixels.len(), ROWS * 64);
        // Every class is present, roughly balanced (174..183 each in this file).
        let mut counts = [0usize; CLASSES];
        d.labels.iter().for_each(|&l| counts[l as usize] += 1);
        assert!(
            counts.iter().all(|&c| (170..=185).contains(&c)),
            "{counts:?}"
        );
        // The first row of the file.
        assert_eq!(&d.pixels[..8], &[0, 0, 5, 13, 9, 1, 0, 0]);
        assert_eq!(d.labels[0], 0);
    }

    #[test]
    fn malformed_rows_are_named() {
        let err = parse("1,2,3\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
