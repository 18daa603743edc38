// Checks DescribeCertificates' store query (store/listing/: counts kept by triggers, trigram
// search, pages read from the nearer end) against a plain evaluation of the same filters over
// every row in memory (the fake store's, src/testing/fakes/listing.ts): random certificates (shared name parts, ties in
// creation and expiry times, Unicode, quotes and LIKE wildcards in aliases), random updates
// and deletes, then random queries on both backends. Prints the first differences and exits 1.
// npm test runs it at a small size (listing-check.test.ts).
//
//   node dist/bench/listing-check.js        (CERTPORT_CHECK_ROWS, CERTPORT_CHECK_QUERIES)
import { randomInt } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { makeChain } from '../src/testing/pki-fixtures.js';
import type { CertificateQuery, CertificateRecord, OperationLogRecord } from '../src/domain/certificate.js';
import { BACKENDS, startTestService, type Backend } from '../src/testing/harness.js';
import { listInMemory } from '../src/testing/fakes/listing.js';

const DAY = 86_400_000;
const pick = <T>(a: readonly T[]): T => a[randomInt(a.length)]!;
const LABELS = ['www', 'api', 'shop', 'mail', 'a1', 'b-2', 'xn--fiqs8s', 'cdn', 'img', 'static', 'eu', 'us', 'dev'];
const ZONES = ['example.com', 'example.net', 'bench.test', 'corp.example.com', 'shop.example.org'];
const ALIASES = ['', 'prod', 'Prod Cert', 'staging "quoted"', '100% off', 'under_score', 'back\\slash', '证书 生产', 'Größe', 'ÉTÉ', 'cert 42', 'cert 420'];
const KEYS = ['www', 'example', 'example.com', 'api.example', 'shop.', 'b-2', '%', '_', '100%', 'under_score', '\\', '"quoted"', '证书', 'größe',
  'été', 'ÉTÉ', 'cert 42', 'ert 4', 'zz', 'e', '.co', 'xn--', 'PROD', 'a1.eu.', 'no-such-thing', 'static.corp', 'm\n'];

const lowerId = () => Array.from({ length: 8 }, () => pick([...'0123456789abcdefghijklmnopqrstuvwxyz'])).join('');

export interface ListingCheck {
  /** Random queries compared. */
  checked: number;
  /** One line: what was checked and how it ended. */
  summary: string;
  /** The differences found (it stops at 5). */
  mismatches: string[];
}

