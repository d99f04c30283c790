// The host-context panels (docs/host-context.md "In the global view"): programs, DNS names and RTT, each a table of
// the API's answer with its bound. An empty answer says so: PCs without host context leave these sections out.
import { getJson } from './api.js';
import { bytes, count, element } from './format.js';

const $ = (id) => document.getElementById(id);
const bound = (m, show) => (m.error > 0 ? `${show(m.value)} ± ${show(m.error)}` : show(m.value));
const ms = (micros) => `${(micros / 1000).toFixed(micros < 10_000 ? 2 : 1)} ms`;

function who(e) {
  if (!e.origin) return '';
  const details = [e.pid != null ? `pid ${e.pid}` : null, e.user ? `user ${e.user}` : null].filter(Boolean);
  return details.length ? `${e.origin} (${details.join(', ')})` : e.origin;
}

function fill(table, rows, empty, columns) {
  table.tBodies[0].replaceChildren(...(rows.length ? rows : [element('tr', {}, element('td', { class: 'muted', colspan: String(columns) }, empty))]));
}

export async function programs(window) {
  const by = $('programs-by').value;
  const data = await getJson('/api/v1/programs', { by, window, limit: 10 });
  const show = by === 'bytes' ? bytes : count;
  $('programs-value').textContent = by === 'bytes' ? 'bytes' : 'destinations';
  fill($('programs'), data.entries.map((e) => element('tr', {},
    element('td', { title: e.hashed ? 'shared hashed (privacy setting)' : '' }, e.program),
    element('td', { class: `num${e.value.exact ? '' : ' inexact'}` }, bound(e.value, show)),
    element('td', { class: 'muted' }, who(e)))), 'no program known in this window', 3);
}

export async function domains(window) {
  const data = await getJson('/api/v1/domains', { window, limit: 10 });
  fill($('domains'), data.entries.map((e) => element('tr', {},
    element('td', { title: e.hashed ? 'shared hashed (privacy setting)' : '' }, e.name),
    element('td', { class: `num${e.queries.exact ? '' : ' inexact'}` }, bound(e.queries, count)))), 'no DNS names in this window', 2);
  const median = data.latencyMicros.find((q) => q.q === 0.5);
  $('dns-summary').textContent = data.queries > 0
    ? `${count(data.queries)} queries, error rate ${(100 * data.errorRate).toFixed(1)} % (${count(data.timedOut)} timed out)` +
      (median ? `, median answer ${ms(median.micros.value)}` : '')
    : '';
}

export async function rtt(window) {
  const data = await getJson('/api/v1/rtt', { window, limit: 8 });
  const q = (s, x) => { const e = s.quantiles.find((v) => v.q === x); return e ? bound(e.micros, ms) : '–'; };
  const rows = [...data.subnets, ...(data.other ? [{ ...data.other, subnet: 'other subnets' }] : [])];
  fill($('rtt'), rows.map((s) => element('tr', {},
    element('td', {}, s.subnet),
    element('td', { class: 'num' }, count(s.samples)),
    element('td', { class: 'num' }, q(s, 0.5)),
    element('td', { class: 'num' }, q(s, 0.9)),
    element('td', { class: 'num' }, q(s, 0.99)))), 'no RTT measured in this window', 5);
}
