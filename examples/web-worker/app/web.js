// The web process: answers on $PORT, and drains on SIGTERM so preboot deploys lose no request.
const http = require("http");
const server = http.createServer((req, res) => res.end(`${process.env.GREETING || "Hello"} from ${process.env.DYNO}\n`));
server.listen(Number(process.env.PORT), "0.0.0.0", () => console.log(`listening on ${process.env.PORT}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
