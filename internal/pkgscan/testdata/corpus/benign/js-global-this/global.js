var g = (function () { return this; })() || new Function('return this')();
module.exports = g;
