// Several GPUs of one target evaluating candidates side by side: a candidate takes whichever GPU of the pool is free
// (waiters served first come, first served), runs there alone, and gives it back. Within this process only; the
// target's GPU gate (Target.acquireGpu) still holds each GPU against other KernelPilot processes and clients.

export class GpuPool<Lane> {
  private readonly free: Lane[];
  private readonly waiting: Array<(lane: Lane) => void> = [];

  constructor(lanes: readonly Lane[]) {
    if (lanes.length === 0) throw new Error('a GPU pool needs at least one GPU');
    this.free = [...lanes];
  }

  /** Runs `work` on a free lane; rejects with the signal's reason when it aborts while waiting. */
  async use<T>(signal: AbortSignal, work: (lane: Lane) => Promise<T>): Promise<T> {
    const lane = await this.take(signal);
    try {
      return await work(lane);
    } finally {
      this.give(lane);
    }
  }

  private take(signal: AbortSignal): Promise<Lane> {
    signal.throwIfAborted();
    const lane = this.free.shift();
    if (lane !== undefined) return Promise.resolve(lane);
    return new Promise<Lane>((resolve, reject) => {
      const grant = (given: Lane) => {
        signal.removeEventListener('abort', cancel);
        resolve(given);
      };
      const cancel = () => {
        const at = this.waiting.indexOf(grant);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', cancel, { once: true });
    });
  }

  private give(lane: Lane): void {
    const next = this.waiting.shift();
    if (next) next(lane); // straight to the next waiter
    else this.free.push(lane);
  }
}
