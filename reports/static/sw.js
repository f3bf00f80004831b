// The service worker: it keeps the app's shell (styles, scripts, icons) and the
// two pages a mentor files with, the report form and My reports, as last seen,
// so that they open on a phone without a signal. Served at /sw.js by
// reports/installable.py, which writes before this file the constants it uses:
// VERSION (the release and a hash of the shell), SHELL, FORM, MY_REPORTS, START.
//
// A form kept here carries the CSRF token and the form key of the day it was
// seen: sending it later is for the form's own script (its outbox) to handle.
"use strict";

const PREFIX = "reports-";
const CACHE = PREFIX + VERSION;
const PAGES = [FORM, MY_REPORTS];
// What a proxy in front of the service answers while the service is down: for
// the pages kept, as good as no network. A 500 is shown as it is (a fault to
// see, not to hide), and so is any 4xx.
const DOWN = [502, 503, 504];
// The answers vary on the session's cookie, which a request made here does not
// show; what is kept is this browser's own.
const MATCHING = { ignoreVary: true };

self.addEventListener("install", (event) => {
  // Past the browser's HTTP cache, which may still hold an older release's files.
  const files = SHELL.map((url) => new Request(url, { cache: "reload" }));
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(files))
      // A new release takes over at once rather than once every tab is closed,
      // so that its pages are not shown with the old release's styles and scripts.
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(replaceOlderCaches().then(() => self.clients.claim()));
});

// The pages an older release kept are fetched anew into this one's cache (the
// network is there: the new worker was just fetched), then the older caches go.
async function replaceOlderCaches() {
  const older = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE);
  const kept = new Set();
  for (const name of older) {
    const cache = await caches.open(name);
    for (const page of PAGES) {
      if (await cache.match(page, MATCHING)) kept.add(page);
    }
  }
  const cache = await caches.open(CACHE);
  await Promise.all([...kept].map((page) => fetchAndKeep(cache, page).catch(() => null)));
  await Promise.all(older.map((name) => caches.delete(name)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const page = request.mode === "navigate" && url.search === "" ? url.pathname : null;
  if (PAGES.includes(page)) {
    event.respondWith(lastSeen(request, page));
  } else if (page === START) {
    event.respondWith(startPage(request));
  } else if (SHELL.includes(url.pathname) && url.search === "") {
    event.respondWith(shellFile(request));
  }
  // Anything else (the API, every other page, a form sent) goes to the network
  // as if there were no worker.
});

// A kept page: from the network, kept as it was seen; from the cache only when
// the network fails, or the service is down behind a proxy.
async function lastSeen(request, page) {
  const cache = await caches.open(CACHE);
  let answer;
  try {
    answer = await fetch(request);
  } catch (error) {
    return (await cache.match(page, MATCHING)) || Response.error();
  }
  if (answer.status >= 500) {
    return (DOWN.includes(answer.status) && (await cache.match(page, MATCHING))) || answer;
  }
  await keepOrForget(cache, page, answer);
  return answer;
}

async function fetchAndKeep(cache, page) {
  const answer = await fetch(page);
  if (answer.status < 500) await keepOrForget(cache, page, answer);
}

// Only the page itself is kept. Anything else the service answers in its place
// (a redirect to sign in, a page the role may not see) means the browser no
// longer sees it: what was kept of it goes.
async function keepOrForget(cache, page, answer) {
  const type = answer.headers.get("Content-Type") || "";
  if (answer.status === 200 && !answer.redirected && type.startsWith("text/html")) {
    await cache.put(page, answer.clone());
  } else {
    await cache.delete(page, MATCHING);
  }
}

// The installed app opens at the start page, which leads a mentor to My
// reports: without a network, it is My reports as last seen.
async function startPage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    return (await cache.match(MY_REPORTS, MATCHING)) || Response.error();
  }
}

async function shellFile(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request, MATCHING)) || fetch(request);
}
