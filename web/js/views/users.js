// Users of the tenant, for TenantAdmins (/users routes of DESIGN.md §3).
import { h, render, announce } from '../dom.js';
import { field, form, actionButton } from '../forms.js';
import * as api from '../api.js';
import { table, loader } from './table.js';

const ROLES = [['TenantUser', 'TenantUser: orders, reads products'], ['TenantAdmin', 'TenantAdmin: also products, users']];

function userName(u) { return u.username || u.email; }
function isEnabled(u) { return u.enabled !== false && String(u.status || '').toLowerCase() !== 'disabled'; }
// Cognito's user statuses in words.
const STATUS = { FORCE_CHANGE_PASSWORD: 'invited: must set a password', CONFIRMED: 'active', RESET_REQUIRED: 'must reset password', UNCONFIRMED: 'unconfirmed' };
function statusText(u) { return isEnabled(u) ? (STATUS[u.status] || u.status || 'active') : 'disabled'; }

export async function users(main, { user: me }) {
  const list = loader('users');
  const editor = h('div');
  main.append(h('h1', { tabindex: -1 }, 'Users'), editor, h('h2', {}, 'Users of your tenant'), list.el);
  const path = (u, suffix = '') => `/users/${encodeURIComponent(userName(u))}${suffix}`;

  const refresh = () => list.load(async () => {
    const items = await api.listAll('/users');
    return table('Users', [
      { label: 'Email', cell: (u) => u.email || u.username },
      { label: 'Role', cell: (u) => u.role || '' },
      { label: 'Status', cell: (u) => h('span', { class: `badge ${isEnabled(u) ? 'enabled' : 'disabled'}` }, statusText(u)) },
      { label: 'Actions', cell: (u) => (u.email === me.email ? h('span', { class: 'hint' }, 'you') : h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Change role of ${u.email}`, onclick: () => showRole(u) }, 'Change role'),
        actionButton(isEnabled(u) ? 'Disable' : 'Enable', 'Saving…', async () => {
          await api.post(path(u, isEnabled(u) ? '/disable' : '/enable'));
          announce(`${u.email} ${isEnabled(u) ? 'disabled' : 'enabled'}.`);
          await refresh();
        }, { label: `${isEnabled(u) ? 'Disable' : 'Enable'} ${u.email}` }),
        actionButton('Delete', 'Deleting…', async () => {
          if (!window.confirm(`Delete the user ${u.email}?`)) return;
          await api.del(path(u));
          announce(`${u.email} deleted.`);
          await refresh();
        }, { cls: 'danger', label: `Delete ${u.email}` }))) },
    ], items, 'No users yet.');
  });

  function showCreate() {
    const fields = [
      field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'off' }),
      field({ name: 'role', label: 'Role', required: true, options: ROLES, value: 'TenantUser' }),
      field({ name: 'temporaryPassword', label: 'Temporary password (optional)', type: 'password', autocomplete: 'new-password', hint: 'Leave empty to have one emailed; the user chooses a new password at first sign-in.' }),
    ];
    const f = form({
      label: 'Invite a user', fields, submitText: 'Invite user', busyText: 'Inviting…',
      onSubmit: async (v, { el }) => {
        const body = { email: v.email.trim(), role: v.role, ...(v.temporaryPassword ? { temporaryPassword: v.temporaryPassword } : {}) };
        await api.post('/users', body);
        announce(`${body.email} invited.`);
        el.reset();
        await refresh();
      },
    });
    render(editor, h('h2', {}, 'Invite a user'), f.el);
  }

  function showRole(u) {
    const fields = [field({ name: 'role', label: `Role of ${u.email}`, required: true, options: ROLES, value: u.role })];
    const f = form({
      label: `Change the role of ${u.email}`, fields, submitText: 'Save role', busyText: 'Saving…',
      onSubmit: async (v) => {
        await api.patch(path(u), { role: v.role });
        announce(`${u.email} is now ${v.role}.`);
        showCreate();
        await refresh();
      },
    });
    f.el.querySelector('.actions').append(h('button', { type: 'button', class: 'secondary', onclick: showCreate }, 'Cancel'));
    render(editor, h('h2', {}, `Change the role of ${u.email}`), f.el);
    fields[0].input.focus();
  }

  showCreate();
  await refresh();
}
