import { loadConfig } from '../src/config';
import type { MessageRecord } from '../src/contracts/records';
import { StreamRules, normalize } from '../src/moderator/rules';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const words = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rules-')), 'words.txt');
fs.writeFileSync(words, '# a comment\nBadWord\nvery  bad phrase\n');
const config = (env: Record<string, string> = {}) =>
  loadConfig({ MODERATION_FLOOD_MESSAGES: '3', MODERATION_FLOOD_WINDOW_SECONDS: '10', MODERATION_REPEAT_COUNT: '3', MODERATION_WORDS_FILE: words, ...env }, () => undefined).moderation;
const T0 = Date.parse('2026-12-01T12:00:00.000Z');
let n = 0;
const message = (userId: string, body: string, atMs: number): MessageRecord => ({
  id: `m${++n}`,
  roomId: 'r',
  seq: n,
  kind: 'TEXT',
  body,
  sender: { id: userId, username: userId, displayName: userId, statusMessage: '', createdAt: '', lastLoginAt: null, lastLogoutAt: null },
  attachment: null,
  clientMessageId: null,
  createdAt: new Date(T0 + atMs).toISOString(),
});

test('flood: fires at the message over MODERATION_FLOOD_MESSAGES within the window, once, and counts again after', () => {
  const rules = new StreamRules(config({ MODERATION_RULES: 'flood' }));
  expect([0, 1, 2].flatMap((i) => rules.observe(message('a', `x${i}`, i * 1000)))).toEqual([]);
  const [fired] = rules.observe(message('a', 'x3', 3000));
  expect(fired).toMatchObject({ rule: 'flood', userId: 'a', evidenceAt: new Date(T0 + 3000).toISOString() });
  expect((fired.evidence.messageIds as string[]).length).toBe(4);
  expect(rules.observe(message('a', 'x4', 3500))).toEqual([]);
});

test('flood: messages older than the window do not count; other users count apart', () => {
  const rules = new StreamRules(config({ MODERATION_RULES: 'flood' }));
  expect(rules.observe(message('a', '1', 0))).toEqual([]);
  expect(rules.observe(message('b', '1', 1))).toEqual([]);
  expect([11_000, 12_000, 13_000].flatMap((t) => rules.observe(message('a', String(t), t)))).toEqual([]);
});

test('repetition: the same text, case and spacing aside, MODERATION_REPEAT_COUNT times fires at the last', () => {
  const rules = new StreamRules(config({ MODERATION_RULES: 'repetition' }));
  expect(rules.observe(message('a', 'Hello  World', 0))).toEqual([]);
  expect(rules.observe(message('a', 'other', 1))).toEqual([]);
  expect(rules.observe(message('a', ' hello world', 2))).toEqual([]);
  expect(rules.observe(message('a', 'HELLO WORLD', 3))).toEqual([expect.objectContaining({ rule: 'repetition', evidence: expect.objectContaining({ text: 'hello world' }) })]);
});

test('words: whole words and phrases from the file, case and spacing aside; a word inside another does not count', () => {
  const rules = new StreamRules(config({ MODERATION_RULES: 'words' }));
  expect(rules.observe(message('a', 'badwords are fine, so is a very bad-phrase', 0))).toEqual([]);
  expect(rules.observe(message('a', 'such a BADWORD!', 1))).toEqual([expect.objectContaining({ rule: 'words', evidence: expect.objectContaining({ word: 'badword' }) })]);
  expect(rules.observe(message('a', 'a Very   Bad phrase', 2))).toHaveLength(1);
});

test('the same messages give the same decision id (a restarted moderator names its firing the same)', () => {
  const msgs = [0, 1, 2, 3].map((i) => message('a', `y${i}`, i));
  const once = () => new StreamRules(config({ MODERATION_RULES: 'flood' }));
  const [r1, r2] = [once(), once()];
  const first = msgs.flatMap((m) => r1.observe(m));
  const second = msgs.flatMap((m) => r2.observe(m));
  expect(first).toHaveLength(1);
  expect(second[0].decisionId).toBe(first[0].decisionId);
});

test('a switched-off rule never fires; prune forgets users no window reaches', () => {
  const rules = new StreamRules(config({ MODERATION_RULES: 'words' }));
  expect([0, 1, 2, 3, 4].flatMap((i) => rules.observe(message('a', 'same', i)))).toEqual([]);
  const flood = new StreamRules(config({ MODERATION_RULES: 'flood,repetition' }));
  flood.observe(message('a', 'hi', 0));
  flood.observe(message('b', 'hi', 60_000));
  flood.prune();
  expect(flood.trackedUsers).toBe(1);
  expect(normalize('  A\tB  ')).toBe('a b');
});

test('configuration: an unknown rule and an unreadable words file are reported', () => {
  expect(() => loadConfig({ MODERATION_RULES: 'flood,nope', MODERATION_WORDS_FILE: '/no/such/file' }, () => undefined)).toThrow(/MODERATION_RULES[\s\S]*MODERATION_WORDS_FILE/);
});
