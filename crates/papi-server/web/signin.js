// Signing in on the form: a username and password (checked by the server's one sign-in, `POST
// /login`), after which the session asks for a device token that this phone keeps in IndexedDB, so
// that interviews queued for days still go out after the 12-hour session is over. A user already
// signed in on the site gets the token with no typing; a device given an access token by the
// administrator can still enter it. Signing out revokes this device's token on the server.
"use strict";

// A device token from the browser session, if there is one that may collect interviews.
async function tokenFromSession(csrf) {
  if (!csrf) {
    const who = await fetch("/api/v1/session", { credentials: "same-origin" });
    if (!who.ok) return null;
    csrf = (await who.json()).csrf_token;
    if (!csrf) return null;
  }
  const r = await fetch("/api/v1/session/device-token", {
    method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
  });
  if (r.status === 403) throw new Error(tr("nocollect"));
  if (!r.ok) throw new Error(said((await r.json().catch(() => ({}))).message) || tr("signinerror"));
  return (await r.json()).token;
}

async function signIn(username, password) {
  let r;
  try {
    r = await fetch("/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
  } catch (_) {
    throw new Error(tr("signinerror"));
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(said(body.message) || tr("signinerror"));
  return tokenFromSession(body.csrf_token);
}

// This device's token is revoked on the server and forgotten here, with the definitions and places
// it fetched; unsent interviews must go first, since they would be sent under the next user's name.
async function signOut() {
  const unsent = (await allInterviews()).filter((x) => x.status === "queued").length;
  if (unsent) { notify(tr("signoutunsent")); return false; }
  const token = await getConfig("token");
  try {
    await fetch("/api/v1/session/device-token", { method: "DELETE", headers: { Authorization: "Bearer " + token } });
  } catch (_) {
    // No signal: the token is forgotten here all the same; an administrator can revoke it.
  }
  // The browser session too, or the next visit would take a new token from it.
  try {
    const who = await fetch("/api/v1/session", { credentials: "same-origin" });
    const csrf = who.ok && (await who.json()).csrf_token;
    if (csrf) await fetch("/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
  } catch (_) {
    // No signal: the session ends by itself within 12 hours.
  }
  await deleteConfig("token");
  return true;
}
