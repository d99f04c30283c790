// Human units, as the CLI prints them (Output/HumanUnits.cs).
const byteUnits = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function bytes(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  let v = Math.abs(value), unit = 0;
  while (v >= 1000 && unit < byteUnits.length - 1) { v /= 1000; unit++; }
  return `${value < 0 ? '-' : ''}${v >= 100 || unit === 0 ? v.toFixed(0) : v.toFixed(1)} ${byteUnits[unit]}`;
}

export function count(value) {
  if (value === null || value === undefined) return '–';
  return Math.round(value).toLocaleString('en-US');
}

export function age(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

// A clock offset in seconds, signed (as the CLI's members table: Cli/ClockText.cs).
export function offset(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const sign = seconds < 0 ? '-' : '+', magnitude = Math.abs(seconds);
  return magnitude < 1 ? `${sign}${Math.round(magnitude * 1000)} ms` : `${sign}${age(magnitude)}`;
}

export function clock(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString('en-GB', { hour12: false });
}

export function element(tag, attributes = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
