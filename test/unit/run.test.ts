import { describe, expect, it } from "vitest";
import { oneOffCommand } from "../../cli/run";

describe("the one-off dyno's command", () => {
  it("runs one word through the shell, as heroku run does", () => {
    expect(oneOffCommand(["rake db:migrate && echo done"])).toEqual(["/bin/sh", "-c", "rake db:migrate && echo done"]);
  });

  it("passes several words as the argv, unchanged", () => {
    expect(oneOffCommand(["node", "-e", "console.log(process.env.DYNO)", "a b", `"q" 'r'`])).toEqual([
      "node",
      "-e",
      "console.log(process.env.DYNO)",
      "a b",
      `"q" 'r'`,
    ]);
  });
});
