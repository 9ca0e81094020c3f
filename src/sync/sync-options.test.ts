import { describe, expect, it } from 'vitest';
import { deletionAllowed, mergeSyncOptions, parseSyncOptions, resourceSyncOptions } from './sync-options.js';
import { obj } from './testkit.js';

describe('parseSyncOptions', () => {
  it('reads every option Argo CD documents', () => {
    const { options, warnings } = parseSyncOptions([
      'CreateNamespace=true',
      'ApplyOutOfSyncOnly=true',
      'ServerSideApply=true',
      'Replace=true',
      'Force=true',
      'Validate=false',
      'SkipDryRunOnMissingResource=true',
      'FailOnSharedResource=true',
      'RespectIgnoreDifferences=true',
      'PruneLast=true',
      'PrunePropagationPolicy=background',
      'Prune=false',
      'Delete=false',
    ]);
    expect(warnings).toEqual([]);
    expect(options).toEqual({
      createNamespace: true,
      applyOutOfSyncOnly: true,
      serverSideApply: true,
      replace: true,
      force: true,
      validate: false,
      skipDryRunOnMissingResource: true,
      failOnSharedResource: true,
      respectIgnoreDifferences: true,
      pruneLast: true,
      prunePropagationPolicy: 'background',
      prune: false,
      delete: false,
    });
  });

  it('reads the annotation form: comma separated, spaces trimmed', () => {
    expect(parseSyncOptions(' Prune=false , ServerSideApply=true,').options).toEqual({
      prune: false,
      serverSideApply: true,
    });
  });

  it('turns unknown names and bad values into warnings, never errors', () => {
    const { options, warnings } = parseSyncOptions(
      ['Frobnicate=true', 'Prune=maybe', 'PrunePropagationPolicy=sideways', 'CreateNamespace'],
      'syncOptions',
    );
    expect(options).toEqual({});
    expect(warnings).toEqual([
      'syncOptions: unknown sync option "Frobnicate=true" ignored',
      'syncOptions: sync option "Prune=maybe" ignored: Prune takes true or false',
      'syncOptions: invalid PrunePropagationPolicy "sideways": use foreground, background or orphan',
      'syncOptions: sync option "CreateNamespace" ignored: CreateNamespace takes true or false',
    ]);
  });

  it('treats Prune=confirm and Delete=confirm as false, and says so', () => {
    const { options, warnings } = parseSyncOptions('Prune=confirm,Delete=confirm', 'Namespace critical');
    expect(options).toEqual({ prune: false, delete: false });
    expect(warnings).toEqual([
      'Namespace critical: Prune=confirm is not supported; treated as Prune=false (the object is kept)',
      'Namespace critical: Delete=confirm is not supported; treated as Delete=false (the object is kept)',
    ]);
  });
});

describe('resource options', () => {
  it('reads the annotation, names the object in warnings, and wins over app options', () => {
    const cm = obj('v1', 'ConfigMap', 'cfg', { syncOptions: 'Prune=false,ServerSideApply=false,Nope=1' });
    const own = resourceSyncOptions(cm);
    expect(own.warnings).toEqual(['ConfigMap prod/cfg: unknown sync option "Nope=1" ignored']);
    const app = parseSyncOptions(['ServerSideApply=true', 'PruneLast=true']).options;
    expect(mergeSyncOptions(app, own.options)).toEqual({
      serverSideApply: false,
      pruneLast: true,
      prune: false,
    });
  });
});

describe('deletionAllowed', () => {
  it('keeps objects with Delete=false, from their annotation over the app setting', () => {
    const plain = obj('v1', 'ConfigMap', 'a');
    const kept = obj('v1', 'PersistentVolumeClaim', 'data', { syncOptions: 'Delete=false' });
    const released = obj('v1', 'ConfigMap', 'b', { syncOptions: 'Delete=true' });
    expect([plain, kept, released].map((o) => deletionAllowed(o, undefined))).toEqual([true, false, true]);
    expect([plain, kept, released].map((o) => deletionAllowed(o, ['Delete=false']))).toEqual([
      false,
      false,
      true,
    ]);
  });
});
