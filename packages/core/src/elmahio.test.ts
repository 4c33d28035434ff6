import { describe, expect, it } from "vitest";
import { normalizeElmahMessage } from "./elmahio";
import { FaultlineError } from "./errors";

const ctx = {
  id: "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee",
  logId: "3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b",
  receivedAt: new Date("2026-11-21T10:00:00.000Z"),
};

function badRequest(body: unknown): FaultlineError {
  try {
    normalizeElmahMessage(body, ctx);
  } catch (e) {
    if (e instanceof FaultlineError) return e;
    throw e;
  }
  throw new Error("expected a FaultlineError");
}

describe("normalizeElmahMessage", () => {
  it("applies the server defaults: severity Information and dateTime = receivedAt", () => {
    const m = normalizeElmahMessage({ title: "Boom" }, ctx);
    expect(m.severity).toBe("Information");
    expect(m.dateTime).toBe("2026-11-21T10:00:00.000Z");
    expect(m.receivedAt).toBe("2026-11-21T10:00:00.000Z");
    expect(m.format).toBe("elmahio-v3");
    expect(m.id).toBe(ctx.id);
    expect(m.logId).toBe(ctx.logId);
    expect(m.cookies).toEqual([]);
    expect(m.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });

  it("takes url and method from the server variables when the client did not set them", () => {
    const m = normalizeElmahMessage(
      {
        title: "Boom",
        serverVariables: [
          { key: "URL", value: "/orders/42" },
          { key: "QUERY_STRING", value: "page=2" },
          { key: "REQUEST_METHOD", value: "POST" },
          { key: "SERVER_NAME", value: "web-01" },
        ],
      },
      ctx,
    );
    expect(m.url).toBe("/orders/42?page=2");
    expect(m.method).toBe("POST");
    expect(m.hostname).toBe("web-01");
  });

  it("keeps the client's url and method over the server variables", () => {
    const m = normalizeElmahMessage(
      {
        title: "Boom",
        url: "/a",
        method: "GET",
        serverVariables: [
          { key: "URL", value: "/b" },
          { key: "REQUEST_METHOD", value: "POST" },
        ],
      },
      ctx,
    );
    expect(m.url).toBe("/a");
    expect(m.method).toBe("GET");
  });

  it("maps every elmah.io v3 field", () => {
    const body = {
      title: "Object reference not set",
      titleTemplate: "Object reference not set",
      severity: "error",
      type: "System.NullReferenceException",
      source: "Shop.Web",
      detail: "System.NullReferenceException: boom\n   at Shop.Web.Orders.Get(Int32 id) in Orders.cs:line 12",
      hostname: "web-02",
      url: "/orders/7",
      method: "GET",
      statusCode: 500,
      user: "ana@example.com",
      application: "Shop",
      version: "1.4.2",
      dateTime: "2026-11-20T09:30:00+01:00",
      correlationId: "abc",
      category: "Orders",
      code: "var x = null;",
      cookies: [{ key: "session", value: "s" }],
      form: [{ key: "q", value: null }],
      queryString: [{ key: "page", value: "2" }],
      data: [{ key: "tenant", value: "t1" }],
      breadcrumbs: [
        {
          dateTime: "2026-11-20T08:29:59Z",
          severity: "Information",
          action: "Navigation",
          message: "to /orders",
        },
      ],
      somethingNew: { ignored: true },
    };
    const m = normalizeElmahMessage(body, ctx);
    expect(m).toMatchObject({
      severity: "Error",
      type: "System.NullReferenceException",
      statusCode: 500,
      dateTime: "2026-11-20T08:30:00.000Z",
      form: [{ key: "q", value: "" }],
      breadcrumbs: [{ dateTime: "2026-11-20T08:29:59.000Z", severity: "Information", action: "Navigation" }],
      application: "Shop",
      version: "1.4.2",
      correlationId: "abc",
      category: "Orders",
      code: "var x = null;",
    });
    expect(m).not.toHaveProperty("somethingNew");
  });

  it("names every failing field", () => {
    const e = badRequest({
      severity: "Loud",
      statusCode: 5.5,
      dateTime: "yesterday",
      cookies: [{ value: "x" }],
    });
    expect(e.code).toBe("BAD_REQUEST");
    const paths = e.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["cookies[0].key", "dateTime", "severity", "statusCode", "title"]);
    expect(e.message).toContain("severity must be one of Verbose, Debug, Information, Warning, Error, Fatal");
  });

  it("rejects a body that is not an object", () => {
    expect(badRequest([{ title: "x" }]).message).toMatch(/JSON object/);
    expect(badRequest("hello").code).toBe("BAD_REQUEST");
    expect(badRequest(null).code).toBe("BAD_REQUEST");
  });

  it("rejects a blank title", () => {
    expect(badRequest({ title: "   " }).issues[0]?.path).toBe("title");
  });
});
