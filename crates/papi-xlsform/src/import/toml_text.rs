//! What the sheets gave, written as the definition's TOML in the order of SCORING.md §2, with the
//! indicators' scoring cells checked as they are written.

use std::collections::BTreeMap;

use papi_survey::Label;

use super::settings::Settings;
use super::{truthy, Importer, RawChoiceRow, RawDimension, RawIndicator, SurveySheet};

/// A TOML string literal.
pub(super) fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A TOML key: bare when it can be.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_owned()
    } else {
        q(s)
    }
}

pub(super) fn label_toml(label: &Label, languages: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for l in languages {
        if let Some(t) = label.0.get(l) {
            parts.push(format!("{} = {}", key(l), q(t)));
        }
    }
    for (l, t) in &label.0 {
        if !languages.contains(l) {
            parts.push(format!("{} = {}", key(l), q(t)));
        }
    }
    format!("{{ {} }}", parts.join(", "))
}

/// A float as TOML: always with a decimal point or exponent, shortest round-trip form.
fn float(x: f64) -> String {
    format!("{x:?}")
}

impl Importer {
    /// The definition, in the order of SCORING.md §2.
    pub(super) fn definition(
        &mut self,
        settings: &Settings,
        sheet: &SurveySheet,
        lists: &BTreeMap<String, Vec<RawChoiceRow>>,
        dims: &[RawDimension],
    ) -> String {
        let Settings {
            form_id,
            version,
            title,
            languages,
            row: srow,
            ..
        } = settings;
        let srow = *srow;
        let get = |c: &str| settings.get(c);
        let SurveySheet {
            location,
            questions,
            groups: groups_toml,
            indicators,
        } = sheet;
        let mut t = String::new();
        t.push_str(&format!(
            "# Imported from an XLSForm workbook by `papi xlsform import`.\n\n[survey]\nid = {}\nversion = {}\ntitle = {}\nlanguages = [{}]\n",
            q(form_id),
            q(version),
            label_toml(title, languages),
            languages.iter().map(|l| q(l)).collect::<Vec<_>>().join(", ")
        ));
        t.push_str(&format!(
            "\n[design]\nlocation = [{}]\n",
            location.iter().map(|l| q(l)).collect::<Vec<_>>().join(", ")
        ));
        for (column, k) in [
            ("papi_strata", "strata"),
            ("papi_cluster", "cluster"),
            ("papi_weight", "weight"),
        ] {
            let v = get(column);
            if !v.is_empty() {
                t.push_str(&format!("{k} = {}\n", q(&v)));
            }
        }
        let total = get("papi_baseline_total");
        if !total.is_empty() {
            t.push_str("\n[baseline]\n");
            let label = settings.label("papi_baseline_label");
            t.push_str(&format!("label = {}\n", label_toml(&label, languages)));
            let province = get("papi_baseline_province");
            if !province.is_empty() {
                t.push_str(&format!("province = {}\n", q(&province)));
            }
            let year = get("papi_baseline_year");
            if !year.is_empty() {
                match year.parse::<i32>() {
                    Ok(y) => t.push_str(&format!("year = {y}\n")),
                    Err(_) => self.report(
                        "settings",
                        srow,
                        "papi_baseline_year",
                        "cell.not_a_year",
                        format!("'{year}' is not a year"),
                    ),
                }
            }
            if let Some(x) = self.number("settings", srow, "papi_baseline_total", &total) {
                t.push_str(&format!("total = {}\n", float(x)));
            }
            t.push_str("\n[baseline.dimensions]\n");
            for (d, _, score, _) in dims {
                if let Some(s) = score {
                    t.push_str(&format!("{} = {}\n", key(d), float(*s)));
                }
            }
        }
        if !lists.is_empty() {
            t.push_str("\n[choices]\n");
            for (list, choices) in lists {
                t.push_str(&format!("{} = [\n", key(list)));
                for c in choices {
                    t.push_str(&format!(
                        "  {{ value = {}, label = {}",
                        q(&c.value),
                        label_toml(&c.label, languages)
                    ));
                    if !c.image.0.is_empty() {
                        t.push_str(&format!(", image = {}", label_toml(&c.image, languages)));
                    }
                    if !c.columns.is_empty() {
                        let cols: Vec<String> = c
                            .columns
                            .iter()
                            .map(|(k, v)| format!("{} = {}", key(k), q(v)))
                            .collect();
                        t.push_str(&format!(", columns = {{ {} }}", cols.join(", ")));
                    }
                    t.push_str(" },\n");
                }
                t.push_str("]\n");
            }
        }
        for g in groups_toml {
            t.push_str(g);
        }
        for (d, label, _, subs) in dims {
            t.push_str(&format!(
                "\n[[dimensions]]\nid = {}\nlabel = {}\nsubdimensions = [\n",
                q(d),
                label_toml(label, languages)
            ));
            for (s, label) in subs {
                t.push_str(&format!(
                    "  {{ id = {}, label = {} }},\n",
                    q(s),
                    label_toml(label, languages)
                ));
            }
            t.push_str("]\n");
        }
        for question in questions {
            t.push_str(question);
        }
        for ind in indicators {
            t.push_str(&self.indicator_toml(ind, languages));
        }
        t
    }

