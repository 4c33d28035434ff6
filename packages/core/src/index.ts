export * from "./message";
export * from "./errors";
export * from "./ids";
export * from "./elmahio";
export * from "./fingerprint";
export * from "./bus-envelope";
export * from "./keys";
export * from "./sentry";
