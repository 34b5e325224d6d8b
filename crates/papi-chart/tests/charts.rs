//! The three charts as the dashboard uses them: well-formed SVG with the exact Vietnamese texts,
//! PNGs of the requested size, and glyphs for every Vietnamese letter in the embedded font.

use ab_glyph::Font as _;
use papi_chart::*;

const DIMENSIONS: [&str; 8] = [
    "Tham gia của người dân ở cấp cơ sở",
    "Công khai, minh bạch trong việc ra quyết định",
    "Trách nhiệm giải trình với người dân",
    "Kiểm soát tham nhũng trong khu vực công",
    "Thủ tục hành chính công",
    "Cung ứng dịch vụ công",
    "Quản trị môi trường",
    "Quản trị điện tử",
];

const VIETNAMESE: &str = "ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ";

fn dimension_chart() -> DimensionChart {
    let bars = DIMENSIONS
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let est = 4.2 + 0.45 * i as f64;
            DimensionBar {
                label: label.to_string(),
                // The sixth dimension has no estimate; the seventh no interval.
                estimate: (i != 5).then_some(est),
                low: (i != 5 && i != 6).then_some(est - 0.35),
                high: (i != 5 && i != 6).then_some(est + 0.4),
                baseline: (i != 2).then_some(est - 0.6 + 0.3 * (i % 3) as f64),
                quartiles: Some([est - 0.9, est - 0.2, est + 0.5]),
            }
        })
        .collect();
    DimensionChart {
        title: "Bình Định: điểm 8 lĩnh vực PAPI, đợt khảo sát 2026".into(),
        axis_label: "Điểm (1–10)".into(),
        range: (1.0, 10.0),
        legend: ChartLegend {
            estimate: "Ước lượng".into(),
            interval: "Khoảng tin cậy 95%".into(),
            baseline: "Điểm chính thức 2018".into(),
            quartile_bands: "Phân vị toàn quốc (25–50–75%)".into(),
            no_estimate: "chưa đủ dữ liệu để ước lượng".into(),
        },
        bars,
        width: 900,
        height: 480,
        decimal_comma: false,
    }
}

fn history_chart() -> HistoryChart {
    let six = [35.2, 36.1, 35.8, 36.9, 36.4, 37.0, 36.5];
    let eight = [41.04, 42.3, 43.1, 42.6, 44.0, 43.2, 44.5];
    let official = six
        .iter()
        .enumerate()
        .map(|(i, t)| HistoryPoint {
            year: 2011 + i as i32,
            total: *t,
            dimensions: 6,
        })
        .chain(eight.iter().enumerate().map(|(i, t)| HistoryPoint {
            year: 2018 + i as i32,
            total: *t,
            dimensions: 8,
        }))
        .collect();
    HistoryChart {
        title: "Chỉ số PAPI tổng hợp của Bình Định".into(),
        axis_label: "Tổng điểm".into(),
        official,
        waves: vec![
            WavePoint {
                label: "Đợt 1".into(),
                year: 2025.5,
                estimate: 44.9,
                low: 43.8,
                high: 46.0,
            },
            WavePoint {
                label: "Đợt 2".into(),
                year: 2026.5,
                estimate: 45.6,
                low: 44.3,
                high: 46.8,
            },
        ],
        baseline: Some((2018, 41.04)),
        legend_official_six: "Chỉ số PAPI chính thức (6 lĩnh vực, tối đa 60)".into(),
        legend_official_eight: "Chỉ số PAPI chính thức (8 lĩnh vực, tối đa 80)".into(),
        legend_waves: "Khảo sát của dự án (khoảng tin cậy 95%)".into(),
        legend_baseline: "Mốc năm 2018".into(),
        note: "Trước 2018 chỉ số gồm 6 lĩnh vực; từ 2018 gồm 8 lĩnh vực".into(),
        width: 900,
        height: 480,
        decimal_comma: false,
    }
}

const DISTRICTS: [&str; 11] = [
    "Quy Nhơn",
    "An Nhơn",
    "Hoài Nhơn",
    "Tuy Phước",
    "Phù Cát",
    "Phù Mỹ",
    "Tây Sơn",
    "Hoài Ân",
    "Vĩnh Thạnh",
    "Vân Canh",
    "An Lão",
];

