import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { describe } from '../image/entries.js';
import { PUSH_ATTEMPTS } from '../image/git.js';
import { imageSet, type ImageSetResult } from '../image/set.js';
import { parseOutput, printData, type Out } from '../output.js';

/** `mooring image set`: kustomize edit set image without kustomize, plus the seed's commit and push. */
const imageSetCommand: Command = {
  name: 'image set',
  summary:
    "Set image tags, digests or names in a kustomization (as 'kustomize edit set image'), then commit and push",
  usage: 'DIR IMAGE...',
  options: {
    commit: { type: 'boolean', help: 'commit the change in the git repository holding DIR' },
    push: {
      type: 'boolean',
      help: `commit and push to the branch's upstream; rebase and retry when someone pushed first (${PUSH_ATTEMPTS} pushes at most)`,
    },
    message: {
      type: 'string',
      short: 'm',
      help: 'commit message (default "Deploy IMAGE...")',
      valueName: 'TEXT',
    },
    author: {
      type: 'string',
      help: 'commit author (default $GIT_AUTHOR_NAME/$GIT_AUTHOR_EMAIL, else git config user.name/user.email)',
      valueName: '"NAME <EMAIL>"',
    },
    output: { type: 'string', short: 'o', help: 'json or yaml', valueName: 'FORMAT' },
  },
  examples: [
    '# IMAGE is NAME:TAG, NAME@DIGEST, NAME:TAG@DIGEST, or NAME=NEWNAME[:TAG][@DIGEST]; NAME is the',
    "# entry's name: key. As in kustomize, the entry becomes what IMAGE says: NAME:TAG drops a newName",
    '# or digest it had. * keeps a current value: NAME=*:TAG changes the tag and keeps newName.',
    'mooring image set overlays/production registry.example.com/myapp:3f2c1a9',
    'mooring image set overlays/production registry.example.com/myapp@sha256:<64 hex digits>',
    'mooring image set overlays/staging myapp=registry.example.com/myapp:v1.5.0 postgres=*:16.3',
    '# CI: commit and push to the config repo, as the GitOps flow expects',
    'mooring image set overlays/production registry.example.com/myapp:$GITHUB_SHA --commit --push',
    'mooring image set overlays/production myapp:v2 --commit -m "Promote myapp v2" --author "CI Bot <ci@example.com>"',
  ],
  run: async (ctx) => {
    const [dir, ...images] = ctx.positionals;
    if (!dir || images.length === 0)
      throw usageError(
        `mooring image set takes a directory and at least one image (DIR IMAGE...), got ${ctx.positionals.length} argument${ctx.positionals.length === 1 ? '' : 's'}. Run 'mooring image set --help'.`,
      );
    const format = parseOutput(ctx.values.output as string | undefined, ['table', 'json', 'yaml']);
    const commit = Boolean(ctx.values.commit);
    const push = Boolean(ctx.values.push);
    for (const flag of ['message', 'author'])
      if (ctx.values[flag] !== undefined && !commit && !push)
        throw usageError(`--${flag} is for the commit: add --commit or --push`);

    const result = await imageSet({
      dir,
      images,
      commit,
      push,
      message: ctx.values.message as string | undefined,
      author: ctx.values.author as string | undefined,
      onRetry: (n) =>
        ctx.err.write(
          `push rejected (someone pushed first): fetching and rebasing, attempt ${n + 1} of ${PUSH_ATTEMPTS}\n`,
        ),
    });
    if (format === 'json' || format === 'yaml') printData(toData(result), format, ctx.out);
    else print(result, ctx.out);
    return 0;
  },
};

/** The result for -o json/yaml: absent things are null, so scripts can test them. */
function toData(r: ImageSetResult): unknown {
  return {
    file: r.file,
    changed: r.changed,
    images: r.images.map((c) => ({
      name: c.name,
      changed: c.changed,
      before: c.before ?? null,
      after: c.after,
    })),
    commit: r.commit ?? null,
    push: r.push ?? null,
  };
}

/** One line per image (`file: name before → after`), then the commit and the push. */
function print(r: ImageSetResult, out: Out): void {
  if (!r.changed) {
    const now = r.images.map((c) => `${c.name} is already ${describe(c.after)}`).join(', ');
    out.write(`${r.file}: nothing to change (${now})\n`);
    return;
  }
  for (const c of r.images)
    out.write(
      c.changed
        ? `${r.file}: ${c.name} ${describe(c.before)} → ${describe(c.after)}\n`
        : `${r.file}: ${c.name} unchanged (${describe(c.after)})\n`,
    );
  if (r.commit)
    out.write(`committed ${r.commit.sha.slice(0, 7)} "${r.commit.message}" as ${r.commit.author}\n`);
  if (r.push) {
    const retries = r.push.attempts - 1;
    out.write(
      `pushed to ${r.push.remote}/${r.push.branch}${retries ? ` (rebased over others' pushes ${retries} time${retries === 1 ? '' : 's'})` : ''}\n`,
    );
  }
}

/** `mooring image …` commands. */
export const imageCommands: Command[] = [imageSetCommand];
