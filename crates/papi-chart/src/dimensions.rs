//! Dimension scores: one horizontal slot per dimension with the estimate bar, its 95% interval,
//! the 2018 baseline marker and the national quartile bands behind.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::canvas::{
    check_range, finite, nice_ticks, number, tick_label, Canvas, Font, Scale, Swatch, GRID, MUTED,
};
use crate::{ChartError, DimensionChart};

const MARGIN: i32 = 14;
/// Narrower than this (a phone), each label goes above its bar, which then has the whole width.
pub const STACK_BELOW: i32 = 480;
// Light bar with a dark edge, so the black whisker and the dark baseline stay visible on it in print.
pub const BAR_FILL: RGBColor = RGBColor(141, 179, 226);
pub const BAR_EDGE: RGBColor = RGBColor(33, 102, 172);
pub const WHISKER: RGBColor = RGBColor(20, 20, 20);
pub const BASELINE: RGBColor = RGBColor(178, 24, 43);
// Lightest below the 25th percentile, darkest above the 75th.
pub const BANDS: [RGBColor; 4] = [
    RGBColor(247, 247, 247),
    RGBColor(236, 236, 236),
    RGBColor(224, 224, 224),
    RGBColor(212, 212, 212),
];
const NO_ESTIMATE_DEFAULT: &str = "không có ước lượng (chưa đủ dữ liệu)";

