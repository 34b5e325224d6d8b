//! Tests of the engine on data generated here: properties that hold on any data set and design
//! (`properties.rs`), the degrees of freedom, design effects, flags and intervals of known designs
//! (`precision.rs`), and the jackknife against its definition on the rows (`jackknife.rs`).

mod generated;
mod jackknife;
mod precision;
mod properties;

use std::collections::BTreeMap;

use papi_survey::Survey;
use papi_table::{Column, NumberColumn, Table, TextBuilder};

use crate::{Estimate, Report};

/// Which design columns a generated definition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    StrataAndClusters,
    StrataOnly,
    ClustersOnly,
    Neither,
}

impl Layout {
    pub(crate) const ALL: [Layout; 4] = [
        Layout::StrataAndClusters,
        Layout::StrataOnly,
        Layout::ClustersOnly,
        Layout::Neither,
    ];
}

/// Two dimensions: `services` (health with two indicators, roads with one) and `voice` (information
/// with one); select_one answers with "don't know", a numeric range, missing answers.
pub(crate) fn survey(layout: Layout) -> Survey {
    let strata = match layout {
        Layout::StrataAndClusters | Layout::StrataOnly => "strata = \"district\"",
        _ => "",
    };
    let cluster = match layout {
        Layout::StrataAndClusters | Layout::ClustersOnly => "cluster = \"commune\"",
        _ => "",
    };
    let text = format!(
        r#"
[survey]
id = "properties"
version = "1"
title = {{ vi = "Thử", en = "Test" }}
languages = ["vi", "en"]

[design]
location = ["district", "commune"]
{strata}
{cluster}
weight = "weight"

[baseline]
label = {{ vi = "Năm gốc", en = "Baseline" }}
total = 11.0
dimensions = {{ services = 5.5, voice = 5.5 }}

[choices]
yes_no_dk = [
  {{ value = "yes", label = {{ vi = "Có", en = "Yes" }} }},
  {{ value = "no", label = {{ vi = "Không", en = "No" }} }},
  {{ value = "dk", label = {{ vi = "Không biết", en = "Don't know" }} }},
]
quality = [
  {{ value = "good", label = {{ vi = "Tốt", en = "Good" }} }},
  {{ value = "fair", label = {{ vi = "Trung bình", en = "Fair" }} }},
  {{ value = "poor", label = {{ vi = "Kém", en = "Poor" }} }},
]

[[dimensions]]
id = "services"
label = {{ vi = "Dịch vụ công", en = "Public services" }}
subdimensions = [
  {{ id = "health", label = {{ vi = "Y tế", en = "Health" }} }},
  {{ id = "roads", label = {{ vi = "Đường sá", en = "Roads" }} }},
]

[[dimensions]]
id = "voice"
label = {{ vi = "Tiếng nói", en = "Voice" }}
subdimensions = [
  {{ id = "information", label = {{ vi = "Thông tin", en = "Information" }} }},
]

[[questions]]
id = "quality"
type = "select_one"
choices = "quality"
label = {{ vi = "Chất lượng", en = "Quality" }}

[[questions]]
id = "wait"
type = "decimal"
label = {{ vi = "Thời gian chờ", en = "Waiting time" }}

[[questions]]
id = "road"
type = "select_one"
choices = "yes_no_dk"
label = {{ vi = "Đường tốt", en = "Good road" }}

[[questions]]
id = "informed"
type = "select_one"
choices = "yes_no_dk"
label = {{ vi = "Được thông tin", en = "Informed" }}

[[indicators]]
id = "clinic_good"
subdimension = "health"
question = "quality"
values = {{ good = 1, fair = 0.5, poor = 0 }}

[[indicators]]
id = "short_wait"
subdimension = "health"
question = "wait"
range = [0, 120]
reverse = true

[[indicators]]
id = "road_ok"
subdimension = "roads"
question = "road"
values = {{ yes = 1, no = 0 }}

[[indicators]]
id = "informed"
subdimension = "information"
question = "informed"
values = {{ yes = 1, no = 0 }}
"#
    );
    Survey::from_toml(&text, "properties.toml").expect("the test definition loads")
}

/// A small deterministic generator (SplitMix64).
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n - 1)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Interviews as rows of text cells (district, commune, weight, quality, wait, road, informed).
pub(crate) type Rows = Vec<[Option<String>; 7]>;

/// Interviews in `districts` strata of `communes` clusters each, `per_commune` respondents in each
/// cluster, with unequal weights, cluster effects and missing answers.
pub(crate) fn rows(rng: &mut Rng, districts: usize, communes: usize, per_commune: usize) -> Rows {
    let mut out = Vec::new();
    for d in 0..districts {
        for c in 0..communes {
            let effect = rng.next() * 0.6 - 0.3;
            for _ in 0..per_commune {
                let quality = (rng.next() < 0.85).then(|| {
                    if rng.next() < 0.5 + effect {
                        "good"
                    } else {
                        rng.pick(&["fair", "poor"])
                    }
                });
                let wait = (rng.next() < 0.8).then(|| format!("{:.1}", rng.next() * 150.0));
                let road = if rng.next() < 0.1 {
                    "dk"
                } else if rng.next() < 0.5 - effect {
                    "yes"
                } else {
                    "no"
                };
                let informed = (rng.next() < 0.9).then(|| rng.pick(&["yes", "no", "yes"]));
                out.push([
                    Some(format!("Huyện {d}")),
                    Some(format!("Xã {d}-{c}")),
                    Some(format!(
                        "{:.4}",
                        20.0 + rng.next() * 300.0 * (1.0 + d as f64)
                    )),
                    quality.map(str::to_owned),
                    wait,
                    Some(road.to_owned()),
                    informed.map(str::to_owned),
                ]);
            }
        }
    }
    out
}

/// The table of `rows`, as papi-table reads it: text columns, numbers as numbers.
pub(crate) fn frame(rows: &Rows) -> Table {
    let text = |i: usize| {
        let mut b = TextBuilder::with_capacity(rows.len());
        for r in rows {
            b.push(r[i].as_deref());
        }
        Column::Text(b.finish())
    };
    let number = |i: usize| {
        Column::Number(NumberColumn {
            values: rows
                .iter()
                .map(|r| r[i].as_deref().map_or(f64::NAN, |x| x.parse().unwrap()))
                .collect(),
            whole: false,
        })
    };
    let mut table = Table::new(rows.len());
    for (name, column) in [
        ("district", text(0)),
        ("commune", text(1)),
        ("weight", number(2)),
        ("quality", text(3)),
        ("wait", number(4)),
        ("road", text(5)),
        ("informed", text(6)),
    ] {
        table.with_column(name, column).unwrap();
    }
    table
}

/// Every estimate of a report by (group, level, id), so that reports whose groups come in another
/// order compare.
pub(crate) fn by_key(report: &Report) -> BTreeMap<(String, &'static str, String), Estimate> {
    crate::flatten(report)
        .into_iter()
        .map(|(g, level, id, e, _)| {
            let group = serde_json::to_string(&report.groups[g].by).unwrap();
            ((group, level, id), e)
        })
        .collect()
}

/// Equal to 1e-9 relative (absolute near zero): sums taken in another order differ in the last bits.
pub(crate) fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-3),
        (None, None) => true,
        _ => false,
    }
}
