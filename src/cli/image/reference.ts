// The image arguments of `kustomize edit set image`, parsed as kustomize 5.8 parses them, but
// validated: kustomize writes whatever follows `:` or `@` (an empty tag, `v1 2`, `a:b`), which
// silently deploys the base's image or fails only when the cluster pulls it.
import { usageError } from '../cli-error.js';

/** `*` as a new name, tag or digest keeps the value already in the kustomization (kustomize's rule). */
export const KEEP = '*';

/** One image argument: which `images:` entry (by `name`) to set, and to what. */
export interface ImageSpec {
  /** The argument as given, for messages. */
  arg: string;
  name: string;
  /** Only with the `NAME=NEWNAME…` form; may be KEEP. */
  newName?: string;
  newTag?: string;
  digest?: string;
}

const FORMS =
  'use NAME:TAG, NAME@DIGEST, NAME:TAG@DIGEST, NAME=NEWNAME, NAME=NEWNAME:TAG or NAME=NEWNAME@DIGEST (* as NEWNAME, TAG or DIGEST keeps the current value)';

// The reference grammar of github.com/distribution/reference: an optional registry host (with port,
// or a bracketed IPv6 address) and lowercase path components.
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/**
 * Splits `name[:tag][@digest]` like kustomize's image.Split: the first `:` or `@` after the first `/`
 * ends the name, so a registry port (`localhost:5000/app`) stays in it.
 */
export function splitReference(ref: string): { name: string; tag?: string; digest?: string } {
  const slash = ref.indexOf('/');
  const from = slash > 0 ? slash : 0;
  const at = ref.indexOf('@', from);
  const colon = ref.indexOf(':', from);
  if (colon < 0 && at < 0) return { name: ref };
  if (at >= 0 && (colon < 0 || at < colon)) return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
  if (at >= 0) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1, at), digest: ref.slice(at + 1) };
  return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** Parses one argument of `mooring image set`; a wrong one is a one-line usage error. */
export function parseImageArg(arg: string): ImageSpec {
  const bad = (why: string) => usageError(`invalid image "${arg}": ${why}`);
  const eq = arg.indexOf('=');
  const key = eq >= 0 ? arg.slice(0, eq) : undefined;
  const { name, tag, digest } = splitReference(eq >= 0 ? arg.slice(eq + 1) : arg);
  if (key === undefined && tag === undefined && digest === undefined) throw bad(FORMS);
  const spec: ImageSpec = { arg, name: key ?? name };
  if (key !== undefined) {
    if (key === '') throw bad(`no image name before "=": ${FORMS}`);
    // kustomize would write an entry literally named "*": image names have no wildcards.
    if (key === KEEP)
      throw bad('"*" is not an image name (kustomize has no wildcard images): name each image');
    if (name === '') throw bad(`no new name after "=": ${FORMS}`);
    if (name !== KEEP) checkRepository(name, 'new name', bad);
    spec.newName = name;
  }
  checkRepository(spec.name, 'image name', bad);
  if (tag !== undefined) {
    // kustomize accepts `app:` and writes an entry without newTag: the base's tag would deploy.
    if (tag === '') throw bad('empty tag after ":"');
    if (tag !== KEEP && !TAG.test(tag))
      throw bad(
        `tag "${tag}" is not valid: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
      );
    spec.newTag = tag;
  }
  if (digest !== undefined) {
    if (digest === '') throw bad('empty digest after "@"');
    if (digest !== KEEP) checkDigest(digest, bad);
    spec.digest = digest;
  }
  return spec;
}

function checkRepository(name: string, what: string, bad: (why: string) => Error): void {
  if (!REPOSITORY.test(name))
    throw bad(
      `${what} "${name}" is not a valid image repository: lowercase letters, digits and separators, optionally after a registry host`,
    );
}

function checkDigest(digest: string, bad: (why: string) => Error): void {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  const hex = digest.slice(algorithm.length + 1);
  const length = HEX_LENGTH[algorithm];
  const ok =
    DIGEST.test(digest) && (length === undefined || (hex.length === length && /^[0-9a-f]+$/.test(hex)));
  if (!ok)
    throw bad(
      `digest "${digest}" is not valid: expected ALGORITHM:HEX, such as sha256: followed by 64 lowercase hex digits`,
    );
}

/**
 * Parses every argument; when two name the same image the last wins (as in kustomize, whose `*`
 * then refers to the file's entry, not to the earlier argument).
 */
export function parseImageArgs(args: string[]): ImageSpec[] {
  const byName = new Map<string, ImageSpec>();
  for (const arg of args) {
    const spec = parseImageArg(arg);
    byName.delete(spec.name);
    byName.set(spec.name, spec);
  }
  return [...byName.values()];
}
