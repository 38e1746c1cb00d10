#!/usr/bin/env node
// A GridExchange client in Node.js, built from protos/ alone (no generated code, no C#): the
// integrator's example of what a county system does against the hub.
//
//   1. Export a snapshot of its scope (ExportSnapshot: collect the chunks, keep SnapshotEnd.cursor).
//   2. Follow the change feed from that cursor (SubscribeChanges) until a directive addressed to
//      its region arrives, or for --heartbeats heartbeats.
//   3. Sign for that directive (DirectiveService.AcknowledgeDirective, SIGN_FOR).
//   4. Make one deliberately bad call and decode the ErrorInfo reason from the error's
//      grpc-status-details-bin trailer (a google.rpc.Status).
//
// It prints a JSON summary on stdout (progress goes to stderr) and exits 0 only if every step
// checked out. Run `npm ci` here once, then, against the hub of the README's quick start:
//
//   node client.mjs --address http://127.0.0.1:5170 --token "$ZHIFU" --region 370602000000
//
// Options: --scope CODE (region prefix to snapshot and follow; default --region),
// --heartbeats N (give up following after N heartbeats; default 15), --heartbeat-seconds S
// (default 1), --actor NAME (who signs for; default 王网格), --protos DIR (default ../../protos).

import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    address: { type: 'string', default: 'http://127.0.0.1:5170' },
    token: { type: 'string' },
    region: { type: 'string' },
    scope: { type: 'string' },
    heartbeats: { type: 'string', default: '15' },
    'heartbeat-seconds': { type: 'string', default: '1' },
    actor: { type: 'string', default: '王网格' },
    protos: { type: 'string', default: join(here, '..', '..', 'protos') },
  },
});
const limit = Number(args.heartbeats);
const seconds = Number(args['heartbeat-seconds']);
if (!args.token || !/^\d{12}$/.test(args.region ?? '') || !(limit > 0) || !(seconds >= 1 && seconds <= 300)) {
  console.error('usage: node client.mjs --address http://HOST:PORT --token TOKEN --region 12-DIGIT-CODE [--heartbeats N] [--heartbeat-seconds 1-300]');
  process.exit(2);
}
const scope = { regionPrefixes: [args.scope ?? args.region] };
const log = (event, fields = {}) => console.error(JSON.stringify({ event, ...fields }));

// --- Contracts -------------------------------------------------------------------------------
// Load the .proto files at run time. camelCase field names, enums as their names, 64-bit
// integers as strings, unset fields as their defaults, and each oneof's case as a field of its
// own (`item: 'chunk'`).
const definition = protoLoader.loadSync(
  ['gridexchange/v1/exchange_service.proto', 'gridexchange/v1/directive_service.proto', 'gridexchange/v1/registry_service.proto'],
  { includeDirs: [args.protos], longs: String, enums: String, defaults: true, oneofs: true },
);
const v1 = grpc.loadPackageDefinition(definition).gridexchange.v1;

// google.rpc.Status and ErrorInfo, for error details. The hub's protos do not import them;
// these two files are vendored unchanged from googleapis (Apache-2.0, as the NuGet package
// Google.Api.CommonProtos 2.17.0 ships them) next to this client, in protos/google/rpc/.
// Field names as written in the .proto files (`type_url`), as in google.protobuf.Any.
const rpcTypes = new protobuf.Root().loadSync(
  ['status.proto', 'error_details.proto'].map((f) => join(here, 'protos', 'google', 'rpc', f)), { keepCase: true });
const Status = rpcTypes.lookupType('google.rpc.Status');
const ErrorInfo = rpcTypes.lookupType('google.rpc.ErrorInfo');

