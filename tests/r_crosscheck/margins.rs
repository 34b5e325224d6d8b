//! Census margins of sex and district for the raking cross-checks, written for papi (TOML) and for
//! R's `rake()` (a CSV per margin).

use std::path::{Path, PathBuf};

use crate::common::write;

/// The population of each district (census counts); the sexes share their total 49:51.
pub const POPULATIONS: [(&str, f64); 6] = [
    ("Tây Sơn", 120_000.0),
    ("An Lão", 28_000.0),
    ("Phù Cát", 186_000.0),
    ("Vân Canh", 27_000.0),
    ("Hoài Ân", 87_000.0),
    ("Vĩnh Thạnh", 30_000.0),
];

/// Margins of sex and district, as papi reads them (TOML) and as R's `rake()` does (a CSV each).
pub struct Margins {
    pub toml: PathBuf,
    pub sex: PathBuf,
    pub district: PathBuf,
}

impl Margins {
    pub fn write(dir: &Path, districts: &[(&str, f64)]) -> Margins {
        let total: f64 = districts.iter().map(|d| d.1).sum();
        let sexes = [("yes", total * 0.49), ("no", total * 0.51)];
        let toml = dir.join("margins.toml");
        let mut text = String::from("[[margins]]\ncolumns = [\"sex\"]\ncells = [\n");
        for (s, p) in &sexes {
            text.push_str(&format!("  {{ sex = \"{s}\", population = {p} }},\n"));
        }
        text.push_str("]\n\n[[margins]]\ncolumns = [\"district\"]\ncells = [\n");
        for (d, p) in districts {
            text.push_str(&format!("  {{ district = \"{d}\", population = {p} }},\n"));
        }
        text.push_str("]\n");
        write(&toml, &text);
        let csv = |name: &str, cells: &[(&str, f64)]| {
            let path = dir.join(format!("{name}.csv"));
            let rows: String = cells.iter().map(|(v, p)| format!("{v},{p}\n")).collect();
            write(&path, &format!("{name},Freq\n{rows}"));
            path
        };
        Margins {
            sex: csv("sex", &sexes),
            district: csv("district", districts),
            toml,
        }
    }
}
