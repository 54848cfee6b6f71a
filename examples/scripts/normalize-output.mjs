/**
 * What changes from one run of an example to the next, replaced by placeholders so the output
 * can be compared with the checked-in one: timings, the work folder, and file ids (which hash
 * the path and the clock). Ids are numbered by first appearance, so "the child's parent id is
 * the parent's file id" still shows in the normalised text.
 */
export function normalizeOutput(text, workDir) {
  const ids = new Map();
  let out = workDir ? text.split(workDir).join('<dir>') : text;
  out = out.replace(/\b[0-9a-f]{32}\b/g, (id) => {
    if (!ids.has(id)) ids.set(id, `<file-id-${ids.size + 1}>`);
    return ids.get(id);
  });
  return out.replace(/\b\d+(\.\d+)? ms\b/g, '<t> ms');
}
