// The interview's place, picked, never typed: one select per location column, each listing what lies
// under the choices above it, over the places the server lets this device use (an enumerator's
// assigned villages, or the whole sample for an administrator). The list is kept in IndexedDB so that
// the form works with no signal.
"use strict";

let placeList = null; // the places the survey in use may be filled in: [{ column: name }], null until loaded
const placesKey = (s) => `places:${s.id}/${s.version}`;
const colName = (col) => (tr("col:" + col) === "col:" + col ? col : tr("col:" + col));
const byName = (a, b) => a.localeCompare(b, "vi", { numeric: true });

async function loadPlaces(token, defs) {
  const headers = { Authorization: "Bearer " + token };
  try {
    for (const d of defs) {
      // The server says where this caller may interview: the same rule it checks on arrival.
      const base = `/api/v1/surveys/${encodeURIComponent(d.id)}/${encodeURIComponent(d.version)}`;
      const r = await fetch(base + "/places", { headers });
      if (r.ok) await setConfig(placesKey(d), (await r.json()).places.map((p) => p.location));
    }
  } catch (_) {
    // No signal: the lists cached last time stay.
  }
}

// The first column is shown as text when every place shares it (a province survey's province).
function fixedFirst() {
  const values = new Set(placeList.map((p) => p[survey.location[0]]));
  return values.size === 1 ? [...values][0] : null;
}
function locationValue(col) {
  const e = $("loc-" + col);
  if (!e) return "";
  return e.tagName === "SELECT" ? e.value : e.dataset.value || "";
}
const hasPlaces = () => !!(placeList && placeList.length);

function renderLocation(onChange) {
  const loc = $("location");
  loc.replaceChildren();
  loc.onchange = null;
  // With nowhere to interview, the questions would only be filled in vain: they stay hidden.
  $("interview").classList.toggle("no-places", !hasPlaces());
  if (!hasPlaces()) {
    loc.append(el("p", { id: "no-places", class: "notice", role: "status" }, tr(placeList ? "noplaces" : "noplacelist")));
    return;
  }
  const fixed = fixedFirst();
  survey.location.forEach((col, i) => {
    if (i === 0 && fixed !== null) {
      loc.append(el("p", { class: "place-fixed" },
        el("span", {}, `${colName(col)}:`), " ", el("strong", { id: `loc-${col}`, "data-value": fixed }, fixed)));
    } else {
      loc.append(el("div", { class: "question place" },
        el("label", { class: "q", for: `loc-${col}` }, colName(col)),
        el("select", { id: `loc-${col}`, name: `loc-${col}` })));
    }
  });
  loc.append(el("div", { class: "error", id: "place-error", role: "alert" }));
  fillPlaces(0);
  loc.onchange = (e) => {
    fillPlaces(survey.location.indexOf(e.target.id.slice(4)) + 1);
    $("place-error").textContent = "";
    onChange();
  };
}

// Re-fills the selects from column `from` down: each offers the names under the choices above it,
// keeps its choice while it is still offered, and takes the only one when there is one.
function fillPlaces(from) {
  const cols = survey.location;
  for (let i = Math.max(from, 0); i < cols.length; i++) {
    const e = $("loc-" + cols[i]);
    if (!e || e.tagName !== "SELECT") continue;
    const above = cols.slice(0, i).map(locationValue);
    const names = above.includes("")
      ? []
      : [...new Set(placeList.filter((p) => cols.slice(0, i).every((c, j) => p[c] === above[j])).map((p) => p[cols[i]]))].sort(byName);
    const keep = names.includes(e.value) ? e.value : names.length === 1 ? names[0] : "";
    e.replaceChildren(new Option(`— ${tr("choose")} ${colName(cols[i]).toLowerCase()} —`, ""), ...names.map((n) => new Option(n, n)));
    e.value = keep;
    e.disabled = names.length === 0;
  }
}

// Puts a saved place back, column by column, where it is still one of the places offered.
function setLocation(saved) {
  if (!saved || !placeList) return;
  survey.location.forEach((col, i) => {
    const e = $("loc-" + col);
    if (e && e.tagName === "SELECT" && saved[col] && [...e.options].some((o) => o.value === saved[col])) {
      e.value = saved[col];
      fillPlaces(i + 1);
    }
  });
}
const locationPicked = () => survey.location.every((col) => locationValue(col) !== "");
function pickedLocation() {
  const location = {};
  for (const col of survey.location) location[col] = locationValue(col);
  return location;
}
