/** Request header through which src/proxy.ts tells server components the requested path. */
export const REQUEST_PATH_HEADER = "x-faultline-path";
