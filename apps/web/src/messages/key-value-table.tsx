import type { KeyValue } from "@faultline/core";

/** A key/value list (cookies, form, query string, server variables, data) as a two-column table. */
export function KeyValueTable({ items, emptyText }: { items: KeyValue[]; emptyText: string }) {
  if (items.length === 0) return <p className="px-5 py-6 text-sm text-slate-500">{emptyText}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-sm">
        <tbody className="divide-y divide-slate-100">
          {items.map((item, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: keys repeat in real requests (two cookies of one name)
            <tr key={`${item.key}-${index}`} className="align-top">
              <th
                scope="row"
                className="w-1/3 px-5 py-2 text-left font-mono text-xs font-medium break-all text-slate-600"
              >
                {item.key}
              </th>
              <td className="px-5 py-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-800">
                {item.value === "" ? <span className="text-slate-300">(empty)</span> : item.value}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
