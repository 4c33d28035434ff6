import type { CanonicalMessage } from "@faultline/core";

/**
 * What free text searches, for every engine alike: the short fields, the detail (usually the
 * stack trace) and the structured exceptions, as non-empty strings in this order. Key/value
 * lists (cookies, form, server variables) are left out: they are large, rarely searched, and may
 * hold secrets.
 */
export function searchableValues(m: CanonicalMessage): string[] {
  const values: (string | number | undefined)[] = [
    m.title,
    m.type,
    m.source,
    m.hostname,
    m.application,
    m.user,
    m.url,
    m.method,
    m.statusCode,
    m.version,
    m.category,
    m.code,
    m.correlationId,
    m.detail,
  ];
  for (const e of m.exceptions ?? []) {
    values.push(e.type, e.value, e.module);
    for (const f of e.frames) values.push(f.function, f.module, f.filename);
  }
  const out: string[] = [];
  for (const v of values) if (v !== undefined && v !== "") out.push(String(v));
  return out;
}
