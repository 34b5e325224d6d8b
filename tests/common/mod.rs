//! What the integration tests share: running the `papi` binary as a user would, and fresh databases.
//!
//! Storage tests run on SQLite always and on PostgreSQL when `DATABASE_URL` names a server (each test
//! gets a database of its own, dropped afterwards). Without one, the PostgreSQL tests are reported
//! ignored, with the reason; in CI (`CI` set) they fail instead. The same holds for every test that
//! needs an outside tool (tests/tools.rs).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use papi_store::Store;
use papi_survey::Survey;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `papi` binary, run from the repository root (where its default paths point).
pub fn papi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_papi"));
    c.current_dir(repo());
    c.env_remove("DATABASE_URL");
    c.env("PAPI_LOG", "warn");
    c
}

/// Runs `papi` with `args` and returns its output, whatever the exit code.
pub fn run(args: &[&str]) -> Output {
    papi().args(args).output().expect("papi runs")
}

/// Runs `papi` with `args` and requires success.
pub fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "papi {} failed ({}):\nstdout: {}\nstderr: {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn shipped_survey() -> Survey {
    Survey::load(repo().join("survey-defs/papi-2019.toml")).expect("the shipped definition loads")
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: String,
    pub kind: &'static str,
    _dir: Option<tempfile::TempDir>,
    drop_sql: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempdir();
        let url = format!("sqlite:{}", dir.path().join("papi.db").display());
        TestDb {
            url,
            kind: "sqlite",
            _dir: Some(dir),
            drop_sql: None,
        }
    }

    /// A new database on the PostgreSQL server of `DATABASE_URL` (tests that call it are declared
    /// with `on_both_databases!` or `needs! { postgres: ... }`, so they are ignored where there is none).
    pub fn postgres() -> TestDb {
        require("postgres");
        let admin = std::env::var("DATABASE_URL").expect("DATABASE_URL names a PostgreSQL server");
        let name = format!("papi_test_{}", uuid::Uuid::new_v4().simple());
        block_on(async {
            use sqlx::Executor;
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("connect to DATABASE_URL");
            pool.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create a test database");
            pool.close().await;
        });
        let url = match admin.rfind('/') {
            Some(i) if admin[..i].contains("//") && i > admin.find("//").unwrap() + 1 => {
                let rest = &admin[i + 1..];
                let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
                format!("{}/{name}{query}", &admin[..i])
            }
            _ => format!("{admin}/{name}"),
        };
        TestDb {
            url,
            kind: "postgres",
            _dir: None,
            drop_sql: Some((admin, name)),
        }
    }

    pub fn store(&self) -> Store {
        block_on(Store::open(&self.url)).expect("open the test database")
    }

    pub fn count(&self, survey: &Survey) -> i64 {
        block_on(async {
            let store = Store::open(&self.url).await.expect("open");
            let n = store
                .count_interviews(&survey.id, &survey.version)
                .await
                .expect("count");
            store.close().await;
            n
        })
    }

    /// Every stored interview of a survey version, oldest first.
    pub fn interviews(&self, survey: &Survey) -> Vec<papi_store::StoredInterview> {
        block_on(async {
            let store = Store::open(&self.url).await.expect("open");
            let mut all = Vec::new();
            let mut after = 0;
            loop {
                let page = store
                    .interviews_page(survey, after, 1000)
                    .await
                    .expect("read a page");
                let Some(last) = page.last() else { break };
                after = last.seq;
                all.extend(page);
            }
            store.close().await;
            all
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_sql.take() {
            block_on(async {
                use sqlx::Executor;
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let _ = pool
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                    pool.close().await;
                }
            });
        }
    }
}

