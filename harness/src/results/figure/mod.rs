//! Figures: rows of side-by-side panels (generalization error, CCE) against n/P, one colour
//! per noise level, measurements as points with standard-error bars and theory as lines,
//! written as SVG and PNG. Text uses the DejaVu Sans font embedded in the binary, so PNGs
//! render the same on any machine without system fonts; the PNG's text is drawn by [`text`]
//! (plotters drops each glyph's side bearing). Tick labels never read `-0.0` ([`tick_label`]).
//!
//! What keeps a figure from misleading, whatever its data:
//! - each panel's legend sits in a strip of its own beside the plot, never over a point;
//! - a panel of a quantity with a known upper bound ([`Bound`]: the CCE is ≤ 0) draws the
//!   bound as a dashed line inside its y range, and rings in red each point above it by more
//!   than the bound's margin, with a legend entry saying what the ring means;
//! - the panels of one column share their y range across rows (a `sweep.over` figure's rows
//!   can be compared by eye);
//! - the figure says where it came from: the manifest's hash, seed and `--set` overrides under
//!   its title, and again as metadata ([`provenance`]: SVG `<metadata>`, PNG `tEXt` chunks).

pub mod accuracy;
pub mod experiment;
pub mod provenance;
pub mod text;

use anyhow::{anyhow, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
pub use provenance::Provenance;
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

/// An upper bound on the true value of a panel's quantity (the CCE is ≤ 0, SPEC §4): drawn as
/// a dashed line, and a point whose mean lies above it by more than `margin_se` standard
/// errors ([`Bound::exceeded_by`]) is ringed. The one rule for "above the possible range": the
/// run's warning ([`crate::results::warnings`]) applies the same.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub margin_se: f64,
    /// The legend's words for the line, e.g. `CCE = 0: the most it can be`.
    pub label: &'static str,
}

impl Bound {
    /// Whether a point of this mean and standard error lies above the bound beyond the margin
    /// (a NaN standard error, one replica: any mean above it).
    pub fn exceeded_by(&self, mean: f64, se: f64) -> bool {
        let se = if se.is_finite() { se } else { 0.0 };
        mean > self.value && mean - self.value > self.margin_se * se
    }
}

#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub y_label: String,
    /// A log scale for n/P: a comparison's networks sit at n/P ranges a decade apart.
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
    /// The quantity's upper bound, if it has one.
    pub bound: Option<Bound>,
    /// How to read the panel, printed under its legend (e.g. why a pair's two directions sit
    /// at different x).
    pub note: Option<String>,
}

/// A whole figure: its title, the x axis shared by every panel, rows of panels, and where it
/// came from.
#[derive(Clone, Debug)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub rows: Vec<Vec<Panel>>,
    pub provenance: Option<Provenance>,
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

/// The provenance line's colour.
const GRAY_TEXT: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// The ring around a point above its bound.
const FLAG: RGBColor = RGBColor(0xcc, 0x00, 0x00);

/// Width and height of one row of panels, for rows of up to two panels; a row of more panels
/// widens the figure by half this width a panel, so that each panel keeps its plot beside
/// its legend strip.
pub const SIZE: (u32, u32) = (1640, 560);

/// Width of each panel's legend strip, right of its plot.
const LEGEND_WIDTH: u32 = 250;

/// Height of the title band (title, provenance line) above the rows.
const TITLE_HEIGHT: u32 = 58;

/// Renders one row of panels without provenance as (SVG bytes, PNG bytes).
pub fn render(title: &str, x_label: &str, panels: &[Panel]) -> Result<(Vec<u8>, Vec<u8>)> {
    render_figure(&Figure {
        title: title.to_string(),
        x_label: x_label.to_string(),
        rows: vec![panels.to_vec()],
        provenance: None,
    })
}

