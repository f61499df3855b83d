// A data table that reads as cards on a phone (each cell names its column).
import { h } from '../dom.js';

/** columns: [{label, cell: (row) => node|string, num?}] */
export function table(caption, columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label, class: c.num ? 'num' : null }, c.cell(r))))))));
}

/** A region whose content is loaded, with a loading state and an error. */
export function loader(label) {
  const el = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, `Loading ${label}…`));
  return {
    el,
    async load(fn) {
      el.setAttribute('aria-busy', 'true');
      try {
        const node = await fn();
        el.replaceChildren(node);
      } catch (err) {
        el.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load ${label}: ${err.message}`));
      } finally {
        el.removeAttribute('aria-busy');
      }
    },
  };
}
