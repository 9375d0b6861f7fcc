import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { gql, signUp, timedSendChat, type BenchUser } from './graphql-client';
import { percentiles, type Percentiles } from './report';

/**
 * Files through the service (createUpload, PUT, sendChat, GET of the link):
 * the throughput of 1 MiB uploads and downloads, and sendChat's latency with
 * and without uploads running beside it, so that one can see whether a
 * running upload slows chat down. Called by bench/run.ts on its gateway;
 * `node dist/bench/uploads.js <graphql url>` runs it alone against a running service
 * (started with UPLOAD_RATE_PER_MINUTE=0 and UPLOAD_BYTES_PER_HOUR=0).
 */

const MIB = 1024 * 1024;

export interface UploadBenchResults {
  /** 1 MiB each, one after another: ms per file and MiB/s. */
  upload: { files: number; ms: Percentiles; mibPerSec: number };
  download: { files: number; ms: Percentiles; mibPerSec: number };
  /**
   * sendChat round trips (ms): alone; while two 1 MiB uploads run back to
   * back, each sent at a real link's speed (PACED_BYTES_PER_SECOND); and while
   * two run back to back as fast as loopback takes them (held to the
   * gateway's UPLOAD_GATEWAY_BYTES_PER_SECOND).
   */
  chatLatency: { idle: Percentiles; besidePaced: Percentiles; besideLoopback: Percentiles; pacedUploads: number; loopbackUploads: number };
}

/** One uploader's link: 2 MiB/s (about 17 Mbit/s, a good home or mobile uplink). */
const PACED_BYTES_PER_SECOND = 2 * MIB;
const PIECE = 64 * 1024;
/** The conditions of the chat-beside-uploads measure take turns this many times. */
const ROUNDS = 5;

/** `bytes` as a request body sent no faster than `bytesPerSecond`, a piece at a time. */
function pacedBody(bytes: Buffer, bytesPerSecond: number): ReadableStream<Uint8Array> {
  const startedAt = performance.now();
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const due = startedAt + (offset / bytesPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      controller.enqueue(bytes.subarray(offset, offset + PIECE));
      offset += PIECE;
    },
  });
}

const CREATE_UPLOAD = 'mutation($n: String!, $t: String!, $s: Int!) { createUpload(name: $n, contentType: $t, size: $s) { uploadUrl url } }';
const SEND = 'mutation($i: SendChatInput!) { sendChat(input: $i) { id attachment { url } } }';

