// Cognito's JSON API over fetch: sign-in (USER_PASSWORD_AUTH), the
// new-password challenge, refresh and revocation. No SDK: four calls.

export class CognitoError extends Error {
  constructor(type, message, status) {
    super(message || type || 'sign-in failed');
    this.name = 'CognitoError';
    this.type = type || 'UnknownError';
    this.status = status;
  }
}

async function call(endpoint, target, body) {
  let res;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new CognitoError('NetworkError', 'The sign-in service cannot be reached; check your connection and try again.');
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const type = String(data.__type || data.code || '').split('#').pop();
    throw new CognitoError(type, data.message || data.Message, res.status);
  }
  return data;
}

function tokens(result, previousRefresh) {
  const r = result.AuthenticationResult;
  return {
    idToken: r.IdToken,
    accessToken: r.AccessToken,
    // With refresh-token rotation a refresh returns a new one.
    refreshToken: r.RefreshToken || previousRefresh,
    expiresAt: Date.now() + (Number(r.ExpiresIn) || 3600) * 1000,
  };
}

/**
 * Signs in with a password. Returns {tokens} or, for users created with a
 * temporary password, {challenge: 'NEW_PASSWORD_REQUIRED', session}.
 */
export async function signIn(identity, username, password) {
  const res = await call(identity.endpoint, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: identity.appClientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (res.ChallengeName) {
    if (res.ChallengeName !== 'NEW_PASSWORD_REQUIRED') {
      throw new CognitoError('UnsupportedChallenge', `Sign-in asks for ${res.ChallengeName}, which this app does not support.`);
    }
    return { challenge: res.ChallengeName, session: res.Session };
  }
  return { tokens: tokens(res) };
}

/** Answers the new-password challenge. */
export async function setNewPassword(identity, username, session, newPassword) {
  const res = await call(identity.endpoint, 'RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    ClientId: identity.appClientId,
    Session: session,
    ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
  });
  if (!res.AuthenticationResult) throw new CognitoError('UnexpectedChallenge', 'Sign-in asked for another step; sign in again.');
  return tokens(res);
}

/**
 * New tokens from the refresh token. The pool rotates refresh tokens
 * (GetTokensFromRefreshToken); a pool or stand-in without that operation
 * is asked with REFRESH_TOKEN_AUTH instead. A revoked or expired refresh
 * token is not retried.
 */
export async function refresh(identity, refreshToken) {
  try {
    const res = await call(identity.endpoint, 'GetTokensFromRefreshToken', {
      RefreshToken: refreshToken,
      ClientId: identity.appClientId,
    });
    return tokens(res, refreshToken);
  } catch (err) {
    if (err.type === 'NotAuthorizedException' || err.type === 'NetworkError') throw err;
  }
  const res = await call(identity.endpoint, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: identity.appClientId,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
  return tokens(res, refreshToken);
}

/** Revokes the refresh token (best effort: signing out must not fail). */
export async function revoke(identity, refreshToken) {
  try {
    await call(identity.endpoint, 'RevokeToken', { Token: refreshToken, ClientId: identity.appClientId });
  } catch {
    // The local session is cleared regardless.
  }
}

/** Human words for Cognito's error types. */
export function describe(err) {
  switch (err.type) {
    case 'NotAuthorizedException': return 'The email or password is not right, or the account is disabled.';
    case 'UserNotFoundException': return 'The email or password is not right.';
    case 'InvalidPasswordException': return err.message || 'The password does not meet the password policy.';
    case 'PasswordResetRequiredException': return 'This account needs a password reset; ask your tenant administrator.';
    case 'TooManyRequestsException': return 'Too many attempts; wait a minute and try again.';
    default: return err.message || 'Sign-in failed.';
  }
}
