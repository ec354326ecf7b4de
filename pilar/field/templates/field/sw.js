// Pilar's service worker (docs/FIELD.md, "Installable and offline"). Registered for every
// signed-in user (web push needs it). It keeps the static files of the offline pages and, only
// while a pillar is signed in on this phone, a copy of each of the pillar's own pages as last
// seen, for PILAR_OFFLINE_DAYS at most; no other page is ever stored (docs/PRIVACY.md).
"use strict";
const CONFIG = {{ config }};
const STATIC_CACHE = "pilar-static-" + CONFIG.version;
const PAGE_CACHE = "pilar-pages";  // cleared at sign-out (outbox.js)

// The outbox's store and sender, for Background Sync; then the scripts other parts add (web
// push's handlers show a notification with this icon: a phone may not draw the SVG favicon).
self.PILAR_PUSH_ICON = CONFIG.icon;
importScripts(CONFIG.outbox, ...CONFIG.imports);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(CONFIG.statics))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys
    .filter((key) => key.startsWith("pilar-static-") && key !== STATIC_CACHE)
    .map((key) => caches.delete(key)))).then(() => self.clients.claim()));
});

const KEPT_HEADER = "X-Pilar-Kept";
const MAX_AGE = CONFIG.offline_days * 24 * 3600 * 1000;
// Bumped when the page asks to forget the copies (sign-out): a copy fetched before is dropped.
let generation = 0;

// The page's own word on who it was made for (the outbox's json_script block).
function madeFor(text) {
  const found = /<script id="pilar-field" type="application\/json">([^<]*)<\/script>/.exec(text);
  try {
    return found ? JSON.parse(found[1]) : null;
  } catch (error) {
    return null;
  }
}

// A copy is marked with the time it was stored: the page shows "Offline — data as of …", and
// the worker serves it only while it is younger than PILAR_OFFLINE_DAYS. Only the pages of the
// pillar the outbox's config names (set by outbox.js, null once anyone else signs in) are kept.
async function keep(path, response, since) {
  const text = await response.text();
  const conf = await self.PilarOutbox.store.meta("config").catch(() => null);
  const page = madeFor(text);
  if (!conf || !page || !page.pillar || page.user !== conf.user) return;
  const now = new Date().toISOString();
  const stamped = text.replace("<html", '<html data-offline-copy="' + now + '"');
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.set(KEPT_HEADER, now);
  const cache = await caches.open(PAGE_CACHE);
  if (generation !== since) return;  // signed out meanwhile
  await cache.put(path, new Response(stamped, { status: 200, headers }));
}

// A stored copy young enough to serve; an older one is deleted instead.
async function kept(path) {
  const cache = await caches.open(PAGE_CACHE);
  const copy = await cache.match(path);
  if (!copy) return null;
  const stored = Date.parse(copy.headers.get(KEPT_HEADER) || "");
  if (!(Date.now() - stored < MAX_AGE)) {
    await cache.delete(path);
    return null;
  }
  return copy;
}

function keepable(response) {
  return response && response.ok && response.status === 200 && !response.redirected &&
    response.type === "basic" && (response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function navigate(request, path) {
  const since = generation;
  try {
    const response = await fetch(request);
    if (keepable(response)) await keep(path, response.clone(), since);
    return response;
  } catch (error) {
    const copy = await kept(path) || await kept(CONFIG.fallback);
    if (copy) return copy;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (CONFIG.pages.includes(url.pathname) && !url.search) {
      event.respondWith(navigate(request, url.pathname));
    } else {
      // Any other page is never stored; with no signal the outbox opens instead.
      event.respondWith(fetch(request).catch(async () => {
        const copy = await kept(CONFIG.fallback);
        if (copy) return copy;
        return Response.error();
      }));
    }
    return;
  }
  if (CONFIG.statics.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
  }
});

// The page asks for fresh copies of the pillar's pages, or to forget them (at sign-out).
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep-pages") {
    const since = generation;
    // A redirect is not followed: signed out meanwhile, a page answers with the way to the
    // sign-in page, and fetching that page would hand the phone a new CSRF cookie behind the
    // back of the sign-in form open on it (its token would then fail).
    event.waitUntil(Promise.all(CONFIG.pages.map((path) =>
      fetch(path, { credentials: "same-origin", redirect: "manual" }).then((response) =>
        keepable(response) ? keep(path, response, since) : null).catch(() => null)
    )).then(async () => {
      const kept = (await (await caches.open(PAGE_CACHE)).keys()).length;
      if (event.source) event.source.postMessage({ type: "pages-kept", count: kept });
    }));
  } else if (data.type === "forget-pages") {
    generation++;
    event.waitUntil(caches.delete(PAGE_CACHE));
  }
});

// Background Sync: the outbox is sent when the signal returns, even with Pilar closed.
self.addEventListener("sync", (event) => {
  if (event.tag === "pilar-outbox") {
    event.waitUntil(self.PilarOutbox.syncStored().then(notifyPages));
  }
});

async function notifyPages() {
  for (const client of await self.clients.matchAll({ type: "window" })) {
    client.postMessage({ type: "outbox-changed" });
  }
}
