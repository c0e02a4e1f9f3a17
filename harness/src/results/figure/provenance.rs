//! Where a figure came from: the manifest's hash, its seed and the command line's `--set`
//! overrides. Shown under the figure's title ([`Provenance::line`]) and written into both
//! files as metadata, so that a figure copied out of its results folder still names its run:
//! an SVG `<metadata>` element ([`svg_with`]) and PNG `tEXt` chunks, plus the title as an
//! `iTXt` chunk (UTF-8) ([`png_with`]). [`png_text`] reads the chunks back.
//!
//! Nothing here depends on the machine, the path or the time: a figure stays a pure function
//! of its manifest and results, so reruns and shard runs write the same bytes.

use anyhow::{ensure, Result};

/// The manifest behind a figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// The experiment's SHA-256 (`harness hash`).
    pub manifest_sha256: String,
    pub seed: u64,
    /// The `--set key=value` that changed the manifest file's values, as given (`--seed N` as
    /// `seed=N`).
    pub overrides: Vec<String>,
}

impl Provenance {
    /// `manifest sha256 9bae2b314902…, seed 20261201, no --set overrides`.
    pub fn line(&self) -> String {
        let hash = &self.manifest_sha256[..12.min(self.manifest_sha256.len())];
        format!(
            "manifest sha256 {hash}…, seed {}, {}",
            self.seed,
            self.overrides_text()
        )
    }

    fn overrides_text(&self) -> String {
        if self.overrides.is_empty() {
            "no --set overrides".to_string()
        } else {
            format!("--set {}", self.overrides.join(" --set "))
        }
    }

    /// (key, value) pairs of the metadata, in a fixed order.
    fn fields(&self) -> [(&'static str, String); 3] {
        [
            ("harness:manifest_sha256", self.manifest_sha256.clone()),
            ("harness:seed", self.seed.to_string()),
            ("harness:overrides", self.overrides_text()),
        ]
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG with a `<metadata>` element (the title and the provenance) right after its opening
/// `<svg …>` tag.
pub fn svg_with(svg: &str, title: &str, p: &Provenance) -> String {
    let Some(open) = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
    else {
        return svg.to_string();
    };
    let mut meta = String::from("\n<metadata>\n");
    meta.push_str(&format!("<title>{}</title>\n", xml_escape(title)));
    for (k, v) in p.fields() {
        let tag = k.replace(':', "-");
        meta.push_str(&format!("<{tag}>{}</{tag}>\n", xml_escape(&v)));
    }
    meta.push_str("</metadata>");
    format!("{}{meta}{}", &svg[..open], &svg[open..])
}

/// CRC-32 (ISO-HDLC, PNG's) of `bytes`.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// tEXt holds Latin-1; anything else is written as `\u{…}`.
fn latin1(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) if b != 0 => out.push(b),
            _ => out.extend_from_slice(format!("\\u{{{:x}}}", u32::from(c)).as_bytes()),
        }
    }
    out
}

/// The PNG with `tEXt` chunks of the provenance and an `iTXt` chunk of the title, right after
/// its header chunk.
pub fn png_with(png: &[u8], title: &str, p: &Provenance) -> Result<Vec<u8>> {
    const IHDR_END: usize = 8 + 4 + 4 + 13 + 4;
    ensure!(
        png.len() > IHDR_END && &png[12..16] == b"IHDR",
        "not a PNG with its header first"
    );
    let mut out = png[..IHDR_END].to_vec();
    let mut title_data = b"Title\0\0\0\0\0".to_vec();
    title_data.extend_from_slice(title.as_bytes());
    out.extend(chunk(b"iTXt", &title_data));
    for (k, v) in p.fields() {
        let mut data = k.as_bytes().to_vec();
        data.push(0);
        data.extend(latin1(&v));
        out.extend(chunk(b"tEXt", &data));
    }
    out.extend_from_slice(&png[IHDR_END..]);
    Ok(out)
}

