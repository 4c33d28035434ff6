/** Liveness for the launcher and load balancers: answers without touching the stores. */
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ ok: true });
}
