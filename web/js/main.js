// The app shell: routes, the navigation for the signed-in role, sign-out.
import { h, render, announce } from './dom.js';
import * as session from './session.js';
import { loadConfig } from './config.js';
import { landing } from './views/landing.js';
import { signin } from './views/signin.js';
import { products } from './views/products.js';
import { orders } from './views/orders.js';
import { users } from './views/users.js';
import { tenants } from './views/tenants.js';

// path -> {view, title, roles (signed-in roles allowed; empty = signed out)}
const ROUTES = {
  '/': { view: landing, title: 'Welcome', roles: [] },
  '/signin': { view: signin, title: 'Sign in', roles: [] },
  '/products': { view: products, title: 'Products', roles: ['TenantAdmin', 'TenantUser'] },
  '/orders': { view: orders, title: 'Orders', roles: ['TenantAdmin', 'TenantUser'] },
  '/users': { view: users, title: 'Users', roles: ['TenantAdmin'] },
  '/tenants': { view: tenants, title: 'Tenants', roles: ['SystemAdmin'] },
};

const HOME = { SystemAdmin: '/tenants', TenantAdmin: '/products', TenantUser: '/products' };

function navLinks(user) {
  const nav = document.getElementById('nav');
  const here = window.location.pathname;
  const link = (href, text) => h('a', { href, 'data-link': true, 'aria-current': here === href ? 'page' : null }, text);
  if (!user) {
    render(nav, link('/', 'Sign up'), link('/signin', 'Sign in'));
    return;
  }
  const links = Object.entries(ROUTES)
    .filter(([, r]) => r.roles.includes(user.role))
    .map(([path, r]) => link(path, r.title));
  render(nav, links,
    h('span', { class: 'who' }, `${user.email}${user.tenantName ? ` · ${user.tenantName}` : ''} (${user.role})`),
    h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'));
}

// Signing out clears the session; the session listener below takes the
// tab to the sign-in page (one navigation, not two).
async function signOut() {
  await session.signOut();
  announce('Signed out.');
}

export function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState({}, '', path);
  else window.history.pushState({}, '', path);
  route();
}

let routing = 0;
async function route() {
  const run = ++routing;
  const url = new URL(window.location.href);
  const user = session.get();
  let path = url.pathname.replace(/\/+$/, '') || '/';
  let r = ROUTES[path];
  // Signed in: no sign-up or sign-in page, only the pages of the role.
  if (user && (!r || !r.roles.includes(user.role))) path = HOME[user.role] || '/signin';
  if (!user && (!r || r.roles.length)) path = r ? '/signin' : '/';
  if (path !== url.pathname) window.history.replaceState({}, '', path);
  r = ROUTES[path];
  navLinks(user);
  const main = document.getElementById('main');
  render(main);
  document.title = `${r.title} · tenantforge`;
  try {
    await r.view(main, { navigate, params: url.searchParams, user });
  } catch (err) {
    if (run !== routing) return;
    render(main, h('h1', { tabindex: -1 }, 'Something went wrong'), h('p', { class: 'form-error', role: 'alert' }, err.message || String(err)));
  }
  if (run !== routing) return;
  const heading = main.querySelector('h1');
  if (heading && document.activeElement === document.body) heading.focus();
  else if (heading && !main.contains(document.activeElement)) heading.focus();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-link]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);
// Signed out (by the button, or because a refresh failed): leave the pages
// that need a session.
session.onChange((s) => { if (!s && ROUTES[window.location.pathname]?.roles.length) navigate('/signin'); });

loadConfig()
  .then(route)
  .catch((err) => {
    render(document.getElementById('main'), h('h1', {}, 'tenantforge is not configured'),
      h('p', { class: 'form-error', role: 'alert' }, `The app could not read /config.json (${err.message}).`));
  });
