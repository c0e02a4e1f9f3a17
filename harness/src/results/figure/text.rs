//! The PNG's text, drawn glyph by glyph at its side bearing.
//!
//! plotters 0.3.7 rasterizes bitmap text (`ab_glyph` feature) by putting each glyph's ink at
//! the pen position, dropping the glyph's left side bearing while still advancing the pen by
//! the full advance width: a narrow glyph inside a wide advance (DejaVu's `1`, `l`) is drawn
//! at the left of its cell with a gap after it, so "SNR 10" read "SNR 1 0" and "relu2"
//! "rel u2". [`BearingText`] wraps a backend and draws text itself, each glyph's outline at
//! the pen position plus its bearing (what `ab_glyph` computes when the glyph is positioned
//! there), with plotters' own layout box, anchors and rotations; every other drawing call goes
//! to the wrapped backend unchanged. The SVG is unaffected (the viewer lays its text out).

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// A backend whose text is drawn with the embedded font at each glyph's side bearing.
pub struct BearingText<B> {
    pub inner: B,
    pub font: &'static [u8],
}

/// A font that cannot be read, as a drawing error.
#[derive(Debug)]
struct BadFont;

impl std::fmt::Display for BadFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the embedded font cannot be read")
    }
}

impl std::error::Error for BadFont {}

/// Each covered pixel of `text` set at `size`, relative to the pen's start: (x, y, coverage).
/// The vertical placement is plotters' own (half the size below the glyph's top).
pub fn glyph_pixels(font: &FontRef, size: f32, text: &str) -> Vec<(i32, i32, f32)> {
    let scaled = font.as_scaled(size);
    let mut pixels = Vec::new();
    let mut pen = 0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        prev = Some(id);
        let glyph = id.with_scale_and_position(scaled.scale(), point(pen, 0.0));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, (size / 2.0 + bounds.min.y) as i32);
            outline.draw(|x, y, c| pixels.push((x0 + x as i32, y0 + y as i32, c)));
        }
        pen += scaled.h_advance(id);
    }
    pixels
}

impl<B: DrawingBackend> DrawingBackend for BearingText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    /// plotters' default `draw_text` (layout box, anchor, rotation, clipping), with the glyphs
    /// of [`glyph_pixels`].
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let font = FontRef::try_from_slice(self.font)
            .map_err(|_| DrawingErrorKind::FontError(Box::new(BadFont)))?;
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (x, y, coverage) in glyph_pixels(&font, style.size() as f32, text) {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let c = BackendColor {
                    alpha: color.alpha * coverage as f64,
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns of `text`'s pixels with some ink.
    fn inked_columns(font: &FontRef, text: &str) -> Vec<i32> {
        let mut cols: Vec<i32> = glyph_pixels(font, 20.0, text)
            .into_iter()
            .filter(|p| p.2 > 0.3)
            .map(|p| p.0)
            .collect();
        cols.sort();
        cols.dedup();
        cols
    }

    #[test]
    fn digits_are_drawn_at_their_bearing_without_a_gap_inside_a_number() {
        let font = FontRef::try_from_slice(super::super::FONT).unwrap();
        // "10": the widest run of blank columns between the 1 and the 0 is the font's own
        // spacing (2–3 px at 20 px), not the 1's whole right side (plotters' draw left 6).
        let cols = inked_columns(&font, "10");
        let widest_gap = cols.windows(2).map(|w| w[1] - w[0] - 1).max().unwrap();
        assert!(
            widest_gap <= 3,
            "a gap of {widest_gap} px inside \"10\": {cols:?}"
        );
        // The 1's ink starts at its bearing, not at the pen's start.
        assert!(inked_columns(&font, "1")[0] >= 2);
    }
}
