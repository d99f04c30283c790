// Chart.js, registered with only the parts the page uses so the bundle stays small.
import { Chart, LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Filler, Tooltip, Legend } from 'chart.js';
import { bytes } from './format.js';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Filler, Tooltip, Legend);
Chart.defaults.color = '#8a96a3';
Chart.defaults.borderColor = '#26303a';
Chart.defaults.animation = false;

const byteAxis = { beginAtZero: true, ticks: { callback: (v) => bytes(v) } };
const rateAxis = { beginAtZero: true, ticks: { callback: (v) => `${bytes(v)}/s` } };

export function lineChart(canvas) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [{ label: 'bytes per second', data: [], fill: true, borderColor: '#4aa3ff', backgroundColor: 'rgba(74,163,255,.15)', pointRadius: 0, tension: 0.2 }] },
    options: { maintainAspectRatio: false, scales: { y: rateAxis }, plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${bytes(c.parsed.y)}/s` } } } },
  });
}

// onBar(label) runs when a bar is clicked (the talkers chart drills down into that host's flows).
export function barChart(canvas, onBar) {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'bytes', data: [], backgroundColor: '#4aa3ff' }] },
    options: {
      indexAxis: 'y', maintainAspectRatio: false, scales: { x: byteAxis },
      onClick: (event, elements, chart) => { if (onBar && elements.length) onBar(chart.data.labels[elements[0].index]); },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => bytes(c.parsed.x) } } } },
  });
}

export function replaceData(chart, labels, values) {
  chart.data.labels = labels;
  chart.data.datasets[0].data = values;
  chart.update();
}
