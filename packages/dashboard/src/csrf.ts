import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Name of the cookie holding the CSRF nonce. */
export const CSRF_COOKIE = 'mqkit_csrf';
/** Name of the form field carrying the CSRF token. */
export const CSRF_FIELD = '_csrf';

const NONCE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Signed double-submit cookie (OWASP's recommended stateless scheme): the browser holds a
 * random nonce in a `SameSite=Strict`, `HttpOnly` cookie; each form carries
 * HMAC-SHA256(secret, nonce). A cross-site page can neither read the cookie nor compute the
 * HMAC without the per-dashboard secret, so a forged POST lacks a valid token.
 */
export class Csrf {
  readonly #secret: Buffer;

  constructor(secret: string | undefined) {
    this.#secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** A fresh nonce for the cookie. */
  static nonce(): string {
    return randomBytes(16).toString('base64url');
  }

  /** The token forms carry for `nonce`. */
  token(nonce: string): string {
    return createHmac('sha256', this.#secret).update(nonce).digest('base64url');
  }

  /** True when `token` is the token of the request's cookie nonce. */
  verify(req: IncomingMessage, token: string | undefined): boolean {
    const nonce = nonceOf(req);
    if (nonce === undefined || token === undefined) return false;
    const expected = Buffer.from(this.token(nonce));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** The request's CSRF nonce cookie, when it has a well-formed one. */
export function nonceOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE) {
      const value = rest.join('=');
      return NONCE.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** The `Set-Cookie` value for a nonce, scoped to the dashboard's path. */
export function csrfCookie(nonce: string, path: string, secure: boolean): string {
  return `${CSRF_COOKIE}=${nonce}; Path=${path || '/'}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
