//! The dashboard's charts (dimension scores, the PAPI history, the district heat map), drawn with
//! plotters as SVG for the pages and PNG for printing and downloads.
//!
//! The PNG is rasterised with an embedded DejaVu Sans (through ab_glyph), so Vietnamese diacritics
//! come out right on any server without system fonts or fontconfig. Every chart also marks its
//! series by shape and line style, not colour alone, because the provincial reports are printed in
//! grayscale.

mod canvas;
mod dimensions;
mod districts;
mod history;

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

pub use canvas::FONT_FAMILY;

/// DejaVu Sans (regular), embedded: it covers every Vietnamese letter. Licence: `fonts/LICENSE-DejaVu`.
pub static FONT_REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, for titles.
pub static FONT_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The chart's description cannot be drawn (no bars, an empty range, a tiny canvas…).
    #[error("chart input: {0}")]
    Input(String),
    /// plotters failed while drawing.
    #[error("drawing the chart: {0}")]
    Render(String),
    /// The embedded font could not be registered.
    #[error("chart font: {0}")]
    Font(String),
    /// The bitmap could not be encoded as PNG.
    #[error("encoding the PNG: {0}")]
    Encode(String),
}

impl ChartError {
    pub fn code(&self) -> &'static str {
        match self {
            ChartError::Input(_) => "chart.input",
            ChartError::Render(_) => "chart.render",
            ChartError::Font(_) => "chart.font",
            ChartError::Encode(_) => "chart.encode",
        }
    }
}

/// One PAPI dimension on the dimension chart.
#[derive(Debug, Clone, Default)]
pub struct DimensionBar {
    /// Already translated dimension name.
    pub label: String,
    /// None (or not finite): no estimate; the slot shows "—" and a note says why.
    pub estimate: Option<f64>,
    /// 95% interval.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The province's 2018 official score: a marker line across the bar slot.
    pub baseline: Option<f64>,
    /// National 25th, 50th and 75th percentiles: shaded bands behind the bar.
    pub quartiles: Option<[f64; 3]>,
}

/// Translated legend texts of the dimension chart.
#[derive(Debug, Clone, Default)]
pub struct ChartLegend {
    pub estimate: String,
    pub interval: String,
    pub baseline: String,
    pub quartile_bands: String,
    /// Addition: the note shown when some bar has no estimate ("—: …"). Empty: a Vietnamese default.
    pub no_estimate: String,
}

/// Horizontal bars of the dimension scores, one slot per dimension.
#[derive(Debug, Clone, Default)]
pub struct DimensionChart {
    pub title: String,
    /// e.g. "Điểm (1–10)".
    pub axis_label: String,
    /// The value axis, e.g. (1.0, 10.0).
    pub range: (f64, f64),
    pub legend: ChartLegend,
    pub bars: Vec<DimensionBar>,
    pub width: u32,
    pub height: u32,
    /// Write numbers with a decimal comma (41,06), as Vietnamese does.
    pub decimal_comma: bool,
}

/// An official PAPI total: 6 dimensions (max 60) before 2018, 8 (max 80) from 2018.
#[derive(Debug, Clone, Default)]
pub struct HistoryPoint {
    pub year: i32,
    pub total: f64,
    pub dimensions: u8,
}

