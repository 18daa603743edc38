// A ZIP writer for DownloadCertificate's archives (PKWARE APPNOTE 6.3): small, synchronous, no
// I/O. It replaces yazl (issue 27): yazl deflates every entry through a zlib stream, one
// thread-pool round trip after another, ~30 of them per archive, so a download waited on
// scheduling more than on work. Here an entry is deflated once per distinct content (the
// archive repeats the same bundle, key and keystores under several names) and entries whose
// bytes do not compress (PFX, JKS: encrypted) are stored. Everything is small: no ZIP64.
import * as zlib from 'node:zlib';

/** CRC-32 (ISO-HDLC): zlib's where Node has it (20.15+), else a table. */
const crc32: (data: Buffer) => number = typeof zlib.crc32 === 'function' ? (b) => zlib.crc32(b) : (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return (b: Buffer) => {
    let c = -1;
    for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
})();

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix mode with the file type bits, e.g. 0o100644. */
  mode: number;
  /** Deflate (text); false stores the bytes as they are (encrypted, incompressible content). */
  compress: boolean;
}

const UTF8_NAMES = 1 << 11;
/** 3 = Unix (so external attributes carry the mode), spec version 6.3. */
const MADE_BY = (3 << 8) | 63;
const NEEDED = 20;
const LIMIT = 0xfffffff0;

/** MS-DOS date and time in the local time zone, as Info-ZIP and yazl write it (the UT field carries UTC). */
function dosDateTime(d: Date): { date: number; time: number } {
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const t = d < min ? min : d > max ? max : d;
  return {
    date: (t.getDate() & 0x1f) | (((t.getMonth() + 1) & 0xf) << 5) | (((t.getFullYear() - 1980) & 0x7f) << 9),
    time: Math.floor(t.getSeconds() / 2) | ((t.getMinutes() & 0x3f) << 5) | ((t.getHours() & 0x1f) << 11),
  };
}

/** What an entry's local header and its central directory header both say. */
interface HeaderFields {
  method: number;
  time: number;
  date: number;
  crc: number;
  packedSize: number;
  size: number;
  nameLength: number;
}

/**
 * The 26 bytes a local header (from byte 4) and a central directory header (from byte 6) hold
 * alike: version needed, flags, method, time, date, CRC-32, sizes, name and extra field lengths.
 */
function writeHeaderFields(b: Buffer, at: number, f: HeaderFields, extraLength: number): void {
  b.writeUInt16LE(NEEDED, at);
  b.writeUInt16LE(UTF8_NAMES, at + 2);
  b.writeUInt16LE(f.method, at + 4);
  b.writeUInt16LE(f.time, at + 6);
  b.writeUInt16LE(f.date, at + 8);
  b.writeUInt32LE(f.crc, at + 10);
  b.writeUInt32LE(f.packedSize, at + 14);
  b.writeUInt32LE(f.size, at + 18);
  b.writeUInt16LE(f.nameLength, at + 22);
  b.writeUInt16LE(extraLength, at + 24);
}

/** The whole archive. Entries with the same `data` Buffer object are compressed once. */
export function zipSync(entries: readonly ZipEntry[], mtime: Date): Buffer {
  const { date, time } = dosDateTime(mtime);
  const unix = Math.max(-0x80000000, Math.min(0x7fffffff, Math.floor(mtime.getTime() / 1000)));
  // Info-ZIP's extended timestamp ("UT"): the modification time in UTC, in the central directory.
  const ut = Buffer.alloc(9);
  ut.writeUInt16LE(0x5455, 0);
  ut.writeUInt16LE(5, 2);
  ut.writeUInt8(0b11, 4); // mtime (and atime, flagged as Info-ZIP does, never present here)
  ut.writeInt32LE(unix, 5);

  const packed = new Map<Buffer, { crc: number; body: Buffer; method: number }>();
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    let p = packed.get(e.data);
    if (!p) {
      const deflated = e.compress ? zlib.deflateRawSync(e.data) : null;
      // Stored when deflating does not make it smaller.
      p = deflated && deflated.length < e.data.length
        ? { crc: crc32(e.data), body: deflated, method: 8 }
        : { crc: crc32(e.data), body: e.data, method: 0 };
      packed.set(e.data, p);
    }
    const name = Buffer.from(e.name, 'utf8');
    const entry: HeaderFields = { method: p.method, time, date, crc: p.crc, packedSize: p.body.length, size: e.data.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeHeaderFields(local, 4, entry, 0);

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(MADE_BY, 4);
    writeHeaderFields(cd, 6, entry, ut.length);
    // comment length, disk number, internal attributes: 0
    cd.writeUInt32LE((e.mode << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name, ut);

    parts.push(local, name, p.body);
    offset += local.length + name.length + p.body.length;
    if (offset > LIMIT) throw new Error('zipSync: the archive is too large for a ZIP without ZIP64');
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  if (entries.length > 0xffff) throw new Error('zipSync: too many entries for a ZIP without ZIP64');
  return Buffer.concat([...parts, cdBytes, end]);
}
