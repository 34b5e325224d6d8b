// What the form keeps on the device, in IndexedDB: its settings (the device token, the definitions,
// the assigned places) and the interviews not yet acknowledged by the server. An acknowledged one is
// deleted in the same transaction that counts it, so the count of sent interviews never drifts.
"use strict";

let db;
function openDb() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open("papi", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("config", { keyPath: "key" });
      r.result.createObjectStore("interviews", { keyPath: "id" });
    };
    r.onsuccess = () => { db = r.result; ok(db); };
    r.onerror = () => fail(r.error);
  });
}
function store(names, mode, fn) {
  return new Promise((ok, fail) => {
    const tx = db.transaction(names, mode);
    const result = fn(...[].concat(names).map((n) => tx.objectStore(n)));
    tx.oncomplete = () => ok(result && "result" in result ? result.result : undefined);
    tx.onerror = () => fail(tx.error);
  });
}
const getConfig = (key) => store("config", "readonly", (s) => s.get(key)).then((r) => r && r.value);
const setConfig = (key, value) => store("config", "readwrite", (s) => s.put({ key, value }));
const deleteConfig = (key) => store("config", "readwrite", (s) => s.delete(key));
const allInterviews = () => store("interviews", "readonly", (s) => s.getAll());
const putInterview = (x) => store("interviews", "readwrite", (s) => s.put(x));
const deleteInterview = (id) => store("interviews", "readwrite", (s) => s.delete(id));

// Forgets the acknowledged interviews and adds them to the count of sent ones.
function acknowledge(ids) {
  return store(["interviews", "config"], "readwrite", (interviews, config) => {
    for (const id of ids) interviews.delete(id);
    const r = config.get("sent-count");
    r.onsuccess = () => config.put({ key: "sent-count", value: ((r.result && r.result.value) || 0) + ids.length });
  });
}
