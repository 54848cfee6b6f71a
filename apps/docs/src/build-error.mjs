/** A build that found problems in the content: every problem is listed, nothing is published. */
export class BuildError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
    super(`docs build failed with ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    this.name = 'BuildError';
    this.problems = problems;
  }
}
