import { CliError, EXIT } from '../cli-error.js';

/** Reads a secret from the terminal without echoing it (raw mode); Ctrl-C exits 130, Ctrl-D ends. */
export function promptSecret(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    output.write(question);
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new CliError('interrupted', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Reads all of stdin (--password-stdin), without its final newline. */
export async function readStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) text += chunk;
  return text.replace(/\r?\n$/, '');
}

/** The password of `mooring login`: the flag, stdin, or a prompt on a terminal; usage error otherwise. */
export async function passwordFrom(opts: {
  password?: string;
  stdin?: boolean;
  username: string;
}): Promise<string> {
  if (opts.password !== undefined && opts.stdin)
    throw new CliError('use either --password or --password-stdin, not both', EXIT.usage);
  if (opts.password !== undefined) return opts.password;
  if (opts.stdin) return readStdin();
  if (!process.stdin.isTTY)
    throw new CliError(
      'no password: pass --password-stdin (e.g. from a secret) or run on a terminal to be asked',
      EXIT.usage,
    );
  return promptSecret(`Password for ${opts.username}: `);
}
