import type { Decide } from './decision';

export interface LastSeen {
  userId: string;
  at: string;
}

/** The later time wins (the store keeps the greater): gateways may report one going twice, or out of order. */
export const decideRecordLastSeen: Decide<'RecordLastSeen', null, LastSeen> = ({ actorId, payload }) => ({
  result: { userId: actorId },
  events: [],
  writes: { userId: actorId, at: payload.at },
});
