import type { Command } from "../command";
import { keysCreate, keysList, keysRevoke } from "./keys";
import { logsCreate, logsList } from "./logs";
import { logsBurst, logsUpdate } from "./logs-burst";
import { messagesSearch } from "./messages";
import { migrate } from "./migrate";
import { orgsCreate, orgsList } from "./orgs";
import { usersCreate } from "./users";

/** Every command, in the order the usage text lists them. */
export const COMMANDS: readonly Command[] = [
  migrate,
  usersCreate,
  orgsCreate,
  orgsList,
  logsCreate,
  logsList,
  logsUpdate,
  logsBurst,
  keysCreate,
  keysList,
  keysRevoke,
  messagesSearch,
] as readonly Command[];
