//! A survey definition rendered as an ODK XForm, in the shape pyxform gives an XLSForm: translations
//! in `itext`, one secondary instance per choice list, binds with XPath paths, and body controls
//! grouped as the definition groups its questions. The location is typed in ([`xform`]) or picked
//! from the places a device may use ([`xform_with_places`], see `places.rs`).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use papi_survey::{Label, QuestionType, Survey};

use crate::{language_name, FINISHED_AT, STARTED_AT};

/// XML text with the five special characters escaped.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Rewrites an XLSForm expression for the XForm: `${name}` and bare question names become absolute
/// paths (as pyxform writes them), string literals and function names are left alone.
fn xpath(src: &str, paths: &HashMap<&str, String>) -> String {
    xpath_with(src, paths, false)
}

/// As [`xpath`]; in a choice filter (`columns`), bare names are the choice list's columns and stay.
fn xpath_with(src: &str, paths: &HashMap<&str, String>, columns: bool) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == c)
                .map(|p| i + 1 + p)
                .unwrap_or(chars.len() - 1);
            // `jr:choice-name(${q}, '${q}')` names its question inside quotes.
            let inner: String = chars[i + 1..end].iter().collect();
            let named = inner
                .trim()
                .strip_prefix("${")
                .and_then(|n| n.strip_suffix('}'))
                .and_then(|n| paths.get(n.trim()));
            match named {
                Some(p) => write!(out, "{c} {p} {c}").unwrap(),
                None => out.extend(&chars[i..=end]),
            }
            i = end + 1;
        } else if c == '$' && chars.get(i + 1) == Some(&'{') {
            let end = chars[i..]
                .iter()
                .position(|&x| x == '}')
                .map(|p| i + p)
                .unwrap_or(chars.len());
            let name: String = chars[i + 2..end].iter().collect();
            match paths.get(name.trim()) {
                Some(p) => write!(out, " {p} ").unwrap(),
                None => out.extend(&chars[i..(end + 1).min(chars.len())]),
            }
            i = end + 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let call = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            match paths.get(word.as_str()) {
                Some(p) if !call && !columns => write!(out, " {p} ").unwrap(),
                _ => out.push_str(&word),
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The paths as an expression of a question in the repeat at `repeat` reads them: the answers of its
/// own repetition by a path relative to the question (`../age`, after `prefix`), as pyxform writes
/// them, so that each repetition reads its own (Enketo and JavaRosa read an absolute path to a
/// repeated question as every repetition's); the rest absolute.
fn in_repetition<'a>(
    paths: &HashMap<&'a str, String>,
    repeat: &str,
    prefix: &str,
) -> HashMap<&'a str, String> {
    paths
        .iter()
        .map(|(k, p)| {
            let p = match p.strip_prefix(repeat).and_then(|r| r.strip_prefix('/')) {
                Some(rest) => format!("{prefix}../{rest}"),
                None => p.clone(),
            };
            (*k, p)
        })
        .collect()
}

/// A text's forms: none for the text itself, `image`, `guidance`; each per language.
type Forms = Vec<(Option<&'static str>, Label)>;

pub(crate) struct Itext {
    /// text id → its forms
    texts: Vec<(String, Forms)>,
}

impl Itext {
    /// Adds a translated text and returns the reference a label or message points at.
    pub(crate) fn add(&mut self, id: String, label: &Label) -> String {
        self.add_forms(id, vec![(None, label.clone())])
    }

    /// Adds a text with further forms (an image, a guidance hint).
    pub(crate) fn add_forms(&mut self, id: String, forms: Forms) -> String {
        let r = format!("jr:itext('{id}')");
        self.texts.push((id, forms));
        r
    }
}

/// An XForm's bind type for a question type.
fn bind_type(q: &papi_survey::Question) -> &'static str {
    use QuestionType as T;
    match q.kind {
        T::Integer => "int",
        T::Decimal => "decimal",
        T::Range => {
            let (a, b, step) = q.range_scale();
            if [a, b, step].iter().all(|x| x.fract() == 0.0) {
                "int"
            } else {
                "decimal"
            }
        }
        T::Date | T::Today => "date",
        T::Time => "time",
        T::DateTime => "dateTime",
        T::Geopoint => "geopoint",
        T::Geotrace => "geotrace",
        T::Geoshape => "geoshape",
        T::Barcode => "barcode",
        T::Image | T::Audio | T::Video | T::File | T::Audit => "binary",
        _ => "string",
    }
}

