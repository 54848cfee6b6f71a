/** The example programs (src/<name>.ts), each with its expected output in expected/<name>.txt. */
export const EXAMPLES = ['cow-branching', 'serverless-cold-start', 'namespaces'];
