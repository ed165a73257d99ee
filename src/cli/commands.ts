/** Every command, registered in the order `grokbench --help` lists them. One import + one line each. */
import type { Command } from 'commander';
import * as demo from './demo.js';
import * as train from './train.js';
import * as runs from './runs.js';
import * as analyze from './analyze.js';
import * as coarseness from './coarseness.js';
import * as importCmd from './import.js';
import * as exportCmd from './export.js';
import * as sweep from './sweep.js';
import * as collect from './collect.js';
import * as report from './report.js';
import * as figure from './figure.js';
import * as serve from './serve.js';
import * as ablate from './ablate.js';
import * as interventionCheck from './intervention-check.js';
import * as outcome from './outcome.js';
import * as viability from './viability.js';
import * as artifact from './artifact.js';
import * as record from './record.js';
import * as verify from './verify.js';
import * as repair from './repair.js';

export function registerCommands(program: Command): void {
  demo.register(program);
  train.register(program);
  sweep.register(program);
  collect.register(program);
  analyze.register(program);
  runs.register(program);
  outcome.register(program);
  record.register(program);
  verify.register(program);
  repair.register(program);
  importCmd.register(program);
  exportCmd.register(program);
  coarseness.register(program);
  report.register(program);
  figure.register(program);
  serve.register(program);
  ablate.register(program);
  interventionCheck.register(program);
  viability.register(program);
  artifact.register(program);
}
