'use strict';

// A bcoin full node for netsplit's interop tests, on regtest and on loopback only.
//
// bcoin's stock command line looks up its external IP through public DNS resolvers and dials
// its seed list; this launcher creates bcoin.FullNode itself with discovery disabled, no seeds,
// listeners on 127.0.0.1, an in-memory chain, and every outbound socket to a non-loopback
// address refused.
//
// Usage: node bcoin_node.js --p2p-port=N --http-port=N --api-key=KEY
//                           [--connect=127.0.0.1:PORT] [--log-level=info]
// Prints "ready" on stdout once the P2P and HTTP (JSON-RPC) servers listen; SIGTERM or SIGINT
// closes the node and exits 0.

// Pure-JavaScript backends (murmur3, hashes, secp256k1): no native module to compile, so
// `npm ci --ignore-scripts` is the whole install.
process.env.NODE_BACKEND = 'js';

const net = require('net');
const bcoin = require('bcoin');

function parseArgs(argv) {
  const out = {};
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (!m)
      throw new Error(`bad argument ${arg} (expected --name=value)`);
    out[m[1]] = m[2];
  }
  return out;
}

function isLoopback(host) {
  return host.startsWith('127.') || host === '::1' || host === '::ffff:127.0.0.1'
    || host === 'localhost';
}

function refuseNonLoopback(port, host) {
  if (!isLoopback(host))
    throw new Error(`refusing an outbound connection to ${host}:${port} (loopback only)`);
  return net.connect(port, host);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const connect = args['connect'] ? [args['connect']] : [];
  for (const addr of connect) {
    if (!isLoopback(addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')))
      throw new Error(`--connect=${addr}: loopback addresses only`);
  }

  const node = new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    workers: false,
    logLevel: args['log-level'] || 'warning',
    logConsole: true,
    listen: true,
    host: '127.0.0.1',
    port: Number(args['p2p-port']),
    httpHost: '127.0.0.1',
    httpPort: Number(args['http-port']),
    apiKey: args['api-key'],
    seeds: [],
    only: connect,
    upnp: false,
    compact: false,
    bip37: false,
    createSocket: refuseNonLoopback
  });

  // Discovery off: no DNS seeds, no external-IP lookup through public resolvers, no UPnP.
  node.pool.discoverSeeds = async () => {};
  node.pool.discoverExternal = async () => {};
  node.pool.discoverGateway = async () => false;
  node.pool.hosts.dnsSeeds = [];
  node.pool.hosts.resolve = async (host) => {
    throw new Error(`refusing to resolve ${host} (no DNS)`);
  };

  let closing = false;
  const stop = async () => {
    if (closing)
      return;
    closing = true;
    try {
      await node.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  await node.open();
  await node.connect();
  node.startSync();
  process.stdout.write('ready\n');
}

main().catch((err) => {
  process.stderr.write(`bcoin_node.js: ${err.stack || err}\n`);
  process.exit(1);
});
