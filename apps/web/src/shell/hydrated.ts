"use client";

import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * False in the server-rendered HTML and until React has hydrated the page. Submit buttons stay
 * disabled until then: a click that beats hydration would otherwise submit the form natively,
 * putting its fields (a password!) into the URL. Browser automation waits for enabled buttons.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
