// Sign-in as a flow: tenant name -> /tenant-config/{name} -> Cognito.
import * as api from './api.js';
import * as cognito from './cognito.js';
import * as session from './session.js';
import { loadConfig } from './config.js';

/** The Cognito endpoint of a tenant (or, for operators, of the platform). */
export async function identityFor(tenantName) {
  if (!tenantName) {
    const cfg = await loadConfig();
    if (!cfg.identity || !cfg.identity.appClientId) {
      throw Object.assign(new Error('Operator sign-in is not configured here (config.json has no identity).'), { fields: {} });
    }
    return { identity: cfg.identity, tenantName: '' };
  }
  try {
    const tc = await api.get(`/tenant-config/${encodeURIComponent(tenantName)}`, { auth: false });
    return { identity: tc.identity, tenantName: tc.tenantName || tenantName };
  } catch (err) {
    if (err.status === 404) {
      throw Object.assign(new Error(''), { fields: { tenantName: `"${tenantName}" is not a tenant here; check the name or sign up.` } });
    }
    throw err;
  }
}

/**
 * Signs in; returns {done: true} or {challenge, session, identity} for a
 * user who must choose a new password.
 */
export async function signIn(tenantName, email, password) {
  const { identity, tenantName: name } = await identityFor(tenantName);
  let res;
  try {
    res = await cognito.signIn(identity, email, password);
  } catch (err) {
    if (err instanceof cognito.CognitoError) {
      // At sign-in every credential failure reads the same (AWS answers
      // NotAuthorized, local Cognito InvalidPassword): no hint which part
      // was wrong.
      const wrong = ['NotAuthorizedException', 'UserNotFoundException', 'InvalidPasswordException'].includes(err.type);
      throw Object.assign(new Error(wrong ? 'The email or password is not right, or the account is disabled.' : cognito.describe(err)), { fields: {} });
    }
    throw err;
  }
  if (res.challenge) return { challenge: res.challenge, session: res.session, identity, tenantName: name, email };
  session.start(identity, name, email, res.tokens);
  return { done: true };
}

export async function completeNewPassword(pending, newPassword) {
  try {
    const t = await cognito.setNewPassword(pending.identity, pending.email, pending.session, newPassword);
    session.start(pending.identity, pending.tenantName, pending.email, t);
  } catch (err) {
    if (err instanceof cognito.CognitoError) {
      const message = cognito.describe(err);
      if (err.type === 'InvalidPasswordException') throw Object.assign(new Error(''), { fields: { newPassword: message } });
      throw Object.assign(new Error(message), { fields: {} });
    }
    throw err;
  }
}