    fn indicator_toml(&mut self, ind: &RawIndicator, languages: &[String]) -> String {
        let sv = "survey";
        let mut t = format!(
            "\n[[indicators]]\nid = {}\nsubdimension = {}\nquestion = {}\n",
            q(&ind.id),
            q(&ind.subdimension),
            q(&ind.question)
        );
        if !ind.label.0.is_empty() {
            t.push_str(&format!("label = {}\n", label_toml(&ind.label, languages)));
        }
        if let Some(w) = &ind.weight {
            if let Some(x) = self.number(sv, ind.row, "papi_indicator_weight", w) {
                t.push_str(&format!("weight = {}\n", float(x)));
            }
        }
        if let Some(values) = &ind.values {
            let mut parts = Vec::new();
            for pair in values.split_whitespace() {
                match pair.split_once('=') {
                    Some((k, v)) if !k.is_empty() => {
                        if let Some(x) = self.number(sv, ind.row, "papi_values", v) {
                            parts.push(format!("{} = {}", key(k), float(x)));
                        }
                    }
                    _ => self.report(
                        sv,
                        ind.row,
                        "papi_values",
                        "indicator.invalid_values",
                        format!("'{pair}' is not CHOICE=SCORE (e.g. yes=1 no=0)"),
                    ),
                }
            }
            t.push_str(&format!("values = {{ {} }}\n", parts.join(", ")));
        }
        if let Some(range) = &ind.range {
            let bounds: Vec<&str> = range.split_whitespace().collect();
            if bounds.len() == 2 {
                let lo = self.number(sv, ind.row, "papi_range", bounds[0]);
                let hi = self.number(sv, ind.row, "papi_range", bounds[1]);
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    t.push_str(&format!("range = [{}, {}]\n", float(lo), float(hi)));
                }
            } else {
                self.report(
                    sv,
                    ind.row,
                    "papi_range",
                    "indicator.invalid_range",
                    format!("'{range}' is not two numbers LO HI (e.g. 1 5)"),
                );
            }
        }
        if let Some(reverse) = &ind.reverse {
            match truthy(reverse) {
                Some(r) => t.push_str(&format!("reverse = {r}\n")),
                None => self.report(
                    sv,
                    ind.row,
                    "papi_reverse",
                    "indicator.invalid_reverse",
                    format!("papi_reverse must be yes or no, not '{reverse}'"),
                ),
            }
        }
        if let Some(any) = &ind.any_of {
            t.push_str(&format!(
                "any_of = [{}]\n",
                any.split_whitespace().map(q).collect::<Vec<_>>().join(", ")
            ));
        }
        t
    }
}
