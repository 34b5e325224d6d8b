//! The place pickers of an XForm: the location columns as cascading selects over the villages a
//! device may collect from, in the shape pyxform gives XLSForm's `choice_filter`: one secondary
//! instance per column whose items name their parents, and an itemset filtered by the answers above
//! (`instance('commune')/root/item[district= /data/district ]`).
//!
//! A choice's value is the place's own name: the server compares a submitted location with the
//! sample's names, so the name is the only value that can pass.

use std::collections::HashSet;
use std::fmt::Write as _;

use papi_survey::{Label, Survey};

use crate::location_label;
use crate::xform::{esc, Form};

/// The element of the note shown when a device has no place to collect from.
const NO_PLACES_NOTE: &str = "location_note";

/// The places as rows of names in the survey's column order; a place that lacks a column is left out
/// (it could not be submitted anyway).
fn rows<'a>(columns: &[String], places: &'a [Vec<(String, String)>]) -> Vec<Vec<&'a str>> {
    places
        .iter()
        .filter_map(|place| {
            columns
                .iter()
                .map(|col| {
                    place
                        .iter()
                        .find(|(k, _)| k == col)
                        .map(|(_, v)| v.as_str())
                })
                .collect::<Option<Vec<_>>>()
        })
        .collect()
}

/// The secondary instance's id of a column: the column's own name, as pyxform names a choice list,
/// unless a choice list of the questionnaire already has it.
fn instance_id(survey: &Survey, column: &str) -> String {
    if survey.choice_lists.contains_key(column) {
        format!("{column}_places")
    } else {
        column.to_owned()
    }
}

/// What a location column's field is called, in each of the survey's languages.
pub(crate) fn column_label(survey: &Survey, column: &str) -> Label {
    let mut label = Label::default();
    for l in &survey.languages {
        label.0.insert(l.clone(), location_label(column, l));
    }
    label
}

