import { METRICS } from '@rvfjs/types';
import { type Command, Option } from 'commander';
import { type CommandOutcome, printOutcome } from './command-outcome.js';
import { branchCommand } from './commands/branch.js';
import { compactCommand } from './commands/compact.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { freezeCommand } from './commands/freeze.js';
import { ingestCommand } from './commands/ingest.js';
import { inspectCommand } from './commands/inspect.js';
import {
  nsBranchCommand,
  nsCheckoutCommand,
  nsCompactCommand,
  nsCopyCommand,
  nsDeleteCommand,
  nsListCommand,
} from './commands/namespace.js';
import { publishCommand } from './commands/publish.js';
import { queryCommand } from './commands/query.js';
import { segmentsCommand } from './commands/segments.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { printError } from './error-report.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { INPUT_FORMATS } from './input/input-format.js';
import { nonNegativeInteger, positiveInteger, u64 } from './number-options.js';
import { finishProgress } from './progress.js';

/**
 * Wraps a command: prints its outcome (a table or `--json`) and sets the exit code; a
 * failure prints its code on stderr and exits 1 (usage), 2 (store or data) or 3 (integrity).
 */
function action<A extends unknown[]>(fn: (...args: A) => Promise<CommandOutcome>) {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const json = command.opts().json === true;
    let outcome: CommandOutcome;
    try {
      outcome = await fn(...args);
    } catch (e) {
      finishProgress();
      printError(e, json);
      process.exitCode = exitCodeFor(e);
      return;
    }
    finishProgress();
    printOutcome(outcome, json);
    process.exitCode = outcome.exitCode ?? ExitCode.Ok;
  };
}

const progressOptions = (c: Command) =>
  c
    .option('--progress', 'show progress bars on stderr even when it is not a terminal')
    .option('--no-progress', 'never show progress bars');

const lenientFilterOption = (c: Command) =>
  c.option(
    '--lenient-filter',
    'let a filter name a field the store does not have, or compare a field with a value of another type (no matches instead of an error)',
  );

