#!/usr/bin/env node
// Brings Docker's daemon.json to what Dynoform needs, keeping every other key; prints what it did:
//   created            no file: address pools for thousands of app networks, and no userland proxy
//   merged             an existing file got "userland-proxy": false
//   kept               nothing to do
//   userland-proxy-on  the file turns the proxy on explicitly: left as it is (the caller warns)
// Without the userland proxy, Docker only DNATs a published port, so the router sees each client's
// own address; with it, every client arrives from a Docker gateway and a Space's trustedIpRanges
// cannot tell them apart. Usage: node scripts/daemon-json.js /etc/docker/daemon.json
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/daemon-json.js PATH-TO-daemon.json");
  process.exit(2);
}
const NEW = {
  "default-address-pools": [
    { base: "10.200.0.0/13", size: 24 },
    { base: "172.17.0.0/16", size: 24 },
  ],
  "userland-proxy": false,
};

function write(config) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.dynoform-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n");
  fs.renameSync(tmp, file);
}

if (!fs.existsSync(file)) {
  write(NEW);
  console.log("created");
  process.exit(0);
}
let config;
try {
  config = JSON.parse(fs.readFileSync(file, "utf8"));
} catch (e) {
  console.error(`${file} is not valid JSON (${e.message}), so Dynoform cannot add "userland-proxy": false to it. Fix: correct the file (dockerd will not start with it either), then run setup again`);
  process.exit(1);
}
if (config === null || typeof config !== "object" || Array.isArray(config)) {
  console.error(`${file} is not a JSON object. Fix: make it one ({} at least), then run setup again`);
  process.exit(1);
}
if ("userland-proxy" in config) {
  console.log(config["userland-proxy"] === false ? "kept" : "userland-proxy-on");
  process.exit(0);
}
write({ ...config, "userland-proxy": false });
console.log("merged");
