'use strict';
/** ck-agent plus span export over OTLP/gRPC with full header and body capture. */
const ck = require('./ck');

module.exports = function setup(opts) {
  return ck({ ...opts, full: true });
};
