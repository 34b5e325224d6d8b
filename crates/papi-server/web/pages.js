// The script of the server-rendered pages (dashboard, fieldwork, analysis), served as a file so that
// the pages' Content-Security-Policy allows no inline script. Forms and buttons say what they do with
// data- attributes; the handlers are wired here. State changes go to the JSON API with the session's
// CSRF token.
"use strict";

(() => {
  const en = () => document.documentElement.lang === "en";

  function csrf() {
    const m = document.querySelector("meta[name=csrf-token]");
    return m ? m.content : "";
  }

  async function sendJson(method, url, body) {
    const r = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
    });
    if (!r.ok) {
      let message = String(r.status);
      try {
        const e = await r.json();
        message = en() ? e.message.en : e.message.vi;
      } catch (_) {
        // Not JSON: the status says enough.
      }
      throw new Error(message);
    }
    return r.json();
  }

  const api = (...parts) => parts.map(encodeURIComponent).join("/");

  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  // A number as the page's language writes it: 41,06 in Vietnamese, 41.06 in English.
  const number = (x, decimals) => x.toLocaleString(en() ? "en-GB" : "vi-VN",
    { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

  // Follows a background job at `url` until it is neither queued nor running, showing its progress
  // (`progress(job)` gives [done, total]) in the form's bar; returns the job as it ended.
  async function follow(form, url, progress, says) {
    const bar = form.querySelector("progress");
    const status = form.querySelector("[data-status]");
    bar.hidden = false;
    for (;;) {
      const job = await sendJson("GET", url);
      const [done, total] = progress(job);
      if (total > 0) bar.value = done / total; else bar.removeAttribute("value");
      status.textContent = says(job);
      if (job.status !== "queued" && job.status !== "running") {
        bar.value = job.status === "done" ? 1 : bar.value || 0;
        return job;
      }
      await sleep(500);
    }
  }

  // A recompute job's phase in the page's language.
  const PHASES = {
    queued: ["đang chờ", "waiting"],
    reading: ["đang đọc phiếu", "reading the interviews"],
    scoring: ["đang tính điểm", "scoring"],
    "scoring strata": ["đang tính điểm theo tầng", "scoring the strata"],
    publishing: ["đang công bố", "publishing"],
  };
  const phase = (p) => (PHASES[p] ? PHASES[p][en() ? 1 : 0] : p);

  // Runs a form's job with its button disabled, and says what went wrong in the form.
  async function withButton(form, work) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await work();
    } catch (err) {
      form.querySelector("[data-status]").textContent = `✗ ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }

  // The lists of publications and score runs, fetched again from the page once a recompute published.
  async function refreshHistory() {
    const page = new DOMParser().parseFromString(await (await fetch(location.href)).text(), "text/html");
    const fresh = page.getElementById("history");
    if (fresh) document.getElementById("history").replaceWith(fresh);
  }

  // What each form does when it is sent, by its data-action.
  const actions = {
    async "sign-out"() {
      await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": csrf() } });
      location.href = "/login";
    },

    // The fieldwork page: the villages assigned to each enumerator, one input per village.
    async "save-assignments"(form) {
      const rows = [];
      for (const input of form.querySelectorAll("input[data-place]")) {
        for (const name of input.value.split(",")) {
          const enumerator = name.trim();
          if (enumerator) rows.push({ place: input.dataset.place, enumerator });
        }
      }
      const status = form.querySelector("[data-status]");
      try {
        const url = `/api/v1/surveys/${api(form.dataset.survey, form.dataset.version)}/assignments`;
        const r = await sendJson("PUT", url, { assignments: rows });
        status.textContent = `✓ ${en() ? "saved: " : "đã lưu: "}${r.assignments}`;
      } catch (err) {
        status.textContent = err.message;
      }
    },

    // The fieldwork page: a phone's file of unsent interviews, uploaded for its enumerator in parts
    // of at most 500; the server acknowledges one already received without storing it twice.
    async "upload-device-file"(form) {
      const status = form.querySelector("[data-status]");
      try {
        let file;
        try { file = JSON.parse(await form.elements.file.files[0].text()); } catch (_) { file = null; }
        if (!file || !Array.isArray(file.interviews)) {
          throw new Error(en() ? "This is not a file of unsent interviews saved by the form." : "Đây không phải tệp phiếu chưa gửi do biểu mẫu lưu.");
        }
        const sum = { created: 0, duplicate: 0, refused: 0 };
        let why = "";
        for (let i = 0; i === 0 || i < file.interviews.length; i += 500) {
          const r = await sendJson("POST", "/api/v1/interviews/device-file", { ...file, interviews: file.interviews.slice(i, i + 500) });
          for (const k of Object.keys(sum)) sum[k] += r[k];
          const refused = r.results.find((x) => x.status >= 300);
          if (refused && !why) why = en() ? refused.message.en : refused.message.vi;
        }
        status.textContent = en()
          ? `✓ ${file.enumerator}: ${sum.created} new, ${sum.duplicate} already received, ${sum.refused} refused${why ? ` (${why})` : ""}`
          : `✓ ${file.enumerator}: ${sum.created} phiếu mới, ${sum.duplicate} đã nhận từ trước, ${sum.refused} bị từ chối${why ? ` (${why})` : ""}`;
      } catch (err) {
        status.textContent = err.message;
      }
    },

    // The analysts' page: recompute and publish, then follow the job to its end.
    async recompute(form) {
      await withButton(form, async () => {
        const started = await sendJson("POST", `/api/v1/surveys/${api(form.dataset.survey, form.dataset.version)}/recompute`, {});
        const job = await follow(form, `/api/v1/recompute/${api(started.id)}`,
          (j) => [j.interviews_read, j.interviews_total],
          (j) => en()
            ? `Recomputing: ${phase(j.phase)}, ${j.interviews_read} of ${j.interviews_total} interviews read`
            : `Đang tính lại: ${phase(j.phase)}, đã đọc ${j.interviews_read}/${j.interviews_total} phiếu`);
        const status = form.querySelector("[data-status]");
        if (job.status !== "done") {
          status.textContent = `✗ ${en() ? "The recompute failed" : "Tính lại không thành công"}: ${job.error || job.status}`;
          return;
        }
        const total = job.total == null ? "—" : number(job.total, 2);
        status.textContent = en()
          ? `✓ Published: total score ${total}; ${job.left_out || 0} interviews left out.`
          : `✓ Đã công bố: tổng điểm ${total}; ${job.left_out || 0} phiếu bị loại.`;
        await refreshHistory();
      });
    },

    // The analysts' page: an export, followed until its file can be downloaded.
    async export(form) {
      const link = form.querySelector("a.download");
      link.hidden = true;
      await withButton(form, async () => {
        const f = form.elements;
        const started = await sendJson("POST", "/api/v1/exports", {
          survey_id: form.dataset.survey,
          version: form.dataset.version,
          format: f.format.value,
          bom: f.bom.checked && f.format.value === "csv",
          review_states: [...form.querySelectorAll("input[name=review_states]:checked")].map((i) => i.value),
        });
        const job = await follow(form, started.links.self,
          (j) => [j.progress.rows_written, j.progress.rows_total || 0],
          (j) => en()
            ? `Exporting: ${j.progress.rows_written} of ${j.progress.rows_total ?? "?"} interviews written`
            : `Đang xuất: đã ghi ${j.progress.rows_written}/${j.progress.rows_total ?? "?"} phiếu`);
        const status = form.querySelector("[data-status]");
        if (job.status !== "done") {
          status.textContent = `✗ ${en() ? "The export failed" : "Xuất dữ liệu không thành công"}: ${job.error || job.status}`;
          return;
        }
        status.textContent = en()
          ? `✓ Done: ${job.progress.rows_written} interviews in ${job.format.toUpperCase()}.`
          : `✓ Xong: ${job.progress.rows_written} phiếu, định dạng ${job.format.toUpperCase()}.`;
        link.href = job.links.file;
        link.hidden = false;
        link.focus();
      });
    },

    // An interview's page: a supervisor's decision.
    async review(form) {
      try {
        await sendJson("POST", `/api/v1/interviews/${api(form.dataset.interview)}/review`, {
          state: form.elements.state.value,
          comment: form.elements.comment.value,
        });
        location.reload();
      } catch (err) {
        alert(err.message);
      }
    },

    // A dimension's page: an administrator updates a task of the plan.
    async "set-task"(form) {
      try {
        await sendJson("PUT", `/api/v1/plans/${api(form.dataset.plan)}/tasks/${api(form.dataset.task)}`, {
          status: form.elements.status.value,
          note: form.elements.note.value,
        });
        location.reload();
      } catch (err) {
        alert(err.message);
      }
    },
  };

  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-action]");
    const action = form && actions[form.dataset.action];
    if (!action) return;
    e.preventDefault();
    action(form);
  });

  document.addEventListener("click", (e) => {
    if (e.target.closest("[data-action=print]")) window.print();
  });
})();
