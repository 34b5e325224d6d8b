//! An interview as ODK Collect, KoboCollect and Enketo submit it: the XML instance of the form.
//!
//! Read with quick-xml, which expands no entities by itself; a document type declaration (where
//! "billion laughs" and external entities live) is refused outright, and so is any entity reference
//! other than XML's five and character references. The instance becomes the same
//! [`Submission`] the JSON API takes, so it meets the same checks.

use std::collections::BTreeMap;

use papi_survey::{AnswerKind, QuestionType, Submission, Survey, SurveyRef};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value as Json};

use crate::{FINISHED_AT, STARTED_AT};

/// Elements ODK clients add about the device; an instance may carry them whether or not the form
/// asks for them.
const DEVICE_METADATA: [&str; 7] = [
    "deviceid",
    "deviceID",
    "username",
    "phonenumber",
    "simserial",
    "subscriberid",
    "email",
];

/// Deepest nesting an instance may have: groups in groups are few; a deep document is an attack.
const MAX_DEPTH: usize = 32;

/// Why an XML instance was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    #[error("the XML is malformed: {0}")]
    Malformed(String),
    #[error("the XML has a document type declaration (DTD); entities and DTDs are refused")]
    Doctype,
    #[error("the XML refers to entity '&{0};'; only XML's predefined entities are accepted")]
    Entity(String),
    #[error("the XML is nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("the instance root has no form id (attribute 'id')")]
    MissingFormId,
    #[error("the instance has no meta/instanceID")]
    MissingInstanceId,
}

impl InstanceError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            InstanceError::Malformed(_) => "xml.malformed",
            InstanceError::Doctype => "xml.doctype_forbidden",
            InstanceError::Entity(_) => "xml.entity_forbidden",
            InstanceError::TooDeep => "xml.too_deep",
            InstanceError::MissingFormId => "openrosa.missing_form_id",
            InstanceError::MissingInstanceId => "openrosa.missing_instance_id",
        }
    }

    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            InstanceError::Malformed(e) => format!("Tệp XML không hợp lệ: {e}"),
            InstanceError::Doctype => {
                "Tệp XML có khai báo DTD; DTD và thực thể (entity) không được chấp nhận.".into()
            }
            InstanceError::Entity(n) => {
                format!("Tệp XML dùng thực thể '&{n};'; chỉ chấp nhận các thực thể chuẩn của XML.")
            }
            InstanceError::TooDeep => format!("Tệp XML lồng sâu quá {MAX_DEPTH} cấp."),
            InstanceError::MissingFormId => "Phần tử gốc thiếu mã biểu mẫu (thuộc tính id).".into(),
            InstanceError::MissingInstanceId => "Phiếu thiếu meta/instanceID.".into(),
        }
    }
}

/// An XML instance, read but not yet checked against its survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlInstance {
    /// The form id (`id` attribute of the root): the survey id.
    pub form_id: String,
    /// The `version` attribute of the root: the survey version.
    pub version: String,
    /// `meta/instanceID` without its `uuid:` prefix: the interview id.
    pub instance_id: String,
    /// `meta/deprecatedID` without its prefix: the interview this one replaces (an edit).
    pub deprecated_id: Option<String>,
    /// Leaf elements outside `meta`, as (name, text), in document order.
    pub fields: Vec<(String, String)>,
    /// For each field, the elements around it below the root, as (name, occurrence number): which
    /// repetition of a repeat an answer belongs to.
    pub ancestors: Vec<Vec<(String, usize)>>,
    /// `meta/audit`: the file name of the device's audit log, where the form records one.
    pub audit: Option<String>,
}

fn malformed(e: impl std::fmt::Display) -> InstanceError {
    InstanceError::Malformed(e.to_string())
}

fn strip_uuid(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix("uuid:").unwrap_or(s).trim().to_owned()
}