fn district_chart() -> DistrictChart {
    let districts = DISTRICTS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values = (0..8)
                .map(|j| {
                    // Vĩnh Thạnh (row 8) has too few respondents in two dimensions.
                    if i == 8 && (j == 2 || j == 5) {
                        None
                    } else {
                        Some(1.0 + ((i * 7 + j * 3) % 19) as f64 * 0.5)
                    }
                })
                .collect();
            (name.to_string(), values)
        })
        .collect();
    DistrictChart {
        title: "Điểm theo huyện, thị xã, thành phố".into(),
        axis_label: "Điểm (1–10)".into(),
        range: (1.0, 10.0),
        dimensions: DIMENSIONS.iter().map(|d| d.to_string()).collect(),
        districts,
        suppressed_note: "— : dưới 30 người trả lời, không hiển thị".into(),
        width: 900,
        height: 480,
        decimal_comma: false,
    }
}

/// Every `<text>` element's content, trimmed (the SVG backend ends each with a newline).
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_owned())
        .collect()
}

fn count(doc: &roxmltree::Document, tag: &str, attr: &str, value: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
        .count()
}

fn svg_color(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[test]
fn dimensions_svg_has_labels_legend_baselines_and_intervals() {
    let chart = dimension_chart();
    let svg = dimensions_svg(&chart).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("900"));
    assert_eq!(root.attribute("height"), Some("480"));
    let texts = texts(&doc);
    for want in DIMENSIONS.iter().copied().chain([
        "Ước lượng",
        "Khoảng tin cậy 95%",
        "Điểm chính thức 2018",
        "Phân vị toàn quốc (25–50–75%)",
        "Điểm (1–10)",
        "Bình Định: điểm 8 lĩnh vực PAPI, đợt khảo sát 2026",
        "— : chưa đủ dữ liệu để ước lượng",
    ]) {
        assert!(
            texts.iter().any(|t| t == want),
            "missing text {want:?} in {texts:?}"
        );
    }
    // The bar without an estimate shows "—" and no value.
    assert_eq!(texts.iter().filter(|t| *t == "—").count(), 1);
    assert!(
        !texts.iter().any(|t| t == "6.45"),
        "no value for the missing estimate"
    );
    for n in doc.descendants().filter(|n| n.has_tag_name("text")) {
        assert_eq!(n.attribute("font-family"), Some(FONT_FAMILY));
    }
    // Baselines: 7 bars have one, plus the legend's; each is a line and two triangles.
    let baseline = svg_color(papi_chart_colors::BASELINE);
    assert_eq!(count(&doc, "polyline", "stroke", &baseline), 7 + 1);
    assert_eq!(count(&doc, "polygon", "fill", &baseline), 2 * (7 + 1));
    // Intervals: 6 bars have both ends, plus the legend's; each is a line and two caps.
    let whisker = svg_color(papi_chart_colors::WHISKER);
    assert_eq!(count(&doc, "polyline", "stroke", &whisker), 3 * (6 + 1));
    // 7 estimate bars + the legend swatch.
    let bar = svg_color(papi_chart_colors::BAR_FILL);
    assert_eq!(count(&doc, "rect", "fill", &bar), 7 + 1);
}

// The colours the charts use, repeated here so the counts above don't depend on private items.
mod papi_chart_colors {
    use plotters::style::RGBColor;
    pub const BAR_FILL: RGBColor = RGBColor(141, 179, 226);
    pub const WHISKER: RGBColor = RGBColor(20, 20, 20);
    pub const BASELINE: RGBColor = RGBColor(178, 24, 43);
    pub const SIX: RGBColor = RGBColor(90, 90, 90);
    pub const EIGHT: RGBColor = RGBColor(33, 102, 172);
    pub const WAVES: RGBColor = RGBColor(217, 95, 2);
}

