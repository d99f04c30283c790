// The dashboard: every panel reads the agent's JSON API and redraws every few seconds.
import { getJson } from './api.js';
import { lineChart, barChart, replaceData } from './charts.js';
import { age, bytes, clock, count, element, offset } from './format.js';
import { domains, programs, rtt } from './hostcontext.js';

const refreshMs = 5000;
const $ = (id) => document.getElementById(id);
let trafficChart, talkersChart;

function selectedWindow() { return $('window').value; }

function showCoverage(coverage) {
  const c = $('coverage');
  if (!coverage) { c.textContent = ''; return; }
  c.textContent = coverage.summary ?? '';
  c.classList.toggle('partial', coverage.complete === false);
  c.title = coverage.missing?.length ? `missing: ${coverage.missing.join(', ')}` : '';
  // Both ends of a flow vouch for it (docs/cross-check.md): PCs whose records of shared traffic disagree with their peers'.
  const flagged = coverage.crossCheck?.flagged ?? [];
  $('cross-check').textContent = flagged.length ? `cross-check: ${flagged.map((f) => `${f.origin} ${f.verdict}`).join(', ')}` : '';
  $('cross-check').title = flagged.map((f) => `${f.origin} reported ${count(f.reportedPackets)} packets of its traffic with ${f.disputingPeers.join(', ')}; they saw ${count(f.peersSawPackets)} (${f.epochs} epochs)`).join('\n');
}

// This agent's own capture: silent while it runs cleanly; says so when it failed (the agent still serves the
// view from its peers' records, but its own PC is no longer watched) or caught errors.
async function capture() {
  const data = await getJson('/api/v1/status');
  const c = $('capture');
  const errors = Object.values(data.capture.errors ?? {}).reduce((a, b) => a + b, 0);
  c.classList.toggle('failed', data.capture.state === 'failed');
  if (data.capture.state === 'failed') c.textContent = `capture failed on this PC: ${data.capture.error ?? 'unknown reason'}`;
  else if (data.capture.state === 'off') c.textContent = 'capture off on this PC';
  else c.textContent = errors > 0 ? `${count(errors)} capture errors (flows dropped)` : '';
  c.title = errors > 0 ? Object.entries(data.capture.errors).filter(([, n]) => n > 0).map(([s, n]) => `${s}: ${n}`).join(', ') : '';
  // The clock skew alert: members whose clock is far off the cluster's time (they stay members; records are kept).
  const skewed = data.clock?.skewed ?? [];
  $('clock-skew').textContent = skewed.length ? `clock skew: ${skewed.map((s) => `${s.name} ${offset(s.offsetSeconds)}`).join(', ')}` : '';
  $('clock-skew').title = skewed.map((s) => s.message).join('\n');
}

// At most this many member rows: a network of thousands is browsed by zone (the zones panel), not scrolled.
const memberRows = 40;
const stateOrder = { dead: 0, suspect: 1, left: 2, alive: 3 };

async function members() {
  const data = await getJson('/api/v1/members');
  $('self').textContent = `on ${data.self}`;
  const body = $('members').tBodies[0];
  // Trouble first (dead, suspect), then by name.
  const sorted = data.members.sort((a, b) => (stateOrder[a.state] ?? 9) - (stateOrder[b.state] ?? 9) || a.name.localeCompare(b.name));
  const hidden = sorted.length - memberRows;
  $('members-more').textContent = hidden > 0 ? `${count(hidden)} more members not listed; browse them by zone` : '';
  body.replaceChildren(...sorted.slice(0, memberRows)
    .map((m) => element('tr', {},
      element('td', {}, element('a', { onclick: () => node(m.name) }, m.name)),
      element('td', { class: `state-${m.state}` }, m.state),
      element('td', { class: m.clockSkewed ? 'num state-suspect' : 'num' }, offset(m.clockOffsetSeconds)),
      element('td', { class: 'num' }, age(m.sinceSeconds)),
      element('td', { class: 'muted' }, m.address))));
}

