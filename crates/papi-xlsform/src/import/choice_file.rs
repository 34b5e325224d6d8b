//! `select_one_from_file FILE` and `select_multiple_from_file FILE`: the choices of a file beside the
//! workbook (`.csv`, ODK's secondary-instance `.xml`, `.geojson`), copied into the definition as one
//! more choice list, so that the question is an ordinary select over it and the XForm carries the
//! choices inline. The file is read once, when the workbook is imported: a change to it needs a new
//! import, and the warning on the question's row says so.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::questions::id_of;
use super::table::Table;
use super::{Importer, RawChoiceRow};

/// The most problems reported for the rows of one file: past it, the file is plainly not a list of
/// choices and the rest would only bury the other problems of the workbook.
const MAX_ROW_PROBLEMS: usize = 10;

/// Why a file of choices could not be read: a rule's code and a message.
type FileProblem = (&'static str, String);

/// A file of choices read as a table; `unit` names one of its rows ("line", "item", "feature").
struct ChoiceFile {
    table: Table,
    unit: &'static str,
}

/// The file read by its extension.
fn read_file(path: &Path, file: &str) -> Result<ChoiceFile, FileProblem> {
    let extension = Path::new(file)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let bytes = std::fs::read(path).map_err(|e| {
        (
            "survey.choice_file_unreadable",
            format!("cannot read choice file {}: {e}", path.display()),
        )
    })?;
    let text = utf8(&bytes, file)?;
    let read = match extension.as_str() {
        "csv" => read_csv(text),
        "xml" => read_xml(text),
        "geojson" => read_geojson(text),
        _ => unreachable!("the extension is checked before the file is read"),
    };
    read.map_err(|why| {
        (
            "survey.choice_file_unreadable",
            format!("choice file '{file}' cannot be read: {why}"),
        )
    })
}

/// The file's text, without a byte-order mark; a file in another encoding than UTF-8 is refused
/// with the line where it stops being UTF-8.
fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, FileProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        (
            "survey.choice_file_encoding",
            format!(
                "choice file '{file}' is not UTF-8 text (line {line}): save it as UTF-8 (in Excel, \"CSV UTF-8\")"
            ),
        )
    })
}

fn read_csv(text: &str) -> Result<ChoiceFile, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if header.is_none() {
            header = Some(cells);
        } else {
            rows.push((line, cells));
        }
    }
    Ok(ChoiceFile {
        table: Table::from_text(&header.unwrap_or_default(), rows),
        unit: "line",
    })
}

/// ODK's secondary instance: `<root><item><name>…</name><label>…</label>…</item>…</root>`, each
/// child of an item one column.
fn read_xml(text: &str) -> Result<ChoiceFile, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut header: Vec<String> = Vec::new();
    let mut items: Vec<BTreeMap<usize, String>> = Vec::new();
    // The column being read, and its text so far.
    let mut field: Option<(usize, String)> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match depth {
                    0 if seen_root => return Err("more than one root element".into()),
                    0 => seen_root = true,
                    1 if name == "item" => items.push(BTreeMap::new()),
                    1 => return Err(format!("<{name}> under the root: the choices are <item> elements")),
                    2 => {
                        let column = header.iter().position(|h| *h == name).unwrap_or_else(|| {
                            header.push(name.clone());
                            header.len() - 1
                        });
                        field = Some((column, String::new()));
                    }
                    _ => return Err(format!("<{name}> is nested inside a column of an item: each column of an item holds text only")),
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                } else if depth == 2 {
                    if let (Some((column, text)), Some(item)) = (field.take(), items.last_mut()) {
                        item.insert(column, text);
                    }
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 2 {
                    if let (Some((column, text)), Some(item)) = (field.take(), items.last_mut()) {
                        item.insert(column, text);
                    }
                }
            }
            Event::Text(t) => {
                let t = t.decode().map_err(|e| e.to_string())?;
                match field.as_mut() {
                    Some((_, text)) => text.push_str(&t),
                    None if t.trim().is_empty() => {}
                    None => {
                        return Err(format!(
                            "text '{}' outside the columns of an item",
                            t.trim()
                        ))
                    }
                }
            }
            Event::CData(t) => {
                if let Some((_, text)) = field.as_mut() {
                    text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| e.to_string())?
                } else {
                    match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        other => {
                            return Err(format!(
                                "entity &{}; is not one XML defines",
                                String::from_utf8_lossy(other)
                            ))
                        }
                    }
                };
                if let (Some(c), Some((_, text))) = (c, field.as_mut()) {
                    text.push(c);
                }
            }
            Event::DocType(_) => return Err("a DOCTYPE is not read".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err("the XML ends before its elements are closed".into());
    }
    let rows = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let mut cells = vec![String::new(); header.len()];
            for (column, text) in item {
                cells[column] = text;
            }
            (i + 1, cells)
        })
        .collect();
    Ok(ChoiceFile {
        table: Table::from_text(&header, rows),
        unit: "item",
    })
}

