// Landing: what tenantforge is, and tenant sign-up.
import { h, announce } from '../dom.js';
import { field, form } from '../forms.js';
import { loadConfig, DEFAULT_TIERS } from '../config.js';
import * as api from '../api.js';
import { signIn } from '../auth-flow.js';

const fmt = (n) => Number(n).toLocaleString('en-US');

function tierChoice(tiers, names, selected) {
  const error = h('p', { class: 'field-error', id: 'tier-error' });
  const radios = [];
  const options = names.map((name) => {
    const t = tiers[name];
    const inputId = `tier-${name}`;
    const radio = h('input', { type: 'radio', name: 'tier', id: inputId, value: name, checked: name === selected, 'aria-describedby': `${inputId}-limits tier-error` });
    radios.push(radio);
    return h('div', { class: 'tier' }, radio,
      h('label', { for: inputId }, h('strong', {}, name),
        h('span', { id: `${inputId}-limits`, class: 'hint' },
          ` — ${fmt(t.rateLimit)} requests/s, bursts of ${fmt(t.burstLimit)}, ${fmt(t.quotaPerDay)} a day; `,
          t.deployment === 'silo' ? 'dedicated infrastructure' : 'shared infrastructure')));
  });
  const wrap = h('fieldset', {}, h('legend', {}, 'Tier'), options, error);
  // Shaped like forms.field so the form places API errors here.
  const proxy = {
    name: 'tier', wrap, error, labelText: 'Tier',
    input: {
      get value() { const r = radios.find((x) => x.checked); return r ? r.value : ''; },
      get required() { return true; },
      setAttribute: (k, v) => radios.forEach((r) => r.setAttribute(k, v)),
      removeAttribute: (k) => radios.forEach((r) => r.removeAttribute(k)),
      focus: () => (radios.find((r) => r.checked) || radios[0]).focus(),
    },
  };
  return proxy;
}

export async function landing(main, { navigate }) {
  const cfg = await loadConfig();
  const tiers = cfg.tiers && Object.keys(cfg.tiers).length ? cfg.tiers : DEFAULT_TIERS;
  const names = Object.keys(tiers).sort((a, b) => tiers[a].quotaPerDay - tiers[b].quotaPerDay);
  const fields = [
    field({ name: 'tenantName', label: 'Tenant name', required: true, autocomplete: 'organization', hint: '3 to 63 lowercase letters, digits or hyphens; you sign in with it.', minlength: 3, maxlength: 63 }),
    field({ name: 'adminEmail', label: 'Admin email', type: 'email', required: true, autocomplete: 'email' }),
    field({ name: 'adminPassword', label: 'Password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters with upper and lower case letters, a digit and a symbol.', minlength: 12 }),
    tierChoice(tiers, names, names[0]),
  ];
  const f = form({
    label: 'Sign up a tenant', fields, submitText: 'Create tenant', busyText: 'Creating tenant…',
    onSubmit: async (v) => {
      const body = { tenantName: v.tenantName.trim(), adminEmail: v.adminEmail.trim(), adminPassword: v.adminPassword, tier: v.tier };
      try {
        await api.post('/registrations', body, { auth: false });
      } catch (err) {
        // Conflicts name no field; they belong next to the one to change.
        if (err.code === 'name_taken') err.fields = { tenantName: 'is taken by another tenant: choose another name.' };
        if (err.code === 'email_taken') err.fields = { adminEmail: 'is the admin of another tenant: use another email.' };
        throw err;
      }
      announce(`Tenant ${body.tenantName} created; signing you in.`);
      const res = await signIn(body.tenantName, body.adminEmail, body.adminPassword);
      if (res.done) navigate('/products');
      else navigate('/signin');
    },
  });
  main.append(
    h('h1', { tabindex: -1 }, 'Run your business on tenantforge'),
    h('p', { class: 'lead' }, 'Products and orders for your team, isolated from every other tenant. Sign up your organisation below, or ',
      h('a', { href: '/signin', 'data-link': true }, 'sign in'), ' if it already has an account.'),
    h('div', { class: 'grid' }, h('section', { 'aria-labelledby': 'signup-h' }, h('h2', { id: 'signup-h' }, 'Sign up a tenant'), f.el)),
  );
}
