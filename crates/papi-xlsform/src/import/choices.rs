//! The choices sheet: choice lists, each choice with its name (the value), label, image and the
//! extra columns a choice filter may read.

use std::collections::{BTreeMap, HashMap};

use super::table::Table;
use super::{Importer, RawChoiceRow};

impl Importer {
    /// The choice lists of the choices sheet, by list name.
    pub(super) fn choices(
        &mut self,
        tables: &HashMap<String, Table>,
        languages: &[String],
    ) -> BTreeMap<String, Vec<RawChoiceRow>> {
        let mut lists: BTreeMap<String, Vec<RawChoiceRow>> = BTreeMap::new();
        let mut choice_rows: HashMap<(String, String), usize> = HashMap::new();
        if let Some(choices) = tables.get("choices") {
            let list_column = "list_name";
            if !choices.has(list_column) && !choices.rows.is_empty() {
                self.report(
                    "choices",
                    1,
                    "list_name",
                    "sheet.missing_column",
                    "the choices sheet needs a 'list_name' column".into(),
                );
            }
            self.unkept_columns("choices", choices, &|c| {
                !c.is_empty() && (!c.starts_with("media::") || c == "media::image")
            });
            let extra: Vec<(usize, String)> = choices
                .header
                .iter()
                .enumerate()
                .filter(|(_, (b, l, _))| {
                    l.is_none()
                        && !b.is_empty()
                        && !matches!(b.as_str(), "list_name" | "name" | "label" | "media::image")
                        && !b.starts_with("media::")
                })
                .map(|(i, (b, _, _))| (i, b.clone()))
                .collect();
            for (row, cells) in &choices.rows {
                let list = choices.get(cells, list_column);
                let name = choices.get(cells, "name");
                if list.is_empty() {
                    self.report(
                        "choices",
                        *row,
                        "list_name",
                        "choices.missing_list_name",
                        "a choice needs the name of its list".into(),
                    );
                    continue;
                }
                if name.is_empty() {
                    self.report(
                        "choices",
                        *row,
                        "name",
                        "choices.missing_name",
                        format!("a choice of list '{list}' needs a name (its value)"),
                    );
                    continue;
                }
                if name.chars().any(char::is_whitespace) {
                    self.report("choices", *row, "name", "choices.invalid_value", format!(
                        "choice name '{name}' in list '{list}' has a space: a select_multiple answer separates its choices by spaces"));
                    continue;
                }
                if let Some(first) = choice_rows.insert((list.clone(), name.clone()), *row) {
                    self.report(
                        "choices",
                        *row,
                        "name",
                        "choices.duplicate_value",
                        format!("choice '{name}' is already in list '{list}' (row {first})"),
                    );
                    continue;
                }
                self.place(&list, "choices", *row);
                let mut label = self.texts(choices, cells, "label", "choices", *row, languages);
                if label.0.is_empty() {
                    for l in languages {
                        label.0.insert(l.clone(), name.clone());
                    }
                    self.warn(
                        "choices",
                        *row,
                        "label",
                        "choices.missing_label",
                        format!("choice '{name}' of list '{list}' has no label: its name is shown"),
                    );
                }
                let image = choices.label(cells, "media::image", &self.default_language);
                let columns = extra
                    .iter()
                    .filter_map(|(i, b)| {
                        cells
                            .get(*i)
                            .filter(|v| !v.is_empty())
                            .map(|v| (b.clone(), v.clone()))
                    })
                    .collect();
                lists.entry(list).or_default().push(RawChoiceRow {
                    value: name,
                    label,
                    image,
                    columns,
                });
            }
        }
        lists
    }
}
