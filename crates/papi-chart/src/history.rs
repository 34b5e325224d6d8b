//! The province's official PAPI totals by year, then the project's own waves with their intervals.
//!
//! The 6-dimension totals (to 2017, max 60) and the 8-dimension totals (from 2018, max 80) are not
//! comparable, so they are two separate lines with different markers and never joined.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::canvas::{nice_ticks, number, tick_label, Canvas, Font, Scale, Swatch, GRID, MUTED};
use crate::{ChartError, HistoryChart};

const MARGIN: i32 = 14;
pub const SIX: RGBColor = RGBColor(90, 90, 90);
pub const EIGHT: RGBColor = RGBColor(33, 102, 172);
pub const WAVES: RGBColor = RGBColor(217, 95, 2);
pub const BASELINE: RGBColor = RGBColor(178, 24, 43);

pub fn draw<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    chart: &HistoryChart,
) -> Result<(), ChartError> {
    let official: Vec<_> = chart
        .official
        .iter()
        .filter(|p| p.total.is_finite())
        .collect();
    let waves: Vec<_> = chart
        .waves
        .iter()
        .filter(|w| {
            [w.year, w.estimate, w.low, w.high]
                .iter()
                .all(|v| v.is_finite())
        })
        .collect();
    let baseline = chart.baseline.filter(|(_, v)| v.is_finite());
    if official.is_empty() && waves.is_empty() {
        return Err(ChartError::Input("history chart has no points".into()));
    }
    let six: Vec<_> = official.iter().filter(|p| p.dimensions < 8).collect();
    let eight: Vec<_> = official.iter().filter(|p| p.dimensions >= 8).collect();

    let years = official
        .iter()
        .map(|p| p.year as f64)
        .chain(waves.iter().map(|w| w.year))
        .chain(baseline.map(|(y, _)| y as f64));
    let values = official
        .iter()
        .map(|p| p.total)
        .chain(waves.iter().flat_map(|w| [w.low, w.high, w.estimate]))
        .chain(baseline.map(|(_, v)| v));
    let (x_lo, x_hi) = min_max(years);
    let (v_lo, v_hi) = min_max(values);
    let pad = ((v_hi - v_lo) * 0.12).max(1.0);
    let rough = nice_ticks(v_lo - pad, v_hi + pad, 6);
    let step = if rough.len() > 1 {
        rough[1] - rough[0]
    } else {
        1.0
    };
    let (y_lo, y_hi) = (
        ((v_lo - pad) / step).floor() * step,
        ((v_hi + pad) / step).ceil() * step,
    );
    let y_ticks = nice_ticks(y_lo, y_hi, 6);

    let top = c.title(&chart.title, MARGIN)?;
    let entries: [(&str, bool, Swatch<'_, DB>); 4] = [
        (&chart.legend_official_six, !six.is_empty(), &|c, (x, y)| {
            c.line(vec![(x, y + 7), (x + 28, y + 7)], SIX, 2)?;
            six_marker(c, (x + 14, y + 7))
        }),
        (
            &chart.legend_official_eight,
            !eight.is_empty(),
            &|c, (x, y)| {
                c.line(vec![(x, y + 7), (x + 28, y + 7)], EIGHT, 3)?;
                eight_marker(c, (x + 14, y + 7))
            },
        ),
        (&chart.legend_waves, !waves.is_empty(), &|c, (x, y)| {
            interval(c, x + 14, y - 2, y + 16)?;
            wave_marker(c, (x + 14, y + 7))
        }),
        (&chart.legend_baseline, baseline.is_some(), &|c, (x, y)| {
            c.dashed((x, y + 7), (x + 28, y + 7), BASELINE, 2, (6.0, 4.0))
        }),
    ];
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|(t, shown, _)| *shown && !t.is_empty())
        .map(|(t, _, f)| (t, f))
        .collect();
    let legend_h = c.legend(&entries, 0, MARGIN, true)?;
    let legend_top = c.height - MARGIN - legend_h;
    c.legend(&entries, legend_top, MARGIN, false)?;

    // The note sits between the axis and the legend, wrapped to the width.
    let note_font = Font::new(12.0).color(MUTED);
    let note = c.wrap(&chart.note, note_font, c.width - 2 * MARGIN)?;
    let note_top = legend_top - 6 - 16 * note.len() as i32;
    for (k, line) in note.iter().enumerate() {
        c.text(
            line,
            (MARGIN, note_top + 16 * k as i32),
            note_font,
            HPos::Left,
            VPos::Top,
        )?;
    }

    let tick_font = Font::new(12.0);
    let mut label_w = 0;
    for t in &y_ticks {
        label_w =
            label_w.max(c.text_width(&tick_label(*t, &y_ticks, chart.decimal_comma), tick_font)?);
    }
    let plot_top = top + if chart.axis_label.is_empty() { 4 } else { 22 };
    let plot_bottom = note_top - 8 - 22;
    let plot_left = MARGIN + label_w + 10;
    let plot_right = c.width - MARGIN - 8;
    if plot_bottom - plot_top < 60 {
        return Err(ChartError::Input(format!(
            "{}×{} px is too small for the history chart",
            c.width, c.height
        )));
    }
    let x = Scale {
        lo: x_lo - 0.6,
        hi: x_hi + 0.6,
        p0: plot_left,
        p1: plot_right,
    };
    let y = Scale {
        lo: y_lo,
        hi: y_hi,
        p0: plot_bottom,
        p1: plot_top,
    };

    c.text(
        &chart.axis_label,
        (MARGIN, top),
        Font::new(13.0),
        HPos::Left,
        VPos::Top,
    )?;
    for t in &y_ticks {
        let py = y.px(*t);
        c.line(vec![(plot_left, py), (plot_right, py)], GRID, 1)?;
        c.text(
            &tick_label(*t, &y_ticks, chart.decimal_comma),
            (plot_left - 6, py),
            tick_font,
            HPos::Right,
            VPos::Center,
        )?;
    }
    let first_year = (x_lo.ceil()) as i32;
    let last_year = (x_hi.floor()) as i32;
    // As many years as fit side by side with a gap (every year on a wide chart, fewer on a phone's).
    let label_w = c.text_width("2024", tick_font)? + 8;
    let room = ((x.px(x_hi) - x.px(x_lo)) / label_w).max(1);
    let span = (last_year - first_year).max(1);
    let year_step = (1..=span).find(|s| span / s < room).unwrap_or(span);
    for year in (first_year..=last_year).step_by(year_step as usize) {
        let px = x.px(year as f64);
        c.line(vec![(px, plot_bottom), (px, plot_bottom + 5)], BLACK, 1)?;
        c.text(
            &year.to_string(),
            (px, plot_bottom + 8),
            tick_font,
            HPos::Center,
            VPos::Top,
        )?;
    }
    c.line(
        vec![
            (plot_left, plot_top),
            (plot_left, plot_bottom),
            (plot_right, plot_bottom),
        ],
        BLACK,
        1,
    )?;

    if let Some((year, value)) = baseline {
        let py = y.px(value);
        c.dashed((plot_left, py), (plot_right, py), BASELINE, 2, (8.0, 5.0))?;
        c.text(
            &format!("{} ({year})", number(value, 2, chart.decimal_comma)),
            (plot_right - 4, py - 4),
            Font::new(12.0).bold().color(BASELINE),
            HPos::Right,
            VPos::Bottom,
        )?;
    }

    let path = |pts: &[&&crate::HistoryPoint]| -> Vec<(i32, i32)> {
        pts.iter()
            .map(|p| (x.px(p.year as f64), y.px(p.total)))
            .collect()
    };
    if six.len() > 1 {
        c.line(path(&six), SIX, 2)?;
    }
    if eight.len() > 1 {
        c.line(path(&eight), EIGHT, 3)?;
    }
    for p in path(&six) {
        six_marker(c, p)?;
    }
    for p in path(&eight) {
        eight_marker(c, p)?;
    }

    for w in &waves {
        let px = x.px(w.year);
        let (lo, hi) = (w.low.min(w.high), w.low.max(w.high));
        interval(c, px, y.px(hi), y.px(lo))?;
        wave_marker(c, (px, y.px(w.estimate)))?;
        c.text(
            &format!("{} {}", w.label, number(w.estimate, 2, chart.decimal_comma)),
            (px, y.px(hi) - 6),
            // 12 px: the chart is shown at its own size on a phone, and no smaller text is read there.
            Font::new(12.0).color(WAVES),
            HPos::Center,
            VPos::Bottom,
        )?;
    }
    Ok(())
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// 6-dimension years: hollow circles.
fn six_marker<DB: DrawingBackend>(c: &Canvas<'_, DB>, p: (i32, i32)) -> Result<(), ChartError> {
    c.circle(p, 5, WHITE, SIX)
}

/// 8-dimension years: filled squares.
fn eight_marker<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    (x, y): (i32, i32),
) -> Result<(), ChartError> {
    c.rect((x - 5, y - 5), (x + 5, y + 5), EIGHT)
}

/// The project's waves: filled diamonds with a white edge, so they stand out on their interval.
fn wave_marker<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    (x, y): (i32, i32),
) -> Result<(), ChartError> {
    c.polygon(vec![(x, y - 8), (x + 8, y), (x, y + 8), (x - 8, y)], WHITE)?;
    c.polygon(vec![(x, y - 6), (x + 6, y), (x, y + 6), (x - 6, y)], WAVES)
}

/// A vertical 95% interval with caps (three paths).
fn interval<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    x: i32,
    y_top: i32,
    y_bottom: i32,
) -> Result<(), ChartError> {
    c.line(vec![(x, y_top), (x, y_bottom)], WAVES, 2)?;
    for yy in [y_top, y_bottom] {
        c.line(vec![(x - 6, yy), (x + 6, yy)], WAVES, 2)?;
    }
    Ok(())
}
