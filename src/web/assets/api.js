// Calls from the page to the web client's JSON API: the CSRF header on every request, and
// error answers (`{error:{code,message}}`) turned into errors with a message in words.

/** The header the web client requires on every state-changing request. */
export const CSRF_HEADERS = { 'x-dfs-csrf': '1' };

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

/** `/a b/ü` → `/a%20b/%C3%BC`: every segment percent-encoded, the slashes kept. */
export function encodePath(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Builds the ApiError for an error response from its status and body text. */
export function errorFrom(status, text) {
  try {
    const body = JSON.parse(text);
    if (typeof body?.error?.message === 'string')
      return new ApiError(body.error.code, body.error.message, status);
  } catch {
    // not JSON: a proxy or a crash answered; fall through to a generic message
  }
  const message =
    status >= 500
      ? `the server failed (HTTP ${status}); try again`
      : `the request was refused (HTTP ${status})`;
  return new ApiError(`http_${status}`, message, status);
}

/** The error for a request that got no answer at all. */
export function networkError() {
  return new ApiError('network', 'the web client did not answer: is it running? Check and try again', 0);
}

/**
 * Sends one API request and resolves to its JSON body (null when empty). Rejects with an
 * ApiError; a 401 also fires `dfs:unauthorized` so the page can ask for the token again.
 */
export async function call(method, url, body) {
  const headers = body === undefined ? CSRF_HEADERS : { ...CSRF_HEADERS, 'content-type': 'application/json' };
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw networkError();
  }
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401 && url !== '/session') dispatchEvent(new Event('dfs:unauthorized'));
    throw errorFrom(response.status, text);
  }
  return text ? JSON.parse(text) : null;
}
