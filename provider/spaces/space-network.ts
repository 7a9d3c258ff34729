/**
 * Names in a Space's network, following Heroku's Private Space DNS (heroku-facts §3): every dyno
 * is `<n>.<process>.<app>.app.localspace`, and `<process>.<app>.app.localspace` answers with all
 * dynos of that process type.
 */

export function spaceNetworkName(space: string): string {
  return `dynoform-space-${space}`;
}

export function spaceRouterName(space: string): string {
  return `dynoform-space-${space}-router`;
}

export function formationDnsName(app: string, processType: string): string {
  return `${processType}.${app}.app.localspace`;
}

/** `index` is a number, or on a Swarm the template `{{.Task.Slot}}` that each task fills in. */
export function dynoDnsName(app: string, processType: string, index: number | string): string {
  return `${index}.${formationDnsName(app, processType)}`;
}

/** Heroku's discovery variables, set in every dyno of an app in a space. */
export function spaceDnsEnv(app: string, processType: string, index: number | string): Record<string, string> {
  return {
    HEROKU_DNS_APP_NAME: `${app}.app.localspace`,
    HEROKU_DNS_FORMATION_NAME: formationDnsName(app, processType),
    HEROKU_DNS_DYNO_NAME: dynoDnsName(app, processType, index),
  };
}

/**
 * On a Swarm, the overlay only the space's router joins: its ports are published in host mode,
 * which needs a network with a gateway, and a Shield space's own networks have none.
 */
export function spaceRouterNetworkName(space: string): string {
  return `dynoform-space-${space}-edge`;
}
