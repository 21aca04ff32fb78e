/**
 * GET /openapi.json: Airflow's REST API v2 document (a JSON copy of the
 * contract, packaged with the server) narrowed to the operations this server
 * implements, with Updraft's title and version; GET /docs: a page that reads
 * it and lists every operation with its parameters, body and answers (no
 * assets from elsewhere: installations are often offline).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../version.ts';

export const SPEC_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'openapi', 'airflow-rest-api-v2.json');

type Spec = { info: Record<string, unknown>; paths: Record<string, Record<string, unknown>> };

/** Route patterns to try for a spec path: its own parameter names, and `run_id` where the spec says dag_run_id. */
function candidates(specPath: string): string[] {
  const own = specPath.replace(/\{(\w+)\}/g, ':$1');
  return [...new Set([own, own.replace(':dag_run_id', ':run_id')])];
}

export function registerOpenApi(app: FastifyInstance) {
  let document: string | null = null;

  // built once every route is registered, so it lists exactly what answers
  app.addHook('onReady', async () => {
    const spec = JSON.parse(fs.readFileSync(SPEC_FILE, 'utf8')) as Spec;
    const paths: Spec['paths'] = {};
    for (const [p, ops] of Object.entries(spec.paths)) {
      const kept = Object.fromEntries(
        Object.entries(ops).filter(([method]) => candidates(p).some((url) => app.hasRoute({ method: method.toUpperCase() as 'GET', url }))),
      );
      if (Object.keys(kept).length) paths[p] = kept;
    }
    document = JSON.stringify({
      ...spec,
      info: { ...spec.info, title: 'Updraft REST API (Airflow REST API v2)', version: VERSION, description: `${String(spec.info.description ?? '')}\n\nServed by Updraft: only the operations it implements are listed.` },
      paths,
    });
  });

  app.get('/openapi.json', async (_req, reply) => reply.type('application/json').send(document));
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Updraft REST API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#0f3d63;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
input{width:100%;padding:8px;font-size:14px;margin:8px 0 16px;box-sizing:border-box}
h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #ccd}
details{background:#fff;border:1px solid #dde;border-radius:4px;margin:6px 0}
summary{cursor:pointer;padding:8px;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:62px;font-weight:bold}.GET{color:#1b6e2e}.POST{color:#0b5cad}.PATCH{color:#9a5b00}.PUT{color:#7a3db8}.DELETE{color:#b3261e}
.body{padding:0 12px 12px}pre{background:#f3f4f6;padding:8px;overflow:auto;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:3px 8px;text-align:left;font-size:13px}
</style></head><body>
<header><h1>Updraft REST API</h1><div id="sub"></div></header>
<main><p>Authenticate with <code>POST /auth/token</code> <code>{"username": …, "password": …}</code> and send <code>Authorization: Bearer &lt;access_token&gt;</code>. The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
<input id="q" placeholder="Filter by path, operation or tag" autofocus><div id="ops">Loading…</div></main>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]);
let spec;
const resolve = (s) => { while (s && s.$ref) s = s.$ref.split('/').slice(1).reduce((o, k) => o[k], spec); return s; };
function shape(s, depth) {
  s = resolve(s); if (!s) return 'any';
  if (depth > 3) return s.title || s.type || 'object';
  if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map((x) => shape(x, depth + 1)).join(' | ');
  if (s.type === 'array') return '[' + shape(s.items, depth + 1) + ']';
  if (s.properties) { const req = new Set(s.required || []); return '{\\n' + Object.entries(s.properties).map(([k, v]) => '  '.repeat(depth + 1) + k + (req.has(k) ? '' : '?') + ': ' + shape(v, depth + 1) + (resolve(v)?.nullable ? ' | null' : '')).join('\\n') + '\\n' + '  '.repeat(depth) + '}'; }
  return (s.enum ? s.enum.map((e) => JSON.stringify(e)).join(' | ') : s.type || 'any') + (s.format ? ' (' + s.format + ')' : '');
}
function render(filter) {
  const groups = {};
  for (const [p, ops] of Object.entries(spec.paths)) for (const [m, op] of Object.entries(ops)) {
    const text = (p + ' ' + m + ' ' + op.operationId + ' ' + (op.tags || []).join(' ') + ' ' + (op.summary || '')).toLowerCase();
    if (filter && !text.includes(filter)) continue;
    (groups[(op.tags || ['Other'])[0]] ||= []).push([p, m.toUpperCase(), op]);
  }
  document.getElementById('ops').innerHTML = Object.entries(groups).sort().map(([tag, ops]) => '<h2>' + esc(tag) + '</h2>' + ops.map(([p, m, op]) => {
    const params = (op.parameters || []).map((x) => '<tr><td>' + esc(x.name) + (x.required ? ' *' : '') + '</td><td>' + esc(x.in) + '</td><td>' + esc(shape(x.schema, 0)) + '</td></tr>').join('');
    const body = op.requestBody ? '<h4>Body</h4><pre>' + esc(shape(Object.values(op.requestBody.content)[0].schema, 0)) + '</pre>' : '';
    const answers = Object.entries(op.responses || {}).map(([code, r]) => '<tr><td>' + code + '</td><td>' + esc(r.description || '') + '</td><td><pre>' + esc(r.content && r.content['application/json'] ? shape(r.content['application/json'].schema, 0) : Object.keys(r.content || {}).join(', ')) + '</pre></td></tr>').join('');
    return '<details><summary><span class="m ' + m + '">' + m + '</span>' + esc(p) + ' — ' + esc(op.summary || op.operationId) + '</summary><div class="body"><p>' + esc(op.description || '') + '</p>' + (params ? '<h4>Parameters</h4><table>' + params + '</table>' : '') + body + '<h4>Responses</h4><table>' + answers + '</table></div></details>';
  }).join('')).join('') || 'No operation matches.';
}
fetch('/openapi.json').then((r) => r.json()).then((s) => { spec = s; document.getElementById('sub').textContent = s.info.title + ' ' + s.info.version; render(''); });
document.getElementById('q').addEventListener('input', (e) => render(e.target.value.toLowerCase()));
</script></body></html>`;