/// The preload of a device metadata question (jr:preload, jr:preloadParams).
fn preload(kind: QuestionType) -> Option<(&'static str, &'static str)> {
    use QuestionType as T;
    Some(match kind {
        T::Today => ("date", "today"),
        T::DeviceId => ("property", "deviceid"),
        T::PhoneNumber => ("property", "phonenumber"),
        T::Username => ("property", "username"),
        T::Email => ("property", "email"),
        T::SubscriberId => ("property", "subscriberid"),
        T::SimSerial => ("property", "simserial"),
        _ => return None,
    })
}

/// The parts of an XForm as they are written: the primary instance, secondary instances, binds, the
/// body's controls and the translated texts.
pub(crate) struct Form {
    /// The primary instance's root element.
    pub root: String,
    pub data: String,
    pub instances: String,
    pub binds: String,
    pub body: String,
    pub itext: Itext,
}

/// The XForm (XML) of a definition with the location typed in: what `papi xlsform xform` writes
/// for a definition alone, with no sample to pick places from.
pub fn xform(survey: &Survey) -> String {
    render(survey, None)
}

/// The XForm of a definition whose location is picked, not typed: one cascading select per location
/// column over `places` (each a village's location as (column, name) pairs, in any order), what the
/// server gives a device for the villages it may collect from. With no places, the selects are empty
/// under a note saying that no village is assigned yet.
pub fn xform_with_places(survey: &Survey, places: &[Vec<(String, String)>]) -> String {
    render(survey, Some(places))
}