/** One upload; with `bytesPerSecond`, its body is sent at that speed. */
async function uploadOne(url: string, user: BenchUser, bytes: Buffer, bytesPerSecond?: number): Promise<string> {
  const { createUpload } = await gql(url, CREATE_UPLOAD, { n: 'bench.bin', t: 'application/octet-stream', s: bytes.length }, user.token);
  const res = await fetch(new URL(createUpload.uploadUrl, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${user.token}`, 'content-length': String(bytes.length) },
    body: bytesPerSecond ? pacedBody(bytes, bytesPerSecond) : bytes,
    ...(bytesPerSecond ? { duplex: 'half' } : {}),
  } as RequestInit);
  if (res.status !== 201) throw new Error(`upload refused: HTTP ${res.status} ${await res.text()}`);
  return createUpload.url;
}

const mibPerSec = (ms: number[], bytes: number) => Math.round((ms.length * bytes) / MIB / (ms.reduce((a, b) => a + b, 0) / 1000) * 10) / 10;

export async function uploadBench(url: string, progress: (line: string) => void, { files = 20, pings = 500 } = {}): Promise<UploadBenchResults> {
  const [alice, bob] = await Promise.all([signUp(url), signUp(url)]);
  await gql(url, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: bob.id }, alice.token);
  const { createRoom } = await gql(url, 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }', { ids: [bob.id] }, alice.token);
  const roomId = createRoom.id as string;
  const bytes = randomBytes(MIB);

  progress(`uploads: ${files} files of 1 MiB up and down`);
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < files; i++) {
    let startedAt = performance.now();
    const ref = await uploadOne(url, alice, bytes);
    up.push(performance.now() - startedAt);
    const { sendChat } = await gql(url, SEND, { i: { roomId, body: '', attachment: { name: 'bench.bin', contentType: 'application/octet-stream', size: MIB, url: ref } } }, alice.token);
    startedAt = performance.now();
    const res = await fetch(new URL(sendChat.attachment.url, url));
    const got = Buffer.from(await res.arrayBuffer());
    down.push(performance.now() - startedAt);
    if (res.status !== 200 || got.length !== MIB) throw new Error(`download failed: HTTP ${res.status}, ${got.length} bytes`);
  }

  progress(`uploads: ${pings} sendChat each alone, beside two uploads at link speed and beside two at loopback speed, in ${ROUNDS} rounds`);
  const ping = () => timedSendChat(url, bob.token, { roomId, body: 'ping', clientMessageId: randomUUID() });
  // Warm-up first: the first sends after the transfers above are slower.
  for (let i = 0; i < 20; i++) await ping();
  // sendChat round trips beside no upload, or beside two uploaders (the per-user limit on PUTs at once)
  // sending 1 MiB files back to back at `bytesPerSecond` (unpaced: loopback speed).
  const condition = (uploaders: { bytesPerSecond: number | undefined } | null) => ({ uploaders, ms: [] as number[], uploads: 0 });
  const conditions = [condition(null), condition({ bytesPerSecond: PACED_BYTES_PER_SECOND }), condition({ bytesPerSecond: undefined })];
  const [idle, paced, loopback] = conditions;
  // The three conditions take turns, a slice each per round: a service still warming up (or slowing
  // down) shifts all three alike instead of favouring whichever ran last.
  const slice = Math.ceil(pings / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const condition of conditions) {
      const { uploaders } = condition;
      let running = uploaders !== null;
      const uploading = [0, 1].map(async () => {
        while (running) {
          await uploadOne(url, alice, bytes, uploaders?.bytesPerSecond);
          condition.uploads++;
        }
      });
      for (let i = 0; i < slice; i++) condition.ms.push(await ping());
      running = false;
      await Promise.all(uploading);
    }
  }

  return {
    upload: { files, ms: percentiles(up), mibPerSec: mibPerSec(up, MIB) },
    download: { files, ms: percentiles(down), mibPerSec: mibPerSec(down, MIB) },
    chatLatency: {
      idle: percentiles(idle.ms),
      besidePaced: percentiles(paced.ms),
      besideLoopback: percentiles(loopback.ms),
      pacedUploads: paced.uploads,
      loopbackUploads: loopback.uploads,
    },
  };
}

/** One line per figure, for the bench's progress output. */
export function describeUploadBench(r: UploadBenchResults): string[] {
  const ms = (p: Percentiles) => `p50 ${p.p50} ms, p99 ${p.p99} ms`;
  return [
    `upload of 1 MiB: ${r.upload.mibPerSec} MiB/s (${ms(r.upload.ms)})`,
    `download of 1 MiB: ${r.download.mibPerSec} MiB/s (${ms(r.download.ms)})`,
    `sendChat alone: ${ms(r.chatLatency.idle)}`,
    `sendChat beside two uploads at ${PACED_BYTES_PER_SECOND / MIB} MiB/s each: ${ms(r.chatLatency.besidePaced)} (${r.chatLatency.pacedUploads} uploads meanwhile)`,
    `sendChat beside two uploads at loopback speed: ${ms(r.chatLatency.besideLoopback)} (${r.chatLatency.loopbackUploads} uploads meanwhile)`,
  ];
}

if (require.main === module) {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node dist/bench/uploads.js <gateway graphql url>');
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  uploadBench(url, log).then(
    (r) => {
      for (const line of describeUploadBench(r)) log(line);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err) => {
      log(`failed: ${(err as Error).stack}`);
      process.exit(1);
    },
  );
}
