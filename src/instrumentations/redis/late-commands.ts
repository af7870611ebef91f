/**
 * node-redis 4 loaded before enable() (hooking; docs/load-order.md). `@redis/client` 1.x defines
 * `RedisClient.prototype.get`, `.set`, ... once, while its client module loads, through
 * `attachCommands`, the function upstream wraps to trace them. When the app loaded redis before
 * the agent, the load-order routine patches the files afterwards: `sendCommand`, `multi` and
 * `connect` are then traced, but the named commands stay bound to the unwrapped `attachCommands`.
 * This patch, outside upstream's on `commander.js`, runs `attachCommands` (now upstream's wrapper)
 * again for a client class that finished loading, exactly as the module itself does at load time.
 * On a normal start (redis loaded after enable) the client module is still loading when
 * commander.js is patched, and nothing is done.
 */
import * as path from 'node:path';
import type { ModulePatch } from '../upstream';

interface CommanderExports {
  attachCommands?: (config: { BaseClass: unknown; commands: unknown; executor: unknown }) => void;
}

interface ClientClass {
  name: string;
  prototype: { commandsExecutor?: unknown };
}

/** The file a loaded module's exports belong to (once per enable, only for this one module). */
function fileOf(exports: unknown): string | undefined {
  for (const [file, module] of Object.entries(require.cache)) {
    if (module?.exports === exports) return file;
  }
  return undefined;
}

function reattachLoadedClientCommands(commander: unknown): void {
  const attachCommands = (commander as CommanderExports | undefined)?.attachCommands;
  const commanderFile = typeof attachCommands === 'function' ? fileOf(commander) : undefined;
  if (!attachCommands || !commanderFile) return;
  const dir = path.dirname(commanderFile);
  const client = require.cache[path.join(dir, 'client', 'index.js')];
  const commands = require.cache[path.join(dir, 'client', 'commands.js')];
  if (!client?.loaded || !commands?.loaded) return;
  const RedisClient = (client.exports as { default?: ClientClass }).default;
  const executor = RedisClient?.prototype.commandsExecutor;
  const table = (commands.exports as { default?: unknown }).default;
  if (RedisClient?.name !== 'RedisClient' || typeof executor !== 'function' || !table) return;
  attachCommands({ BaseClass: RedisClient, commands: table, executor });
}

/** Only `@redis/client` 1.x has this shape (4.1 and later; 5.x sends every command through sendCommand). */
export const LATE_COMMANDS_PATCH: ModulePatch = {
  module: '@redis/client',
  file: '@redis/client/dist/lib/commander.js',
  position: 'outside',
  apply: reattachLoadedClientCommands,
  remove() {
    // The re-attached commands stay; upstream's tracing passes through while disabled (patches.ts).
  },
};
