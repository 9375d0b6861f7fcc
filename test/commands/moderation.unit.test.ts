import { decideDeleteAccount, decideEndMute, decideMuteUser, decideReportMessage, type MuteState } from '../../src/commands/moderation';
import { ALICE, BOB, CAROL, NOW, ROOM, command, user } from './given';

const DECISION = '00000000-0000-4000-8000-0000000de001';
const later = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const mute = (evidenceAt = later(-1000)) =>
  command('MuteUser', null, { decisionId: DECISION, userId: ALICE, rule: 'flood', evidence: { messageIds: ['m'] }, evidenceAt, muteSeconds: 300 });
const muteState = (over: Partial<MuteState> = {}): MuteState => ({
  user: { mutedUntil: null },
  decided: false,
  lastMuteAt: null,
  mutesWithinDay: 0,
  now: NOW,
  ...over,
});

describe('MuteUser', () => {
  test('given a user never muted, when a rule fires, then they are muted for the first length, the decision is kept and they get MUTED', () => {
    const decision = decideMuteUser(mute(), muteState());
    expect(decision).toEqual({
      result: { userId: ALICE, mutedUntil: later(300_000) },
      events: [expect.objectContaining({ type: 'account-notice', userId: ALICE, kind: 'MUTED', until: later(300_000) })],
      writes: expect.objectContaining({ decisionId: DECISION, rule: 'flood', mutedUntil: later(300_000), now: NOW }),
    });
  });

  test('given two mutes within the day, when a rule fires again, then the mute lasts four times as long', () => {
    const decision = decideMuteUser(mute(), muteState({ mutesWithinDay: 2, lastMuteAt: later(-3600_000) }));
    expect(decision).toMatchObject({ result: { mutedUntil: later(4 * 300_000) } });
  });

  test('given the same decision applied, when it comes again, then nothing changes', () => {
    expect(decideMuteUser(mute(), muteState({ decided: true }))).toMatchObject({ events: [], writes: null });
  });

  test('given a mute decided after the evidence, when a firing on that evidence comes (a flood in flight, a moderator restarted), then nothing changes', () => {
    const state = muteState({ user: { mutedUntil: later(1000) }, lastMuteAt: later(-500) });
    expect(decideMuteUser(mute(later(-1000)), state)).toEqual({ result: { userId: ALICE, mutedUntil: later(1000) }, events: [], writes: null });
  });

  test('given a longer mute in force, when a new one is shorter, then the longer end stays', () => {
    const state = muteState({ user: { mutedUntil: later(10 * 3600_000) }, lastMuteAt: later(-5000) });
    expect(decideMuteUser(mute(later(-1000)), state)).toMatchObject({ result: { mutedUntil: later(10 * 3600_000) } });
  });

  test('given no such user (deleted), when a rule fires, then nothing changes', () => {
    expect(decideMuteUser(mute(), muteState({ user: null }))).toMatchObject({ writes: null, events: [] });
  });
});

describe('EndMute', () => {
  const end = command('EndMute', null, { decisionId: DECISION, userId: ALICE });
  test('given a mute that is over, when it is ended, then UNMUTED once and the decision is closed', () => {
    const decision = decideEndMute(end, { decision: { userId: ALICE, mutedUntil: later(-1), ended: false }, user: { mutedUntil: later(-1) }, now: NOW });
    expect(decision).toMatchObject({ events: [{ type: 'account-notice', kind: 'UNMUTED', until: null }], writes: { decisionId: DECISION } });
    const again = decideEndMute(end, { decision: { userId: ALICE, mutedUntil: later(-1), ended: true }, user: { mutedUntil: null }, now: NOW });
    expect(again).toMatchObject({ events: [], writes: null });
  });

  test('given a later, longer mute in force, when the earlier one ends, then it is closed without UNMUTED', () => {
    const decision = decideEndMute(end, { decision: { userId: ALICE, mutedUntil: later(-1), ended: false }, user: { mutedUntil: later(1000) }, now: NOW });
    expect(decision).toMatchObject({ events: [], writes: { decisionId: DECISION } });
  });

  test('given a mute not over yet, when it is ended, then nothing changes', () => {
    const decision = decideEndMute(end, { decision: { userId: ALICE, mutedUntil: later(1000), ended: false }, user: { mutedUntil: later(1000) }, now: NOW });
    expect(decision).toMatchObject({ events: [], writes: null });
  });
});

describe('ReportMessage', () => {
  const report = (reason = 'rude') => command('ReportMessage', ALICE, { messageId: DECISION, reason });
  test("given a member and another member's message, when she reports it, then the report is written", () => {
    expect(decideReportMessage(report(), { message: { senderId: BOB, isMember: true } })).toEqual({
      result: { messageId: DECISION },
      events: [],
      writes: { messageId: DECISION, reporterId: ALICE, reason: 'rude' },
    });
  });
  test('refusals: no message NOT_FOUND, not a member FORBIDDEN, her own or a SYSTEM message or a bad reason BAD_USER_INPUT', () => {
    expect(decideReportMessage(report(), { message: null })).toMatchObject({ code: 'NOT_FOUND' });
    expect(decideReportMessage(report(), { message: { senderId: BOB, isMember: false } })).toMatchObject({ code: 'FORBIDDEN' });
    expect(decideReportMessage(report(), { message: { senderId: ALICE, isMember: true } })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(decideReportMessage(report(), { message: { senderId: null, isMember: true } })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(decideReportMessage(report('x'.repeat(201)), { message: { senderId: BOB, isMember: true } })).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('DeleteAccount', () => {
  test('given Alice in a room and friends with Bob and Carol, when she deletes her account, then she leaves with the SYSTEM message, both friends are told, and every gateway is told', () => {
    const alice = user(ALICE, 'Alice');
    const decision = decideDeleteAccount(command('DeleteAccount', ALICE, {}), {
      user: alice,
      rooms: [{ roomId: ROOM, leave: { room: { lastSeq: 4, isMember: true }, leaver: alice, now: NOW } }],
      friends: [user(BOB, 'Bob'), user(CAROL, 'Carol')],
    });
    expect(decision).toMatchObject({
      result: { userId: ALICE },
      events: [
        { type: 'message', message: { roomId: ROOM, seq: 5, kind: 'SYSTEM', body: 'Alice left', system: { event: 'LEFT', userId: ALICE } } },
        { type: 'friend-changed', userId: BOB, friend: { id: ALICE }, isFriend: false },
        { type: 'friend-changed', userId: CAROL, friend: { id: ALICE }, isFriend: false },
        { type: 'account-deleted', userId: ALICE },
      ],
      writes: { userId: ALICE, departures: [{ roomId: ROOM, userId: ALICE }] },
    });
  });
  test('given no such account, then NOT_FOUND', () => {
    expect(decideDeleteAccount(command('DeleteAccount', ALICE, {}), { user: null, rooms: [], friends: [] })).toMatchObject({ code: 'NOT_FOUND' });
  });
});