/// Renders a figure, each row as high as a one-row figure, as (SVG bytes, PNG bytes); its
/// provenance goes under the title and into both files' metadata.
pub fn render_figure(figure: &Figure) -> Result<(Vec<u8>, Vec<u8>)> {
    let rows = figure.rows.len().max(1) as u32;
    let columns = figure.rows.iter().map(Vec::len).max().unwrap_or(1).max(2) as u32;
    let size = (SIZE.0 / 2 * columns, SIZE.1 * rows);
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // Fails only on a malformed font, which include_bytes! rules out.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, figure)?;
        root.present().map_err(|e| anyhow!("SVG: {e}"))?;
    }
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = text::BearingText {
            inner: BitMapBackend::with_buffer(&mut rgb, size),
            font: FONT,
        }
        .into_drawing_area();
        draw(&root, figure)?;
        root.present().map_err(|e| anyhow!("PNG: {e}"))?;
    }
    let image =
        image::RgbImage::from_raw(size.0, size.1, rgb).ok_or_else(|| anyhow!("PNG buffer size"))?;
    let mut png = Vec::new();
    image.write_to(
        &mut std::io::Cursor::new(&mut png),
        image::ImageOutputFormat::Png,
    )?;
    match &figure.provenance {
        Some(p) => Ok((
            provenance::svg_with(&svg, &figure.title, p).into_bytes(),
            provenance::png_with(&png, &figure.title, p)?,
        )),
        None => Ok((svg.into_bytes(), png)),
    }
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{err}");
    root.fill(&WHITE).map_err(e)?;
    let (head, body) = root.split_vertically(TITLE_HEIGHT);
    let (width, _) = head.dim_in_pixel();
    let centered = |size: u32, color: &'static RGBColor| {
        TextStyle::from(("sans-serif", size).into_font())
            .color(color)
            .pos(Pos::new(HPos::Center, VPos::Top))
    };
    head.draw(&Text::new(
        figure.title.clone(),
        (width as i32 / 2, 6),
        centered(24, &BLACK),
    ))
    .map_err(e)?;
    if let Some(p) = &figure.provenance {
        head.draw(&Text::new(
            p.line(),
            (width as i32 / 2, 36),
            centered(14, &GRAY_TEXT),
        ))
        .map_err(e)?;
    }
    let rows = &figure.rows;
    let columns = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let areas = body.split_evenly((rows.len().max(1), columns));
    let shared = shared_y(rows, columns);
    for (row, panels) in rows.iter().enumerate() {
        for (c, (area, panel)) in areas[row * columns..].iter().zip(panels).enumerate() {
            draw_panel(area, &figure.x_label, panel, shared[c])?;
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

/// One y extent per column, over every row: the rows of a sweep compare by eye.
fn shared_y(rows: &[Vec<Panel>], columns: usize) -> Vec<Option<(f64, f64)>> {
    (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .filter_map(y_extent)
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
        })
        .collect()
}

/// The data's y extent of a panel (points with their bars, the bound; theory curves are
/// clipped to it), before padding; positive values only on a log scale.
fn y_extent(panel: &Panel) -> Option<(f64, f64)> {
    let points = || panel.series.iter().flat_map(|s| s.points.iter());
    let bar = |p: &(f64, f64, f64)| if p.2.is_finite() { p.2 } else { 0.0 };
    let lows = points().map(|p| p.1 - bar(p));
    let highs = points().map(|p| p.1 + bar(p));
    let bound = panel.bound.map(|b| b.value);
    let (lo, _) = finite_range(lows.chain(bound).filter(|v| !panel.log_y || *v > 0.0))?;
    let (_, hi) = finite_range(highs.chain(bound))?;
    Some((lo, hi))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_label: &str,
    panel: &Panel,
    y_range: Option<(f64, f64)>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{err}");
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    let points = || panel.series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = finite_range(points().map(|p| p.0).filter(|x| !panel.log_x || *x > 0.0))
        .unwrap_or((0.1, 1.0));
    let x_range = if panel.log_x {
        x0 / 1.15..x1 * 1.15
    } else {
        (x0 - 0.05 * (x1 - x0)).max(0.0)..(x1 + 0.05 * (x1 - x0))
    };
    let (lo, hi) = y_range.or_else(|| y_extent(panel)).unwrap_or((0.1, 1.0));
    let (lo, hi, floor) = if panel.log_y {
        (lo.max(1e-6) / 1.5, hi * 1.5, lo.max(1e-6) / 1.5)
    } else {
        let pad = 0.08 * (hi - lo).max(1e-3);
        (lo - pad, hi + pad, f64::NEG_INFINITY)
    };
    let clip = |y: f64| y.clamp(lo, hi);
    let mut chart = ChartBuilder::on(&plot);
    chart
        .caption(&panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70);
    // One arm per pair of scales: the coordinate types differ.
    let flagged = match (panel.log_x, panel.log_y) {
        (false, false) => {
            let mut c = chart.build_cartesian_2d(x_range, lo..hi).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)?
        }
        // Log axes are ticked at 1, 2 and 5 × 10^k within the data ([`round_ticks`]; plotters'
        // own log ticks crowd into overlapping labels within a decade); the y axis pads the
        // data's range by 1.5 at each end.
        (false, true) => {
            let y = (lo..hi)
                .log_scale()
                .with_key_points(round_ticks(lo * 1.5, hi / 1.5));
            let mut c = chart.build_cartesian_2d(x_range, y).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)?
        }
        (true, false) => {
            let x = x_range.log_scale().with_key_points(round_ticks(x0, x1));
            let mut c = chart.build_cartesian_2d(x, lo..hi).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)?
        }
        (true, true) => {
            let x = x_range.log_scale().with_key_points(round_ticks(x0, x1));
            let y = (lo..hi)
                .log_scale()
                .with_key_points(round_ticks(lo * 1.5, hi / 1.5));
            let mut c = chart.build_cartesian_2d(x, y).map_err(e)?;
            decorate(&mut c, x_label, panel, clip, floor)?
        }
    };
    draw_legend(&legend, panel, flagged)
}

