import { EventEmitter } from 'node:events';
import { CloseCode } from 'graphql-ws';
import { UserError } from '../src/errors';
import { Authenticator, Tokens, type Viewer } from '../src/gateway/auth';
import { SocketRegistry } from '../src/gateway/sockets';

// The one way in (HTTP and graphql-ws) and the registry logout closes sockets through: pure, over fakes.
const tokens = new Tokens({ jwtSecret: 'a test secret of enough length for HS256 ok', tokenTtlSeconds: 3600 });

function authenticator(revoked: Set<string>, steps: string[] = []) {
  return new Authenticator(tokens, async (tokenId) => {
    steps.push('revocation checked');
    return revoked.has(tokenId);
  });
}

describe('Authenticator', () => {
  test('a valid token that was not logged out is the viewer', async () => {
    const { token } = await tokens.issue('00000000-0000-4000-8000-000000000001');
    const viewer = await authenticator(new Set()).authenticate(`Bearer ${token}`);
    expect(viewer.userId).toBe('00000000-0000-4000-8000-000000000001');
  });

  test('missing, malformed, forged and logged-out tokens are UNAUTHENTICATED', async () => {
    const { token } = await tokens.issue('00000000-0000-4000-8000-000000000001');
    const viewer = await tokens.verify(`Bearer ${token}`);
    const auth = authenticator(new Set([viewer.tokenId]));
    for (const authorization of [undefined, 42, 'token', `Bearer ${token}x`, `Bearer ${token}`]) {
      await expect(auth.authenticate(authorization)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toThrow('logged out');
  });

  test('`verified` runs before the revocation check, so a socket is registered before a racing logout is looked for', async () => {
    const { token } = await tokens.issue('00000000-0000-4000-8000-000000000001');
    const steps: string[] = [];
    await authenticator(new Set(), steps).authenticate(`Bearer ${token}`, (viewer: Viewer) => void steps.push(`verified ${viewer.userId}`));
    expect(steps).toEqual(['verified 00000000-0000-4000-8000-000000000001', 'revocation checked']);
  });

  test("a store that cannot answer is a fault, not the user's error", async () => {
    const auth = new Authenticator(tokens, async () => {
      throw new Error('store down');
    });
    const { token } = await tokens.issue('00000000-0000-4000-8000-000000000001');
    const refused = await auth.authenticate(`Bearer ${token}`).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(UserError);
  });
});

class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  closedWith: [number, string] | null = null;
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.emit('close');
  }
}

/** A viewer whose token expires in an hour. */
const viewer = (tokenId: string, userId = `user-${tokenId}`): Viewer => ({ userId, tokenId, expiresAt: new Date(Date.now() + 3600_000) });

describe('SocketRegistry', () => {
  test("a session's end closes that token's sockets with graphql-ws's Forbidden, and no other", () => {
    const registry = new SocketRegistry({ perUser: 0, perAddress: 0 });
    const [a1, a2, b] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    registry.track(viewer('token-a'), a1);
    registry.track(viewer('token-a'), a2);
    registry.track(viewer('token-b'), b);
    registry.endSession('token-a');
    expect(a1.closedWith).toEqual([CloseCode.Forbidden, 'Forbidden: logged out']);
    expect(a2.closedWith?.[0]).toBe(4403);
    expect(b.closedWith).toBeNull();
    expect(registry.size).toBe(1);
    b.close(1000, 'done'); // clears its expiry timer
  });

  test('a socket closed by its client is forgotten', () => {
    const registry = new SocketRegistry({ perUser: 0, perAddress: 0 });
    const socket = new FakeSocket();
    registry.track(viewer('token-a'), socket);
    socket.emit('close');
    expect(registry.size).toBe(0);
    registry.endSession('token-a');
    expect(socket.closedWith).toBeNull();
  });
});
