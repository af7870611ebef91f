'use strict';
/** Command-line options of the bench scripts: `--name=value` options and bare positionals. */
const argv = process.argv.slice(2);

/** The value of `--name=value` as a string, or `dflt` when absent. */
function opt(name, dflt) {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
}

/** Arguments that are not `--` options (e.g. scenario names). */
const positionals = argv.filter((a) => !a.startsWith('--'));

module.exports = { opt, positionals };
