//! The official PAPI provincial scores (UNDP Viet Nam and CECODES), read from the reference table in
//! `survey-defs/benchmarks/`. Used for performance groups, the province's history and simulation profiles.

use std::path::Path;

use serde::Deserialize;

use crate::text::{nfc, slug};

/// The dimension ids of PAPI's 2018 structure, in the order of the table's columns D1–D8.
pub const PAPI_DIMENSIONS: [&str; 8] = [
    "participation",
    "transparency",
    "accountability",
    "corruption_control",
    "admin_procedures",
    "public_services",
    "environment",
    "e_governance",
];

/// One province in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceYear {
    pub province_id: u32,
    pub province: String,
    pub region: String,
    pub year: i32,
    /// D1–D8; D7 and D8 are absent before 2018, and some cells are gaps in the source.
    pub dimensions: [Option<f64>; 8],
    /// Plain sum of the year's dimensions, absent when one is missing.
    pub total: Option<f64>,
}

#[derive(Deserialize)]
struct Row {
    province_id: u32,
    province_vi: String,
    region: String,
    year: i32,
    #[serde(rename = "D1")]
    d1: Option<f64>,
    #[serde(rename = "D2")]
    d2: Option<f64>,
    #[serde(rename = "D3")]
    d3: Option<f64>,
    #[serde(rename = "D4")]
    d4: Option<f64>,
    #[serde(rename = "D5")]
    d5: Option<f64>,
    #[serde(rename = "D6")]
    d6: Option<f64>,
    #[serde(rename = "D7")]
    d7: Option<f64>,
    #[serde(rename = "D8")]
    d8: Option<f64>,
    total_papi: Option<f64>,
}

/// The whole table.
#[derive(Debug, Clone, Default)]
pub struct ReferenceTable {
    pub rows: Vec<ProvinceYear>,
}

/// The reference table could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reference table {file}: {message}")]
pub struct ReferenceError {
    pub file: String,
    pub message: String,
}

impl ReferenceTable {
    /// The official table as published (2011-2024), built into the binary: what the service compares
    /// with when no other table is given.
    pub fn official() -> ReferenceTable {
        static OFFICIAL: &[u8] =
            include_bytes!("../../../survey-defs/benchmarks/papi-provincial-scores-2011-2024.csv");
        ReferenceTable::from_csv(OFFICIAL).expect("the built-in official table parses")
    }

    pub fn load(path: impl AsRef<Path>) -> Result<ReferenceTable, ReferenceError> {
        let path = path.as_ref();
        let err = |message: String| ReferenceError {
            file: path.display().to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        ReferenceTable::from_csv(&bytes).map_err(err)
    }

    pub fn from_csv(bytes: &[u8]) -> Result<ReferenceTable, String> {
        let mut reader = csv::Reader::from_reader(bytes);
        let mut rows = Vec::new();
        for (i, row) in reader.deserialize::<Row>().enumerate() {
            let r = row.map_err(|e| format!("row {}: {e}", i + 2))?;
            rows.push(ProvinceYear {
                province_id: r.province_id,
                province: nfc(&r.province_vi),
                region: nfc(&r.region),
                year: r.year,
                dimensions: [r.d1, r.d2, r.d3, r.d4, r.d5, r.d6, r.d7, r.d8],
                total: r.total_papi,
            });
        }
        Ok(ReferenceTable { rows })
    }

    /// A province's row for a year; the province may be named with or without diacritics.
    pub fn find(&self, province: &str, year: i32) -> Option<&ProvinceYear> {
        let key = slug(province);
        self.rows
            .iter()
            .find(|r| r.year == year && slug(&r.province) == key)
    }

    /// Every province's row for a year.
    pub fn year(&self, year: i32) -> impl Iterator<Item = &ProvinceYear> {
        self.rows.iter().filter(move |r| r.year == year)
    }

    /// A province's rows, oldest first.
    pub fn history(&self, province: &str) -> Vec<&ProvinceYear> {
        let key = slug(province);
        let mut rows: Vec<_> = self
            .rows
            .iter()
            .filter(|r| slug(&r.province) == key)
            .collect();
        rows.sort_by_key(|r| r.year);
        rows
    }
}

impl ProvinceYear {
    /// The score of a dimension by its PAPI id.
    pub fn dimension(&self, id: &str) -> Option<f64> {
        PAPI_DIMENSIONS
            .iter()
            .position(|d| *d == id)
            .and_then(|i| self.dimensions[i])
    }
}
