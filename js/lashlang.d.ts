// Types for the standalone Lashlang entry (js/lashlang.js, docs/lashlang.md).

export interface LashlangLimits {
  /** Instructions per run before "step limit exceeded" (default 10,000,000). */
  maxSteps?: number;
  /** Bytes of live values before "memory limit exceeded" (default 64 MiB). */
  maxMemory?: number;
  /** Bytes of printed text per run before "output limit exceeded" (default 10,000). */
  maxOutput?: number;
  /** Instructions between cooperative yields (default 1024). */
  yieldEvery?: number;
}

export interface LashlangRunOptions {
  /** Variables bound before the program runs (JSON values). */
  globals?: Record<string, unknown>;
  /** `await tools.<name>(args)` calls these; a throw becomes `{ ok: false, error }`. */
  tools?: Record<string, (args: any) => unknown | Promise<unknown>>;
  limits?: LashlangLimits;
}

export interface LashlangRunResult {
  /** The value of `submit v`, when the program submitted. */
  submitted?: unknown;
  /** Each `print` as lash feeds it back to the model. */
  printed: string[];
  /** Every variable after the run (JSON values). */
  globals: Record<string, unknown>;
  /** lash's diagnostic text for a parse, link or runtime error. */
  error?: string;
}

export const lashlang: {
  run(source: string, options?: LashlangRunOptions): Promise<LashlangRunResult>;
  /** [] when the program parses and links, else [lash's diagnostic text]. */
  check(source: string): Promise<string[]>;
};
