//! The OpenRosa API (`/odk/...`) as ODK Collect uses it: requests written byte for byte as Collect's
//! HTTP client sends them (its headers, a multipart body with its boundary, chunked transfer), an
//! interview filled against the form pyxform makes of our XLSForm, a split submission, the edit flow,
//! device authentication, the form each device gets (its location picked from its own villages), and
//! every kind of bad input, a place outside the sample or not the device's, or a design weight sent
//! along, refused in an OpenRosa envelope with nothing stored. Each test runs on SQLite and, with
//! `DATABASE_URL`, PostgreSQL.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::common::*;
use md5::{Digest, Md5};
use papi_survey::{Submission, Survey};
use serde_json::{json, Value};

/// The boundary of the multipart bodies, in the shape okhttp makes them.
const BOUNDARY: &str = "6f1c0a9e-3b7d-4c52-9e8a-d2b4f7a1c305";

struct Http {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Http {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Checks the OpenRosa envelope and returns its message's code attribute.
    fn envelope(&self) -> String {
        assert_eq!(
            self.header("x-openrosa-version"),
            Some("1.0"),
            "{}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("text/xml; charset=utf-8"),
            "{}",
            self.body
        );
        assert!(
            self.body.contains(
                "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\"><message nature="
            ),
            "{}",
            self.body
        );
        let start = self.body.find("code=\"").expect("a code") + 6;
        self.body[start..start + self.body[start..].find('"').unwrap()].to_owned()
    }
}

/// Sends a request over a plain TCP connection, as written; the body with Content-Length, or chunked.
fn send(server: &Server, head: &str, body: &[u8], chunked: bool) -> Http {
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut request = head.as_bytes().to_vec();
    if chunked {
        request.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        for chunk in body.chunks(8192) {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
    } else {
        request.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        request.extend_from_slice(body);
    }
    // Written from another thread while this one reads: the server may answer (413) before it has
    // read a large body, and the answer must be read before the connection closes.
    let mut writer = s.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    let _ = sending.join();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked_reply = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked_reply {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Http {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// The request line and headers ODK Collect sends (okhttp), with an Authorization header if given.
fn odk_head(server: &Server, method: &str, path: &str, auth: Option<&str>) -> String {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nX-OpenRosa-Version: 1.0\r\nDate: {date}\r\nHost: {}\r\nConnection: close\r\nAccept-Encoding: gzip\r\nUser-Agent: org.odk.collect.android/v2024.2.4 okhttp/4.12.0\r\n",
        server.addr
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head
}

fn get(server: &Server, path: &str, auth: Option<&str>) -> Http {
    let head = odk_head(server, "GET", path, auth);
    send(server, &format!("{head}\r\n"), b"", false)
}

/// One part of a multipart body: name, file name, content type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, &'a str, Vec<u8>);

/// A multipart/form-data body as okhttp writes it (each part with its own Content-Length).
fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, kind, bytes) in parts {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = file {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(
            format!(
                "\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn xml_part(xml: &str) -> Part<'static> {
    (
        "xml_submission_file",
        Some("submission.xml"),
        "text/xml",
        xml.as_bytes().to_vec(),
    )
}

/// POST to a submission URL, as Collect does after its HEAD.
fn post(server: &Server, path: &str, auth: Option<&str>, parts: &[Part], chunked: bool) -> Http {
    let head = odk_head(server, "POST", path, auth);
    let head = format!("{head}Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n");
    send(server, &head, &multipart(parts), chunked)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The XML instance Collect would submit for a JSON interview, in our form's layout.
fn instance(survey: &Survey, iv: &Value, deprecated: Option<&str>) -> String {
    let mut x = format!(
        "<?xml version='1.0' ?><data id=\"{}\" version=\"{}\" xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:orx=\"http://openrosa.org/xforms\">",
        survey.id, survey.version
    );
    for (name, key) in [("started_at", "started_at"), ("finished_at", "finished_at")] {
        x.push_str(&format!(
            "<{name}>{}</{name}>",
            iv[key].as_str().unwrap_or("")
        ));
    }
    for col in &survey.design.location {
        x.push_str(&format!(
            "<{col}>{}</{col}>",
            esc(iv["location"][col].as_str().unwrap())
        ));
    }
    // A design weight, as a form with a hidden weight field would carry it (the server refuses it).
    if let (Some(w), Some(column)) = (iv["weight"].as_f64(), &survey.design.weight) {
        x.push_str(&format!("<{column}>{w}</{column}>"));
    }
    let mut group: Option<&str> = None;
    for q in &survey.questions {
        if q.group.as_deref() != group {
            if let Some(g) = group {
                x.push_str(&format!("</{g}>"));
            }
            if let Some(g) = &q.group {
                x.push_str(&format!("<{g}>"));
            }
            group = q.group.as_deref();
        }
        let value = match &iv["answers"][&q.id] {
            Value::Null => String::new(),
            Value::String(s) => esc(s),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        if value.is_empty() {
            x.push_str(&format!("<{}/>", q.id));
        } else {
            x.push_str(&format!("<{0}>{value}</{0}>", q.id));
        }
    }
    if let Some(g) = group {
        x.push_str(&format!("</{g}>"));
    }
    x.push_str(&format!(
        "<meta><instanceID>uuid:{}</instanceID>",
        iv["id"].as_str().unwrap()
    ));
    if let Some(d) = deprecated {
        x.push_str(&format!("<deprecatedID>uuid:{d}</deprecatedID>"));
    }
    x.push_str("</meta></data>");
    x
}

/// The interview the JSON API would store for `iv`, sent by the token holder `enumerator`.
fn as_json_path(survey: &Survey, iv: &Value, enumerator: &str) -> papi_survey::Interview {
    let sub: Submission = serde_json::from_value(iv.clone()).unwrap();
    let mut interview = survey.check_submission(&sub).expect("a valid interview");
    interview.enumerator = Some(enumerator.to_owned());
    interview
}

/// An interview with one integer answer changed, keeping it valid.
fn changed(iv: &Value) -> Value {
    let mut v = iv.clone();
    v["answers"]["household_size"] =
        json!(iv["answers"]["household_size"].as_i64().unwrap() % 29 + 1);
    v
}

on_both_databases! { needs pyxform;
    fn odk_collect_lists_downloads_and_submits_an_interview_filled_against_pyxforms_form(db: &TestDb) {
        register_sample(db, &["ĐTV Lan"]);
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let key = token(db, "enumerator", "ĐTV Lan");
        let base = format!("/odk/key/{key}");

        let list = get(&server, &format!("{base}/formList"), None);
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(list.header("x-openrosa-version"), Some("1.0"));
        assert_eq!(list.header("content-type"), Some("text/xml; charset=utf-8"));
        assert!(list.body.contains("<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">"), "{}", list.body);
        assert!(list.body.contains("<formID>papi</formID><name>Khảo sát PAPI tỉnh Bình Định 2019</name><version>2019.1</version><hash>md5:"), "{}", list.body);
        let download = format!("http://{}{base}/forms/papi/2019.1/form.xml", server.addr);
        assert!(list.body.contains(&format!("<downloadUrl>{download}</downloadUrl>")), "{}", list.body);
        let hash = list.body.split("<hash>md5:").nth(1).unwrap().split('<').next().unwrap().to_owned();

        let form = get(&server, &format!("{base}/forms/papi/2019.1/form.xml"), None);
        assert_eq!(form.status, 200);
        assert_eq!(form.header("x-openrosa-version"), Some("1.0"));
        assert_eq!(format!("{:x}", Md5::digest(form.body.as_bytes())), hash, "formList's hash is the form's md5");
        assert!(form.body.contains("<data id=\"papi\" version=\"2019.1\">"));
        assert!(form.body.contains("<itemset nodeset=\"instance('village')/root/item[district= /data/district  and commune= /data/commune ]\">"), "the place is picked, not typed");

        let head = odk_head(&server, "HEAD", &format!("{base}/submission"), None);
        let h = send(&server, &format!("{head}\r\n"), b"", false);
        assert_eq!(h.status, 204);
        assert_eq!(h.header("x-openrosa-version"), Some("1.0"));
        assert_eq!(h.header("x-openrosa-accept-content-length"), Some("10485760"));

        // A simulated interview: from a village of the sample (all of them are Lan's), with no weight.
        let iv = submissions("71", "1").remove(0);
        let dir = tempdir();
        // The instance an enumerator fills in the form pyxform makes of our XLSForm.
        let xlsx = dir.path().join("papi.xlsx");
        let pyx = dir.path().join("pyxform.xml");
        let json_file = dir.path().join("interview.json");
        ok(&["xlsform", "export", "survey-defs/papi-2019.toml", "-o", xlsx.to_str().unwrap()]);
        let script = repo().join("tests/xlsform/pyxform_check.py");
        let out = Command::new("python3").arg(&script).args(["convert", xlsx.to_str().unwrap(), pyx.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        write(&json_file, &iv.to_string());
        let out = Command::new("python3").arg(&script).args(["fill", pyx.to_str().unwrap(), json_file.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let xml = String::from_utf8(out.stdout).unwrap();
        let r = post(&server, &format!("{base}/submission"), None, &[xml_part(&xml)], true);
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.body.contains("nature=\"submit_success\""), "{}", r.body);
        r.envelope();
        let stored = db.interviews(&survey);
        assert_eq!(stored.len(), 1);
        // The same interview the JSON API would have stored, with the same content hash.
        let expected = as_json_path(&survey, &iv, "ĐTV Lan");
        assert_eq!(stored[0].interview, expected);
        assert_eq!(stored[0].content_hash, expected.content_hash(&survey));

        // A resend (Content-Length this time): acknowledged, not stored twice.
        let r = post(&server, &format!("{base}/submission"), None, &[xml_part(&xml)], false);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(db.count(&survey), 1);
        // The same instanceID with other answers: 409, and the stored interview is unchanged.
        let other = instance(&survey, &changed(&iv), None);
        let r = post(&server, &format!("{base}/submission"), None, &[xml_part(&other)], true);
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.envelope(), "interview.conflict");
        assert_eq!(db.interviews(&survey)[0].interview, expected);
    }
}

on_both_databases! {
    fn xml_and_json_interviews_are_stored_and_scored_the_same(db: &TestDb) {
        register_sample(db, &["enum-7"]);
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let key = token(db, "enumerator", "enum-7");
        let ivs = submissions("72", "24");
        for iv in &ivs {
            let r = post(&server, &format!("/odk/key/{key}/submission"), None, &[xml_part(&instance(&survey, iv, None))], true);
            assert_eq!(r.status, 201, "{}", r.body);
        }
        drop(server);
        // The same interviews through the JSON lines import, into a second database with the same
        // sample (the weights come from it).
        let json_db = TestDb::sqlite();
        register_sample(&json_db, &["enum-7"]);
        let dir = tempdir();
        let jsonl = dir.path().join("interviews.jsonl");
        let lines: Vec<String> = ivs.iter().map(|iv| { let mut v = iv.clone(); v["enumerator"] = json!("enum-7"); v.to_string() }).collect();
        write(&jsonl, &lines.join("\n"));
        ok(&["import", jsonl.to_str().unwrap(), "--database", &json_db.url]);
        let a: Vec<_> = db.interviews(&survey).into_iter().map(|s| (s.interview, s.content_hash)).collect();
        let b: Vec<_> = json_db.interviews(&survey).into_iter().map(|s| (s.interview, s.content_hash)).collect();
        assert_eq!(a.len(), 24);
        assert_eq!(a, b);
        // The report depends only on the definition and the interviews: byte for byte the same.
        let score = |url: &str| stdout(&ok(&["score", "--database", url, "--recorded-by", "test"]));
        assert_eq!(score(&db.url), score(&json_db.url));
    }
}

on_both_databases! {
    fn a_split_submission_repeats_its_xml_and_is_stored_once(db: &TestDb) {
        register_sample(db, &["enum-2"]);
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let key = token(db, "enumerator", "enum-2");
        let iv = submissions("73", "1").remove(0);
        let xml = instance(&survey, &iv, None);
        let path = format!("/odk/key/{key}/submission");
        // Collect splits a submission larger than X-OpenRosa-Accept-Content-Length: the XML in every
        // POST, the attachments shared among them, `*isIncomplete*` on all but the last.
        let first = post(&server, &path, None, &[
            xml_part(&xml),
            ("photo-1.jpg", Some("photo-1.jpg"), "image/jpeg", vec![0xff; 300_000]),
            ("*isIncomplete*", None, "text/plain; charset=utf-8", b"yes".to_vec()),
        ], true);
        assert_eq!(first.status, 201, "{}", first.body);
        let second = post(&server, &path, None, &[
            xml_part(&xml),
            ("photo-2.jpg", Some("photo-2.jpg"), "image/jpeg", vec![0xd8; 300_000]),
        ], true);
        assert_eq!(second.status, 201, "{}", second.body);
        assert_eq!(db.count(&survey), 1);
    }
}

on_both_databases! {
    fn an_edit_with_a_deprecated_id_becomes_the_live_version(db: &TestDb) {
        register_sample(db, &["enum-3", "enum-4"]);
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let key = token(db, "enumerator", "enum-3");
        let reader = token(db, "supervisor", "supervisor");
        let path = format!("/odk/key/{key}/submission");
        let mut ivs = submissions("74", "2");
        let original = ivs.remove(0);
        let r = post(&server, &path, None, &[xml_part(&instance(&survey, &original, None))], true);
        assert_eq!(r.status, 201, "{}", r.body);

        // Collect's edit: a new instanceID, the old one as deprecatedID.
        let mut edit = changed(&original);
        let edit_id = uuid::Uuid::new_v4().to_string();
        edit["id"] = json!(edit_id);
        let old_id = original["id"].as_str().unwrap();
        let edit_xml = instance(&survey, &edit, Some(old_id));
        let r = post(&server, &path, None, &[xml_part(&edit_xml)], true);
        assert_eq!(r.status, 201, "{}", r.body);
        let live = db.interviews(&survey);
        assert_eq!(live.len(), 1, "only the newest version is live");
        assert_eq!(live[0].interview, as_json_path(&survey, &edit, "enum-3"));
        assert_eq!(server.get_as(&format!("/api/v1/interviews/{old_id}"), &reader).status, 404);
        assert_eq!(server.get_as(&format!("/api/v1/interviews/{edit_id}"), &reader).status, 200);

        // The edit resent: acknowledged, nothing changes.
        let r = post(&server, &path, None, &[xml_part(&edit_xml)], false);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(db.count(&survey), 1);
        // A second edit of the old version (made on another device): it edits an outdated version.
        let mut late = original.clone();
        late["id"] = json!(uuid::Uuid::new_v4().to_string());
        let r = post(&server, &path, None, &[xml_part(&instance(&survey, &late, Some(old_id)))], true);
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.envelope(), "openrosa.edit_outdated");
        // An edit of an interview that does not exist, or is another enumerator's.
        let r = post(&server, &path, None, &[xml_part(&instance(&survey, &late, Some(&uuid::Uuid::new_v4().to_string())))], true);
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(r.envelope(), "openrosa.unknown_deprecated");
        let other = token(db, "enumerator", "enum-4");
        let r = post(&server, &format!("/odk/key/{other}/submission"), None, &[xml_part(&instance(&survey, &late, Some(&edit_id)))], true);
        assert_eq!(r.status, 404, "{}", r.body);
        // The next edit, of the live version, is accepted.
        let mut second = original.clone();
        second["id"] = json!(uuid::Uuid::new_v4().to_string());
        let r = post(&server, &path, None, &[xml_part(&instance(&survey, &second, Some(&edit_id)))], true);
        assert_eq!(r.status, 201, "{}", r.body);
        let live = db.interviews(&survey);
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].interview.id.to_string(), second["id"].as_str().unwrap());
        // Scoring reads live versions only.
        let out = ok(&["score", "--database", &db.url, "--recorded-by", "test"]);
        assert!(stderr(&out).contains("(1 interviews"), "{}", stderr(&out));
        // So do exports: the live version, once.
        let dir = tempdir();
        let csv = dir.path().join("live.csv");
        ok(&["export", "--database", &db.url, "--output", csv.to_str().unwrap()]);
        let text = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(text.lines().count(), 2, "a header and the live version: {text}");
        assert!(text.contains(second["id"].as_str().unwrap()) && !text.contains(old_id) && !text.contains(&edit_id));
    }
}

on_both_databases! {
    fn bad_input_gets_an_openrosa_4xx_and_stores_nothing(db: &TestDb) {
        register_sample(db, &["enum-5"]);
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let key = token(db, "enumerator", "enum-5");
        let path = format!("/odk/key/{key}/submission");
        let iv = submissions("75", "1").remove(0);
        let good = instance(&survey, &iv, None);
        // lol1 is ten lol, lol2 ten lol1, ... lol9 a thousand million: expanding it would take gigabytes.
        let mut entities = String::from("<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let previous = if i == 1 { "lol".to_owned() } else { format!("lol{}", i - 1) };
            entities.push_str(&format!("<!ENTITY lol{i} \"{}\">", format!("&{previous};").repeat(10)));
        }
        let laughs = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE data [{entities}]><data id=\"papi\" version=\"2019.1\"><sex>&lol9;</sex><meta><instanceID>uuid:{}</instanceID></meta></data>",
            iv["id"].as_str().unwrap()
        );
        let external = good.replacen("<data ", "<!DOCTYPE data [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><data ", 1).replacen("<meta>", "<note>&xxe;</note><meta>", 1);
        let undeclared = good.replacen("<meta>", "<note>&xxe;</note><meta>", 1);
        let no_instance_id = good.replace(&format!("<instanceID>uuid:{}</instanceID>", iv["id"].as_str().unwrap()), "");
        let cases: Vec<(&str, Vec<Part>, u16, &str)> = vec![
            ("malformed XML", vec![xml_part(&good[..good.len() - 20])], 400, "xml.malformed"),
            ("billion laughs", vec![xml_part(&laughs)], 400, "xml.doctype_forbidden"),
            ("an external entity", vec![xml_part(&external)], 400, "xml.doctype_forbidden"),
            ("an undeclared entity", vec![xml_part(&undeclared)], 400, "xml.entity_forbidden"),
            ("no instanceID", vec![xml_part(&no_instance_id)], 400, "openrosa.missing_instance_id"),
            ("an unknown form id", vec![xml_part(&good.replacen("id=\"papi\"", "id=\"papi-x\"", 1))], 404, "openrosa.unknown_form"),
            ("an unknown version", vec![xml_part(&good.replacen("version=\"2019.1\"", "version=\"1999.1\"", 1))], 404, "openrosa.unknown_form"),
            ("no xml_submission_file", vec![("photo.jpg", Some("photo.jpg"), "image/jpeg", vec![1; 100])], 400, "openrosa.missing_xml"),
            ("an oversized XML part", vec![xml_part(&good.replacen("<meta>", &format!("<note>{}</note><meta>", "x".repeat(3 << 20)), 1))], 413, "openrosa.part_too_large"),
            ("an answer that breaks the definition", vec![xml_part(&good.replacen("<birth_year>", "<birth_year>1", 1))], 422, "interview.invalid"),
            ("an unknown question", vec![xml_part(&good.replacen("<meta>", "<respondent_phone>0905000000</respondent_phone><meta>", 1))], 422, "interview.invalid"),
        ];
        for (what, parts, status, code) in cases {
            for chunked in [true, false] {
                let r = post(&server, &path, None, &parts, chunked);
                assert_eq!(r.status, status, "{what}: {}", r.body);
                assert_eq!(r.envelope(), code, "{what}");
            }
        }
        // Not multipart at all, and a body over the limit.
        let head = odk_head(&server, "POST", &path, None);
        let r = send(&server, &format!("{head}Content-Type: text/xml\r\n"), good.as_bytes(), false);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.envelope(), "openrosa.multipart_invalid");
        let r = post(&server, &path, None, &[xml_part(&good), ("video.mp4", Some("video.mp4"), "video/mp4", vec![0; 17 << 20])], true);
        assert_eq!(r.status, 413, "{}", r.body);
        assert_eq!(r.envelope(), "body.too_large");
        assert_eq!(db.count(&survey), 0, "nothing stored");
        // The undamaged interview still goes in.
        assert_eq!(post(&server, &path, None, &[xml_part(&good)], true).status, 201);
    }
}

on_both_databases! {
    fn an_edit_keeps_a_supervisors_verdict_and_is_audited(db: &TestDb) {
        register_sample(db, &["enum-5"]);
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let key = token(db, "enumerator", "enum-5");
        let supervisor = token(db, "supervisor", "giam-sat");
        let path = format!("/odk/key/{key}/submission");
        let ivs = submissions("75", "3");
        for (iv, verdict) in ivs.iter().zip(["rejected", "has_issues", "approved"]) {
            let r = post(&server, &path, None, &[xml_part(&instance(&survey, iv, None))], true);
            assert_eq!(r.status, 201, "{}", r.body);
            let id = iv["id"].as_str().unwrap();
            let review = json!({ "state": verdict, "comment": "xem lại câu D1" }).to_string();
            let r = server.post(&format!("/api/v1/interviews/{id}/review"), &supervisor, &review);
            assert_eq!(r.status, 200, "{}", r.body);
            // The enumerator edits it on the phone and sends the edit.
            let mut edit = changed(iv);
            let edit_id = uuid::Uuid::new_v4().to_string();
            edit["id"] = json!(edit_id);
            let r = post(&server, &path, None, &[xml_part(&instance(&survey, &edit, Some(id)))], true);
            assert_eq!(r.status, 201, "{}", r.body);
            // A rejection or a request for changes stays until a supervisor lifts it; an approved
            // interview that changed waits for approval again.
            let expected = if verdict == "approved" { "received" } else { verdict };
            let stored = server.get_as(&format!("/api/v1/interviews/{edit_id}"), &supervisor).json();
            assert_eq!(stored["review_state"], expected, "{stored}");
            let history = server.get_as(&format!("/api/v1/interviews/{edit_id}/reviews"), &supervisor).json();
            let text = history.to_string();
            assert!(text.contains(id) && text.contains(verdict), "the history says what was edited: {text}");
            let audited = block_on(db.store().audit_entries(100)).unwrap();
            assert!(
                audited.iter().any(|e| e.action == "interview.edit" && e.subject.as_deref() == Some(edit_id.as_str())),
                "the edit is audited"
            );
        }
        // A rejected interview's edit is not scored.
        let out = ok(&["score", "--database", &db.url, "--recorded-by", "test"]);
        assert!(stderr(&out).contains("(1 interviews"), "only the approved one's edit, received: {}", stderr(&out));
    }
}

on_both_databases! {
    fn devices_sign_in_with_a_token_in_the_url_or_http_basic(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let out = papi()
            .args(["user", "add", "--username", "lan", "--role", "enumerator", "--database", &db.url])
            .env("PAPI_PASSWORD", "mật khẩu của Lan 2019")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let basic = |user: &str, password: &str| {
            use base64::Engine as _;
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
        };
        // No credentials: Collect is told to use Basic.
        let r = get(&server, "/odk/formList", None);
        assert_eq!(r.status, 401);
        assert_eq!(r.envelope(), "auth.required");
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic realm="));
        let head = odk_head(&server, "HEAD", "/odk/submission", None);
        assert_eq!(send(&server, &format!("{head}\r\n"), b"", false).status, 401);
        // HTTP Basic with a papi user.
        let r = get(&server, "/odk/formList", Some(&basic("lan", "mật khẩu của Lan 2019")));
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(&format!("<downloadUrl>http://{}/odk/forms/papi/2019.1/form.xml</downloadUrl>", server.addr)), "{}", r.body);
        let r = get(&server, "/odk/formList", Some(&basic("lan", "wrong")));
        assert_eq!(r.status, 401);
        assert_eq!(r.envelope(), "auth.invalid_credentials");
        // Tokens in the URL: an unknown or revoked one is refused; a role that does not collect is 403.
        let r = get(&server, "/odk/key/papi_0000/formList", None);
        assert_eq!(r.status, 401);
        assert_eq!(r.envelope(), "auth.invalid_token");
        let analyst = token(db, "analyst", "analyst");
        let r = get(&server, &format!("/odk/key/{analyst}/formList"), None);
        assert_eq!(r.status, 403);
        assert_eq!(r.envelope(), "auth.forbidden");
        let device = token(db, "enumerator", "tablet-9");
        assert_eq!(get(&server, &format!("/odk/key/{device}/formList"), None).status, 200);
        ok(&["token", "revoke", "tablet-9", "--database", &db.url]);
        let r = get(&server, &format!("/odk/key/{device}/formList"), None);
        assert_eq!(r.status, 401);
        assert_eq!(r.envelope(), "auth.revoked_token");
        // An unknown form to download.
        let admin = token(db, "admin", "admin");
        let r = get(&server, &format!("/odk/key/{admin}/forms/papi/1999.1/form.xml"), None);
        assert_eq!(r.status, 404);
        assert_eq!(r.envelope(), "openrosa.unknown_form");
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The items of one secondary instance of an XForm, each as its child elements (name, label, and
/// the parent columns), unescaped.
fn items(form: &str, instance: &str) -> Vec<Vec<(String, String)>> {
    let start = format!("<instance id=\"{instance}\"><root>");
    let at = form
        .find(&start)
        .unwrap_or_else(|| panic!("no instance {instance} in {form}"));
    let body = &form[at + start.len()..];
    let body = &body[..body.find("</root>").unwrap()];
    body.split("<item>")
        .filter(|s| !s.is_empty())
        .map(|item| {
            let mut rest = item.trim_end_matches("</item>");
            let mut fields = Vec::new();
            while let Some(open) = rest.find('<') {
                let close = open + rest[open..].find('>').unwrap();
                let tag = &rest[open + 1..close];
                let end = close + rest[close..].find(&format!("</{tag}>")).unwrap();
                fields.push((tag.to_owned(), unescape(&rest[close + 1..end])));
                rest = &rest[end + tag.len() + 3..];
            }
            fields
        })
        .collect()
}

/// True when an instance offers nothing: ODK needs one item to check an itemset against, so the
/// form keeps a blank one that its filter never shows.
fn no_choices(form: &str, instance: &str) -> bool {
    items(form, instance)
        .iter()
        .all(|i| field(i, "name").is_empty())
        && form.contains(&format!("instance('{instance}')/root/item["))
        && form.contains("name != '']")
}

fn field<'a>(item: &'a [(String, String)], name: &str) -> &'a str {
    &item.iter().find(|(k, _)| k == name).unwrap().1
}

/// The villages a served form lets the enumerator pick, as (district, commune, village), after
/// checking that each is reachable down the cascade: its district is offered, and its commune under
/// that district.
fn villages_offered(form: &str) -> BTreeSet<(String, String, String)> {
    let districts: BTreeSet<String> = items(form, "district")
        .iter()
        .map(|i| field(i, "name").to_owned())
        .collect();
    let communes: BTreeSet<(String, String)> = items(form, "commune")
        .iter()
        .map(|i| (field(i, "district").to_owned(), field(i, "name").to_owned()))
        .collect();
    let villages: BTreeSet<(String, String, String)> = items(form, "village")
        .iter()
        .map(|i| {
            assert_eq!(
                field(i, "name"),
                field(i, "label"),
                "a place is named by its name"
            );
            let v = (
                field(i, "district").to_owned(),
                field(i, "commune").to_owned(),
                field(i, "name").to_owned(),
            );
            assert!(districts.contains(&v.0), "{v:?}: its district is offered");
            assert!(
                communes.contains(&(v.0.clone(), v.1.clone())),
                "{v:?}: its commune is offered"
            );
            v
        })
        .collect();
    assert_eq!(
        districts.len(),
        villages.iter().map(|v| &v.0).collect::<BTreeSet<_>>().len(),
        "no district without villages"
    );
    assert_eq!(
        communes.len(),
        villages
            .iter()
            .map(|v| (&v.0, &v.1))
            .collect::<BTreeSet<_>>()
            .len(),
        "no commune without villages"
    );
    villages
}

/// The form formList names for a device, checked against the bytes it downloads: (form, hash).
fn device_form(server: &Server, base: &str) -> (String, String) {
    let list = get(server, &format!("{base}/formList"), None);
    assert_eq!(list.status, 200, "{}", list.body);
    let hash = list
        .body
        .split("<hash>md5:")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let form = get(server, &format!("{base}/forms/papi/2019.1/form.xml"), None);
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        format!("{:x}", Md5::digest(form.body.as_bytes())),
        hash,
        "formList's hash is that of the form this device downloads"
    );
    (form.body, hash)
}

fn triple(location: &Value) -> (String, String, String) {
    let s = |c: &str| location[c].as_str().unwrap().to_owned();
    (s("district"), s("commune"), s("village"))
}

on_both_databases! { needs pyxform;
    fn each_device_gets_a_form_offering_its_own_villages_and_other_places_are_refused(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let admin = token(db, "admin", "admin");
        let lan = token(db, "enumerator", "ĐTV Lan");
        let mai = token(db, "enumerator", "ĐTV Mai");
        let lan_base = format!("/odk/key/{lan}");

        // No sample yet: the form is listed, its pickers are empty under a note that says why.
        let (form, _) = device_form(&server, &lan_base);
        assert!(form.contains("<location_note/>") && form.contains("Bạn chưa được phân công thôn nào"), "{form}");
        assert!(no_choices(&form, "province") && no_choices(&form, "village"));

        register_sample(db, &[]);
        let sample = server.get_as("/api/v1/surveys/papi/2019.1/sample", &admin).json();
        let places: Vec<Value> = sample["places"].as_array().unwrap().iter().map(|p| p["location"].clone()).collect();
        assert_eq!(places.len(), 44);
        // Lan works in three villages, Hùng in a fourth.
        let lans = [&places[0], &places[1], &places[9]];
        let mut rows: Vec<Value> = lans.iter().map(|l| json!({ "place": place_of(l), "enumerator": "ĐTV Lan" })).collect();
        rows.push(json!({ "place": place_of(&places[2]), "enumerator": "ĐTV Hùng" }));
        let r = server.request("PUT", "/api/v1/surveys/papi/2019.1/assignments", Some(&admin), Some(json!({ "assignments": rows }).to_string().as_bytes()));
        assert_eq!(r.status, 200, "{}", r.body);

        let (lan_form, lan_hash) = device_form(&server, &lan_base);
        assert!(lan_form.contains("<province>Bình Định</province>"), "one province: fixed, not picked");
        assert!(lan_form.contains("<bind nodeset=\"/data/province\" type=\"string\" required=\"true()\" readonly=\"true()\"/>"));
        assert!(lan_form.contains("<itemset nodeset=\"instance('district')/root/item\">"));
        assert!(lan_form.contains("<itemset nodeset=\"instance('commune')/root/item[district= /data/district ]\">"));
        assert!(lan_form.contains("<itemset nodeset=\"instance('village')/root/item[district= /data/district  and commune= /data/commune ]\">"));
        assert!(!lan_form.contains("<location_note/>"));
        assert_eq!(villages_offered(&lan_form), lans.iter().map(|l| triple(l)).collect(), "Lan's villages and no other");
        odk_validate(&lan_form);
        // No village assigned: the note and empty pickers, under a hash of its own.
        let (mai_form, mai_hash) = device_form(&server, &format!("/odk/key/{mai}"));
        assert!(mai_form.contains("<location_note/>") && no_choices(&mai_form, "province"));
        assert_ne!(mai_hash, lan_hash);
        odk_validate(&mai_form);
        // An administrator may collect anywhere in the sample.
        let (admin_form, _) = device_form(&server, &format!("/odk/key/{admin}"));
        assert_eq!(villages_offered(&admin_form), places.iter().map(triple).collect());
        // `papi xlsform xform --database` writes that same form.
        let cli = ok(&["xlsform", "xform", "survey-defs/papi-2019.toml", "--database", &db.url]);
        assert!(stdout(&cli) == admin_form, "the CLI's form with the sample is the administrator's");

        // A hand-built instance at a village the form offers Lan: stored.
        let path = format!("{lan_base}/submission");
        let ivs = submissions("76", "5");
        let at = |i: usize, location: &Value| {
            let mut iv = ivs[i].clone();
            iv["location"] = location.clone();
            iv
        };
        let r = post(&server, &path, None, &[xml_part(&instance(&survey, &at(0, lans[2]), None))], true);
        assert_eq!(r.status, 201, "{}", r.body);
        // Hùng's village, a village outside the sample, a design weight: 422, nothing stored.
        let mut outside = places[0].clone();
        outside["village"] = json!("Thôn 99");
        let mut weighted = at(3, lans[0]);
        weighted["weight"] = json!(1.5);
        let cases = [
            ("another enumerator's village", at(1, &places[2]), "location.not_assigned"),
            ("a village outside the sample", at(2, &outside), "location.not_in_sample"),
            ("a design weight", weighted, "interview.invalid"),
        ];
        for (what, iv, code) in cases {
            let r = post(&server, &path, None, &[xml_part(&instance(&survey, &iv, None))], true);
            assert_eq!(r.status, 422, "{what}: {}", r.body);
            assert_eq!(r.envelope(), code, "{what}");
            if code == "interview.invalid" {
                assert!(r.body.contains("weight.not_accepted"), "{}", r.body);
            }
        }
        assert_eq!(db.count(&survey), 1, "only the interview at Lan's village is stored");

        // Without required assignments, every village of the sample is Lan's to pick, and to send.
        let r = server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&admin), Some(br#"{"assignments_required": false}"#));
        assert_eq!(r.status, 200, "{}", r.body);
        let (open_form, open_hash) = device_form(&server, &lan_base);
        assert_ne!(open_hash, lan_hash, "a device sees a new form when its places change");
        assert_eq!(villages_offered(&open_form), places.iter().map(triple).collect());
        let r = post(&server, &path, None, &[xml_part(&instance(&survey, &at(1, &places[2]), None))], true);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(db.count(&survey), 2);
    }
}

/// A place's key as the sample lists it: its names from the province down, joined by " / ".
fn place_of(location: &Value) -> String {
    ["province", "district", "commune", "village"]
        .iter()
        .map(|c| location[c].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" / ")
}

on_both_databases! {
    fn the_files_a_forms_media_questions_name_are_kept_and_served_to_who_reads_answers(db: &TestDb) {
        // The questionnaire with a photo of the commune office, as a survey team would add it.
        let dir = tempdir();
        let definition = dir.path().join("papi-photo.toml");
        let text = std::fs::read_to_string(repo().join("survey-defs/papi-2019.toml"))
            .unwrap()
            .replacen("version = \"2019.1\"", "version = \"2019.1-photo\"", 1)
            + "\n[[questions]]\nid = \"office_photo\"\ntype = \"image\"\nlabel = { vi = \"Ảnh trụ sở UBND xã\", en = \"Photo of the commune office\" }\n";
        write(&definition, &text);
        let def = definition.to_str().unwrap();
        ok(&["sample", "register", "--database", &db.url, "--survey", def, "--frame", "survey-defs/frames/binh-dinh.toml", "--seed", "2019"]);
        ok(&["sample", "assign", "--database", &db.url, "--survey", def, "--enumerator", "enum-photo", "--all"]);
        let survey = Survey::load(&definition).unwrap();
        let server = Server::start(&["--database", &db.url]);
        let key = token(db, "enumerator", "enum-photo");
        let mut iv = submissions("81", "1").remove(0);
        iv["survey"]["version"] = json!("2019.1-photo");
        iv["answers"]["office_photo"] = json!("1764489600000.jpg");
        let id = iv["id"].as_str().unwrap().to_owned();
        let xml = instance(&survey, &iv, None);
        let path = format!("/odk/key/{key}/submission");
        let photo = b"JPEG bytes of the commune office".to_vec();
        let r = post(&server, &path, None, &[
            xml_part(&xml),
            ("1764489600000.jpg", Some("1764489600000.jpg"), "image/jpeg", photo.clone()),
            ("stray.jpg", Some("stray.jpg"), "image/jpeg", vec![b'x'; 10]),
        ], false);
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.body.contains("not kept"), "the stray file is said to be left out: {}", r.body);
        // A resend with the same file is acknowledged; another file under the same name is refused.
        let again = post(&server, &path, None, &[xml_part(&xml), ("1764489600000.jpg", Some("1764489600000.jpg"), "image/jpeg", photo.clone())], false);
        assert_eq!(again.status, 201, "{}", again.body);
        let other = post(&server, &path, None, &[xml_part(&xml), ("1764489600000.jpg", Some("1764489600000.jpg"), "image/jpeg", b"another photo".to_vec())], false);
        assert_eq!(other.status, 409, "{}", other.body);
        assert_eq!(other.envelope(), "attachment.conflict");

        let supervisor = token(db, "supervisor", "sup-photo");
        let one = server.get_as(&format!("/api/v1/interviews/{id}"), &supervisor);
        assert_eq!(one.status, 200, "{}", one.body);
        let files = one.json()["attachments"].clone();
        assert_eq!(files.as_array().unwrap().len(), 1, "{files}");
        assert_eq!(files[0]["name"], "1764489600000.jpg");
        assert_eq!(files[0]["size"], photo.len());
        let file = server.get_as(&format!("/api/v1/interviews/{id}/attachments/1764489600000.jpg"), &supervisor);
        assert_eq!((file.status, file.body.as_bytes()), (200, photo.as_slice()));
        let leader = token(db, "leader", "leader-photo");
        let denied = server.get_as(&format!("/api/v1/interviews/{id}/attachments/1764489600000.jpg"), &leader);
        assert_eq!(denied.status, 403, "leaders see aggregates only");
        let other_enumerator = token(db, "enumerator", "enum-other");
        let hidden = server.get_as(&format!("/api/v1/interviews/{id}/attachments/1764489600000.jpg"), &other_enumerator);
        assert_eq!(hidden.status, 404, "another enumerator's file does not exist for them");
        let missing = server.get_as(&format!("/api/v1/interviews/{id}/attachments/stray.jpg"), &supervisor);
        assert_eq!(missing.status, 404);
    }
}
