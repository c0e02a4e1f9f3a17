//! Figures: two side-by-side panels (generalization error, CCE) against n/P, one colour per
//! noise level, measurements as points with standard-error bars and theory as lines, written
//! as SVG and PNG. Text uses the DejaVu Sans font embedded in the binary, so PNGs render the
//! same on any machine without system fonts; the PNG's text is drawn by [`text`] (plotters
//! drops each glyph's side bearing). Tick labels never read `-0.0` ([`tick_label`]).

pub mod accuracy;
pub mod experiment;
pub mod text;

use anyhow::{anyhow, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// One noise level's measured points and, where it exists, its theory curve.
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    /// (x, mean, standard error); NaN standard errors draw no bar.
    pub points: Vec<(f64, f64, f64)>,
    /// Theory curve; NaN values break the line (e.g. at the threshold).
    pub theory: Vec<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    /// Where the legend goes, e.g. `SeriesLabelPosition::UpperRight`.
    pub legend: SeriesLabelPosition,
    pub y_label: String,
    /// A log scale for n/P: a comparison's networks sit at n/P ranges a decade apart.
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0xe7, 0x29, 0x8a),
    RGBColor(0x66, 0xa6, 0x1e),
    RGBColor(0xe6, 0xab, 0x02),
    RGBColor(0xa6, 0x76, 0x1d),
    RGBColor(0x44, 0x44, 0x44),
];

pub const SIZE: (u32, u32) = (1400, 560);

/// Renders the figure as (SVG bytes, PNG bytes).
pub fn render(title: &str, x_label: &str, panels: &[Panel]) -> Result<(Vec<u8>, Vec<u8>)> {
    render_rows(title, x_label, &[panels.to_vec()])
}

/// Renders rows of panels (one row per `sweep.over` combination), each row as high as a
/// one-row figure, as (SVG bytes, PNG bytes).
pub fn render_rows(title: &str, x_label: &str, rows: &[Vec<Panel>]) -> Result<(Vec<u8>, Vec<u8>)> {
    let size = (SIZE.0, SIZE.1 * rows.len().max(1) as u32);
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // Fails only on a malformed font, which include_bytes! rules out.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, title, x_label, rows)?;
        root.present().map_err(|e| anyhow!("SVG: {e}"))?;
    }
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = text::BearingText {
            inner: BitMapBackend::with_buffer(&mut rgb, size),
            font: FONT,
        }
        .into_drawing_area();
        draw(&root, title, x_label, rows)?;
        root.present().map_err(|e| anyhow!("PNG: {e}"))?;
    }
    let image =
        image::RgbImage::from_raw(size.0, size.1, rgb).ok_or_else(|| anyhow!("PNG buffer size"))?;
    let mut png = Vec::new();
    image.write_to(
        &mut std::io::Cursor::new(&mut png),
        image::ImageOutputFormat::Png,
    )?;
    Ok((svg.into_bytes(), png))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    rows: &[Vec<Panel>],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let root = root
        .titled(title, ("sans-serif", 24))
        .map_err(|e| anyhow!("{e}"))?;
    let columns = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let areas = root.split_evenly((rows.len().max(1), columns));
    for (row, panels) in rows.iter().enumerate() {
        for (area, panel) in areas[row * columns..].iter().zip(panels) {
            draw_panel(area, x_label, panel)?;
        }
    }
    Ok(())
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_label: &str,
    panel: &Panel,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{err}");
    let points = || panel.series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = finite_range(points().map(|p| p.0).filter(|x| !panel.log_x || *x > 0.0))
        .unwrap_or((0.1, 1.0));
    let x_range = if panel.log_x {
        x0 / 1.15..x1 * 1.15
    } else {
        (x0 - 0.05 * (x1 - x0)).max(0.0)..(x1 + 0.05 * (x1 - x0))
    };
    let lows = points().map(|p| p.1 - if p.2.is_finite() { p.2 } else { 0.0 });
    let highs = points().map(|p| p.1 + if p.2.is_finite() { p.2 } else { 0.0 });
    let (lo, _) = finite_range(lows.filter(|v| !panel.log_y || *v > 0.0)).unwrap_or((0.1, 1.0));
    let (_, hi) = finite_range(highs).unwrap_or((0.1, 1.0));
    let (lo, hi, floor) = if panel.log_y {
        (lo.max(1e-6) / 1.5, hi * 1.5, lo.max(1e-6) / 1.5)
    } else {
        let pad = 0.08 * (hi - lo).max(1e-3);
        (lo - pad, hi + pad, f64::NEG_INFINITY)
    };
    let clip = |y: f64| y.clamp(lo, hi);
    let mut chart = ChartBuilder::on(area);
    chart
        .caption(&panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70);
    // One arm per pair of scales: the coordinate types differ.
    match (panel.log_x, panel.log_y) {
        (false, false) => {
            let mut c = chart.build_cartesian_2d(x_range, lo..hi).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)
        }
        (false, true) => {
            let mut c = chart
                .build_cartesian_2d(x_range, (lo..hi).log_scale())
                .map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)
        }
        (true, false) => {
            let mut c = chart
                .build_cartesian_2d(x_range.log_scale(), lo..hi)
                .map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)
        }
        (true, true) => {
            let mut c = chart
                .build_cartesian_2d(x_range.log_scale(), (lo..hi).log_scale())
                .map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)
        }
    }
}

