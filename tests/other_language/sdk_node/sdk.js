// The SDK, wechatpay-axios-plugin, at the version package.json pins; without it, a clear exit.
'use strict';

const NAME = 'wechatpay-axios-plugin';

module.exports = function sdk() {
  const pinned = require('./package.json').dependencies[NAME];
  let found;
  try {
    found = require(`${NAME}/package.json`).version;
  } catch (error) {
    found = `none (${error.code})`;
  }
  if (found !== pinned) {
    process.stderr.write(`${NAME} ${pinned} is needed (found ${found}): npm ci --prefix tests/other_language/sdk_node\n`);
    process.exit(2);
  }
  return require(NAME);
};