/// Reads an XML instance. Refuses DTDs, entities and malformed XML.
pub fn parse_instance(xml: &[u8]) -> Result<XmlInstance, InstanceError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    // Open elements: (local name, has child elements, text so far, occurrence number).
    let mut stack: Vec<(String, bool, String, usize)> = Vec::new();
    let mut occurrences = 0usize;
    let mut ancestors = Vec::new();
    let mut audit = None;
    let mut form_id = None;
    let mut version = String::new();
    let mut instance_id = None;
    let mut deprecated_id = None;
    let mut fields = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        let (start, end) = match &event {
            Event::Start(e) | Event::Empty(e) => {
                let name =
                    String::from_utf8(e.local_name().as_ref().to_vec()).map_err(malformed)?;
                if stack.is_empty() {
                    if seen_root {
                        return Err(malformed("more than one root element"));
                    }
                    seen_root = true;
                    for a in e.attributes() {
                        let a = a.map_err(malformed)?;
                        let value = a
                            .decode_and_unescape_value(reader.decoder())
                            .map_err(|e| match e {
                                quick_xml::Error::Escape(
                                    quick_xml::escape::EscapeError::UnrecognizedEntity(_, n),
                                ) => InstanceError::Entity(n),
                                e => malformed(e),
                            })?
                            .into_owned();
                        match a.key.local_name().as_ref() {
                            b"id" => form_id = Some(value),
                            b"version" => version = value,
                            _ => {}
                        }
                    }
                }
                if let Some(parent) = stack.last_mut() {
                    parent.1 = true;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(InstanceError::TooDeep);
                }
                (Some(name), matches!(event, Event::Empty(_)))
            }
            Event::End(_) => (None, true),
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&t.decode().map_err(malformed)?);
                } else if !t.decode().map_err(malformed)?.trim().is_empty() {
                    return Err(malformed("text outside the root element"));
                }
                (None, false)
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&t.decode().map_err(malformed)?);
                }
                (None, false)
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(malformed)?
                } else {
                    match &**r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        other => {
                            return Err(InstanceError::Entity(
                                String::from_utf8_lossy(other).into_owned(),
                            ))
                        }
                    }
                };
                match (c, stack.last_mut()) {
                    (Some(c), Some(top)) => top.2.push(c),
                    _ => return Err(malformed("a character reference outside an element")),
                }
                (None, false)
            }
            Event::DocType(_) => return Err(InstanceError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => (None, false),
            Event::Eof => break,
        };
        if let Some(name) = start {
            occurrences += 1;
            stack.push((name, false, String::new(), occurrences));
        }
        if end {
            let (name, has_children, text, _) =
                stack.pop().ok_or_else(|| malformed("unbalanced end tag"))?;
            if has_children || stack.is_empty() {
                continue;
            }
            let in_meta = stack.last().is_some_and(|(p, ..)| p == "meta");
            match (in_meta, name.as_str()) {
                (true, "instanceID") => instance_id = Some(strip_uuid(&text)),
                (true, "deprecatedID") => {
                    deprecated_id = Some(strip_uuid(&text)).filter(|s| !s.is_empty())
                }
                (true, "audit") => audit = Some(text.trim().to_owned()).filter(|a| !a.is_empty()),
                (true, _) => {}
                (false, _) => {
                    fields.push((name, text.trim().to_owned()));
                    ancestors.push(
                        stack[1..]
                            .iter()
                            .map(|(n, _, _, k)| (n.clone(), *k))
                            .collect(),
                    );
                }
            }
        }
    }
    if !stack.is_empty() || !seen_root {
        return Err(malformed("the document ends inside an element"));
    }
    let form_id = form_id
        .filter(|f| !f.trim().is_empty())
        .ok_or(InstanceError::MissingFormId)?;
    let instance_id = instance_id
        .filter(|i| !i.is_empty())
        .ok_or(InstanceError::MissingInstanceId)?;
    Ok(XmlInstance {
        form_id,
        version,
        instance_id,
        deprecated_id,
        fields,
        ancestors,
        audit,
    })
}

