//! Decoding the Hugging Face Hub's image data sets: parquet files with one row per image, an
//! image column holding a struct `{bytes: binary, path: string}` whose bytes are a PNG file,
//! and an integer `label` column (`ylecun/mnist`: `image`, `label`; `uoft-cs/cifar10`: `img`,
//! `label`). The image column is found by its struct shape, so either name works.
//!
//! Read with the pure-Rust `parquet` crate (record API, snappy only: what the hub writes) and
//! decoded with the `image` crate's PNG decoder; nothing links a C library.

use super::{ImageShape, RawImages, CLASSES};
use anyhow::{anyhow, bail, Context, Result};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use std::path::Path;

/// Reads every row of a hub parquet file as an image of `shape` and its label.
pub fn read_parquet_images(path: &Path, shape: ImageShape) -> Result<RawImages> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = SerializedFileReader::new(file)
        .with_context(|| format!("{} is not a parquet file", path.display()))?;
    let rows = reader.metadata().file_metadata().num_rows().max(0) as usize;
    let mut pixels = Vec::with_capacity(rows * shape.len());
    let mut labels = Vec::with_capacity(rows);
    let iter = reader
        .get_row_iter(None)
        .with_context(|| format!("cannot read rows of {}", path.display()))?;
    for (i, row) in iter.enumerate() {
        let row = row.with_context(|| format!("{} row {i}", path.display()))?;
        let (png, label) = image_and_label(&row)
            .with_context(|| format!("{} row {i}: unexpected columns", path.display()))?;
        decode_png(png, shape, &mut pixels)
            .with_context(|| format!("{} row {i}: bad image", path.display()))?;
        labels.push(label);
    }
    Ok(RawImages {
        shape,
        pixels,
        labels,
        max_value: 255.0,
    })
}

/// The PNG bytes and the label of one row.
fn image_and_label(row: &Row) -> Result<(&[u8], u8)> {
    let mut png = None;
    let mut label = None;
    for (name, field) in row.get_column_iter() {
        match field {
            Field::Group(group) => {
                for (inner, value) in group.get_column_iter() {
                    if let (true, Field::Bytes(b)) = (inner == "bytes", value) {
                        png = Some(b.data());
                    }
                }
            }
            _ if name == "label" => {
                let value: i64 = match field {
                    Field::Byte(v) => *v as i64,
                    Field::Short(v) => *v as i64,
                    Field::Int(v) => *v as i64,
                    Field::Long(v) => *v,
                    Field::UByte(v) => *v as i64,
                    Field::UShort(v) => *v as i64,
                    Field::UInt(v) => *v as i64,
                    other => bail!("label is not an integer: {other}"),
                };
                if !(0..CLASSES as i64).contains(&value) {
                    bail!("label {value} is not a class 0..{}", CLASSES - 1);
                }
                label = Some(value as u8);
            }
            _ => {}
        }
    }
    Ok((
        png.ok_or_else(|| anyhow!("no image column (a struct with `bytes`)"))?,
        label.ok_or_else(|| anyhow!("no integer `label` column"))?,
    ))
}

/// Decodes one PNG of `shape` and appends its pixels, channel first.
fn decode_png(bytes: &[u8], shape: ImageShape, out: &mut Vec<u8>) -> Result<()> {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    if (h, w) != (shape.height, shape.width) {
        bail!(
            "image is {w}×{h}, expected {}×{}",
            shape.width,
            shape.height
        );
    }
    match shape.channels {
        1 => out.extend_from_slice(img.to_luma8().as_raw()),
        3 => {
            let rgb = img.to_rgb8();
            let raw = rgb.as_raw();
            for c in 0..3 {
                out.extend(raw.iter().skip(c).step_by(3));
            }
        }
        c => bail!("{c} channels are not supported"),
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    /// Encodes one image (channel first) as PNG, as the hub stores it.
    fn png_bytes(pixels: &[u8], shape: ImageShape) -> Vec<u8> {
        let (w, h) = (shape.width as u32, shape.height as u32);
        let img = if shape.channels == 1 {
            image::DynamicImage::ImageLuma8(
                image::GrayImage::from_raw(w, h, pixels.to_vec()).unwrap(),
            )
        } else {
            let plane = shape.height * shape.width;
            let interleaved: Vec<u8> = (0..plane)
                .flat_map(|i| (0..3).map(move |c| pixels[c * plane + i]))
                .collect();
            image::DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, interleaved).unwrap())
        };
        let mut out = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageOutputFormat::Png,
        )
        .unwrap();
        out
    }

    /// Writes images in the hub's layout: optional struct `<column> {bytes, path}` and an
    /// optional int64 `label`, snappy-compressed, as `datasets` writes them.
    pub(crate) fn write_parquet_images(path: &Path, images: &RawImages, column: &str) {
        let schema = parse_message_type(&format!(
            "message schema {{
                optional group {column} {{
                    optional binary bytes;
                    optional binary path (STRING);
                }}
                optional int64 label;
            }}"
        ))
        .unwrap();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut writer =
            SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props)).unwrap();
        let n = images.labels.len();
        let d = images.shape.len();
        let pngs: Vec<ByteArray> = (0..n)
            .map(|i| ByteArray::from(png_bytes(&images.pixels[i * d..(i + 1) * d], images.shape)))
            .collect();
        let mut group = writer.next_row_group().unwrap();
        // image.bytes: present (definition level 2).
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&pngs, Some(&vec![2; n]), None)
            .unwrap();
        col.close().unwrap();
        // image.path: null inside a present struct (definition level 1).
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&[], Some(&vec![1; n]), None)
            .unwrap();
        col.close().unwrap();
        let labels: Vec<i64> = images.labels.iter().map(|&l| l as i64).collect();
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<Int64Type>()
            .write_batch(&labels, Some(&vec![1; n]), None)
            .unwrap();
        col.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn bad_labels_and_sizes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let shape = ImageShape {
            channels: 1,
            height: 4,
            width: 4,
        };
        let path = dir.path().join("x.parquet");
        let images = RawImages {
            shape,
            pixels: vec![7; 32],
            labels: vec![3, 12],
            max_value: 255.0,
        };
        write_parquet_images(&path, &images, "image");
        let err = format!("{:#}", read_parquet_images(&path, shape).unwrap_err());
        assert!(err.contains("row 1") && err.contains("label 12"), "{err}");
        let bigger = ImageShape {
            height: 5,
            width: 5,
            ..shape
        };
        let err = format!("{:#}", read_parquet_images(&path, bigger).unwrap_err());
        assert!(err.contains("row 0") && err.contains("4×4"), "{err}");
    }
}