#[test]
fn history_svg_draws_two_unjoined_official_lines_waves_and_baseline() {
    let chart = history_chart();
    let svg = history_svg(&chart).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let texts = texts(&doc);
    for want in [
        chart.legend_official_six.as_str(),
        &chart.legend_official_eight,
        &chart.legend_waves,
        &chart.legend_baseline,
        &chart.note,
        &chart.title,
        &chart.axis_label,
        "41.04 (2018)",
        "Đợt 1 44.90",
    ] {
        assert!(
            texts.iter().any(|t| t == want),
            "missing text {want:?} in {texts:?}"
        );
    }
    let points = |n: roxmltree::Node| n.attribute("points").unwrap().split_whitespace().count();
    let lines = |color: plotters::style::RGBColor| -> Vec<usize> {
        let c = svg_color(color);
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(c.as_str()))
            .map(points)
            .collect()
    };
    // One 7-point line per era (never joined across 2017→2018), plus the legend's 2-point sample.
    let mut six = lines(papi_chart_colors::SIX);
    six.sort();
    assert_eq!(six, vec![2, 7]);
    let mut eight = lines(papi_chart_colors::EIGHT);
    eight.sort();
    assert_eq!(eight, vec![2, 7]);
    // Markers: hollow circles for 6-dimension years, squares for 8-dimension years.
    assert_eq!(
        count(&doc, "circle", "stroke", &svg_color(papi_chart_colors::SIX)),
        7 + 1
    );
    assert_eq!(
        count(&doc, "rect", "fill", &svg_color(papi_chart_colors::EIGHT)),
        7 + 1
    );
    // Waves: a diamond each and an interval of three paths, plus the legend's.
    let waves = svg_color(papi_chart_colors::WAVES);
    assert_eq!(count(&doc, "polygon", "fill", &waves), 2 + 1);
    assert_eq!(count(&doc, "polyline", "stroke", &waves), 3 * (2 + 1));
    // The baseline is dashed: many short segments.
    assert!(
        count(
            &doc,
            "polyline",
            "stroke",
            &svg_color(papi_chart_colors::BASELINE)
        ) > 20
    );
}

