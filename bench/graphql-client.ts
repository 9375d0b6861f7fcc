import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** The benchmark's GraphQL client over HTTP, shared by the orchestrator and the load generator. */

export interface BenchUser {
  id: string;
  token: string;
}

/** The data of a request that must succeed; errors are thrown. */
export async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Sign-ups the gateway turns away as BUSY (its password-hashing slots are full) are tried again this often. */
const SIGN_UP_ATTEMPTS = 20;

/** A new user with a random name; like any client, it waits and tries again when the gateway is busy hashing passwords. */
export async function signUp(url: string): Promise<BenchUser> {
  const variables = { i: { username: `b_${randomUUID().slice(0, 12).replace(/-/g, '')}`, password: 'bench password' } };
  for (let attempt = 1; ; attempt++) {
    try {
      const data = await gql(url, 'mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } } }', variables);
      return { id: data.signUp.user.id, token: data.signUp.token };
    } catch (err) {
      if (attempt >= SIGN_UP_ATTEMPTS || !(err as Error).message.includes('"BUSY"')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** One sendChat that must succeed; its round trip in ms. */
export async function timedSendChat(url: string, token: string, input: { roomId: string; body: string; clientMessageId?: string }): Promise<number> {
  const startedAt = performance.now();
  await gql(url, 'mutation($i: SendChatInput!) { sendChat(input: $i) { id } }', { i: input }, token);
  return performance.now() - startedAt;
}
