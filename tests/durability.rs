//! Durability and scale-out: every acknowledged interview survives a kill -9 of the server under
//! load, none is stored twice, and two servers on one PostgreSQL store each interview exactly once.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::Value;

fn interviews(seed: &str, count: &str) -> Vec<String> {
    submissions(seed, count)
        .iter()
        .map(Value::to_string)
        .collect()
}

fn id_of(body: &str) -> String {
    serde_json::from_str::<Value>(body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Stored interview ids, and how many rows there are.
fn stored(db: &TestDb) -> (BTreeSet<String>, usize) {
    let all = db.interviews(&shipped_survey());
    let ids: BTreeSet<String> = all.iter().map(|s| s.interview.id.to_string()).collect();
    (ids, all.len())
}

on_both_databases! {
    fn every_acknowledged_interview_survives_kill_minus_nine(db: &TestDb) {
        let bodies = Arc::new(interviews("71", "3000"));
        let server = Server::start(&["--database", &db.url]);
        let enumerator = token(db, "enumerator", "crash-test");
        register_sample(db, &["crash-test"]);
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let addr = server.addr.clone();
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let workers: Vec<_> = (0..16)
            .map(|_| {
                let (bodies, acknowledged, next, addr, token) = (bodies.clone(), acknowledged.clone(), next.clone(), addr.clone(), enumerator.clone());
                std::thread::spawn(move || {
                    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(body) = bodies.get(i) else { return };
                        let r = agent
                            .post(&format!("http://{addr}/api/v1/interviews"))
                            .set("Authorization", &format!("Bearer {token}"))
                            .set("Content-Type", "application/json")
                            .send_string(body);
                        match r {
                            Ok(resp) if resp.status() == 201 || resp.status() == 200 => acknowledged.lock().unwrap().push(id_of(body)),
                            Ok(_) | Err(ureq::Error::Status(..)) => {}
                            // The server is gone: this worker is done.
                            Err(ureq::Error::Transport(_)) => return,
                        }
                    }
                })
            })
            .collect();
        // Let load build up, then kill the server without warning.
        let started = Instant::now();
        while acknowledged.lock().unwrap().len() < 300 && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill9();
        for w in workers {
            w.join().unwrap();
        }
        let acknowledged: BTreeSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
        assert!(acknowledged.len() >= 300, "the load reached the server");
        assert!(acknowledged.len() < bodies.len(), "the server died mid-load");

        // After a restart, every acknowledged interview is there, and none twice.
        let server = Server::start(&["--database", &db.url]);
        let (ids, rows) = stored(db);
        assert_eq!(ids.len(), rows, "no interview is stored twice");
        let lost: Vec<&String> = acknowledged.difference(&ids).collect();
        assert!(lost.is_empty(), "{} acknowledged interview(s) lost, e.g. {:?}", lost.len(), lost.first());
        eprintln!("{} backend: {} acknowledged before kill -9, {} stored (some may have been committed just before the kill), 0 lost", db.kind, acknowledged.len(), rows);
        // Resending everything after the restart stores each remaining interview once.
        let mut created = 0;
        for body in bodies.iter() {
            let r = server.post("/api/v1/interviews", &enumerator, body);
            assert!(r.status == 201 || r.status == 200, "{}", r.body);
            if r.status == 201 {
                created += 1;
                assert!(!ids.contains(&id_of(body)));
            }
        }
        assert_eq!(rows + created, bodies.len());
        let (ids, rows) = stored(db);
        assert_eq!((ids.len(), rows), (bodies.len(), bodies.len()));
    }
}

needs! { postgres:
fn two_servers_on_one_postgresql_store_each_interview_once() {
    let db = TestDb::postgres();
    let a = Server::start(&["--database", &db.url]);
    let b = Server::start(&["--database", &db.url]);
    let enumerator = token(&db, "enumerator", "scale-out");
    register_sample(&db, &["scale-out"]);
    let bodies = Arc::new(interviews("72", "400"));
    // Every interview goes to both servers at once, from two threads each.
    let results = Arc::new(Mutex::new(Vec::<(String, u16)>::new()));
    let mut threads = Vec::new();
    for (k, addr) in [
        a.addr.clone(),
        b.addr.clone(),
        a.addr.clone(),
        b.addr.clone(),
    ]
    .into_iter()
    .enumerate()
    {
        let (bodies, results, token) = (bodies.clone(), results.clone(), enumerator.clone());
        threads.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build();
            // Two of the four go through the list backwards, so that the same interview meets itself.
            let order: Vec<usize> = if k % 2 == 0 {
                (0..bodies.len()).collect()
            } else {
                (0..bodies.len()).rev().collect()
            };
            for i in order {
                let status = match agent
                    .post(&format!("http://{addr}/api/v1/interviews"))
                    .set("Authorization", &format!("Bearer {token}"))
                    .set("Content-Type", "application/json")
                    .send_string(&bodies[i])
                {
                    Ok(r) => r.status(),
                    Err(ureq::Error::Status(s, _)) => s,
                    Err(e) => panic!("{e}"),
                };
                results.lock().unwrap().push((id_of(&bodies[i]), status));
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let results = results.lock().unwrap();
    for body in bodies.iter() {
        let id = id_of(body);
        let statuses: Vec<u16> = results
            .iter()
            .filter(|(x, _)| *x == id)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(statuses.len(), 4);
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{id}: exactly one 201 across both servers: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            3,
            "{id}: the others are acknowledged resends: {statuses:?}"
        );
    }
    let (ids, rows) = stored(&db);
    assert_eq!((ids.len(), rows), (bodies.len(), bodies.len()));
    drop((a, b));
}
}
