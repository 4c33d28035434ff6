import type { Log } from "@faultline/db";
import { buttonClasses, Table, TBody, Td, Th, THead, Tr } from "@faultline/ui";
import Link from "next/link";
import { formatDate } from "../search/time";

export function LogsTable({ logs }: { logs: Log[] }) {
  return (
    <Table>
      <THead>
        <Tr>
          <Th>Log</Th>
          <Th>Project id</Th>
          <Th>Retention</Th>
          <Th>Created</Th>
          <Th className="text-right">
            <span className="sr-only">Actions</span>
          </Th>
        </Tr>
      </THead>
      <TBody>
        {logs.map((log) => (
          <Tr key={log.id} className="hover:bg-slate-50/70">
            <Td>
              <Link href={`/logs/${log.id}`} className="font-medium text-slate-900 hover:text-indigo-600">
                {log.name}
              </Link>
              <div className="font-mono text-xs text-slate-400">{log.id}</div>
            </Td>
            <Td className="tabular-nums">{log.projectId}</Td>
            <Td>{log.retentionDays} days</Td>
            <Td className="whitespace-nowrap">{formatDate(log.createdAt)}</Td>
            <Td className="text-right whitespace-nowrap">
              <div className="flex justify-end gap-2">
                <Link href={`/logs/${log.id}/setup`} className={buttonClasses("ghost", "sm")}>
                  Setup
                </Link>
                <Link href={`/logs/${log.id}`} className={buttonClasses("secondary", "sm")}>
                  Search
                </Link>
              </div>
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
