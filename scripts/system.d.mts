export const ROOT: string;
export function assertBuilt(): void;
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string>;

export interface StartOptions {
  dataDir: string;
  webPort?: number;
  ingestPort?: number;
  env?: Record<string, string>;
  consumers?: Partial<Record<"indexer" | "archiver" | "stats", number>>;
  supervise?: boolean;
  onOutput?: (name: string, line: string) => void;
}

export interface RunningSystem {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  webUrl: string;
  ingestUrl: string;
  parts(): string[];
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function startSystem(options: StartOptions): Promise<RunningSystem>;
