// Tenants, for SystemAdmins: list (paginated) and suspend or activate.
import { h, announce } from '../dom.js';
import { actionButton } from '../forms.js';
import * as api from '../api.js';
import { table, loader } from './table.js';

export async function tenants(main) {
  const list = loader('tenants');
  const more = h('div', { class: 'actions' });
  main.append(h('h1', { tabindex: -1 }, 'Tenants'),
    h('p', { class: 'lead' }, 'A suspended tenant’s users are refused on every route within a minute.'), list.el, more);
  let rows = [];
  let next = '';

  const render = () => table('Tenants', [
    { label: 'Name', cell: (t) => t.tenantName },
    { label: 'Tier', cell: (t) => t.tier },
    { label: 'Status', cell: (t) => h('span', { class: `badge ${t.status}` }, t.status) },
    { label: 'Created', cell: (t) => (t.createdAt ? new Date(t.createdAt).toLocaleDateString() : '') },
    { label: 'Actions', cell: (t) => {
      const suspend = t.status !== 'suspended';
      return h('div', { class: 'actions' }, actionButton(suspend ? 'Suspend' : 'Activate', suspend ? 'Suspending…' : 'Activating…', async () => {
        if (suspend && !window.confirm(`Suspend ${t.tenantName}? Its users lose access.`)) return;
        const updated = await api.post(`/tenants/${encodeURIComponent(t.tenantId)}/${suspend ? 'suspend' : 'activate'}`);
        Object.assign(t, updated && updated.tenantId ? updated : { status: suspend ? 'suspended' : 'active' });
        announce(`${t.tenantName} ${suspend ? 'suspended' : 'activated'}.`);
        list.el.replaceChildren(render());
      }, { cls: suspend ? 'danger' : 'secondary', label: `${suspend ? 'Suspend' : 'Activate'} ${t.tenantName}` }));
    } },
  ], rows, 'No tenants yet.');

  async function loadPage() {
    const page = await api.get(`/tenants?limit=50${next ? `&next=${encodeURIComponent(next)}` : ''}`);
    rows = rows.concat(page?.items || []);
    next = page?.next || '';
    more.replaceChildren(next ? h('button', { type: 'button', class: 'secondary', onclick: () => list.load(loadPage) }, 'Load more tenants') : '');
    return render();
  }
  await list.load(loadPage);
}
