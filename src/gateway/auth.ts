import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Config } from '../config';
import { unauthenticated } from '../errors';

const ALGORITHM = 'HS256';
const ISSUER = 'kafka-chat';

export interface Viewer {
  userId: string;
  tokenId: string;
  expiresAt: Date;
}

export class Tokens {
  private readonly key: Uint8Array;

  constructor(private readonly config: Pick<Config, 'jwtSecret' | 'tokenTtlSeconds'>) {
    this.key = new TextEncoder().encode(config.jwtSecret);
  }

  async issue(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + this.config.tokenTtlSeconds * 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** Reads `Bearer <token>`; UNAUTHENTICATED for anything malformed, forged, expired or of another algorithm. */
  async verify(authorization: string): Promise<Viewer> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('expected an Authorization header of the form "Bearer <token>"');
    try {
      const { payload } = await jwtVerify(match[1], this.key, { algorithms: [ALGORITHM], issuer: ISSUER });
      if (!payload.sub || !payload.jti || !payload.exp) throw unauthenticated('invalid token');
      return { userId: payload.sub, tokenId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('token expired; log in again');
      throw unauthenticated('invalid token');
    }
  }
}

/**
 * The one way in, for HTTP and graphql-ws alike: a valid, unexpired token
 * that was not logged out. Refusals are UserErrors (UNAUTHENTICATED); a store
 * that cannot answer is a fault, left to each transport's edge to translate.
 */
export class Authenticator {
  constructor(
    private readonly tokens: Tokens,
    /** Whether the token was logged out, or its user (given as well) deleted their account. */
    private readonly isRevoked: (tokenId: string, userId: string) => Promise<boolean>,
  ) {}

  /**
   * `verified` runs between the token's check and the revocation check: a
   * socket is registered there, so a logout that races its connect still closes it.
   */
  async authenticate(authorization: unknown, verified?: (viewer: Viewer) => void): Promise<Viewer> {
    if (typeof authorization !== 'string') throw unauthenticated('expected an authorization of the form "Bearer <token>"');
    const viewer = await this.tokens.verify(authorization);
    verified?.(viewer);
    if (await this.isRevoked(viewer.tokenId, viewer.userId)) throw unauthenticated('this token was logged out; log in again');
    return viewer;
  }
}
