//! The demo province's fieldwork story, seeded once with `papi serve --demo`: a sample drawn from the
//! shipped frame and registered (its villages are the quotas), villages assigned to enumerators, a
//! supervisor's first reviews, a few interviews with the quality problems supervisors look for, a plan
//! task or two under way, and a first publication.

use papi_sample::Sample;
use papi_store::{Assignment, Store};
use papi_survey::{Answer, Interview, QuestionType, ReferenceTable, Survey};

use super::simulate::SampleDraw;

/// Draws the demo's sample from the shipped frame, registers it as the demo admin, and assigns its
/// villages: each to the simulated enumerator who works it, and the first district's to the demo
/// enumerator too, so that the demo's sign-in can fill the form there.
pub async fn register_sample(
    store: &Store,
    survey: &Survey,
    draw: &SampleDraw,
) -> anyhow::Result<Sample> {
    let frame = draw.frame()?;
    let (sample, version) = papi_recompute::design::register_sample(
        store,
        survey,
        &frame,
        &draw.options(),
        "demo-admin",
    )
    .await?;
    eprintln!(
        "demo: registered sample version {version}: {} villages in {} communes, {} interviews planned",
        sample.places.len(),
        sample
            .places
            .iter()
            .map(|p| (&p.path[0], &p.psu))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        sample.places.iter().map(|p| p.planned).sum::<usize>()
    );
    let columns = &survey.design.location;
    let mut assignments = Vec::new();
    let first_district = &sample.places[0].path[0];
    for (place, enumerator) in sample
        .places
        .iter()
        .zip(papi_simulate::village_enumerators(&sample))
    {
        let key = papi_store::place_key(&sample.location(columns, &place.path));
        if place.path[0] == *first_district {
            assignments.push(Assignment {
                place: key.clone(),
                enumerator: "demo-enumerator".into(),
            });
        }
        assignments.push(Assignment {
            place: key,
            enumerator,
        });
    }
    store
        .set_assignments(&survey.id, &survey.version, &assignments, "demo-supervisor")
        .await?;
    Ok(sample)
}

pub async fn fieldwork(store: &Store, survey: &Survey) -> anyhow::Result<()> {
    let all = store.interviews_page(survey, 0, 100_000).await?;
    // Quality problems: one interview sent again under a new id, one done in nine minutes, and one
    // that gives the same answer to every question of each rating scale.
    let mut problems = Vec::new();
    if let (Some(a), Some(b), Some(c)) = (all.first(), all.get(1), all.get(2)) {
        let mut copy = a.interview.clone();
        copy.id = uuid::Uuid::new_v4();
        problems.push(copy);
        let mut rushed = b.interview.clone();
        rushed.id = uuid::Uuid::new_v4();
        if let Some(start) = rushed.started_at {
            rushed.finished_at = Some(start + chrono::Duration::minutes(9));
        }
        problems.push(rushed);
        problems.push(straight_lined(survey, &c.interview));
    }
    store.insert_interviews(survey, &problems).await?;
    eprintln!(
        "demo: seeded {} quality problems for the fieldwork page: an interview sent again under a new id, one done in nine minutes, one straight-lined",
        problems.len()
    );
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

/// A copy of `iv` under a new id whose every rating-scale answer is the scale's first choice.
fn straight_lined(survey: &Survey, iv: &Interview) -> Interview {
    let mut copy = iv.clone();
    copy.id = uuid::Uuid::new_v4();
    for (q, answer) in survey.questions.iter().zip(copy.answers.iter_mut()) {
        let (Some(list), Some(Answer::Choice(value))) = (q.choices.as_deref(), answer.as_mut())
        else {
            continue;
        };
        let Some(scale) = papi_survey::quality::rating_scale(survey, list) else {
            continue;
        };
        if q.kind == QuestionType::SelectOne && scale.contains(&value.as_str()) {
            *value = scale[0].to_owned();
        }
    }
    copy
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
        "demo: published the scores of {} interviews (wave {}), {} left out",
        p.interviews, p.publication.publication.wave_year, p.left_out
    );
    Ok(())
}
