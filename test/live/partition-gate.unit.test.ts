import { PartitionGate, type PartitionControl } from '../../src/live/partition-gate';

/** A control that records what the gate asks, and whose end offsets are read when the test says. */
function fakeControl() {
  const calls: string[] = [];
  const waiting: (() => void)[] = [];
  const control: PartitionControl = {
    pause: (partitions) => void calls.push(`pause ${partitions.join(',')}`),
    endOffset: (partition) =>
      new Promise<string>((resolve) => {
        calls.push(`end ${partition}`);
        waiting.push(() => resolve('42'));
      }),
    resumeAt: (partition, offset) => void calls.push(`resume ${partition}@${offset}`),
  };
  const finishResumes = () => waiting.splice(0).forEach((resolve) => resolve());
  return { control, calls, finishResumes };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('given partitions with no reader, when the gate starts, then all but the always-read ones are closed', () => {
  const { control } = fakeControl();
  const gate = new PartitionGate(control, 4, new Set([2]));
  expect(gate.closed()).toEqual([0, 1, 3]);
  expect(gate.openCount).toBe(1);
});

test('given a paused partition, when two readers come at once, then it is resumed once and both wait for it', async () => {
  const { control, calls, finishResumes } = fakeControl();
  const gate = new PartitionGate(control, 4, new Set());
  let ready = 0;
  void gate.acquire(1).then(() => ready++);
  void gate.acquire(1).then(() => ready++);
  await flush();
  expect(calls).toEqual(['end 1']);
  expect(ready).toBe(0);
  finishResumes();
  await flush();
  expect(calls).toEqual(['end 1', 'resume 1@42']);
  expect(ready).toBe(2);
  expect(gate.closed()).toEqual([0, 2, 3]);
});

test('given a partition left by its last reader and paused, when a new reader comes, then it waits until it is resumed from the end', async () => {
  const { control, calls, finishResumes } = fakeControl();
  const gate = new PartitionGate(control, 4, new Set());
  const first = gate.acquire(3);
  await flush();
  finishResumes();
  await first;
  gate.release(3);
  await flush();
  let ready = false;
  void gate.acquire(3).then(() => (ready = true));
  await flush();
  expect(calls).toEqual(['end 3', 'resume 3@42', 'pause 3', 'end 3']);
  expect(ready).toBe(false); // not before it is read again
  finishResumes();
  await flush();
  expect(ready).toBe(true);
  expect(gate.openCount).toBe(1);
});

test('given an always-read partition, when its readers come and go, then it is never paused nor resumed', async () => {
  const { control, calls } = fakeControl();
  const gate = new PartitionGate(control, 4, new Set([0]));
  await gate.acquire(0);
  gate.release(0);
  await flush();
  expect(calls).toEqual([]);
});

test('given a resume that fails, when the reader asks, then it gets the error and the next reader tries again', async () => {
  const calls: string[] = [];
  let fail = true;
  const gate = new PartitionGate(
    {
      pause: (partitions) => void calls.push(`pause ${partitions.join(',')}`),
      endOffset: async (partition) => {
        calls.push(`end ${partition}`);
        if (fail) throw new Error('broker away');
        return '42';
      },
      resumeAt: (partition, offset) => void calls.push(`resume ${partition}@${offset}`),
    },
    2,
    new Set(),
  );
  await expect(gate.acquire(1)).rejects.toThrow('broker away');
  fail = false;
  await gate.acquire(1);
  expect(calls).toEqual(['end 1', 'end 1', 'resume 1@42']);
  expect(gate.openCount).toBe(1);
});

test('given a reader leaving, when another comes in the same turn, then the partition stays read', async () => {
  const { control, calls, finishResumes } = fakeControl();
  const gate = new PartitionGate(control, 4, new Set());
  const first = gate.acquire(2);
  await flush();
  finishResumes();
  await first;
  gate.release(2);
  await gate.acquire(2);
  expect(calls).toEqual(['end 2', 'resume 2@42']);
});

test('given a partition being resumed, when the consumer could rejoin at any turn, then it is never resumed without being counted open', async () => {
  // A rejoin pauses every partition closed() lists: between the resume and the count, it would stay paused for good.
  const { control, calls, finishResumes } = fakeControl();
  const gate = new PartitionGate(control, 4, new Set());
  const read = gate.acquire(1);
  await flush();
  expect(gate.closed()).toContain(1);
  finishResumes();
  for (let turn = 0; turn < 100 && !calls.includes('resume 1@42'); turn++) await Promise.resolve();
  expect(calls).toContain('resume 1@42');
  expect(gate.closed()).not.toContain(1);
  await read;
});