fn render(survey: &Survey, places: Option<&[Vec<(String, String)>]>) -> String {
    let root = "data";
    let mut paths: HashMap<&str, String> = HashMap::new();
    for col in &survey.design.location {
        paths.insert(col, format!("/{root}/{col}"));
    }
    for q in &survey.questions {
        let p = match (q.repeat, &q.group) {
            (Some(r), _) => format!("{}/{}", paths[survey.questions[r].id.as_str()], q.id),
            (None, _) if q.kind == QuestionType::Audit => format!("/{root}/meta/{}", q.id),
            (None, Some(g)) => format!("/{root}/{g}/{}", q.id),
            (None, None) => format!("/{root}/{}", q.id),
        };
        paths.insert(&q.id, p);
    }
    let mut form = Form {
        root: root.to_owned(),
        data: String::new(),
        instances: String::new(),
        binds: String::new(),
        body: String::new(),
        itext: Itext { texts: Vec::new() },
    };

    // Choice lists: their labels are translated, their items live in secondary instances.
    let used: BTreeSet<&str> = survey
        .questions
        .iter()
        .filter_map(|q| q.choices.as_deref())
        .collect();
    for list in &used {
        let choices = &survey.choice_lists[*list];
        write!(form.instances, "<instance id=\"{}\"><root>", esc(list)).unwrap();
        for (i, c) in choices.iter().enumerate() {
            let id = format!("{list}-{i}");
            let mut forms = vec![(None, c.label.clone())];
            if let Some(image) = &c.image {
                forms.push((Some("image"), image.clone()));
            }
            form.itext.texts.push((id.clone(), forms));
            write!(
                form.instances,
                "<item><itextId>{}</itextId><name>{}</name>",
                esc(&id),
                esc(&c.value)
            )
            .unwrap();
            // The further columns a choice filter reads.
            for (k, v) in &c.columns {
                write!(form.instances, "<{k}>{}</{k}>", esc(v)).unwrap();
            }
            form.instances.push_str("</item>");
        }
        form.instances.push_str("</root></instance>");
    }

    // The primary instance, binds and body, in question order.
    write!(
        form.data,
        "<{root} id=\"{}\" version=\"{}\"><{STARTED_AT}/><{FINISHED_AT}/>",
        esc(&survey.id),
        esc(&survey.version)
    )
    .unwrap();
    for (name, param) in [(STARTED_AT, "start"), (FINISHED_AT, "end")] {
        write!(form.binds, "<bind nodeset=\"/{root}/{name}\" jr:preload=\"timestamp\" type=\"dateTime\" jr:preloadParams=\"{param}\"/>").unwrap();
    }
    match places {
        Some(places) => crate::places::write_cascade(survey, places, &mut form),
        None => typed_location(survey, &mut form),
    }
    let mut group: Option<&str> = None;
    let audit: Vec<&papi_survey::Question> = survey
        .questions
        .iter()
        .filter(|q| q.kind == QuestionType::Audit)
        .collect();
    let mut i = 0;
    while i < survey.questions.len() {
        let q = &survey.questions[i];
        i += 1;
        if q.kind == QuestionType::Audit {
            continue;
        }
        if q.group.as_deref() != group {
            if let Some(g) = group {
                write!(form.data, "</{g}>").unwrap();
                form.body.push_str("</group>");
            }
            if let Some(g) = &q.group {
                write!(form.data, "<{g}>").unwrap();
                write!(form.body, "<group ref=\"/{root}/{g}\"").unwrap();
                let heading = survey.group(g);
                if let Some(a) = heading.and_then(|h| h.appearance.as_deref()) {
                    write!(form.body, " appearance=\"{}\"", esc(a)).unwrap();
                }
                form.body.push('>');
                if let Some(h) = heading.filter(|h| !h.label.0.is_empty()) {
                    let r = form.itext.add(format!("/{root}/{g}:label"), &h.label);
                    write!(form.body, "<label ref=\"{r}\"/>").unwrap();
                }
            }
            group = q.group.as_deref();
        }
        if q.kind == QuestionType::Repeat {
            // The repeat's template in the instance, its questions inside it, and a repeat control.
            let path = &paths[q.id.as_str()];
            write!(form.data, "<{} jr:template=\"\">", q.id).unwrap();
            write!(form.binds, "<bind nodeset=\"{path}\"").unwrap();
            if let Some(r) = &q.relevant_source {
                write!(form.binds, " relevant=\"{}\"", esc(&xpath(r, &paths))).unwrap();
            }
            form.binds.push_str("/>");
            write!(form.body, "<group ref=\"{path}\"").unwrap();
            if let Some(a) = &q.appearance {
                write!(form.body, " appearance=\"{}\"", esc(a)).unwrap();
            }
            form.body.push('>');
            if !q.label.0.is_empty() {
                let r = form.itext.add(format!("{path}:label"), &q.label);
                write!(form.body, "<label ref=\"{r}\"/>").unwrap();
            }
            write!(form.body, "<repeat nodeset=\"{path}\"").unwrap();
            if let Some(c) = &q.repeat_count_source {
                write!(form.body, " jr:count=\"{}\"", esc(&xpath(c, &paths))).unwrap();
            }
            form.body.push('>');
            while i < survey.questions.len() && survey.questions[i].repeat.is_some() {
                question(&survey.questions[i], &paths, Some(path), &mut form);
                i += 1;
            }
            write!(form.data, "</{}>", q.id).unwrap();
            form.body.push_str("</repeat></group>");
            continue;
        }
        question(q, &paths, None, &mut form);
    }
    if let Some(g) = group {
        write!(form.data, "</{g}>").unwrap();
        form.body.push_str("</group>");
    }
    form.data.push_str("<meta>");
    for q in &audit {
        write!(form.data, "<{}/>", q.id).unwrap();
        write!(
            form.binds,
            "<bind nodeset=\"{}\" type=\"binary\"/>",
            paths[q.id.as_str()]
        )
        .unwrap();
    }
    write!(form.data, "<instanceID/></meta></{root}>").unwrap();
    write!(form.binds, "<bind nodeset=\"/{root}/meta/instanceID\" type=\"string\" readonly=\"true()\" jr:preload=\"uid\"/>").unwrap();

    let repeats: Vec<(String, HashMap<&str, String>)> = survey
        .questions
        .iter()
        .filter(|q| q.kind == QuestionType::Repeat)
        .map(|q| {
            let r = paths[q.id.as_str()].clone();
            let local = in_repetition(&paths, &r, "");
            (r, local)
        })
        .collect();
    let mut translations = String::new();
    for (n, lang) in survey.languages.iter().enumerate() {
        write!(
            translations,
            "<translation lang=\"{}\"{}>",
            esc(&language_name(lang)),
            if n == 0 { " default=\"true()\"" } else { "" }
        )
        .unwrap();
        for (id, forms) in &form.itext.texts {
            write!(translations, "<text id=\"{}\">", esc(id)).unwrap();
            // A text of a question in a repeat shows its own repetition's answers.
            let in_repeat = repeats.iter().find(|(r, _)| {
                id.strip_prefix(r.as_str())
                    .is_some_and(|t| t.starts_with('/'))
            });
            let paths = in_repeat.map_or(&paths, |(_, local)| local);
            for (kind, label) in forms {
                let text = with_outputs(&esc(label.get(lang)), paths);
                match kind {
                    None => write!(translations, "<value>{text}</value>").unwrap(),
                    Some("image") => write!(
                        translations,
                        "<value form=\"image\">jr://images/{text}</value>"
                    )
                    .unwrap(),
                    Some(form) => {
                        write!(translations, "<value form=\"{form}\">{text}</value>").unwrap()
                    }
                }
            }
            translations.push_str("</text>");
        }
        translations.push_str("</translation>");
    }

    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" xmlns:ev=\"http://www.w3.org/2001/xml-events\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:orx=\"http://openrosa.org/xforms\" xmlns:odk=\"http://www.opendatakit.org/xforms\"><h:head><h:title>{}</h:title><model odk:xforms-version=\"1.0.0\"><itext>{translations}</itext><instance>{}</instance>{}{}</model></h:head><h:body>{}</h:body></h:html>\n",
        esc(survey.title.get(survey.default_language())),
        form.data,
        form.instances,
        form.binds,
        form.body
    )
}

