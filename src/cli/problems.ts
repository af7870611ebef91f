/**
 * Bad input the CLI skipped: a malformed line, a row of an unknown type, an unreachable endpoint.
 * Each is reported as `source:line: message` (the moment it is found, so a long read shows
 * progress), at most `perSource` times per source; past that only counted, and the count printed
 * once at the end. Memory stays bounded however broken the input is.
 */

export interface Problem {
  /** File path or URL. */
  source: string;
  /** 1-based line number, when the problem is on a line. */
  line?: number;
  message: string;
}

export class Problems {
  /** The problems reported (bounded: at most `perSource` per source). */
  readonly list: Problem[] = [];
  private readonly perSourceCount = new Map<string, number>();

  constructor(
    private readonly onProblem: (text: string) => void = () => undefined,
    private readonly perSource = 10
  ) {}

  add(source: string, line: number | undefined, message: string): void {
    const count = (this.perSourceCount.get(source) ?? 0) + 1;
    this.perSourceCount.set(source, count);
    if (count > this.perSource) return;
    const problem: Problem = line === undefined ? { source, message } : { source, line, message };
    this.list.push(problem);
    this.onProblem(formatProblem(problem));
  }

  /** Problems found in `source` so far, reported or not. */
  countFor(source: string): number {
    return this.perSourceCount.get(source) ?? 0;
  }

  get total(): number {
    let total = 0;
    for (const count of this.perSourceCount.values()) total += count;
    return total;
  }

  /** One line per source with problems that were counted but not printed. */
  suppressed(): string[] {
    const lines: string[] = [];
    for (const [source, count] of this.perSourceCount) {
      if (count > this.perSource) lines.push(`${source}: ${count - this.perSource} more problems not shown (${count} in all)`);
    }
    return lines;
  }
}

export function formatProblem(problem: Problem): string {
  return problem.line === undefined ? `${problem.source}: ${problem.message}` : `${problem.source}:${problem.line}: ${problem.message}`;
}
