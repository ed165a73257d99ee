/** Every command, registered in the order `grokbench --help` lists them. One import + one line each. */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