impl XmlInstance {
    /// The interview in the JSON API's shape, to be checked by [`Survey::check_submission`]: leaves
    /// named after location columns are the location, one named after the design's weight column the
    /// weight, `started_at`/`finished_at` (or pyxform's `start`/`end`) the times, everything else an
    /// answer (unknown names are reported by the check).
    pub fn to_submission(&self, survey: &Survey) -> Submission {
        let mut location = BTreeMap::new();
        let mut answers = Map::new();
        let mut started_at = None;
        let mut finished_at = None;
        let mut weight = None;
        // Repetitions by (repeat question, occurrence of its element), in document order.
        let mut repetitions: Vec<(String, usize, Map<String, Json>)> = Vec::new();
        for (k, (name, text)) in self.fields.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            if name == STARTED_AT || name == "start" {
                started_at = Some(text.clone());
            } else if name == FINISHED_AT || name == "end" {
                finished_at = Some(text.clone());
            } else if survey.design.weight.as_deref() == Some(name.as_str()) {
                // A form may carry the design weight (a hidden or calculated field); one that is not
                // a number is refused by the check as any bad weight is.
                weight = Some(text.parse::<f64>().unwrap_or(f64::NAN));
            } else if survey.design.location.contains(name) {
                location.insert(name.clone(), text.clone());
            } else if survey.question(name).is_none() && DEVICE_METADATA.contains(&name.as_str()) {
                // What a client adds about the device when the form does not ask for it.
                continue;
            } else {
                let question = survey.question(name);
                let value = match question.map(|q| q.kind.answer_kind()) {
                    Some(AnswerKind::Integer) => text
                        .parse::<i64>()
                        .map(Json::from)
                        .unwrap_or_else(|_| Json::String(text.clone())),
                    Some(AnswerKind::Decimal) => text
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Json::Number)
                        .unwrap_or_else(|| Json::String(text.clone())),
                    _ => Json::String(text.clone()),
                };
                let repeat = question
                    .and_then(|q| q.repeat)
                    .map(|r| survey.questions[r].id.as_str());
                let occurrence = repeat.and_then(|r| {
                    self.ancestors
                        .get(k)
                        .and_then(|a| a.iter().rev().find(|(n, _)| n == r))
                        .map(|(_, o)| *o)
                });
                match (repeat, occurrence) {
                    (Some(r), Some(o)) => {
                        match repetitions.iter_mut().find(|(n, x, _)| n == r && *x == o) {
                            Some((_, _, map)) => {
                                map.insert(name.clone(), value);
                            }
                            None => {
                                let mut map = Map::new();
                                map.insert(name.clone(), value);
                                repetitions.push((r.to_owned(), o, map));
                            }
                        }
                    }
                    _ => {
                        answers.insert(name.clone(), value);
                    }
                }
            }
        }
        for (repeat, _, map) in repetitions {
            let list = answers
                .entry(repeat)
                .or_insert_with(|| Json::Array(Vec::new()));
            if let Json::Array(items) = list {
                items.push(Json::Object(map));
            }
        }
        if let (Some(file), Some(q)) = (
            &self.audit,
            survey
                .questions
                .iter()
                .find(|q| q.kind == QuestionType::Audit),
        ) {
            answers.insert(q.id.clone(), Json::String(file.clone()));
        }
        Submission {
            id: self.instance_id.clone(),
            survey: SurveyRef {
                id: self.form_id.clone(),
                version: self.version.clone(),
            },
            location,
            weight,
            enumerator: None,
            started_at,
            finished_at,
            answers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_doctypes_are_refused() {
        let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><data id="papi">&lol2;</data>"#;
        assert_eq!(parse_instance(laughs), Err(InstanceError::Doctype));
        let undeclared =
            br#"<data id="papi"><q>&lol;</q><meta><instanceID>uuid:x</instanceID></meta></data>"#;
        assert_eq!(
            parse_instance(undeclared),
            Err(InstanceError::Entity("lol".into()))
        );
    }

    #[test]
    fn leaves_meta_and_escapes_are_read() {
        let xml = br#"<?xml version="1.0"?><data xmlns:orx="http://openrosa.org/xforms" id="papi" version="1"><g><q>a &amp; b&#33;</q><m/></g><orx:meta><orx:instanceID>uuid:abc</orx:instanceID><orx:deprecatedID>uuid:old</orx:deprecatedID></orx:meta></data>"#;
        let i = parse_instance(xml).unwrap();
        assert_eq!(i.form_id, "papi");
        assert_eq!(i.instance_id, "abc");
        assert_eq!(i.deprecated_id.as_deref(), Some("old"));
        assert_eq!(
            i.fields,
            vec![("q".into(), "a & b!".into()), ("m".into(), String::new())]
        );
    }
}

#[cfg(test)]
mod repeat_tests {
    use super::*;

    const FORM: &str = r#"
[survey]
id = "household"
version = "1"
title = { en = "Household" }
languages = ["en"]

[[questions]]
id = "members"
type = "integer"
label = { en = "Members?" }

[[questions]]
id = "member"
type = "repeat"
label = { en = "Member" }

[[questions]]
id = "age"
repeat = "member"
type = "integer"
label = { en = "Age?" }

[[questions]]
id = "photo"
type = "image"
label = { en = "Photo" }

[[questions]]
id = "log"
type = "audit"
"#;

    #[test]
    fn repetitions_become_a_list_and_a_devices_own_metadata_is_accepted() {
        let survey = Survey::from_toml(FORM, "household.toml").unwrap();
        let xml = br#"<?xml version="1.0"?><data id="household" version="1"><members>2</members><member><age>40</age></member><member><age>12</age></member><photo>1764489600000.jpg</photo><deviceid>collect:AbC</deviceid><meta><audit>audit.csv</audit><instanceID>uuid:6f1c2a5e-0d7b-4b8e-9d55-0a4c1f7e2b10</instanceID></meta></data>"#;
        let instance = parse_instance(xml).unwrap();
        let submission = instance.to_submission(&survey);
        assert_eq!(
            serde_json::Value::Object(submission.answers.clone()),
            serde_json::json!({
                "members": 2,
                "member": [{ "age": 40 }, { "age": 12 }],
                "photo": "1764489600000.jpg",
                "log": "audit.csv",
            })
        );
        let interview = survey.check_submission(&submission).unwrap();
        assert_eq!(interview.answers.iter().flatten().count(), 4);
    }
}
