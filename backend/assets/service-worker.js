// Chinwag's service worker: the chat's page is kept for the next visit, so a person who comes
// back waits only for their room's messages, not first for a round trip to ask whether the
// page changed.
//
// The page (`/`, trunk's index.html) and the content-hashed files it names (the wasm, its
// glue, the styles) are kept in one cache. A visit is answered from it at once, and asks the
// server for the page again in the background (with the page's ETag, so an unchanged page
// costs a 304 and no body). A changed page, a new release, is kept only once every file it
// names is in the cache too, so a visit always gets one release whole: the new one from the
// visit after the one that found it. The files of older releases then leave the cache.
//
// Everything else (the API, the socket, the console at /admin/, the seed page) goes to the
// network untouched, as if there were no worker. The server serves this file itself
// (`/sw.js`, see `backend/src/routes/client_files.rs`), so `trunk serve`'s live reload, which
// has no `/sw.js`, never runs it.

const CACHE = 'chinwag-page';
const PAGE = '/';

// A top-level name with trunk's content hash: `style-0c4d2e1f3a5b6978.css`,
// `chinwag-frontend-8f2c61d0a4b3e597_bg.wasm` (the server's `is_content_hashed`).
const HASHED = /^\/[A-Za-z0-9_.-]+-[0-9a-f]{12,16}(_bg)?\.[a-z0-9]+$/;

self.addEventListener('install', (event) => {
  // Fill the cache now, from the HTTP cache the visit that registered us has just filled.
  event.waitUntil(refresh().catch(() => {}).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname === PAGE) {
    event.respondWith(page(event));
  } else if (HASHED.test(url.pathname)) {
    // Never changes under its name: the cache's copy, else the network's.
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then((hit) => hit || fetch(request)),
    );
  }
});

// The kept page at once, and a refresh after it; without a kept page, the network's.
async function page(event) {
  const update = refresh().catch(() => {});
  event.waitUntil(update);
  const kept = await caches.match(PAGE, { ignoreVary: true, ignoreSearch: true });
  if (kept) return kept;
  return fetch(event.request);
}

// Asks the server for the page; keeps it once every file it names is kept, then drops what
// no kept page names any more. Concurrent refreshes (two tabs) do the same work and agree.
async function refresh() {
  const response = await fetch(PAGE, { cache: 'no-cache', credentials: 'same-origin' });
  if (!response.ok || !(response.headers.get('content-type') || '').startsWith('text/html')) {
    return;
  }
  const html = await response.clone().text();
  const files = namedFiles(html);
  const cache = await caches.open(CACHE);
  for (const file of files) {
    if (!(await cache.match(file, { ignoreVary: true }))) {
      // `immutable` in the HTTP cache: usually answered from it, without the network.
      await cache.add(file);
    }
  }
  await cache.put(PAGE, response);
  const wanted = new Set([PAGE, ...files]);
  for (const request of await cache.keys()) {
    if (!wanted.has(new URL(request.url).pathname)) await cache.delete(request);
  }
}

// The content-hashed paths the page names: in its links' attributes, and in the quoted
// strings of trunk's boot script, which imports the glue and starts the wasm.
function namedFiles(html) {
  const files = new Set();
  for (const match of html.matchAll(/["'](\/[^"'\s]*)["']/g)) {
    if (HASHED.test(match[1])) files.add(match[1]);
  }
  return [...files];
}
