// The master key at start: generated only for a fresh database, and checked against the
// stored data (a probe sealed under the key the data was written with) before anything uses it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MasterKeyError, Sealer, unlockSealer } from './sealer.js';

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