/// Defines a test that runs once on SQLite and once on PostgreSQL: `mod NAME { fn sqlite; fn postgres }`.
/// `needs TOOL;` first names an outside tool it also needs (tests/tools.rs). Where PostgreSQL or the
/// tool is missing outside CI, the test is marked ignored with the reason; in CI it fails.
macro_rules! on_both_databases {
    (needs $tool:ident; $(#[$meta:meta])* fn $name:ident($db:ident: &TestDb) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn check($db: &TestDb) $body
            ignore_without! { $tool;
                $(#[$meta])*
                #[test]
                fn sqlite() {
                    $crate::common::require(stringify!($tool));
                    check(&TestDb::sqlite());
                }
            }
            ignore_without! { postgres $tool;
                $(#[$meta])*
                #[test]
                fn postgres() {
                    $crate::common::require(stringify!($tool));
                    check(&TestDb::postgres());
                }
            }
        }
    };
    ($(#[$meta:meta])* fn $name:ident($db:ident: &TestDb) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn check($db: &TestDb) $body
            $(#[$meta])*
            #[test]
            fn sqlite() {
                check(&TestDb::sqlite());
            }
            ignore_without! { postgres;
                $(#[$meta])*
                #[test]
                fn postgres() {
                    check(&TestDb::postgres());
                }
            }
        }
    };
}

/// A test that needs an outside tool (tests/tools.rs): `needs! { r_survey: fn name() { ... } }`.
/// Where the tool is missing outside CI, the test is marked ignored with the reason; in CI it fails.
macro_rules! needs {
    ($tool:ident: $(#[$meta:meta])* fn $name:ident() $body:block) => {
        ignore_without! { $tool;
            $(#[$meta])*
            #[test]
            fn $name() {
                $crate::common::require(stringify!($tool));
                $body
            }
        }
    };
}

// `ignore_without!`, written by build.rs from tests/tools.rs and what it found on this machine.
include!(concat!(env!("OUT_DIR"), "/ignore_without.rs"));

#[path = "../tools.rs"]
pub mod tools;

/// Fails the test, naming what is missing, when the tool `key` is not here: in CI, or where it has
/// gone since the tests were built (outside CI a missing tool marks the test ignored instead).
pub fn require(key: &str) {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static FOUND: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());
    let tool = tools::tool(key);
    let present = *FOUND
        .lock()
        .unwrap()
        .entry(key.to_owned())
        .or_insert_with(|| tool.present());
    if !present {
        let context = if std::env::var_os("CI").is_some() {
            "CI runs every test, so it must be installed"
        } else {
            "it was there when the tests were built"
        };
        panic!("{} is missing ({}): {context}", tool.what, tool.install);
    }
}

/// A running `papi serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    /// The directory it was started from, when the test did not choose one.
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// The processor time the server has used so far, in milliseconds (user and system, from
    /// /proc): what a request costs the server whatever else loads the machine.
    pub fn cpu_ms(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the server's /proc/PID/stat");
        // The fields after the command name (which may hold spaces) start after its ')'.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        // /proc counts in USER_HZ, 100 a second on Linux.
        ticks * 1000.0 / 100.0
    }
}

impl Server {
    /// `papi serve` started from a new empty directory, as an operator would start it: what it
    /// needs of the shipped data comes from the binary.
    pub fn start(args: &[&str]) -> Server {
        let dir = tempdir();
        let mut server = Server::start_in(dir.path(), args);
        server._dir = Some(dir);
        server
    }

    /// `papi serve` started from the directory `dir` (the shipped data is built into the binary).
    pub fn start_in(dir: &Path, args: &[&str]) -> Server {
        let mut child = papi()
            .current_dir(dir)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("papi serve starts");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = String::new();
        let mut buf = [0u8; 256];
        let addr = loop {
            if let Some(line) = seen.lines().find(|l| l.contains("open http://")) {
                let start = line.find("http://").unwrap() + 7;
                let end = line[start..].find('/').unwrap() + start;
                break line[start..end].to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "papi serve did not start: {seen}"
            );
            let n = stdout.read(&mut buf).expect("read papi serve's output");
            assert!(n > 0, "papi serve exited before listening: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        Server {
            child,
            addr,
            _dir: None,
        }
    }

    /// A plain HTTP/1.1 GET: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect to papi serve");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("read the response");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

impl Server {
    /// The server's process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the server to exit by itself, and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Kills the server process at once (SIGKILL): no shutdown, no flush.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a test file");
}

/// An HTTP response: status and body text.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    /// Any request, with an optional bearer token and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Reply {
        let url = format!("http://{}{}", self.addr, path);
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let mut req = agent.request(method, &url);
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => req.set("Content-Type", "application/json").send_bytes(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let retry_after = resp.header("Retry-After").map(str::to_owned);
        Reply {
            status,
            body: resp.into_string().unwrap_or_default(),
            retry_after,
        }
    }

    pub fn post(&self, path: &str, token: &str, body: &str) -> Reply {
        self.request("POST", path, Some(token), Some(body.as_bytes()))
    }

    pub fn get_as(&self, path: &str, token: &str) -> Reply {
        self.request("GET", path, Some(token), None)
    }
}

/// Registers the shipped frame's default sample (the one `papi simulate` draws its interviews from by
/// default, and the demo's) with `papi sample register`, and assigns every village of it to each of
/// `enumerators` with `papi sample assign`, as an administrator and a supervisor would before
/// fieldwork starts.
pub fn register_sample(db: &TestDb, enumerators: &[&str]) {
    ok(&[
        "sample",
        "register",
        "--database",
        &db.url,
        "--frame",
        "survey-defs/frames/binh-dinh.toml",
        "--seed",
        "2019",
    ]);
    for name in enumerators {
        ok(&[
            "sample",
            "assign",
            "--database",
            &db.url,
            "--enumerator",
            name,
            "--all",
        ]);
    }
}

/// Creates a bearer token with `papi token create` and returns it (the last line printed).
pub fn token(db: &TestDb, role: &str, name: &str) -> String {
    let out = ok(&[
        "token",
        "create",
        "--role",
        role,
        "--name",
        name,
        "--database",
        &db.url,
    ]);
    stdout(&out)
        .lines()
        .last()
        .expect("a token line")
        .trim()
        .to_owned()
}

/// `papi simulate` into a file of `dir` (`format`: csv, parquet or jsonl); returns its path.
pub fn simulate_file(dir: &Path, seed: &str, count: &str, format: &str) -> PathBuf {
    let path = dir.join(format!("simulated-{seed}-{count}.{format}"));
    ok(&[
        "simulate",
        "--seed",
        seed,
        "--count",
        count,
        "--format",
        format,
        "-o",
        path.to_str().unwrap(),
    ]);
    path
}

/// Simulated interviews as a device sends them (the server records the enumerator from the token).
pub fn submissions(seed: &str, count: &str) -> Vec<serde_json::Value> {
    let dir = tempdir();
    let path = simulate_file(dir.path(), seed, count, "jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("enumerator");
            v
        })
        .collect()
}

/// A small deterministic generator (SplitMix64), so generated data is the same on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() * xs.len() as f64) as usize % xs.len()]
    }
}

/// Runs ODK Validate (JavaRosa, the form engine of ODK Collect, as pyxform ships it) on an XForm and
/// requires it to pass. Tests that call it need `pyxform` (tests/tools.rs), which brings it.
pub fn odk_validate(xml: &str) {
    require("pyxform");
    let jar = Command::new("python3")
        .args(["-c", "import os, pyxform; print(os.path.join(os.path.dirname(pyxform.__file__), 'validators', 'odk_validate', 'bin', 'ODK_Validate.jar'))"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    assert!(
        std::path::Path::new(&jar).exists(),
        "pyxform's ODK_Validate.jar is missing: {jar}"
    );
    let dir = tempdir();
    let file = dir.path().join("form.xml");
    write(&file, xml);
    let out = Command::new("java")
        .args(["-Djava.awt.headless=true", "-jar", &jar])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("Xform is valid"),
        "ODK Validate refused the form:\n{text}"
    );
}
