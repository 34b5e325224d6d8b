//! Geographic answers as GeoJSON geometries (RFC 7946). ODK writes a point as
//! `latitude longitude [altitude [accuracy]]`, a trace as points separated by `;`, and a shape as a
//! trace whose last point is its first; GeoJSON puts longitude first and has no place for accuracy.
//! Submissions are checked for these forms, but an answer that is not one gives no geometry (an
//! empty cell), never a panic.

use std::fmt::Write as _;

use papi_survey::QuestionType;

/// Whether answers of this type are points, traces or shapes.
pub fn is_geographic(kind: QuestionType) -> bool {
    matches!(
        kind,
        QuestionType::Geopoint | QuestionType::Geotrace | QuestionType::Geoshape
    )
}

/// A point's numbers: latitude, longitude, then altitude and accuracy when given; `None` when the
/// text is not a point.
fn point(text: &str) -> Option<Vec<f64>> {
    let parts = text
        .split_whitespace()
        .map(|x| x.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<Vec<f64>>>()?;
    let ok = (2..=4).contains(&parts.len())
        && (-90.0..=90.0).contains(&parts[0])
        && (-180.0..=180.0).contains(&parts[1]);
    ok.then_some(parts)
}

/// A GeoJSON position: `[longitude,latitude]`, with the altitude when there is one.
fn position(out: &mut String, p: &[f64]) {
    let _ = write!(out, "[{},{}", p[1], p[0]);
    if let Some(alt) = p.get(2) {
        let _ = write!(out, ",{alt}");
    }
    out.push(']');
}

fn positions(out: &mut String, points: &[Vec<f64>]) {
    out.push('[');
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        position(out, p);
    }
    out.push(']');
}

/// The answer to a geopoint, geotrace or geoshape question as a GeoJSON geometry: a Point, a
/// LineString (two points or more) or a Polygon (three distinct points or more; its ring closed if
/// the answer left it open). `None` for anything else.
pub fn geojson(kind: QuestionType, text: &str) -> Option<String> {
    let mut out = String::new();
    match kind {
        QuestionType::Geopoint => {
            let p = point(text.trim())?;
            out.push_str(r#"{"type":"Point","coordinates":"#);
            position(&mut out, &p);
        }
        QuestionType::Geotrace | QuestionType::Geoshape => {
            let mut points = text
                .split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(point)
                .collect::<Option<Vec<_>>>()?;
            if kind == QuestionType::Geotrace {
                if points.len() < 2 {
                    return None;
                }
                out.push_str(r#"{"type":"LineString","coordinates":"#);
                positions(&mut out, &points);
            } else {
                let closed = points.len() > 1 && points[0][..2] == points[points.len() - 1][..2];
                if !closed {
                    points.push(points.first()?.clone());
                }
                if points.len() < 4 {
                    return None;
                }
                out.push_str(r#"{"type":"Polygon","coordinates":["#);
                positions(&mut out, &points);
                out.push(']');
            }
        }
        _ => return None,
    }
    out.push('}');
    Some(out)
}

/// A point's accuracy in metres, when the answer gives one.
pub fn accuracy(text: &str) -> Option<f64> {
    point(text.trim())?.get(3).copied().filter(|a| *a >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use QuestionType::{Geopoint, Geoshape, Geotrace};

    #[test]
    fn a_point_puts_longitude_first_and_keeps_the_altitude() {
        assert_eq!(
            geojson(Geopoint, "13.7765 109.2237 12.5 4.8").as_deref(),
            Some(r#"{"type":"Point","coordinates":[109.2237,13.7765,12.5]}"#)
        );
        assert_eq!(accuracy("13.7765 109.2237 12.5 4.8"), Some(4.8));
        assert_eq!(
            geojson(Geopoint, " -8.5 -70 ").as_deref(),
            Some(r#"{"type":"Point","coordinates":[-70,-8.5]}"#)
        );
        assert_eq!(accuracy("-8.5 -70"), None);
        assert_eq!(accuracy("-8.5 -70 3"), None);
    }

    #[test]
    fn a_trace_is_a_line_and_a_shape_a_closed_polygon() {
        assert_eq!(
            geojson(Geotrace, "10 106 0 5;10.5 106.5 1 5;").as_deref(),
            Some(r#"{"type":"LineString","coordinates":[[106,10,0],[106.5,10.5,1]]}"#)
        );
        let ring = r#"{"type":"Polygon","coordinates":[[[106,10],[107,10],[107,11],[106,10]]]}"#;
        assert_eq!(
            geojson(Geoshape, "10 106;10 107;11 107;10 106").as_deref(),
            Some(ring)
        );
        // A ring left open is closed.
        assert_eq!(
            geojson(Geoshape, "10 106; 10 107; 11 107").as_deref(),
            Some(ring)
        );
    }

    #[test]
    fn what_is_not_a_geometry_gives_none_and_never_panics() {
        for (kind, text) in [
            (Geopoint, ""),
            (Geopoint, "10"),
            (Geopoint, "abc def"),
            (Geopoint, "91 100"),
            (Geopoint, "10 181"),
            (Geopoint, "10 100 1 2 3"),
            (Geopoint, "NaN 100"),
            (Geopoint, "10 inf"),
            (Geotrace, "10 106"),
            (Geotrace, "10 106;x y"),
            (Geotrace, ";;"),
            (Geoshape, "10 106;10 107"),
            (Geoshape, "10 106;10 106"),
            (Geoshape, ""),
            (QuestionType::Text, "10 106"),
        ] {
            assert_eq!(geojson(kind, text), None, "{kind:?} {text:?}");
        }
        assert_eq!(accuracy("10 100 1 -2"), None);
        assert_eq!(accuracy("garbage"), None);
    }
}
