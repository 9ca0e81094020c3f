// Test support (no test framework here, so it also builds cleanly): the YAML fixtures in ./testdata.
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { HealthStatus, HealthStatusCode, KubeObject } from '../core/index.js';

const TESTDATA = new URL('./testdata/', import.meta.url);

/** One expectation: fixture name (testdata/<name>.yaml), status (undefined: no health), exact message. */
export type Expectation = [fixture: string, status: HealthStatusCode | undefined, message?: string];

/** The object in testdata/<name>.yaml. */
export function loadFixture(name: string): KubeObject {
  return parse(readFileSync(new URL(`${name}.yaml`, TESTDATA), 'utf8')) as KubeObject;
}

/** The names of every fixture in testdata, without the .yaml suffix. */
export function fixtureNames(): string[] {
  return readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** The exact HealthStatus an expectation stands for: an absent message must be absent. */
export function expectedHealth(
  status: HealthStatusCode | undefined,
  message?: string,
): HealthStatus | undefined {
  if (status === undefined) return undefined;
  return message === undefined ? { status } : { status, message };
}
