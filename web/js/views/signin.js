// Sign-in: tenant name -> tenant config -> Cognito, then a new password
// when the user was created with a temporary one.
import { h, render, announce } from '../dom.js';
import { field, form, invalid } from '../forms.js';
import { signIn, completeNewPassword } from '../auth-flow.js';

export async function signin(main, { navigate, params }) {
  const operator = params.get('operator') === '1';
  const fields = [
    operator ? null : field({ name: 'tenantName', label: 'Tenant name', required: true, autocomplete: 'organization', value: sessionStorage.getItem('tenantforge.lastTenant') || '' }),
    field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'username' }),
    field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' }),
  ].filter(Boolean);
  const box = h('div');
  const f = form({
    label: 'Sign in', fields, submitText: 'Sign in', busyText: 'Signing in…',
    onSubmit: async (v) => {
      const tenant = operator ? '' : v.tenantName.trim().toLowerCase();
      if (tenant) sessionStorage.setItem('tenantforge.lastTenant', tenant);
      const res = await signIn(tenant, v.email.trim(), v.password);
      if (res.done) { announce('Signed in.'); navigate('/'); return; }
      showNewPassword(box, res, navigate);
    },
  });
  render(box, f.el);
  main.append(
    h('h1', { tabindex: -1 }, operator ? 'Platform operator sign-in' : 'Sign in'),
    box,
    h('p', {}, operator
      ? h('a', { href: '/signin', 'data-link': true }, 'Sign in to a tenant instead')
      : ['New here? ', h('a', { href: '/', 'data-link': true }, 'Sign up a tenant'), '. Operating the platform? ', h('a', { href: '/signin?operator=1', 'data-link': true }, 'Operator sign-in'), '.']),
  );
}

function showNewPassword(box, pending, navigate) {
  const fields = [
    field({ name: 'newPassword', label: 'New password', type: 'password', required: true, autocomplete: 'new-password', hint: 'Your administrator gave you a temporary password; choose your own (at least 12 characters).' }),
    field({ name: 'confirm', label: 'Repeat the new password', type: 'password', required: true, autocomplete: 'new-password' }),
  ];
  const f = form({
    label: 'Choose a new password', fields, submitText: 'Set password and sign in', busyText: 'Saving…',
    onSubmit: async (v) => {
      if (v.newPassword !== v.confirm) throw invalid({ confirm: 'does not match the new password.' });
      await completeNewPassword(pending, v.newPassword);
      announce('Password set; signed in.');
      navigate('/');
    },
  });
  render(box, h('h2', { tabindex: -1, id: 'newpw-h' }, 'Choose a new password'), f.el);
  box.querySelector('#newpw-h').focus();
}
