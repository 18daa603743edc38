// A listed page's tags (issue 27): in key order, none as [], on every backend; on PostgreSQL read
// once for the page (postgres.ts pageTags), not by a subquery per row (the tag table scanned
// once for every row where it is small).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';

type Query = (...a: unknown[]) => unknown;
type PlanNode = { 'Relation Name'?: string; 'Parent Relationship'?: string; Plans?: PlanNode[] };
/** The plan's nodes reading `table`, each with whether it runs in a subplan (once per outer row). */
const reads = (n: PlanNode, table: string, inSub = false): boolean[] => {
  const sub = inSub || n['Parent Relationship'] === 'SubPlan';
  return [...(n['Relation Name'] === table ? [sub] : []), ...(n.Plans ?? []).flatMap((c) => reads(c, table, sub))];
};

// The statements sent while `sent` is set, as they went (before any connection binds query).
const pg = createRequire(import.meta.url)('pg') as { Client: { prototype: { query: Query } } };
const orig = pg.Client.prototype.query;
let sent: { text: string; values: unknown[] }[] | null = null;
pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
  const q = a[0] as string | { text: string; values?: unknown[] };
  if (sent) sent.push(typeof q === 'string' ? { text: q, values: (a[1] as unknown[]) ?? [] } : { text: q.text, values: q.values ?? [] });
  return orig.apply(this, a);
};

for (const backend of BACKENDS) {
  describe(`listed tags (${backend})`, () => {
    let t: TestService;
    const ids: string[] = [];
    before(async () => {
      t = await startTestService(backend);
      for (const name of ['two', 'one', 'none']) {
        const chain = await makeChain('EC', `${name}.tags.example.com`);
        ids.push((await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: name })).CertificateId!);
      }
      const tag = (certId: string, k: string, v: string) => ({ cert_id: certId, account_uin: t.cred.accountUin, tag_key: k, tag_value: v, cert_created_at: 0 });
      await t.svc.core.stores.kysely.insertInto('certificate_tags')
        .values([tag(ids[0]!, 'zone', 'b'), tag(ids[0]!, 'app', 'a'), tag(ids[1]!, 'env', '')]).execute();
    });
    after(async () => {
      await t?.close();
    });

    const tagsOf = async (q: object) => {
      const l = await t.svc.core.stores.certificates.listCertificates({ accountUin: t.cred.accountUin, offset: 0, limit: 10, now: Date.now(), sides: true, ...q });
      return Object.fromEntries(l.items.map((c) => [c.id, c.tags.map((x) => [x.key, x.value])]));
    };
    const want = () => ({ [ids[0]!]: [['app', 'a'], ['zone', 'b']], [ids[1]!]: [['env', '']], [ids[2]!]: [] });

    test('in key order, none as an empty list: a page, a deeper page, a search', async () => {
      assert.deepEqual(await tagsOf({}), want());
      assert.deepEqual(await tagsOf({ expirationSort: 'ASC' }), want());
      assert.deepEqual(await tagsOf({ searchKey: 'tags.example' }), want());
      const deeper = await tagsOf({ offset: 1, limit: 1 });
      assert.deepEqual(deeper, { [ids[1]!]: [['env', '']] });
    });

    test('PostgreSQL reads the tag table once for the page', { skip: backend !== 'postgres' }, async () => {
      // The page statement as sent, explained with its parameters.
      const seen: { text: string; values: unknown[] }[] = [];
      sent = seen;
      try {
        await tagsOf({});
      } finally {
        sent = null;
      }
      const page = seen.find((s) => s.text.includes('certificate_tags'));
      assert.ok(page, 'the page statement reads the tags');
      const pool = (t.svc.core.stores as unknown as { kysely: { executeQuery: Query } }).kysely;
      const { CompiledQuery } = await import('kysely');
      const r = (await pool.executeQuery(CompiledQuery.raw(`explain (analyze, format json) ${page.text}`, page.values))) as { rows: { 'QUERY PLAN': [{ Plan: PlanNode }] }[] };
      const tagReads = reads(r.rows[0]!['QUERY PLAN'][0].Plan, 'certificate_tags');
      assert.ok(tagReads.length > 0);
      assert.ok(tagReads.every((sub) => !sub), 'certificate_tags read by a subplan per row');
    });
  });
}
