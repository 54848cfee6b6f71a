/**
 * The HTTP reference, generated from the OpenAPI document the server itself serves at
 * GET /openapi.json: the app is built in-process (`buildServer` of @rvfjs/server, on an empty
 * temporary data folder), asked for the document with `inject` (no port is opened), and closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cell, code } from './markdown-text.mjs';
import { slugify } from './slug.mjs';

/** The server's OpenAPI document, as a client of GET /openapi.json receives it. */
export async function loadOpenApi() {
  let server;
  try {
    server = await import('@rvfjs/server');
  } catch (cause) {
    throw new Error('cannot import @rvfjs/server: build it first (`pnpm --filter @rvfjs/server build`)', {
      cause,
    });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'rvfjs-docs-openapi-'));
  const app = server.buildServer({ dataDir });
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
    return res.json();
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];
const refName = (ref) => ref.replace('#/components/schemas/', '');

/** A short type for a schema: `string`, `number[]`, `Filter` (a link to its component), `"a" \| "b"`. */
function typeOf(schema) {
  if (!schema) return 'any';
  if (schema.$ref) return `[${refName(schema.$ref)}](#schema-${slugify(refName(schema.$ref))})`;
  if (schema.enum) return schema.enum.map((v) => code(JSON.stringify(v))).join(' \\| ');
  if (schema.anyOf || schema.oneOf) return (schema.anyOf ?? schema.oneOf).map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  return schema.type ?? 'object';
}

function fieldsTable(schema) {
  if (!schema?.properties) return '';
  const required = new Set(schema.required ?? []);
  return [
    '| Field | Type | Required | Description |',
    '|---|---|---|---|',
    ...Object.entries(schema.properties).map(
      ([name, s]) =>
        `| ${code(name)} | ${typeOf(s)} | ${required.has(name) ? 'yes' : 'no'} | ${cell(s.description) || '–'} |`,
    ),
  ].join('\n');
}

function operationSection(method, path, op) {
  // Braces as entities: a heading ending in `{name}` would be read as an attribute list.
  const heading = path.replace(/\{/g, '&#123;').replace(/\}/g, '&#125;');
  const parts = [`### ${method.toUpperCase()} ${heading}`];
  if (op.summary) parts.push(cell(op.summary));
  if (op.description) parts.push(cell(op.description));
  const params = op.parameters ?? [];
  if (params.length) {
    parts.push(
      [
        '| Parameter | In | Type | Required | Description |',
        '|---|---|---|---|---|',
        ...params.map(
          (p) =>
            `| ${code(p.name)} | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : 'no'} | ${cell(p.description) || '–'} |`,
        ),
      ].join('\n'),
    );
  }
  const body = op.requestBody?.content;
  if (body) {
    for (const [type, { schema }] of Object.entries(body)) {
      parts.push(`Request body (${code(type)}): ${typeOf(schema)}`);
      const fields = fieldsTable(schema);
      if (fields) parts.push(fields);
    }
  }
  const responses = Object.entries(op.responses ?? {});
  if (responses.length) {
    parts.push(
      [
        '| Status | Meaning | Body |',
        '|---|---|---|',
        ...responses.map(([status, r]) => {
          const content = Object.entries(r.content ?? {});
          const bodyType = content.length
            ? content.map(([t, c]) => `${typeOf(c.schema)} (${code(t)})`).join(', ')
            : '–';
          return `| ${status} | ${cell(r.description)} | ${bodyType} |`;
        }),
      ].join('\n'),
    );
  }
  return parts.join('\n\n');
}

/** Markdown: routes grouped by tag, then the shared schemas (components). */
export async function httpReference() {
  const doc = await loadOpenApi();
  const operations = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) operations.push({ method, path, op: item[method] });
  }
  const tags = [...(doc.tags ?? []).map((t) => t.name)];
  for (const o of operations) for (const t of o.op.tags ?? ['other']) if (!tags.includes(t)) tags.push(t);
  const parts = [
    `${operations.length} operations on ${Object.keys(doc.paths).length} paths, generated at build time from ` +
      `the OpenAPI ${doc.openapi} document the server serves at \`GET /openapi.json\` ` +
      `(${cell(doc.info.title)} ${doc.info.version}). Every route needs an API key when the server has any ` +
      '(`Authorization: Bearer <key>`), except `GET /health`.',
  ];
  for (const tag of tags) {
    const ops = operations.filter((o) => (o.op.tags ?? ['other']).includes(tag));
    if (!ops.length) continue;
    const description = doc.tags?.find((t) => t.name === tag)?.description;
    parts.push(`## ${tag}`);
    if (description) parts.push(cell(description));
    for (const o of ops) parts.push(operationSection(o.method, o.path, o.op));
  }
  const schemas = Object.entries(doc.components?.schemas ?? {});
  if (schemas.length) {
    parts.push('## Schemas');
    for (const [name, schema] of schemas) {
      parts.push(`### ${name} {#schema-${slugify(name)}}`);
      if (schema.description) parts.push(cell(schema.description));
      parts.push(fieldsTable(schema) || `Type: ${typeOf(schema)}`);
      parts.push(`\`\`\`json\n${JSON.stringify(schema, null, 2)}\n\`\`\``);
    }
  }
  return parts.join('\n\n');
}
