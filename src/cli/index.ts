/**
 * Programmatic access to `ck-agent paths` (the demo uses it to print the same tree and write the
 * same HTML). Not part of the agent's runtime: `require('ck-agent')` never loads this folder.
 */
export { collectSeries, runPaths, toJson } from './paths';
export type { CollectOptions, Collected, PathsIo } from './paths';
export { Problems, formatProblem } from './problems';
export type { Problem } from './problems';
export { buildForest } from './tree';
export type { PathForest, PathNode, ServiceSummary, SortKey, TreeOptions } from './tree';
export { renderText } from './render-text';
export { renderHtml } from './render-html';
export { describeSources } from './view-meta';
export type { ViewMeta } from './view-meta';
export type { Series } from './series';