/** Every command, on `program` (the caller sets up error handling and output first). */
export function addCommands(program: Command): void {
  program
    .command('create <path>')
    .description('create a new store')
    .requiredOption('-d, --dim <n>', 'vector dimension', positiveInteger)
    .addOption(new Option('-m, --metric <metric>', 'distance metric').choices(METRICS).default('l2'))
    .option('--profile <n>', 'profile byte (0..3)', nonNegativeInteger)
    .option('--m <n>', 'HNSW M', positiveInteger)
    .option('--ef-construction <n>', 'HNSW efConstruction', positiveInteger)
    .action(action((path: string, o) => createCommand(path, o)));

  progressOptions(
    program
      .command('ingest <path> <input>')
      .description(
        'ingest records from a file, or - for stdin: NDJSON, JSON array, CSV, TSV, .npy or Parquet',
      )
      .addOption(
        new Option(
          '--format <format>',
          'input format (default: from the extension or the first bytes)',
        ).choices(INPUT_FORMATS),
      )
      .option('--id-column <name>', "the field holding each record's id (default: id)")
      .option('--first-id <n>', 'number the records from n instead of reading ids (.npy: default 0)', u64)
      .option('--vector-column <name>', 'the field holding the whole vector (default: vector)')
      .option(
        '--vector-columns <list>',
        'one field per component: comma-separated names, or prefix* for every field with that prefix',
      )
      .option(
        '--metadata-columns <list>',
        'comma-separated fields to keep as metadata (default: the metadata object, else every other field)',
      )
      .option('--no-metadata', 'ingest no metadata')
      .option('--delimiter <char>', 'CSV/TSV field separator (default , for csv, a tab for tsv)')
      .option('--batch <n>', 'records per commit', positiveInteger, 10000)
      .option('--defer-index', 'do not finish the HNSW graph at close (a later writer builds it)'),
  ).action(action((path: string, input: string, o) => ingestCommand(path, input, o)));

  lenientFilterOption(
    program
      .command('query <path>')
      .description('k nearest neighbours, optionally filtered')
      .requiredOption('-v, --vector <vector>', 'query vector: a JSON array or comma-separated numbers')
      .option('-k <n>', 'number of results', positiveInteger, 10)
      .option(
        '-f, --filter <json>',
        'filter (the library dialect, e.g. {"op":"eq","field":"genre","value":"jazz"})',
      )
      .option('--ef <n>', 'HNSW efSearch', positiveInteger)
      .addOption(new Option('--plan <plan>', 'query plan').choices(['auto', 'exact', 'hnsw'])),
  ).action(action((path: string, o) => queryCommand(path, o)));

  progressOptions(
    lenientFilterOption(
      program
        .command('delete <path>')
        .description('delete by ids or by filter')
        .option('--ids <list>', 'comma-separated ids')
        .option('-f, --filter <json>', 'filter: delete every visible vector that matches'),
    ),
  ).action(action((path: string, o) => deleteCommand(path, o)));

  progressOptions(
    program
      .command('compact <path>')
      .description('rewrite the file with live vectors only')
      .option('--force', 'compact even if branch children are pinned to this file'),
  ).action(action((path: string, o) => compactCommand(path, o)));

  progressOptions(program.command('freeze <path>').description('make the store a read-only snapshot')).action(
    action((path: string, o) => freezeCommand(path, o)),
  );

  program
    .command('status <path>')
    .description('status, lineage and branch statistics')
    .action(action((path: string) => statusCommand(path)));

  program
    .command('segments <path>')
    .description("the latest manifest's directory")
    .action(action((path: string) => segmentsCommand(path)));

  progressOptions(
    program
      .command('inspect <path>')
      .description('walk every segment in the file, decoded; exit 3 if damaged'),
  ).action(action((path: string, o) => inspectCommand(path, o)));

  progressOptions(
    program
      .command('verify <path>')
      .description("check every committed segment's hash and the witness chain; exit 3 if damaged"),
  ).action(action((path: string, o) => verifyCommand(path, o)));

  progressOptions(program.command('branch <path> <child>').description('copy-on-write branch')).action(
    action((path: string, child: string, o) => branchCommand(path, child, o)),
  );

  progressOptions(
    program
      .command('export <path> [output]')
      .description('NDJSON of every visible vector (stdout or a file)'),
  ).action(action((path: string, output: string | undefined, o) => exportCommand(path, output, o)));

  program
    .command('publish <local> <namespace>')
    .description(
      'publish a local store as the next version of a namespace in object storage (s3://bucket[/prefix]/name); uploads only what was appended since the latest version',
    )
    .option('--keep-versions <n>', 'keep only the newest n versions', positiveInteger)
    .action(action((local: string, target: string, o) => publishCommand(local, target, o)));

  const ns = program
    .command('ns')
    .description(
      'namespaces in object storage: s3://bucket[/prefix]/name[@version] (query, status and export read them like files)',
    );
  ns.command('branch <src> <dst>')
    .description(
      'a new namespace from src (at @version, else its latest): writes only a manifest, records lineage',
    )
    .action(action((src: string, dst: string) => nsBranchCommand(src, dst)));
  ns.command('copy <src> <dst>')
    .description(
      'a new namespace with every version of src, no lineage: a new manifest, or new objects with --deep',
    )
    .option('--deep', 'duplicate every object instead of sharing them')
    .action(action((src: string, dst: string, o) => nsCopyCommand(src, dst, o)));
  progressOptions(
    ns
      .command('export <namespace> [output]')
      .description('NDJSON of one version (the latest unless @version), to a file or stdout'),
  ).action(action((target: string, output: string | undefined, o) => exportCommand(target, output, o)));
  ns.command('delete <namespace>')
    .description('delete a namespace; objects go when nothing else references them')
    .action(action((target: string) => nsDeleteCommand(target)));
  ns.command('compact <namespace>')
    .description('compact the latest version into a new one (only this namespace’s references change)')
    .action(action((target: string) => nsCompactCommand(target)));
  ns.command('checkout <namespace> <local>')
    .description('download a version into a new local file, to change and publish again')
    .action(action((target: string, local: string) => nsCheckoutCommand(target, local)));
  ns.command('list <root>')
    .description('the namespaces under s3://bucket[/prefix]')
    .action(action((root: string) => nsListCommand(root)));

  program
    .command('demo [dir]')
    .description(
      'create, ingest, filtered query, branch, reopen: the whole story (dir is created; default: a temporary folder, removed after)',
    )
    .option('--count <n>', 'vectors', positiveInteger, 20000)
    .option('--dim <n>', 'dimension', positiveInteger, 64)
    .action(action((dir: string | undefined, o) => demoCommand(dir, o)));

  // Every command that runs (`ns` itself only groups its subcommands) takes --json.
  const withJson = (c: Command): void => {
    if (c.commands.length > 0) c.commands.forEach(withJson);
    else c.option('--json', 'print the result as JSON (errors too, on stderr)');
  };
  program.commands.forEach(withJson);
}
