/**
 * `dynoform restart` on a Swarm, planned (pure): a process type's dynos are replaced by a forced
 * update of its service (`TaskTemplate.ForceUpdate` bumped: the same release, fresh containers,
 * files the dynos wrote gone). Web dynos go one at a time, each new one passing the port check
 * before the old one gets SIGTERM (30 s, SIGKILL), so two or more web dynos drop no request;
 * other process types all at once, stop-first, as Heroku restarts them. The service's own update
 * settings (the formation's preboot or not) are put back after.
 */

/** The part of a Swarm `ServiceSpec` a restart changes. */
export interface RestartableSpec {
  TaskTemplate: { ForceUpdate?: number } & Record<string, unknown>;
  UpdateConfig?: Record<string, unknown>;
  Labels?: Record<string, string>;
  [key: string]: unknown;
}

/** How a restart rolls a process type's dynos. */
export function restartUpdateConfig(processType: string): Record<string, unknown> {
  return processType === "web"
    ? { Parallelism: 1, Order: "start-first", FailureAction: "pause" }
    : { Parallelism: 0, Order: "stop-first", FailureAction: "pause" };
}

/** The spec that restarts every dyno of the service. */
export function restartSpec<S extends RestartableSpec>(spec: S, processType: string): S & { TaskTemplate: { ForceUpdate: number } } {
  return {
    ...spec,
    TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate.ForceUpdate ?? 0) + 1 },
    UpdateConfig: restartUpdateConfig(processType),
  };
}

/**
 * What the next `pulumi up` gives a service: the program's spec, keeping the restart counter, so a
 * change that is not a new release (a quantity) does not restart every dyno again.
 */
export function keepRestartCount<S extends { TaskTemplate: Record<string, unknown> }>(spec: S, current?: { ForceUpdate?: number }): S {
  return current?.ForceUpdate ? { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: current.ForceUpdate } } : spec;
}

/** A Swarm update's state (`UpdateStatus.State`) as the restart's outcome: done, still going, or why it stopped. */
export function restartOutcome(status: { State?: string; Message?: string } | undefined): "done" | "going" | { error: string } {
  const state = status?.State;
  if (state === "completed") return "done";
  if (state === "updating" || state === undefined) return "going";
  return { error: `the update ${state.replace("_", " ")}${status?.Message ? `: ${status.Message}` : ""}` };
}
