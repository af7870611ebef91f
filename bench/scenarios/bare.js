'use strict';
/** No agent at all: the reference every other scenario is divided by. */
module.exports = function setup() {
  return { name: 'bare', shutdown: async () => {} };
};
