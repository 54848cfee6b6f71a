/**
 * The CLI reference, generated from the commander definitions the `rvf` command itself uses
 * (`addCommands` of @rvfjs/cli), so every command, argument, option, default and choice on
 * the page is the one the program parses.
 */
import { Command } from 'commander';
import { cell, code } from './markdown-text.mjs';

/** The `rvf` program as the CLI builds it (commands only; nothing is parsed or run). */
export async function loadCliProgram() {
  let cli;
  try {
    cli = await import('@rvfjs/cli/dist/index.js');
  } catch (cause) {
    throw new Error('cannot import @rvfjs/cli: build it first (`pnpm --filter @rvfjs/cli build`)', { cause });
  }
  const program = new Command('rvf').description('Create, query, branch and inspect RVF vector stores');
  cli.addCommands(program);
  return program;
}

const usageOf = (cmd) => ['rvf', cmd.name(), cmd.usage()].filter(Boolean).join(' ');

function argumentsTable(cmd) {
  const args = cmd.registeredArguments ?? [];
  if (!args.length) return '';
  return [
    '| Argument | Required | Description |',
    '|---|---|---|',
    ...args.map(
      (a) =>
        `| ${code(a.name())}${a.variadic ? '…' : ''} | ${a.required ? 'yes' : 'no'} | ${cell(a.description) || '–'} |`,
    ),
  ].join('\n');
}

function optionsTable(cmd) {
  const options = cmd.options.filter((o) => !o.hidden);
  if (!options.length) return '';
  const details = (o) => {
    const parts = [];
    if (o.mandatory) parts.push('required');
    if (o.argChoices) parts.push(`one of ${o.argChoices.map(code).join(', ')}`);
    if (o.defaultValue !== undefined && !o.negate)
      parts.push(`default ${code(JSON.stringify(o.defaultValue))}`);
    return parts.join('; ') || '–';
  };
  return [
    '| Option | Description | Details |',
    '|---|---|---|',
    ...options.map((o) => `| ${code(o.flags)} | ${cell(o.description)} | ${details(o)} |`),
  ].join('\n');
}

function commandSection(cmd, depth) {
  const parts = [
    `${'#'.repeat(depth)} ${cmd.name()}`,
    cell(cmd.description()),
    `\`\`\`sh\n${usageOf(cmd)}\n\`\`\``,
  ];
  const args = argumentsTable(cmd);
  if (args) parts.push(args);
  const opts = optionsTable(cmd);
  if (opts) parts.push(opts);
  for (const sub of cmd.commands) parts.push(commandSection(sub, Math.min(6, depth + 1)));
  return parts.join('\n\n');
}

/** Markdown: a summary table of every command, then one section per command. */
export async function cliReference() {
  const program = await loadCliProgram();
  const commands = program.commands;
  return [
    `${commands.length} commands, generated at build time from the commander definitions in ` +
      '`apps/cli/src/program.ts`. The same text is what `rvf <command> --help` prints.',
    [
      '| Command | What it does |',
      '|---|---|',
      ...commands.map((c) => `| [${c.name()}](#${c.name()}) | ${cell(c.description())} |`),
    ].join('\n'),
    ...commands.map((c) => commandSection(c, 2)),
  ].join('\n\n');
}