// The zone tree, one level at a time (docs/zones.md): click a zone to go down, "up" to go back.
let zoneParent = '';

async function zones() {
  const data = await getJson('/api/v1/zones', { parent: zoneParent || undefined, window: selectedWindow() });
  $('zones-path').textContent = data.parent ? `in ${data.parent}` : 'top level';
  $('zones-up').hidden = !data.parent;
  const row = (z, label, clickable) => element('tr', {},
    element('td', {}, clickable ? element('a', { onclick: () => { zoneParent = z.zone; zones(); } }, label) : label),
    element('td', { class: z.alive < z.origins ? 'num state-suspect' : 'num' }, `${count(z.alive)} / ${count(z.origins)}`),
    element('td', { class: 'num' }, count(z.reporting)),
    element('td', { class: 'num' }, z.newestAgeSeconds == null ? '–' : age(z.newestAgeSeconds)),
    element('td', { class: 'muted' }, z.members.length ? z.members.join(', ') : `${count(z.origins)} members`));
  const rows = data.zones.map((z) => row(z, z.zone, true));
  if (data.here?.origins) rows.push(row(data.here, `${data.parent} (itself)`, false));
  if (data.unplaced?.origins) rows.push(row(data.unplaced, 'no zone yet', false));
  $('zones').tBodies[0].replaceChildren(...rows);
}

async function traffic() {
  const data = await getJson('/api/v1/traffic', { window: selectedWindow() });
  showCoverage(data.coverage);
  // What the monitor itself costs the network: its own traffic is counted like any other and shown apart here.
  const total = data.totals.bytes.value, own = data.totals.monitor?.bytes.value ?? 0;
  $('traffic-totals').textContent = `total ${bytes(total)}, of which Flowmesh itself ${bytes(own)}` +
    (total > 0 ? ` (${(100 * own / total).toFixed(1)} %)` : '');
  replaceData(trafficChart,
    data.series.map((p) => clock(p.start)),
    data.series.map((p) => p.bytes / Math.max(p.seconds ?? 1, 1e-9)));
}

async function talkers() {
  const monitor = $('talkers-exclude-monitor').checked ? 'exclude' : 'include';
  const data = await getJson('/api/v1/top', { by: 'talkers', window: selectedWindow(), limit: 10, monitor });
  replaceData(talkersChart, data.entries.map((e) => e.key), data.entries.map((e) => e.bytes));
  $('talkers').tBodies[0].replaceChildren(...data.entries.map((e) => element('tr', {},
    element('td', {}, element('a', { onclick: () => showFlows(e.key), title: 'show the exact flows of this host' }, e.key)),
    element('td', { class: `num${e.exact ? '' : ' inexact'}` }, bytes(e.bytes)),
    element('td', { class: 'num muted' }, e.bytesError ? bytes(e.bytesError) : '0'),
    element('td', { class: 'num' }, count(e.packets)))));
}

async function alerts() {
  const data = await getJson('/api/v1/alerts', { window: selectedWindow() });
  const list = $('alerts');
  if (data.alerts.length === 0) { list.replaceChildren(element('li', { class: 'muted' }, 'no alerts in this window')); return; }
  list.replaceChildren(...data.alerts.map((a) => element('li', {},
    element('strong', {}, a.kind), ' ', a.subject, ' ', element('span', { class: 'muted' }, a.summary ?? ''),
    a.program ? element('div', {}, `program: ${a.program}`) : '',
    element('div', { class: 'muted' }, `seen by ${(a.origins ?? []).join(', ')}`))));
}

