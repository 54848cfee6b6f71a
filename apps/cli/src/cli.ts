import { RvfError } from '@rvfjs/types';
import { Command } from 'commander';
import { commands } from './commands.js';
import { runDemo } from './demo.js';
import { toJson } from './json.js';

const program = new Command('rvf')
  .description('Create, query, branch and inspect RVF vector stores')
  .version('0.1.0');

/** Prints a command's result as JSON; RvfErrors become one line on stderr and exit code 2. */
const run =
  <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) =>
  async (...args: A) => {
    try {
      const result = await fn(...args);
      if (result !== undefined) process.stdout.write(`${toJson(result)}\n`);
    } catch (e) {
      if (e instanceof RvfError) {
        process.stderr.write(`rvf: ${e.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`rvf: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    }
  };

program
  .command('create <path>')
  .description('create a new store')
  .requiredOption('-d, --dim <n>', 'vector dimension')
  .option('-m, --metric <metric>', 'l2 | cosine | inner_product', 'l2')
  .option('--profile <n>', 'profile byte (0..3)')
  .option('--m <n>', 'HNSW M')
  .option('--ef-construction <n>', 'HNSW efConstruction')
  .action(run((path: string, o) => commands.create(path, o)));

program
  .command('ingest <path> <ndjson>')
  .description('ingest NDJSON records {id, vector, metadata?} from a file or - for stdin')
  .option('--batch <n>', 'records per commit', '10000')
  .option('--defer-index', 'do not finish the HNSW graph at close (a later writer builds it)')
  .option('--progress', 'show the graph build progress bar on stderr even when it is not a terminal')
  .action(run((path: string, input: string, o) => commands.ingest(path, input, o)));

program
  .command('query <path>')
  .description('k nearest neighbours, optionally filtered')
  .requiredOption('-v, --vector <json>', 'query vector as a JSON array')
  .option('-k <n>', 'number of results', '10')
  .option(
    '-f, --filter <json>',
    'filter (the library dialect, e.g. {"op":"eq","field":"genre","value":"jazz"})',
  )
  .option('--ef <n>', 'HNSW efSearch')
  .action(run((path: string, o) => commands.query(path, o)));

program
  .command('delete <path>')
  .description('delete by ids or by filter')
  .option('--ids <list>', 'comma-separated ids')
  .option('-f, --filter <json>', 'filter')
  .action(run((path: string, o) => commands.delete(path, o)));

program
  .command('compact <path>')
  .description('rewrite the file with live vectors only')
  .option('--force', 'compact even if branch children are pinned to this file')
  .action(run((path: string, o) => commands.compact(path, o)));
program
  .command('freeze <path>')
  .description('make the store a read-only snapshot')
  .action(run(commands.freeze));
program
  .command('status <path>')
  .description('status, lineage and branch statistics')
  .action(run(commands.status));
program
  .command('segments <path>')
  .description("the latest manifest's directory")
  .action(run(commands.segments));
program
  .command('inspect <path>')
  .description('walk every segment in the file, decoded')
  .action(run(commands.inspect));
program.command('verify <path>').description('verify the witness chain').action(run(commands.verify));
program.command('branch <path> <child>').description('copy-on-write branch').action(run(commands.branch));
program
  .command('export <path> [output]')
  .description('NDJSON of every visible vector (stdout or a file)')
  .action(run((path: string, output: string | undefined) => commands.export(path, output)));
program
  .command('demo [dir]')
  .description('create, ingest, filtered query, branch, reopen: the whole story')
  .option('--count <n>', 'vectors', '20000')
  .option('--dim <n>', 'dimension', '64')
  .action(
    run(async (dir: string | undefined, o: { count: string; dim: string }) => {
      await runDemo({ ...(dir ? { dir } : {}), count: Number(o.count), dimension: Number(o.dim) });
      return undefined;
    }),
  );

await program.parseAsync(process.argv);
