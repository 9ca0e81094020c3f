import { describe, expect, it } from 'vitest';
import { parseImageArg, parseImageArgs, splitReference } from './reference.js';

const SHA = 'sha256:' + 'a'.repeat(64);

describe('parseImageArg', () => {
  it.each([
    ['myapp:v1', { name: 'myapp', newTag: 'v1' }],
    ['registry.example.com/myapp:3f2c1a9', { name: 'registry.example.com/myapp', newTag: '3f2c1a9' }],
    ['localhost:5000/team/app:v1', { name: 'localhost:5000/team/app', newTag: 'v1' }],
    ['localhost:5000', { name: 'localhost', newTag: '5000' }],
    [`myapp@${SHA}`, { name: 'myapp', digest: SHA }],
    [`myapp:v1@${SHA}`, { name: 'myapp', newTag: 'v1', digest: SHA }],
    ['mysql=mariadb', { name: 'mysql', newName: 'mariadb' }],
    ['nginx=localhost:5000/my/nginx', { name: 'nginx', newName: 'localhost:5000/my/nginx' }],
    [
      'nginx=localhost:5000/my/nginx:dev-01',
      { name: 'nginx', newName: 'localhost:5000/my/nginx', newTag: 'dev-01' },
    ],
    [`app=reg.example.com/app@${SHA}`, { name: 'app', newName: 'reg.example.com/app', digest: SHA }],
    ['app=*:v2', { name: 'app', newName: '*', newTag: 'v2' }],
    ['app=reg/app:*', { name: 'app', newName: 'reg/app', newTag: '*' }],
    ['app@*', { name: 'app', digest: '*' }],
    ['app=[::1]:5000/app:v1', { name: 'app', newName: '[::1]:5000/app', newTag: 'v1' }],
    ['app:v1.2_3-rc', { name: 'app', newTag: 'v1.2_3-rc' }],
  ])('%s', (arg, want) => {
    expect(parseImageArg(arg)).toEqual({ arg, ...want });
  });

  it.each([
    ['myapp', /invalid image "myapp": use NAME:TAG, NAME@DIGEST/],
    ['myapp:', /empty tag after ":"/],
    ['myapp:-v1', /tag "-v1" is not valid/],
    [`myapp:${'v'.repeat(129)}`, /is not valid: up to 128/],
    ['myapp@sha256:ABC', /digest "sha256:ABC" is not valid/],
    [`myapp@sha512:${'a'.repeat(64)}`, /is not valid/],
    ['myapp@md5', /digest "md5" is not valid/],
    ['My/App:v1', /image name "My\/App" is not a valid image repository/],
    ['app=Other:v1', /new name "Other" is not a valid image repository/],
    ['app=', /no new name after "="/],
    ['=app:v1', /no image name before "="/],
    ['*=app:v1', /"\*" is not an image name/],
    ['app=a=b', /new name "a=b"/],
  ])('refuses %s', (arg, message) => {
    expect(() => parseImageArg(arg)).toThrow(message);
    // One line: it is printed after "mooring: " and nothing else.
    expect(() => parseImageArg(arg)).toThrow(/^[^\n]+$/);
  });

  it('accepts other digest algorithms in the OCI grammar', () => {
    expect(parseImageArg('app@blake3:abcdef').digest).toBe('blake3:abcdef');
  });
});

describe('splitReference (kustomize image.Split)', () => {
  it.each([
    ['a', { name: 'a' }],
    ['a:b', { name: 'a', tag: 'b' }],
    ['host:5000/a', { name: 'host:5000/a' }],
    ['host:5000/a:b@c', { name: 'host:5000/a', tag: 'b', digest: 'c' }],
    ['a@b:c', { name: 'a', digest: 'b:c' }],
  ])('%s', (ref, want) => expect(splitReference(ref)).toEqual(want));
});

describe('parseImageArgs', () => {
  it('keeps the last argument for an image named twice', () => {
    expect(parseImageArgs(['a:v1', 'b:v1', 'a=*:v2']).map((s) => s.arg)).toEqual(['b:v1', 'a=*:v2']);
  });
});