/// One question: its instance node, its bind and its body control; `repeat` is the path of the
/// repeat it is in.
fn question(
    q: &papi_survey::Question,
    all_paths: &HashMap<&str, String>,
    repeat: Option<&str>,
    form: &mut Form,
) {
    use QuestionType as T;
    let path = &all_paths[q.id.as_str()];
    let local;
    let paths = match repeat {
        Some(r) => {
            local = in_repetition(all_paths, r, "");
            &local
        }
        None => all_paths,
    };
    match &q.default {
        Some(d) => write!(form.data, "<{}>{}</{}>", q.id, esc(d), q.id).unwrap(),
        None => write!(form.data, "<{}/>", q.id).unwrap(),
    }
    write!(
        form.binds,
        "<bind nodeset=\"{path}\" type=\"{}\"",
        bind_type(q)
    )
    .unwrap();
    if q.required {
        form.binds.push_str(" required=\"true()\"");
    } else if let Some(r) = &q.required_if_source {
        write!(form.binds, " required=\"{}\"", esc(&xpath(r, paths))).unwrap();
    }
    if let Some(m) = &q.required_message {
        let r = form.itext.add(format!("{path}:jr:requiredMsg"), m);
        write!(form.binds, " jr:requiredMsg=\"{}\"", esc(&r)).unwrap();
    }
    if let Some(r) = &q.relevant_source {
        write!(form.binds, " relevant=\"{}\"", esc(&xpath(r, paths))).unwrap();
    }
    if let Some(c) = &q.constraint_source {
        write!(form.binds, " constraint=\"{}\"", esc(&xpath(c, paths))).unwrap();
    }
    if let Some(m) = &q.constraint_message {
        let r = form.itext.add(format!("{path}:jr:constraintMsg"), m);
        write!(form.binds, " jr:constraintMsg=\"{}\"", esc(&r)).unwrap();
    }
    if let Some(c) = &q.calculation_source {
        write!(form.binds, " calculate=\"{}\"", esc(&xpath(c, paths))).unwrap();
    }
    if q.read_only || q.kind == T::Note {
        form.binds.push_str(" readonly=\"true()\"");
    }
    if let Some((kind, param)) = preload(q.kind) {
        write!(
            form.binds,
            " jr:preload=\"{kind}\" jr:preloadParams=\"{param}\""
        )
        .unwrap();
    }
    form.binds.push_str("/>");
    // Calculations and device metadata have no control.
    if q.kind == T::Calculate || q.kind.is_metadata() {
        return;
    }
    let (control, extra) = match q.kind {
        T::SelectOne => ("select1", String::new()),
        T::SelectMultiple => ("select", String::new()),
        T::Acknowledge => ("trigger", String::new()),
        T::Image => ("upload", " mediatype=\"image/*\"".to_owned()),
        T::Audio => ("upload", " mediatype=\"audio/*\"".to_owned()),
        T::Video => ("upload", " mediatype=\"video/*\"".to_owned()),
        T::File => ("upload", " mediatype=\"application/*\"".to_owned()),
        T::Range => {
            let (start, end, step) = q.range_scale();
            (
                "range",
                format!(" start=\"{start}\" end=\"{end}\" step=\"{step}\""),
            )
        }
        _ => ("input", String::new()),
    };
    write!(form.body, "<{control} ref=\"{path}\"{extra}").unwrap();
    if let Some(a) = &q.appearance {
        write!(form.body, " appearance=\"{}\"", esc(a)).unwrap();
    }
    form.body.push('>');
    // A question may go by its hint alone.
    if !q.label.0.is_empty() || q.image.is_some() {
        let mut forms = vec![(None, q.label.clone())];
        if let Some(image) = &q.image {
            forms.push((Some("image"), image.clone()));
        }
        let label = form.itext.add_forms(format!("{path}:label"), forms);
        write!(form.body, "<label ref=\"{label}\"/>").unwrap();
    }
    if q.hint.is_some() || q.guidance_hint.is_some() {
        let mut forms = Vec::new();
        if let Some(h) = &q.hint {
            forms.push((None, h.clone()));
        }
        if let Some(g) = &q.guidance_hint {
            forms.push((Some("guidance"), g.clone()));
        }
        let r = form.itext.add_forms(format!("{path}:hint"), forms);
        write!(form.body, "<hint ref=\"{r}\"/>").unwrap();
    }
    if let Some(list) = &q.choices {
        let filter = q
            .choice_filter_source
            .as_deref()
            .map(|f| {
                // In a choice filter the context is the choice: `current()` is the question.
                let from_question = match repeat {
                    Some(r) => in_repetition(all_paths, r, "current()/"),
                    None => all_paths.clone(),
                };
                format!("[{}]", esc(&xpath_with(f, &from_question, true)))
            })
            .unwrap_or_default();
        write!(form.body, "<itemset nodeset=\"instance('{}')/root/item{filter}\"><value ref=\"name\"/><label ref=\"jr:itext(itextId)\"/></itemset>", esc(list)).unwrap();
    }
    write!(form.body, "</{control}>").unwrap();
}

