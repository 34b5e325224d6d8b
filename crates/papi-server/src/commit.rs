//! Group commit: concurrent submissions are gathered into one transaction, so that every 201 is
//! durable (committed, fsynced) without paying a transaction per interview.
//!
//! A single task owns the writes. It takes whatever has queued up since its last commit (up to
//! `MAX_BATCH` interviews), stores each survey version's interviews with one
//! `Store::insert_prepared_each`, and answers every waiting request. When the queue is full the
//! service sheds load with 503 rather than falling over.

use std::sync::Arc;

use papi_store::{InsertOutcome, PreparedInterview, Store};
use papi_survey::{Interview, Survey};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;

/// Most interviews in one transaction.
const MAX_BATCH: usize = 512;
/// Requests that may wait for a commit before new ones get 503.
const QUEUE: usize = 2048;

struct Pending {
    survey: Arc<Survey>,
    interviews: Vec<PreparedInterview>,
    reply: oneshot::Sender<Result<Vec<InsertOutcome>, String>>,
}

#[derive(Clone)]
pub struct Committer {
    queue: mpsc::Sender<Pending>,
}

impl Committer {
    pub fn start(store: Store) -> Committer {
        let (queue, mut rx) = mpsc::channel::<Pending>(QUEUE);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut size = first.interviews.len();
                let mut batch = vec![first];
                while size < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(p) => {
                            size += p.interviews.len();
                            batch.push(p);
                        }
                        Err(_) => break,
                    }
                }
                commit(&store, batch).await;
            }
        });
        Committer { queue }
    }

    /// Requests waiting for a commit.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Stores the interviews of one request and returns what became of each, once committed.
    pub async fn submit(
        &self,
        survey: Arc<Survey>,
        interviews: Vec<Interview>,
    ) -> Result<Vec<InsertOutcome>, ApiError> {
        // Hashing and serialising happen here, in the request's task, so that requests do it in
        // parallel and the writing task only writes.
        let interviews = interviews
            .iter()
            .map(|iv| PreparedInterview::new(&survey, iv))
            .collect::<Result<Vec<_>, _>>()?;
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Pending {
                survey,
                interviews,
                reply,
            })
            .map_err(|_| ApiError::overloaded())?;
        match answer.await {
            Ok(Ok(outcomes)) => Ok(outcomes),
            Ok(Err(e)) => Err(ApiError::internal(e)),
            Err(_) => Err(ApiError::internal("the commit task stopped")),
        }
    }
}

/// Commits one batch: one transaction per survey version present, in arrival order.
async fn commit(store: &Store, batch: Vec<Pending>) {
    let mut rest = batch;
    while !rest.is_empty() {
        let key = (rest[0].survey.id.clone(), rest[0].survey.version.clone());
        let (same, others): (Vec<Pending>, Vec<Pending>) = rest.into_iter().partition(|p| {
            (p.survey.id.as_str(), p.survey.version.as_str()) == (key.0.as_str(), key.1.as_str())
        });
        rest = others;
        let survey = same[0].survey.clone();
        let sizes: Vec<usize> = same.iter().map(|p| p.interviews.len()).collect();
        let mut all = Vec::with_capacity(sizes.iter().sum());
        let mut replies = Vec::with_capacity(same.len());
        for p in same {
            all.extend(p.interviews);
            replies.push(p.reply);
        }
        match store.insert_prepared_each(&survey, &all).await {
            Ok(report) => {
                let mut outcomes = report.outcomes.into_iter();
                for (reply, n) in replies.into_iter().zip(sizes) {
                    let _ = reply.send(Ok(outcomes.by_ref().take(n).collect()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed");
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}