#[test]
fn districts_svg_prints_values_and_dashes_for_suppressed_cells() {
    let chart = district_chart();
    let svg = districts_svg(&chart).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let texts = texts(&doc);
    for name in DISTRICTS {
        assert!(texts.iter().any(|t| t == name), "missing district {name:?}");
    }
    assert!(texts
        .iter()
        .any(|t| t == "D1: Tham gia của người dân ở cấp cơ sở"));
    assert!(texts.iter().any(|t| t == "D8: Quản trị điện tử"));
    assert!(texts.iter().any(|t| t == &chart.suppressed_note));
    assert!(texts.iter().any(|t| t == "Điểm (1–10)"));

    // The two suppressed cells print exactly "—" and no number: the numbers printed are the 86
    // other cells and the scale's three labels.
    assert_eq!(texts.iter().filter(|t| *t == "—").count(), 2);
    let numbers = texts
        .iter()
        .filter(|t| {
            t.split_once('.')
                .is_some_and(|(a, b)| b.len() == 1 && a.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(numbers, 11 * 8 - 2 + 3);

    // The "—" texts sit inside Vĩnh Thạnh's row: the same y as the district's name.
    let y_of = |t: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some(t))
            .map(|n| n.attribute("y").unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let row_y = y_of("Vĩnh Thạnh");
    assert_eq!(y_of("—"), vec![row_y[0].clone(), row_y[0].clone()]);
}

#[test]
fn numbers_take_a_decimal_comma_when_asked_and_narrow_charts_keep_12_px_text() {
    let mut chart = dimension_chart();
    chart.decimal_comma = true;
    let svg = dimensions_svg(&chart).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let all = texts(&doc);
    assert!(all.iter().any(|t| t == "4,20"), "{all:?}");
    assert!(!all.iter().any(|t| t == "4.20"), "{all:?}");
    let mut history = history_chart();
    history.decimal_comma = true;
    let all = texts(&roxmltree::Document::parse(&history_svg(&history).unwrap()).unwrap());
    assert!(all.iter().any(|t| t.contains("41,04")), "{all:?}");
    let mut districts = district_chart();
    districts.decimal_comma = true;
    districts.width = 480;
    let svg = districts_svg(&districts).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(texts(&doc).iter().any(|t| t.contains(',')));
    for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let size: f64 = t.attribute("font-size").unwrap_or("12").parse().unwrap();
        // plotters writes a 12 px font (ascent to descent) as font-size 12 / 1.24: nothing smaller.
        assert!(size >= 12.0 / 1.24 - 1e-6, "{:?} at {size} px", t.text());
    }
}

#[test]
fn decomposed_text_is_drawn_precomposed() {
    let mut chart = dimension_chart();
    // "Quản trị điện tử" typed with combining marks (NFD).
    chart.bars[7].label = "Qua\u{309}n tri\u{323} đie\u{302}\u{323}n tu\u{31b}\u{309}".into();
    let svg = dimensions_svg(&chart).unwrap();
    assert!(svg.contains("Quản trị điện tử"));
}

fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    buf.truncate(info.buffer_size());
    (info, buf)
}

fn assert_png(bytes: &[u8], w: u32, h: u32) {
    let (info, buf) = decode(bytes);
    assert_eq!((info.width, info.height), (w, h));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let ink = buf.chunks(3).filter(|p| p.iter().any(|c| *c < 200)).count();
    assert!(
        ink > (w * h / 50) as usize,
        "PNG looks blank: {ink} dark pixels"
    );
}

#[test]
fn pngs_decode_at_the_requested_size_and_are_written_for_review() {
    let dims = dimensions_png(&dimension_chart()).unwrap();
    let hist = history_png(&history_chart()).unwrap();
    let dist = districts_png(&district_chart()).unwrap();
    for (name, bytes) in [
        ("dimensions", &dims),
        ("history", &hist),
        ("districts", &dist),
    ] {
        assert_png(bytes, 900, 480);
        // For a human look at the rendering; failing to write /tmp is not the chart's fault.
        let _ = std::fs::write(format!("/tmp/papi-chart-{name}.png"), bytes);
    }
    for (name, svg) in [
        ("dimensions", dimensions_svg(&dimension_chart()).unwrap()),
        ("history", history_svg(&history_chart()).unwrap()),
        ("districts", districts_svg(&district_chart()).unwrap()),
    ] {
        let _ = std::fs::write(format!("/tmp/papi-chart-{name}.svg"), svg);
    }
    // Narrower than the default: long labels wrap onto two lines.
    let mut small = dimension_chart();
    (small.width, small.height) = (640, 420);
    let bytes = dimensions_png(&small).unwrap();
    assert_png(&bytes, 640, 420);
    let _ = std::fs::write("/tmp/papi-chart-dimensions-640.png", &bytes);
    let mut small = district_chart();
    (small.width, small.height) = (640, 420);
    assert_png(&districts_png(&small).unwrap(), 640, 420);
}

#[test]
fn embedded_fonts_have_every_vietnamese_letter() {
    let upper: String = VIETNAMESE.chars().flat_map(char::to_uppercase).collect();
    for (name, bytes) in [("regular", FONT_REGULAR), ("bold", FONT_BOLD)] {
        let font = ab_glyph::FontRef::try_from_slice(bytes).unwrap();
        for c in VIETNAMESE.chars().chain(upper.chars()).chain("—–…".chars()) {
            assert_ne!(font.glyph_id(c).0, 0, "{name} font has no glyph for {c:?}");
        }
    }
    assert_eq!(upper.chars().count(), VIETNAMESE.chars().count());
}

#[test]
fn bad_input_gives_typed_errors() {
    let mut empty = dimension_chart();
    empty.bars.clear();
    assert_eq!(dimensions_svg(&empty).unwrap_err().code(), "chart.input");
    let mut range = dimension_chart();
    range.range = (10.0, 1.0);
    assert_eq!(dimensions_png(&range).unwrap_err().code(), "chart.input");
    let mut tiny = history_chart();
    tiny.width = 10;
    assert_eq!(history_svg(&tiny).unwrap_err().code(), "chart.input");
    let mut nothing = history_chart();
    nothing.official.clear();
    nothing.waves.clear();
    assert_eq!(history_png(&nothing).unwrap_err().code(), "chart.input");
    let mut too_many = district_chart();
    too_many.districts[0].1.push(Some(5.0));
    assert_eq!(districts_svg(&too_many).unwrap_err().code(), "chart.input");
}

#[test]
fn a_single_bar_and_a_single_district_work() {
    let mut one = dimension_chart();
    one.bars.truncate(1);
    roxmltree::Document::parse(&dimensions_svg(&one).unwrap()).unwrap();
    assert_png(&dimensions_png(&one).unwrap(), 900, 480);
    let mut row = district_chart();
    row.districts.truncate(1);
    row.dimensions.truncate(3);
    row.districts[0].1.truncate(2); // a short row: the missing cell is drawn as "—"
    let svg = districts_svg(&row).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(texts(&doc).iter().filter(|t| *t == "—").count(), 1);
}
