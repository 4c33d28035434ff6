import { describe, expect, it } from "vitest";
import { elmahMessageSchema, MAX_FIELD_LENGTH, parseElmahMessage, readValidElmahMessage } from "./elmahio";
import { FaultlineError } from "./errors";

// The fast path must agree with zod: accept exactly what the schema accepts and output exactly
// what it outputs (same keys, same order, same values). Invalid input is left to zod, so the
// issues clients see are zod's by construction; these tests check both halves of that promise.

const base = {
  title: "Order 42 could not be saved",
  titleTemplate: "Order {id} could not be saved",
  severity: "Error",
  type: "System.Data.SqlClient.SqlException",
  source: "Shop.Web",
  detail: "System.Exception: boom\n   at Shop.Orders.Save(Int32 id)",
  hostname: "web-1",
  url: "/orders/42",
  method: "POST",
  statusCode: 500,
  user: "ann@example.com",
  application: "Shop",
  version: "2.8.1",
  dateTime: "2026-11-21T10:00:00Z",
  correlationId: "c-1",
  category: "Orders",
  code: "var x = 1;",
  cookies: [{ key: "session", value: "abc" }],
  form: [{ key: "qty", value: null }],
  queryString: [{ key: "page", value: "2" }],
  serverVariables: [{ key: "HTTP_USER_AGENT", value: "Mozilla/5.0" }],
  data: [{ key: "orderId", value: "42" }],
  breadcrumbs: [
    { dateTime: "2026-11-21T09:59:59Z", severity: "information", action: "Navigation", message: "/orders" },
    { category: "db", message: "SELECT 1" },
  ],
} as const;

type Body = Record<string, unknown>;

/** Both paths on one body: the fast path is undefined exactly when zod fails, else equal. */
function expectAgreement(body: unknown): void {
  const zod = elmahMessageSchema.safeParse(body);
  const fast = readValidElmahMessage(body);
  if (!zod.success) {
    expect(fast, JSON.stringify(body)?.slice(0, 200)).toBeUndefined();
    return;
  }
  expect(fast, JSON.stringify(body)?.slice(0, 200)).toBeDefined();
  expect(fast).toStrictEqual(zod.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  // Key order too, where JSON.stringify would hide a key present with the value undefined.
  expect(Object.keys(fast!)).toEqual(Object.keys(zod.data));
}

const str = (n: number) => "x".repeat(n);
const LIMITS = [32, 256, 1024, 4096, 8192, MAX_FIELD_LENGTH];

// Values every field is tried with: each type, and strings at and one past every length limit.
const PALETTE: unknown[] = [
  undefined,
  null,
  "",
  " ",
  "x",
  0,
  -0,
  1,
  1.5,
  -1,
  999,
  1000,
  2 ** 53,
  true,
  [],
  {},
  ["x"],
  "ERROR",
  "warning",
  "Fatal",
  "nonsense",
  "2026-11-21",
  "2026-11-21T10:00:00.000+02:00",
  "not a date",
  ...LIMITS.flatMap((n) => [str(n), str(n + 1)]),
];

const KEY_VALUE_LISTS = ["cookies", "form", "queryString", "serverVariables", "data"] as const;
const BREADCRUMB_FIELDS = ["dateTime", "severity", "action", "message", "category"] as const;

function withField(body: Body, key: string, value: unknown): Body {
  const copy: Body = { ...body };
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy;
}

describe("the elmah.io fast path", () => {
  it("agrees with the schema on a message using every field", () => {
    expectAgreement(base);
    expect(readValidElmahMessage(base)).toBeDefined();
  });

  it("agrees with the schema when any top-level field takes any value", () => {
    for (const key of Object.keys(base)) {
      for (const value of PALETTE) expectAgreement(withField(base, key, value));
    }
  });

  it("agrees with the schema when any key/value field takes any value", () => {
    for (const list of KEY_VALUE_LISTS) {
      for (const field of ["key", "value", "extra"]) {
        for (const value of PALETTE) {
          const item = withField({ key: "k", value: "v" }, field, value);
          expectAgreement({ ...base, [list]: [{ key: "a", value: "b" }, item] });
        }
      }
      for (const item of [null, "x", 1, [], [{ key: "k", value: "v" }]]) {
        expectAgreement({ ...base, [list]: [item] });
      }
    }
  });

  it("agrees with the schema when any breadcrumb field takes any value", () => {
    const crumb = {
      dateTime: "2026-11-21T10:00:00Z",
      severity: "Debug",
      action: "a",
      message: "m",
      category: "c",
    };
    for (const field of [...BREADCRUMB_FIELDS, "extra"]) {
      for (const value of PALETTE)
        expectAgreement({ ...base, breadcrumbs: [withField(crumb, field, value)] });
    }
    for (const item of [null, "x", 1, [], {}]) expectAgreement({ ...base, breadcrumbs: [item] });
  });

  it("agrees with the schema on list lengths at and past the limit", () => {
    const kv = { key: "k", value: "v" };
    for (const n of [0, 1000, 1001]) {
      for (const list of KEY_VALUE_LISTS)
        expectAgreement({ ...base, [list]: Array.from({ length: n }, () => kv) });
      expectAgreement({ ...base, breadcrumbs: Array.from({ length: n }, () => ({ message: "m" })) });
    }
  });

  it("agrees with the schema on titles: trimmed, required, at most 4096 characters", () => {
    for (const title of ["  Boom \n", " ", "", `  ${str(4096)}  `, str(4097), null, 1, undefined]) {
      expectAgreement(withField(base, "title", title));
    }
  });

  it("agrees with the schema on keys present with the value undefined, and on odd objects", () => {
    expectAgreement({ title: "t", type: undefined, breadcrumbs: [{ message: undefined }] });
    const bare = Object.create(null) as Body;
    bare.title = "t";
    expectAgreement(bare);
    for (const body of [null, [], "x", 1, { title: "t", extra: { nested: [1, 2] } }]) expectAgreement(body);
  });

  it("answers invalid messages with zod's issues", () => {
    const body = { ...base, severity: "loud", statusCode: 1.5, data: [{ key: "k" }] };
    expect(readValidElmahMessage(body)).toBeUndefined();
    let error: unknown;
    try {
      parseElmahMessage(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).issues.map((i) => i.path)).toEqual([
      "severity",
      "statusCode",
      "data[0].value",
    ]);
  });
});
