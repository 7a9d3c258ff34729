import { z } from "zod";

/**
 * Names as Heroku accepts them (heroku-facts §7). Each rule is a checker that returns the
 * problem in words (or undefined) and a zod schema built from it, so messages are the same
 * wherever a name is checked.
 */
export interface NameRule {
  id: string;
  check(value: string): string | undefined;
}

function rule(id: string, pattern: RegExp, what: string, fix: string, extra?: (v: string) => string | undefined): NameRule {
  return {
    id,
    check(value) {
      if (typeof value !== "string" || !pattern.test(value))
        return `${JSON.stringify(value)} is not a valid ${what} (rule ${id}). Fix: ${fix}`;
      return extra?.(value);
    },
  };
}

/** Heroku's app names: 3–30 characters, lower-case letters, digits and dashes, starting with a letter. */
export const APP_NAME = rule(
  "app-name",
  /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/,
  "app name",
  "use 3–30 lower-case letters, digits and dashes, starting with a letter and not ending with a dash",
);

/** Space names are bounded like app names, which keeps the router and network names made from them short. */
export const SPACE_NAME_MAX = 30;

const SPACE_NAME_CHARS = rule(
  "space-name",
  /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z0-9]$/,
  "space name",
  "use lower-case letters and digits with single dashes between them, not starting or ending with a dash",
);

/** Heroku's space names: lower-case letters and digits, single dashes between them; 3–30 characters. */
export const SPACE_NAME: NameRule = {
  id: "space-name",
  check(value) {
    if (typeof value === "string" && (value.length < 3 || value.length > SPACE_NAME_MAX)) {
      return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} is ${value.length} characters long, and a space name has 3–${SPACE_NAME_MAX} (rule space-name). Fix: choose a name of 3–${SPACE_NAME_MAX} lower-case letters, digits and single dashes`;
    }
    return SPACE_NAME_CHARS.check(value);
  },
};

/**
 * Process types: Heroku's Procfile spec allows `[a-z0-9-]`, 1–63 characters, for new keys; we
 * also allow `_` because classic Procfiles use it (e.g. `release_worker`). 63 keeps every process
 * type usable as a DNS label in dyno names like `web.1.api.app.localspace`.
 */
export const PROCESS_TYPE_NAME = rule(
  "process-type-name",
  /^[a-z0-9][a-z0-9_-]{0,62}$/,
  "process type name",
  "use 1–63 lower-case letters, digits, dashes and underscores, as in the Procfile",
);

const RESERVED_ENV = new Set(["PORT", "DYNO"]);
/** Config vars: POSIX environment names; PORT and DYNO are set by the platform for every dyno. */
export const CONFIG_VAR_NAME = rule(
  "config-var-name",
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "config var name",
  "use letters, digits and underscores, not starting with a digit",
  (v) =>
    RESERVED_ENV.has(v)
      ? `config var ${v} is set by Dynoform for every dyno and cannot be overridden (rule config-var-reserved). Fix: choose another name`
      : undefined,
);

/** Hostnames: RFC 1123 labels, at least two of them, an optional leading `*.` wildcard, at most 253 characters. */
export const HOSTNAME = rule(
  "hostname",
  /^(\*\.)?(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i,
  "hostname",
  "use a fully qualified name like api.example.com (a leading *. for a wildcard), letters, digits and dashes in each label",
);

function schema(r: NameRule) {
  return z.string().superRefine((v, ctx) => {
    const problem = r.check(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

export const AppNameSchema = schema(APP_NAME);
export const SpaceNameSchema = schema(SPACE_NAME);
export const ProcessTypeNameSchema = schema(PROCESS_TYPE_NAME);
export const ConfigVarNameSchema = schema(CONFIG_VAR_NAME);
export const HostnameSchema = schema(HOSTNAME);
