/** The built @rvfjs/types, with a message that says what to do when it is not built. */
export async function loadTypes() {
  try {
    return await import('@rvfjs/types');
  } catch (cause) {
    throw new Error(
      'cannot import @rvfjs/types: build it first (`pnpm build` at the repository root, or `pnpm --filter @rvfjs/types build`)',
      { cause },
    );
  }
}