/// Writes the location columns of `survey` into `form` as cascading selects over `places`.
///
/// When every place has the same first value (a province survey's province), that column is a
/// read-only field holding it, not a select with one choice. With no places at all the selects are
/// there but empty, under a note that says why: the form still downloads, and the enumerator learns
/// whom to ask instead of finding an empty list.
pub(crate) fn write_cascade(survey: &Survey, places: &[Vec<(String, String)>], form: &mut Form) {
    let columns = &survey.design.location;
    if columns.is_empty() {
        return; // a survey without location columns has no sample, and nothing to pick
    }
    let rows = rows(columns, places);
    let first: HashSet<&str> = rows.iter().map(|r| r[0]).collect();
    let fixed = (first.len() == 1).then(|| rows[0][0]);
    let root = form.root.clone();

    if rows.is_empty() {
        let path = format!("/{root}/{NO_PLACES_NOTE}");
        write!(form.data, "<{NO_PLACES_NOTE}/>").unwrap();
        write!(
            form.binds,
            "<bind nodeset=\"{path}\" type=\"string\" readonly=\"true()\"/>"
        )
        .unwrap();
        let mut note = Label::default();
        for l in &survey.languages {
            let text = if l == "vi" {
                "Bạn chưa được phân công thôn nào của mẫu khảo sát này (hoặc khảo sát chưa có mẫu). Hãy báo giám sát viên, rồi tải lại biểu mẫu."
            } else {
                "No village of this survey's sample is assigned to you yet (or the survey has no sample). Tell your supervisor, then download the form again."
            };
            note.0.insert(l.clone(), text.to_owned());
        }
        let r = form.itext.add(format!("{path}:label"), &note);
        write!(
            form.body,
            "<input ref=\"{path}\"><label ref=\"{r}\"/></input>"
        )
        .unwrap();
    }

    // The columns that filter a level: every select above it (a fixed column filters nothing).
    let start = usize::from(fixed.is_some());
    for (level, col) in columns.iter().enumerate() {
        let path = format!("/{root}/{col}");
        let label = form
            .itext
            .add(format!("{path}:label"), &column_label(survey, col));
        if let (0, Some(value)) = (level, fixed) {
            write!(form.data, "<{col}>{}</{col}>", esc(value)).unwrap();
            write!(
                form.binds,
                "<bind nodeset=\"{path}\" type=\"string\" required=\"true()\" readonly=\"true()\"/>"
            )
            .unwrap();
            write!(
                form.body,
                "<input ref=\"{path}\"><label ref=\"{label}\"/></input>"
            )
            .unwrap();
            continue;
        }
        write!(form.data, "<{col}/>").unwrap();
        write!(
            form.binds,
            "<bind nodeset=\"{path}\" type=\"string\" required=\"true()\"/>"
        )
        .unwrap();

        let id = instance_id(survey, col);
        let parents = &columns[start..level];
        write!(form.instances, "<instance id=\"{}\"><root>", esc(&id)).unwrap();
        // One item per distinct place at this level: the same village name under two communes is
        // two items, told apart by their parents.
        let mut seen = HashSet::new();
        for row in &rows {
            if !seen.insert(&row[..=level]) {
                continue;
            }
            let name = esc(row[level]);
            write!(
                form.instances,
                "<item><name>{name}</name><label>{name}</label>"
            )
            .unwrap();
            for (p, parent) in parents.iter().enumerate() {
                write!(
                    form.instances,
                    "<{parent}>{}</{parent}>",
                    esc(row[start + p])
                )
                .unwrap();
            }
            form.instances.push_str("</item>");
        }
        let mut filter: Vec<String> = parents
            .iter()
            .map(|p| format!("{p}= /{root}/{p} "))
            .collect();
        if rows.is_empty() {
            // ODK refuses an itemset over an instance with no item (it checks the value and label
            // nodes of the first): one blank item is there, and the filter never offers it.
            form.instances
                .push_str("<item><name></name><label></label></item>");
            filter.push("name != ''".to_owned());
        }
        form.instances.push_str("</root></instance>");
        let filter = filter.join(" and ");
        // Column names are XML names and the id is one, so the attribute needs no escaping.
        let nodeset = if filter.is_empty() {
            format!("instance('{id}')/root/item")
        } else {
            format!("instance('{id}')/root/item[{filter}]")
        };
        write!(
            form.body,
            "<select1 ref=\"{path}\"><label ref=\"{label}\"/><itemset nodeset=\"{nodeset}\"><value ref=\"name\"/><label ref=\"label\"/></itemset></select1>"
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Survey {
        // province, district, commune: the test fixture's location columns.
        Survey::from_toml(
            include_str!("../../../tests/fixtures/small.toml"),
            "small.toml",
        )
        .unwrap()
    }

    fn place(district: &str, commune: &str) -> Vec<(String, String)> {
        // In another order than the survey's columns, as PostgreSQL may give them back.
        vec![
            ("commune".into(), commune.into()),
            ("province".into(), "Bình Định".into()),
            ("district".into(), district.into()),
        ]
    }

    #[test]
    fn one_province_is_fixed_and_communes_are_filtered_by_district() {
        let xml = crate::xform_with_places(
            &survey(),
            &[
                place("Tây Sơn", "Bình Tường"),
                place("Tây Sơn", "Tây Giang"),
                place("An Nhơn", "Bình Tường"),
                place("Tây Sơn", "Bình Tường"),
            ],
        );
        assert!(xml.contains("<province>Bình Định</province>"), "{xml}");
        assert!(xml.contains("<bind nodeset=\"/data/province\" type=\"string\" required=\"true()\" readonly=\"true()\"/>"));
        assert!(!xml.contains("<instance id=\"province\">"));
        assert!(xml.contains("<instance id=\"district\"><root><item><name>Tây Sơn</name><label>Tây Sơn</label></item><item><name>An Nhơn</name><label>An Nhơn</label></item></root></instance>"), "{xml}");
        // The same commune name in two districts is two items; a repeated place is one.
        assert!(xml.contains("<instance id=\"commune\"><root><item><name>Bình Tường</name><label>Bình Tường</label><district>Tây Sơn</district></item><item><name>Tây Giang</name><label>Tây Giang</label><district>Tây Sơn</district></item><item><name>Bình Tường</name><label>Bình Tường</label><district>An Nhơn</district></item></root></instance>"), "{xml}");
        assert!(xml.contains("<select1 ref=\"/data/commune\"><label ref=\"jr:itext('/data/commune:label')\"/><itemset nodeset=\"instance('commune')/root/item[district= /data/district ]\"><value ref=\"name\"/><label ref=\"label\"/></itemset></select1>"), "{xml}");
        assert!(!xml.contains(NO_PLACES_NOTE));
    }

    #[test]
    fn several_provinces_are_a_select_and_filter_every_level_below() {
        let mut other = place("Hoài Nhơn", "Tam Quan");
        other[1].1 = "Phú Yên & <Khánh Hoà>".into();
        let xml = crate::xform_with_places(&survey(), &[place("Tây Sơn", "Bình Tường"), other]);
        assert!(xml.contains("<province/>"));
        assert!(
            xml.contains("<item><name>Phú Yên &amp; &lt;Khánh Hoà&gt;</name>"),
            "{xml}"
        );
        assert!(xml.contains("instance('commune')/root/item[province= /data/province  and district= /data/district ]"), "{xml}");
        assert!(xml.contains("<item><name>Tam Quan</name><label>Tam Quan</label><province>Phú Yên &amp; &lt;Khánh Hoà&gt;</province><district>Hoài Nhơn</district></item>"), "{xml}");
    }

    #[test]
    fn no_places_gives_empty_selects_under_a_note() {
        let xml = crate::xform_with_places(&survey(), &[]);
        assert!(xml.contains("<location_note/>"));
        assert!(xml.contains("<instance id=\"province\"><root><item><name></name><label></label></item></root></instance>"), "{xml}");
        assert!(
            xml.contains("<itemset nodeset=\"instance('province')/root/item[name != '']\">"),
            "{xml}"
        );
        assert!(xml.contains("<itemset nodeset=\"instance('commune')/root/item[province= /data/province  and district= /data/district  and name != '']\">"), "{xml}");
        assert!(xml.contains("Bạn chưa được phân công thôn nào"));
        assert!(xml.contains("No village of this survey&apos;s sample is assigned to you yet"));
    }
}
