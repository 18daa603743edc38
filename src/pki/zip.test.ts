import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from './zip.js';
import { run, withTempDir } from '../testing/pki-fixtures.js';

test('zipSync: unzip and Python read it back byte for byte, with modes, UTF-8 names and the UTC time', async () => {
  const text = Buffer.from('-----BEGIN CERTIFICATE-----\n' + 'QUJD'.repeat(400) + '\n-----END CERTIFICATE-----\n');
  const secret = randomBytes(3000); // incompressible, like a PFX
  const mtime = new Date(Date.UTC(2026, 11, 4, 10, 20, 30));
  const zip = zipSync([
    { name: 'a_nginx/a_bundle.crt', data: text, mode: 0o100644, compress: true },
    { name: 'a_nginx/a_bundle.pem', data: text, mode: 0o100644, compress: true },
    { name: 'a_iis/a.pfx', data: secret, mode: 0o100600, compress: false },
    { name: 'a_other/証明書.crt', data: text, mode: 0o100644, compress: true },
    { name: 'a_other/empty-ish.txt', data: Buffer.from('x'), mode: 0o100600, compress: true },
  ], mtime);
  assert.ok(zip.length < 2 * text.length + secret.length, 'the text is deflated');
  await withTempDir(async (dir) => {
    const file = join(dir, 'z.zip');
    await writeFile(file, zip);
    assert.match(run('unzip', ['-t', file]), /No errors detected/);
    run('unzip', ['-q', file, '-d', join(dir, 'x')]);
    assert.ok((await readFile(join(dir, 'x', 'a_nginx', 'a_bundle.pem'))).equals(text));
    assert.ok((await readFile(join(dir, 'x', 'a_other', '証明書.crt'))).equals(text));
    assert.ok((await readFile(join(dir, 'x', 'a_iis', 'a.pfx'))).equals(secret));
    const pfx = await stat(join(dir, 'x', 'a_iis', 'a.pfx'));
    assert.equal(pfx.mode & 0o777, 0o600);
    assert.equal(pfx.mtimeMs, mtime.getTime(), 'unzip takes the UTC time from the UT field');
    assert.equal((await stat(join(dir, 'x', 'a_nginx', 'a_bundle.crt'))).mode & 0o777, 0o644);
    const listing = run('unzip', ['-Zv', file]);
    assert.match(listing, /compression method:\s+none \(stored\)/);
    assert.match(listing, /compression method:\s+deflated/);
    const py = run('python3', ['-c', [
      'import sys, zipfile, hashlib',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print("\\n".join(i.filename + " " + hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()))',
    ].join('\n'), file]);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(py.trim().split('\n').length, 5);
    assert.match(py, new RegExp(`a_iis/a.pfx ${sha(secret)}`));
  });
});
