//! The survey sheet: names in papi's form of an id (and references to them renamed), each row's type
//! read as pyxform reads it, groups and repeats opened and closed, the questions with their texts,
//! rules and settings, pyxform's `or_other` companions, and the indicators that score them.

use std::collections::{BTreeMap, HashMap};

use papi_survey::{Label, QuestionType};

use super::choice_file;
use super::table::Table;
use super::toml_text::{label_toml, q};
use super::{rename_references, truthy, Importer, RawChoiceRow, RawIndicator, SurveySheet};

/// Columns of the survey sheet papi keeps (the rest are reported as not kept).
const SURVEY_COLUMNS: [&str; 29] = [
    "type",
    "name",
    "label",
    "hint",
    "guidance_hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "repeat_count",
    "default",
    "appearance",
    "read_only",
    "parameters",
    "media::image",
    "papi_role",
    "papi_indicator",
    "papi_indicator_label",
    "papi_subdimension",
    "papi_indicator_weight",
    "papi_values",
    "papi_range",
    "papi_reverse",
    "papi_any_of",
    "disabled",
    "",
];

/// A question or group name in papi's form of an id: lower case, `-` and `.` as `_`, starting with a
/// letter.
pub(super) fn id_of(name: &str) -> String {
    let mut id: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert(0, 'q');
    }
    id
}

/// A question type as written in a workbook, read the way pyxform reads it.
enum RowType {
    BeginGroup,
    EndGroup,
    BeginRepeat,
    EndRepeat,
    /// start and end: the interview's own times.
    InterviewTime,
    Question {
        kind: QuestionType,
        list: Option<String>,
        or_other: bool,
    },
    /// `select_one_from_file FILE`: a select over the choices of a file beside the workbook.
    FromFile {
        kind: QuestionType,
        file: String,
    },
    Refused(String),
}

