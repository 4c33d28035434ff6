import { OrganizationView } from "../../../../organizations/organization-view";

export default async function OrganizationPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  return <OrganizationView organizationId={orgId} />;
}
