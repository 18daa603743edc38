// The master key at start: generated only for a fresh database, and checked against the
// stored data (a probe sealed under the key the data was written with) before anything uses it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MasterKeyError, Sealer, keyId, unlockSealer } from './sealer.js';
import { aad } from './aad.js';

describe('unlockSealer', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'certport-key-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const key = randomBytes(32);
  const probe = { sealed: new Sealer(key).seal('ca material', 'ca:embedded'), aad: 'ca:embedded' };

  test('a fresh database without a configured key gets <data dir>/master.key, mode 0600', () => {
    const d = dir();
    const s = unlockSealer(null, d, null);
    const file = path.join(d, 'master.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(new Sealer(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).openString(s.seal('x', 'a'), 'a'), 'x');
  });

  test('sealed data and no key: refused naming CERTPORT_MASTER_KEY and the file, and no key is generated', () => {
    const d = dir();
    assert.throws(() => unlockSealer(null, d, probe), (e: Error) => {
      assert.ok(e instanceof MasterKeyError);
      assert.equal(e.message, `this database holds data sealed under a master key and no key is configured: set CERTPORT_MASTER_KEY to the key it was sealed with, or put that key in ${path.join(d, 'master.key')} (backups do not contain it)`);
      return true;
    });
    assert.equal(existsSync(path.join(d, 'master.key')), false);
  });

  test('a key that does not open the data is refused, saying where it came from', () => {
    const d = dir();
    assert.throws(() => unlockSealer(randomBytes(32).toString('hex'), d, probe), /the master key from CERTPORT_MASTER_KEY does not open this database's sealed data/);
    writeFileSync(path.join(d, 'master.key'), randomBytes(32).toString('base64'));
    assert.throws(() => unlockSealer(null, d, probe), new RegExp(`the master key from ${path.join(d, 'master.key')} does not open`));
  });

  test('the right key opens, from the variable or from the file', () => {
    const d = dir();
    assert.equal(unlockSealer(key.toString('hex'), d, probe).openString(probe.sealed, probe.aad), 'ca material');
    writeFileSync(path.join(d, 'master.key'), key.toString('base64') + '\n');
    assert.equal(unlockSealer(null, d, probe).openString(probe.sealed, probe.aad), 'ca material');
  });
});

describe('a sealer holding several keys (rotation)', () => {
  const [k1, k2, k3] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  // The ring: each key sealed under the one before it.
  const entry = (key: Buffer, by: Buffer, at: number) => ({ kid: keyId(key), keySealed: new Sealer(by).seal(key.toString('base64'), aad.masterKey(keyId(key))), sealedBy: keyId(by), createdAt: at });
  const ring = [entry(k2, k1, 1), entry(k3, k2, 2)];

  test('learns the ring from any key in it: the newest becomes the sealing key, every one opens', () => {
    const s = new Sealer(k1);
    const old = s.seal('sealed under k1', 'a');
    assert.equal(s.learn(ring), true);
    assert.equal(s.keyId, keyId(k3));
    assert.equal(s.learn(ring), false, 'nothing new the second time');
    assert.equal(s.openString(old, 'a'), 'sealed under k1');
    assert.equal(s.isCurrent(old, 'a'), false);
    const fresh = s.seal('sealed under k3', 'a');
    assert.equal(s.isCurrent(fresh, 'a'), true);
    assert.equal(new Sealer(k3).openString(fresh, 'a'), 'sealed under k3');
    const fromK2 = new Sealer(k2);
    fromK2.learn(ring);
    assert.equal(fromK2.keyId, keyId(k3), 'k2 unwraps k3; k2 itself is known');
    assert.throws(() => fromK2.open(old, 'a'), /unable to authenticate/, 'k1 is not learned from k2');
  });

  test('a key the ring does not lead to learns nothing; a wrong aad opens under no key', () => {
    const s = new Sealer(randomBytes(32));
    assert.equal(s.learn(ring), false);
    const t = new Sealer(k1);
    t.learn(ring);
    assert.throws(() => t.open(new Sealer(k2).seal('x', 'a'), 'b'));
  });

  test('signed URLs made under the previous key still verify; new ones are made under the sealing key', () => {
    const s = new Sealer(k1);
    const before = s.mac('/download/1');
    s.adopt(k2);
    assert.equal(s.verifyMac('/download/1', before), true);
    assert.notEqual(s.mac('/download/1'), before);
    assert.equal(new Sealer(k2).verifyMac('/download/1', s.mac('/download/1')), true);
    assert.equal(new Sealer(k2).verifyMac('/download/1', before), false);
  });
});
