import Docker from "dockerode";

let client: Docker | undefined;

/** One Docker client per process; honours DOCKER_HOST like the docker CLI does. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** True when Docker says the object does not exist (HTTP 404). */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

/** True when Docker refuses because the object already exists or is in that state (409/304). */
export function isConflictOrNoop(err: unknown): boolean {
  const code = (err as { statusCode?: number })?.statusCode;
  return code === 409 || code === 304;
}

/** For `.catch`: an object already gone is what a removal wanted; anything else is rethrown. */
export function ignoreNotFound(err: unknown): undefined {
  if (!isNotFound(err)) throw err;
  return undefined;
}

/** For `.catch`: a name already taken or a state already reached (another process got there first) is done. */
export function ignoreConflictOrNoop(err: unknown): undefined {
  if (!isConflictOrNoop(err)) throw err;
  return undefined;
}
