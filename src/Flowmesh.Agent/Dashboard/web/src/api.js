// The agent's JSON API (docs/api.md), relative to the page so any agent serves its own view.

// The API token (drill-down needs it; beyond loopback every request does). `flowmesh dashboard` prints the page's
// address with it in the fragment (#token=...), which never reaches a server or a log: it is kept for this tab and
// removed from the address bar.
const tokenKey = 'flowmesh-token';
const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromFragment) {
  sessionStorage.setItem(tokenKey, fromFragment);
  history.replaceState(null, '', location.pathname + location.search);
}

export function hasToken() { return sessionStorage.getItem(tokenKey) !== null; }

export async function getJson(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  const url = query.size ? `${path}?${query}` : path;
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(tokenKey);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(url, { headers });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error ?? message; } catch { /* not JSON */ }
    if (response.status === 401) message += ' (open the dashboard with the address `flowmesh dashboard` prints)';
    throw new Error(`${url}: ${message}`);
  }
  return response.json();
}
