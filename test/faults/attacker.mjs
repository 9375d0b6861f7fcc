// An attacker of the attack scenarios (attacks.fault.test.ts), in a process of its own so that its
// loops do not slow the well-behaved client it is measured against. Usage:
//   node attacker.mjs '<json: { url, seconds, concurrency, pauseMs, kind, ... }>'
// With `once`, each of the `concurrency` clients sends one request (a burst) instead of repeating
// until `seconds` have passed. Prints one JSON line: { requests, answers: { [code]: count } }.
const spec = JSON.parse(process.argv[2]);
const endsAt = Date.now() + spec.seconds * 1000;
const answers = {};
let requests = 0;

/** A different documentation-range address for each i, as from a botnet; else the one attacker address. */
const addressFor = (i) => (spec.botnet ? `198.18.${(i >> 8) & 255}.${i & 255}` : '203.0.113.66');

const chain = (n) => `{ ...f0 }\n${Array.from({ length: n }, (_, i) => `fragment f${i} on Query { ...f${i + 1} }`).join('\n')}\nfragment f${n} on Query { __typename }`;
const hugeDocument = Array.from({ length: 32_000 }, (_, i) => `query q${i} { me { id } }`).join('\n');
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }';
const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }';

function request(i) {
  switch (spec.kind) {
    case 'nul-sign-up':
      return { query: SIGN_UP, variables: { input: { username: `nul_${i}`, password: 'correct horse battery', displayName: 'a\u0000b' } } };
    case 'huge-document':
      return { query: hugeDocument };
    case 'chained-fragments':
      return { query: chain(3_000) };
    case 'sign-up':
      return { query: SIGN_UP, variables: { input: { username: `${spec.prefix}_${i}`, password: 'correct horse battery' } } };
    case 'wrong-password':
      return { query: LOGIN, variables: { u: spec.username, p: `guess ${i}` } };
    default:
      throw new Error(`unknown attack ${spec.kind}`);
  }
}

async function one(i) {
  const res = await fetch(spec.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': addressFor(i) },
    body: JSON.stringify(request(i)),
  });
  const body = await res.json().catch(() => ({}));
  return body.data && !body.errors ? 'ok' : (body.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`);
}

await Promise.all(
  Array.from({ length: spec.concurrency }, async () => {
    do {
      const i = requests++;
      const answer = await one(i).catch((err) => `error: ${String(err.message).slice(0, 40)}`);
      answers[answer] = (answers[answer] ?? 0) + 1;
      if (spec.pauseMs) await new Promise((resolve) => setTimeout(resolve, spec.pauseMs));
    } while (!spec.once && Date.now() < endsAt);
  }),
);
process.stdout.write(`${JSON.stringify({ requests, answers })}\n`);
