import type * as pulumi from "@pulumi/pulumi";
import type { DomainInputs, DomainOutputs } from "../../sdk/domain";
import { checkInputs, DomainInputsSchema, known } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { tlsFile, type TlsState } from "./router-tls";
import { tlsStoreOf, type TlsStore } from "./tls-store";

export { known, UNKNOWN } from "../../sdk/input-schemas";

/** The router's address as clients see it: it publishes on loopback only. */
const ROUTER_ADDRESS = "127.0.0.1";

function outputs(d: DomainInputs): DomainOutputs {
  const hostname = d.hostname.toLowerCase();
  const apex = hostname.replace(/^\*\./, "").split(".").length === 2;
  return {
    ...d,
    hostname,
    dnsTarget: d.appHostname,
    dnsRecordType: apex ? "ALIAS" : "CNAME",
    dnsAddress: ROUTER_ADDRESS,
    providerVersion: PROVIDER_VERSION,
  };
}

/** The app that holds a hostname on a router, if any (a router that is not there holds none). */
async function holderOf(store: TlsStore, hostname: string, state?: TlsState): Promise<string | undefined> {
  const s = state ?? (await store.state());
  return s?.domains.find((c) => c.hostname === hostname.toLowerCase())?.app;
}

function conflict(d: DomainInputs, holder: string): string {
  return `Domain "${d.resource}": hostname "${d.hostname}" already belongs to app "${holder}" on router "${d.router}", and a hostname can belong to one app only (rule domain-unique). App "${holder}" still exists (its network or dynos are on the engine); a claim left by a deleted app would have been taken over. Fix: remove the Domain from app "${holder}" first (in the stack that declares it), or choose another hostname`;
}

export const provider = {
  async check(_olds: DomainInputs, news: DomainInputs) {
    const failures = checkInputs(DomainInputsSchema, news, `Domain "${news.resource}"`);
    const fail = (reason: string) => failures.push({ property: "", reason });
    if (failures.length === 0 && known(news.hostname) && known(news.app) && known(news.router)) {
      // Another stack's claim on the same router shows at preview already, when Docker answers.
      const store = tlsStoreOf(news);
      const holder = await holderOf(store, news.hostname).catch(() => undefined);
      if (holder && holder !== news.app && (await store.appExists(holder).catch(() => true))) fail(conflict(news, holder));
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: DomainOutputs, news: DomainInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["app", "hostname", "router"] as const).filter(
      (k) => String(olds[k]).toLowerCase() !== String(news[k]).toLowerCase(),
    );
    const changes =
      replaces.length > 0 ||
      olds.routerHttpPort !== news.routerHttpPort ||
      olds.routerHttpsPort !== news.routerHttpsPort ||
      olds.appHostname !== news.appHostname;
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: DomainInputs): Promise<pulumi.dynamic.CreateResult> {
    const d = outputs(inputs);
    const store = tlsStoreOf(d);
    if (!(await store.serves(d.app))) {
      throw new Error(
        `Domain "${d.resource}": app "${d.app}" is not served by router "${d.router}", so hostname "${d.hostname}" has nowhere to go. Fix: declare the App in this program and pass it as \`app\`, or deploy app "${d.app}" first (with the same DYNOFORM_ROUTER)`,
      );
    }
    await store.writeChecked({ [tlsFile.domain(d.hostname)]: JSON.stringify({ hostname: d.hostname, app: d.app }) }, async (state) => {
      // A claim of an app that no longer exists (its network and dynos gone) is taken over.
      const holder = await holderOf(store, d.hostname, state);
      if (holder && holder !== d.app && (await store.appExists(holder))) throw new Error(conflict(d, holder));
    });
    return { id: d.hostname, outs: d };
  },

  async update(_id: string, _olds: DomainOutputs, news: DomainInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: outputs(news) };
  },

  /** Drift: a claim that is gone, or now held by another app, is no longer this Domain; `up` claims it again (or says who holds it). */
  async read(id: string, props?: DomainOutputs): Promise<pulumi.dynamic.ReadResult<DomainOutputs>> {
    if (!props) return { id, props };
    const holder = await holderOf(tlsStoreOf(props), props.hostname ?? id);
    if (holder !== props.app) return { id: "", props: {} as DomainOutputs };
    return { id, props };
  },

  async delete(_id: string, props: DomainOutputs): Promise<void> {
    const store = tlsStoreOf(props);
    const state = await store.state();
    if (state && (await holderOf(store, props.hostname, state)) === props.app) await store.remove([tlsFile.domain(props.hostname)]);
  },
} satisfies pulumi.dynamic.ResourceProvider<DomainInputs, DomainOutputs>;
