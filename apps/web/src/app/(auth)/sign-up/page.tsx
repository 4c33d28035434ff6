import type { Metadata } from "next";
import { SignUpForm } from "../../../accounts/sign-up-form";

export const metadata: Metadata = { title: "Sign up" };

export default function SignUpPage() {
  return <SignUpForm />;
}
