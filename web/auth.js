// Signing in (docs/web-page.md, "Signing in"; docs/protocol.md, "Authentication"): the token the
// page holds for this tab (sessionStorage: gone when the tab closes, never sent to other sites),
// the pass-phrase sign-in, and the Authorization header for /api calls.

const KEY = 'hwbridge.token';

export class SignInError extends Error {
  constructor(code, message, retryAfter = 0) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function token() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage disabled: the token lives until the page reloads, like the connections
  }
}

// Headers for fetch(): `extra` plus Authorization when the page holds a token.
export function authHeaders(extra = {}) {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : { ...extra };
}

// POST /api/login; resolves with {token, role, subject, expires} and keeps the token.
export async function signInWithPassphrase(passphrase) {
  let response;
  try {
    response = await fetch('api/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ passphrase }),
    });
  } catch (e) {
    throw new SignInError('disconnected', `The bridge did not answer: ${e.message}`);
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = answer?.error?.code || String(response.status);
    const retry = Number((answer?.error?.message || '').match(/again in (\d+) s/)?.[1] || 0);
    throw new SignInError(code, answer?.error?.message || `sign-in failed (${response.status})`, retry);
  }
  setToken(answer.token);
  return answer;
}