fn row_type(kind: &str) -> RowType {
    let lower = kind
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let (lower, or_other) = match lower.strip_suffix(" or_other") {
        Some(base) => (base.to_owned(), true),
        None => (lower, false),
    };
    let original_tail = |words: usize| -> String {
        kind.split_whitespace()
            .skip(words)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let select = |kind: QuestionType, words: usize| {
        let list = original_tail(words);
        let list = list
            .strip_suffix(" or_other")
            .unwrap_or(&list)
            .trim()
            .to_owned();
        RowType::Question {
            kind,
            list: Some(list),
            or_other,
        }
    };
    let plain = |kind: QuestionType| RowType::Question {
        kind,
        list: None,
        or_other,
    };
    let words: Vec<&str> = lower.split(' ').collect();
    match words.as_slice() {
        ["begin", "group"] | ["begin_group"] => RowType::BeginGroup,
        ["end", "group"] | ["end_group"] => RowType::EndGroup,
        ["begin", "repeat"] | ["begin_repeat"] => RowType::BeginRepeat,
        ["end", "repeat"] | ["end_repeat"] => RowType::EndRepeat,
        ["start"] | ["end"] => RowType::InterviewTime,
        ["select_one", "from", _] | ["select", "one", "from", _] => {
            select(QuestionType::SelectOne, words.len() - 1)
        }
        ["select_one", _] | ["select1", _] => select(QuestionType::SelectOne, 1),
        ["select", "one", _] => select(QuestionType::SelectOne, 2),
        ["select_multiple", "from", _] | ["select", "all", "that", "apply", "from", _] => {
            select(QuestionType::SelectMultiple, words.len() - 1)
        }
        ["select_multiple", _] | ["select", "multiple", _] => {
            select(QuestionType::SelectMultiple, words.len() - 1)
        }
        ["select", "all", "that", "apply", _] => select(QuestionType::SelectMultiple, 4),
        ["select_one"] | ["select_multiple"] | ["select", "one"] | ["select", "all", "that", "apply"] => {
            RowType::Refused(format!("'{kind}' needs a choice list name, e.g. '{kind} yes_no'"))
        }
        ["begin", "loop", ..] | ["begin_loop", ..] | ["end", "loop"] | ["end_loop"] => {
            RowType::Refused(
                "a loop over a choice list is not kept by papi: write it as a begin repeat with repeat_count, or as one group per item".into(),
            )
        }
        ["select_one_from_file", ..] | ["select_multiple_from_file", ..] if or_other => {
            RowType::Refused(
                "or_other is not kept with choices from a file: add an 'other' choice to the file".into(),
            )
        }
        ["select_one_from_file", ..] => RowType::FromFile {
            kind: QuestionType::SelectOne,
            file: original_tail(1),
        },
        ["select_multiple_from_file", ..] => RowType::FromFile {
            kind: QuestionType::SelectMultiple,
            file: original_tail(1),
        },
        ["select_one_external", ..] | ["select_multiple_external", ..] => RowType::Refused(
            "external choices (the external_choices sheet) are not kept by papi: put the choices on the choices sheet and use choice_filter".into(),
        ),
        ["rank", ..] => RowType::Refused("rank questions are not kept by papi".into()),
        [single] => {
            let base = match *single {
                "int" => "integer",
                "string" => "text",
                "gps" | "location" => "geopoint",
                "photo" => "image",
                "trigger" => "acknowledge",
                "imei" => "deviceid",
                "date_time" => "datetime",
                "select_one" => "",
                other => other,
            };
            match QuestionType::parse(base) {
                Some(QuestionType::Repeat) | None => RowType::Refused(format!(
                    "type '{kind}' is not one papi knows: use {} (and begin/end group, begin/end repeat, start, end)",
                    QuestionType::names()
                        .filter(|n| *n != "repeat")
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(t) => plain(t),
            }
        }
        _ => RowType::Refused(format!("type '{kind}' is not one papi knows")),
    }
}

fn and_all(parts: &[String]) -> Option<String> {
    match parts.len() {
        0 => None,
        1 => Some(parts[0].clone()),
        _ => Some(
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

impl Importer {
    /// Names first: a question renamed to papi's form of an id is renamed wherever it is referred to.
    pub(super) fn rename(&mut self, survey: &Table) {
        let mut seen_ids: HashMap<String, usize> = HashMap::new();
        for (row, cells) in &survey.rows {
            let name = survey.get(cells, "name");
            let kind = survey.get(cells, "type").to_lowercase();
            if name.is_empty() || kind.starts_with("end") {
                continue;
            }
            let id = id_of(&name);
            if id != name {
                if let Some(first) = seen_ids.get(&id) {
                    self.report("survey", *row, "name", "survey.duplicate_name", format!(
                        "name '{name}' reads as '{id}', the name of row {first}: papi's ids are lower case, with '_' for '-' and '.'"));
                    continue;
                }
                self.renamed.insert(name.clone(), id.clone());
                self.warn("survey", *row, "name", "survey.renamed", format!("name '{name}' is kept as '{id}' (lower-case letters, digits and '_'); references to it are renamed too"));
            }
            seen_ids.entry(id).or_insert(*row);
        }
    }

    /// The rows of the survey sheet, in order; a choice list asked for with `or_other` gains its
    /// "other" choice in `lists`.
    pub(super) fn survey_sheet(
        &mut self,
        survey: &Table,
        lists: &mut BTreeMap<String, Vec<RawChoiceRow>>,
        languages: &[String],
    ) -> SurveySheet {
        self.unkept_columns("survey", survey, &|c| SURVEY_COLUMNS.contains(&c));
        let mut location: Vec<String> = Vec::new();
        let mut questions: Vec<String> = Vec::new();
        let mut groups_toml: Vec<String> = Vec::new();
        let mut indicators: Vec<RawIndicator> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        // Open groups and repeats: (name, row, is_repeat, relevant).
        let mut open: Vec<(String, usize, bool, Option<String>)> = Vec::new();
        let mut last_question: Option<String> = None;
        let sv = "survey";
        for (row, cells) in &survey.rows {
            let row = *row;
            let kind = survey
                .get(cells, "type")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            // pyxform leaves out a row marked `disabled`.
            if truthy(&survey.get(cells, "disabled")) == Some(true) {
                continue;
            }
            let given_name = survey.get(cells, "name");
            let name = self
                .renamed
                .get(&given_name)
                .cloned()
                .unwrap_or_else(|| given_name.clone());
            let indicator = survey.get(cells, "papi_indicator");
            let renamed = self.renamed.clone();
            let expr = |c: &str| -> Option<String> {
                let e = survey.get(cells, c);
                (!e.is_empty()).then(|| rename_references(&e, &renamed))
            };
            if kind.is_empty() {
                if !name.is_empty() {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.missing_type",
                        format!("'{given_name}' has no type"),
                    );
                } else if !indicator.is_empty() {
                    // One more indicator of the question above.
                    match &last_question {
                        Some(question) => {
                            indicators.push(self.indicator(survey, cells, row, question))
                        }
                        None => self.report(
                            sv,
                            row,
                            "papi_indicator",
                            "survey.indicator_without_question",
                            format!("indicator '{indicator}' is not under a question"),
                        ),
                    }
                }
                continue;
            }
            let relevant_here = expr("relevant");
            let group_relevants: Vec<String> = open
                .iter()
                .filter(|(_, _, repeat, _)| !repeat)
                .filter_map(|(_, _, _, r)| r.clone())
                .collect();
            let in_repeat = open
                .iter()
                .rev()
                .find(|(_, _, r, _)| *r)
                .map(|(n, ..)| n.clone());
            let row_kind = row_type(&kind);
            let from_file = matches!(row_kind, RowType::FromFile { .. });
            let (qkind, list, or_other) = match row_kind {
                RowType::BeginGroup | RowType::BeginRepeat => {
                    let repeat = matches!(row_type(&kind), RowType::BeginRepeat);
                    if name.is_empty() {
                        self.report(
                            sv,
                            row,
                            "name",
                            "survey.missing_name",
                            format!("a row of type '{kind}' needs a name"),
                        );
                        open.push((format!("row{row}"), row, repeat, relevant_here));
                        continue;
                    }
                    if let Some(first) = names.insert(name.clone(), row) {
                        self.report(sv, row, "name", "survey.duplicate_name",
                            format!("name '{given_name}' is already used in row {first}; every group and question needs its own"));
                    }
                    self.place(&name, sv, row);
                    let label = self.texts(survey, cells, "label", sv, row, languages);
                    if repeat {
                        // A repeat is a question whose answer is its repetitions.
                        let mut t =
                            format!("\n[[questions]]\nid = {}\ntype = \"repeat\"\n", q(&name));
                        if let Some((g, ..)) = open.iter().rev().find(|(_, _, r, _)| !r) {
                            t.push_str(&format!("group = {}\n", q(g)));
                        }
                        if let Some(r) = &in_repeat {
                            t.push_str(&format!("repeat = {}\n", q(r)));
                        }
                        if !label.0.is_empty() {
                            t.push_str(&format!("label = {}\n", label_toml(&label, languages)));
                        }
                        let mut rel = group_relevants.clone();
                        rel.extend(relevant_here.clone());
                        if let Some(r) = and_all(&rel) {
                            t.push_str(&format!("relevant = {}\n", q(&r)));
                        }
                        if let Some(c) = expr("repeat_count") {
                            t.push_str(&format!("repeat_count = {}\n", q(&c)));
                        }
                        if let Some(a) = expr("appearance") {
                            t.push_str(&format!("appearance = {}\n", q(&a)));
                        }
                        questions.push(t);
                        open.push((name, row, true, None));
                    } else {
                        let mut t = format!("\n[[groups]]\nid = {}\n", q(&name));
                        if !label.0.is_empty() {
                            t.push_str(&format!("label = {}\n", label_toml(&label, languages)));
                        }
                        if let Some(a) = expr("appearance") {
                            t.push_str(&format!("appearance = {}\n", q(&a)));
                        }
                        groups_toml.push(t);
                        open.push((name, row, false, relevant_here));
                    }
                    last_question = None;
                    continue;
                }
                RowType::EndGroup | RowType::EndRepeat => {
                    let repeat = matches!(row_type(&kind), RowType::EndRepeat);
                    match open.last() {
                        Some((_, _, r, _)) if *r == repeat => {
                            open.pop();
                        }
                        Some((n, opened, _, _)) => {
                            let (n, opened) = (n.clone(), *opened);
                            self.report(
                                sv,
                                row,
                                "type",
                                "survey.unbalanced_group",
                                format!(
                                    "{kind} closes '{n}' (row {opened}), which is a {}",
                                    if repeat { "group" } else { "repeat" }
                                ),
                            );
                            open.pop();
                        }
                        None => self.report(
                            sv,
                            row,
                            "type",
                            "survey.unbalanced_group",
                            format!(
                                "{kind} without a begin {} above it",
                                if repeat { "repeat" } else { "group" }
                            ),
                        ),
                    }
                    last_question = None;
                    continue;
                }
                // Times the device records: they become the interview's started_at and finished_at.
                RowType::InterviewTime => continue,
                RowType::Refused(why) => {
                    self.report(sv, row, "type", "survey.unknown_type", why);
                    continue;
                }
                RowType::Question {
                    kind,
                    list,
                    or_other,
                } => (kind, list, or_other),
                RowType::FromFile { kind, file } => (kind, Some(file), false),
            };
            if name.is_empty() {
                self.report(
                    sv,
                    row,
                    "name",
                    "survey.missing_name",
                    format!("a row of type '{kind}' needs a name"),
                );
                continue;
            }
            if let Some(first) = names.insert(name.clone(), row) {
                self.report(sv, row, "name", "survey.duplicate_name",
                    format!("name '{given_name}' is already used in row {first}; every question needs its own"));
                continue;
            }
            let role = survey.get(cells, "papi_role");
            if role == "location" {
                if qkind != QuestionType::Text {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.location_type",
                        format!("location column '{name}' must be of type text, not {kind}"),
                    );
                }
                location.push(name);
                continue;
            } else if !role.is_empty() {
                self.report(
                    sv,
                    row,
                    "papi_role",
                    "survey.unknown_role",
                    format!("papi_role '{role}' is not known (only 'location')"),
                );
                continue;
            }
            let list = match list {
                Some(file) if from_file => {
                    let parameters = survey.get(cells, "parameters");
                    match self.list_from_file(row, &kind, &file, &parameters, lists, languages) {
                        Some(id) => Some(id),
                        None => continue,
                    }
                }
                list => list,
            };
            if let Some(l) = &list {
                if !lists.contains_key(l) {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.unknown_list",
                        format!("choice list '{l}' (type '{kind}') is not on the choices sheet"),
                    );
                    continue;
                }
                if or_other && !lists[l].iter().any(|c| c.value == "other") {
                    let mut label = Label::default();
                    for lang in languages {
                        label.0.insert(
                            lang.clone(),
                            if lang == "vi" { "Khác" } else { "Other" }.to_owned(),
                        );
                    }
                    lists.get_mut(l).expect("checked above").push(RawChoiceRow {
                        value: "other".into(),
                        label,
                        image: Label::default(),
                        columns: BTreeMap::new(),
                    });
                }
            }
            let required_text = survey.get(cells, "required");
            let (required, required_if) = match truthy(&required_text) {
                Some(r) => (r, None),
                // pyxform takes an expression: required when it holds.
                None => (false, Some(rename_references(&required_text, &renamed))),
            };
            self.place(&name, sv, row);
            let mut t = String::from("\n[[questions]]\n");
            t.push_str(&format!("id = {}\n", q(&name)));
            if let Some((g, ..)) = open.iter().rev().find(|(_, _, r, _)| !r) {
                t.push_str(&format!("group = {}\n", q(g)));
            }
            if let Some(r) = &in_repeat {
                t.push_str(&format!("repeat = {}\n", q(r)));
            }
            t.push_str(&format!("type = {}\n", q(qkind.name())));
            if let Some(l) = &list {
                t.push_str(&format!("choices = {}\n", q(l)));
            }
            let label = self.texts(survey, cells, "label", sv, row, languages);
            if !label.0.is_empty() {
                t.push_str(&format!("label = {}\n", label_toml(&label, languages)));
            }
            for (column, key_name) in [
                ("hint", "hint"),
                ("guidance_hint", "guidance_hint"),
                ("constraint_message", "constraint_message"),
                ("required_message", "required_message"),
            ] {
                let text = self.texts(survey, cells, column, sv, row, languages);
                if !text.0.is_empty() {
                    t.push_str(&format!("{key_name} = {}\n", label_toml(&text, languages)));
                }
            }
            let image = survey.label(cells, "media::image", &self.default_language);
            if !image.0.is_empty() {
                t.push_str(&format!("image = {}\n", label_toml(&image, languages)));
            }
            if required {
                t.push_str("required = true\n");
            }
            if let Some(r) = required_if {
                t.push_str(&format!("required_if = {}\n", q(&r)));
            }
            // A group's skip logic holds for every question in it.
            let mut rel = group_relevants;
            rel.extend(relevant_here);
            if let Some(r) = and_all(&rel) {
                t.push_str(&format!("relevant = {}\n", q(&r)));
            }
            for column in [
                "constraint",
                "calculation",
                "choice_filter",
                "default",
                "appearance",
                "parameters",
            ] {
                let mut e = expr(column);
                if column == "parameters" && from_file {
                    // value= and label= named the file's columns: what remains is the question's.
                    e = e
                        .map(|p| choice_file::file_parameters(&p).2)
                        .filter(|p| !p.is_empty());
                }
                if let Some(e) = e {
                    t.push_str(&format!("{column} = {}\n", q(&e)));
                }
            }
            let read_only = survey.get(cells, "read_only");
            match truthy(&read_only) {
                Some(true) => t.push_str("read_only = true\n"),
                Some(false) => {}
                None => self.warn(sv, row, "read_only", "survey.read_only_expression", format!(
                    "read_only '{read_only}' is an expression: papi keeps read_only as yes or no, and shows the question as editable")),
            }
            questions.push(t);
            if or_other {
                // pyxform's companion question for the "other" choice.
                let other = format!("{name}_other");
                let mut label = Label::default();
                for lang in languages {
                    label.0.insert(
                        lang.clone(),
                        if lang == "vi" {
                            "Ghi rõ lựa chọn khác."
                        } else {
                            "Specify other."
                        }
                        .to_owned(),
                    );
                }
                let mut t = format!("\n[[questions]]\nid = {}\n", q(&other));
                if let Some((g, ..)) = open.iter().rev().find(|(_, _, r, _)| !r) {
                    t.push_str(&format!("group = {}\n", q(g)));
                }
                if let Some(r) = &in_repeat {
                    t.push_str(&format!("repeat = {}\n", q(r)));
                }
                t.push_str(&format!(
                    "type = \"text\"\nlabel = {}\nrelevant = {}\n",
                    label_toml(&label, languages),
                    q(&format!("selected(${{{name}}}, 'other')"))
                ));
                self.place(&other, sv, row);
                questions.push(t);
            }
            if !indicator.is_empty() {
                indicators.push(self.indicator(survey, cells, row, &name));
            }
            last_question = Some(name);
        }
        for (g, row, repeat, _) in open.iter().rev() {
            self.report(
                sv,
                *row,
                "type",
                "survey.unbalanced_group",
                format!(
                    "{} '{g}' has no end {}",
                    if *repeat { "repeat" } else { "group" },
                    if *repeat { "repeat" } else { "group" }
                ),
            );
        }
        if questions.is_empty() && location.is_empty() && self.problems.is_empty() {
            self.report(
                sv,
                0,
                "",
                "survey.empty",
                "the survey sheet has no questions".into(),
            );
        }
        SurveySheet {
            location,
            questions,
            groups: groups_toml,
            indicators,
        }
    }

    fn indicator(
        &mut self,
        survey: &Table,
        cells: &[String],
        row: usize,
        question: &str,
    ) -> RawIndicator {
        let get = |c: &str| {
            let v = survey.get(cells, c);
            (!v.is_empty()).then_some(v)
        };
        let id = survey.get(cells, "papi_indicator");
        self.place(&id, "survey", row);
        RawIndicator {
            row,
            id,
            subdimension: survey.get(cells, "papi_subdimension"),
            question: question.to_owned(),
            label: survey.label(cells, "papi_indicator_label", &self.default_language),
            weight: get("papi_indicator_weight"),
            values: get("papi_values"),
            range: get("papi_range"),
            reverse: get("papi_reverse"),
            any_of: get("papi_any_of"),
        }
    }
}
