/**
 * Text from code (option descriptions, OpenAPI summaries) made safe to put into a Markdown
 * table cell on a VitePress page: `|` would end the cell, `<` would open an HTML tag and `{{`
 * a Vue interpolation.
 */
export function cell(text) {
  return String(text ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\{\{/g, '&#123;&#123;')
    .replace(/\r?\n/g, ' ');
}

/** Inline code in a table cell: backticks cannot hold a `|`, so that one is escaped as well. */
export function code(text) {
  const s = String(text).replace(/\|/g, '\\|');
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}
