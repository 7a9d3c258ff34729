/**
 * Dynoform: Heroku's dyno model on machines you own, declared with Pulumi.
 *
 *   import * as dyno from "dynoform";
 *   const app = new dyno.App("hello", { source: "./app" });
 *   new dyno.Formation("hello", { app, processes: { web: { quantity: 2, size: "standard-1x" } } });
 */
export { App, type AppArgs } from "./app";
export type { GitSource, GitCommit } from "./git-source";
export { Formation, type AutoscalingArgs, type FormationArgs, type ProcessFormation } from "./formation";
export { Space, type SpaceArgs } from "./space";
export { Domain, type DomainArgs } from "./domain";
export { Certificate, ACME_DIRECTORIES, type CertificateArgs, type AcmeOptions, type UploadedCertificate } from "./certificate";
export { LogDrain, type LogDrainArgs } from "./log-drain";
export { drainUrlProblem, maskDrainUrl, DRAIN_SCHEMES } from "./drain-url";
export * from "./dyno-sizes";
export * from "./tier-rules";
export * from "./cost";
export * from "./names";
export { FormationFileSchema, type FormationFile } from "./formation-schema";
export {
  AppInputsSchema,
  FormationInputsSchema,
  SpaceInputsSchema,
  DomainInputsSchema,
  CertificateInputsSchema,
  LogDrainInputsSchema,
  ProcessSchema,
  type ProcessShape,
} from "./input-schemas";
export { ENV, HEROKU, runtimeSettings, type RuntimeSettings } from "./settings";
