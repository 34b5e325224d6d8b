// The outside tools some integration tests check papi against, in one table.
//
// `build.rs` reads this file (with `include!`) to mark each test whose tool is missing as ignored,
// with the reason, when the tests are built outside CI; the tests read it (as `common::tools`) to
// fail, naming what is missing, when they run in CI or when a tool has gone since the build.

/// How a tool is found on this machine.
pub enum Probe {
    /// An environment variable whose value starts with a prefix.
    Env(&'static str, &'static str),
    /// Commands that must all run and succeed.
    Commands(&'static [&'static [&'static str]]),
}

pub struct Tool {
    /// The name tests use for it (`needs! { r_survey: ... }`).
    pub key: &'static str,
    /// What it is, for messages.
    pub what: &'static str,
    /// How to get it.
    pub install: &'static str,
    pub probe: Probe,
}

pub const TOOLS: &[Tool] = &[
    Tool {
        key: "postgres",
        what: "a PostgreSQL server",
        install: "set DATABASE_URL=postgres://USER@HOST:PORT/DB",
        probe: Probe::Env("DATABASE_URL", "postgres"),
    },
    Tool {
        key: "r_survey",
        what: "R with its survey package",
        install: "Debian's r-base-core and r-cran-survey",
        probe: Probe::Commands(&[&[
            "Rscript",
            "-e",
            "suppressPackageStartupMessages(library(survey))",
        ]]),
    },
    Tool {
        key: "r_sampling",
        what: "R with its sampling package",
        install: "Debian's r-base-core and r-cran-sampling",
        probe: Probe::Commands(&[&[
            "Rscript",
            "-e",
            "suppressPackageStartupMessages(library(sampling))",
        ]]),
    },
    Tool {
        key: "browser",
        what: "headless Chromium driven by Selenium, with Node.js and npm (axe-core, Enketo)",
        install: "Debian's chromium, chromium-driver, nodejs and npm; Python's selenium",
        probe: Probe::Commands(&[
            &["/usr/bin/chromium", "--version"],
            &["/usr/bin/chromedriver", "--version"],
            &["python3", "-c", "import selenium"],
            &["npm", "--version"],
        ]),
    },
    Tool {
        key: "node",
        what: "Node.js, which runs the web form's script outside a browser",
        install: "Debian's nodejs",
        probe: Probe::Commands(&[&["node", "--version"]]),
    },
    Tool {
        key: "schemathesis",
        what: "schemathesis, the API fuzzer",
        install: "pip install schemathesis",
        probe: Probe::Commands(&[&["schemathesis", "--version"]]),
    },
    Tool {
        key: "jupyter",
        what: "jupyter's nbconvert with a Python kernel, polars and matplotlib",
        install: "pip install nbconvert nbclient ipykernel polars matplotlib",
        probe: Probe::Commands(&[
            &["jupyter", "nbconvert", "--version"],
            &[
                "python3",
                "-c",
                "import nbclient, ipykernel, polars, matplotlib",
            ],
        ]),
    },
    Tool {
        key: "pyxform",
        what: "pyxform, the reference XLSForm converter, with Java for ODK Validate",
        install: "pip install pyxform; Debian's default-jre-headless",
        probe: Probe::Commands(&[&["python3", "-c", "import pyxform"], &["java", "-version"]]),
    },
    Tool {
        key: "openpyxl",
        what: "openpyxl, a second XLSX reader",
        install: "pip install openpyxl",
        probe: Probe::Commands(&[&["python3", "-c", "import openpyxl"]]),
    },
];

impl Tool {
    pub fn present(&self) -> bool {
        match self.probe {
            Probe::Env(var, prefix) => std::env::var(var).is_ok_and(|v| v.starts_with(prefix)),
            Probe::Commands(commands) => commands.iter().all(|command| {
                std::process::Command::new(command[0])
                    .args(&command[1..])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            }),
        }
    }

    /// Why a test that needs this tool is not run here.
    pub fn ignore_reason(&self) -> String {
        format!("needs {} ({}); CI runs it", self.what, self.install)
    }
}

pub fn tool(key: &str) -> &'static Tool {
    TOOLS
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no tool named {key} in tests/tools.rs"))
}
