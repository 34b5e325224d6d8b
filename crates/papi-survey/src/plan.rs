//! Action plans that answer a survey's results, such as Bình Định's Plan 53/KH-UBND: each task with
//! the dimension it answers for, who leads it, who coordinates and how often it is done. The dashboard
//! shows a weak dimension next to the tasks and agencies responsible for it.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::model::Survey;
use crate::text::{nfc, Label};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub plan: PlanHeader,
    pub tasks: Vec<PlanTask>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanHeader {
    pub id: String,
    pub number: String,
    pub issued: String,
    pub issuer: Label,
    pub title: Label,
    #[serde(default)]
    pub goal: Option<Label>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTask {
    pub id: String,
    /// The id of the survey dimension the task answers for.
    pub dimension: String,
    pub text: Label,
    /// Lead agencies (Vietnamese names, as the plan gives them).
    pub lead: Vec<String>,
    #[serde(default)]
    pub coordinating: Vec<String>,
    /// How often, or when; absent where the plan leaves it blank.
    #[serde(default)]
    pub cadence: Option<Label>,
}

/// A plan that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct PlanError {
    pub file: String,
    pub message: String,
}

impl PlanError {
    pub fn code(&self) -> &'static str {
        "plan.invalid"
    }
}

impl Plan {
    pub fn load(path: impl AsRef<Path>) -> Result<Plan, PlanError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| PlanError {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Plan::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks a plan: ids unique and non-empty, every task with text and a lead agency.
    pub fn from_toml(text: &str, file: &str) -> Result<Plan, PlanError> {
        let err = |message: String| PlanError {
            file: file.to_owned(),
            message,
        };
        let mut plan: Plan = toml::from_str(&nfc(text)).map_err(|e| err(e.to_string()))?;
        plan.plan.id = plan.plan.id.trim().to_owned();
        if plan.plan.id.is_empty() {
            return Err(err("plan.id: must not be empty".into()));
        }
        if plan.tasks.is_empty() {
            return Err(err("tasks: a plan needs at least one task".into()));
        }
        let mut ids = HashSet::new();
        for (i, t) in plan.tasks.iter().enumerate() {
            let at = format!("tasks[{i}] (id {:?})", t.id);
            if t.id.trim().is_empty() {
                return Err(err(format!("{at}: id must not be empty")));
            }
            if !ids.insert(t.id.clone()) {
                return Err(err(format!(
                    "{at}: id is used by an earlier task; ids must be unique"
                )));
            }
            if t.text.get("vi").trim().is_empty() {
                return Err(err(format!("{at}: text.vi must not be empty")));
            }
            if t.lead.iter().all(|a| a.trim().is_empty()) {
                return Err(err(format!("{at}: lead must name at least one agency")));
            }
        }
        Ok(plan)
    }

    /// Checks that every task's dimension is one of the survey's.
    pub fn check_against(&self, survey: &Survey, file: &str) -> Result<(), PlanError> {
        for t in &self.tasks {
            if !survey.dimensions.iter().any(|d| d.id == t.dimension) {
                return Err(PlanError {
                    file: file.to_owned(),
                    message: format!(
                        "task {}: dimension {:?} is not a dimension of survey {} (known: {})",
                        t.id,
                        t.dimension,
                        survey.id,
                        survey
                            .dimensions
                            .iter()
                            .map(|d| d.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The tasks that answer for one dimension, in the plan's order.
    pub fn tasks_for<'a>(&'a self, dimension: &'a str) -> impl Iterator<Item = &'a PlanTask> {
        self.tasks.iter().filter(move |t| t.dimension == dimension)
    }
}
