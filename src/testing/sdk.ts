// Test support: waiting for a deployment record through the SDK.
import type { SslClient } from './harness.js';

export type RecordDetails = Awaited<ReturnType<SslClient['DescribeHostUpdateRecordDetail']>>;

/** Polls the record the way certimate does: until succeeded + failed = total. */
export async function waitRecord(c: SslClient, id: number, ms = 30_000): Promise<RecordDetails> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await c.DescribeHostUpdateRecordDetail({ DeployRecordId: String(id), Limit: '200' });
    if ((d.SuccessTotalCount ?? 0) + (d.FailedTotalCount ?? 0) === d.TotalCount) {
      const list = await c.DescribeHostUpdateRecord({ Limit: 100 });
      const rec = list.DeployRecordList!.find((r) => r.Id === id);
      if (rec && rec.Status !== 0 && rec.Status !== 3) return d;
    }
    if (Date.now() > deadline) throw new Error(`record ${id} did not finish: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

