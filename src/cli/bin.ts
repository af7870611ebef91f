#!/usr/bin/env node
/**
 * The `ck-agent` command (package.json `bin`). One command so far: `ck-agent paths`
 * (docs/paths-cli.md). Only node core modules are loaded: the CLI needs no dependency installed
 * beyond the package itself.
 */
import { runPaths } from './paths';
import { USAGE } from './args';
import { packageVersion } from '../version';

// `ck-agent paths ... | head`: the reader went away; stop quietly like other command-line tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'paths') return runPaths(rest);
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(
      `ck-agent ${packageVersion()}\n\nCommands:\n  paths   show graph paths from LOGGING files or Prometheus\n\n${USAGE}`
    );
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`ck-agent: unknown command ${command}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not bad input (bad input is reported and skipped): say so, with the stack.
    process.stderr.write(`ck-agent: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
);