/// The (keyword, text) of every `tEXt` and uncompressed `iTXt` chunk of a PNG, in file order;
/// an error on a chunk whose CRC does not match.
pub fn png_text(png: &[u8]) -> Result<Vec<(String, String)>> {
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into()?) as usize;
        ensure!(at + 12 + len <= png.len(), "a chunk runs past the end");
        let body = &png[at + 4..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into()?);
        ensure!(crc == crc32(body), "chunk at byte {at}: CRC mismatch");
        let (kind, data) = body.split_at(4);
        let text = |d: &[u8]| String::from_utf8_lossy(d).into_owned();
        match kind {
            b"tEXt" => {
                if let Some(z) = data.iter().position(|&b| b == 0) {
                    out.push((
                        text(&data[..z]),
                        data[z + 1..].iter().map(|&b| b as char).collect(),
                    ));
                }
            }
            b"iTXt" => {
                let mut parts = data.splitn(2, |&b| b == 0);
                let key = text(parts.next().unwrap_or_default());
                let rest = parts.next().unwrap_or_default();
                // Compression flag and method, then the language tag and translated keyword.
                if rest.len() >= 2 && rest[0] == 0 {
                    let mut tail = rest[2..].splitn(3, |&b| b == 0);
                    let (_, _, value) = (tail.next(), tail.next(), tail.next());
                    out.push((key, text(value.unwrap_or_default())));
                }
            }
            _ => {}
        }
        at += 12 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provenance() -> Provenance {
        Provenance {
            manifest_sha256: "9bae2b3149026590b0d6e2dfd443ac1f6329365a897e65265327204bd9bc5437"
                .into(),
            seed: 20261201,
            overrides: vec!["sweep.snr=[1,20]".into(), "model.width=5".into()],
        }
    }

    #[test]
    fn crc32_is_png_s() {
        // The CRC of an IEND chunk's type, which every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn the_png_keeps_its_pixels_and_carries_the_provenance() {
        let image =
            image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8 * 60, y as u8 * 90, 7]));
        let mut png = Vec::new();
        image
            .write_to(
                &mut std::io::Cursor::new(&mut png),
                image::ImageOutputFormat::Png,
            )
            .unwrap();
        let tagged = png_with(&png, "fig2_relu: a × b ≤ 0", &provenance()).unwrap();
        let decoded = image::load_from_memory(&tagged).unwrap().to_rgb8();
        assert_eq!(decoded, image);
        let text = png_text(&tagged).unwrap();
        assert_eq!(
            text,
            vec![
                ("Title".to_string(), "fig2_relu: a × b ≤ 0".to_string()),
                (
                    "harness:manifest_sha256".to_string(),
                    provenance().manifest_sha256
                ),
                ("harness:seed".to_string(), "20261201".to_string()),
                (
                    "harness:overrides".to_string(),
                    "--set sweep.snr=[1,20] --set model.width=5".to_string()
                ),
            ]
        );
        // A flipped byte inside a chunk is caught by its CRC.
        let mut bad = tagged.clone();
        bad[40] ^= 1;
        assert!(png_text(&bad).is_err());
        assert!(png_with(b"not a png", "t", &provenance()).is_err());
    }

    #[test]
    fn the_svg_carries_the_provenance_in_metadata_after_its_opening_tag() {
        let svg = "<svg width=\"10\" height=\"10\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect/>\n</svg>\n";
        let tagged = svg_with(svg, "a < b & c", &provenance());
        let meta_at = tagged.find("<metadata>").unwrap();
        assert!(meta_at > tagged.find("<svg").unwrap() && meta_at < tagged.find("<rect").unwrap());
        assert!(
            tagged.contains("<title>a &lt; b &amp; c</title>"),
            "{tagged}"
        );
        assert!(tagged.contains(&format!(
            "<harness-manifest_sha256>{}</harness-manifest_sha256>",
            provenance().manifest_sha256
        )));
        assert!(tagged.contains("<harness-seed>20261201</harness-seed>"));
        assert!(tagged.ends_with("<rect/>\n</svg>\n"));
        assert_eq!(
            provenance().line(),
            "manifest sha256 9bae2b314902…, seed 20261201, --set sweep.snr=[1,20] --set \
             model.width=5"
        );
    }
}
