// Products of the signed-in tenant: TenantAdmins add, edit and delete;
// TenantUsers read.
import { h, render, money, toCents, announce } from '../dom.js';
import { field, form, actionButton, invalid } from '../forms.js';
import * as api from '../api.js';
import { table, loader } from './table.js';

export async function products(main, { user }) {
  const canWrite = user.role === 'TenantAdmin';
  const list = loader('products');
  const editor = h('div');
  main.append(h('h1', { tabindex: -1 }, 'Products'), editor, h('h2', {}, 'Your products'), list.el);

  const refresh = () => list.load(async () => {
    const items = await api.listAll('/products');
    return table('Products', [
      { label: 'Name', cell: (p) => p.name },
      { label: 'Price', cell: (p) => money(p.price), num: true },
      { label: 'SKU', cell: (p) => p.sku || '—' },
      canWrite ? { label: 'Actions', cell: (p) => h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${p.name}`, onclick: () => showForm(p) }, 'Edit'),
        actionButton('Delete', 'Deleting…', async () => {
          if (!window.confirm(`Delete the product ${p.name}?`)) return;
          await api.del(`/products/${encodeURIComponent(p.productId)}`);
          announce(`Product ${p.name} deleted.`);
          await refresh();
        }, { cls: 'danger', label: `Delete ${p.name}` })) } : null,
    ].filter(Boolean), items, canWrite ? 'No products yet: add the first one above.' : 'No products yet.');
  });

  function showForm(existing) {
    if (!canWrite) return;
    const fields = [
      field({ name: 'name', label: 'Name', required: true, value: existing?.name, maxlength: 200 }),
      field({ name: 'price', label: 'Price', required: true, inputmode: 'decimal', hint: 'In dollars and cents, e.g. 19.99', value: existing ? (existing.price / 100).toFixed(2) : '' }),
      field({ name: 'sku', label: 'SKU (optional)', value: existing?.sku }),
    ];
    const cancel = existing ? h('button', { type: 'button', class: 'secondary', onclick: () => { showForm(null); editor.querySelector('input').focus(); } }, 'Cancel') : null;
    const f = form({
      label: existing ? `Edit ${existing.name}` : 'Add a product', fields,
      submitText: existing ? 'Save product' : 'Add product', busyText: 'Saving…',
      onSubmit: async (v, { el }) => {
        const price = toCents(v.price);
        if (price === null) throw invalid({ price: 'must be an amount such as 19.99.' });
        const body = { name: v.name.trim(), price, ...(v.sku.trim() ? { sku: v.sku.trim() } : {}) };
        if (existing) {
          await api.put(`/products/${encodeURIComponent(existing.productId)}`, { ...body, version: existing.version });
          announce(`Product ${body.name} saved.`);
          showForm(null);
        } else {
          await api.post('/products', body);
          announce(`Product ${body.name} added.`);
          el.reset();
        }
        await refresh();
      },
    });
    if (cancel) f.el.querySelector('.actions').append(cancel);
    render(editor, h('h2', {}, existing ? `Edit ${existing.name}` : 'Add a product'), f.el);
    if (existing) fields[0].input.focus();
  }

  showForm(null);
  await refresh();
}