/// `${name}` in an (escaped) text shown as that answer, the way pyxform writes it.
fn with_outputs(text: &str, paths: &HashMap<&str, String>) -> String {
    papi_survey::replace_references(text, |name| {
        paths
            .get(name)
            .map(|p| format!("<output value=\" {p} \"/>"))
    })
}

/// The location columns as text fields, typed by the enumerator.
fn typed_location(survey: &Survey, form: &mut Form) {
    for col in &survey.design.location {
        let path = format!("/{}/{col}", form.root);
        write!(form.data, "<{col}/>").unwrap();
        write!(
            form.binds,
            "<bind nodeset=\"{path}\" type=\"string\" required=\"true()\"/>"
        )
        .unwrap();
        let label = crate::places::column_label(survey, col);
        let r = form.itext.add(format!("{path}:label"), &label);
        write!(
            form.body,
            "<input ref=\"{path}\"><label ref=\"{r}\"/></input>"
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repetition_reads_its_own_answers_by_relative_paths_as_pyxform_writes_them() {
        let survey = Survey::from_toml(
            r#"
[survey]
id = "household"
version = "1"
title = { en = "Household" }
languages = ["en"]

[choices]
yn = [{ value = "yes", label = { en = "Yes" } }, { value = "no", label = { en = "No" } }]
school = [
  { value = "primary", label = { en = "Primary" }, columns = { young = "yes" } },
  { value = "college", label = { en = "College" }, columns = { young = "no" } },
]

[[questions]]
id = "members"
type = "integer"
label = { en = "Members?" }

[[questions]]
id = "member"
type = "repeat"
label = { en = "Member" }
repeat_count = "${members}"

[[questions]]
id = "age"
repeat = "member"
type = "integer"
label = { en = "Age?" }

[[questions]]
id = "young"
repeat = "member"
type = "select_one"
choices = "yn"
label = { en = "Under 25 (${age})?" }
relevant = "${age} < 25 and ${members} > 0"

[[questions]]
id = "school"
repeat = "member"
type = "select_one"
choices = "school"
choice_filter = "young = ${young}"
label = { en = "School?" }

[[questions]]
id = "total_age"
type = "calculate"
calculation = "sum(${age})"
"#,
            "household.toml",
        )
        .unwrap();
        let form = xform(&survey);
        for part in [
            r#"<bind nodeset="/data/member/young" type="string" relevant=" ../age  &lt; 25 and  /data/members  &gt; 0"/>"#,
            r#"instance('school')/root/item[young =  current()/../young ]"#,
            r#"<value>Under 25 (<output value=" ../age "/>)?</value>"#,
            r#"calculate="sum( /data/member/age )""#,
            r#"jr:count=" /data/members ""#,
        ] {
            assert!(form.contains(part), "{part} is not in\n{form}");
        }
    }

    #[test]
    fn references_become_paths_and_literals_stay() {
        let mut paths = HashMap::new();
        paths.insert("d101", "/data/g/d101".to_owned());
        assert_eq!(
            xpath("${d101} = 'd101' and selected(d101, 'x')", &paths),
            " /data/g/d101  = 'd101' and selected( /data/g/d101 , 'x')"
        );
        assert_eq!(
            xpath("count-selected(.) > 1", &paths),
            "count-selected(.) > 1"
        );
    }
}
