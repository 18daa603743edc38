// Reads one small text file out of a ZIP (the download's keystorePass.txt), so the page can
// show the keystore password of the very archive it saves. Stored and deflated entries.
export async function readZipText(zip: ArrayBuffer, name: RegExp): Promise<string | null> {
  const v = new DataView(zip);
  // End of central directory: the last 22+ bytes, signature 0x06054b50.
  let eocd = -1;
  for (let i = zip.byteLength - 22; i >= Math.max(0, zip.byteLength - 65_557); i--) {
    if (v.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) return null;
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const dec = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (v.getUint32(p, true) !== 0x02014b50) return null;
    const method = v.getUint16(p + 10, true);
    const size = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const fileName = dec.decode(new Uint8Array(zip, p + 46, nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (!name.test(fileName)) continue;
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    const data = new Uint8Array(zip, start, size);
    if (method === 0) return dec.decode(data);
    if (method !== 8) return null;
    const out = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return (await new Response(out).text());
  }
  return null;
}