pub fn draw<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    chart: &DimensionChart,
) -> Result<(), ChartError> {
    check_range(chart.range)?;
    if chart.bars.is_empty() {
        return Err(ChartError::Input("dimension chart has no bars".into()));
    }
    let (lo, hi) = chart.range;
    let top = c.title(&chart.title, MARGIN)?;

    let lg = &chart.legend;
    let entries: [(&str, Swatch<'_, DB>); 4] = [
        (&lg.estimate, &|c, (x, y)| {
            c.rect((x, y + 1), (x + 28, y + 13), BAR_FILL)?;
            c.rect_outline((x, y + 1), (x + 28, y + 13), BAR_EDGE)
        }),
        (&lg.interval, &|c, (x, y)| {
            whisker(c, x + 2, x + 26, y + 7, 10)
        }),
        (&lg.baseline, &|c, (x, y)| {
            baseline_mark(c, x + 14, y - 2, y + 16)
        }),
        (&lg.quartile_bands, &|c, (x, y)| {
            for (i, band) in BANDS.iter().enumerate() {
                let x0 = x + 7 * i as i32;
                c.rect((x0, y), (x0 + 7, y + 14), *band)?;
            }
            c.rect_outline((x, y), (x + 28, y + 14), GRID)
        }),
    ];
    let entries: Vec<_> = entries.into_iter().filter(|(t, _)| !t.is_empty()).collect();
    let missing = chart.bars.iter().any(|b| finite(b.estimate).is_none());
    let note_h = if missing { 18 } else { 0 };
    let legend_h = c.legend(&entries, 0, MARGIN, true)?;
    let legend_top = c.height - MARGIN - note_h - legend_h;
    c.legend(&entries, legend_top, MARGIN, false)?;
    if missing {
        let text = if lg.no_estimate.is_empty() {
            NO_ESTIMATE_DEFAULT
        } else {
            &lg.no_estimate
        };
        c.text(
            &format!("— : {text}"),
            (MARGIN, c.height - MARGIN - note_h / 2),
            Font::new(12.0).color(MUTED),
            HPos::Left,
            VPos::Center,
        )?;
    }

    let axis_h = if chart.axis_label.is_empty() { 24 } else { 42 };
    let plot_bottom = legend_top - 10 - axis_h;
    let label_font = Font::new(13.0);
    let mut widest = 0;
    for b in &chart.bars {
        widest = widest.max(c.text_width(&b.label, label_font)?);
    }
    let stacked = c.width < STACK_BELOW;
    let label_w = if stacked {
        c.width - 2 * MARGIN
    } else {
        widest.min(c.width * 38 / 100)
    };
    let plot_left = if stacked {
        MARGIN
    } else {
        MARGIN + label_w + 12
    };
    let plot_right = c.width - MARGIN - 44; // room for the value printed after the bar
    if plot_bottom - top < 10 * chart.bars.len() as i32 || plot_right - plot_left < 100 {
        return Err(ChartError::Input(format!(
            "{}×{} px is too small for {} bars",
            c.width,
            c.height,
            chart.bars.len()
        )));
    }
    let x = Scale {
        lo,
        hi,
        p0: plot_left,
        p1: plot_right,
    };
    let slot_h = (plot_bottom - top) as f64 / chart.bars.len() as f64;
    let slot = |i: usize| {
        let y0 = top + (slot_h * i as f64).round() as i32;
        let y1 = top + (slot_h * (i + 1) as f64).round() as i32;
        (y0, y1)
    };
    // Each label wrapped to its column (above the bar when stacked), cut with "…" if the slot is
    // too short for it; and the part of each slot left for the bar, its bands and its marks.
    let line_h = 15;
    let mut labels = Vec::with_capacity(chart.bars.len());
    let mut areas = Vec::with_capacity(chart.bars.len());
    for (i, bar) in chart.bars.iter().enumerate() {
        let (y0, y1) = slot(i);
        let mut lines = c.wrap(&bar.label, label_font, label_w)?;
        let room = if stacked { (y1 - y0) - 26 } else { y1 - y0 };
        let fit = ((room / line_h).max(1)) as usize;
        if lines.len() > fit {
            let rest = lines[fit - 1..].join(" ");
            lines.truncate(fit - 1);
            lines.push(c.ellipsize(&rest, label_font, label_w)?);
        }
        let area_top = if stacked {
            y0 + 4 + lines.len() as i32 * line_h
        } else {
            y0
        };
        labels.push(lines);
        areas.push((area_top, y1));
    }
    let shortest = areas.iter().map(|(a, b)| b - a).min().unwrap_or(0);

    // Bands first, the grid over them, then the data on top.
    for (i, bar) in chart.bars.iter().enumerate() {
        let Some(q) = bar.quartiles.filter(|q| q.iter().all(|v| v.is_finite())) else {
            continue;
        };
        let (y0, y1) = areas[i];
        let edges = [lo, q[0], q[1], q[2], hi];
        for (k, band) in BANDS.iter().enumerate() {
            let (a, b) = (x.px(edges[k]), x.px(edges[k + 1]));
            if b > a {
                c.rect((a, y0 + 2), (b, y1 - 2), *band)?;
            }
        }
    }
    let ticks = nice_ticks(lo, hi, 10);
    for t in &ticks {
        let px = x.px(*t);
        if stacked {
            // Not across the labels above the bars.
            for &(a, b) in &areas {
                c.line(vec![(px, a), (px, b)], GRID, 1)?;
            }
        } else {
            c.line(vec![(px, top), (px, plot_bottom)], GRID, 1)?;
        }
        c.line(vec![(px, plot_bottom), (px, plot_bottom + 5)], BLACK, 1)?;
        c.text(
            &tick_label(*t, &ticks, chart.decimal_comma),
            (px, plot_bottom + 8),
            Font::new(12.0),
            HPos::Center,
            VPos::Top,
        )?;
    }
    c.line(
        vec![(plot_left, plot_bottom), (plot_right, plot_bottom)],
        BLACK,
        1,
    )?;
    c.text(
        &chart.axis_label,
        ((plot_left + plot_right) / 2, plot_bottom + 26),
        Font::new(13.0),
        HPos::Center,
        VPos::Top,
    )?;

    for (i, bar) in chart.bars.iter().enumerate() {
        let (y0, y1) = areas[i];
        let mid = (y0 + y1) / 2;
        let lines = &labels[i];
        if stacked {
            let first = slot(i).0 + 4 + line_h / 2;
            for (k, line) in lines.iter().enumerate() {
                c.text(
                    line,
                    (MARGIN, first + k as i32 * line_h),
                    label_font,
                    HPos::Left,
                    VPos::Center,
                )?;
            }
        } else {
            let first = mid - (lines.len() as i32 * line_h) / 2 + line_h / 2;
            for (k, line) in lines.iter().enumerate() {
                c.text(
                    line,
                    (plot_left - 10, first + k as i32 * line_h),
                    label_font,
                    HPos::Right,
                    VPos::Center,
                )?;
            }
        }

        // Stacked, the slots' bar areas differ with their labels' lines: bars keep one height.
        let area_h = if stacked { shortest } else { y1 - y0 };
        let bar_h = ((area_h as f64 * 0.42).round() as i32).clamp(4, 26);
        let mut value_x = plot_left;
        match finite(bar.estimate) {
            Some(est) => {
                let e = x.px(est);
                c.rect((plot_left, mid - bar_h / 2), (e, mid + bar_h / 2), BAR_FILL)?;
                c.rect_outline((plot_left, mid - bar_h / 2), (e, mid + bar_h / 2), BAR_EDGE)?;
                value_x = e;
                if let (Some(l), Some(h)) = (finite(bar.low), finite(bar.high)) {
                    whisker(c, x.px(l.min(h)), x.px(l.max(h)), mid, bar_h + 6)?;
                    value_x = value_x.max(x.px(l.max(h)));
                }
            }
            None => {
                c.text(
                    "—",
                    (plot_left + 8, mid),
                    Font::new(14.0).color(MUTED),
                    HPos::Left,
                    VPos::Center,
                )?;
            }
        }
        if let Some(b) = finite(bar.baseline) {
            baseline_mark(c, x.px(b), y0 + 2, y1 - 2)?;
        }
        if let Some(est) = finite(bar.estimate) {
            c.text(
                &number(est, 2, chart.decimal_comma),
                (value_x + 6, mid),
                Font::new(12.0).bold(),
                HPos::Left,
                VPos::Center,
            )?;
        }
    }
    Ok(())
}

/// The 95% interval: a horizontal line with end caps (three paths).
fn whisker<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    x0: i32,
    x1: i32,
    y: i32,
    cap: i32,
) -> Result<(), ChartError> {
    c.line(vec![(x0, y), (x1, y)], WHISKER, 2)?;
    for x in [x0, x1] {
        c.line(vec![(x, y - cap / 2), (x, y + cap / 2)], WHISKER, 2)?;
    }
    Ok(())
}

/// The baseline: a thick vertical line with inward triangles at both ends, recognisable by shape.
fn baseline_mark<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    x: i32,
    y0: i32,
    y1: i32,
) -> Result<(), ChartError> {
    c.line(vec![(x, y0), (x, y1)], BASELINE, 3)?;
    c.polygon(vec![(x - 5, y0), (x + 5, y0), (x, y0 + 6)], BASELINE)?;
    c.polygon(vec![(x - 5, y1), (x + 5, y1), (x, y1 - 6)], BASELINE)
}
