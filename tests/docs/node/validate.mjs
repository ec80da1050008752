// Validates what `avrobind docs` wrote, with the official tools; prints one JSON report.
//   node validate.mjs asyncapi.json topics.md
// - the AsyncAPI document: @asyncapi/parser (the spec's JSON schemas, the Kafka bindings and its
//   rules) with @asyncapi/avro-schema-parser registered, which turns each Avro payload and key
//   into a JSON schema; and the Avro parser's own `validate` (avsc) on every Avro schema;
// - every ```mermaid block of the catalog: mermaid.parse, Mermaid's own parser (in jsdom,
//   since Mermaid expects a browser).
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { Parser } from '@asyncapi/parser';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';

const [asyncapiPath, catalogPath] = process.argv.slice(2);
const text = readFileSync(asyncapiPath, 'utf8');
const avro = AvroSchemaParser();
const parser = new Parser();
parser.registerSchemaParser(avro);
const { document, diagnostics } = await parser.parse(text);
const report = {
  valid: document !== undefined,
  diagnostics: diagnostics.map((d) => ({
    code: d.code, severity: d.severity, message: d.message, path: d.path.join('/'),
  })),
  channels: [], operations: [], messages: [], avro: [], mermaid: [],
};

if (document) {
  for (const c of document.channels().all()) {
    report.channels.push({
      id: c.id(), address: c.address(),
      messages: c.messages().all().map((m) => m.id()),
      kafkaTopic: c.bindings().get('kafka')?.value()?.topic ?? null,
    });
  }
  for (const o of document.operations().all()) {
    report.operations.push({
      id: o.id(), action: o.action(),
      channels: o.channels().all().map((c) => c.address()),
      messages: o.messages().all().map((m) => m.id()),
    });
  }
  for (const m of document.components().messages().all()) {
    const payload = m.payload();
    const kafka = m.bindings().get('kafka')?.value() ?? {};
    report.messages.push({
      id: m.id(), name: m.name(), contentType: m.contentType(), schemaFormat: m.schemaFormat(),
      payloadType: payload?.type() ?? null,
      payloadProperties: Object.keys(payload?.properties() ?? {}),
      key: kafka.key ?? null,
      extensions: Object.fromEntries(m.extensions().all().map((e) => [e.id(), e.value()])),
    });
  }
}

// Every Avro schema, as written (before the parser turned it into a JSON schema).
const raw = JSON.parse(text);
const avroSchemas = [];
for (const [id, m] of Object.entries(raw.components?.messages ?? {})) {
  if (m.payload?.schemaFormat) avroSchemas.push([`components/messages/${id}/payload`, m.payload]);
}
for (const [id, s] of Object.entries(raw.components?.schemas ?? {})) {
  if (s.schemaFormat) avroSchemas.push([`components/schemas/${id}`, s]);
}
for (const [where, s] of avroSchemas) {
  const errors = await avro.validate({ data: s.schema, path: where.split('/'), asyncapi: {}, meta: {} });
  report.avro.push({ where, schemaFormat: s.schemaFormat, errors: (errors ?? []).map((e) => e.message) });
}

if (catalogPath) {
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  const { default: mermaid } = await import('mermaid');
  const markdown = readFileSync(catalogPath, 'utf8');
  const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((b) => b[1]);
  for (const [index, block] of blocks.entries()) {
    try {
      const parsed = await mermaid.parse(block);
      report.mermaid.push({ index, ok: true, diagramType: parsed.diagramType });
    } catch (e) {
      report.mermaid.push({ index, ok: false, error: String(e.message ?? e).split('\n').slice(0, 3).join(' ') });
    }
  }
}

process.stdout.write(JSON.stringify(report, null, 1) + '\n');
