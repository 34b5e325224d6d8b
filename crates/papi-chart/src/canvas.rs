//! Pixel-level drawing shared by the charts, the same for the SVG and the bitmap backend.

use std::borrow::Cow;
use std::fmt::Display;
use std::sync::OnceLock;

use ab_glyph::{point, Font as _, FontRef, PxScale, ScaleFont};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle};
use unicode_normalization::{is_nfc, UnicodeNormalization};

use crate::{ChartError, FONT_BOLD, FONT_REGULAR};

/// The family every text style uses. The embedded font is registered under this whole string, and
/// the SVG backend writes it verbatim as `font-family`, so browsers fall back to fonts that also
/// have the Vietnamese glyphs.
pub const FONT_FAMILY: &str = "DejaVu Sans, Noto Sans, Arial, sans-serif";

pub const GRID: RGBColor = RGBColor(200, 200, 200);
pub const MUTED: RGBColor = RGBColor(70, 70, 70);

pub fn render_err(e: impl Display) -> ChartError {
    ChartError::Render(e.to_string())
}

/// ab_glyph draws one glyph per char with no mark positioning, so decomposed (NFD) Vietnamese
/// would stack loose accents; the precomposed (NFC) letters all exist in DejaVu.
pub fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

#[derive(Clone, Copy)]
pub struct Font {
    pub size: f64,
    pub bold: bool,
    pub color: RGBColor,
}

impl Font {
    pub const fn new(size: f64) -> Self {
        Font {
            size,
            bold: false,
            color: BLACK,
        }
    }
    pub const fn bold(self) -> Self {
        Font { bold: true, ..self }
    }
    pub const fn color(self, color: RGBColor) -> Self {
        Font { color, ..self }
    }
    fn style(&self, h: HPos, v: VPos) -> TextStyle<'static> {
        let weight = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        TextStyle {
            font: FontDesc::new(FontFamily::Name(FONT_FAMILY), self.size, weight),
            color: self.color.to_backend_color(),
            pos: Pos::new(h, v),
        }
    }
}

fn font_ref(bold: bool) -> Result<&'static FontRef<'static>, ChartError> {
    static FONTS: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some((
                FontRef::try_from_slice(FONT_REGULAR).ok()?,
                FontRef::try_from_slice(FONT_BOLD).ok()?,
            ))
        })
        .as_ref()
        .map(|(regular, b)| if bold { b } else { regular })
        .ok_or_else(|| ChartError::Font("embedded DejaVu Sans is not a valid font".into()))
}

/// Each glyph of `s` with its pen position, at the same scale plotters' ab_glyph path uses
/// (`size` = ascent − descent in pixels), and the total advance.
fn layout(s: &str, font: Font) -> Result<(Vec<(ab_glyph::GlyphId, f32)>, f32), ChartError> {
    let scaled = font_ref(font.bold)?.as_scaled(PxScale::from(font.size as f32));
    let mut pen = 0f32;
    let mut prev = None;
    let mut glyphs = Vec::new();
    for ch in s.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        glyphs.push((id, pen));
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    Ok((glyphs, pen))
}

/// Draws a legend entry's 28×14 sample at the given top-left corner.
pub type Swatch<'s, DB> = &'s dyn Fn(&Canvas<'_, DB>, (i32, i32)) -> Result<(), ChartError>;

pub struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// Bitmap output: text is rasterised here, not by plotters (see `text`).
    raster: bool,
    pub width: i32,
    pub height: i32,
}

impl<'a, DB: DrawingBackend> Canvas<'a, DB> {
    pub fn new(area: &'a DrawingArea<DB, Shift>, raster: bool) -> Self {
        let (w, h) = area.dim_in_pixel();
        Canvas {
            area,
            raster,
            width: w as i32,
            height: h as i32,
        }
    }

