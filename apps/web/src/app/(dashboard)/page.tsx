import { HomeView } from "../../organizations/home-view";

export default function HomePage() {
  return <HomeView />;
}
