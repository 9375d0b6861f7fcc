import type { ModerationConfig, ModerationRule } from '../config';
import type { MessageRecord } from '../contracts/records';
import { derivedUuid } from '../commands/moderation';

/** A rule fired for a user: what the MuteUser command carries. */
export interface Firing {
  /** Derived from the rule and the evidence: the same firing seen again is the same decision. */
  decisionId: string;
  userId: string;
  rule: ModerationRule;
  evidence: Record<string, unknown>;
  /** The newest evidence's time. */
  evidenceAt: string;
}

/** Case and spacing do not make a message different. */
export const normalize = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ').trim();

interface Seen {
  id: string;
  at: number;
}

/**
 * The rules that read the message stream (flood, repetition, words), pure:
 * messages go in, firings come out; time is the messages' own (createdAt), so
 * reading the same stretch again after a restart gives the same firings.
 * After a rule fires for a user its count starts over, so one burst fires once.
 */
export class StreamRules {
  /** User → their recent messages, oldest first (flood). */
  private readonly recent = new Map<string, Seen[]>();
  /** User → normalized text → its recent sends (repetition). */
  private readonly repeats = new Map<string, Map<string, Seen[]>>();
  private readonly banned: { word: string; pattern: RegExp }[];
  private newest = 0;

  constructor(private readonly config: ModerationConfig) {
    // Whole words or phrases only: "class" does not contain the word "ass".
    this.banned = config.words.map((word) => ({
      word,
      pattern: new RegExp(`(^|[^\\p{L}\\p{N}])${escape(word).replace(/ /g, '\\s+')}($|[^\\p{L}\\p{N}])`, 'iu'),
    }));
  }

  observe(message: MessageRecord): Firing[] {
    if (message.kind === 'SYSTEM' || !message.sender) return [];
    const userId = message.sender.id;
    const at = Date.parse(message.createdAt);
    this.newest = Math.max(this.newest, at);
    const firings: Firing[] = [];
    const { rules } = this.config;
    if (rules.has('words')) {
      const text = normalize(message.body);
      const hit = this.banned.find(({ pattern }) => pattern.test(text));
      if (hit) firings.push(this.firing('words', userId, { messageIds: [message.id], word: hit.word }, message.createdAt));
    }
    if (rules.has('flood')) {
      const { messages, windowSeconds } = this.config.flood;
      const seen = within(this.recent.get(userId) ?? [], at - windowSeconds * 1000);
      seen.push({ id: message.id, at });
      if (seen.length > messages) {
        this.recent.delete(userId);
        firings.push(this.firing('flood', userId, { messageIds: seen.map((s) => s.id), windowSeconds }, message.createdAt));
      } else this.recent.set(userId, seen);
    }
    const text = normalize(message.body);
    if (rules.has('repetition') && text.length > 0) {
      const { count, windowSeconds } = this.config.repetition;
      let texts = this.repeats.get(userId);
      if (!texts) this.repeats.set(userId, (texts = new Map()));
      const seen = within(texts.get(text) ?? [], at - windowSeconds * 1000);
      seen.push({ id: message.id, at });
      if (seen.length >= count) {
        texts.delete(text);
        firings.push(this.firing('repetition', userId, { messageIds: seen.map((s) => s.id), text, windowSeconds }, message.createdAt));
      } else texts.set(text, seen);
    }
    return firings;
  }

  /** Forgets what no window reaches any more (call it now and then): memory follows the active users, not all users ever seen. */
  prune(): void {
    const floodFrom = this.newest - this.config.flood.windowSeconds * 1000;
    for (const [userId, seen] of this.recent) if (seen[seen.length - 1].at <= floodFrom) this.recent.delete(userId);
    const repeatFrom = this.newest - this.config.repetition.windowSeconds * 1000;
    for (const [userId, texts] of this.repeats) {
      for (const [text, seen] of texts) if (seen[seen.length - 1].at <= repeatFrom) texts.delete(text);
      if (texts.size === 0) this.repeats.delete(userId);
    }
  }

  /** Users with state kept (for tests). */
  get trackedUsers(): number {
    return new Set([...this.recent.keys(), ...this.repeats.keys()]).size;
  }

  private firing(rule: ModerationRule, userId: string, evidence: Record<string, unknown>, evidenceAt: string): Firing {
    const ids = (evidence.messageIds as string[]).join(',');
    return { decisionId: derivedUuid('mute', rule, userId, ids), userId, rule, evidence, evidenceAt };
  }
}

/** The entries newer than `from` (ms). */
function within(seen: Seen[], from: number): Seen[] {
  let i = 0;
  while (i < seen.length && seen[i].at <= from) i++;
  return i === 0 ? seen : seen.slice(i);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
