//! The district heat map: districts × dimensions, the value printed in every cell, suppressed
//! cells hatched and marked "—" so that no number is ever shown for them.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::canvas::{check_range, number, Canvas, Font, GRID, MUTED};
use crate::{ChartError, DistrictChart};

const MARGIN: i32 = 14;
const SCALE_W: i32 = 96;
// A single-hue scale (ColorBrewer Blues): lightness falls monotonically, so it survives grayscale.
const STOPS: [(f64, (u8, u8, u8)); 3] = [
    (0.0, (239, 243, 255)),
    (0.5, (107, 174, 214)),
    (1.0, (8, 48, 107)),
];
pub const HATCH: RGBColor = RGBColor(185, 185, 185);

pub fn color_at(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let k = if t <= STOPS[1].0 { 0 } else { 1 };
    let ((t0, a), (t1, b)) = (STOPS[k], STOPS[k + 1]);
    let f = (t - t0) / (t1 - t0);
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub fn draw<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    chart: &DistrictChart,
) -> Result<(), ChartError> {
    check_range(chart.range)?;
    let n_dims = chart.dimensions.len();
    if n_dims == 0 || chart.districts.is_empty() {
        return Err(ChartError::Input(
            "district chart needs at least one dimension and one district".into(),
        ));
    }
    if let Some((name, v)) = chart.districts.iter().find(|(_, v)| v.len() > n_dims) {
        return Err(ChartError::Input(format!(
            "district {name}: {} values for {n_dims} dimensions",
            v.len()
        )));
    }
    let (lo, hi) = chart.range;
    let top = c.title(&chart.title, MARGIN)?;

    // Bottom up: the suppression note, then the key of the short column labels.
    let suppressed = chart
        .districts
        .iter()
        .any(|(_, v)| v.len() < n_dims || v.iter().any(|x| !x.is_some_and(f64::is_finite)));
    let note_h = if suppressed && !chart.suppressed_note.is_empty() {
        18
    } else {
        0
    };
    if note_h > 0 {
        c.text(
            &chart.suppressed_note,
            (MARGIN, c.height - MARGIN - note_h / 2),
            Font::new(12.0).color(MUTED),
            HPos::Left,
            VPos::Center,
        )?;
    }
    let key_font = Font::new(12.0);
    let cols = if c.width >= 600 && n_dims > 3 { 2 } else { 1 };
    let key_rows = n_dims.div_ceil(cols) as i32;
    let key_top = c.height - MARGIN - note_h - key_rows * 16 - 4;
    let col_w = (c.width - 2 * MARGIN) / cols as i32;
    for (i, label) in chart.dimensions.iter().enumerate() {
        let (col, row) = (
            (i / key_rows as usize) as i32,
            (i % key_rows as usize) as i32,
        );
        let x = MARGIN + col * col_w;
        let text = c.ellipsize(&format!("D{}: {label}", i + 1), key_font, col_w - 12)?;
        c.text(
            &text,
            (x, key_top + row * 16 + 8),
            key_font,
            HPos::Left,
            VPos::Center,
        )?;
    }

    let name_font = Font::new(13.0);
    let mut widest = 0;
    for (name, _) in &chart.districts {
        widest = widest.max(c.text_width(name, name_font)?);
    }
    let grid_left = MARGIN + widest.min(c.width * 35 / 100) + 10;
    let grid_right = c.width - MARGIN - SCALE_W;
    let header_h = 22;
    let grid_top = top + header_h;
    let avail = key_top - 10 - grid_top;
    let n_rows = chart.districts.len() as i32;
    let row_h = (avail / n_rows).min(34);
    let cell_w = (grid_right - grid_left) / n_dims as i32;
    if row_h < 10 || cell_w < 24 {
        return Err(ChartError::Input(format!(
            "{}×{} px is too small for {n_rows} districts × {n_dims} dimensions",
            c.width, c.height
        )));
    }
    let grid_bottom = grid_top + row_h * n_rows;
    // Never under 12 px: the chart is shown at its own size on a phone.
    let value_font = Font::new((row_h as f64 * 0.5).clamp(12.0, 14.0));

    for j in 0..n_dims {
        let cx = grid_left + cell_w * j as i32 + cell_w / 2;
        c.text(
            &format!("D{}", j + 1),
            (cx, grid_top - 4),
            Font::new(13.0).bold(),
            HPos::Center,
            VPos::Bottom,
        )?;
    }
    for (i, (name, values)) in chart.districts.iter().enumerate() {
        let y0 = grid_top + row_h * i as i32;
        let name = c.ellipsize(name, name_font, grid_left - MARGIN - 10)?;
        c.text(
            &name,
            (grid_left - 8, y0 + row_h / 2),
            name_font,
            HPos::Right,
            VPos::Center,
        )?;
        for j in 0..n_dims {
            let x0 = grid_left + cell_w * j as i32;
            let (a, b) = ((x0 + 1, y0 + 1), (x0 + cell_w - 1, y0 + row_h - 1));
            let center = (x0 + cell_w / 2, y0 + row_h / 2);
            match values.get(j).copied().flatten().filter(|v| v.is_finite()) {
                Some(v) => {
                    let t = (v - lo) / (hi - lo);
                    c.rect(a, b, color_at(t))?;
                    let ink = if t > 0.55 { WHITE } else { BLACK };
                    c.text(
                        &number(v, 1, chart.decimal_comma),
                        center,
                        value_font.color(ink),
                        HPos::Center,
                        VPos::Center,
                    )?;
                }
                None => {
                    hatch(c, a, b, 7)?;
                    c.rect_outline(a, b, HATCH)?;
                    let dash_w = c.text_width("—", value_font)? + 6;
                    c.rect(
                        (center.0 - dash_w / 2, center.1 - 7),
                        (center.0 + dash_w / 2, center.1 + 7),
                        WHITE,
                    )?;
                    c.text(
                        "—",
                        center,
                        value_font.color(MUTED),
                        HPos::Center,
                        VPos::Center,
                    )?;
                }
            }
        }
    }

    // The colour scale on the right, its caption (the axis label) above it.
    let sx = grid_right + 22;
    let cap_font = Font::new(12.0);
    let caption = c.wrap(&chart.axis_label, cap_font, SCALE_W - 26)?;
    for (k, line) in caption.iter().enumerate() {
        let y = grid_top - header_h + 14 * k as i32;
        c.text(line, (sx - 6, y), cap_font, HPos::Left, VPos::Top)?;
    }
    let bar_top = (grid_top - header_h + 14 * caption.len() as i32 + 6).max(grid_top);
    let bar_bottom = grid_bottom.max(bar_top + 40);
    let steps = 40;
    for k in 0..steps {
        let ya = bar_bottom - (bar_bottom - bar_top) * k / steps;
        let yb = bar_bottom - (bar_bottom - bar_top) * (k + 1) / steps;
        c.rect(
            (sx, yb),
            (sx + 16, ya),
            color_at((k as f64 + 0.5) / steps as f64),
        )?;
    }
    c.rect_outline((sx, bar_top), (sx + 16, bar_bottom), GRID)?;
    for (t, y) in [
        (0.0, bar_bottom),
        (0.5, (bar_top + bar_bottom) / 2),
        (1.0, bar_top),
    ] {
        let v = lo + (hi - lo) * t;
        c.line(vec![(sx + 16, y), (sx + 20, y)], BLACK, 1)?;
        c.text(
            &number(v, 1, chart.decimal_comma),
            (sx + 24, y),
            Font::new(12.0),
            HPos::Left,
            VPos::Center,
        )?;
    }
    Ok(())
}

/// Diagonal hatching inside a cell: the lines x + y = s, clipped to the rectangle.
fn hatch<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    step: i32,
) -> Result<(), ChartError> {
    let mut s = x0 + y0 + step;
    while s < x1 + y1 {
        let ax = x0.max(s - y1);
        let bx = x1.min(s - y0);
        if ax < bx {
            c.line(vec![(ax, s - ax), (bx, s - bx)], HATCH, 1)?;
        }
        s += step;
    }
    Ok(())
}
