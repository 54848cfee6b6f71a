import type { IdKey, MetaScalar, RvfStore } from '@rvfjs/runtime';
import { RvfError } from '@rvfjs/types';
import { bareMessage } from '../error-report.js';
import type { MappedRecord } from './record-mapper.js';

/**
 * Commits records in batches of `batchSize` (one `ingestBatch`, one epoch each), reusing one
 * float32 buffer so memory holds a single batch whatever the input size (the buffer grows as
 * the first batch fills, so a large `--batch` costs only what the input uses). Records were
 * checked by the RecordMapper; should the store still refuse a batch, the error names the
 * record it points at (its line or row) instead of a position inside the batch.
 */
export class BatchWriter {
  accepted = 0;
  batches = 0;
  private vectors: Float32Array;
  private ids: IdKey[] = [];
  private metadata: (Record<string, MetaScalar> | undefined)[] = [];
  private wheres: string[] = [];
  private hasMetadata = false;

  constructor(
    private readonly store: RvfStore,
    private readonly batchSize: number,
    private readonly label: string,
  ) {
    this.vectors = new Float32Array(Math.min(batchSize, 1024) * store.dimension);
  }

  async add(record: MappedRecord): Promise<void> {
    const n = this.ids.length;
    const dim = this.store.dimension;
    if ((n + 1) * dim > this.vectors.length) {
      const grown = new Float32Array(Math.min(this.batchSize, 2 * (this.vectors.length / dim)) * dim);
      grown.set(this.vectors);
      this.vectors = grown;
    }
    this.vectors.set(record.vector, n * dim);
    this.ids.push(record.id);
    this.metadata.push(record.metadata);
    this.wheres.push(record.where);
    if (record.metadata) this.hasMetadata = true;
    if (this.ids.length >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    const n = this.ids.length;
    if (n === 0) return;
    try {
      const result = await this.store.ingestBatch(
        this.vectors.subarray(0, n * this.store.dimension),
        this.ids,
        this.hasMetadata ? this.metadata : undefined,
      );
      this.accepted += result.accepted;
      this.batches++;
    } catch (e) {
      if (!(e instanceof RvfError)) throw e;
      const row = typeof e.details.row === 'number' ? e.details.row : undefined;
      const where =
        row !== undefined && this.wheres[row]
          ? this.wheres[row]
          : `${this.wheres[0]} to ${this.wheres[n - 1]}`;
      throw new RvfError(
        e.code,
        `${this.label} ${where}: ${bareMessage(e)}`,
        { ...e.details, input: this.label },
        {
          cause: e,
        },
      );
    }
    this.ids = [];
    this.metadata = [];
    this.wheres = [];
    this.hasMetadata = false;
  }
}
