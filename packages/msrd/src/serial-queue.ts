/**
 * Runs kernel work one task at a time, in submission order, so a reconciliation pass never reads
 * the SPD halfway through a move's MIGRATEs. A failing task does not stop the ones after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }

  /** Resolves once every task submitted so far (and any they submitted) has settled. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}
