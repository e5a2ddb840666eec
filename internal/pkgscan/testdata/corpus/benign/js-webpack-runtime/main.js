(() => {
  var __webpack_modules__ = {
    12: (module, exports, require) => {
      const fs = require('fs');
      module.exports = (p) => fs.readFileSync(p, 'utf8');
    },
  };
  var __webpack_module_cache__ = {};
  function __webpack_require__(id) {
    var m = __webpack_module_cache__[id] = { exports: {} };
    __webpack_modules__[id](m, m.exports, __webpack_require__);
    return m.exports;
  }
  module.exports = __webpack_require__(12);
})();
