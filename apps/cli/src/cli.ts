import { Command, CommanderError } from 'commander';
import { printError } from './error-report.js';
import { ExitCode } from './exit-codes.js';
import { addCommands } from './program.js';
import { usageError } from './usage-error.js';

// stderr carries our errors (as JSON under --json): the AWS SDK's notice that its releases
// after January 2027 need Node 22 is about the SDK's future, not about this command, and would
// break that JSON on Node 20. (Set the variable to 'false' to see it.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that closes the pipe early (`rvf query … --json | head`) is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

const program = new Command('rvf')
  .description('Create, query, branch and inspect RVF vector stores')
  .version('0.1.0')
  // Commander's own errors (unknown options, numbers that do not parse) are reported like
  // every other failure: with a code, as JSON under --json, and exit code 1.
  .exitOverride()
  .configureOutput({ outputError: () => undefined });
addCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  if (e.exitCode === 0) {
    // --help and --version
    process.exitCode = ExitCode.Ok;
  } else if (e.code === 'commander.help') {
    // No command at all: the help is on stderr already, and that is the usage error.
    process.exitCode = ExitCode.Usage;
  } else {
    printError(
      usageError('InvalidArgument', `${e.message.replace(/^error: /, '')} (see rvf <command> --help)`),
      process.argv.includes('--json'),
    );
    process.exitCode = ExitCode.Usage;
  }
}