/// The legend strip: one entry per series, then what the lines, the bound and the rings
/// mean (each only where the panel has one), then the panel's note, wrapped.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    flagged: usize,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{err}");
    let style = |size: u32| {
        TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(HPos::Left, VPos::Center))
    };
    let (x, text_x, step) = (8, 40, 22);
    let mut y = 60;
    let entry = |area: &DrawingArea<DB, Shift>, label: &str, y: &mut i32| -> Result<()> {
        area.draw(&Text::new(label.to_string(), (text_x, *y), style(15)))
            .map_err(e)?;
        *y += step;
        Ok(())
    };
    for (i, s) in panel.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        area.draw(&Circle::new((x + 12, y), 5, color.filled()))
            .map_err(e)?;
        entry(area, &s.label, &mut y)?;
    }
    y += 6;
    let gray = RGBColor(0x44, 0x44, 0x44);
    if panel.series.iter().any(|s| s.theory.len() >= 2) {
        area.draw(&PathElement::new(
            vec![(x, y), (x + 24, y)],
            gray.stroke_width(2),
        ))
        .map_err(e)?;
        entry(area, "lines: theory (SPEC §5)", &mut y)?;
    }
    if let Some(b) = panel.bound {
        area.draw(&DashedPathElement::new(
            vec![(x, y), (x + 24, y)],
            5,
            4,
            BLACK.stroke_width(2),
        ))
        .map_err(e)?;
        entry(area, b.label, &mut y)?;
        if flagged > 0 {
            area.draw(&Circle::new((x + 12, y), 8, FLAG.stroke_width(2)))
                .map_err(e)?;
            entry(area, &format!("above it by > {} SE:", b.margin_se), &mut y)?;
            entry(area, &format!("{flagged} point(s), estimator bias"), &mut y)?;
        }
    }
    if let Some(note) = &panel.note {
        y += 6;
        for line in wrap(note, 30) {
            area.draw(&Text::new(line, (x, y), style(13))).map_err(e)?;
            y += 18;
        }
    }
    Ok(())
}

/// `text` in lines of at most `width` characters, broken at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
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

