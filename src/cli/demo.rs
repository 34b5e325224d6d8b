//! The demo province's fieldwork story, seeded once with `papi serve --demo`: quotas for every
//! village (a few not yet reached), a supervisor's first reviews, a few interviews with the quality
//! problems supervisors look for, a plan task or two under way, and a first publication.

use papi_store::{Quota, Store};
use papi_survey::{ReferenceTable, Survey};

/// Interviews the demo sample plans per village; some villages are planned larger than they got.
const PER_VILLAGE: i64 = 16;

pub async fn fieldwork(store: &Store, survey: &Survey) -> anyhow::Result<()> {
    let all = store.interviews_page(survey, 0, 100_000).await?;
    // Places, from what was collected: every village gets its quota, every fifth one is short of it.
    let places = store
        .interviews_by_place(&survey.id, &survey.version)
        .await?;
    // In the definition's column order (PostgreSQL's jsonb keeps its own).
    let mut villages: Vec<Vec<(String, String)>> = places
        .into_iter()
        .map(|p| {
            survey
                .design
                .location
                .iter()
                .filter_map(|c| p.location.iter().find(|(k, _)| k == c).cloned())
                .collect()
        })
        .collect();
    villages.sort();
    villages.dedup();
    let quotas: Vec<Quota> = villages
        .into_iter()
        .enumerate()
        .map(|(i, location)| Quota {
            location,
            target: if i % 5 == 0 {
                PER_VILLAGE + 4
            } else {
                PER_VILLAGE
            },
        })
        .collect();
    store
        .set_quotas(&survey.id, &survey.version, &quotas, "demo-supervisor")
        .await?;
    // Quality problems: one interview sent again under a new id, and one done in nine minutes.
    let mut problems = Vec::new();
    if let (Some(a), Some(b)) = (all.first(), all.get(1)) {
        let mut copy = a.interview.clone();
        copy.id = uuid::Uuid::new_v4();
        problems.push(copy);
        let mut rushed = b.interview.clone();
        rushed.id = uuid::Uuid::new_v4();
        if let Some(start) = rushed.started_at {
            rushed.finished_at = Some(start + chrono::Duration::minutes(9));
        }
        problems.push(rushed);
    }
    store.insert_interviews(survey, &problems).await?;
    // The supervisor's first reviews, spread over the province: every seventh interview approved,
    // one with issues and one rejected (in other districts than the problem interviews).
    for (i, s) in all.iter().enumerate().skip(2).step_by(7) {
        let (state, comment) = match i {
            100 => (
                "has_issues",
                "Thiếu câu trả lời về thủ tục chứng thực; đề nghị điều tra viên gọi lại.",
            ),
            303 => ("rejected", "Người trả lời không thuộc hộ được chọn mẫu."),
            _ => ("approved", ""),
        };
        store
            .review_interview(s.interview.id, state, comment, "demo-supervisor")
            .await?;
    }
    for (plan_id, toml) in store.plans().await? {
        let plan = papi_survey::plan::Plan::from_toml(&toml, &plan_id)?;
        for (t, status) in plan.tasks.iter().zip(["in_progress", "done", "delayed"]) {
            store
                .set_task_status(&plan_id, &t.id, status, "", "demo-admin")
                .await?;
        }
    }
    Ok(())
}

pub async fn publish(store: &Store, survey: &Survey, table: &ReferenceTable) -> anyhow::Result<()> {
    let p = papi_recompute::recompute_and_publish(
        store,
        survey,
        table,
        None,
        "demo-analyst",
        &papi_recompute::Quiet,
    )
    .await?;
    eprintln!(
        "demo: published the scores of {} interviews (wave {})",
        p.interviews, p.publication.publication.wave_year
    );
    Ok(())
}
