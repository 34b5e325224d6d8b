// The service worker of the enumerator's form: the app shell is cached, so that the form opens and
// reloads with no signal. Interviews never go through here: they live in IndexedDB until the server
// has acknowledged them.
"use strict";
const SHELL = "papi-form-v3";
const FILES = ["/form/", "/form/form.css", "/form/expr.js", "/form/ui.js", "/form/db.js", "/form/rules.js", "/form/places.js",
  "/form/screens.js", "/form/outbox.js", "/form/signin.js", "/form/app.js", "/form/manifest.webmanifest"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/form/")) return;
  // Network first (so an update arrives when there is signal), the cache when there is none.
  e.respondWith(
    fetch(e.request)
      .then((r) => {
        const copy = r.clone();
        if (r.ok) caches.open(SHELL).then((c) => c.put(e.request, copy));
        return r;
      })
      .catch(() => caches.match(e.request, { ignoreSearch: true })),
  );
});