/// Axes, the bound, the series and the rings of one panel; `clip` keeps values inside the y
/// range and `floor` is the lowest error-bar end (the axis minimum on a log scale). Returns
/// how many points were ringed as above the bound.
fn decorate<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_label: &str,
    panel: &Panel,
    clip: impl Fn(f64) -> f64,
    floor: f64,
) -> Result<usize>
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
    if let Some(b) = panel.bound {
        chart
            .draw_series(DashedLineSeries::new(
                [(xs.start, b.value), (xs.end, b.value)],
                8,
                5,
                BLACK.stroke_width(2),
            ))
            .map_err(e)?;
    }
    let mut flagged = 0;
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
            .map_err(e)?;
        let above: Vec<(f64, f64)> = match panel.bound {
            Some(b) => s
                .points
                .iter()
                .filter(|p| b.exceeded_by(p.1, p.2))
                .map(|&(x, y, _)| (x, clip(y)))
                .collect(),
            None => Vec::new(),
        };
        flagged += above.len();
        chart
            .draw_series(
                above
                    .into_iter()
                    .map(|p| Circle::new(p, 8, FLAG.stroke_width(2))),
            )
            .map_err(e)?;
    }
    Ok(flagged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_ticks_are_one_two_five_within_the_data() {
        assert_eq!(
            round_ticks(500.0, 20_000.0),
            vec![500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0]
        );
        let small = round_ticks(0.03, 0.3);
        assert_eq!(small.len(), 3);
        for (t, want) in small.iter().zip([0.05, 0.1, 0.2]) {
            assert!((t - want).abs() < 1e-15, "{small:?}");
        }
        assert_eq!(round_ticks(1500.0, 1800.0), vec![1500.0, 1800.0]);
        assert_eq!(round_ticks(2000.0, 2000.0), vec![2000.0]);
        // Five decades: powers of ten only.
        assert_eq!(
            round_ticks(1.0, 1e5),
            vec![1.0, 10.0, 100.0, 1000.0, 1e4, 1e5]
        );
    }

    fn panel(points: Vec<(f64, f64, f64)>, bound: Option<Bound>) -> Panel {
        Panel {
            title: "t".into(),
            y_label: "y".into(),
            log_x: false,
            log_y: false,
            series: vec![Series {
                label: "SNR 1".into(),
                points,
                theory: Vec::new(),
            }],
            bound,
            note: None,
        }
    }

    const BOUND: Bound = Bound {
        value: 0.0,
        margin_se: 2.0,
        label: "CCE = 0, its upper bound",
    };

    /// The numbers of attribute `name` of each `<tag …>` of an SVG whose text contains
    /// `with`.
    fn attributes(svg: &str, tag: &str, with: &str, name: &str) -> Vec<f64> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter(|t| t.split('>').next().unwrap_or_default().contains(with))
            .filter_map(|t| {
                let (_, rest) = t.split_once(&format!("{name}=\""))?;
                rest.split('"').next()?.parse().ok()
            })
            .collect()
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

    #[test]
    fn a_point_is_above_its_bound_only_beyond_the_margin() {
        assert!(BOUND.exceeded_by(0.3, 0.1));
        assert!(!BOUND.exceeded_by(0.19, 0.1), "within 2 SE");
        assert!(!BOUND.exceeded_by(-0.5, 0.1));
        assert!(
            BOUND.exceeded_by(0.01, f64::NAN),
            "one replica: any positive mean"
        );
        assert!(!BOUND.exceeded_by(0.0, f64::NAN));
    }

    /// The bound is inside the y range even when every point is far below it, and the rows
    /// of a figure share each column's range.
    #[test]
    fn the_y_range_holds_the_bound_and_is_shared_down_each_column() {
        let low = panel(vec![(1.0, -1.0, 0.1), (2.0, -0.6, 0.1)], Some(BOUND));
        assert_eq!(y_extent(&low), Some((-1.1, 0.0)));
        let plain = panel(vec![(1.0, -1.0, 0.1), (2.0, -0.6, 0.1)], None);
        assert_eq!(y_extent(&plain), Some((-1.1, -0.5)));
        let high = panel(vec![(1.0, 1.5, 0.1)], Some(BOUND));
        let other = panel(vec![(1.0, 7.0, 1.0)], None);
        let rows = vec![vec![low.clone(), other.clone()], vec![high, plain]];
        let shared = shared_y(&rows, 2);
        assert_eq!(shared[0], Some((-1.1, 1.6)));
        assert_eq!(shared[1], Some((-1.1, 8.0)));
    }

    /// A row of more than two panels widens the figure by half of `SIZE.0` a panel, so that no
    /// panel's plot shrinks below a two-panel figure's (the accuracy figure has four).
    #[test]
    fn a_row_of_many_panels_widens_the_figure() {
        let width = |panels: usize| {
            let p = panel(vec![(1.0, -1.0, 0.1)], None);
            let (_, png) = render("t", "N", &vec![p; panels]).unwrap();
            // The PNG's IHDR chunk: width, then height, big-endian, from byte 16.
            u32::from_be_bytes(png[16..20].try_into().unwrap())
        };
        assert_eq!(width(1), SIZE.0);
        assert_eq!(width(2), SIZE.0);
        assert_eq!(width(4), 2 * SIZE.0);
    }

    /// Drawn: the data inside the plot, the legend's text in the strip right of it, the bound
    /// as a dashed line, and exactly the points above the bound beyond 2 SE ringed (plus the
    /// legend's sample ring).
    #[test]
    fn the_legend_is_off_the_data_and_points_above_the_bound_are_ringed() {
        let points = vec![
            (1.0, 0.5, 0.1),  // above by 5 SE: ringed
            (2.0, 0.1, 0.1),  // above by 1 SE: not
            (3.0, -0.4, 0.1), // below
            (4.0, 0.9, 0.05), // ringed
        ];
        let (svg, _) = render("t", "n / P", &[panel(points, Some(BOUND))]).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        let strip = (SIZE.0 - LEGEND_WIDTH) as f64;
        let data = attributes(&svg, "circle", "fill=\"#1B9E77\"", "cx");
        assert!(data.len() >= 5, "4 points and the legend's dot: {data:?}");
        let (inside, legend): (Vec<f64>, Vec<f64>) = data.iter().partition(|&&x| x < strip);
        assert_eq!((inside.len(), legend.len()), (4, 1), "{data:?}");
        let label_x = attributes(&svg, "text", "text-anchor=\"start\"", "x");
        assert!(
            !label_x.is_empty() && label_x.iter().all(|&x| x >= strip),
            "{label_x:?}"
        );
        assert!(svg.contains("SNR 1") && svg.contains(BOUND.label));
        assert!(svg.contains("above it by &gt; 2 SE:") && svg.contains("2 point(s)"));
        let rings = attributes(&svg, "circle", "stroke=\"#CC0000\"", "cx");
        assert_eq!(rings.len(), 2 + 1, "{rings:?}");
        // Without a bound: no line, no rings, no entries for them.
        let (svg, _) = render("t", "n / P", &[panel(vec![(1.0, 0.5, 0.1)], None)]).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(!svg.contains("CC0000") && !svg.contains("upper bound"));
    }

    #[test]
    fn a_figure_with_provenance_names_it_under_its_title_and_in_both_files() {
        let figure = Figure {
            title: "fig: t".into(),
            x_label: "n / P".into(),
            rows: vec![vec![panel(vec![(1.0, -0.5, 0.1)], Some(BOUND))]],
            provenance: Some(Provenance {
                manifest_sha256: "ab".repeat(32),
                seed: 7,
                overrides: vec!["model.width=5".into()],
            }),
        };
        let (svg, png) = render_figure(&figure).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("manifest sha256 abababababab…, seed 7, --set model.width=5"));
        assert!(svg.contains(&format!("<harness-manifest_sha256>{}<", "ab".repeat(32))));
        let text = provenance::png_text(&png).unwrap();
        assert!(
            text.contains(&("harness:seed".to_string(), "7".to_string())),
            "{text:?}"
        );
        assert!(text.contains(&("Title".to_string(), "fig: t".to_string())));
        assert!(image::load_from_memory(&png).is_ok());
    }

    #[test]
    fn notes_wrap_at_spaces() {
        assert_eq!(
            wrap("x: each direction at its own n/P", 12),
            vec!["x: each", "direction at", "its own n/P"]
        );
    }
}
