// The randomized differential check of DescribeCertificates' store query (listing-check.ts) at
// a small size, so that npm test catches a listing that drifts from the plain evaluation;
// `npm run bench` runs it at full size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKENDS } from '../src/testing/harness.js';
import { checkListing } from './listing-check.js';

for (const backend of BACKENDS) {
  test(`the listing query equals a plain evaluation over random certificates and queries (${backend})`, async () => {
    const r = await checkListing(backend, 1200, 600);
    assert.deepEqual(r.mismatches, [], r.summary);
    assert.equal(r.checked, 600);
  });
}
