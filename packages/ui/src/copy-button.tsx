"use client";

import { useEffect, useState } from "react";
import { Button, type ButtonSize, type ButtonVariant } from "./button";
import { IconCheck, IconCopy } from "./icons";

/**
 * Copies text to the clipboard. The async Clipboard API exists only in secure contexts, and a
 * self-hosted Faultline is often reached over plain http on a LAN address, so there is a
 * fallback through a hidden text area.
 */
export async function copyText(text: string): Promise<boolean> {
  if (typeof navigator !== "undefined" && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission denied (e.g. an unfocused document): try the fallback below.
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } finally {
    area.remove();
  }
  return copied;
}

export function CopyButton({
  text,
  label = "Copy",
  variant = "secondary",
  size = "sm",
  className,
}: {
  text: string;
  label?: string;
  variant?: ButtonVariant;
  size?: ButtonSize;
  className?: string;
}) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 1600);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <Button
      variant={variant}
      size={size}
      className={className}
      onClick={async () => setState((await copyText(text)) ? "copied" : "failed")}
      aria-live="polite"
    >
      {state === "copied" ? (
        <IconCheck className="size-3.5 text-emerald-600" />
      ) : (
        <IconCopy className="size-3.5" />
      )}
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy" : label}
    </Button>
  );
}
