/** Command-line options of `ck-agent paths` (docs/paths-cli.md). */
import type { SortKey } from './tree';

export interface PathsOptions {
  /** LOGGING files / folders and Prometheus scrape URLs. */
  from: string[];
  /** Prometheus server base URLs (fleet mode, `/api/v1/query`). */
  prometheus: string[];
  /** Range of rate() for the fleet percentiles, a PromQL duration. */
  window: string;
  json: boolean;
  html: string | undefined;
  sort: SortKey;
  minCalls: number;
  services: string[];
  help: boolean;
}

export class UsageError extends Error {}

const SORTS: readonly SortKey[] = ['calls', 'p99', 'errors'];

const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

export const USAGE = `Usage: ck-agent paths --from <file|folder|http://host:9464/metrics> ... [options]
       ck-agent paths --prometheus http://host:9090 [--window 15m] [options]

Shows the graph paths of one or more services as a tree per request path, joined across services
by parent key: service, element, calls, errors (and %), p50/p99, slowest and most failing hops marked.

Sources (at least one):
  --from <source> ...      LOGGING metric files (rotated .gz files too), folders of them, and
                           Prometheus scrape endpoints of ck-agent (http://host:9464/metrics).
                           Several values may follow one --from; --from may be repeated.
  --prometheus <url>       a Prometheus server that scrapes the fleet (HTTP API /api/v1/query):
                           calls and errors summed over instances, p50/p99 from the merged
                           histograms, instances per service
  --window <duration>      range of rate() for the fleet's p50/p99 (default 15m)

Output:
  --json                   the joined trees as JSON (for scripts) instead of the text view
  --html <file>            also write a self-contained HTML picture of the service graph
  --sort p99|calls|errors  order of paths and of hops under a hop (default calls)
  --min-calls <n>          hide series with fewer calls (and what hangs below them)
  --service <name>         only trees that pass through this service (may be repeated)
  -h, --help               this text

Bad lines and unreachable sources are reported on stderr (file:line) and skipped.
Exit code 0 when something could be read, 1 when nothing could, 2 for a usage error.
`;

export function parsePathsArgs(argv: readonly string[]): PathsOptions {
  const options: PathsOptions = {
    from: [],
    prometheus: [],
    window: '15m',
    json: false,
    html: undefined,
    sort: 'calls',
    minCalls: 0,
    services: [],
    help: false,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = (): string => (inline !== undefined ? inline : value(++i, arg));
    switch (arg) {
      case '--from': {
        if (inline !== undefined) {
          options.from.push(inline);
          break;
        }
        const start = i;
        while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options.from.push(argv[++i]);
        if (i === start) throw new UsageError('--from needs at least one file, folder or URL');
        break;
      }
      case '--prometheus':
        options.prometheus.push(take());
        break;
      case '--window': {
        const w = take();
        if (!DURATION.test(w)) throw new UsageError(`--window ${w}: expected a Prometheus duration such as 30s, 15m, 1h`);
        options.window = w;
        break;
      }
      case '--json':
        options.json = true;
        break;
      case '--html':
        options.html = take();
        break;
      case '--sort': {
        const s = take();
        if (!SORTS.includes(s as SortKey)) throw new UsageError(`--sort ${s}: expected one of ${SORTS.join(', ')}`);
        options.sort = s as SortKey;
        break;
      }
      case '--min-calls': {
        const raw = take();
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--min-calls ${raw}: expected a whole number >= 0`);
        options.minCalls = n;
        break;
      }
      case '--service':
        options.services.push(take());
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument ${arg} (sources go after --from)`);
    }
  }
  if (!options.help && options.from.length === 0 && options.prometheus.length === 0) {
    throw new UsageError('give at least one source: --from <file|folder|url> or --prometheus <url>');
  }
  return options;
}
