// AccountService.credential: the signature check's key lookup, cached briefly per node. Lookups
// under way are shared, and a change of a key on this node is never hidden by a lookup that
// began before it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AccountStore } from '../domain/stores.js';
import type { AccountRecord, ApiKeyRecord } from '../domain/account.js';
import { Sealer } from '../secrets/sealer.js';
import { aad } from '../secrets/aad.js';
import { AccountService } from './accounts.js';

/** The two reads credential() makes, counted, each held until `release`; the writes it needs. */
function fakeStore(sealer: Sealer) {
  const key: ApiKeyRecord = { secretId: 'AKIDtest0001', accountUin: '100', userUin: '100', status: 'active', createdAt: 0,
    secretKeySealed: sealer.seal('a-secret-key-of-16+', aad.apiKey('AKIDtest0001')) };
  const account: AccountRecord = { uin: '100', name: 'a', status: 'active', createdAt: 0 };
  const gates: (() => void)[] = [];
  const held = () => new Promise<void>((ok) => gates.push(ok));
  const s = {
    reads: 0,
    release: () => { for (const g of gates.splice(0)) g(); },
    async findKey(id: string) { s.reads++; const seen = { ...key }; await held(); return id === key.secretId ? seen : null; },
    async getAccount() { await held(); return { ...account }; },
    async setKeyStatus(_id: string, status: 'active' | 'disabled') { key.status = status; return true; },
  };
  return s;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('AccountService.credential', () => {
  test('requests arriving while a key is read share that read', async () => {
    const sealer = new Sealer(randomBytes(32));
    const store = fakeStore(sealer);
    const svc = new AccountService(store as unknown as AccountStore, sealer, () => 1000);
    const all = Promise.all(Array.from({ length: 20 }, () => svc.credential('AKIDtest0001')));
    for (let i = 0; i < 3; i++) { await settle(); store.release(); }
    const creds = await all;
    assert.equal(store.reads, 1);
    assert.ok(creds.every((c) => c.secretKey === 'a-secret-key-of-16+' && c.accountUin === '100'));
    await svc.credential('AKIDtest0001'); // cached
    assert.equal(store.reads, 1);
  });

  test('a key disabled here while a read was under way is refused at once, not cached as active', async () => {
    const sealer = new Sealer(randomBytes(32));
    const store = fakeStore(sealer);
    const svc = new AccountService(store as unknown as AccountStore, sealer, () => 1000);
    const early = svc.credential('AKIDtest0001'); // reads the key while still active
    await settle();
    await svc.setKeyStatus('AKIDtest0001', 'disabled');
    for (let i = 0; i < 3; i++) { await settle(); store.release(); }
    await early; // began before the change: answered with what it read
    const late = svc.credential('AKIDtest0001').then(() => 'accepted', (e: { code?: string }) => e.code);
    for (let i = 0; i < 3; i++) { await settle(); store.release(); }
    assert.equal(await late, 'AuthFailure.SecretIdNotFound');
    assert.equal(store.reads, 2, 'the read begun before the change was not kept');
  });
});
