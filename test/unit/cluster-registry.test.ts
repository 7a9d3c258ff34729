import { describe, expect, it } from "vitest";
import { CLUSTER_REGISTRY, clusterRegistrySpec } from "../../provider/engine/cluster-registry";

describe("the registry Dynoform runs on a Swarm", () => {
  const spec = clusterRegistrySpec("dynoform/cluster-registry:abc", "node1", "10.0.0.11:5000");

  it("runs once, on the manager node its image was loaded into, its port published there in host mode (no IPVS needed)", () => {
    expect(spec.Name).toBe(CLUSTER_REGISTRY);
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.TaskTemplate.Placement.Constraints).toEqual(["node.id==node1"]);
    expect(spec.EndpointSpec.Ports).toEqual([{ Protocol: "tcp", TargetPort: 5000, PublishedPort: 5000, PublishMode: "host" }]);
  });

  it("keeps images in a volume, and is found again (and by cleanup) by its labels", () => {
    expect(spec.Labels).toMatchObject({
      "dynoform.managed": "true",
      "dynoform.role": "registry",
      "dynoform.registry-pull": "10.0.0.11:5000",
    });
    expect(spec.TaskTemplate.ContainerSpec.Mounts).toEqual([
      {
        Type: "volume",
        Source: "dynoform-registry",
        Target: "/var/lib/docker-registry",
        VolumeOptions: { Labels: { "dynoform.managed": "true", "dynoform.role": "registry" } },
      },
    ]);
  });
});
