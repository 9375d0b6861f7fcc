/** How a gate acts on its consumer (kafkajs in KafkaEvents; a fake in unit tests). */
export interface PartitionControl {
  /** Stops fetching these partitions. */
  pause(partitions: number[]): void;
  /**
   * The partition's end now: every record produced after this call is at or
   * past it, and every record before it was produced before the call (so,
   * for our events, is in the store: a room stream that reads history after
   * this fills the rest).
   */
  endOffset(partition: number): Promise<string>;
  /** Fetches the partition again, from `offset`. */
  resumeAt(partition: number, offset: string): void;
}

/**
 * Which partitions of the events topic this gateway fetches: those with at
 * least one local reader (a channel with a listener), and `always` (the
 * sessions partition, which every gateway needs). The first reader of a
 * paused partition waits until it is read again from its end; the last one
 * leaving pauses it. Changes of one partition happen one at a time, in order.
 */
export class PartitionGate {
  private readonly readers = new Map<number, number>();
  private readonly open: Set<number>;
  /** The last change queued per partition. */
  private readonly queues = new Map<number, Promise<void>>();

  constructor(
    private readonly control: PartitionControl,
    private readonly partitions: number,
    private readonly always: ReadonlySet<number>,
  ) {
    this.open = new Set(always);
  }

  /** The partitions to pause when the consumer (re)joins: all with no reader. */
  closed(): number[] {
    return Array.from({ length: this.partitions }, (_, p) => p).filter((p) => !this.open.has(p));
  }

  /** How many partitions are read now. */
  get openCount(): number {
    return this.open.size;
  }

  /** One more reader of `partition`; resolves once its records are fetched. A reader whose resume failed is not counted. */
  async acquire(partition: number): Promise<void> {
    this.readers.set(partition, (this.readers.get(partition) ?? 0) + 1);
    try {
      await this.settle(partition);
    } catch (err) {
      this.release(partition);
      throw err;
    }
  }

  /** One reader fewer; the last one pauses the partition. */
  release(partition: number): void {
    const left = (this.readers.get(partition) ?? 0) - 1;
    if (left > 0) this.readers.set(partition, left);
    else this.readers.delete(partition);
    this.settle(partition).catch(() => undefined); // a failed pause is retried by the next change
  }

  private settle(partition: number): Promise<void> {
    const step = (this.queues.get(partition) ?? Promise.resolve()).then(() => this.apply(partition));
    const queued = step.catch(() => undefined);
    this.queues.set(partition, queued);
    void queued.then(() => {
      if (this.queues.get(partition) === queued) this.queues.delete(partition);
    });
    return step;
  }

  private async apply(partition: number): Promise<void> {
    const wanted = this.always.has(partition) || this.readers.has(partition);
    if (wanted && !this.open.has(partition)) {
      const end = await this.control.endOffset(partition);
      // Resumed and counted open in one turn: a rejoin of the group, which pauses every partition
      // not open, cannot fall between them and leave a partition paused that the gate thinks is read.
      this.control.resumeAt(partition, end);
      this.open.add(partition);
    } else if (!wanted && this.open.has(partition)) {
      this.control.pause([partition]);
      this.open.delete(partition);
    }
  }
}
