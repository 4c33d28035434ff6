export { EXIT, type Io, type Output, run, usage } from "./run";