/// One of the project's own survey waves.
#[derive(Debug, Clone, Default)]
pub struct WavePoint {
    pub label: String,
    pub year: f64,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// The province's PAPI total over the years, then the project's waves.
#[derive(Debug, Clone, Default)]
pub struct HistoryChart {
    pub title: String,
    pub axis_label: String,
    /// Sorted by year; the 6- and 8-dimension years are drawn as two separate lines.
    pub official: Vec<HistoryPoint>,
    pub waves: Vec<WavePoint>,
    /// The 2018 baseline, e.g. (2018, 41.04): a dashed reference line with its value.
    pub baseline: Option<(i32, f64)>,
    pub legend_official_six: String,
    pub legend_official_eight: String,
    pub legend_waves: String,
    pub legend_baseline: String,
    /// Drawn under the plot (e.g. the 6 → 8 dimension change).
    pub note: String,
    pub width: u32,
    pub height: u32,
    /// Write numbers with a decimal comma (41,06), as Vietnamese does.
    pub decimal_comma: bool,
}

/// A heat map of districts × dimensions.
#[derive(Debug, Clone, Default)]
pub struct DistrictChart {
    pub title: String,
    pub axis_label: String,
    pub range: (f64, f64),
    /// Column labels; drawn as D1…Dn with a key under the grid.
    pub dimensions: Vec<String>,
    /// One row per district; None = suppressed or missing: a hatched cell marked "—".
    pub districts: Vec<(String, Vec<Option<f64>>)>,
    pub suppressed_note: String,
    pub width: u32,
    pub height: u32,
    /// Write numbers with a decimal comma (41,06), as Vietnamese does.
    pub decimal_comma: bool,
}

pub fn dimensions_svg(chart: &DimensionChart) -> Result<String, ChartError> {
    render_svg(chart.width, chart.height, |c| dimensions::draw(c, chart))
}

pub fn dimensions_png(chart: &DimensionChart) -> Result<Vec<u8>, ChartError> {
    render_png(chart.width, chart.height, |c| dimensions::draw(c, chart))
}

pub fn history_svg(chart: &HistoryChart) -> Result<String, ChartError> {
    render_svg(chart.width, chart.height, |c| history::draw(c, chart))
}

pub fn history_png(chart: &HistoryChart) -> Result<Vec<u8>, ChartError> {
    render_png(chart.width, chart.height, |c| history::draw(c, chart))
}

pub fn districts_svg(chart: &DistrictChart) -> Result<String, ChartError> {
    render_svg(chart.width, chart.height, |c| districts::draw(c, chart))
}

pub fn districts_png(chart: &DistrictChart) -> Result<Vec<u8>, ChartError> {
    render_png(chart.width, chart.height, |c| districts::draw(c, chart))
}

/// Registers the embedded fonts with plotters, once per process; both backends measure text with it.
fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_REGULAR)
                .map_err(|_| "DejaVuSans.ttf".to_owned())?;
            plotters::style::register_font(FONT_FAMILY, FontStyle::Bold, FONT_BOLD)
                .map_err(|_| "DejaVuSans-Bold.ttf".to_owned())
        })
        .clone()
        .map_err(|f| ChartError::Font(format!("embedded {f} is not a valid font")))
}

// A 16k × 16k RGB buffer is already 768 MB: refuse anything that large.
const MAX_SIDE: u32 = 8000;

fn check_size(width: u32, height: u32) -> Result<(), ChartError> {
    if !(200..=MAX_SIDE).contains(&width) || !(150..=MAX_SIDE).contains(&height) {
        return Err(ChartError::Input(format!(
            "size {width}×{height} px: width must be 200–{MAX_SIDE}, height 150–{MAX_SIDE}"
        )));
    }
    Ok(())
}

type DrawFn<'a, DB> = dyn Fn(&canvas::Canvas<'_, DB>) -> Result<(), ChartError> + 'a;

fn render_svg<F>(width: u32, height: u32, draw: F) -> Result<String, ChartError>
where
    F: Fn(&canvas::Canvas<'_, SVGBackend<'_>>) -> Result<(), ChartError>,
{
    check_size(width, height)?;
    ensure_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw_on(&root, &draw, false)?;
    }
    Ok(out)
}

fn render_png<F>(width: u32, height: u32, draw: F) -> Result<Vec<u8>, ChartError>
where
    F: Fn(&canvas::Canvas<'_, BitMapBackend<'_>>) -> Result<(), ChartError>,
{
    check_size(width, height)?;
    ensure_font()?;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw_on(&root, &draw, true)?;
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| ChartError::Encode(e.to_string()))?;
    writer
        .write_image_data(&rgb)
        .map_err(|e| ChartError::Encode(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| ChartError::Encode(e.to_string()))?;
    Ok(png_bytes)
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    draw: &DrawFn<'_, DB>,
    raster: bool,
) -> Result<(), ChartError> {
    root.fill(&WHITE).map_err(canvas::render_err)?;
    draw(&canvas::Canvas::new(root, raster))?;
    root.present().map_err(canvas::render_err)
}
