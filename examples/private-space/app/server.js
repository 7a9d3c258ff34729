// One program, two roles. The internal service answers with its dyno's name; the api (with
// BACKEND_URL set) calls it over the space's private network and passes the answer on.
const http = require("http");
const backend = process.env.BACKEND_URL;
const server = http.createServer((req, res) => {
  if (!backend) return res.end(`internal ${process.env.DYNO} (${process.env.HEROKU_DNS_DYNO_NAME})\n`);
  http
    .get(backend, (r) => {
      let body = "";
      r.on("data", (d) => (body += d));
      r.on("end", () => res.end(`api ${process.env.DYNO} got: ${body}`));
    })
    .on("error", (e) => {
      res.statusCode = 502;
      res.end(`api could not reach ${backend}: ${e.message}\n`);
    });
});
server.listen(Number(process.env.PORT), "0.0.0.0");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