async function matrix() {
  const data = await getJson('/api/v1/matrix', { by: $('matrix-by').value, window: selectedWindow() });
  const rows = [...new Set(data.cells.map((c) => c.from))].sort();
  const cols = [...new Set(data.cells.map((c) => c.to))].sort();
  const value = new Map(data.cells.map((c) => [`${c.from}\u0000${c.to}`, c.bytes]));
  const max = Math.max(1, ...data.cells.map((c) => c.bytes));
  const table = element('table', { class: 'matrix' },
    element('thead', {}, element('tr', {}, element('th', {}, 'from \\ to'), ...cols.map((c) => element('th', {}, c)))),
    element('tbody', {}, ...rows.map((r) => element('tr', {}, element('th', {}, r), ...cols.map((c) => {
      const v = value.get(`${r}\u0000${c}`);
      const cell = element('td', {}, v === undefined ? '' : bytes(v));
      if (v !== undefined) cell.style.background = `rgba(74,163,255,${(0.1 + 0.7 * v / max).toFixed(2)})`;
      return cell;
    })))));
  $('matrix').replaceChildren(rows.length ? table : element('p', { class: 'muted' }, 'no traffic in this window'));
}

async function node(name) {
  const data = await getJson(`/api/v1/nodes/${encodeURIComponent(name)}`, { window: selectedWindow() });
  $('panel-node').hidden = false;
  $('node-name').textContent = name;
  $('node-detail').textContent = JSON.stringify(data, null, 2);
}

// Drill-down: the exact flow records of one address, fetched by this agent from the agents that observed them.
let drilled = null;

async function drill(address) {
  drilled = address;
  $('panel-flows').hidden = false;
  $('flows-address').textContent = address;
  $('flows-summary').textContent = 'asking the agents that observed it…';
  const data = await getJson('/api/v1/flows', { address, window: selectedWindow(), limit: 100 });
  if (drilled !== address) return;
  const endpoint = (a, p, proto) => (proto === 'tcp' || proto === 'udp' ? `${a}:${p}` : a);
  $('flows').tBodies[0].replaceChildren(...data.flows.map((f) => element('tr', {},
    element('td', {}, f.origin),
    element('td', {}, f.protocol),
    element('td', {}, endpoint(f.source, f.sourcePort, f.protocol)),
    element('td', {}, endpoint(f.destination, f.destinationPort, f.protocol)),
    element('td', { class: 'num' }, bytes(f.bytesOut)),
    element('td', { class: 'num' }, count(f.packetsOut)),
    element('td', { class: 'num' }, bytes(f.bytesIn)),
    element('td', { class: 'num' }, count(f.packetsIn)),
    element('td', { class: 'muted' }, clock(f.first)),
    element('td', { class: 'muted' }, clock(f.last)))));
  let summary = `${data.flows.length} flows${data.truncated ? ' (more not shown)' : ''}; answered ${data.answered.length} of ${data.asked.length} agents`;
  if (data.failed.length) summary += `; no answer from ${data.failed.join(', ')}: their flows are missing`;
  if (data.notAsked?.length) summary += `; not reachable (dead or left): ${data.notAsked.join(', ')}`;
  $('flows-summary').textContent = summary;
}

function showFlows(address) {
  drill(address).catch((e) => { $('flows-summary').textContent = `drill-down failed: ${e.message}`; });
}

async function refresh() {
  const w = selectedWindow();
  const results = await Promise.allSettled([capture(), members(), zones(), traffic(), talkers(), alerts(), matrix(), programs(w), domains(w), rtt(w)]);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  $('status').textContent = failed.length ? `update failed: ${failed[0]}` : `updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })}`;
  document.body.dataset.loaded = 'true';
}

window.addEventListener('DOMContentLoaded', () => {
  trafficChart = lineChart($('traffic-chart'));
  talkersChart = barChart($('talkers-chart'), showFlows);
  $('window').addEventListener('change', refresh);
  $('matrix-by').addEventListener('change', refresh);
  $('programs-by').addEventListener('change', refresh);
  $('talkers-exclude-monitor').addEventListener('change', refresh);
  $('zones-up').addEventListener('click', () => { zoneParent = zoneParent.split('/').slice(0, -1).join('/'); zones(); });
  refresh();
  setInterval(refresh, refreshMs);
});
