import { PROCESS_TYPE_NAME } from "./names";

/**
 * Procfile parsing, as Heroku reads it: one `<process type>: <command>` per line.
 * Blank lines and `#` comments are ignored.
 */
export interface ProcfileEntry {
  processType: string;
  command: string;
}

const LINE = /^\s*([^:\s]+):\s*(.+?)\s*$/;

/** Returns the process types in file order; a malformed line is an error naming its number. */
export function parseProcfile(text: string, file = "Procfile"): ProcfileEntry[] {
  const entries: ProcfileEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith("#")) return;
    const m = LINE.exec(line);
    if (!m) {
      throw new Error(`${file}:${i + 1}: expected "<process type>: <command>", got ${JSON.stringify(line)}`);
    }
    // The one rule for process type names, the same the formation's tier rules apply.
    const problem = PROCESS_TYPE_NAME.check(m[1]);
    if (problem) throw new Error(`${file}:${i + 1}: ${problem}`);
    if (seen.has(m[1])) throw new Error(`${file}:${i + 1}: process type "${m[1]}" is defined twice`);
    seen.add(m[1]);
    entries.push({ processType: m[1], command: m[2] });
  });
  return entries;
}