/** `stored` random certificates, changed at random, then `queries` random queries compared. */
export async function checkListing(backend: Backend, stored: number, queries: number): Promise<ListingCheck> {
  const mismatches: string[] = [];
  const chain = await makeChain('EC', 'check.example.com');
  const t = await startTestService(backend);
  try {
    const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    const { certificates: store, dvOrders, kysely } = t.svc.core.stores;
    const account = t.cred.accountUin;
    const template = await t.svc.core.services.certificates.get({ accountUin: account, userUin: account }, up.CertificateId!);
    const other = await t.newAccount();
    const now = Date.now();
    const all = new Map<string, CertificateRecord>([[template.id, template]]);
    const make = (accountUin: string): CertificateRecord => {
      const names = Array.from({ length: 1 + randomInt(3) }, () => `${pick(LABELS)}.${randomInt(2) ? pick(LABELS) + '.' : ''}${pick(ZONES)}`);
      const status = pick([0, 1, 1, 1, 2, 3, 4, 7]);
      return {
        ...template, id: lowerId(), accountUin, domain: names[0]!, sans: names, alias: pick(ALIASES) + (randomInt(3) ? '' : ` ${randomInt(1000)}`),
        projectId: randomInt(4), certificateType: randomInt(10) ? 'SVR' : 'CA', source: randomInt(3) ? 'upload' : 'embedded',
        status, isSm: randomInt(10) === 0, privateKeySealed: randomInt(5) ? template.privateKeySealed : null,
        // Few distinct instants: many ties in both sort keys.
        createdAt: now - randomInt(200) * 1000, notAfter: now + (randomInt(60) - 20) * DAY,
        tags: randomInt(4) ? [] : randomInt(3) ? [{ key: pick(['team', 'env']), value: pick(['a', 'b', '']) }]
          : [{ key: 'team', value: pick(['a', 'b']) }, { key: 'env', value: pick(['a', '', 'x"y']) }],
      };
    };
    const batch: CertificateRecord[] = [];
    for (let i = 0; i < stored; i++) batch.push(make(i % 10 === 0 ? other.accountUin : account));
    for (let i = 0; i < batch.length; i += 700) await store.bulkInsertCertificates(batch.slice(i, i + 700));
    for (const c of batch) all.set(c.id, c);
    // Changes after the insert: aliases (the search text) and deletions (the counts).
    const log = (c: CertificateRecord, action: string): OperationLogRecord => ({ accountUin: c.accountUin, userUin: c.accountUin, certId: c.id, type: action, action, createdAt: now });
    const mine = () => [...all.values()];
    for (let i = 0; i < stored / 20; i++) {
      const c = pick(mine());
      const alias = pick(ALIASES) + ' renamed';
      await store.updateAlias(c.accountUin, c.id, alias, now, log(c, 'modify'));
      all.set(c.id, { ...c, alias });
    }
    // Project moves (a facet of the kept counts).
    for (let i = 0; i < stored / 20; i++) {
      const c = pick(mine());
      const projectId = randomInt(4);
      await store.updateProject(c.accountUin, [c.id], projectId, now, (id) => ({ ...log(c, 'project'), certId: id }));
      all.set(c.id, { ...c, projectId });
    }
    for (let i = 0; i < stored / 20; i++) {
      const c = pick(mine().filter((x) => x.id !== template.id));
      await store.deleteCertificate(c.accountUin, c.id, log(c, 'delete'));
      all.delete(c.id);
    }
    // Status and expiry changes (issuance, revocation): the per-day expiry counts follow them.
    for (let i = 0; i < stored / 20; i++) {
      const c = pick(mine());
      const set = { status: pick([0, 1, 1, 2, 3, 10]), notAfter: randomInt(2) ? c.notAfter : now + (randomInt(80) - 20) * DAY + randomInt(DAY) };
      if (!await dvOrders.transitionCertificate(c.id, { fromStatuses: [c.status], set }, log(c, 'transition'))) throw new Error('transition refused');
      all.set(c.id, { ...c, ...set });
    }

    const reference = (q: CertificateQuery) => {
      const r = listInMemory(mine(), q);
      return { total: r.total, ids: r.items.map((c) => c.id) };
    };

    let checked = 0;
    for (let i = 0; i < queries && mismatches.length < 5; i++) {
      // The second half with planner and trigram statistics (PostgreSQL then picks search-key parts).
      if (i === Math.floor(queries / 2)) await sql`analyze`.execute(kysely);
      const q: CertificateQuery = { accountUin: pick([account, account, account, other.accountUin]), offset: 0, limit: 1 + randomInt(40), now };
      const n = randomInt(5);
      for (let f = 0; f < n; f++) {
        switch (randomInt(14)) {
          case 0: case 1: case 2: q.searchKey = randomInt(3) ? pick(KEYS) : pick(mine()).id.slice(randomInt(4), 6); break;
          case 3: q.certificateType = pick(['SVR', 'CA']); break;
          case 4: q.projectId = randomInt(4); break;
          case 5: q.statuses = [...new Set([pick([0, 1, 2, 3, 4, 7]), pick([1, 3])])]; break;
          case 6: q.source = pick(['upload', 'buy'] as const); break;
          case 7: {
            // Windows that start anywhere in a day, and end on a day edge or one ms either side.
            const from = now + (randomInt(60) - 30) * DAY + pick([0, 1, DAY - 1, randomInt(DAY)]);
            q.now = from;
            q.expiring = { now: from, until: pick([from + 30 * DAY, (Math.floor(from / DAY) + 30) * DAY - pick([0, 1]), from + randomInt(3) * DAY]) };
            break;
          }
          case 8: q.tags = [{ key: pick(['team', 'env']), value: pick(['a', 'b', '']) }]; break;
          case 9: q.deployable = randomInt(2) === 0; break;
          case 10: q.pendingIssue = true; break;
          case 11: q.certIds = Array.from({ length: 3 }, () => pick(mine()).id); break;
          case 12: q.isSm = randomInt(2) === 0; break;
          // The statuses judged by the clock (issued or expired), alone or with the facets.
          case 13: q.statuses = [pick([1, 3])]; break;
        }
      }
      if (randomInt(2)) q.expirationSort = pick(['ASC', 'DESC'] as const);
      const expected = reference({ ...q, offset: 0, limit: 1e9 });
      // First pages, the middle, the last pages and past the end: both reading directions.
      q.offset = pick([0, 0, randomInt(Math.max(1, expected.total)), Math.max(0, expected.total - randomInt(20)), expected.total + randomInt(3)]);
      const want = reference(q);
      // With its PEM and keys, or (as DescribeCertificates asks) only whether the keys are there.
      const material = randomInt(2) === 0;
      if (material) q.material = true;
      const got = await store.listCertificates(q);
      const gotIds = got.items.map((c) => c.id);
      checked++;
      // The rows themselves: what was stored, tags (in key order) and PEM included.
      const shape = (c: CertificateRecord) => JSON.stringify([c.id, c.alias, c.domain, c.sans, c.projectId, c.status, c.notAfter, c.createdAt,
        material ? c.certPem : '', material ? c.privateKeySealed : c.privateKeySealed === null, c.keyPasswordSealed === null, [...c.tags].sort((a, b) => (a.key < b.key ? -1 : 1)).map((x) => [x.key, x.value])]);
      const rowsDiffer = got.items.some((c) => shape(c) !== shape(all.get(c.id)!));
      if (got.total !== want.total || JSON.stringify(gotIds) !== JSON.stringify(want.ids) || rowsDiffer) {
        mismatches.push(`${backend}: MISMATCH for ${JSON.stringify(q)}\n  total ${got.total} (want ${want.total})\n  got  ${gotIds.join(',')}\n  want ${want.ids.join(',')}`);
      }
    }
    const countRow = await store.listCertificates({ accountUin: account, offset: 0, limit: 1 });
    const plain = mine().filter((c) => c.accountUin === account).length;
    if (countRow.total !== plain) mismatches.push(`${backend}: the kept count says ${countRow.total}, the rows ${plain}`);
    const summary = `${backend}: ${checked} random queries over ${all.size} certificates (2 accounts), after ${stored / 20} alias changes, ${stored / 20} project moves, ${stored / 20} deletions and ${stored / 20} status/expiry changes: ${mismatches.length ? 'DIFFERENCES' : 'all equal to the plain evaluation'}`;
    return { checked, summary, mismatches };
  } finally {
    await t.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let failures = 0;
  for (const backend of BACKENDS) {
    const r = await checkListing(backend, Number(process.env.CERTPORT_CHECK_ROWS ?? 3000), Number(process.env.CERTPORT_CHECK_QUERIES ?? 1500));
    for (const m of r.mismatches) console.log(m);
    console.log(r.summary);
    failures += r.mismatches.length;
  }
  process.exit(failures ? 1 : 0);
}
