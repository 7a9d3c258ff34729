/**
 * A Node.js one-liner run inside a dyno (`node -e`): does `host:port` answer an HTTP GET? It
 * prints "ok <status>" (then the body, with `withBody`) or why not (ECONNREFUSED, ENOTFOUND, timeout).
 */
export function httpProbeScript(host: string, port = 5000, withBody = false): string {
  return `
    const http = require("http");
    const req = http.get({ host: ${JSON.stringify(host)}, port: ${port}, path: "/", timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => console.log(("ok " + res.statusCode + ${withBody ? '" " + body' : '""'}).trim()));
    });
    req.on("timeout", () => { console.log("timeout"); req.destroy(); });
    req.on("error", (e) => console.log(e.code || e.message));`;
}