/// A tick label: the value with as many decimals as a tick spacing of `step` needs (a linear
/// axis: a tenth of its span, as plotters picks at most about ten ticks; a log axis: the
/// value itself), and `0` never signed: a tick at −1e-17 reads `0.0`, not `-0.0`.
pub fn tick_label(v: f64, step: f64) -> String {
    let step = step.abs().max(f64::MIN_POSITIVE);
    let decimals = (-step.log10().floor()).clamp(0.0, 12.0) as usize;
    let text = format!("{v:.decimals$}");
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| matches!(c, '0' | '.')) => rest.to_string(),
        _ => text,
    }
}

/// Axes, the series and the legend of one panel; `clip` keeps values inside the y range and
/// `floor` is the lowest error-bar end (the axis minimum on a log scale).
fn decorate<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_label: &str,
    panel: &Panel,
    clip: impl Fn(f64) -> f64,
    floor: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{err}");
    let (xs, ys) = (chart.x_range(), chart.y_range());
    let (x_span, y_span) = (xs.end - xs.start, ys.end - ys.start);
    let x_fmt = |v: &f64| tick_label(*v, if panel.log_x { *v } else { x_span / 10.0 });
    let y_fmt = |v: &f64| tick_label(*v, if panel.log_y { *v } else { y_span / 10.0 });
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(&panel.y_label)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    for (i, s) in panel.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        for segment in s.theory.split(|p| !p.1.is_finite()) {
            if segment.len() >= 2 {
                chart
                    .draw_series(LineSeries::new(
                        segment.iter().map(|&(x, y)| (x, clip(y))),
                        color.stroke_width(2),
                    ))
                    .map_err(e)?;
            }
        }
        chart
            .draw_series(
                s.points
                    .iter()
                    .filter(|p| p.2.is_finite() && p.1.is_finite())
                    .map(|&(x, y, se)| {
                        ErrorBar::new_vertical(
                            x,
                            clip((y - se).max(floor)),
                            clip(y),
                            clip(y + se),
                            color.stroke_width(1),
                            6,
                        )
                    }),
            )
            .map_err(e)?;
        chart
            .draw_series(
                s.points
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .map(|&(x, y, _)| Circle::new((x, clip(y)), 4, color.filled())),
            )
            .map_err(e)?
            .label(&s.label)
            .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 15))
        .position(panel.legend.clone())
        .draw()
        .map_err(e)
}

#[cfg(test)]
mod tests {
    use super::tick_label;

    #[test]
    fn tick_labels_have_the_spacing_s_decimals_and_no_signed_zero() {
        assert_eq!(tick_label(-1e-17, 0.2), "0.0");
        assert_eq!(tick_label(-0.0, 0.2), "0.0");
        assert_eq!(tick_label(-0.4, 0.2), "-0.4");
        assert_eq!(tick_label(0.1, 0.1), "0.1");
        assert_eq!(tick_label(10.0, 10.0), "10");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
        assert_eq!(tick_label(3.0, 0.5), "3.0");
    }
}
