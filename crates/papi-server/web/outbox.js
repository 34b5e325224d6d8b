// The queue of finished interviews: sent in batches when there is signal, with backoff and the same
// id on every retry, so the server stores each exactly once. Once the server acknowledges one it
// leaves the device (a count of sent interviews stays); a refused one stays, with the server's reason.
"use strict";

const BATCH = 25; // interviews a request: a few hundred KiB for PAPI-sized ones
let sending = false;
let lastFinished = null; // the interview just finished, to say "sent" when it is

async function sendQueue(force) {
  if (sending) return;
  sending = true;
  try {
    const token = await getConfig("token");
    const now = Date.now();
    const due = (await allInterviews()).filter((x) => x.status === "queued" && (force || x.next_try <= now));
    for (let i = 0; token && i < due.length; i += BATCH) {
      if (!(await sendBatch(token, due.slice(i, i + BATCH)))) break; // no signal: the rest waits too
    }
  } finally {
    sending = false;
    refreshOutbox();
  }
}

// One request for `items`; false when the network or the server did not answer.
async function sendBatch(token, items) {
  let r;
  try {
    r = await fetch("/api/v1/interviews/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify({ interviews: items.map((x) => wire(x.submission)) }),
    });
  } catch (_) {
    r = null;
  }
  if (r && r.status === 401) await tokenRefused();
  if (!r || !r.ok) {
    // Offline, a refused token (signed out elsewhere), 503 or a server error: the same interviews,
    // the same ids, later.
    for (const item of items) { backoff(item); await putInterview(item); }
    return false;
  }
  const { results } = await r.json();
  const acknowledged = [];
  for (const res of results) {
    const item = items[res.index];
    if (res.status === 201 || res.status === 200) {
      acknowledged.push(item.id);
    } else if (res.status === 409) {
      item.status = "conflict";
      await putInterview(item);
    } else if (res.status === 503) {
      backoff(item);
      await putInterview(item);
    } else {
      item.status = "rejected";
      item.error = res;
      await putInterview(item);
    }
  }
  if (acknowledged.length) await acknowledge(acknowledged);
  if (lastFinished && acknowledged.includes(lastFinished)) {
    lastFinished = null;
    notify(tr("sentnow"), true);
  }
  return true;
}

// What goes to the server: the interview's own fields only. A design weight never leaves the device
// (the server computes weights from its sample and refuses one sent), whatever an older copy held.
function wire(sub) {
  const { id, survey: ref, location, started_at, finished_at, answers } = sub;
  return { id, survey: ref, location, started_at, finished_at, answers };
}
function backoff(item) {
  item.attempts = (item.attempts || 0) + 1;
  item.next_try = Date.now() + Math.min(60, 2 ** item.attempts) * 1000;
}

async function refreshOutbox() {
  const items = await allInterviews();
  $("unsent").textContent = String(items.filter((x) => x.status === "queued").length);
  $("drafts").textContent = String(items.filter((x) => x.status === "draft").length);
  $("sent").textContent = String((await getConfig("sent-count")) || 0);
  const rows = $("outbox-rows");
  rows.replaceChildren(...items.sort((a, b) => (a.submission.finished_at < b.submission.finished_at ? 1 : -1)).map((x) => {
    // Why the server refused it (a place no longer assigned, say), in the server's own words.
    const e = x.status === "rejected" && x.error;
    const why = e ? said((e.errors && e.errors[0] && e.errors[0].message) || e.message) : "";
    return el("tr", { "data-id": x.id, "data-status": x.status },
      el("td", {}, x.submission.finished_at.slice(0, 16).replace("T", " ")),
      el("td", {}, x.id.slice(0, 8)),
      el("td", {}, tr(x.status)),
      el("td", { class: "why" }, why));
  }));
}

// For a phone whose storage must be cleared, or that breaks: the finished interviews not yet sent, in a
// file that a supervisor uploads on the fieldwork page (the same ids, so none is stored twice).
async function saveUnsentFile() {
  const unsent = (await allInterviews()).filter((x) => x.status === "queued");
  if (!unsent.length) { notify(tr("nounsent")); return; }
  const file = {
    format: "papi-unsent-interviews", enumerator: (await getConfig("me")) || "",
    saved_at: new Date().toISOString(), interviews: unsent.map((x) => wire(x.submission)),
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file)], { type: "application/json" }));
  const a = el("a", { href: url, download: `papi-chua-gui-${file.saved_at.slice(0, 10)}-${unsent.length}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  notify(tr("filesaved", { n: unsent.length }), true);
}
