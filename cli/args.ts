/** `--app X`, `--tail`, `-n 50` and the rest: the few flags the dynoform commands take. */
export interface ParsedArgs {
  flags: Record<string, string | true>;
  positional: string[];
}

/** Flags come before positionals; everything after the first positional (or `--`) is positional. */
export function parseArgs(args: string[], valued: string[]): ParsedArgs {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (positional.length > 0 || a === "--") {
      positional.push(...args.slice(a === "--" ? i + 1 : i));
      break;
    }
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      positional.push(a);
      continue;
    }
    if (m[2] !== undefined) flags[m[1]] = m[2];
    else if (valued.includes(m[1])) flags[m[1]] = args[++i] ?? "";
    else flags[m[1]] = true;
  }
  return { flags, positional };
}
