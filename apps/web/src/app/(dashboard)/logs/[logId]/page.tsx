import { Suspense } from "react";
import { SearchView } from "../../../../search/search-view";

export default async function LogSearchPage({ params }: { params: Promise<{ logId: string }> }) {
  const { logId } = await params;
  return (
    // The view reads the search from the URL (useSearchParams), which needs a Suspense boundary.
    <Suspense>
      <SearchView logId={logId} />
    </Suspense>
  );
}
