/**
 * Optional client authentication: with AUTH_JWT_SECRET (HS256) or
 * AUTH_JWKS_URL (keys fetched and cached by jose) a token is required; without
 * either the gateway is open. A token may come as `?token=`, an
 * `Authorization: Bearer` header (non-browser clients), or a
 * `Sec-WebSocket-Protocol` entry (browsers cannot set headers: send
 * `["bearer", "<token>"]` and the gateway answers with the `bearer` protocol).
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface AuthConfig {
  readonly jwtSecret: string | undefined;
  readonly jwksUrl: string | undefined;
}

export type TokenCheck =
  | { readonly ok: true; readonly subject: string | undefined; readonly expiresAtMs: number | undefined }
  | { readonly ok: false; readonly reason: string };

export const BEARER_PROTOCOL = 'bearer';

export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey | undefined;

  constructor(config: AuthConfig) {
    if (config.jwtSecret) this.key = new TextEncoder().encode(config.jwtSecret);
    else if (config.jwksUrl) this.key = createRemoteJWKSet(new URL(config.jwksUrl));
  }

  get required(): boolean {
    return this.key !== undefined;
  }

  async check(request: IncomingMessage): Promise<TokenCheck> {
    if (!this.key) return { ok: true, subject: undefined, expiresAtMs: undefined };
    const token = tokenFrom(request);
    if (!token) return { ok: false, reason: 'a token is required' };
    try {
      const options = { algorithms: this.key instanceof Uint8Array ? ['HS256'] : ['RS256', 'ES256', 'PS256', 'EdDSA'] };
      const { payload } = this.key instanceof Uint8Array ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options);
      return { ok: true, subject: subjectOf(payload), expiresAtMs: payload.exp === undefined ? undefined : payload.exp * 1000 };
    } catch (error) {
      return { ok: false, reason: `invalid token: ${(error as Error).message}` };
    }
  }
}

function tokenFrom(request: IncomingMessage): string | undefined {
  const url = new URL(request.url ?? '/', 'http://gateway');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const authorization = request.headers.authorization;
  if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const index = protocols.indexOf(BEARER_PROTOCOL);
  return index >= 0 ? protocols[index + 1] : undefined;
}

function subjectOf(payload: JWTPayload): string | undefined {
  return typeof payload.sub === 'string' ? payload.sub : undefined;
}
