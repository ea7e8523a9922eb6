// Starts the panels' bundle (frontend/src/panels/) in the chat's page, which added this
// script the first time a person opened one of its panels. Its files carry no content hash
// (the server sends them `no-cache`), so they can be named here, beside this file.
import init, * as panels from './chinwag-frontend.js';

try {
  await init({ module_or_path: new URL('chinwag-frontend_bg.wasm', import.meta.url) });
  dispatchEvent(new CustomEvent('chinwag-panels', { detail: panels }));
} catch (error) {
  dispatchEvent(new CustomEvent('chinwag-panels-failed', { detail: String(error) }));
}
