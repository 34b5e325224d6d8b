// The script of the server-rendered pages (dashboard, fieldwork), served as a file so that
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
