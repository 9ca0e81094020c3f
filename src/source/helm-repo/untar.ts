// Extracts an untrusted chart archive (.tgz) safely: regular files and directories only, every path
// kept inside the destination, and caps on the expanded size and the number of entries. Written here
// because Node has no tar reader and the project takes no dependency for it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { UserError } from '../../core/index.js';

const gunzipAsync = promisify(gunzip);

/** Caps of one extraction. */
export interface UntarLimits {
  /** Bytes the archive may expand to (the tar stream, headers included). */
  maxExpandedBytes: number;
  /** Files and directories it may hold. */
  maxEntries: number;
}

/** What an archive holds, path → content, before anything is written. */
export type ArchiveFiles = Map<string, Buffer>;

const BLOCK = 512;

/**
 * Reads a gzipped tar in memory into its files (directories are implied by the paths). `label` names
 * the archive in errors. Links, devices and paths leaving the archive (absolute, `..`) are refused.
 */
export async function readTarGz(gz: Buffer, label: string, limits: UntarLimits): Promise<ArchiveFiles> {
  let tar: Buffer;
  try {
    tar = await gunzipAsync(gz, { maxOutputLength: limits.maxExpandedBytes });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(`${label} expands to more than ${mib(limits.maxExpandedBytes)}: refused`);
    }
    throw new UserError(`${label} is not a valid gzip archive: ${(err as Error).message}`);
  }
  return readTar(tar, label, limits);
}

/** Parses an (uncompressed) tar; see readTarGz. */
export function readTar(tar: Buffer, label: string, limits: UntarLimits): ArchiveFiles {
  const files: ArchiveFiles = new Map();
  const bad = (why: string) => new UserError(`${label} is not a valid chart archive: ${why}`);
  let offset = 0;
  let entries = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return files; // end of archive
    if (!checksumOk(header)) throw bad(`corrupt tar header at byte ${offset}`);
    const type = String.fromCharCode(header[156]!);
    const size = readSize(header.subarray(124, 136));
    if (size === undefined) throw bad(`unreadable entry size at byte ${offset}`);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw bad('it ends in the middle of an entry (truncated)');
    const data = tar.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = cString(data);
      continue;
    }
    if (type === 'x') {
      paxPath = paxRecords(data).get('path') ?? paxPath;
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing Mooring needs
    const prefix = cString(header.subarray(345, 500));
    const ustarName = cString(header.subarray(0, 100));
    const isUstar = header.subarray(257, 262).toString('latin1') === 'ustar';
    const name = paxPath ?? longName ?? (isUstar && prefix ? `${prefix}/${ustarName}` : ustarName);
    paxPath = undefined;
    longName = undefined;

    if (++entries > limits.maxEntries)
      throw new UserError(`${label} has more than ${limits.maxEntries} entries: refused`);
    const rel = safeRelative(name);
    if (rel === undefined) throw new UserError(`${label} holds a path outside the chart: "${name}"`);
    if (type === '5') continue;
    if (type === '1' || type === '2')
      throw new UserError(`${label} holds a link ("${name}"): charts must not contain links`);
    if (type !== '0' && type !== '\0' && type !== '7') {
      throw new UserError(`${label} holds "${name}", which is neither a file nor a directory`);
    }
    if (rel !== '') files.set(rel, data);
  }
  throw bad('it has no end-of-archive marker (truncated)');
}

/** Writes files under dest (which must exist); every path was checked by readTar. */
export async function writeFiles(dest: string, files: ArchiveFiles): Promise<void> {
  for (const [rel, data] of files) {
    const file = path.join(dest, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data, { mode: 0o644, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      await writeFile(file, data, { mode: 0o644 }); // a later entry of the same path wins, as with tar
    });
  }
}

/** The normalized relative form of an archive path, or undefined when it would leave the archive. */
export function safeRelative(name: string): string | undefined {
  if (name.startsWith('/') || name.includes('\\') || name.includes('\0')) return undefined;
  const norm = path.posix.normalize(name).replace(/\/+$/, '');
  if (norm === '.' || norm === '') return '';
  if (norm === '..' || norm.startsWith('../')) return undefined;
  return norm;
}

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(cString(header.subarray(148, 156)).trim() || 'x', 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === stored;
}

function readSize(field: Buffer): number | undefined {
  if (field[0]! & 0x80) {
    // base-256, for entries over 8 GiB: far beyond any cap, but read it to refuse it cleanly
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = cString(field).trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

function paxRecords(data: Buffer): Map<string, string> {
  // Each record is "<length> <key>=<value>\n", the length counted in bytes.
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) break;
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

function mib(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
