import { randomUUID } from 'node:crypto';

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

/** A new user with a random name. */
export async function signUp(url: string): Promise<BenchUser> {
  const data = await gql(url, 'mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } } }', {
    i: { username: `b_${randomUUID().slice(0, 12).replace(/-/g, '')}`, password: 'bench password' },
  });
  return { id: data.signUp.user.id, token: data.signUp.token };
}
