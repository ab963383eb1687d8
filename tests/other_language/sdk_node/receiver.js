// A notify handler for the standalone sandbox (`wechatpay-sandbox --notify-url`) made with a
// published Node SDK, wechatpay-axios-plugin: the plugin's `Rsa.verify` over
// `Formatter.response(timestamp, nonce, body)` checks the signature with the WeChat Pay public
// key, and its `Aes.AesGcm.decrypt` opens the resource with the APIv3 key. (The plugin verifies
// answers by itself but has no one-call handler for notifications: these are its pieces.)
//
//     node tests/other_language/sdk_node/receiver.js CREDENTIALS_DIR
//
// It prints the port it listens on (127.0.0.1), then one JSON line per notification:
// {"id", "event_type", "resource"} once verified and decrypted (answered 204), or {"error"}
// (answered 400). `sandbox/tests/sdks.rs` runs it.
'use strict';

const http = require('http');
const { readFileSync } = require('fs');
const { join } = require('path');

const sdk = require('./sdk');

const { Rsa, Aes: { AesGcm }, Formatter, Hash } = sdk();

const DIR = process.argv[2];
const read = (name) => readFileSync(join(DIR, name), 'utf8').trim();

// As the plugin allows an answer's timestamp to differ from the local clock (decorator.js).
const MAXIMUM_CLOCK_OFFSET = 300;

// Read at the first notification: the sandbox writes the files once it has started, after this
// handler (its URL is one of the sandbox's flags).
function open(headers, body) {
  const certs = { [read('public_key_id')]: Rsa.from(read('platform_public_key.pem'), Rsa.KEY_TYPE_PUBLIC) };
  const type = headers['wechatpay-signature-type'];
  if (type !== 'WECHATPAY2-SHA256-RSA2048') { throw new Error(`signature type ${type}`); }
  const serial = headers['wechatpay-serial'];
  if (!Object.prototype.hasOwnProperty.call(certs, serial)) { throw new Error(`serial ${serial}`); }
  const timestamp = headers['wechatpay-timestamp'];
  if (Math.abs(Formatter.timestamp() - timestamp) > MAXIMUM_CLOCK_OFFSET) {
    throw new Error(`stale timestamp ${timestamp}`);
  }
  const message = Formatter.response(timestamp, headers['wechatpay-nonce'], body);
  if (!Rsa.verify(message, headers['wechatpay-signature'], certs[serial])) {
    throw new Error('the signature does not verify (Rsa.verify)');
  }
  const envelope = JSON.parse(body);
  const { algorithm, ciphertext, nonce, associated_data: aad } = envelope.resource;
  if (algorithm !== 'AEAD_AES_256_GCM') { throw new Error(`algorithm ${algorithm}`); }
  const key = Hash.keyObjectFrom(read('apiv3_key'));
  const resource = JSON.parse(AesGcm.decrypt(ciphertext, key, nonce, aad || ''));
  return { id: envelope.id, event_type: envelope.event_type, resource };
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let line;
    try {
      line = open(request.headers, Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      line = { error: `${error.name}: ${error.message}` };
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (line.error) {
      response.writeHead(400, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ code: 'FAIL', message: line.error }));
    } else {
      response.writeHead(204);
      response.end();
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
