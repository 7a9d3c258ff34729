import { describe, expect, inject, it } from "vitest";
import { dockerAt } from "../support/test-cluster";

const cluster = inject("cluster");

describe("the test cluster", () => {
  it("is a swarm of three ready nodes, one labelled as the edge, each answering on its own API", async () => {
    const nodes = await dockerAt(cluster.managerUrl).listNodes();
    expect(nodes.map((n) => n.Status?.State)).toEqual(["ready", "ready", "ready"]);
    const edge = nodes.filter((n) => n.Spec?.Labels?.["dynoform.edge"] === "true").map((n) => n.Description?.Hostname);
    expect(edge).toEqual([cluster.edgeNode]);
    for (const url of Object.values(cluster.nodeUrls)) expect((await dockerAt(url).info()).Swarm.LocalNodeState).toBe("active");
  });
});
