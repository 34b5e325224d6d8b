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
            out.extend(&chars[i..=end]);
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
                Some(p) if !call => write!(out, " {p} ").unwrap(),
                _ => out.push_str(&word),
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

pub(crate) struct Itext {
    /// (text id, form) → text per language
    texts: Vec<(String, Label)>,
}

impl Itext {
    /// Adds a translated text and returns the reference a label or message points at.
    pub(crate) fn add(&mut self, id: String, label: &Label) -> String {
        let r = format!("jr:itext('{id}')");
        self.texts.push((id, label.clone()));
        r
    }
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
        let p = match &q.group {
            Some(g) => format!("/{root}/{g}/{}", q.id),
            None => format!("/{root}/{}", q.id),
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
            form.itext.texts.push((id.clone(), c.label.clone()));
            write!(
                form.instances,
                "<item><itextId>{}</itextId><name>{}</name></item>",
                esc(&id),
                esc(&c.value)
            )
            .unwrap();
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
    for q in &survey.questions {
        if q.group.as_deref() != group {
            if let Some(g) = group {
                write!(form.data, "</{g}>").unwrap();
                form.body.push_str("</group>");
            }
            if let Some(g) = &q.group {
                write!(form.data, "<{g}>").unwrap();
                write!(form.body, "<group ref=\"/{root}/{g}\">").unwrap();
            }
            group = q.group.as_deref();
        }
        let path = &paths[q.id.as_str()];
        write!(form.data, "<{}/>", q.id).unwrap();
        let kind = match q.kind {
            QuestionType::Integer => "int",
            QuestionType::Decimal => "decimal",
            QuestionType::Date => "date",
            _ => "string",
        };
        write!(form.binds, "<bind nodeset=\"{path}\" type=\"{kind}\"").unwrap();
        if q.required {
            form.binds.push_str(" required=\"true()\"");
        }
        if let Some(r) = &q.relevant_source {
            write!(form.binds, " relevant=\"{}\"", esc(&xpath(r, &paths))).unwrap();
        }
        if let Some(c) = &q.constraint_source {
            write!(form.binds, " constraint=\"{}\"", esc(&xpath(c, &paths))).unwrap();
        }
        if let Some(m) = &q.constraint_message {
            let r = form.itext.add(format!("{path}:jr:constraintMsg"), m);
            write!(form.binds, " jr:constraintMsg=\"{}\"", esc(&r)).unwrap();
        }
        form.binds.push_str("/>");
        let control = match q.kind {
            QuestionType::SelectOne => "select1",
            QuestionType::SelectMultiple => "select",
            _ => "input",
        };
        let label = form.itext.add(format!("{path}:label"), &q.label);
        write!(
            form.body,
            "<{control} ref=\"{path}\"><label ref=\"{label}\"/>"
        )
        .unwrap();
        if let Some(h) = &q.hint {
            let r = form.itext.add(format!("{path}:hint"), h);
            write!(form.body, "<hint ref=\"{r}\"/>").unwrap();
        }
        if let Some(list) = &q.choices {
            write!(form.body, "<itemset nodeset=\"instance('{}')/root/item\"><value ref=\"name\"/><label ref=\"jr:itext(itextId)\"/></itemset>", esc(list)).unwrap();
        }
        write!(form.body, "</{control}>").unwrap();
    }
    if let Some(g) = group {
        write!(form.data, "</{g}>").unwrap();
        form.body.push_str("</group>");
    }
    write!(form.data, "<meta><instanceID/></meta></{root}>").unwrap();
    write!(form.binds, "<bind nodeset=\"/{root}/meta/instanceID\" type=\"string\" readonly=\"true()\" jr:preload=\"uid\"/>").unwrap();

    let mut translations = String::new();
    for (n, lang) in survey.languages.iter().enumerate() {
        write!(
            translations,
            "<translation lang=\"{}\"{}>",
            esc(&language_name(lang)),
            if n == 0 { " default=\"true()\"" } else { "" }
        )
        .unwrap();
        for (id, label) in &form.itext.texts {
            write!(
                translations,
                "<text id=\"{}\"><value>{}</value></text>",
                esc(id),
                esc(label.get(lang))
            )
            .unwrap();
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