/// A GeoJSON FeatureCollection, as ODK reads it: a feature's `id` (or `properties.id`, else
/// `properties.name`) is the choice's name, `properties.title` (else `label`, else `name`) its label;
/// its other properties are columns, and its geometry the column `geometry` as ODK writes a place.
fn read_geojson(text: &str) -> Result<ChoiceFile, String> {
    use serde_json::Value;
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let features = json
        .get("features")
        .and_then(Value::as_array)
        .filter(|_| json.get("type").and_then(Value::as_str) == Some("FeatureCollection"))
        .ok_or("a GeoJSON file of choices is a FeatureCollection with a 'features' array")?;
    let text_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut header: Vec<String> = vec!["name".into(), "label".into()];
    let mut rows = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let empty = serde_json::Map::new();
        let properties = feature
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let property = |k: &str| properties.get(k).map(text_of).filter(|s| !s.is_empty());
        let name = feature
            .get("id")
            .map(text_of)
            .filter(|s| !s.is_empty())
            .or_else(|| property("id"))
            .or_else(|| property("name"))
            .unwrap_or_default();
        let label = property("title")
            .or_else(|| property("label"))
            .or_else(|| property("name"))
            .unwrap_or_default();
        let mut cells: BTreeMap<usize, String> = BTreeMap::from([(0, name), (1, label)]);
        let mut set = |column: &str, value: String| {
            let at = header.iter().position(|h| h == column).unwrap_or_else(|| {
                header.push(column.to_owned());
                header.len() - 1
            });
            cells.insert(at, value);
        };
        if let Some(g) = feature.get("geometry").and_then(odk_geometry) {
            set("geometry", g);
        }
        for (k, v) in properties {
            if !matches!(k.as_str(), "id" | "title" | "label" | "name" | "geometry") {
                set(k, text_of(v));
            }
        }
        rows.push((i + 1, cells));
    }
    let rows = rows
        .into_iter()
        .map(|(n, cells)| {
            let mut row = vec![String::new(); header.len()];
            for (i, v) in cells {
                row[i] = v;
            }
            (n, row)
        })
        .collect();
    Ok(ChoiceFile {
        table: Table::from_text(&header, rows),
        unit: "feature",
    })
}

/// A GeoJSON geometry as ODK writes a place: `lat lon altitude accuracy`, points of a line or of a
/// polygon's outer ring separated by `;`.
fn odk_geometry(g: &serde_json::Value) -> Option<String> {
    let point = |p: &serde_json::Value| -> Option<String> {
        let p = p.as_array()?;
        let (lon, lat) = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
        let alt = p.get(2).and_then(|a| a.as_f64()).unwrap_or(0.0);
        Some(format!("{lat} {lon} {alt} 0"))
    };
    let points = |ps: &serde_json::Value| -> Option<String> {
        let ps: Option<Vec<String>> = ps.as_array()?.iter().map(point).collect();
        Some(ps?.join("; "))
    };
    let coordinates = g.get("coordinates")?;
    match g.get("type")?.as_str()? {
        "Point" => point(coordinates),
        "LineString" => points(coordinates),
        "Polygon" => points(coordinates.as_array()?.first()?),
        _ => None,
    }
}

