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
    render_figure(title, x_label, rows, Layout::default())
}

/// [`render_rows`] with one legend for the whole figure, in a strip under the title, instead
/// of one inside each panel (where it can cover a point): `legend[i]` names the i-th series
/// (its colour) of every panel. Give the panels' series empty labels: a panel whose series
/// have no label draws no legend of its own. Log x axes are ticked at 1, 2 and 5 × 10^k within
/// the data (plotters' own log ticks crowd into overlapping labels within a decade).
pub fn render_rows_with_legend(
    title: &str,
    x_label: &str,
    rows: &[Vec<Panel>],
    legend: &[String],
) -> Result<(Vec<u8>, Vec<u8>)> {
    render_figure(
        title,
        x_label,
        rows,
        Layout {
            legend: Some(legend),
            round_log_ticks: true,
        },
    )
}

/// How a figure is laid out beyond its panels.
#[derive(Clone, Copy, Default)]
struct Layout<'a> {
    /// One legend for the figure, in a strip under the title (else one in each panel).
    legend: Option<&'a [String]>,
    /// Log x axes ticked at 1, 2, 5 × 10^k within the data (else plotters' log ticks).
    round_log_ticks: bool,
}

/// Height of the legend strip of [`render_rows_with_legend`], pixels.
const LEGEND_STRIP: u32 = 36;

fn render_figure(
    title: &str,
    x_label: &str,
    rows: &[Vec<Panel>],
    layout: Layout,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let strip = if layout.legend.is_some() {
        LEGEND_STRIP
    } else {
        0
    };
    let size = (SIZE.0, SIZE.1 * rows.len().max(1) as u32 + strip);
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // Fails only on a malformed font, which include_bytes! rules out.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, title, x_label, rows, layout)?;
        root.present().map_err(|e| anyhow!("SVG: {e}"))?;
    }
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = text::BearingText {
            inner: BitMapBackend::with_buffer(&mut rgb, size),
            font: FONT,
        }
        .into_drawing_area();
        draw(&root, title, x_label, rows, layout)?;
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
    layout: Layout,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let root = root
        .titled(title, ("sans-serif", 24))
        .map_err(|e| anyhow!("{e}"))?;
    let root = match layout.legend {
        Some(names) => {
            let (strip, rest) = root.split_vertically(LEGEND_STRIP);
            draw_legend_strip(&strip, names)?;
            rest
        }
        None => root,
    };
    let columns = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let areas = root.split_evenly((rows.len().max(1), columns));
    for (row, panels) in rows.iter().enumerate() {
        for (area, panel) in areas[row * columns..].iter().zip(panels) {
            draw_panel(area, x_label, panel, layout.round_log_ticks)?;
        }
    }
    Ok(())
}

/// The figure's one legend: a marker in each series' colour and its name, in a row, centred.
fn draw_legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    const ENTRY: i32 = 190;
    let width = area.dim_in_pixel().0 as i32;
    let left = (width - ENTRY * names.len() as i32).max(0) / 2;
    let y = LEGEND_STRIP as i32 / 2;
    for (i, name) in names.iter().enumerate() {
        let x = left + ENTRY * i as i32;
        let color = PALETTE[i % PALETTE.len()];
        area.draw(&Circle::new((x + 8, y), 6, color.filled()))
            .map_err(|e| anyhow!("{e}"))?;
        area.draw(&Text::new(
            name.clone(),
            (x + 22, y - 9),
            ("sans-serif", 17).into_font().color(&BLACK),
        ))
        .map_err(|e| anyhow!("{e}"))?;
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
    round_log_ticks: bool,
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
    // One arm per pair of scales (and tick rule): the coordinate types differ.
    match (panel.log_x, panel.log_y) {
        (true, false) if round_log_ticks => {
            let x = x_range.log_scale().with_key_points(round_ticks(x0, x1));
            let mut c = chart.build_cartesian_2d(x, lo..hi).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)
        }
        (true, true) if round_log_ticks => {
            let x = x_range.log_scale().with_key_points(round_ticks(x0, x1));
            // The data's own range: the axis pads it by 1.5 at each end.
            let y = (lo..hi)
                .log_scale()
                .with_key_points(round_ticks(lo * 1.5, hi / 1.5));
            let mut c = chart.build_cartesian_2d(x, y).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)
        }
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

/// The values 1, 2 and 5 × 10^k from `lo` to `hi` (positive; only the powers of ten when that
/// makes more than 12), or `lo` and `hi` themselves when none of those lies between them.
pub fn round_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut k = lo.log10().floor() as i32;
    while 10f64.powi(k) <= hi {
        for m in [1.0, 2.0, 5.0] {
            // 10^k for k < 0 is inexact: a relative slack keeps a grid value that rounding
            // moved past an end.
            let v = m * 10f64.powi(k);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                ticks.push(v);
            }
        }
        k += 1;
    }
    if ticks.len() > 12 {
        ticks.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
    }
    if ticks.is_empty() {
        ticks = vec![lo, hi];
        ticks.dedup();
    }
    ticks
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
    let labelled = panel.series.iter().any(|s| !s.label.is_empty());
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
        let drawn = chart
            .draw_series(
                s.points
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .map(|&(x, y, _)| Circle::new((x, clip(y)), 4, color.filled())),
            )
            .map_err(e)?;
        if labelled {
            drawn
                .label(&s.label)
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled()));
        }
    }
    if !labelled {
        return Ok(());
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
    fn round_ticks_are_one_two_five_within_the_data() {
        assert_eq!(
            super::round_ticks(500.0, 20_000.0),
            vec![500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0]
        );
        let small = super::round_ticks(0.03, 0.3);
        assert_eq!(small.len(), 3);
        for (t, want) in small.iter().zip([0.05, 0.1, 0.2]) {
            assert!((t - want).abs() < 1e-15, "{small:?}");
        }
        assert_eq!(super::round_ticks(1500.0, 1800.0), vec![1500.0, 1800.0]);
        assert_eq!(super::round_ticks(2000.0, 2000.0), vec![2000.0]);
        // Five decades: powers of ten only.
        assert_eq!(
            super::round_ticks(1.0, 1e5),
            vec![1.0, 10.0, 100.0, 1000.0, 1e4, 1e5]
        );
    }

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
