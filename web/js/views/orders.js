// Orders of the signed-in tenant: place, change the quantity, delete.
import { h, render, money, announce } from '../dom.js';
import { field, form, actionButton, invalid } from '../forms.js';
import * as api from '../api.js';
import { table, loader } from './table.js';

export async function orders(main) {
  const list = loader('orders');
  const editor = h('div');
  main.append(h('h1', { tabindex: -1 }, 'Orders'), editor, h('h2', {}, 'Your orders'), list.el);
  let productsById = new Map();

  const refresh = () => list.load(async () => {
    const [items, prods] = await Promise.all([api.listAll('/orders'), api.listAll('/products')]);
    productsById = new Map(prods.map((p) => [p.productId, p]));
    return table('Orders', [
      { label: 'Product', cell: (o) => productsById.get(o.productId)?.name || `(deleted product ${o.productId})` },
      { label: 'Quantity', cell: (o) => String(o.quantity), num: true },
      { label: 'Total', cell: (o) => money(o.total), num: true },
      { label: 'Placed', cell: (o) => (o.createdAt ? new Date(o.createdAt).toLocaleString() : '') },
      { label: 'Actions', cell: (o) => h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit order of ${productsById.get(o.productId)?.name || o.orderId}`, onclick: () => showForm(o) }, 'Edit'),
        actionButton('Delete', 'Deleting…', async () => {
          if (!window.confirm('Delete this order?')) return;
          await api.del(`/orders/${encodeURIComponent(o.orderId)}`);
          announce('Order deleted.');
          await refresh();
        }, { cls: 'danger', label: `Delete order of ${productsById.get(o.productId)?.name || o.orderId}` })) },
    ], items, 'No orders yet.');
  });

  function showForm(existing) {
    const options = [['', 'Choose a product'], ...[...productsById.values()].map((p) => [p.productId, `${p.name} (${money(p.price)})`])];
    const fields = [
      field({ name: 'productId', label: 'Product', required: true, options, value: existing?.productId }),
      field({ name: 'quantity', label: 'Quantity', type: 'number', required: true, min: 1, inputmode: 'numeric', value: existing?.quantity ?? 1 }),
    ];
    if (!existing && productsById.size === 0) {
      render(editor, h('p', { class: 'empty' }, 'Add a product first: orders are for products.'));
      return;
    }
    const f = form({
      label: existing ? 'Edit order' : 'Place an order', fields,
      submitText: existing ? 'Save order' : 'Place order', busyText: 'Saving…',
      onSubmit: async (v) => {
        const quantity = Number(v.quantity);
        if (!Number.isInteger(quantity) || quantity < 1) throw invalid({ quantity: 'must be a whole number of at least 1.' });
        if (!v.productId) throw invalid({ productId: 'is required: choose one.' });
        if (existing) {
          await api.put(`/orders/${encodeURIComponent(existing.orderId)}`, { productId: v.productId, quantity, version: existing.version });
          announce('Order saved.');
        } else {
          await api.post('/orders', { productId: v.productId, quantity });
          announce('Order placed.');
        }
        await refresh();
        showForm(null);
      },
    });
    if (existing) f.el.querySelector('.actions').append(h('button', { type: 'button', class: 'secondary', onclick: () => showForm(null) }, 'Cancel'));
    render(editor, h('h2', {}, existing ? 'Edit order' : 'Place an order'), f.el);
    if (existing) fields[1].input.focus();
  }

  await refresh();
  showForm(null);
}