// --- Channel ---------------------------------------------------------------------------------
// The hub of the quick start listens on plain-text HTTP/2 (h2c) on loopback: insecure channel
// credentials. A production hub is reached over TLS: grpc.credentials.createSsl(...) instead.
// Keep-alive pings detect a dead link on the long-lived SubscribeChanges stream.
const target = args.address.replace(/^https?:\/\//, '').replace(/\/+$/, ''); // host:port
const options = { 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 };
const credentials = grpc.credentials.createInsecure();
const exchange = new v1.ExchangeService(target, credentials, options);
const directives = new v1.DirectiveService(target, credentials, options);
const registry = new v1.RegistryService(target, credentials, options);

// Every call carries the peer's bearer token.
function auth() {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${args.token}`);
  return metadata;
}

// A deadline on every call: the hub may refuse calls without one (DEADLINE_REQUIRED).
const deadline = (seconds) => new Date(Date.now() + seconds * 1000);

// A unary call as a promise.
function unary(client, method, request, seconds = 15) {
  return new Promise((resolve, reject) => {
    client[method](request, auth(), { deadline: deadline(seconds) }, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

// The gRPC error's google.rpc.Status details: code, message and the ErrorInfo reason.
function describeError(error) {
  const [bytes] = error.metadata?.get('grpc-status-details-bin') ?? [];
  const status = bytes ? Status.decode(bytes) : null;
  const infoAny = status?.details.find((d) => d.type_url === 'type.googleapis.com/google.rpc.ErrorInfo');
  const info = infoAny ? ErrorInfo.decode(infoAny.value) : null;
  return {
    code: grpc.status[error.code] ?? String(error.code),
    message: error.details,
    reason: info?.reason ?? null,
    domain: info?.domain ?? null,
    metadata: info ? { ...info.metadata } : {},
  };
}

const isDirectiveToSignFor = (change) =>
  change.entityType === 'ENTITY_TYPE_DIRECTIVE_RECEIPT' &&
  change.directiveReceipt?.recipientRegionCode === args.region &&
  change.directiveReceipt.state === 'DIRECTIVE_STATE_ISSUED';

const summary = { address: args.address, region: args.region, scope: scope.regionPrefixes[0], checks: {} };
const check = (name, ok, detail) => {
  summary.checks[name] = ok;
  if (!ok) log('check-failed', { check: name, detail });
};

try {
  // --- 1. Snapshot ---------------------------------------------------------------------------
  // Chunks of records (each a Change with operation UPSERT), then one SnapshotEnd carrying the
  // record count and the cursor of the snapshot's consistent point. A real consumer stores each
  // chunk with its resume_token, to resume a broken-off stream instead of starting again.
  const started = Date.now();
  const snapshot = { chunks: 0, records: 0, recordCount: null, cursor: null, byType: {} };
  let pending = null; // a directive to our region still waiting to be signed for
  const stream = exchange.ExportSnapshot({ scope }, auth(), { deadline: deadline(300) });
  for await (const message of stream) {
    if (message.item === 'chunk') {
      snapshot.chunks += 1;
      for (const record of message.chunk.records) {
        snapshot.records += 1;
        snapshot.byType[record.entityType] = (snapshot.byType[record.entityType] ?? 0) + 1;
        if (isDirectiveToSignFor(record)) pending = record.directiveReceipt;
      }
    } else {
      snapshot.recordCount = Number(message.end.recordCount);
      snapshot.cursor = message.end.cursor;
    }
  }
  snapshot.millis = Date.now() - started;
  summary.snapshot = snapshot;
  check('snapshot', snapshot.cursor !== null && snapshot.records === snapshot.recordCount,
    'no SnapshotEnd, or its record_count differs from the records received');
  log('snapshot', { records: snapshot.records, chunks: snapshot.chunks, cursor: snapshot.cursor });

  // --- 2. Follow the feed --------------------------------------------------------------------
  // From the snapshot's cursor: no gap, no duplicate. Heartbeats arrive while nothing changes;
  // their cursor is a checkpoint too. A long-running consumer sets no deadline here and
  // reconnects from its last cursor; this example stops on its own, so a deadline bounds it.
  const follow = { fromCursor: snapshot.cursor, changes: 0, heartbeats: 0, lastCursor: snapshot.cursor, directive: null };
  const subscription = exchange.SubscribeChanges(
    { cursor: snapshot.cursor, scope, heartbeatInterval: { seconds } },
    auth(),
    { deadline: deadline((limit + 2) * seconds + 30) },
  );
  // Errors while reading are thrown by the loop below; once we stop reading, the stream ends
  // with an abort or CANCELLED error that is expected and ignored here.
  subscription.on('error', () => {});
  log('following', { cursor: snapshot.cursor });
  try {
    for await (const message of subscription) {
      if (message.item === 'heartbeat') {
        follow.heartbeats += 1;
        follow.lastCursor = message.heartbeat.cursor;
        if (follow.heartbeats >= limit) break;
        continue;
      }
      const change = message.change;
      follow.changes += 1;
      follow.lastCursor = change.cursor;
      log('change', { sequence: change.sequence, type: change.entityType, key: change.entityKey, operation: change.operation });
      if (isDirectiveToSignFor(change)) {
        pending = change.directiveReceipt;
        follow.directive = { directiveId: pending.directiveId, sequence: change.sequence, entityKey: change.entityKey };
        break;
      }
    }
  } finally {
    subscription.cancel(); // ends the stream on our side; the hub sees CANCELLED
  }
  summary.follow = follow;
  check('follow', follow.changes + follow.heartbeats > 0 && Boolean(follow.lastCursor), 'the feed sent nothing');

  // --- 3. Sign for the directive -------------------------------------------------------------
  // request_id makes the call idempotent: resend with the SAME id when the outcome is unknown.
  if (pending) {
    const { receipt } = await unary(directives, 'AcknowledgeDirective', {
      requestId: randomUUID(),
      directiveId: pending.directiveId,
      recipientRegionCode: args.region,
      action: 'DIRECTIVE_ACTION_SIGN_FOR',
      actorName: args.actor,
    });
    summary.acknowledge = { directiveId: receipt.directiveId, state: receipt.state, signedForBy: receipt.signedForBy, version: receipt.meta.version };
    check('acknowledge', receipt.state === 'DIRECTIVE_STATE_SIGNED_FOR', receipt.state);
  } else {
    summary.acknowledge = null;
    check('acknowledge', false, `no directive to ${args.region} waiting to be signed for; issue one (see README, Directives)`);
  }

  // --- 4. A deliberate bad call --------------------------------------------------------------
  // A malformed region code: INVALID_ARGUMENT with ErrorInfo reason INVALID_CODE. Act on the
  // status code; use the reason (a stable string, see errors.proto) for the details.
  try {
    await unary(registry, 'GetRegion', { regionCode: '37060' });
    summary.badCall = null;
    check('badCall', false, 'GetRegion accepted a malformed code');
  } catch (error) {
    summary.badCall = describeError(error);
    check('badCall', summary.badCall.code === 'INVALID_ARGUMENT' && summary.badCall.reason === 'INVALID_CODE', summary.badCall);
  }
} catch (error) {
  // Any other failed call: report its status and reason, and fail.
  summary.error = error.code !== undefined ? describeError(error) : { message: String(error?.stack ?? error) };
  check('noUnexpectedError', false, summary.error);
}

for (const client of [exchange, directives, registry]) client.close();
summary.ok = Object.values(summary.checks).every(Boolean) && Object.keys(summary.checks).length === 4;
console.log(JSON.stringify(summary, null, 2));
process.exitCode = summary.ok ? 0 : 1; // exits once the channels have closed