/// `value=COLUMN label=COLUMN` of a select from a file: the columns holding the choice's name and
/// label, and what remains of the parameters.
pub(super) fn file_parameters(parameters: &str) -> (Option<String>, Option<String>, String) {
    let (mut value, mut label, mut rest) = (None, None, Vec::new());
    for part in parameters.split_whitespace() {
        match part.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("value") => value = Some(v.to_owned()),
            Some((k, v)) if k.trim().eq_ignore_ascii_case("label") => label = Some(v.to_owned()),
            _ => rest.push(part),
        }
    }
    (value, label, rest.join(" "))
}

impl Importer {
    /// The choice list of `file` (named on survey row `row`), copied into `lists`: its id, or
    /// `None` with the problems reported.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn list_from_file(
        &mut self,
        row: usize,
        kind: &str,
        file: &str,
        parameters: &str,
        lists: &mut BTreeMap<String, Vec<RawChoiceRow>>,
        languages: &[String],
    ) -> Option<String> {
        let sv = "survey";
        let refuse = |me: &mut Importer, code: &'static str, msg: String| {
            me.report(sv, row, "type", code, msg);
            None
        };
        if file.is_empty() {
            return refuse(
                self,
                "survey.choice_file_missing",
                format!("'{kind}' needs the name of a file of choices, e.g. '{kind} villages.csv'"),
            );
        }
        if file.contains(['/', '\\']) || file == "." || file == ".." {
            return refuse(
                self,
                "survey.choice_file_missing",
                format!(
                    "'{file}' must be the name of a file beside the workbook, without a folder"
                ),
            );
        }
        let extension = Path::new(file)
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !matches!(extension.as_str(), "csv" | "xml" | "geojson") {
            return refuse(self, "survey.choice_file_unsupported", format!(
                "choice file '{file}' is not one papi reads: a select from a file reads a .csv, .xml or .geojson file"));
        }
        let Some(dir) = self.dir.clone() else {
            return refuse(self, "survey.choice_file_needs_path", format!(
                "the choices of '{file}' are read from the file beside the workbook: import the workbook from its path (papi xlsform import WORKBOOK) with '{file}' in the same folder"));
        };
        let (value_column, label_column, _) = file_parameters(parameters);
        let key = format!("{file}\n{value_column:?}\n{label_column:?}");
        if let Some(id) = self.choice_files.get(&key).cloned() {
            self.warn_copied(row, file, &id, lists[&id].len());
            return Some(id);
        }
        let path = dir.join(file);
        if !path.is_file() {
            return refuse(
                self,
                "survey.choice_file_missing",
                format!(
                    "choice file '{file}' is not beside the workbook: looked for {}",
                    path.display()
                ),
            );
        }
        let ChoiceFile { table, unit } = match read_file(&path, file) {
            Ok(f) => f,
            Err((code, msg)) => return refuse(self, code, msg),
        };
        let value_column = value_column.unwrap_or_else(|| "name".into());
        let label_column = label_column.unwrap_or_else(|| "label".into());
        let columns: Vec<&str> = table.header.iter().map(|(_, _, t)| t.as_str()).collect();
        let missing: Vec<&str> = [value_column.as_str(), label_column.as_str()]
            .into_iter()
            .filter(|c| !table.has(c))
            .collect();
        if !missing.is_empty() {
            return refuse(self, "survey.choice_file_missing_column", format!(
                "choice file '{file}' has no {} column (its columns: {}): the choices need a name and a label",
                missing.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(" nor "),
                if columns.is_empty() { "none".to_owned() } else { columns.join(", ") }));
        }
        if table.rows.is_empty() {
            return refuse(
                self,
                "survey.choice_file_empty",
                format!("choice file '{file}' has no choices"),
            );
        }
        let extra: Vec<(usize, String)> = table
            .header
            .iter()
            .enumerate()
            .filter(|(_, (b, l, _))| {
                l.is_none()
                    && !b.is_empty()
                    && *b != value_column
                    && *b != label_column
                    && !b.starts_with("media::")
            })
            .map(|(i, (b, _, _))| (i, b.clone()))
            .collect();
        let mut choices = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut row_problems = Vec::new();
        let (mut unlabelled, mut untranslated) = (0usize, 0usize);
        for (n, cells) in &table.rows {
            let name = table.get(cells, &value_column);
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                row_problems.push(("survey.choice_file_invalid_name", if name.is_empty() {
                    format!("{unit} {n} has no {value_column}")
                } else {
                    format!("{value_column} '{name}' on {unit} {n} has a space: a select_multiple answer separates its choices by spaces")
                }));
                continue;
            }
            if let Some(first) = seen.insert(name.clone(), *n) {
                row_problems.push((
                    "survey.choice_file_duplicate",
                    format!("{value_column} '{name}' on {unit} {n} is already on {unit} {first}"),
                ));
                continue;
            }
            let mut label = table.label(cells, &label_column, &self.default_language);
            if label.0.is_empty() {
                unlabelled += 1;
                label.0.insert(self.default_language.clone(), name.clone());
            }
            let fallback = label
                .0
                .get(&self.default_language)
                .or_else(|| label.0.values().next())
                .cloned()
                .unwrap_or_default();
            for l in languages {
                if !label.0.contains_key(l) {
                    untranslated += 1;
                    label.0.insert(l.clone(), fallback.clone());
                }
            }
            let columns = extra
                .iter()
                .filter_map(|(i, b)| {
                    cells
                        .get(*i)
                        .filter(|v| !v.is_empty())
                        .map(|v| (b.clone(), v.clone()))
                })
                .collect();
            choices.push(RawChoiceRow {
                value: name,
                label,
                image: table.label(cells, "media::image", &self.default_language),
                columns,
            });
        }
        if !row_problems.is_empty() {
            let more = row_problems.len().saturating_sub(MAX_ROW_PROBLEMS);
            for (code, msg) in row_problems.into_iter().take(MAX_ROW_PROBLEMS) {
                self.report(
                    sv,
                    row,
                    "type",
                    code,
                    format!("choice file '{file}': {msg}"),
                );
            }
            if more > 0 {
                self.report(
                    sv,
                    row,
                    "type",
                    "survey.choice_file_invalid_name",
                    format!(
                        "choice file '{file}': {more} more {unit}(s) with a problem are not listed"
                    ),
                );
            }
            return None;
        }
        if unlabelled > 0 {
            self.warn(sv, row, "type", "choices.missing_label", format!(
                "{unlabelled} choice(s) of file '{file}' have no {label_column}: their name is shown"));
        }
        if untranslated > 0 {
            self.warn(sv, row, "type", "label.missing_translation", format!(
                "{untranslated} label(s) of file '{file}' are missing in a language of the form: the {} text is shown",
                self.default_language));
        }
        // The list is named after the file, in papi's form of an id, clear of the choices sheet's.
        let stem = Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let base = id_of(&stem);
        let mut id = base.clone();
        let mut n = 1;
        while lists.contains_key(&id) {
            id = if n == 1 {
                format!("{base}_file")
            } else {
                format!("{base}_file{n}")
            };
            n += 1;
        }
        let count = choices.len();
        lists.insert(id.clone(), choices);
        self.choice_files.insert(key, id.clone());
        self.place(&id, sv, row);
        self.warn_copied(row, file, &id, count);
        Some(id)
    }

    fn warn_copied(&mut self, row: usize, file: &str, id: &str, count: usize) {
        self.warn("survey", row, "type", "survey.choices_from_file", format!(
            "the {count} choices of file '{file}' were copied into the definition as choice list '{id}': a later change to the file needs a new import of the workbook"));
    }
}