    pub fn rect(
        &self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        fill: RGBColor,
    ) -> Result<(), ChartError> {
        self.area
            .draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))
            .map_err(render_err)
    }

    pub fn rect_outline(
        &self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        color: RGBColor,
    ) -> Result<(), ChartError> {
        self.area
            .draw(&Rectangle::new([(x0, y0), (x1, y1)], color.stroke_width(1)))
            .map_err(render_err)
    }

    pub fn line(
        &self,
        points: Vec<(i32, i32)>,
        color: RGBColor,
        width: u32,
    ) -> Result<(), ChartError> {
        self.area
            .draw(&PathElement::new(points, color.stroke_width(width)))
            .map_err(render_err)
    }

    /// A dashed straight line, drawn as separate segments so both backends show the same dashes.
    pub fn dashed(
        &self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        color: RGBColor,
        width: u32,
        (dash, gap): (f64, f64),
    ) -> Result<(), ChartError> {
        let (dx, dy) = ((x1 - x0) as f64, (y1 - y0) as f64);
        let len = dx.hypot(dy);
        if len < 1.0 {
            return Ok(());
        }
        let mut t = 0.0;
        while t < len {
            let e = (t + dash).min(len);
            let p = |s: f64| {
                (
                    (x0 as f64 + dx * s / len).round() as i32,
                    (y0 as f64 + dy * s / len).round() as i32,
                )
            };
            self.line(vec![p(t), p(e)], color, width)?;
            t += dash + gap;
        }
        Ok(())
    }

    pub fn circle(
        &self,
        c: (i32, i32),
        r: i32,
        fill: RGBColor,
        stroke: RGBColor,
    ) -> Result<(), ChartError> {
        self.area
            .draw(&Circle::new(c, r, fill.filled()))
            .map_err(render_err)?;
        self.area
            .draw(&Circle::new(c, r, stroke.stroke_width(2)))
            .map_err(render_err)
    }

    pub fn polygon(&self, points: Vec<(i32, i32)>, fill: RGBColor) -> Result<(), ChartError> {
        self.area
            .draw(&Polygon::new(points, fill.filled()))
            .map_err(render_err)
    }

    pub fn text(
        &self,
        s: &str,
        (x, y): (i32, i32),
        font: Font,
        h: HPos,
        v: VPos,
    ) -> Result<(), ChartError> {
        if s.is_empty() {
            return Ok(());
        }
        let s = nfc(s);
        if !self.raster {
            return self
                .area
                .draw_text(&s, &font.style(h, v), (x, y))
                .map_err(render_err);
        }
        // plotters 0.3.7 draws each ab_glyph glyph at the integer pen position without its side
        // bearing, which crowds and gaps letters ("Th am"); place the outlines ourselves instead.
        let f = font_ref(font.bold)?;
        let scale = PxScale::from(font.size as f32);
        let scaled = f.as_scaled(scale);
        let (glyphs, width) = layout(&s, font)?;
        let x0 = x as f32
            - match h {
                HPos::Left => 0.0,
                HPos::Center => width / 2.0,
                HPos::Right => width,
            };
        let baseline = y as f32
            + match v {
                VPos::Top => scaled.ascent(),
                // Centre on the lower-case and capital body, not on the accents above it.
                VPos::Center => 0.33 * font.size as f32,
                VPos::Bottom => scaled.descent(),
            };
        let (r, g, b) = (font.color.0, font.color.1, font.color.2);
        for (id, pen) in glyphs {
            let glyph = id.with_scale_and_position(scale, point(x0 + pen, baseline));
            let Some(outline) = f.outline_glyph(glyph) else {
                continue; // spaces
            };
            let bounds = outline.px_bounds();
            let mut result = Ok(());
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 && result.is_ok() {
                    let px = (
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                    );
                    result = self
                        .area
                        .draw_pixel(px, &RGBAColor(r, g, b, coverage.min(1.0) as f64));
                }
            });
            result.map_err(render_err)?;
        }
        Ok(())
    }

    /// The advance width in pixels, measured the same way for both backends.
    pub fn text_width(&self, s: &str, font: Font) -> Result<i32, ChartError> {
        Ok(layout(&nfc(s), font)?.1.ceil() as i32)
    }

    /// Greedy word wrap to `max_w` pixels; a word longer than the line stays whole.
    pub fn wrap(&self, s: &str, font: Font, max_w: i32) -> Result<Vec<String>, ChartError> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in s.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.text_width(&candidate, font)? > max_w {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        Ok(lines)
    }

    /// Shortens `s` with "…" until it fits in `max_w` pixels.
    pub fn ellipsize(&self, s: &str, font: Font, max_w: i32) -> Result<String, ChartError> {
        if self.text_width(s, font)? <= max_w {
            return Ok(s.to_owned());
        }
        let mut chars: Vec<char> = nfc(s).chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let t: String = chars.iter().collect::<String>().trim_end().to_owned() + "…";
            if self.text_width(&t, font)? <= max_w {
                return Ok(t);
            }
        }
        Ok("…".to_owned())
    }

    /// The title, wrapped, at the top; returns the y below it.
    pub fn title(&self, s: &str, margin: i32) -> Result<i32, ChartError> {
        let font = Font::new(20.0).bold();
        let mut y = margin;
        for line in self.wrap(s, font, self.width - 2 * margin)? {
            self.text(&line, (self.width / 2, y), font, HPos::Center, VPos::Top)?;
            y += 24;
        }
        Ok(y + 6)
    }

    /// Lays out legend entries left to right, wrapping; each entry is a 28×14 swatch drawn by
    /// `swatch` then its text. With `dry_run` only measures. Returns the height used.
    pub fn legend(
        &self,
        entries: &[(&str, Swatch<'_, DB>)],
        top: i32,
        margin: i32,
        dry_run: bool,
    ) -> Result<i32, ChartError> {
        let font = Font::new(13.0);
        let row_h = 20;
        let (mut x, mut y) = (margin, top);
        for (label, swatch) in entries {
            let w = 28 + 6 + self.text_width(label, font)? + 18;
            if x > margin && x + w > self.width - margin {
                x = margin;
                y += row_h;
            }
            if !dry_run {
                swatch(self, (x, y + 3))?;
                self.text(
                    label,
                    (x + 34, y + row_h / 2),
                    font,
                    HPos::Left,
                    VPos::Center,
                )?;
            }
            x += w;
        }
        Ok(y + row_h - top)
    }
}

/// Evenly spaced "nice" tick values (steps of 1, 2 or 5 × 10ⁿ) covering [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    let span = hi - lo;
    if span <= 0.0 || !span.is_finite() {
        return vec![lo];
    }
    let raw = span / max_ticks.max(2) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 {
        // Snap -0.0 and float dust (e.g. 0.30000000000000004).
        out.push((v / step).round() * step);
        v += step;
    }
    out
}

/// `v` with `decimals` decimals, and a decimal comma when `comma` (as Vietnamese writes numbers).
pub fn number(v: f64, decimals: usize, comma: bool) -> String {
    let s = format!("{v:.decimals$}");
    if comma {
        s.replace('.', ",")
    } else {
        s
    }
}

/// A tick label with only the decimals the step needs.
pub fn tick_label(v: f64, ticks: &[f64], comma: bool) -> String {
    let step = if ticks.len() > 1 {
        ticks[1] - ticks[0]
    } else {
        1.0
    };
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    number(v, decimals, comma)
}

/// Maps a value in [lo, hi] to pixels [p0, p1], clamped so out-of-range values stay on the chart.
#[derive(Clone, Copy)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub p0: i32,
    pub p1: i32,
}

impl Scale {
    pub fn px(&self, v: f64) -> i32 {
        let t = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        (self.p0 as f64 + t * (self.p1 - self.p0) as f64).round() as i32
    }
}

pub fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

pub fn check_range((lo, hi): (f64, f64)) -> Result<(), ChartError> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(ChartError::Input(format!(
            "range ({lo}, {hi}) must be finite with min < max"
        )));
    }
    Ok(())
}
